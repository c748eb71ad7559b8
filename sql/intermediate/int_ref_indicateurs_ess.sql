-- Grain: one row per indicator code of the ESS theme (intermediate.int_indicateurs_qpv_ess). Source: this file, the
-- dictionary rows of the theme (unioned into marts.ref_indicateurs). Thresholds (seuil_secret) are the project's
-- rules of DOMAIN.md §5: no count under 11, no ratio whose denominator is under 50 (SIRENE itself withholds none of
-- these figures: the register is public, but the project's rule applies to every published cell).
with dictionary (
    code, theme, libelle, definition, formule, unite, facteur, agregation, numerateur_code, denominateur_code,
    source, geographie, annee_reference, precautions, seuil_secret
) as (
    values
    (
        'etablissements_actifs',
        'ess',
        'Établissements actifs localisés dans le quartier',
        'Nombre d''établissements actifs du répertoire SIRENE (toutes catégories juridiques) dont la géolocalisation, au niveau de l''adresse, tombe dans le quartier.',
        'Nombre de SIRET à l''état A dans le stock, géolocalisés (qualite_xy ≠ 33) dans le périmètre 2024 (jointure spatiale) ou dans le QPV 2015 de plg_qp15',
        'nombre',
        1.0,
        'somme',
        null,
        null,
        'INSEE, répertoire SIRENE (stock des établissements et géolocalisation pour études statistiques)',
        'qpv2015, qpv2024',
        'Le millésime est l''étiquette du stock SIRENE chargé ; l''année de référence est l''année de la date du stock (dernier traitement observé dans le fichier).',
        'Les établissements géolocalisés par un point aléatoire dans la commune (qualite_xy = 33) sont exclus et comptés à part ; les établissements absents du fichier de géolocalisation ne sont pas comptés. QPV 2015 : rattachement par le code plg_qp15 de l''INSEE (aucun périmètre 2015 n''est disponible).',
        11
    ),
    (
        'etablissements_ess',
        'ess',
        'Établissements de l''économie sociale et solidaire (ESS)',
        'Nombre d''établissements actifs localisés dans le quartier dont l''unité légale appartient au périmètre de l''ESS (loi 2014-856) : associations, fondations, mutuelles, coopératives et entreprises commerciales de l''ESS.',
        'Unité légale ESS si (catégorie juridique dans la liste ESS et activité principale hors NAF exclues) ou economieSocialeSolidaireUniteLegale = O ; comptage des SIRET actifs localisés (qualite_xy ≠ 33)',
        'nombre',
        1.0,
        'somme',
        null,
        null,
        'INSEE, répertoire SIRENE (stock des unités légales, des établissements et géolocalisation)',
        'qpv2015, qpv2024',
        'Millésime = étiquette du stock SIRENE ; année de référence = année de la date du stock.',
        'Listes de catégories juridiques et de NAF exclues à vérifier sur la note Flores ESS de l''INSEE (tables de référence ref_ess_*). Le détail par famille ESS et par section NAF est dans la table ess_qpv_detail. Points aléatoires dans la commune (qualite_xy = 33) exclus et comptés à part.',
        11
    ),
    (
        'emplois_ess',
        'ess',
        'Emplois salariés de l''ESS (estimation)',
        'Estimation du nombre de salariés des établissements ESS actifs localisés dans le quartier, à partir de leur tranche d''effectifs salariés.',
        'Somme, sur les établissements ESS, de la valeur centrale de la tranche (milieu : (borne basse + borne haute) / 2) ; borne_basse et borne_haute = sommes des limites des tranches',
        'emplois',
        1.0,
        'somme',
        null,
        null,
        'INSEE, répertoire SIRENE (tranche d''effectifs des établissements)',
        'qpv2015, qpv2024',
        'Millésime = étiquette du stock SIRENE ; les tranches d''effectifs se rapportent à l''année indiquée par anneeEffectifsEtablissement (souvent N−2 par rapport au stock).',
        'Estimation : SIRENE ne publie que des tranches ; l''intervalle [borne_basse, borne_haute] est certain à la tranche près, la valeur centrale est une convention (milieu de tranche). Tranche NN (pas de salarié ou inconnu) et 00 comptées 0 ; tranche 53 bornée à 10 000.',
        11
    ),
    (
        'emplois_salaries_prives',
        'ess',
        'Emplois salariés des employeurs privés (estimation)',
        'Estimation du nombre de salariés des établissements actifs localisés dans le quartier dont l''unité légale est de droit privé (toutes catégories juridiques sauf 4xxx et 7xxx, personnes morales de droit public).',
        'Somme de la valeur centrale des tranches d''effectifs des établissements d''employeurs privés ; bornes = sommes des limites des tranches',
        'emplois',
        1.0,
        'somme',
        null,
        null,
        'INSEE, répertoire SIRENE (tranche d''effectifs des établissements)',
        'qpv2015, qpv2024',
        'Millésime = étiquette du stock SIRENE ; tranches d''effectifs de l''année anneeEffectifsEtablissement.',
        'Estimation par tranches, comme emplois_ess. Dénominateur de part_emplois_ess.',
        11
    ),
    (
        'part_emplois_ess',
        'ess',
        'Part de l''ESS dans l''emploi salarié privé',
        'Part des emplois salariés des établissements ESS dans l''ensemble des emplois salariés des employeurs privés localisés dans le quartier.',
        '100 × emplois_ess / emplois_salaries_prives (valeurs centrales) ; borne_basse = 100 × ESS bas / (ESS bas + autres privés haut), borne_haute = 100 × ESS haut / (ESS haut + autres privés bas)',
        '%',
        100.0,
        'ratio',
        'emplois_ess',
        'emplois_salaries_prives',
        'INSEE, répertoire SIRENE',
        'qpv2015, qpv2024',
        'Millésime = étiquette du stock SIRENE ; année de référence = année de la date du stock.',
        'Emplois estimés par tranches d''effectifs ; ordre de grandeur national : 10 à 11 % des emplois salariés. Valeur non définie (vide) quand le quartier n''a aucun emploi privé estimé.',
        50
    ),
    (
        'emplois_ess_pour_1000_habitants',
        'ess',
        'Emplois de l''ESS pour 1 000 habitants',
        'Emplois salariés estimés des établissements ESS localisés dans le quartier, rapportés à la population du quartier.',
        '1000 × emplois_ess / population (bornes : 1000 × borne de emplois_ess / population)',
        '‰',
        1000.0,
        'ratio',
        'emplois_ess',
        'population',
        'INSEE, répertoire SIRENE ; population : ANCT/ONPV, fichiers DEMO (population municipale)',
        'qpv2015',
        'Emplois : stock SIRENE du millésime ; population : dernière édition DEMO disponible (géographie 2015), donc d''une année antérieure.',
        'Publié pour la seule géographie 2015 : le projet n''a pas encore de fichier de population des QPV 2024, l''indicateur n''est pas émis en qpv2024. Emplois au lieu de travail rapportés aux habitants : ce n''est pas un taux d''emploi des résidents.',
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
