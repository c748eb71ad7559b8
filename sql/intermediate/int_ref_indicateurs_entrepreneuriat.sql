-- Grain: one row per indicator code of the entrepreneurship theme (intermediate.int_indicateurs_qpv_entrepreneuriat).
-- Source: this file, the dictionary rows of the theme (unioned into marts.ref_indicateurs). Thresholds (seuil_secret)
-- are the project's rules of DOMAIN.md §5: no count under 11, no ratio whose denominator is under 50.
with dictionary (
    code, theme, libelle, definition, formule, unite, facteur, agregation, numerateur_code, denominateur_code,
    source, geographie, annee_reference, precautions, seuil_secret
) as (
    values
    (
        'creations_etablissements',
        'entrepreneuriat',
        'Créations d''établissements',
        'Nombre d''établissements créés dans l''année (date de création SIRENE) et localisés dans le quartier, qu''ils soient encore actifs ou non.',
        'Nombre de SIRET du stock dont l''année de dateCreationEtablissement est l''année, géolocalisés (qualite_xy ≠ 33) dans le quartier',
        'nombre',
        1.0,
        'somme',
        null,
        null,
        'INSEE, répertoire SIRENE (stock des établissements et géolocalisation pour études statistiques)',
        'qpv2015, qpv2024',
        'Le millésime est l''année de création (égale à l''année de référence), recalculée sur le dernier stock chargé ; seules les années complètes avant la date du stock sont publiées, à partir de 2015.',
        'Localisation actuelle de l''établissement (un établissement transféré a un nouveau SIRET). Les établissements fermés absents du fichier de géolocalisation et les points aléatoires dans la commune (qualite_xy = 33) ne sont pas comptés. Les créations comprennent les créations d''établissements secondaires.',
        11
    ),
    (
        'creations_etablissements_ei',
        'entrepreneuriat',
        'Créations d''établissements d''entrepreneurs individuels',
        'Nombre d''établissements créés dans l''année et localisés dans le quartier dont l''unité légale est un entrepreneur individuel (catégorie juridique 1000, micro-entrepreneurs compris).',
        'Comme creations_etablissements, restreint à la catégorie juridique 1000',
        'nombre',
        1.0,
        'somme',
        null,
        null,
        'INSEE, répertoire SIRENE',
        'qpv2015, qpv2024',
        'Millésime = année de création (voir creations_etablissements).',
        'SIRENE ne distingue pas le régime micro-entrepreneur : la catégorie 1000 (entrepreneur individuel) l''inclut et le dépasse.',
        11
    ),
    (
        'part_creations_entrepreneurs_individuels',
        'entrepreneuriat',
        'Part des entrepreneurs individuels dans les créations',
        'Part des créations d''établissements de l''année dont l''unité légale est un entrepreneur individuel (catégorie juridique 1000, dont les micro-entrepreneurs).',
        '100 × creations_etablissements_ei / creations_etablissements',
        '%',
        100.0,
        'ratio',
        'creations_etablissements_ei',
        'creations_etablissements',
        'INSEE, répertoire SIRENE',
        'qpv2015, qpv2024',
        'Millésime = année de création (voir creations_etablissements).',
        'Approche de la part des micro-entrepreneurs (non identifiables dans SIRENE). Valeur non définie (vide) sans création dans l''année.',
        50
    ),
    (
        'taux_creation',
        'entrepreneuriat',
        'Taux de création d''établissements pour 1 000 habitants',
        'Créations d''établissements de l''année localisées dans le quartier, rapportées à la population du quartier.',
        '1000 × creations_etablissements / population',
        '‰',
        1000.0,
        'ratio',
        'creations_etablissements',
        'population',
        'INSEE, répertoire SIRENE ; population : ANCT/ONPV, fichiers DEMO (population municipale)',
        'qpv2015',
        'Millésime = année de création ; population de l''édition DEMO de cette année ou, à défaut, de la dernière édition antérieure (de la plus ancienne pour les années qui précèdent toutes les éditions).',
        'Publié pour la seule géographie 2015 : le projet n''a pas encore de fichier de population des QPV 2024, l''indicateur n''est pas émis en qpv2024. Établissements au lieu de travail rapportés aux habitants.',
        50
    )
),

final as (
    select
        code,
        theme,
        libelle,
        definition,
        formule,
        unite,
        cast(facteur as double) as facteur,
        agregation,
        numerateur_code,
        denominateur_code,
        source,
        geographie,
        annee_reference,
        precautions,
        cast(seuil_secret as integer) as seuil_secret
    from dictionary
)

select * from final
