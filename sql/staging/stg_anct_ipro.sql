-- Grain: one row per QPV (2015 geography) and edition (millesime). Source: raw.anct_ipro (ANCT/ONPV IPRO files).
-- Domain names; the "Ensemble des QPV" row is dropped. Job seekers: Pôle emploi / France Travail, end of year.
-- Duration bands ABC_DUR1..4 are probably < 6 months, 6-12 months, 1-2 years, 2 years or more [à vérifier]:
-- long-term (registered 1 year or more) = DUR3 + DUR4, null when either band is withheld.
with source as (
    select * from raw.anct_ipro
),

renamed as (
    select
        CODGEO as code_qp,
        LIBGEO as lib_qp,
        millesime,
        TX_TOT_EMPL as taux_emploi_15_64,
        TX_F_EMPL as taux_emploi_15_64_femmes,
        TX_ET_EMPL as taux_emploi_15_64_etrangers,
        TX_TOT_EPREC as part_emplois_precaires,
        TX_F_EPREC as part_emplois_precaires_femmes,
        TX_ET_EPREC as part_emplois_precaires_etrangers,
        ABCDE as demandeurs_emploi_abcde,
        ABCDE_F as demandeurs_emploi_abcde_femmes,
        ABCDE_H as demandeurs_emploi_abcde_hommes,
        ABC as demandeurs_emploi_abc,
        ABC_F as demandeurs_emploi_abc_femmes,
        ABC_H as demandeurs_emploi_abc_hommes,
        ABC_25 as demandeurs_emploi_abc_moins_25,  -- 25 ans ou moins
        ABC_2649 as demandeurs_emploi_abc_26_49,
        ABC_50 as demandeurs_emploi_abc_50_plus,
        ABC_E as demandeurs_emploi_abc_etrangers,
        ABC_FR as demandeurs_emploi_abc_francais,
        ABC_RSA as demandeurs_emploi_abc_rsa,
        ABC_RSA_F as demandeurs_emploi_abc_rsa_femmes,
        ABC_RSA_H as demandeurs_emploi_abc_rsa_hommes,
        -- level of education at registration (not in edition 2019)
        ABC_INFCAPBEP as demandeurs_emploi_abc_infra_cap_bep,
        ABC_INFCAPBEP_F as demandeurs_emploi_abc_infra_cap_bep_femmes,
        ABC_INFCAPBEP_H as demandeurs_emploi_abc_infra_cap_bep_hommes,
        ABC_CAPBEP as demandeurs_emploi_abc_cap_bep,
        ABC_CAPBEP_F as demandeurs_emploi_abc_cap_bep_femmes,
        ABC_CAPBEP_H as demandeurs_emploi_abc_cap_bep_hommes,
        ABC_BAC as demandeurs_emploi_abc_bac,
        ABC_BAC_F as demandeurs_emploi_abc_bac_femmes,
        ABC_BAC_H as demandeurs_emploi_abc_bac_hommes,
        ABC_SUPBAC as demandeurs_emploi_abc_superieur_bac,
        ABC_SUPBAC_F as demandeurs_emploi_abc_superieur_bac_femmes,
        ABC_SUPBAC_H as demandeurs_emploi_abc_superieur_bac_hommes,
        ABC_DUR1 as demandeurs_emploi_abc_duree_1,
        ABC_DUR2 as demandeurs_emploi_abc_duree_2,
        ABC_DUR3 as demandeurs_emploi_abc_duree_3,
        ABC_DUR4 as demandeurs_emploi_abc_duree_4,
        A as demandeurs_emploi_a,
        A_F as demandeurs_emploi_a_femmes,
        A_H as demandeurs_emploi_a_hommes,
        -- one-year change at Q4 (%, edition 2019 on); Q4 counts of category A (editions 2017 and 2018)
        EVOL_ABC_T4 as evolution_demandeurs_emploi_abc_t4,
        EVOL_ABC_F_T4 as evolution_demandeurs_emploi_abc_t4_femmes,
        EVOL_ABC_H_T4 as evolution_demandeurs_emploi_abc_t4_hommes,
        EVOL_A_T4 as evolution_demandeurs_emploi_a_t4,
        EVOL_A_F_T4 as evolution_demandeurs_emploi_a_t4_femmes,
        EVOL_A_H_T4 as evolution_demandeurs_emploi_a_t4_hommes,
        A_N_T4 as demandeurs_emploi_a_t4,
        A_N1_T4 as demandeurs_emploi_a_t4_annee_precedente,
        CA as contrats_aides,  -- subsidised contracts (ASP)
        CA_F as contrats_aides_femmes,  -- editions 2017 and 2018
        CA_H as contrats_aides_hommes,
        NOTE_PE as note_pe,
        NOTE_ASP as note_asp,
        _fichier as fichier,
        _ligne as ligne,
        _sha256 as fichier_sha256
    from source
    where CODGEO <> 'Ensemble'
),

derived as (
    select
        *,
        demandeurs_emploi_abc_duree_3 + demandeurs_emploi_abc_duree_4 as demandeurs_emploi_abc_longue_duree
    from renamed
),

final as (
    select * exclude (fichier, ligne, fichier_sha256), fichier, ligne, fichier_sha256
    from derived
)

select * from final
