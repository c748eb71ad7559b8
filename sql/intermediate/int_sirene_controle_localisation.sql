-- Grain: one row per SIRENE edition (millesime) and control (controle). Sources: staging.stg_sirene_etablissements,
-- staging.stg_sirene_geolocalisation, intermediate.int_sirene_etablissements_localises.
-- How the establishments were located: the spatial join on the 2024 perimeters against INSEE's plg_qp24
-- (agreements and disagreements, active establishments with an address-level point), the random points in the
-- commune (qualite_xy = 33) excluded from the QPV counts and counted apart, the active establishments missing from
-- the geolocation file, unknown zoning values, points inside two perimeters (among the located establishments:
-- active or created since 2015). perimetre: which establishments.
with etablissements as (
    select * from staging.stg_sirene_etablissements
),

geolocalisation as (
    select * from staging.stg_sirene_geolocalisation
),

localises as (
    select * from intermediate.int_sirene_etablissements_localises
),

par_localises as (
    select
        millesime,
        count(*) filter (where actif and not point_aleatoire and concordance_qp24 = 'accord')
            as concordance_qp24_accord,
        count(*) filter (where actif and not point_aleatoire and concordance_qp24 = 'accord_hors_qpv')
            as concordance_qp24_accord_hors_qpv,
        count(*) filter (where actif and not point_aleatoire and concordance_qp24 = 'codes_differents')
            as concordance_qp24_codes_differents,
        count(*) filter (where actif and not point_aleatoire and concordance_qp24 = 'jointure_seule')
            as concordance_qp24_jointure_seule,
        count(*) filter (where actif and not point_aleatoire and concordance_qp24 = 'insee_seul')
            as concordance_qp24_insee_seul,
        count(*) filter (where actif and point_aleatoire) as actifs_point_aleatoire_exclus,
        count(*) filter (where actif and point_aleatoire and (code_qp2024_spatial is not null
            or code_qp2024_insee is not null)) as actifs_point_aleatoire_dans_un_qpv2024_exclus,
        count(*) filter (where actif and est_ess and point_aleatoire) as actifs_ess_point_aleatoire_exclus,
        count(*) filter (where nb_qpv2024_contenant > 1) as points_dans_plusieurs_qpv2024,
        count(*) filter (where actif and categorie_juridique is null) as actifs_sans_unite_legale
    from localises
    group by millesime
),

sans_geolocalisation as (
    select
        etablissements.millesime,
        count(*) as actifs_sans_geolocalisation
    from etablissements
    anti join geolocalisation on geolocalisation.siret = etablissements.siret
    where etablissements.actif
    group by etablissements.millesime
),

zonages as (
    select
        millesime,
        count(*) filter (where zonage_non_reconnu) as zonages_non_reconnus
    from geolocalisation
    group by millesime
),

mesures as (
    select
        par_localises.*,
        coalesce(sans_geolocalisation.actifs_sans_geolocalisation, 0) as actifs_sans_geolocalisation,
        coalesce(zonages.zonages_non_reconnus, 0) as zonages_non_reconnus
    from par_localises
    left join sans_geolocalisation on sans_geolocalisation.millesime = par_localises.millesime
    left join zonages on zonages.millesime = par_localises.millesime
),

final as (
    select
        millesime,
        controle,
        nombre
    from mesures
    unpivot (nombre for controle in (
        concordance_qp24_accord,
        concordance_qp24_accord_hors_qpv,
        concordance_qp24_codes_differents,
        concordance_qp24_jointure_seule,
        concordance_qp24_insee_seul,
        actifs_point_aleatoire_exclus,
        actifs_point_aleatoire_dans_un_qpv2024_exclus,
        actifs_ess_point_aleatoire_exclus,
        points_dans_plusieurs_qpv2024,
        actifs_sans_unite_legale,
        actifs_sans_geolocalisation,
        zonages_non_reconnus
    ))
)

select * from final
order by millesime, controle
