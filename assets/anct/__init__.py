"""ANCT / Observatoire national de la politique de la ville: per-QPV files of the 2015 geography."""

from pipelines.contracts.registry import LiveSpec, Source

ANCT_PAGE = LiveSpec(
    kind="page",
    page="https://www.insee.fr/fr/statistiques/2500477",
    reason="série figée (géographie 2015), sans URL de fichier confirmée [à vérifier]",
)

SOURCES = [
    Source(
        name="anct_revn",
        producer="anct",
        title="Revenus, pauvreté et prestations par QPV (REVN, géographie 2015)",
        folder="anct_onpv_qpv2015",
        file_pattern=r"REVN_(?P<millesime>\d{4})\.csv",
        official_url="https://www.insee.fr/fr/statistiques/2500477",
        contract="anct/revn.yaml",
        geographie="qpv2015",
        required=True,
        live=ANCT_PAGE,
    ),
    Source(
        name="anct_demo",
        producer="anct",
        title="Démographie et allocataires CAF par QPV (DEMO, géographie 2015)",
        folder="anct_onpv_qpv2015",
        file_pattern=r"DEMO_(?P<millesime>\d{4})\.csv",
        official_url="https://www.insee.fr/fr/statistiques/2500477",
        contract="anct/demo.yaml",
        geographie="qpv2015",
        required=False,
        live=ANCT_PAGE,
    ),
    Source(
        name="anct_demo_v1_qp",
        producer="anct",
        title="Démographie et allocataires CAF par QPV, format brut (data_DEMO_V1_QP, géographie 2015)",
        folder="anct_onpv_qpv2015",
        file_pattern=r"data_DEMO_(?P<millesime>\d{4})_V1_QP\.csv",
        official_url="https://www.insee.fr/fr/statistiques/2500477",
        contract="anct/demo_v1_qp.yaml",
        geographie="qpv2015",
        required=False,
        live=ANCT_PAGE,
    ),
    Source(
        name="anct_ipro",
        producer="anct",
        title="Emploi, demandeurs d'emploi et contrats aidés par QPV (IPRO, géographie 2015)",
        folder="anct_onpv_qpv2015",
        file_pattern=r"IPRO_(?P<millesime>\d{4})\.csv",
        official_url="https://www.insee.fr/fr/statistiques/2500477",
        contract="anct/ipro.yaml",
        geographie="qpv2015",
        required=False,
        live=ANCT_PAGE,
    ),
]
