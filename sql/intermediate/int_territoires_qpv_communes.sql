-- Grain: one row per QPV (geographie qpv2015 | qpv2024) and commune it lies in. Sources: staging.stg_qpv2015 (commune
-- names of the DEMO files, no INSEE code), staging.stg_qpv2024 (`insee_com` list of the ANCT perimeters),
-- staging.stg_territoires_noms_communes (COG names), staging.stg_communes (département of each commune). Communes are
-- taken at the commune level of the current COG: a municipal arrondissement (Paris, Lyon, Marseille) counts as its
-- parent commune, an old name of a merged commune as the commune nouvelle. 2015 names are matched on the name within
-- the QPV's département (the commune itself first, then an arrondissement, delegated or associated commune), else on a
-- name unique in France (a QPV coded in one département can reach a commune of the next one). Unmatched names keep
-- code_commune null (e.g. 2024 QPV of French Polynesia and Saint-Martin, which are not in the COG).
-- est_principale: a QPV spanning several communes is attached to ONE commune, its main commune, for every territory
-- aggregate (commune, EPCI, département, région): among the listed communes that lie in the département the QPV's code
-- names (QP062040 / QN062xxx -> 62, QP02A001 -> 2A, QP974049 -> 974: code_departement_qp), the one that holds the most
-- QPV of the same geography (the centre of the urban area), ties broken by the producer's order of the list. A commune
-- of another département (a QPV across a département border, e.g. QP062040 "Cornuault", Évin-Malmaison (62) and
-- Ostricourt (59)) stays in the list but is never the main commune, so that a QPV counts in the département of its
-- code, as in INSEE's and ANCT's counts; with no listed commune in that département, the QPV has no main commune
-- (int_territoires_qpv then takes the département from the code). No population by commune and QPV is published, so the
-- main commune is a rule of the project, not a population share.
with noms as (
    select * from staging.stg_territoires_noms_communes
),

communes as (
    select code_commune, code_departement from staging.stg_communes
),

-- Département named by the QPV code, both geographies (same rule as staging.stg_qpv2015).
qpv as (
    select 'qpv2015' as geographie, code_qp from staging.stg_qpv2015
    union all
    select 'qpv2024' as geographie, code_qp from staging.stg_qpv2024
),

departements_qpv as (
    select
        geographie,
        code_qp,
        case
            when substr(code_qp, 3, 1) = '0' then substr(code_qp, 4, 2)
            else substr(code_qp, 3, 3)
        end as code_departement_qp
    from qpv
),

listes_2015 as (
    select
        code_qp,
        code_departement,
        unnest(string_split(lib_com, ', ')) as nom,
        generate_subscripts(string_split(lib_com, ', '), 1) as rang
    from staging.stg_qpv2015
    where lib_com is not null
),

cles_2015 as (
    select
        *,
        trim(regexp_replace(lower(strip_accents(nom)), '[^a-z0-9]+', ' ', 'g')) as nom_cle
    from listes_2015
),

match_departement as (
    select
        c.code_qp,
        c.rang,
        n.code_commune
    from cles_2015 as c
    inner join noms as n on n.nom_cle = c.nom_cle and n.code_departement = c.code_departement
    qualify row_number() over (partition by c.code_qp, c.rang order by n.priorite, n.code_commune) = 1
),

noms_uniques as (
    select nom_cle, any_value(code_commune) as code_commune
    from noms
    group by nom_cle
    having count(distinct code_commune) = 1
),

communes_2015 as (
    select
        'qpv2015' as geographie,
        c.code_qp,
        c.rang,
        c.nom as lib_commune_producteur,
        coalesce(d.code_commune, u.code_commune) as code_commune,
        case
            when d.code_commune is not null then 'nom dans le département'
            when u.code_commune is not null then 'nom unique en France'
            else 'non trouvé'
        end as methode
    from cles_2015 as c
    left join match_departement as d on d.code_qp = c.code_qp and d.rang = c.rang
    left join noms_uniques as u on u.nom_cle = c.nom_cle
),

listes_2024 as (
    select
        code_qp,
        unnest(codes_communes) as code_nom,
        unnest(libs_communes) as lib_commune_producteur,
        generate_subscripts(codes_communes, 1) as rang
    from staging.stg_qpv2024
),

communes_2024 as (
    select
        'qpv2024' as geographie,
        l.code_qp,
        l.rang,
        l.lib_commune_producteur,
        n.code_commune,
        case when n.code_commune is not null then 'code INSEE' else 'code absent du COG' end as methode
    from listes_2024 as l
    left join (select distinct code_nom, code_commune from noms where type_commune in ('COM', 'ARM')) as n
        on n.code_nom = l.code_nom
),

toutes as (
    select * from communes_2015
    union all
    select * from communes_2024
),

-- One row per QPV and commune (two arrondissements of the same city are one commune).
dedoublonnees as (
    select * from toutes
    qualify row_number() over (
        partition by geographie, code_qp, coalesce(code_commune, lib_commune_producteur) order by rang
    ) = 1
),

qpv_par_commune as (
    select geographie, code_commune, count(distinct code_qp) as nb_qpv_commune
    from dedoublonnees
    where code_commune is not null
    group by all
),

candidates as (
    select
        d.*,
        dq.code_departement_qp,
        c.code_departement as code_departement_commune,
        coalesce(c.code_departement = dq.code_departement_qp, false) as dans_departement_qp,
        coalesce(q.nb_qpv_commune, 0) as nb_qpv_commune
    from dedoublonnees as d
    left join departements_qpv as dq on dq.geographie = d.geographie and dq.code_qp = d.code_qp
    left join communes as c on c.code_commune = d.code_commune
    left join qpv_par_commune as q on q.geographie = d.geographie and q.code_commune = d.code_commune
),

final as (
    select
        geographie,
        code_qp,
        rang,
        lib_commune_producteur,
        code_commune,
        methode,
        code_departement_qp,
        code_departement_commune,
        dans_departement_qp,
        nb_qpv_commune,
        dans_departement_qp and row_number() over (
            partition by geographie, code_qp
            order by dans_departement_qp desc, nb_qpv_commune desc, rang
        ) = 1 as est_principale
    from candidates
)

select * from final
order by geographie, code_qp, rang
