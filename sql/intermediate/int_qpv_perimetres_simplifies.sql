-- Grain: one row per QPV of the 2024 geography. Source: staging.stg_qpv2024 (ANCT perimeters, repaired geometry,
-- WGS84 longitude/latitude).
-- The perimeters lightened for the offline map of the dashboards: simplified with ST_SimplifyPreserveTopology
-- (tolerance 0.0001 degree, about 10 m: enough at the zoom of a commune, and the page stays small), then normalized
-- with ST_Normalize, which orients every outer ring clockwise and every hole counter-clockwise (GEOS), the winding
-- plotly's geo choropleth expects (a counter-clockwise outer ring fills the whole globe instead). A perimeter the
-- simplification would empty keeps its repaired geometry. Bounding box kept for the zoom of the map.
with perimetres as (
    select code_qp, lib_qp, geom
    from staging.stg_qpv2024
    where geom is not null and not ST_IsEmpty(geom)
),

simplifies as (
    select
        code_qp,
        lib_qp,
        geom,
        ST_SimplifyPreserveTopology(geom, 0.0001) as geom_simplifiee
    from perimetres
),

final as (
    select
        code_qp,
        lib_qp,
        ST_Normalize(
            case when ST_IsEmpty(geom_simplifiee) then geom else geom_simplifiee end
        ) as geom,
        ST_NPoints(geom) as nb_points_origine,
        ST_XMin(geom) as lon_min,
        ST_XMax(geom) as lon_max,
        ST_YMin(geom) as lat_min,
        ST_YMax(geom) as lat_max
    from simplifies
)

select * from final
order by code_qp
