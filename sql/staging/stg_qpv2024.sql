-- Grain: one row per QPV of the 2024 geography. Source: raw.anct_qpv2024_perimetres (ANCT perimeters).
-- Geometry repaired (ST_MakeValid, polygonal part kept); communes and EPCI as lists; area in hectares.
with source as (
    select * from raw.anct_qpv2024_perimetres
),

repaired as (
    select
        *,
        ST_CollectionExtract(ST_MakeValid(geom), 3) as geom_valide
    from source
),

final as (
    select
        code_qp,
        lib_qp,
        millesime,
        insee_dep as code_departement,
        lib_dep as lib_departement,
        insee_reg as code_region,
        lib_reg as lib_region,
        string_split(insee_com, ', ') as codes_communes,
        string_split(lib_com, ', ') as libs_communes,
        string_split(siren_epci, ', ') as codes_epci,
        not ST_IsValid(geom) as geometrie_reparee,
        geom_valide as geom,
        ST_Area_Spheroid(ST_FlipCoordinates(geom_valide)) / 10000 as surface_ha,
        _fichier as fichier,
        _sha256 as fichier_sha256
    from repaired
)

select * from final
