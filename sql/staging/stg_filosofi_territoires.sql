-- Grain: one row per territory (commune, EPCI, département, région, France métropolitaine) and Filosofi year.
-- Sources: raw.insee_filosofi_communes, raw.insee_filosofi_epci, raw.insee_filosofi_departements,
-- raw.insee_filosofi_regions, raw.insee_filosofi_france (INSEE Filosofi of whole territories, FILO<year>_DISP_<level>).
-- annee_reference = the edition of the file = the Filosofi year (income of that year). Each territory keeps the code
-- of its file: communes and EPCI in the map of their year. Blank = secret (null). 2014 publishes wages and
-- unemployment benefits together (PTSAC): part_revenus_activite is null there (not secret, see int_references_filosofi).
with territoires as (
    select 'commune' as type_territoire, * from raw.insee_filosofi_communes
    union all by name
    select 'epci' as type_territoire, * from raw.insee_filosofi_epci
    union all by name
    select 'departement' as type_territoire, * from raw.insee_filosofi_departements
    union all by name
    select 'region' as type_territoire, * from raw.insee_filosofi_regions
    union all by name
    select 'france_metropolitaine' as type_territoire, * from raw.insee_filosofi_france
),

final as (
    select
        type_territoire,
        CODGEO as code_territoire,
        LIBGEO as lib_territoire,
        millesime as annee_reference,
        NBMEN as menages_fiscaux,
        NBPERS as personnes_menages_fiscaux,
        NBUC as unites_consommation,
        Q1 as revenu_q1_uc,
        Q2 as revenu_median_uc,
        Q3 as revenu_q3_uc,
        D1 as revenu_d1_uc,
        D2 as revenu_d2_uc,
        D3 as revenu_d3_uc,
        D4 as revenu_d4_uc,
        D6 as revenu_d6_uc,
        D7 as revenu_d7_uc,
        D8 as revenu_d8_uc,
        D9 as revenu_d9_uc,
        RD as rapport_interdecile,
        S80S20 as rapport_s80_s20,
        GI as indice_gini,
        PACT as part_revenus_activite,
        PPEN as part_pensions_revenu,
        PPAT as part_patrimoine_revenu,
        PPSOC as part_prestations_revenu,
        PPFAM as part_prestations_familiales_revenu,
        PPMINI as part_minima_sociaux_revenu,
        PPLOGT as part_prestations_logement_revenu,
        PIMPOT as part_impots_revenu,
        _fichier as fichier,
        _ligne as ligne,
        _sha256 as fichier_sha256
    from territoires
)

select * from final
