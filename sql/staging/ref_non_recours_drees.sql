-- Grain: one row per (prestation, parametre). Source: this file — the national references and thresholds of the
-- non-recours estimators (docs/methodes/non_recours.md), as data with their source and year, never as literals in
-- the queries. Rates in %. prestation: 'rsa' (RSA socle, REVN.ARSAS) | 'prime_activite' (REVN.APPA) | '*' (both).
with parametres (prestation, parametre, valeur, unite, annee_reference, source, note) as (
    values
    (
        'rsa', 'taux_non_recours_central', 34.0, '%', 2018,
        'DREES, Les Dossiers de la DREES n° 92 (février 2022), « Mesurer régulièrement le non-recours au RSA et à la prime d''activité : méthode et résultats » (Hannafi, Le Gall, Omalek, Marc)',
        'Part des foyers éligibles au RSA non recourants en moyenne chaque trimestre, France métropolitaine, 2018 (un tiers). Concept le plus proche d''un effectif d''allocataires observé à une date (ARSAS, décembre).'
    ),
    (
        'rsa', 'taux_non_recours_bas', 20.0, '%', 2018,
        'DREES, Les Dossiers de la DREES n° 92 (février 2022)',
        'Non-recours pérenne (trois trimestres consécutifs), 2018 (un sur cinq) : borne basse du non-recours trimestriel.'
    ),
    (
        'rsa', 'taux_non_recours_haut', 34.0, '%', 2018,
        'DREES, Les Dossiers de la DREES n° 92 (février 2022)',
        'Pas de borne haute publiée : le chiffre trimestriel sert de borne haute nationale ; l''incertitude locale s''y ajoute (marge binomiale).'
    ),
    (
        'prime_activite', 'taux_non_recours_central', 27.0, '%', 2016,
        'DGCS avec la DREES et la CNAF, Rapport d''évaluation de la prime d''activité (2017), chiffre repris par DOMAIN.md §3',
        'Non-recours à la prime d''activité de l''ordre de 27 % en 2016 (« moins de 30 % » dans la synthèse du rapport). La DREES (2022) n''a pas pu en établir une mesure régulière fiable.'
    ),
    (
        'prime_activite', 'taux_non_recours_bas', 20.0, '%', 2016,
        'Hypothèse du projet (aucune borne publiée)',
        'Hypothèse : le recours a pu progresser après la revalorisation de janvier 2019 ; même plancher que le non-recours pérenne au RSA. À revoir dès qu''une estimation publiée existe.'
    ),
    (
        'prime_activite', 'taux_non_recours_haut', 30.0, '%', 2016,
        'DGCS avec la DREES et la CNAF, Rapport d''évaluation de la prime d''activité (2017)',
        '« Moins de 30 % » : borne haute nationale.'
    ),
    (
        '*', 'seuil_foyers_allocataires', 50.0, 'foyers', null,
        'Règle du projet (DOMAIN.md §3 et §5)',
        'Estimation non publiée (secret) quand le quartier compte moins de 50 foyers allocataires CAF (REVN.A) : trop bruitée.'
    ),
    (
        '*', 'seuil_effectif', 11.0, 'foyers', null,
        'Règle du projet (DOMAIN.md §5)',
        'Aucun effectif inférieur à 11 publié ; une estimation qui permettrait de le retrouver (allocataires < 11) est aussi secrète.'
    ),
    (
        '*', 'seuil_denominateur', 50.0, 'foyers', null,
        'Règle du projet (DOMAIN.md §5)',
        'Aucun ratio publié dont le dénominateur (foyers éligibles estimés, allocataires attendus) est inférieur à 50.'
    ),
    (
        '*', 'quantile_marge', 1.96, 'z', null,
        'Règle du projet',
        'Quantile de la loi normale (intervalle à 95 %) de la marge binomiale ajoutée aux bornes locales.'
    )
),

final as (
    select
        prestation,
        parametre,
        cast(valeur as double) as valeur,
        unite,
        cast(annee_reference as integer) as annee_reference,
        source,
        note
    from parametres
)

select * from final
