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
        DISP_D1 as revenu_d1_uc,
        DISP_D9 as revenu_d9_uc,
        PPSOC as part_prestations_revenu,
        PACT as part_revenus_activite,
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
