-- Grain: one row per QPV (2024 geography) and edition (millesime). Source: raw.france_travail_defm_qpv2024
-- (France Travail job seekers by QPV 2024, distributed by INSEE as DEFM_QPV2024_<year>.zip). Domain names, the same
-- as staging.stg_anct_ipro where the concept is the same. Job seekers registered at the end of the year of the edition
-- (the INSEE page "DEFM 2024"). Age bands differ from the ONPV files: under 25 / 25-49 / 50 or more here
-- [bornes à vérifier], 25 or under / 26-49 / 50 or more in IPRO. A blank cell (withheld) stays null.
with source as (
    select * from raw.france_travail_defm_qpv2024
),

renamed as (
    select
        CODGEO as code_qp,
        LIBGEO as lib_qp,
        millesime,
        DEFM_ABCDE as demandeurs_emploi_abcde,
        DEFM_ABC as demandeurs_emploi_abc,
        DEFM_A as demandeurs_emploi_a,
        DEFM_ABC_F as demandeurs_emploi_abc_femmes,
        DEFM_ABC_H as demandeurs_emploi_abc_hommes,
        DEFM_ABC_M25 as demandeurs_emploi_abc_moins_25_ans,
        DEFM_ABC_2549 as demandeurs_emploi_abc_25_49_ans,
        DEFM_ABC_P50 as demandeurs_emploi_abc_50_plus,
        DEFM_ABC_DUR1AN as demandeurs_emploi_abc_longue_duree,
        DEFM_A_F as demandeurs_emploi_a_femmes,
        DEFM_A_H as demandeurs_emploi_a_hommes,
        DEFM_ABC_RSA as demandeurs_emploi_abc_rsa,
        _fichier as fichier,
        _ligne as ligne,
        _sha256 as fichier_sha256
    from source
),

final as (
    select * from renamed
)

select * from final
