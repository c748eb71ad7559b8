-- Grain: one row per (code_qp, geographie, millesime). Source: marts.indicateurs_qpv (secret values already null).
-- Convenience wide view of pauvreté et revenus (thème pauvrete, et foyers_allocataires et population du thème base): one column per indicator code of marts.ref_indicateurs (null when secret or
-- absent from the edition, never 0); estimates carry their bounds (<code>_borne_basse, <code>_borne_haute).
-- nb_secrets = number of the view's indicators withheld for the row; rupture = one of them breaks its series.
with indicateurs as (
    select * from marts.indicateurs_qpv
    where indicateur in (
        'taux_pauvrete_60',
        'revenu_median_uc',
        'part_prestations_revenu',
        'part_allocataires_dependants_50',
        'part_allocataires_dependants_100',
        'part_allocataires_rsa',
        'part_allocataires_prime_activite',
        'part_allocataires_aah',
        'taux_couverture_c2s',
        'part_population_couverte_caf',
        'foyers_allocataires',
        'population'
    )
),

final as (
    select
        code_qp,
        any_value(lib_qp) as lib_qp,
        geographie,
        millesime,
        max(valeur) filter (where indicateur = 'taux_pauvrete_60') as taux_pauvrete_60,
        max(valeur) filter (where indicateur = 'revenu_median_uc') as revenu_median_uc,
        max(valeur) filter (where indicateur = 'part_prestations_revenu') as part_prestations_revenu,
        max(valeur) filter (where indicateur = 'part_allocataires_dependants_50') as part_allocataires_dependants_50,
        max(valeur) filter (where indicateur = 'part_allocataires_dependants_100') as part_allocataires_dependants_100,
        max(valeur) filter (where indicateur = 'part_allocataires_rsa') as part_allocataires_rsa,
        max(valeur) filter (where indicateur = 'part_allocataires_prime_activite') as part_allocataires_prime_activite,
        max(valeur) filter (where indicateur = 'part_allocataires_aah') as part_allocataires_aah,
        max(valeur) filter (where indicateur = 'taux_couverture_c2s') as taux_couverture_c2s,
        max(valeur) filter (where indicateur = 'part_population_couverte_caf') as part_population_couverte_caf,
        max(valeur) filter (where indicateur = 'foyers_allocataires') as foyers_allocataires,
        max(valeur) filter (where indicateur = 'population') as population,
        count(*) filter (where secret) as nb_secrets,
        bool_or(rupture) as rupture
    from indicateurs
    group by code_qp, geographie, millesime
)

select * from final
order by geographie, millesime, code_qp
