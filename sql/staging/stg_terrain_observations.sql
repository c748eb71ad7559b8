-- Grain: one row per conforming terrain observation (the rows raw.terrain_observations kept after the anonymisation
-- gate and the quarantine). Source: raw.terrain_observations (data_contracts/terrain/terrain_observations.yaml).
-- Domain names and periods: annee, semestre ('2025-S1'). Neither the free text (resume) nor the structure's name go
-- beyond raw: the structure is kept only as an opaque digest (structure_empreinte) to count distinct observers.
-- The QPV must be in the 2024 perimeters (staging.stg_qpv2024): observations of an unknown code enter no aggregate.
with source as (
    select * from raw.terrain_observations
    where controle = 'conforme'
),

qpv as (
    select code_qp, lib_qp from staging.stg_qpv2024
),

final as (
    select
        s.identifiant,
        s.code_qp,
        q.lib_qp,
        cast(s.date_observation as date) as date_observation,
        year(cast(s.date_observation as date)) as annee,
        year(cast(s.date_observation as date)) || '-S'
        || case when month(cast(s.date_observation as date)) <= 6 then '1' else '2' end as semestre,
        s.terrain,
        s.categorie,
        s.precision,
        s.nombre_concernes,
        s.type_source,
        md5(lower(trim(s.structure))) as structure_empreinte,
        s.millesime,
        s._sha256 as fichier_sha256
    from source as s
    inner join qpv as q on q.code_qp = s.code_qp
)

select * from final
