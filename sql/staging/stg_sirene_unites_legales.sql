-- Grain: one row per legal unit (SIREN) of the SIRENE stock. Source: raw.sirene_unites_legales (INSEE stock,
-- StockUniteLegale). Only what the indicators need (legal category, activity, ESS flag, state, size band), with
-- domain names and normalised codes. Personal data of individual entrepreneurs (names, first names, pseudonym,
-- usage name, sex) and the names of the units are NOT carried beyond raw.
-- materialized: view — tens of millions of legal units at national scale: normalised when read, never copied.
with source as (
    select * from raw.sirene_unites_legales
),

cleaned as (
    select
        *,
        upper(replace(trim(activitePrincipaleUniteLegale), ' ', '')) as naf_brut,
        trim(categorieJuridiqueUniteLegale) as categorie_brute
    from source
),

final as (
    select
        siren,
        millesime,
        statutDiffusionUniteLegale as statut_diffusion,
        upper(trim(etatAdministratifUniteLegale)) as etat_administratif,
        coalesce(upper(trim(etatAdministratifUniteLegale)) = 'A', false) as actif,
        try_cast(dateCreationUniteLegale as date) as date_creation,
        -- 4-digit code; a code read as a number (leading zero lost) is padded back
        case
            when regexp_full_match(categorie_brute, '[0-9]{1,4}') then lpad(categorie_brute, 4, '0')
            else categorie_brute
        end as categorie_juridique,
        case
            when regexp_full_match(naf_brut, '[0-9]{4}[A-Z]') then substr(naf_brut, 1, 2) || '.' || substr(naf_brut, 3)
            else naf_brut
        end as activite_principale,
        nomenclatureActivitePrincipaleUniteLegale as nomenclature_activite,
        case upper(trim(economieSocialeSolidaireUniteLegale)) when 'O' then true when 'N' then false end
            as economie_sociale_solidaire,
        case upper(trim(societeMissionUniteLegale)) when 'O' then true when 'N' then false end as societe_mission,
        coalesce(nullif(upper(trim(trancheEffectifsUniteLegale)), ''), 'NN') as tranche_effectifs,
        categorieEntreprise as categorie_entreprise,
        case upper(trim(caractereEmployeurUniteLegale)) when 'O' then true when 'N' then false end
            as caractere_employeur,
        try_cast(dateDernierTraitementUniteLegale as timestamp) as date_dernier_traitement,
        _fichier as fichier,
        _ligne as ligne,
        _sha256 as fichier_sha256
    from cleaned
)

select * from final
