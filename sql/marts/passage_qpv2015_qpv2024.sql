-- Grain: one row per (code_qp2015, code_qp2024) pair and SIRENE edition (millesime); code_qp2024 null = outside
-- every 2024 QPV. Source: intermediate.int_sirene_etablissements_localises, intermediate.int_territoires_qpv (names).
-- ESTABLISHMENT-WEIGHTED CORRESPONDENCE between the 2015 and 2024 geographies (no official table exists,
-- DOMAIN.md §1): the active establishments of the SIRENE stock, geolocated at address level (random points in the
-- commune, qualite_xy = 33, excluded), whose INSEE plg_qp15 code is the 2015 QPV, split by the 2024 QPV that
-- contains their point (spatial join on the 2024 perimeters, compared with INSEE's plg_qp24).
-- part_etablissements_qp2015 = share of the 2015 QPV's establishments lying in the 2024 QPV (sums to 1 over the
-- rows of a 2015 QPV, the null code included); part_etablissements_qp2024 = share of the 2024 QPV's establishments
-- that come from this 2015 QPV. It weights places of work, not residents: use it to show a 2015-geography series
-- next to 2024 figures, labelled as an approximation, never to convert resident-based counts exactly.
with localises as (
    select * from intermediate.int_sirene_etablissements_localises
    where actif and not point_aleatoire
),

qpv2015 as (
    select code_qp, lib_qp from intermediate.int_territoires_qpv where geographie = 'qpv2015'
),

qpv2024 as (
    select code_qp, lib_qp from intermediate.int_territoires_qpv where geographie = 'qpv2024'
),

paires as (
    select
        code_qp2015,
        code_qp2024,
        millesime,
        count(*) as etablissements_communs,
        count(*) filter (where code_qp2024 is not distinct from code_qp2024_insee) as etablissements_plg_qp24_concordants
    from localises
    where code_qp2015 is not null
    group by code_qp2015, code_qp2024, millesime
),

totaux_qp2015 as (
    select code_qp2015, millesime, sum(etablissements_communs) as etablissements_qp2015
    from paires
    group by code_qp2015, millesime
),

totaux_qp2024 as (
    select code_qp2024, millesime, count(*) as etablissements_qp2024
    from localises
    where code_qp2024 is not null
    group by code_qp2024, millesime
),

final as (
    select
        paires.code_qp2015,
        qpv2015.lib_qp as lib_qp2015,
        paires.code_qp2024,
        qpv2024.lib_qp as lib_qp2024,
        paires.millesime,
        paires.etablissements_communs,
        totaux_qp2015.etablissements_qp2015,
        totaux_qp2024.etablissements_qp2024,
        paires.etablissements_communs / totaux_qp2015.etablissements_qp2015 as part_etablissements_qp2015,
        paires.etablissements_communs / totaux_qp2024.etablissements_qp2024 as part_etablissements_qp2024,
        paires.etablissements_plg_qp24_concordants,
        'correspondance pondérée par les établissements (SIRENE)' as methode
    from paires
    inner join totaux_qp2015
        on totaux_qp2015.code_qp2015 = paires.code_qp2015 and totaux_qp2015.millesime = paires.millesime
    left join totaux_qp2024
        on totaux_qp2024.code_qp2024 = paires.code_qp2024 and totaux_qp2024.millesime = paires.millesime
    left join qpv2015 on qpv2015.code_qp = paires.code_qp2015
    left join qpv2024 on qpv2024.code_qp = paires.code_qp2024
)

select * from final
order by millesime, code_qp2015, code_qp2024 nulls last
