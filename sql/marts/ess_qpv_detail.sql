-- Grain: one row per QPV, geography, SIRENE edition (millesime), ESS family and NAF section. Source:
-- intermediate.int_ess_qpv_detail (unsuppressed counts), marts.ref_indicateurs (threshold of etablissements_ess).
-- ESS establishments and jobs broken down by family (association, fondation, mutuelle, cooperative, entreprise_ess)
-- and NAF section, with the secret statistique applied: a cell with fewer establishments than the threshold
-- (seuil_secret of etablissements_ess: the rule of its producer in sql/seeds/regles_secret.csv; SIRENE is a public
-- register, threshold 0, so every cell is published) is published with secret = true and null counts, never 0. Secondary
-- suppression: when exactly one cell of a QPV × edition is suppressed, the next smallest cell of the same QPV is
-- suppressed too, so that the QPV total (marts.indicateurs_qpv) minus the published cells reveals nothing.
with detail as (
    select * from intermediate.int_ess_qpv_detail
),

seuil as (
    select seuil_secret from marts.ref_indicateurs where code = 'etablissements_ess'
),

primaire as (
    select
        detail.*,
        detail.etablissements_ess < (select seuil_secret from seuil) as secret_primaire
    from detail
),

rangs as (
    select
        *,
        count(*) filter (where secret_primaire) over (partition by code_qp, geographie, millesime) as nb_secrets,
        row_number() over (
            partition by code_qp, geographie, millesime, secret_primaire
            order by etablissements_ess, famille_ess, section_naf
        ) as rang_parmi_publies
    from primaire
),

final as (
    select
        code_qp,
        geographie,
        millesime,
        famille_ess,
        libelle_famille,
        section_naf,
        libelle_section,
        secret_primaire or (nb_secrets = 1 and rang_parmi_publies = 1) as secret,
        case when not secret then etablissements_ess end as etablissements_ess,
        case when not secret then emplois_ess_bas end as emplois_ess_bas,
        case when not secret then emplois_ess_central end as emplois_ess_central,
        case when not secret then emplois_ess_haut end as emplois_ess_haut
    from rangs
)

select * from final
order by geographie, millesime, code_qp, famille_ess, section_naf
