-- Grain: one row per QPV, geography (qpv2024, qpv2015), SIRENE edition (millesime), ESS family and NAF section.
-- Sources: intermediate.int_ess_etablissements (active ESS establishments, located; random points in the commune
-- excluded), staging.ref_ess_familles, staging.ref_ess_sections_naf. Only the combinations that exist (no zero rows).
-- famille_ess: association, fondation, mutuelle, cooperative, entreprise_ess; section_naf: NAF rév. 2 section of
-- the establishment's activity (null when the code is not NAF rév. 2). Jobs: low / central / high from the size
-- bands (staging.ref_tranches_effectifs). Unsuppressed detail: marts.ess_qpv_detail publishes it with the secret
-- statistique applied.
with etablissements as (
    select * from intermediate.int_ess_etablissements
),

familles as (
    select famille_ess, libelle_famille from staging.ref_ess_familles
),

sections as (
    select distinct section_naf, libelle_section from staging.ref_ess_sections_naf
),

rattaches as (
    select 'qpv2024' as geographie, code_qp2024 as code_qp, * from etablissements where code_qp2024 is not null
    union all
    select 'qpv2015' as geographie, code_qp2015 as code_qp, * from etablissements where code_qp2015 is not null
),

comptes as (
    select
        code_qp,
        geographie,
        millesime,
        famille_ess,
        section_naf,
        count(*) as etablissements_ess,
        sum(effectif_bas) as emplois_ess_bas,
        sum(effectif_central) as emplois_ess_central,
        sum(effectif_haut) as emplois_ess_haut
    from rattaches
    group by code_qp, geographie, millesime, famille_ess, section_naf
),

final as (
    select
        comptes.code_qp,
        comptes.geographie,
        comptes.millesime,
        comptes.famille_ess,
        familles.libelle_famille,
        comptes.section_naf,
        sections.libelle_section,
        comptes.etablissements_ess,
        comptes.emplois_ess_bas,
        comptes.emplois_ess_central,
        comptes.emplois_ess_haut
    from comptes
    left join familles on familles.famille_ess = comptes.famille_ess
    left join sections on sections.section_naf = comptes.section_naf
)

select * from final
order by geographie, millesime, code_qp, famille_ess, section_naf
