-- Grain: one row per indicator code of the "base" theme (the counts other indicators divide by). Source: this file,
-- part of the observatory's dictionary (marts.ref_indicateurs is the union of intermediate.int_ref_indicateurs_*).
-- seuil_secret is data: intermediate.int_indicateurs_qpv_base reads it to suppress small counts (DOMAIN.md §5).
with dictionnaire (
    code, theme, libelle, definition, formule, unite, facteur, agregation, numerateur_code, denominateur_code,
    source, geographie, annee_reference, precautions, seuil_secret
) as (
    values
    (
        'population',
        'base',
        'Population municipale',
        'Population municipale du quartier prioritaire (recensement de la population), telle que publiée par l''ANCT/ONPV.',
        'DEMO.POP_MUN (data_DEMO_<millésime>_V1_QP.POP_MUN quand le fichier DEMO du millésime manque)',
        'habitants',
        1.0,
        'somme',
        null,
        null,
        'ANCT/ONPV, fichiers DEMO (INSEE, recensement de la population)',
        'qpv2015',
        'Millésime = étiquette de publication ANCT/ONPV ; l''année du recensement utilisé est antérieure de plusieurs années et n''est pas écrite dans les fichiers.',
        'Aucune population n''est publiée dans les fichiers de la géographie 2024 disponibles ici : pas de ligne qpv2024.',
        11
    ),
    (
        'population_15_64_estimee',
        'base',
        'Population de 15 à 64 ans (estimation)',
        'Estimation du nombre d''habitants de 15 à 64 ans : les fichiers DEMO ne donnent que la part des 0-24 ans et celle des 60 ans ou plus. On ajoute aux 25-59 ans une fraction des 0-24 ans (les 15-24 ans : 40 %, 10 âges sur 25, fourchette 35-45 %) et une fraction des 60 ans ou plus (les 60-64 ans : 28 %, fourchette 20-36 %). Quand une des deux parts n''est pas diffusée, on applique au quartier le rapport « 15-64 ans estimés / population » de l''ensemble des quartiers du millésime dont les parts sont connues, entre le 5e centile des rapports bas et le 95e centile des rapports hauts. Hypothèses du projet, pas une donnée INSEE.',
        'POP_MUN × (1 − TX_TOT_0A24/100 − TX_TOT_60ETPLUS/100) + POP_MUN × TX_TOT_0A24/100 × k1 + POP_MUN × TX_TOT_60ETPLUS/100 × k2, arrondi à l''unité ; valeur centrale k1 = 0,40, k2 = 0,28 ; borne basse k1 = 0,35, k2 = 0,20 ; borne haute k1 = 0,45, k2 = 0,36 ; parts non diffusées : POP_MUN × rapport de l''ensemble des QPV du millésime',
        'habitants',
        1.0,
        'somme',
        null,
        null,
        'ANCT/ONPV, fichiers DEMO (INSEE, recensement de la population) ; estimation du projet',
        'qpv2015',
        'Celle de la population du recensement des fichiers DEMO (voir population).',
        'Estimation : la vraie population de 15 à 64 ans est dans la base INSEE « population des QPV », absente des fichiers ANCT ; utiliser borne_basse / borne_haute. Les fractions supposées s''appliquent à tous les quartiers (structure par âge fine inconnue).',
        11
    ),
    (
        'foyers_allocataires',
        'base',
        'Foyers allocataires CAF',
        'Nombre de foyers allocataires d''au moins une prestation de la CAF (allocataire, conjoint, enfants et autres personnes à charge forment un foyer).',
        'REVN.A (DEMO.A pour les millésimes sans fichier REVN)',
        'foyers',
        1.0,
        'somme',
        null,
        null,
        'ANCT/ONPV, fichiers REVN et DEMO (CNAF)',
        'qpv2015',
        'Allocataires CNAF au 31 décembre d''une année antérieure au millésime, non écrite dans les fichiers.',
        'Dénominateur des parts d''allocataires. Pour un quartier du millésime 2017, REVN et DEMO diffèrent de 100 foyers : REVN est retenu.',
        11
    ),
    (
        'personnes_couvertes_caf',
        'base',
        'Personnes couvertes par la CAF',
        'Nombre de personnes couvertes par au moins une prestation CAF (allocataires, conjoints, enfants et autres personnes à charge).',
        'DEMO.PERCOU',
        'personnes',
        1.0,
        'somme',
        null,
        null,
        'ANCT/ONPV, fichiers DEMO (CNAF)',
        'qpv2015',
        'Données CNAF d''une année antérieure au millésime, non écrite dans les fichiers.',
        'Numérateur de part_population_couverte_caf.',
        11
    ),
    (
        'personnes_couvertes_regime_general',
        'base',
        'Personnes couvertes par le régime général d''assurance maladie',
        'Nombre de personnes couvertes par le régime général de l''assurance maladie (CNAM) résidant dans le quartier.',
        'REVN.C (à partir du millésime 2021)',
        'personnes',
        1.0,
        'somme',
        null,
        null,
        'ANCT/ONPV, fichiers REVN (CNAM)',
        'qpv2015',
        'Données CNAM d''une année antérieure ou égale au millésime, non écrite dans les fichiers.',
        'Dénominateur de taux_couverture_c2s ; absent des millésimes 2017 à 2019.',
        11
    )
),

final as (
    select
        cast(code as varchar) as code,
        cast(theme as varchar) as theme,
        cast(libelle as varchar) as libelle,
        cast(definition as varchar) as definition,
        cast(formule as varchar) as formule,
        cast(unite as varchar) as unite,
        cast(facteur as double) as facteur,
        cast(agregation as varchar) as agregation,
        cast(numerateur_code as varchar) as numerateur_code,
        cast(denominateur_code as varchar) as denominateur_code,
        cast(source as varchar) as source,
        cast(geographie as varchar) as geographie,
        cast(annee_reference as varchar) as annee_reference,
        cast(precautions as varchar) as precautions,
        cast(seuil_secret as integer) as seuil_secret
    from dictionnaire
)

select * from final
