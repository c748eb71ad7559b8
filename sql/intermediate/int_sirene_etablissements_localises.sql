-- Grain: one row per geolocated establishment (SIRET present in both the stock and the geolocation file) that an
-- indicator needs: active, or created since 2015 (the first year of creations counted by
-- intermediate.int_indicateurs_qpv_entrepreneuriat, `premiere_annee`: keep both in step). Closed establishments
-- created before 2015 are used by no count and are not located (a national stock holds ~20 M of them).
-- Sources: staging.stg_sirene_etablissements, staging.stg_sirene_geolocalisation, intermediate.int_ess_unites_legales,
-- staging.stg_qpv2024 (perimeters), staging.ref_tranches_effectifs, staging.ref_ess_sections_naf.
-- Location: code_qp2024_spatial = the 2024 QPV whose perimeter contains the WGS84 point (spatial join; on a shared
-- edge the smallest code, nb_qpv2024_contenant says how many); compared with INSEE's own plg_qp24
-- (concordance_qp24: 'accord', 'accord_hors_qpv', 'codes_differents', 'jointure_seule', 'insee_seul').
-- Retained: code_qp2024 = the spatial join, code_qp2015 = plg_qp15 (no 2015 perimeters exist), both null for a
-- random point in the commune (qualite_xy = 33, point_aleatoire), which no QPV count uses.
-- An establishment whose legal unit is missing from the stock is neither ESS nor a private employer (counted in
-- intermediate.int_sirene_controle_localisation).
-- Jobs: the establishment's band → effectif_bas / effectif_central / effectif_haut (staging.ref_tranches_effectifs).
-- etablissements and geolocalisation are read twice (points, localises): NOT MATERIALIZED keeps DuckDB from
-- holding them in memory as CTE results (10 M rows did not fit under the warehouse's memory limit); each read
-- streams from the stock instead.
with etablissements as not materialized (
    select * from staging.stg_sirene_etablissements
    where actif or date_creation >= date '2015-01-01'
),

geolocalisation as not materialized (
    select * from staging.stg_sirene_geolocalisation
),

unites as (
    select * from intermediate.int_ess_unites_legales
),

perimetres as (
    select code_qp, geom from staging.stg_qpv2024
),

tranches as (
    select * from staging.ref_tranches_effectifs
),

sections as (
    select * from staging.ref_ess_sections_naf
),

-- the points of the establishments kept above only, built here (not stored in staging)
points as (
    select
        geolocalisation.siret,
        ST_Point(geolocalisation.longitude, geolocalisation.latitude) as geom
    from geolocalisation
    semi join etablissements on etablissements.siret = geolocalisation.siret
    where geolocalisation.longitude is not null and geolocalisation.latitude is not null
),

-- DuckDB spatial plans this as a SPATIAL_JOIN (an R-tree on the ~1,600 perimeters' bounding boxes, probed by
-- each point, then the exact test): no point is tested against every polygon
jointure_spatiale as (
    select
        points.siret,
        min(perimetres.code_qp) as code_qp2024_spatial,
        count(*) as nb_qpv2024_contenant
    from points
    inner join perimetres on ST_Intersects(perimetres.geom, points.geom)
    group by points.siret
),

localises as (
    select
        etablissements.siret,
        etablissements.siren,
        etablissements.millesime,
        etablissements.actif,
        etablissements.date_creation,
        etablissements.tranche_effectifs,
        etablissements.activite_principale,
        etablissements.division_naf,
        etablissements.code_commune,
        etablissements.statut_diffusion,
        geolocalisation.qualite_xy,
        geolocalisation.point_aleatoire,
        geolocalisation.code_qp2024_insee,
        geolocalisation.code_qp2015_insee,
        jointure_spatiale.code_qp2024_spatial,
        coalesce(jointure_spatiale.nb_qpv2024_contenant, 0) as nb_qpv2024_contenant,
        etablissements.fichier_sha256
    from etablissements
    inner join geolocalisation on geolocalisation.siret = etablissements.siret
    left join jointure_spatiale on jointure_spatiale.siret = etablissements.siret
),

final as (
    select
        localises.siret,
        localises.siren,
        localises.millesime,
        localises.actif,
        localises.date_creation,
        year(localises.date_creation) as annee_creation,
        localises.tranche_effectifs,
        tranches.effectif_bas,
        tranches.effectif_central,
        tranches.effectif_haut,
        localises.activite_principale,
        sections.section_naf,
        localises.code_commune,
        localises.statut_diffusion,
        localises.qualite_xy,
        localises.point_aleatoire,
        localises.code_qp2024_spatial,
        localises.code_qp2024_insee,
        localises.nb_qpv2024_contenant,
        case
            when localises.code_qp2024_spatial = localises.code_qp2024_insee then 'accord'
            when localises.code_qp2024_spatial is null and localises.code_qp2024_insee is null then 'accord_hors_qpv'
            when localises.code_qp2024_insee is null then 'jointure_seule'
            when localises.code_qp2024_spatial is null then 'insee_seul'
            else 'codes_differents'
        end as concordance_qp24,
        case when not localises.point_aleatoire then localises.code_qp2024_spatial end as code_qp2024,
        case when not localises.point_aleatoire then localises.code_qp2015_insee end as code_qp2015,
        coalesce(unites.est_ess, false) as est_ess,
        unites.ess_basis,
        unites.famille_ess,
        coalesce(unites.employeur_prive, false) as employeur_prive,
        coalesce(unites.entrepreneur_individuel, false) as entrepreneur_individuel,
        unites.categorie_juridique,
        localises.fichier_sha256
    from localises
    left join unites on unites.siren = localises.siren
    left join tranches on tranches.tranche_effectifs = localises.tranche_effectifs
    left join sections on sections.division_naf = localises.division_naf
)

select * from final
