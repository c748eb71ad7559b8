-- Grain: one row per QPV (2015 geography), edition and indicator of the non-recours theme.
-- Sources: intermediate.int_non_recours_estimations (formulas of docs/methodes/non_recours.md),
-- staging.ref_non_recours_drees (thresholds). The long shape of marts.indicateurs_qpv: counts (poor population,
-- expected claimants, estimated eligible and non-claiming households) as rows of their own, the coverage index and
-- the non-recours estimate as num/den ratios; estimates carry borne_basse / borne_haute. The claimant counts
-- (allocataires_rsa_socle, allocataires_prime_activite: numerators of the coverage index) are rows of the
-- pauvreté theme (int_indicateurs_qpv_pauvrete), not repeated here.
-- Secret: a count under the threshold, a value the producer left blank, a QPV with fewer than 50 foyers
-- allocataires or fewer than 11 claimants (estimates), a ratio whose denominator is under 50.
with estimations as (
    select * from intermediate.int_non_recours_estimations
),

seuils as (
    select max(valeur) filter (where parametre = 'seuil_effectif') as seuil_effectif
    from staging.ref_non_recours_drees
    where prestation = '*'
),

suffixes as (
    select
        estimations.*,
        case prestation when 'rsa' then 'rsa' else 'prime_activite' end as suffixe,
        case prestation when 'rsa' then 'allocataires_rsa_socle' else 'allocataires_prime_activite' end as code_allocataires
    from estimations
),

lignes as (
    -- Poor population (one row per QPV and edition: taken from the RSA rows, present in every edition).
    select
        code_qp, lib_qp, millesime, fichier_sha256,
        'population_pauvre_estimee' as indicateur,
        population_pauvre as valeur, population_pauvre as numerateur, null as denominateur,
        null as borne_basse, null as borne_haute,
        population_pauvre is null or population_pauvre < seuils.seuil_effectif as secret
    from suffixes cross join seuils
    where prestation = 'rsa'
    union all
    select
        code_qp, lib_qp, millesime, fichier_sha256,
        code_allocataires || '_attendus',
        allocataires_attendus, allocataires_attendus, null,
        null, null,
        not publiable_indice
    from suffixes
    union all
    select
        code_qp, lib_qp, millesime, fichier_sha256,
        'indice_couverture_' || suffixe,
        indice_couverture, allocataires, allocataires_attendus,
        null, null,
        not publiable_indice
    from suffixes
    union all
    select
        code_qp, lib_qp, millesime, fichier_sha256,
        'foyers_eligibles_' || suffixe || '_estimes',
        foyers_eligibles, foyers_eligibles, null,
        foyers_eligibles_bas, foyers_eligibles_haut,
        not publiable_non_recours
    from suffixes
    union all
    select
        code_qp, lib_qp, millesime, fichier_sha256,
        'foyers_non_recourants_' || suffixe || '_estimes',
        foyers_non_recourants, foyers_non_recourants, null,
        foyers_eligibles_bas - allocataires, foyers_eligibles_haut - allocataires,
        not publiable_non_recours
    from suffixes
    union all
    select
        code_qp, lib_qp, millesime, fichier_sha256,
        'non_recours_' || suffixe || '_estime',
        non_recours, foyers_non_recourants, foyers_eligibles,
        non_recours_borne_basse, non_recours_borne_haute,
        not publiable_non_recours
    from suffixes
),

-- Every row: 2015 geography, no year of its own (the year of the seeds' families, int_secret_cellules), one source.
lignes_completes as (
    select
        *,
        'qpv2015' as geographie,
        null as annee_reference,
        'ANCT/ONPV REVN et DEMO ; calage DREES' as source
    from lignes
),

final as (
    select * from {{ long_shape('lignes_completes') }}
)

select * from final
