-- Grain: one row per (type_territoire, code_territoire, annee_reference, indicateur). Source:
-- staging.stg_filosofi_territoires (INSEE Filosofi of whole territories). The file's values in long format, in the
-- codes of the QPV marts. A blank cell of an indicator the file publishes is secret (valeur null, secret true); an
-- indicator absent from a year's layout (part_revenus_activite in 2014, published as PTSAC with unemployment
-- benefits) gives no row for that year and level. code_commune_cog: for a commune, its commune in the COG in use
-- (itself, or its parent when the COG lists the code as a commune déléguée or associée); null when the COG no longer
-- has the code (counted in the run report).
with territoires as (
    select * from staging.stg_filosofi_territoires
),

longues as (
    unpivot territoires
    on menages_fiscaux, revenu_q1_uc, revenu_median_uc, revenu_q3_uc, revenu_d1_uc, revenu_d2_uc, revenu_d3_uc,
        revenu_d4_uc, revenu_d6_uc, revenu_d7_uc, revenu_d8_uc, revenu_d9_uc, rapport_interdecile, rapport_s80_s20,
        indice_gini, part_revenus_activite, part_pensions_revenu, part_patrimoine_revenu, part_prestations_revenu,
        part_prestations_familiales_revenu, part_minima_sociaux_revenu, part_prestations_logement_revenu,
        part_impots_revenu
    into name indicateur value valeur
),

-- unpivot drops nulls: the blank cells come back from the list of (file, indicator) the file publishes
publies as (
    select distinct type_territoire, annee_reference, fichier, indicateur from longues
),

cellules as (
    select t.type_territoire, t.code_territoire, t.lib_territoire, t.annee_reference, p.indicateur, t.fichier,
        t.ligne, t.fichier_sha256
    from territoires as t
    inner join publies as p
        on p.type_territoire = t.type_territoire and p.annee_reference = t.annee_reference and p.fichier = t.fichier
),

cog as (
    select COM as code, TYPECOM as type_commune, COMPARENT as parent from raw.insee_cog_communes
    where millesime = (select max(millesime) from raw.insee_cog_communes)
),

rattachement as (
    select code, coalesce(max(case when type_commune in ('COM', 'ARM') then code end), max(parent)) as code_commune_cog
    from cog
    group by code
),

final as (
    select
        c.type_territoire,
        c.code_territoire,
        c.lib_territoire,
        c.annee_reference,
        c.indicateur,
        l.valeur,
        l.valeur is null as secret,
        case when c.type_territoire = 'commune' then r.code_commune_cog end as code_commune_cog,
        'INSEE Filosofi' as source,
        c.fichier,
        c.ligne,
        c.fichier_sha256
    from cellules as c
    left join longues as l
        on l.type_territoire = c.type_territoire and l.code_territoire = c.code_territoire
        and l.annee_reference = c.annee_reference and l.indicateur = c.indicateur
    left join rattachement as r on r.code = c.code_territoire and c.type_territoire = 'commune'
)

select * from final
