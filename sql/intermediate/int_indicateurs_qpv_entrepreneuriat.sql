-- Grain: one row per QPV, geography (qpv2024, qpv2015), year of creation (millesime) and indicator. Sources:
-- intermediate.int_sirene_etablissements_localises (every establishment of the stock, active or closed,
-- geolocated, random points in the commune excluded), staging.stg_sirene_etablissements (stock date),
-- staging.stg_qpv2024, staging.stg_qpv2015, staging.stg_anct_demo (population of the 2015 QPV).
-- Creations are counted from dateCreationEtablissement in the latest stock: millesime = annee_reference = the year
-- of creation (the series is per year, re-computed from each new stock), from premiere_annee to the last complete
-- year before the stock date. Location: the establishment's current point (spatial join for qpv2024, plg_qp15 for
-- qpv2015). Counts: creations_etablissements, creations_etablissements_ei (legal category 1000, entrepreneurs
-- individuels, of whom the micro-entrepreneurs). Ratios: part_creations_entrepreneurs_individuels (100 × EI /
-- all), taux_creation (1000 × creations / population) only where a population exists (qpv2015, DEMO edition of
-- that year or the latest before it, else the earliest; no 2024 population file yet).
with parametres as (
    select 2015 as premiere_annee
),

localises as (
    select * from intermediate.int_sirene_etablissements_localises
    where not point_aleatoire and annee_creation is not null
),

stock as (
    select
        millesime,
        cast(year(max(date_dernier_traitement)) as integer) as annee_stock,
        min(fichier_sha256) as fichier_sha256
    from staging.stg_sirene_etablissements
    group by millesime
    qualify millesime = max(millesime) over ()  -- one stock at a time (the raw table keeps the latest)
),

annees as (
    select
        stock.millesime as millesime_stock,
        stock.fichier_sha256,
        cast(annee as integer) as annee
    from stock, parametres, generate_series(parametres.premiere_annee, stock.annee_stock - 1) as t(annee)
),

qpv as (
    select 'qpv2024' as geographie, code_qp, lib_qp from staging.stg_qpv2024
    union all
    select 'qpv2015' as geographie, code_qp, lib_qp from staging.stg_qpv2015
),

demo as (
    select code_qp, millesime, cast(population as double) as population
    from staging.stg_anct_demo
    where population is not null
),

-- population of the DEMO edition of the year, or the latest before it, else the earliest edition
population_par_annee as (
    select
        annees.annee,
        demo.code_qp,
        demo.population
    from (select distinct annee from annees) as annees
    inner join demo on true
    qualify row_number() over (
        partition by annees.annee, demo.code_qp
        order by demo.millesime <= annees.annee desc,
            case when demo.millesime <= annees.annee then -demo.millesime else demo.millesime end
    ) = 1
),

rattaches as (
    select 'qpv2024' as geographie, code_qp2024 as code_qp, * from localises where code_qp2024 is not null
    union all
    select 'qpv2015' as geographie, code_qp2015 as code_qp, * from localises where code_qp2015 is not null
),

comptes as (
    select
        geographie,
        code_qp,
        millesime,
        annee_creation,
        count(*) as creations,
        count(*) filter (where entrepreneur_individuel) as creations_ei
    from rattaches
    group by geographie, code_qp, millesime, annee_creation
),

grille as (
    select
        qpv.geographie,
        qpv.code_qp,
        qpv.lib_qp,
        annees.annee,
        annees.fichier_sha256,
        cast(coalesce(comptes.creations, 0) as double) as creations,
        cast(coalesce(comptes.creations_ei, 0) as double) as creations_ei,
        case when qpv.geographie = 'qpv2015' then population_par_annee.population end as population
    from qpv
    cross join annees
    left join comptes
        on comptes.geographie = qpv.geographie and comptes.code_qp = qpv.code_qp
        and comptes.millesime = annees.millesime_stock and comptes.annee_creation = annees.annee
    left join population_par_annee
        on population_par_annee.code_qp = qpv.code_qp and population_par_annee.annee = annees.annee
),

lignes as (
    select
        *,
        'creations_etablissements' as indicateur,
        creations as valeur,
        creations as numerateur,
        cast(null as double) as denominateur
    from grille
    union all
    select *, 'creations_etablissements_ei', creations_ei, creations_ei, null from grille
    union all
    select
        *,
        'part_creations_entrepreneurs_individuels',
        case when creations > 0 then 100 * creations_ei / creations end,
        creations_ei,
        creations
    from grille
    union all
    select *, 'taux_creation', 1000 * creations / population, creations, population from grille
    where population > 0
),

-- Every row: the year of creation as edition and year, no bounds, secret false (SIRENE withholds nothing here; the
-- marts apply the project's thresholds), one source.
lignes_completes as (
    select
        *,
        annee as millesime,
        annee as annee_reference,
        null as borne_basse,
        null as borne_haute,
        false as secret,
        'INSEE SIRENE (stock et géolocalisation)' as source
    from lignes
),

final as (
    select * from {{ long_shape('lignes_completes') }}
)

select * from final
order by geographie, millesime, code_qp, indicateur
