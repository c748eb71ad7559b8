-- Grain: one row per indicator code. Source: this file, the observatory's dictionary of indicators.
-- Every indicator of the marts is defined here and nowhere else; dashboards take their labels from it.
with dictionary (
    code, theme, libelle, definition, formule, unite, source, geographie, annee_reference, precautions, seuil_secret
) as (
    values
    (
        'taux_pauvrete_60',
        'pauvrete',
        'Taux de pauvreté (seuil 60 %)',
        'Part des personnes des ménages fiscaux dont le niveau de vie est inférieur à 60 % du niveau de vie médian de France métropolitaine.',
        'REVN.TP60 (publié par l''ANCT/ONPV à partir de Filosofi)',
        '%',
        'ANCT/ONPV, fichiers REVN (INSEE Filosofi)',
        'qpv2015',
        'Le millésime est l''étiquette de publication ANCT/ONPV ; l''année de référence Filosofi est antérieure de plusieurs années (non renseignée tant qu''elle n''est pas vérifiée sur les métadonnées ANCT).',
        'Non additif : un agrégat de plusieurs quartiers n''est qu''une approximation pondérée par la population.',
        'Valeur non diffusée par le producteur (cellule vide) : secret.'
    ),
    (
        'revenu_median_uc',
        'pauvrete',
        'Revenu disponible médian par unité de consommation',
        'Médiane du revenu disponible (après impôts et prestations) par unité de consommation des ménages fiscaux du quartier.',
        'REVN.DISP_Q2',
        '€/UC/an',
        'ANCT/ONPV, fichiers REVN (INSEE Filosofi)',
        'qpv2015',
        'Voir taux_pauvrete_60 : millésime de publication, année de référence antérieure.',
        'Une médiane ne s''additionne pas et ne se moyenne pas entre quartiers.',
        'Valeur non diffusée par le producteur (cellule vide) : secret.'
    )
),

final as (
    select * from dictionary
)

select * from final
