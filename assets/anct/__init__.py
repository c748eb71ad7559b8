"""ANCT / Observatoire national de la politique de la ville: per-QPV files of the 2015 geography."""

from pipelines.registry import Source

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
    ),
]
