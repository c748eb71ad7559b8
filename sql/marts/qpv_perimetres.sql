-- Grain: one row per QPV of the 2024 geography. Sources: intermediate.int_qpv_perimetres_simplifies (simplified
-- perimeters, outer rings clockwise), intermediate.int_territoires_qpv (main commune and its EPCI).
-- What the map of the dashboards draws: the perimeter as GeoJSON text (WGS84, simplified for display, never for
-- computing areas or spatial joins) with the commune and EPCI a QPV counts in (the same attachment as
-- marts.indicateurs_territoire), and its bounding box for the zoom.
with perimetres as (
    select * from intermediate.int_qpv_perimetres_simplifies
),

territoires as (
    select * from intermediate.int_territoires_qpv
    where geographie = 'qpv2024'
),

final as (
    select
        perimetres.code_qp,
        coalesce(territoires.lib_qp, perimetres.lib_qp) as lib_qp,
        'qpv2024' as geographie,
        territoires.code_commune,
        territoires.lib_commune,
        territoires.code_epci,
        territoires.lib_epci,
        territoires.code_departement,
        territoires.lib_departement,
        ST_AsGeoJSON(perimetres.geom) as geometry,
        ST_NPoints(perimetres.geom) as nb_points,
        perimetres.nb_points_origine,
        perimetres.lon_min,
        perimetres.lon_max,
        perimetres.lat_min,
        perimetres.lat_max
    from perimetres
    left join territoires on territoires.code_qp = perimetres.code_qp
)

select * from final
order by code_qp
