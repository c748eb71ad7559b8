-- Grain: one row per indicator code. Sources: intermediate.int_ref_indicateurs_<theme> (base, chomage, pauvrete,
-- non_recours, ess, entrepreneuriat: add a new theme's dictionary here). The observatory's dictionary: every
-- indicator of the marts is defined here and nowhere else; dashboards take their labels from it.
-- Columns of the themes (code, theme, libelle, definition, formule, unite, facteur, agregation, numerateur_code,
-- denominateur_code, source, geographie, annee_reference, precautions, seuil_secret), plus, written here for every
-- indicator from its aggregation and threshold: regle_secret (the disclosure rule applied by marts.indicateurs_qpv
-- and marts.indicateurs_territoire, in French), regle_territoires (how marts.indicateurs_territoire aggregates it),
-- and regle_rupture / millesimes_rupture (when marts.indicateurs_qpv flags rupture = true).
with themes as (
    select * from intermediate.int_ref_indicateurs_base
    union all by name
    select * from intermediate.int_ref_indicateurs_chomage
    union all by name
    select * from intermediate.int_ref_indicateurs_pauvrete
    union all by name
    select * from intermediate.int_ref_indicateurs_non_recours
    union all by name
    select * from intermediate.int_ref_indicateurs_ess
    union all by name
    select * from intermediate.int_ref_indicateurs_entrepreneuriat
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
        t.annee_reference,
        t.precautions,
        t.seuil_secret,
        case
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
        || 'pas de table de passage officielle), changement de source entre deux millésimes successifs du quartier'
        || coalesce(', changement de définition : ' || r.motifs, '')
        || '.' as regle_rupture,
        coalesce(r.millesimes_rupture, []::integer[]) as millesimes_rupture
    from themes as t
    left join ruptures as r on r.code = t.code
)

select * from final
order by theme, code
