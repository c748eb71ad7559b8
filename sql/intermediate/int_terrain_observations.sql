-- Grain: one row per conforming terrain observation of a 2024 QPV, reduced to what the aggregates of
-- marts.observations_terrain and marts.terrain_croisement count. Source: staging.stg_terrain_observations.
-- No identifier, no file lineage, no free text, no structure name (only its opaque digest, to count observers):
-- nothing downstream of this model can point at a single record.
with final as (
    select
        code_qp,
        lib_qp,
        annee,
        semestre,
        terrain,
        categorie,
        precision,
        nombre_concernes,
        type_source,
        structure_empreinte
    from staging.stg_terrain_observations
)

select * from final
