-- Grain: one row per indicator code. Source: intermediate.int_ref_indicateurs (the seed sql/seeds/indicateurs.csv, one row per
-- indicator of every theme). The observatory's dictionary: every indicator of the marts is defined there and nowhere
-- else; dashboards take their labels from it.
-- Columns of the themes (code, theme, libelle, definition, formule, unite, facteur, agregation, numerateur_code,
-- denominateur_code, source, geographie, annee_reference, precautions, producteur, seuil_secret: the producer's rule
-- of staging.ref_regles_secret unless the dictionary sets a stricter one), plus, written here for every
-- indicator from its aggregation and threshold: regle_secret (the disclosure rule applied by marts.indicateurs_qpv
-- and marts.indicateurs_territoire, in French), regle_territoires (how marts.indicateurs_territoire aggregates it),
-- and regle_rupture / millesimes_rupture (when marts.indicateurs_qpv flags rupture = true).
-- annee_reference: the theme's text, followed for the 2015 geography's ANCT/ONPV indicators by the year of the data
-- of each edition, from the seeds (intermediate.int_annees_reference_indicateurs: the indicator's file and family,
-- the family's year per edition and its certainty; the evidence is in marts.annees_reference).
with themes as (
    select * from intermediate.int_ref_indicateurs
),

-- Known changes of definition inside one geography (code, first edition of the new definition, reason): one row per
-- change documented by a producer. None is established for the editions held today (SOURCES.md: ARSAS exists in
-- every REVN edition; C2S replaces CMU-C only in 2021, where the series starts).
ruptures_connues as (
    select * from (values ('', 0, '')) as v (code, millesime, motif)
    where false
),

ruptures as (
    select code, list(millesime order by millesime) as millesimes_rupture, string_agg(motif, ' ; ') as motifs
    from ruptures_connues
    group by code
),

annees as (
    select
        *,
        case certitude when 'etablie' then 'établie' when 'hypothese' then 'hypothèse' else certitude end
            as certitude_fr,
        lag(annee_reference) over serie as annee_precedente,
        lag(millesime) over serie as millesime_precedent,
        lag(donnees) over serie as donnees_precedentes
    from intermediate.int_annees_reference_indicateurs
    window serie as (partition by indicateur, source order by millesime)
),

annees_par_fichier as (
    select
        indicateur as code,
        fichier,
        any_value(note) as note,
        string_agg(millesime || ' : ' || donnees || ' (' || certitude_fr || ')', ', ' order by millesime) as editions
    from annees
    group by indicateur, fichier
),

-- the files with the same years (foyers_allocataires: REVN, or DEMO when the edition has no REVN file) share a text
annees_par_texte as (
    select code, editions, string_agg(fichier, ', ' order by fichier) as fichiers, any_value(note) as note
    from annees_par_fichier
    group by code, editions
),

annees_textes as (
    select
        code,
        'Géographie 2015, données de chaque millésime ANCT/ONPV (preuves dans la table annees_reference des marts) : '
        || string_agg(fichiers || ' ' || editions, ' ; ' order by fichiers) || '.'
        || coalesce(' ' || any_value(note), '') as texte
    from annees_par_texte
    group by code
),

-- The editions where the census behind a census-based family changes base (the rule of marts.indicateurs_qpv,
-- applied to the successive editions of the seed).
changements_base as (
    select
        indicateur as code,
        string_agg(
            distinct millesime || ' (' || donnees_precedentes || ' → ' || donnees || ')', ', '
        ) as motifs
    from annees
    where rupture_si_changement
        and annee_reference <> annee_precedente
        and annee_reference - annee_precedente <> millesime - millesime_precedent
    group by indicateur
),

final as (
    select
        t.code,
        t.theme,
        t.libelle,
        t.definition,
        t.formule,
        t.unite,
        t.facteur,
        t.agregation,
        t.numerateur_code,
        t.denominateur_code,
        t.source,
        t.geographie,
        concat_ws(' ', nullif(t.annee_reference, ''), a.texte) as annee_reference,
        t.precautions,
        t.producteur,
        t.seuil_secret,
        case
            when t.agregation in ('somme', 'ratio') and t.seuil_secret = 0 then
                'Pas de seuil (' || t.regle_producteur || ') Secret (valeur nulle) seulement si la valeur manque. '
            when t.agregation = 'somme' and t.seuil_secret is not null then
                'Secret (valeur nulle, jamais 0) si le producteur ne diffuse pas la valeur ou si l''effectif est inférieur à '
                || t.seuil_secret || '. '
            when t.agregation = 'ratio' and t.seuil_secret is not null then
                'Secret (valeur nulle, jamais 0) si le producteur ne diffuse pas la valeur, si le dénominateur est inférieur à '
                || t.seuil_secret || ' ou si l''effectif du numérateur ou du dénominateur est lui-même secret. '
            else 'Secret (valeur nulle, jamais 0) seulement si le producteur ne diffuse pas la valeur. '
        end
        || case
            when t.agregation in ('somme', 'ratio') then
                'Secret secondaire : dans chaque commune, un seul quartier secret entraîne le secret du plus petit autre '
                || 'quartier de la commune ; à défaut, un quartier d''une autre commune du même EPCI et département, puis '
                || 'd''un autre EPCI du département ; sinon l''agrégat du territoire (commune, EPCI, département, région, '
                || 'France) n''est pas publié. Aucune valeur secrète ne se déduit ainsi d''un total de territoire moins '
                || 'les quartiers publiés, ni en combinant les totaux de plusieurs millésimes (agrégats retenus par '
                || 'l''audit entre millésimes).'
            else 'Pas d''agrégat de territoire publié : pas de secret secondaire.'
        end as regle_secret,
        case t.agregation
            when 'somme' then 'Somme des effectifs des quartiers du territoire dont la valeur est connue.'
            when 'ratio' then
                'Somme des numérateurs / somme des dénominateurs des quartiers du territoire × facteur (jamais une '
                || 'moyenne de taux).'
            else
                'Non agrégé : indicateur non additif (médiane, taux publié sans ses effectifs) ; aucune moyenne, même '
                || 'pondérée, n''est publiée pour un territoire.'
        end as regle_territoires,
        'rupture = vrai sur la première valeur d''une série (quartier × indicateur) qui n''est pas comparable à la '
        || 'précédente : premier millésime de l''indicateur dans la géographie 2024 (codes QN, périmètres redessinés, '
        || 'pas de table de passage officielle), changement de source entre deux millésimes successifs du quartier, '
        || 'changement de base du recensement derrière la valeur (familles marquées rupture_si_changement dans '
        || 'sql/seeds/annees_reference.csv : l''année du recensement change d''un nombre d''années différent de '
        || 'l''écart entre les deux millésimes ; un recensement reconduit, ou qui avance comme le millésime, ne '
        || 'rompt pas la série ; pour les sources annuelles, Filosofi, CAF, CNAM, DEFM, un pas d''un an est la '
        || 'série normale, jamais une rupture)'
        || coalesce(', changement de définition : ' || r.motifs, '')
        || coalesce('. Pour cet indicateur, changement de base du recensement au millésime ' || b.motifs, '')
        || '.' as regle_rupture,
        coalesce(r.millesimes_rupture, []::integer[]) as millesimes_rupture
    from themes as t
    left join ruptures as r on r.code = t.code
    left join annees_textes as a on a.code = t.code
    left join changements_base as b on b.code = t.code
)

select * from final
order by theme, code
