"""CNAF: allocataires by IRIS (communes of 10,000 inhabitants or more)."""

from pipelines.contracts.registry import LiveSpec, Source

SOURCES = [
    Source(
        name="caf_iris",
        producer="caf",
        title="Allocataires CAF par IRIS",
        folder="caf_insee_iris",
        file_pattern=r"data_CAF_(?P<millesime>\d{4})_IRIS\.csv",
        official_url="https://data.caf.fr/",
        contract="caf/caf_iris.yaml",
        geographie="iris",
        live=LiveSpec(
            kind="page",
            page="https://data.caf.fr/",
            reason="pas d'URL confirmée pour data_CAF_<année>_IRIS.csv [à vérifier]",
        ),
    ),
]
