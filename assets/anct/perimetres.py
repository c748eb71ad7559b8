"""ANCT: perimeters of the QPV of the 2024 geography (GeoJSON, or the ZIP the producer now serves)."""

from pipelines.contracts.registry import LiveSpec, Source

SOURCES = [
    Source(
        name="anct_qpv2024_perimetres",
        producer="anct",
        title="Périmètres des quartiers prioritaires 2024",
        folder="anct_qpv2024",
        # official: QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson (now inside a zip); copies: qpv2024*.geojson
        file_pattern=r"(?:qpv2024\w*|QP2024_\w+)\.(?:geojson|json|zip|gpkg)",
        fixed_millesime=2024,
        official_url="https://www.data.gouv.fr/fr/datasets/5a561801c751df42d7fca9b6/",
        contract="anct/qpv2024_perimetres.yaml",
        geographie="qpv2024",
        format="geojson",
        loader="spatial",
        live=LiveSpec(
            kind="direct",
            urls=((2024, "https://www.data.gouv.fr/api/1/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119"),),
        ),
    ),
]
