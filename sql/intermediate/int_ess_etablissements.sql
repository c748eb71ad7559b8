-- Grain: one row per establishment active in the SIRENE stock (the edition date) whose legal unit is ESS
-- (DOMAIN.md §3 rule, see intermediate.int_ess_unites_legales), geolocated. Source:
-- intermediate.int_sirene_etablissements_localises. code_qp2024 (spatial join on the 2024 perimeters) and
-- code_qp2015 (plg_qp15) are null outside the QPV and for random points in the commune (point_aleatoire,
-- qualite_xy = 33): those are kept here, flagged, so that they can be counted apart, and no QPV count uses them.
with localises as (
    select * from intermediate.int_sirene_etablissements_localises
),

final as (
    select
        siret,
        siren,
        millesime,
        code_qp2024,
        code_qp2015,
        point_aleatoire,
        qualite_xy,
        code_qp2024_spatial,
        code_qp2024_insee,
        concordance_qp24,
        ess_basis,
        famille_ess,
        categorie_juridique,
        activite_principale,
        section_naf,
        tranche_effectifs,
        effectif_bas,
        effectif_central,
        effectif_haut,
        code_commune,
        fichier_sha256
    from localises
    where actif and est_ess
)

select * from final
