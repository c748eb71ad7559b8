-- Grain: one row per QPV (2015 geography) and edition (millesime). Source: raw.anct_demo (ANCT/ONPV DEMO files),
-- completed by raw.anct_demo_v1_qp for the editions that no DEMO file provides (2020: data_DEMO_2020_V1_QP.csv,
-- no QPV name there: lib_qp is null, see staging.stg_qpv2015). Domain names; the "Ensemble des QPV" row is dropped.
with demo as (
    select * from raw.anct_demo
),

demo_v1_qp as (
    select * from raw.anct_demo_v1_qp
),

-- Editions of the raw format that no DEMO file provides (DEMO is preferred: it carries LIBGEO).
demo_v1_qp_complement as (
    select * from demo_v1_qp
    where millesime not in (select distinct millesime from demo)
),

source as (
    select CODGEO, LIBGEO, LIB_COM, POP_MUN, POP_COM_QP, POP_COM, TX_F, TX_TOT_0A24, TX_F_0A24, TX_TOT_60ETPLUS,
        TX_F_60ETPLUS, IND_JEUNE, TX_TOT_MEN1, TX_TOT_MEN6, TX_TOT_ET, TX_F_ET, A, PERCOU, AM, AI, ACSSENF, ACAVENF,
        AC3ENF, A_NETUD_24, A_ETUD, ENF, ENF_2, ENF_3_5, ENF_6_10, ENF_11_14, ENF_15_17, ENF_18_24, NOTE_RP, NOTE_CNAF, millesime, _fichier, _ligne, _sha256
    from demo
    union all
    select CODGEO, null as LIBGEO, LIB_COM, POP_MUN, POP_COM_QP, POP_COM, TX_F, TX_TOT_0A24, TX_F_0A24, TX_TOT_60ETPLUS,
        TX_F_60ETPLUS, IND_JEUNE, TX_TOT_MEN1, TX_TOT_MEN6, TX_TOT_ET, TX_F_ET, A, PERCOU, AM, AI, ACSSENF, ACAVENF,
        AC3ENF, A_NETUD_24, A_ETUD, ENF, ENF_2, ENF_3_5, ENF_6_10, ENF_11_14, ENF_15_17, ENF_18_24, NOTE_RP, NOTE_CNAF, millesime, _fichier, _ligne, _sha256
    from demo_v1_qp_complement
),

renamed as (
    select
        CODGEO as code_qp,
        LIBGEO as lib_qp,
        millesime,
        LIB_COM as lib_com,
        POP_MUN as population,
        POP_COM_QP as population_qpv_communes,
        POP_COM as population_communes,
        TX_F as part_femmes,
        TX_TOT_0A24 as part_0_24_ans,
        TX_F_0A24 as part_0_24_ans_femmes,
        TX_TOT_60ETPLUS as part_60_ans_plus,
        TX_F_60ETPLUS as part_60_ans_plus_femmes,
        IND_JEUNE as indice_jeunesse,
        TX_TOT_MEN1 as part_menages_1_personne,
        TX_TOT_MEN6 as part_menages_6_personnes_plus,
        TX_TOT_ET as part_etrangers,
        TX_F_ET as part_etrangers_femmes,
        A as foyers_allocataires,
        PERCOU as personnes_couvertes_caf,
        AM as allocataires_monoparents,
        AI as allocataires_isoles,
        ACSSENF as allocataires_couples_sans_enfant,
        ACAVENF as allocataires_couples_avec_enfants,
        AC3ENF as allocataires_3_enfants_plus,
        A_NETUD_24 as allocataires_moins_25_non_etudiants,
        A_ETUD as allocataires_etudiants,
        ENF as enfants_couverts_caf,
        ENF_2 as enfants_couverts_caf_0_2_ans,
        ENF_3_5 as enfants_couverts_caf_3_5_ans,
        ENF_6_10 as enfants_couverts_caf_6_10_ans,
        ENF_11_14 as enfants_couverts_caf_11_14_ans,
        ENF_15_17 as enfants_couverts_caf_15_17_ans,
        ENF_18_24 as enfants_couverts_caf_18_24_ans,
        NOTE_RP as note_rp,
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
