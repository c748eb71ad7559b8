-- Grain: one row per edition (millesime), prestation and scenario ('central' | 'bas' | 'haut').
-- Sources: intermediate.int_non_recours_base (publishable QPV only), staging.ref_non_recours_drees (DREES rates).
-- National calibration of docs/methodes/non_recours.md, method (b): eligible households E_i = max(kappa × P_i, R_i);
-- kappa is the unique value for which the all-QPV non-recours sum(E_i - R_i) / sum(E_i) equals the DREES rate r
-- of the scenario. The function is increasing in kappa; between two consecutive coverages c_(j) < kappa <= c_(j+1)
-- (QPV sorted by coverage c = R / P) the QPV 1..j are not capped, which gives the closed form
-- kappa_j = (SR_j + r × (TR - SR_j)) / ((1 - r) × SP_j) (SR_j, SP_j: cumulative R and P, TR: total R);
-- the solution is the kappa_j that lies in its own interval. Also the all-QPV coverage R / P (method (a)).
with base as (
    select * from intermediate.int_non_recours_base
    where publiable
),

taux as (
    select
        prestation,
        case parametre
            when 'taux_non_recours_central' then 'central'
            when 'taux_non_recours_bas' then 'bas'
            when 'taux_non_recours_haut' then 'haut'
        end as scenario,
        valeur / 100 as taux_national
    from staging.ref_non_recours_drees
    where parametre in ('taux_non_recours_central', 'taux_non_recours_bas', 'taux_non_recours_haut')
),

totaux as (
    select
        millesime,
        prestation,
        count(*) as quartiers,
        sum(allocataires) as allocataires,
        sum(population_pauvre) as population_pauvre
    from base
    group by millesime, prestation
),

ordonnes as (
    select
        millesime,
        prestation,
        couverture,
        sum(allocataires) over w as allocataires_cumules,
        sum(population_pauvre) over w as population_pauvre_cumulee,
        lead(couverture) over w as couverture_suivante
    from base
    window w as (
        partition by millesime, prestation order by couverture, code_qp rows between unbounded preceding and current row
    )
),

candidats as (
    select
        o.millesime,
        o.prestation,
        t.scenario,
        t.taux_national,
        o.couverture,
        o.couverture_suivante,
        (o.allocataires_cumules + t.taux_national * (tot.allocataires - o.allocataires_cumules))
        / ((1 - t.taux_national) * o.population_pauvre_cumulee) as kappa
    from ordonnes as o
    inner join taux as t on t.prestation = o.prestation
    inner join totaux as tot on tot.millesime = o.millesime and tot.prestation = o.prestation
),

solution as (
    select millesime, prestation, scenario, taux_national, kappa
    from candidats
    where kappa > couverture and (couverture_suivante is null or kappa <= couverture_suivante)
    qualify row_number() over (partition by millesime, prestation, scenario order by couverture) = 1
),

final as (
    select
        s.millesime,
        s.prestation,
        s.scenario,
        100 * s.taux_national as taux_non_recours_national,
        s.kappa,
        tot.allocataires / tot.population_pauvre as couverture_reference,
        tot.quartiers,
        tot.allocataires,
        tot.population_pauvre
    from solution as s
    inner join totaux as tot on tot.millesime = s.millesime and tot.prestation = s.prestation
)

select * from final
order by millesime, prestation, scenario
