-- Grain: one row per QPV (2015 geography), edition and indicator of the base theme (population and demography):
-- base counts (population, population_15_64_estimee, foyers_allocataires, personnes_couvertes_caf,
-- personnes_couvertes_regime_general), the census structure published as shares (sex, age, households,
-- nationality, youth index), the CAF family structure (claimants by family type, children by age band) and its
-- shares. Sources: staging.stg_anct_demo, staging.stg_anct_revn; dictionary intermediate.int_ref_indicateurs
-- (thème base) (factors, suppression thresholds).
-- Long shape shared by every theme. A blank cell of the producer, or a count under the dictionary's seuil_secret,
-- is secret: valeur and numerateur null, never 0.
with demo as (
    select * from staging.stg_anct_demo
),

revn as (
    select * from staging.stg_anct_revn
),

noms as (
    select code_qp, lib_qp from staging.stg_qpv2015
),

dictionnaire as (
    select code, facteur, seuil_secret from intermediate.int_ref_indicateurs where theme = 'base'
),

-- Share of the 0-24 year-olds who are 15-24 (k1) and of the 60+ who are 60-64 (k2): project assumptions, written
-- down in the dictionary (population_15_64_estimee); central value and bounds.
hypotheses (k1_centrale, k1_basse, k1_haute, k2_centrale, k2_basse, k2_haute) as (
    values (0.40, 0.35, 0.45, 0.28, 0.20, 0.36)
),

demo_comptages as (
    select
        d.code_qp,
        coalesce(d.lib_qp, n.lib_qp) as lib_qp,
        d.millesime,
        d.population,
        d.personnes_couvertes_caf,
        d.foyers_allocataires,
        d.part_0_24_ans,
        d.part_60_ans_plus,
        d.allocataires_monoparents,
        d.allocataires_isoles,
        d.allocataires_couples_sans_enfant,
        d.allocataires_couples_avec_enfants,
        d.allocataires_3_enfants_plus,
        d.allocataires_moins_25_non_etudiants,
        d.allocataires_etudiants,
        d.enfants_couverts_caf,
        d.enfants_couverts_caf_0_2_ans,
        d.enfants_couverts_caf_3_5_ans,
        d.enfants_couverts_caf_6_10_ans,
        d.enfants_couverts_caf_11_14_ans,
        d.enfants_couverts_caf_15_17_ans,
        d.enfants_couverts_caf_18_24_ans,
        d.fichier_sha256
    from demo as d
    left join noms as n on n.code_qp = d.code_qp
),

population_15_64 as (
    select
        d.*,
        d.population * (1 - d.part_0_24_ans / 100 - d.part_60_ans_plus / 100) as population_25_59,
        d.population * d.part_0_24_ans / 100 as population_0_24,
        d.population * d.part_60_ans_plus / 100 as population_60_plus
    from demo_comptages as d
),

estimation_detaillee as (
    select
        p.code_qp,
        p.lib_qp,
        p.millesime,
        p.population,
        round(p.population_25_59 + p.population_0_24 * h.k1_centrale + p.population_60_plus * h.k2_centrale)
            as nombre,
        round(p.population_25_59 + p.population_0_24 * h.k1_basse + p.population_60_plus * h.k2_basse)
            as borne_basse,
        round(p.population_25_59 + p.population_0_24 * h.k1_haute + p.population_60_plus * h.k2_haute)
            as borne_haute,
        p.fichier_sha256
    from population_15_64 as p
    cross join hypotheses as h
),

-- Age shares withheld (blank): the QPV gets the edition's all-QPV ratio (15-64 estimate / population, summed over
-- the QPV whose shares are published), bounded by the 5th percentile of the low and the 95th of the high ratios.
ratios_edition as (
    select
        millesime,
        sum(nombre) / sum(population) as ratio_central,
        quantile_cont(borne_basse / population, 0.05) as ratio_bas,
        quantile_cont(borne_haute / population, 0.95) as ratio_haut
    from estimation_detaillee
    where nombre is not null and population > 0
    group by millesime
),

estimation as (
    select
        e.code_qp,
        e.lib_qp,
        e.millesime,
        'population_15_64_estimee' as indicateur,
        coalesce(e.nombre, round(e.population * r.ratio_central)) as nombre,
        coalesce(e.borne_basse, round(e.population * r.ratio_bas)) as borne_basse,
        coalesce(e.borne_haute, round(e.population * r.ratio_haut)) as borne_haute,
        'ANCT/ONPV DEMO (estimation)' as source,
        e.fichier_sha256
    from estimation_detaillee as e
    left join ratios_edition as r on r.millesime = e.millesime
),

-- Counts read as they are, one column each: turned into rows (unpivot include nulls: a blank cell stays a row).
demo_long as (
    select code_qp, lib_qp, millesime, indicateur, nombre, fichier_sha256
    from demo_comptages
    unpivot include nulls (
        nombre for indicateur in (
            population, personnes_couvertes_caf,
            allocataires_monoparents, allocataires_isoles, allocataires_couples_sans_enfant,
            allocataires_couples_avec_enfants, allocataires_3_enfants_plus, allocataires_moins_25_non_etudiants,
            allocataires_etudiants, enfants_couverts_caf, enfants_couverts_caf_0_2_ans, enfants_couverts_caf_3_5_ans,
            enfants_couverts_caf_6_10_ans, enfants_couverts_caf_11_14_ans, enfants_couverts_caf_15_17_ans,
            enfants_couverts_caf_18_24_ans
        )
    )
),

-- Age, sex, household and nationality structure (census): the producer's shares and youth index, one column each,
-- turned into rows (a blank cell stays a row and comes out secret).
structure_colonnes as (
    select
        d.code_qp, coalesce(d.lib_qp, n.lib_qp) as lib_qp, d.millesime, d.fichier_sha256,
        d.part_femmes, d.part_0_24_ans, d.part_0_24_ans_femmes, d.part_60_ans_plus, d.part_60_ans_plus_femmes,
        d.indice_jeunesse, d.part_menages_1_personne, d.part_menages_6_personnes_plus, d.part_etrangers,
        d.part_etrangers_femmes
    from demo as d
    left join noms as n on n.code_qp = d.code_qp
),

structure_demo as (
    select code_qp, lib_qp, millesime, fichier_sha256, indicateur, cast(valeur as double) as valeur
    from structure_colonnes
    unpivot include nulls (
        valeur for indicateur in (columns(* exclude (code_qp, lib_qp, millesime, fichier_sha256)))
    )
),

-- foyers_allocataires: the REVN count (denominator of the CAF shares) where the edition's REVN file has the QPV,
-- else DEMO's (an edition without REVN file; a QPV the REVN file lacks, e.g. 48 of DEMO 2021's 1,400).
foyers as (
    select code_qp, lib_qp, millesime, foyers_allocataires as nombre, 'ANCT/ONPV REVN' as source, fichier_sha256
    from revn
    union all
    select d.code_qp, d.lib_qp, d.millesime, d.foyers_allocataires, 'ANCT/ONPV DEMO', d.fichier_sha256
    from demo_comptages as d
    anti join revn as r on r.code_qp = d.code_qp and r.millesime = d.millesime
),

-- Family structure of the CAF claimants: each family type over the published foyers_allocataires of the edition
-- (same CNAF block: REVN.A, or DEMO.A when the edition has no REVN file), so that the ratio's denominator is the
-- published count.
familles_caf as (
    select
        d.code_qp, d.lib_qp, d.millesime, d.fichier_sha256, f.nombre as foyers,
        d.allocataires_monoparents, d.allocataires_isoles, d.allocataires_couples_avec_enfants,
        d.allocataires_3_enfants_plus
    from demo_comptages as d
    left join foyers as f on f.code_qp = d.code_qp and f.millesime = d.millesime
),

ratios_caf as (
    select
        code_qp, lib_qp, millesime, fichier_sha256, 'part_' || code_numerateur as indicateur, code_numerateur,
        cast(numerateur as double) as numerateur, cast(foyers as double) as denominateur
    from familles_caf
    unpivot include nulls (
        numerateur for code_numerateur in (
            allocataires_monoparents, allocataires_isoles, allocataires_couples_avec_enfants, allocataires_3_enfants_plus
        )
    )
),

revn_long as (
    select code_qp, lib_qp, millesime, indicateur, nombre, fichier_sha256
    from revn
    unpivot include nulls (nombre for indicateur in (personnes_couvertes_regime_general))
),

comptages as (
    select
        code_qp, lib_qp, millesime, indicateur, nombre,
        cast(null as double) as borne_basse, cast(null as double) as borne_haute,
        'ANCT/ONPV DEMO' as source, fichier_sha256
    from demo_long
    union all
    select
        code_qp, lib_qp, millesime, indicateur, nombre, borne_basse, borne_haute, source, fichier_sha256
    from estimation
    union all
    select
        code_qp, lib_qp, millesime, 'foyers_allocataires', nombre,
        cast(null as double), cast(null as double), source, fichier_sha256
    from foyers
    union all
    select
        code_qp, lib_qp, millesime, indicateur, nombre,
        cast(null as double), cast(null as double), 'ANCT/ONPV REVN', fichier_sha256
    from revn_long
),

lignes as (
    select
        c.code_qp, c.lib_qp, 'qpv2015' as geographie, c.millesime, cast(null as integer) as annee_reference,
        c.indicateur, c.nombre as valeur, c.nombre as numerateur, cast(null as double) as denominateur,
        c.borne_basse, c.borne_haute,
        c.nombre is null or c.nombre < d.seuil_secret as secret,
        d.code is null as hors_dictionnaire,
        c.source, c.fichier_sha256
    from comptages as c
    left join dictionnaire as d on d.code = c.indicateur
    union all
    select
        s.code_qp, s.lib_qp, 'qpv2015', s.millesime, null, s.indicateur,
        s.valeur, null, null, null, null,
        s.valeur is null,
        d.code is null,
        'ANCT/ONPV DEMO', s.fichier_sha256
    from structure_demo as s
    left join dictionnaire as d on d.code = s.indicateur
    union all
    select
        r.code_qp, r.lib_qp, 'qpv2015', r.millesime, null, r.indicateur,
        d.facteur * r.numerateur / r.denominateur, r.numerateur, r.denominateur, null, null,
        r.numerateur is null or r.denominateur is null or r.denominateur = 0
        or r.denominateur < d.seuil_secret or r.numerateur < dn.seuil_secret,
        d.code is null or dn.code is null,
        'ANCT/ONPV DEMO', r.fichier_sha256
    from ratios_caf as r
    left join dictionnaire as d on d.code = r.indicateur
    left join dictionnaire as dn on dn.code = r.code_numerateur
),

-- Columns absent from an edition (REVN.C before 2021) give a count with no value at all in it: dropped.
presents as (
    select *
    from lignes
    qualify count(coalesce(valeur, numerateur)) over (partition by geographie, millesime, indicateur) > 0
),

controles as (
    select
        *,
        case
            when hors_dictionnaire then error(
                'indicateur ' || indicateur || ' absent de intermediate.int_ref_indicateurs (thème base)'
            )
        end as erreur
    from presents
),

verifiees as (
    select * from controles where erreur is null
),

final as (
    select * from {{ long_shape('verifiees') }}
)

select * from final
