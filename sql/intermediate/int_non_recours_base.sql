-- Grain: one row per QPV (2015 geography), edition (millesime) and prestation ('rsa' | 'prime_activite'), for the
-- editions whose REVN file has the prestation's column (ARSAS: every edition; APPA: from 2018).
-- Sources: staging.stg_anct_revn (TP60, A, ARSAS, APPA), staging.stg_anct_demo (POP_MUN of the same edition),
-- staging.ref_non_recours_drees (thresholds). Inputs of the non-recours estimators (docs/methodes/non_recours.md):
-- poor population P = TP60 / 100 × POP_MUN, claimants R, coverage R / P, and whether the QPV may be published
-- and used in the national calibration (every input present, A >= 50, R >= 11).
with revn as (
    select * from staging.stg_anct_revn
),

demo as (
    select code_qp, millesime, population from staging.stg_anct_demo
),

seuils as (
    select
        max(valeur) filter (where parametre = 'seuil_foyers_allocataires') as seuil_foyers_allocataires,
        max(valeur) filter (where parametre = 'seuil_effectif') as seuil_effectif
    from staging.ref_non_recours_drees
    where prestation = '*'
),

prestations as (
    select
        code_qp,
        lib_qp,
        millesime,
        'rsa' as prestation,
        taux_pauvrete_60,
        foyers_allocataires,
        allocataires_rsa_socle as allocataires,
        fichier_sha256
    from revn
    union all
    select
        code_qp,
        lib_qp,
        millesime,
        'prime_activite' as prestation,
        taux_pauvrete_60,
        foyers_allocataires,
        allocataires_prime_activite as allocataires,
        fichier_sha256
    from revn
),

-- An edition whose file lacks the column (APPA before 2018) has no value at all: no row for it.
editions_disponibles as (
    select millesime, prestation
    from prestations
    group by millesime, prestation
    having count(allocataires) > 0
),

joined as (
    select
        p.code_qp,
        p.lib_qp,
        p.millesime,
        p.prestation,
        p.taux_pauvrete_60,
        cast(demo.population as double) as population,
        cast(p.foyers_allocataires as double) as foyers_allocataires,
        cast(p.allocataires as double) as allocataires,
        p.taux_pauvrete_60 / 100 * demo.population as population_pauvre,
        p.fichier_sha256
    from prestations as p
    inner join editions_disponibles as e on e.millesime = p.millesime and e.prestation = p.prestation
    left join demo on demo.code_qp = p.code_qp and demo.millesime = p.millesime
),

final as (
    select
        joined.*,
        allocataires / nullif(population_pauvre, 0) as couverture,
        coalesce(
            population_pauvre > 0
            and allocataires is not null
            and foyers_allocataires >= seuils.seuil_foyers_allocataires
            and allocataires >= seuils.seuil_effectif,
            false
        ) as publiable
    from joined
    cross join seuils
)

select * from final
