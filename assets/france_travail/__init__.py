"""France Travail: demandeurs d'emploi (DEFM) by QPV."""

from pipelines.contracts.registry import LiveSpec, Source

SOURCES: list[Source] = [
    Source(
        name="france_travail_defm_qpv2024",
        producer="france_travail",
        title="Demandeurs d'emploi (DEFM) par quartier prioritaire, géographie 2024",
        folder="france_travail",
        file_pattern=r"DEFM_QPV2024_(?P<millesime>\d{4})\.zip",
        official_url="https://www.insee.fr/fr/statistiques/8644871",
        contract="france_travail/defm_qpv2024.yaml",
        geographie="qpv2024",
        format="csv_zip",
        loader="zipped",
        live=LiveSpec(
            kind="page",
            page="https://www.insee.fr/fr/statistiques/8644871",
            reason="URL du fichier sous /fr/statistiques/fichier/8644871/ non confirmée [à vérifier]",
        ),
    ),
]
