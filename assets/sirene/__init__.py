"""INSEE SIRENE: establishments, legal units and their geolocation.

The stocks are monthly and their file names carry no date: `fixed_millesime` is a conventional label (see the
contracts), and the loader records the stock date seen in the data in the asset metadata.

Formats: the loader reads the Parquet file or the CSV zip (streamed, never extracted), and prefers the Parquet
file when it is given both. Both formats match the file patterns; when a folder holds both (as the demo does), discovery keeps the
Parquet file (`prefer_suffixes`).
"""

from pipelines.contracts.registry import LiveSpec, ReadOptions, Source

SIRENE_MILLESIME = 2025  # conventional edition label of "the stock in the data folder" (see the contracts)
ANY_FORMAT = r"\.(?:parquet|zip)"
STOCK = "https://object.files.data.gouv.fr/data-pipeline-open/siren/stock"
GEOLOC = "https://object.files.data.gouv.fr/data-pipeline-open/siren/geoloc"
STOCK_DATASET = "5b7ffc618b4c4169d30727e0"
GEOLOC_DATASET = "61d5e2d372a52d9f9411ff88"

SOURCES = [
    Source(
        name="sirene_etablissements",
        producer="sirene",
        title="Établissements du répertoire SIRENE (stock mensuel)",
        folder="sirene",
        file_pattern=r"StockEtablissement_utf8" + ANY_FORMAT,
        prefer_suffixes=(".parquet", ".zip"),
        fixed_millesime=SIRENE_MILLESIME,
        official_url=f"{STOCK}/StockEtablissement_utf8.parquet",
        contract="sirene/etablissements.yaml",
        geographie="commune",
        format="parquet",
        loader="sirene",
        read=ReadOptions(separator=",", decimal_comma=False),
        # resource titles on data.gouv.fr [à vérifier]: the regex keeps away from the history and succession files
        live=LiveSpec(
            kind="datagouv",
            dataset=STOCK_DATASET,
            resource_title=r"StockEtablissement(?!Historique|LiensSuccession)",
            resource_format="parquet",
        ),
    ),
    Source(
        name="sirene_unites_legales",
        producer="sirene",
        title="Unités légales du répertoire SIRENE (stock mensuel)",
        folder="sirene",
        file_pattern=r"StockUniteLegale_utf8" + ANY_FORMAT,
        prefer_suffixes=(".parquet", ".zip"),
        fixed_millesime=SIRENE_MILLESIME,
        official_url=f"{STOCK}/StockUniteLegale_utf8.parquet",
        contract="sirene/unites_legales.yaml",
        geographie="france",
        format="parquet",
        loader="sirene",
        read=ReadOptions(separator=",", decimal_comma=False),
        live=LiveSpec(
            kind="datagouv",
            dataset=STOCK_DATASET,
            resource_title=r"StockUniteLegale(?!Historique)",
            resource_format="parquet",
        ),
    ),
    Source(
        name="sirene_geolocalisation",
        producer="sirene",
        title="Géolocalisation des établissements SIRENE (QPV 2024, IRIS, commune)",
        folder="sirene",
        file_pattern=r"GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8" + ANY_FORMAT,
        prefer_suffixes=(".parquet", ".zip"),
        fixed_millesime=SIRENE_MILLESIME,
        official_url=f"{GEOLOC}/GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8.parquet",
        contract="sirene/geolocalisation.yaml",
        geographie="qpv2024",
        format="parquet",
        loader="sirene",
        read=ReadOptions(separator=";", decimal_comma=False),
        live=LiveSpec(
            kind="datagouv",
            dataset=GEOLOC_DATASET,
            resource_title=r"(?i)g[ée]olocalisation",
            resource_format="parquet",
        ),
    ),
]
