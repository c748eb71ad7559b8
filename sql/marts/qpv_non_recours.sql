-- Grain: one row per (code_qp, geographie, millesime). Source: marts.indicateurs_qpv (secret values already null).
-- Convenience wide view of non-recours (thème non_recours): estimations avec leur fourchette: one column per indicator code of marts.ref_indicateurs (null when secret or
-- absent from the edition, never 0); estimates carry their bounds (<code>_borne_basse, <code>_borne_haute).
-- nb_secrets = number of the view's indicators withheld for the row; rupture = one of them breaks its series.
with indicateurs as (
    select * from marts.indicateurs_qpv
    where indicateur in (
        'non_recours_rsa_estime',
        'indice_couverture_rsa',
        'non_recours_prime_activite_estime',
        'indice_couverture_prime_activite',
        'foyers_eligibles_rsa_estimes',
        'foyers_non_recourants_rsa_estimes',
        'foyers_eligibles_prime_activite_estimes',
        'foyers_non_recourants_prime_activite_estimes',
        'allocataires_rsa_socle',
        'allocataires_prime_activite',
        'population_pauvre_estimee'
    )
),

final as (
    select
        code_qp,
        any_value(lib_qp) as lib_qp,
        geographie,
        millesime,
        max(valeur) filter (where indicateur = 'non_recours_rsa_estime') as non_recours_rsa_estime,
        max(borne_basse) filter (where indicateur = 'non_recours_rsa_estime') as non_recours_rsa_estime_borne_basse,
        max(borne_haute) filter (where indicateur = 'non_recours_rsa_estime') as non_recours_rsa_estime_borne_haute,
        max(valeur) filter (where indicateur = 'indice_couverture_rsa') as indice_couverture_rsa,
        max(valeur) filter (where indicateur = 'non_recours_prime_activite_estime') as non_recours_prime_activite_estime,
        max(borne_basse) filter (where indicateur = 'non_recours_prime_activite_estime') as non_recours_prime_activite_estime_borne_basse,
        max(borne_haute) filter (where indicateur = 'non_recours_prime_activite_estime') as non_recours_prime_activite_estime_borne_haute,
        max(valeur) filter (where indicateur = 'indice_couverture_prime_activite') as indice_couverture_prime_activite,
        max(valeur) filter (where indicateur = 'foyers_eligibles_rsa_estimes') as foyers_eligibles_rsa_estimes,
        max(borne_basse) filter (where indicateur = 'foyers_eligibles_rsa_estimes') as foyers_eligibles_rsa_estimes_borne_basse,
        max(borne_haute) filter (where indicateur = 'foyers_eligibles_rsa_estimes') as foyers_eligibles_rsa_estimes_borne_haute,
        max(valeur) filter (where indicateur = 'foyers_non_recourants_rsa_estimes') as foyers_non_recourants_rsa_estimes,
        max(borne_basse) filter (where indicateur = 'foyers_non_recourants_rsa_estimes') as foyers_non_recourants_rsa_estimes_borne_basse,
        max(borne_haute) filter (where indicateur = 'foyers_non_recourants_rsa_estimes') as foyers_non_recourants_rsa_estimes_borne_haute,
        max(valeur) filter (where indicateur = 'foyers_eligibles_prime_activite_estimes') as foyers_eligibles_prime_activite_estimes,
        max(borne_basse) filter (where indicateur = 'foyers_eligibles_prime_activite_estimes') as foyers_eligibles_prime_activite_estimes_borne_basse,
        max(borne_haute) filter (where indicateur = 'foyers_eligibles_prime_activite_estimes') as foyers_eligibles_prime_activite_estimes_borne_haute,
        max(valeur) filter (where indicateur = 'foyers_non_recourants_prime_activite_estimes') as foyers_non_recourants_prime_activite_estimes,
        max(borne_basse) filter (where indicateur = 'foyers_non_recourants_prime_activite_estimes') as foyers_non_recourants_prime_activite_estimes_borne_basse,
        max(borne_haute) filter (where indicateur = 'foyers_non_recourants_prime_activite_estimes') as foyers_non_recourants_prime_activite_estimes_borne_haute,
        max(valeur) filter (where indicateur = 'allocataires_rsa_socle') as allocataires_rsa_socle,
        max(valeur) filter (where indicateur = 'allocataires_prime_activite') as allocataires_prime_activite,
        max(valeur) filter (where indicateur = 'population_pauvre_estimee') as population_pauvre_estimee,
        count(*) filter (where secret) as nb_secrets,
        bool_or(rupture) as rupture
    from indicateurs
    group by code_qp, geographie, millesime
)

select * from final
order by geographie, millesime, code_qp
