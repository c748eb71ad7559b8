-- Grain: one row per edition (millesime) that has an "Ensemble des QPV" row (2017-2019). Source: raw.anct_revn.
-- The producer's all-QPV benchmark, kept apart from the QPV rows (it is not a quartier). Its counts are the sums
-- over all QPV rounded to the hundred (blank QPV cells included); its rates and medians are computed by the producer.
with source as (
    select * from raw.anct_revn
),

final as (
    select
        millesime,
        TP60 as taux_pauvrete_60,
        DISP_Q2 as revenu_median_uc,
        PPSOC as part_prestations_revenu,
        PACT as part_revenus_activite,
        A as foyers_allocataires,
        APRES50 as allocataires_dependants_50,
        APRES100 as allocataires_dependants_100,
        ARSA as allocataires_rsa,
        ARSAS as allocataires_rsa_socle,
        APPA as allocataires_prime_activite,
        AAAH as allocataires_aah,
        CCMUC as beneficiaires_cmu_c,
        _fichier as fichier,
        _ligne as ligne,
        _sha256 as fichier_sha256
    from source
    where CODGEO = 'Ensemble'
)

select * from final
