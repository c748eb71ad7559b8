-- Grain: one row per QPV, geography (qpv2024, qpv2015), SIRENE edition (millesime) and indicator. Sources:
-- intermediate.int_sirene_etablissements_localises (active establishments of the stock, geolocated, random points
-- in the commune excluded), staging.stg_qpv2024 and staging.stg_qpv2015 (the QPV lists and names),
-- staging.stg_anct_demo (population of the 2015 QPV, latest DEMO edition).
-- qpv2024: located by the spatial join of the establishments' coordinates on the 2024 perimeters; qpv2015: by
-- INSEE's plg_qp15 code. millesime = the label of the SIRENE stock (raw millesime); annee_reference = the year of
-- the stock date seen in the data (latest dateDernierTraitementEtablissement). fichier_sha256: the establishment
-- stock's file. Every QPV of the geography gets a row per indicator (0 is a real zero: the register is exhaustive).
-- Counts: etablissements_actifs, etablissements_ess, emplois_ess and emplois_salaries_prives (central value of the
-- size bands in valeur, low/high band limits in borne_basse/borne_haute). Ratios: part_emplois_ess (100 × ESS jobs /
-- private employers' jobs, bounds = the extreme combinations of the bands), emplois_ess_pour_1000_habitants (only
-- where a population exists: qpv2015 from DEMO; no 2024 population file yet). secret is false: SIRENE withholds
-- nothing here; the project's thresholds (dictionary) are applied by the marts.
with localises as (
    select * from intermediate.int_sirene_etablissements_localises
    where actif and not point_aleatoire
),

stock as (
    select
        millesime,
        cast(year(max(date_dernier_traitement)) as integer) as annee_reference,
        min(fichier_sha256) as fichier_sha256
    from staging.stg_sirene_etablissements
    group by millesime
),

qpv as (
    select 'qpv2024' as geographie, code_qp, lib_qp from staging.stg_qpv2024
    union all
    select 'qpv2015' as geographie, code_qp, lib_qp from staging.stg_qpv2015
),

population_qpv2015 as (
    select code_qp, cast(population as double) as population
    from staging.stg_anct_demo
    qualify row_number() over (partition by code_qp order by millesime desc) = 1
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
        count(*) as etablissements_actifs,
        count(*) filter (where est_ess) as etablissements_ess,
        coalesce(sum(effectif_bas) filter (where est_ess), 0) as ess_bas,
        coalesce(sum(effectif_central) filter (where est_ess), 0) as ess_central,
        coalesce(sum(effectif_haut) filter (where est_ess), 0) as ess_haut,
        coalesce(sum(effectif_bas) filter (where employeur_prive), 0) as prives_bas,
        coalesce(sum(effectif_central) filter (where employeur_prive), 0) as prives_central,
        coalesce(sum(effectif_haut) filter (where employeur_prive), 0) as prives_haut
    from rattaches
    group by geographie, code_qp, millesime
),

grille as (
    select
        qpv.geographie,
        qpv.code_qp,
        qpv.lib_qp,
        stock.millesime,
        stock.annee_reference,
        stock.fichier_sha256,
        coalesce(comptes.etablissements_actifs, 0) as etablissements_actifs,
        coalesce(comptes.etablissements_ess, 0) as etablissements_ess,
        coalesce(comptes.ess_bas, 0) as ess_bas,
        coalesce(comptes.ess_central, 0) as ess_central,
        coalesce(comptes.ess_haut, 0) as ess_haut,
        coalesce(comptes.prives_bas, 0) as prives_bas,
        coalesce(comptes.prives_central, 0) as prives_central,
        coalesce(comptes.prives_haut, 0) as prives_haut,
        case when qpv.geographie = 'qpv2015' then population_qpv2015.population end as population
    from qpv
    cross join stock
    left join comptes
        on comptes.geographie = qpv.geographie and comptes.code_qp = qpv.code_qp
        and comptes.millesime = stock.millesime
    left join population_qpv2015 on population_qpv2015.code_qp = qpv.code_qp
),

lignes as (
    select
        *,
        'etablissements_actifs' as indicateur,
        cast(etablissements_actifs as double) as valeur,
        cast(etablissements_actifs as double) as numerateur,
        cast(null as double) as denominateur,
        cast(null as double) as borne_basse,
        cast(null as double) as borne_haute
    from grille
    union all
    select
        *,
        'etablissements_ess',
        etablissements_ess,
        etablissements_ess,
        null,
        null,
        null
    from grille
    union all
    select *, 'emplois_ess', ess_central, ess_central, null, ess_bas, ess_haut from grille
    union all
    select *, 'emplois_salaries_prives', prives_central, prives_central, null, prives_bas, prives_haut from grille
    union all
    select
        *,
        'part_emplois_ess',
        case when prives_central > 0 then 100 * ess_central / prives_central end,
        ess_central,
        prives_central,
        -- fewest ESS jobs against the most other private jobs, and the reverse
        case when ess_bas + (prives_haut - ess_haut) > 0 then 100 * ess_bas / (ess_bas + prives_haut - ess_haut) end,
        case when ess_haut + (prives_bas - ess_bas) > 0 then 100 * ess_haut / (ess_haut + prives_bas - ess_bas) end
    from grille
    union all
    select
        *,
        'emplois_ess_pour_1000_habitants',
        1000 * ess_central / population,
        ess_central,
        population,
        1000 * ess_bas / population,
        1000 * ess_haut / population
    from grille
    where population > 0
),

-- Every row: secret false (SIRENE withholds nothing here; the marts apply the project's thresholds), one source.
lignes_completes as (
    select
        *,
        false as secret,
        'INSEE SIRENE (stock et géolocalisation)' as source
    from lignes
),

final as (
    select * from {{ long_shape('lignes_completes') }}
)

select * from final
order by geographie, millesime, code_qp, indicateur
