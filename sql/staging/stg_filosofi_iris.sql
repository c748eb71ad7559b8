-- Grain: one row per IRIS and edition. Source: raw.insee_filosofi_iris (INSEE Filosofi, disposable income by IRIS).
with source as (
    select * from raw.insee_filosofi_iris
),

final as (
    select
        IRIS as code_iris,
        LIBIRIS as lib_iris,
        COM as code_commune,
        millesime,
        DISP_TP60 as taux_pauvrete_60,
        DISP_MED as revenu_median_uc,
        DISP_D1 as revenu_d1_uc,
        DISP_D9 as revenu_d9_uc,
        DISP_PPSOC as part_prestations_revenu,
        DISP_PACT as part_revenus_activite,
        DISP_PPMINI as part_minima_sociaux_revenu,
        DISP_NOTE as note_filo,
        _fichier as fichier,
        _ligne as ligne,
        _sha256 as fichier_sha256
    from source
)

select * from final
