-- Grain: one row per QPV (2015 geography), edition (millesime) and prestation ('rsa' | 'prime_activite').
-- Sources: intermediate.int_non_recours_base, intermediate.int_non_recours_calibration,
-- staging.ref_non_recours_drees. The formulas of docs/methodes/non_recours.md, for every QPV (publishable or not;
-- int_indicateurs_qpv_non_recours withholds the others):
--   (a) coverage index  I_i = 100 × R_i / (P_i × C), C = sum(R) / sum(P) over the publishable QPV of the edition;
--   (b) non-recours     E_i = max(kappa_s × P_i, R_i), taux_s = 100 × (E_i - R_i) / E_i for the scenarios
--       central, bas, haut of the calibration; bounds = [taux_bas - m_i, taux_haut + m_i] within [0, 100], with the
--       binomial margin m_i = 100 × z × sqrt(r × (1 - r) / E_i) (r: central DREES rate, E_i: central eligible).
with base as (
    select * from intermediate.int_non_recours_base
),

calibration as (
    select * from intermediate.int_non_recours_calibration
),

parametres as (
    select
        max(valeur) filter (where parametre = 'quantile_marge') as quantile_marge,
        max(valeur) filter (where parametre = 'seuil_denominateur') as seuil_denominateur
    from staging.ref_non_recours_drees
    where prestation = '*'
),

scenarios as (
    select
        millesime,
        prestation,
        max(kappa) filter (where scenario = 'central') as kappa_central,
        max(kappa) filter (where scenario = 'bas') as kappa_bas,
        max(kappa) filter (where scenario = 'haut') as kappa_haut,
        max(taux_non_recours_national) filter (where scenario = 'central') / 100 as taux_national_central,
        max(couverture_reference) as couverture_reference
    from calibration
    group by millesime, prestation
),

eligibles as (
    select
        base.*,
        scenarios.couverture_reference,
        scenarios.taux_national_central,
        base.population_pauvre * scenarios.couverture_reference as allocataires_attendus,
        greatest(scenarios.kappa_central * base.population_pauvre, base.allocataires) as foyers_eligibles,
        greatest(scenarios.kappa_bas * base.population_pauvre, base.allocataires) as foyers_eligibles_bas,
        greatest(scenarios.kappa_haut * base.population_pauvre, base.allocataires) as foyers_eligibles_haut
    from base
    left join scenarios on scenarios.millesime = base.millesime and scenarios.prestation = base.prestation
),

taux as (
    select
        eligibles.*,
        100 * eligibles.allocataires / nullif(eligibles.allocataires_attendus, 0) as indice_couverture,
        eligibles.foyers_eligibles - eligibles.allocataires as foyers_non_recourants,
        100 * (1 - eligibles.allocataires / nullif(eligibles.foyers_eligibles, 0)) as non_recours,
        100 * (1 - eligibles.allocataires / nullif(eligibles.foyers_eligibles_bas, 0)) as non_recours_scenario_bas,
        100 * (1 - eligibles.allocataires / nullif(eligibles.foyers_eligibles_haut, 0)) as non_recours_scenario_haut,
        100 * parametres.quantile_marge
        * sqrt(eligibles.taux_national_central * (1 - eligibles.taux_national_central)
            / nullif(eligibles.foyers_eligibles, 0)) as marge,
        parametres.seuil_denominateur
    from eligibles
    cross join parametres
),

final as (
    select
        code_qp,
        lib_qp,
        millesime,
        prestation,
        taux_pauvrete_60,
        population,
        foyers_allocataires,
        population_pauvre,
        allocataires,
        couverture,
        couverture_reference,
        allocataires_attendus,
        indice_couverture,
        foyers_eligibles,
        foyers_eligibles_bas,
        foyers_eligibles_haut,
        foyers_non_recourants,
        non_recours,
        non_recours_scenario_bas,
        non_recours_scenario_haut,
        marge,
        greatest(0, non_recours_scenario_bas - marge) as non_recours_borne_basse,
        least(100, non_recours_scenario_haut + marge) as non_recours_borne_haute,
        publiable,
        -- Published only for QPV of the calibration whose denominators reach the project threshold.
        coalesce(publiable and foyers_eligibles >= seuil_denominateur, false) as publiable_non_recours,
        coalesce(publiable and allocataires_attendus >= seuil_denominateur, false) as publiable_indice,
        fichier_sha256
    from taux
)

select * from final
