"""INSEE: Code officiel géographique (communes, EPCI membership, départements), Filosofi by IRIS and Filosofi of
whole territories (communes, EPCI, départements, régions, France métropolitaine)."""

from pipelines.contracts.registry import LiveSpec, ReadOptions, Source

COMMA = ReadOptions(separator=",", decimal_comma=False)

FILOSOFI_TERRITOIRES_PAGE = "https://www.insee.fr/fr/statistiques/7756729"
# (source name suffix, French label, level in the file name, geography)
FILOSOFI_NIVEAUX = (
    ("communes", "des communes entières", "COM", "commune"),
    ("epci", "des EPCI", "EPCI", "epci"),
    ("departements", "des départements", "DEP", "departement"),
    ("regions", "des régions", "REG", "region"),
    ("france", "de la France métropolitaine", "METROPOLE", "france"),
)

SOURCES = [
    Source(
        name="insee_cog_communes",
        producer="insee",
        title="Code officiel géographique : communes au 1er janvier",
        folder="cog_insee",
        # the official name is v_commune_<year>.csv; copies in the wild are named cog_<year>0101.csv
        file_pattern=r"(?:v_commune_|cog_)(?P<millesime>\d{4})(?:0101)?\.csv",
        official_url="https://www.insee.fr/fr/statistiques/fichier/7766585/v_commune_2024.csv",
        contract="insee/cog_communes.yaml",
        geographie="commune",
        read=COMMA,
        live=LiveSpec(
            kind="direct",
            urls=((2024, "https://www.insee.fr/fr/statistiques/fichier/7766585/v_commune_2024.csv"),),
        ),
    ),
    Source(
        name="insee_communes_epci",
        producer="insee",
        title="Appartenance des communes aux EPCI, départements et régions",
        folder="cog_insee",
        # official: epci_au_01-01-<year>.zip (an XLSX, sheet Composition_communale); local copy:
        # com_epci_dep_reg.csv, whose name carries no vintage (labelled by fixed_millesime)
        file_pattern=r"com_epci_dep_reg\.csv|epci_au_01-01-(?P<millesime>\d{4})\.zip",
        fixed_millesime=2023,  # the CSV states no vintage; its geography is about 2023 [à vérifier]
        official_url="https://www.insee.fr/fr/information/2510634",
        contract="insee/communes_epci.yaml",
        geographie="commune",
        format="xlsx_zip",
        read=ReadOptions(separator=";", sheet="Composition_communale", skip_rows=5),
        live=LiveSpec(
            kind="direct",
            urls=((2024, "https://www.insee.fr/fr/statistiques/fichier/2510634/epci_au_01-01-2024.zip"),),
        ),
    ),
    Source(
        name="insee_departements",
        producer="insee",
        title="Départements et régions",
        folder="cog_insee",
        file_pattern=r"departements_france\.csv",
        fixed_millesime=2024,
        official_url="https://www.insee.fr/fr/information/7766585",
        contract="insee/departements.yaml",
        geographie="departement",
        read=COMMA,
        live=LiveSpec(
            kind="page",
            page="https://www.insee.fr/fr/information/7766585",
            reason="copie non officielle (zero-logement-vacant) : l'URL du fichier COG des départements et "
            "ses colonnes ne sont pas confirmées [à vérifier]",
        ),
    ),
    Source(
        name="insee_filosofi_iris",
        producer="insee",
        title="Revenus disponibles et pauvreté par IRIS (Filosofi)",
        folder="caf_insee_iris",
        # official: BASE_TD_FILO_IRIS_<year>_DISP_CSV.zip (a CSV inside); local copy: BASE_TD_FILO_DISP_IRIS_<year>.csv
        file_pattern=r"BASE_TD_FILO_(?:DISP_)?IRIS_(?P<millesime>\d{4})(?:_DISP)?(?:\.csv|_CSV\.zip)",
        official_url="https://www.insee.fr/fr/statistiques/8229323",
        contract="insee/filosofi_iris.yaml",
        geographie="iris",
        format="csv_zip",
        live=LiveSpec(
            kind="direct",
            urls=(
                (
                    2021,
                    "https://www.insee.fr/fr/statistiques/fichier/8229323/BASE_TD_FILO_IRIS_2021_DISP_CSV.zip",
                ),
            ),
        ),
    ),
    *(
        Source(
            name=f"insee_filosofi_{name}",
            producer="insee",
            title=f"Revenus disponibles {label} (Filosofi)",
            folder="insee_filosofi_territoires",
            # FILO<year>_DISP_<level>.csv: the edition is the Filosofi reference year (income of that year)
            file_pattern=rf"FILO(?P<millesime>\d{{4}})_DISP_{level}\.csv",
            official_url=FILOSOFI_TERRITOIRES_PAGE,
            contract=f"insee/filosofi_{name}.yaml",
            geographie=geographie,
            live=LiveSpec(
                kind="page",
                page=FILOSOFI_TERRITOIRES_PAGE,
                reason="l'INSEE publie ces niveaux dans un classeur XLSX zippé par année "
                "(indic-struct-distrib-revenu-<année>-COMMUNES_XLSX.zip…) dont la feuille et les lignes de titre "
                "ne sont pas encore décrites ; les fichiers CSV FILO<année>_DISP_<niveau> sont lus du dossier "
                "local [à vérifier]",
            ),
        )
        for name, label, level, geographie in FILOSOFI_NIVEAUX
    ),
]
