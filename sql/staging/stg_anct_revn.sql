-- Grain: one row per QPV (2015 geography) and edition (millesime). Source: raw.anct_revn (ANCT/ONPV REVN files).
-- Domain names; the "Ensemble des QPV" aggregate row is set apart in stg_anct_revn_ensemble.
with source as (
    select * from raw.anct_revn
),

renamed as (
    select
        CODGEO as code_qp,
        LIBGEO as lib_qp,
        millesime,
        TP60 as taux_pauvrete_60,
        DISP_Q2 as revenu_median_uc,
        DISP_Q1 as revenu_q1_uc,
        DISP_Q3 as revenu_q3_uc,
        DISP_D1 as revenu_d1_uc,
        DISP_D9 as revenu_d9_uc,
        DISP_D1D9 as rapport_interdecile_publie,  -- edition 2021 on; before, D9 / D1 (int_indicateurs_qpv_pauvrete)
        DECUC_Q2 as revenu_declare_median_uc,
        DECUC_Q1 as revenu_declare_q1_uc,
        DECUC_Q3 as revenu_declare_q3_uc,
        DECUC_D1 as revenu_declare_d1_uc,
        DECUC_D9 as revenu_declare_d9_uc,
        DECUC_D1D9 as rapport_interdecile_declare_publie,  -- edition 2021 on
        PMIMP as part_menages_imposes,
        PART_CHOMPRINC as part_menages_chomage_principal,  -- editions 2017 to 2019
        BREV as taux_bas_revenus,  -- CAF-based low-income rate
        PPSOC as part_prestations_revenu,
        PACT as part_revenus_activite,
        PPEN as part_pensions_revenu,
        PIMPOT as part_impots_revenu,
        PPAT as part_patrimoine_revenu,
        A as foyers_allocataires,
        APRES50 as allocataires_dependants_50,
        APRES100 as allocataires_dependants_100,
        ARSA as allocataires_rsa,  -- all RSA, edition 2017 only
        ARSAS as allocataires_rsa_socle,
        APPA as allocataires_prime_activite,  -- from edition 2018
        AAAH as allocataires_aah,
        CCMUC as beneficiaires_cmu_c,  -- persons, up to edition 2019
        C as personnes_couvertes_regime_general,  -- persons, from edition 2021
        CC2S as beneficiaires_c2s,  -- persons, from edition 2021
        NOTE_FILO as note_filo,
        NOTE_CNAM as note_cnam,
        NOTE_CNAF as note_cnaf,
        _fichier as fichier,
        _ligne as ligne,
        _sha256 as fichier_sha256
    from source
    where CODGEO <> 'Ensemble'
),

final as (
    select * from renamed
)

select * from final
