-- Grain: one row per (code_qp, terrain, categorie, type_periode, periode): the terrain observations of a 2024 QPV
-- aggregated by year ('2025') and by semester ('2025-S1'). Sources: intermediate.int_terrain_observations (conforming,
-- anonymised observations; never the free text nor the structure's name), marts.ref_indicateurs (seuil_secret of
-- a plain count, DOMAIN.md §5). Never a single record: nb_observations, nb_concernes (persons or households, as the
-- structures estimated them) and nb_structures are published only for cells of at least 3 observations and of at
-- least seuil_secret (11) persons or households; otherwise secret = true and the counts are null (never 0).
-- Secondary suppression: in a (QPV, terrain, year), one secret category makes the smallest published category of
-- the year secret too (the terrain's yearly total is published in marts.terrain_croisement); and a category whose
-- year or one of whose semesters is secret has all its semesters of that year secret (year = S1 + S2).
with observations as (
    select * from intermediate.int_terrain_observations
),

seuils as (
    select
        coalesce(
            (select seuil_secret from marts.ref_indicateurs where code = 'population'), 11
        ) as seuil_effectif,  -- the threshold of a plain count (DOMAIN.md §5), as data
        3 as seuil_observations
),

cellules as (
    select
        code_qp, any_value(lib_qp) as lib_qp, terrain, categorie, 'annee' as type_periode,
        cast(annee as varchar) as periode, annee,
        count(*) as nb_observations, sum(nombre_concernes) as nb_concernes,
        count(distinct structure_empreinte) as nb_structures
    from observations
    group by code_qp, terrain, categorie, annee
    union all
    select
        code_qp, any_value(lib_qp) as lib_qp, terrain, categorie, 'semestre' as type_periode,
        semestre as periode, annee,
        count(*) as nb_observations, sum(nombre_concernes) as nb_concernes,
        count(distinct structure_empreinte) as nb_structures
    from observations
    group by code_qp, terrain, categorie, semestre, annee
),

primaire as (
    select
        c.*,
        s.seuil_effectif,
        s.seuil_observations,
        c.nb_concernes < s.seuil_effectif or c.nb_observations < s.seuil_observations as secret_primaire
    from cellules as c
    cross join seuils as s
),

-- yearly cells: one secret category among published ones -> the smallest published one is suppressed as well
annuel as (
    select
        *,
        count(*) filter (where secret_primaire) over categories_annee as nb_secrets,
        row_number() over (
            partition by code_qp, terrain, annee order by secret_primaire, nb_concernes, nb_observations, categorie
        ) as rang_publie
    from primaire
    where type_periode = 'annee'
    window categories_annee as (partition by code_qp, terrain, annee)
),

annuel_final as (
    select
        * exclude (nb_secrets, rang_publie),
        secret_primaire or (nb_secrets = 1 and rang_publie = 1 and not secret_primaire) as secret,
        case
            when secret_primaire then 'primaire'
            when nb_secrets = 1 and rang_publie = 1 then 'secondaire'
        end as motif_secret
    from annuel
),

-- semesters: secret as soon as the category's year or one of its semesters is secret
semestres as (
    select
        p.*,
        bool_or(p.secret_primaire) over (partition by p.code_qp, p.terrain, p.categorie, p.annee)
        or coalesce(a.secret, false) as secret_groupe
    from primaire as p
    left join annuel_final as a
        on a.code_qp = p.code_qp and a.terrain = p.terrain and a.categorie = p.categorie and a.annee = p.annee
    where p.type_periode = 'semestre'
),

semestres_final as (
    select
        * exclude (secret_groupe),
        secret_groupe as secret,
        case when secret_primaire then 'primaire' when secret_groupe then 'secondaire' end as motif_secret
    from semestres
),

toutes as (
    select * from annuel_final
    union all by name
    select * from semestres_final
),

final as (
    select
        code_qp,
        lib_qp,
        terrain,
        categorie,
        type_periode,
        periode,
        annee,
        case when secret then null else nb_observations end as nb_observations,
        case when secret then null else nb_concernes end as nb_concernes,
        case when secret then null else nb_structures end as nb_structures,
        secret,
        motif_secret,
        seuil_effectif as seuil_secret,
        seuil_observations,
        'Observations de terrain anonymisées (centres de ressources et acteurs locaux), déclaratives et non '
        || 'représentatives' as source
    from toutes
)

select * from final
order by code_qp, terrain, categorie, type_periode, periode
