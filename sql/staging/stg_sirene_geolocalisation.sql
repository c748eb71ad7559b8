-- Grain: one row per geolocated establishment (SIRET). Source: raw.sirene_geolocalisation (INSEE, géolocalisation
-- des établissements SIRENE pour études statistiques). Domain names; the INSEE zonings normalised: plg_qp24 /
-- plg_qp15 become code_qp2024_insee / code_qp2015_insee when they are QPV codes (QN + 3-char département + 2 digits
-- + letter; QP + 3-char département + 3 digits), null otherwise (empty, HZ, CSZ); a value that is neither empty,
-- HZ/CSZ nor a code is flagged (zonage_non_reconnu). point_aleatoire: qualite_xy = 33, a random point in the commune,
-- excluded from every QPV count. longitude, latitude: WGS84; the point (axis order of staging.stg_qpv2024) is
-- built only for the establishments that need a location (intermediate.int_sirene_etablissements_localises).
-- materialized: view — one row per establishment of the national stock: normalised when read, never copied.
with source as (
    select * from raw.sirene_geolocalisation
),

cleaned as (
    select
        *,
        nullif(upper(trim(plg_qp24)), '') as qp24_brut,
        nullif(upper(trim(plg_qp15)), '') as qp15_brut
    from source
),

final as (
    select
        siret,
        millesime,
        x,
        y,
        epsg,
        trim(qualite_xy) as qualite_xy,
        coalesce(trim(qualite_xy) = '33', false) as point_aleatoire,
        case when regexp_full_match(qp24_brut, 'QN[0-9]{2}[0-9AB][0-9]{2}[A-Z]') then qp24_brut end
            as code_qp2024_insee,
        case when regexp_full_match(qp15_brut, 'QP[0-9]{2}[0-9AB][0-9]{3}') then qp15_brut end as code_qp2015_insee,
        (qp24_brut is not null and qp24_brut not in ('HZ', 'CSZ')
            and not regexp_full_match(qp24_brut, 'QN[0-9]{2}[0-9AB][0-9]{2}[A-Z]'))
        or (qp15_brut is not null and qp15_brut not in ('HZ', 'CSZ')
            and not regexp_full_match(qp15_brut, 'QP[0-9]{2}[0-9AB][0-9]{3}')) as zonage_non_reconnu,
        qualite_qp24,
        qualite_qp15,
        nullif(trim(plg_iris), '') as code_iris,
        nullif(upper(trim(plg_code_commune)), '') as code_commune,
        distance_precision,
        y_latitude as latitude,
        x_longitude as longitude,
        _fichier as fichier,
        _ligne as ligne,
        _sha256 as fichier_sha256
    from cleaned
)

select * from final
