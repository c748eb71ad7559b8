-- Grain: one row per establishment (SIRET) of the SIRENE stock. Source: raw.sirene_etablissements (INSEE stock,
-- StockEtablissement). Only what the indicators need, with domain names and normalised codes: no address, no sign
-- (enseigne) and no usual name, which can name an individual entrepreneur (personal data stays in raw).
-- activite_principale: NAF code as `NN.NNL` (a code written without its dot, `6201Z`, gets it back); the NAF
-- section is only derived for the NAF rév. 2 nomenclature. millesime: the source's conventional stock label.
-- materialized: view — the national stock holds tens of millions of rows: renamed and normalised when read, never
-- copied (intermediate.int_sirene_etablissements_localises keeps the rows an indicator needs).
with source as (
    select * from raw.sirene_etablissements
),

cleaned as (
    select
        *,
        upper(replace(trim(activitePrincipaleEtablissement), ' ', '')) as naf_brut
    from source
),

renamed as (
    select
        siret,
        siren,
        nic,
        millesime,
        statutDiffusionEtablissement as statut_diffusion,
        upper(trim(etatAdministratifEtablissement)) as etat_administratif,
        coalesce(upper(trim(etatAdministratifEtablissement)) = 'A', false) as actif,
        try_cast(dateCreationEtablissement as date) as date_creation,
        coalesce(nullif(upper(trim(trancheEffectifsEtablissement)), ''), 'NN') as tranche_effectifs,
        cast(anneeEffectifsEtablissement as integer) as annee_effectifs,
        coalesce(etablissementSiege = 'true', false) as siege,
        upper(trim(codeCommuneEtablissement)) as code_commune,
        case
            when regexp_full_match(naf_brut, '[0-9]{4}[A-Z]') then substr(naf_brut, 1, 2) || '.' || substr(naf_brut, 3)
            else naf_brut
        end as activite_principale,
        nomenclatureActivitePrincipaleEtablissement as nomenclature_activite,
        case upper(trim(caractereEmployeurEtablissement)) when 'O' then true when 'N' then false end
            as caractere_employeur,
        try_cast(dateDernierTraitementEtablissement as timestamp) as date_dernier_traitement,
        _fichier as fichier,
        _ligne as ligne,
        _sha256 as fichier_sha256
    from cleaned
),

final as (
    select
        *,
        case
            when coalesce(nomenclature_activite, 'NAFRev2') = 'NAFRev2'
                and regexp_full_match(activite_principale, '[0-9]{2}\.[0-9]{2}[A-Z]')
                then substr(activite_principale, 1, 2)
        end as division_naf
    from renamed
)

select * from final
