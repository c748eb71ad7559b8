-- Grain: one row per IRIS and edition. Source: raw.caf_iris (CNAF allocataires by IRIS). Blank = secret (null).
with source as (
    select * from raw.caf_iris
),

final as (
    select
        CODGEO as code_iris,
        left(CODGEO, 5) as code_commune,
        millesime,
        A as foyers_allocataires,
        PERCOU as personnes_couvertes_caf,
        AAL as allocataires_aide_logement,
        AAPL as allocataires_apl,
        AAAH as allocataires_aah,
        APPA as allocataires_prime_activite,
        ARSAS as allocataires_rsa_socle,
        NOTE as note_cnaf,
        _fichier as fichier,
        _ligne as ligne,
        _sha256 as fichier_sha256
    from source
)

select * from final
