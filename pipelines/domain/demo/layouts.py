"""Official file layouts reproduced by the demo generator (headers, separators, quirks).

Every header list below was copied from the header line of the real file of the same name
(`../shared/data/`, see its SOURCES.md) when the generator was written; the generator never reads those
files at run time. SIRENE headers follow the producer's published stock layout (2025, with the
`activitePrincipaleNAF25*` columns added in December 2025).
"""

from __future__ import annotations

from dataclasses import dataclass


def _split(header: str, sep: str = ";") -> tuple[str, ...]:
    return tuple(header.split(sep))


# --- ANCT / ONPV per-QPV files, 2015 geography ------------------------------------------------------------

_DEMO_2017_2019 = _split(
    "CODGEO;LIBGEO;POP_MUN;POP_COM_QP;POP_COM;LIB_COM;TX_F;TX_TOT_0A24;TX_F_0A24;TX_TOT_60ETPLUS;"
    "TX_F_60ETPLUS;IND_JEUNE;TX_TOT_MEN1;TX_TOT_MEN6;TX_TOT_ET;TX_F_ET;A;PERCOU;AM;AI;ACSSENF;ACAVENF;"
    "AC3ENF;A_NETUD_24;A_ETUD;ENF;ENF_2;ENF_3_5;ENF_6_10;ENF_11_14;ENF_15_17;ENF_18_24;NOTE_CNAF"
)
_DEMO_2021 = _split(
    "CODGEO;LIBGEO;POP_MUN;POP_COM_QP;POP_COM;LIB_COM;TX_F;TX_TOT_0A24;TX_F_0A24;TX_TOT_60ETPLUS;"
    "TX_F_60ETPLUS;IND_JEUNE;TX_TOT_MEN1;TX_TOT_MEN6;TX_TOT_ET;TX_F_ET;NOTE_RP;A;PERCOU;AM;AI;ACSSENF;"
    "ACAVENF;AC3ENF;A_NETUD_24;A_ETUD;ENF;ENF_2;ENF_3_5;ENF_6_10;ENF_11_14;ENF_15_17;ENF_18_24;NOTE_CNAF"
)
_DATA_DEMO_2019 = _split(
    "CODGEO;POP_MUN;POP_COM_QP;POP_COM;LIB_COM;TX_F;TX_TOT_0A24;TX_F_0A24;TX_TOT_60ETPLUS;TX_F_60ETPLUS;"
    "IND_JEUNE;TX_TOT_MEN1;TX_TOT_MEN6;TX_TOT_ET;TX_F_ET;A;PERCOU;AM;AI;ACSSENF;ACAVENF;AC3ENF;A_NETUD_24;"
    "A_ETUD;ENF;ENF_2;ENF_3_5;ENF_6_10;ENF_11_14;ENF_15_17;ENF_18_24;NOTE_CNAF"
)
_DATA_DEMO_2021 = _split(
    "CODGEO;POP_MUN;POP_COM_QP;POP_COM;TX_F;TX_TOT_0A24;TX_F_0A24;TX_TOT_60ETPLUS;TX_F_60ETPLUS;IND_JEUNE;"
    "TX_TOT_MEN1;TX_TOT_MEN6;TX_TOT_ET;TX_F_ET;NOTE_RP;A;PERCOU;AM;AI;ACSSENF;ACAVENF;AC3ENF;A_NETUD_24;"
    "A_ETUD;ENF;ENF_2;ENF_3_5;ENF_6_10;ENF_11_14;ENF_15_17;ENF_18_24;NOTE_CNAF"
)
_REVN_2017 = _split(
    "CODGEO;LIBGEO;PMIMP;PART_CHOMPRINC;DECUC_Q2;DECUC_Q1;DECUC_Q3;BREV;DECUC_D1;DECUC_D9;DISP_Q2;DISP_Q1;"
    "DISP_Q3;TP60;DISP_D1;DISP_D9;PACT;PPEN;PPSOC;PIMPOT;PPAT;CCMUC;NOTE_CNAM;A;APRES50;APRES100;ARSA;"
    "ARSAS;AAAH;NOTE_CNAF"
)
_REVN_2019 = _split(
    "CODGEO;LIBGEO;PMIMP;PART_CHOMPRINC;DECUC_Q2;DECUC_Q1;DECUC_Q3;BREV;DECUC_D1;DECUC_D9;DISP_Q2;DISP_Q1;"
    "DISP_Q3;TP60;DISP_D1;DISP_D9;PACT;PPEN;PPSOC;PIMPOT;PPAT;NOTE_FILO;CCMUC;NOTE_CNAM;A;APRES50;APRES100;"
    "APPA;ARSAS;AAAH;NOTE_CNAF"
)
_REVN_2021 = _split(
    "CODGEO;LIBGEO;PMIMP;DECUC_Q2;DECUC_Q1;DECUC_Q3;BREV;DECUC_D1;DECUC_D9;DECUC_D1D9;DISP_Q2;DISP_Q1;"
    "DISP_Q3;TP60;DISP_D1;DISP_D9;DISP_D1D9;PACT;PPEN;PPSOC;PIMPOT;PPAT;NOTE_FILO;C;CC2S;NOTE_CNAM;A;APPA;"
    "ARSAS;AAAH;NOTE_CNAF"
)
_IPRO_2017 = _split(
    "CODGEO;LIBGEO;TX_TOT_EMPL;TX_F_EMPL;TX_ET_EMPL;TX_TOT_EPREC;TX_F_EPREC;TX_ET_EPREC;CA;CUI;CIE;CIE_HS;"
    "CIE_S;CAE;EAV;CA_F;CUI_F;EAV_F;CA_H;CUI_H;EAV_H;CUI_25;CUI_26A49;CUI_50;CUI_INFCAP;CUI_CAP;CUI_BAC;"
    "CUI_SUPBAC;EAV_INFCAP;EAV_CAP;EAV_SUPCAP;NOTE_ASP;ABCDE;ABCDE_F;ABCDE_H;ABC;ABC_F;ABC_H;ABC_RSA;"
    "ABC_RSA_F;ABC_RSA_H;A;A_F;A_H;ABC_25;ABC_2649;ABC_50;ABC_FR;ABC_E;ABC_INFCAPBEP;ABC_CAPBEP;ABC_BAC;"
    "ABC_SUPBAC;ABC_INFCAPBEP_F;ABC_CAPBEP_F;ABC_BAC_F;ABC_SUPBAC_F;ABC_INFCAPBEP_H;ABC_CAPBEP_H;ABC_BAC_H;"
    "ABC_SUPBAC_H;ABC_QAL1;ABC_QAL2;ABC_QAL3;ABC_QAL4;ABC_QAL5;ABC_DUR1;ABC_DUR2;ABC_DUR3;ABC_DUR4;"
    "ABC_DUR1_F;ABC_DUR2_F;ABC_DUR3_F;ABC_DUR4_F;ABC_DUR1_H;ABC_DUR2_H;ABC_DUR3_H;ABC_DUR4_H;NOTE_PE;"
    "A_N_T4;A_N1_T4;NOTE_PE_T"
)
# Note the trailing space in `EVOL_CA_N_E ` (2019 onwards), as in the real files.
_IPRO_2019 = _split(
    "CODGEO;LIBGEO;TX_TOT_EMPL;TX_F_EMPL;TX_ET_EMPL;TX_TOT_EPREC;TX_F_EPREC;TX_ET_EPREC;CA;NOTE_ASP;"
    "EVOL_CA_N_E ;NOTE_ASP_E;ABCDE;ABCDE_F;ABCDE_H;ABC;ABC_F;ABC_H;ABC_RSA;ABC_RSA_F;ABC_RSA_H;A;A_F;A_H;"
    "ABC_25;ABC_2649;ABC_50;ABC_FR;ABC_E;ABC_DUR1;ABC_DUR2;ABC_DUR3;ABC_DUR4;ABC_DUR1_F;ABC_DUR2_F;"
    "ABC_DUR3_F;ABC_DUR4_F;ABC_DUR1_H;ABC_DUR2_H;ABC_DUR3_H;ABC_DUR4_H;NOTE_PE;EVOL_ABC_T4;EVOL_ABC_F_T4;"
    "EVOL_ABC_H_T4;EVOL_A_T4;EVOL_A_F_T4;EVOL_A_H_T4;NOTE_PE_T"
)
_IPRO_2021 = _split(
    "CODGEO;LIBGEO;TX_TOT_EMPL;TX_F_EMPL;TX_ET_EMPL;TX_TOT_EDLIM;TX_F_EDLIM;TX_ET_EDLIM;CA;NOTE_ASP;"
    "EVOL_CA_N_E ;NOTE_ASP_E;ABCDE;ABCDE_F;ABCDE_H;ABC;ABC_F;ABC_H;ABC_RSA;ABC_RSA_F;ABC_RSA_H;A;A_F;A_H;"
    "ABC_25;ABC_2649;ABC_50;ABC_FR;ABC_E;ABC_INFCAPBEP;ABC_CAPBEP;ABC_BAC;ABC_SUPBAC;ABC_INFCAPBEP_F;"
    "ABC_CAPBEP_F;ABC_BAC_F;ABC_SUPBAC_F;ABC_INFCAPBEP_H;ABC_CAPBEP_H;ABC_BAC_H;ABC_SUPBAC_H;ABC_DUR1;"
    "ABC_DUR2;ABC_DUR3;ABC_DUR4;ABC_DUR1_F;ABC_DUR2_F;ABC_DUR3_F;ABC_DUR4_F;ABC_DUR1_H;ABC_DUR2_H;"
    "ABC_DUR3_H;ABC_DUR4_H;NOTE_PE;EVOL_ABC_T4;EVOL_ABC_F_T4;EVOL_ABC_H_T4;EVOL_A_T4;EVOL_A_F_T4;"
    "EVOL_A_H_T4;NOTE_PE_T"
)

ALL = "*"  # `drop_zero_decimal` value meaning "every decimal column"


@dataclass(frozen=True)
class AnctLayout:
    """How one ANCT/ONPV export is written.

    total_fields: number of `;`-separated fields on every line, named + empty trailing ones (as in the real file).
    ensemble_blank: columns left blank on the `Ensemble;Ensemble des QPV` row.
    drop_zero_decimal: decimal columns written `35` rather than `35,0` when the value is a whole number
        (the producer is not consistent between columns and editions; measured on the real files).
    amount_step: rounding of the euro amounts (DISP_*, DECUC_*): 1 up to 2019, 10 in 2021.
    """

    filename: str
    edition: int
    columns: tuple[str, ...]
    total_fields: int
    bom: bool = True
    thousands: bool = True  # U+202F between thousands
    ensemble: bool = False
    ensemble_blank: frozenset[str] = frozenset()
    drop_zero_decimal: frozenset[str] | str = frozenset()
    amount_step: int = 1
    quote_text: bool = False  # header and CODGEO in double quotes (data_DEMO_2021_V1_QP)
    final_newline: bool = False  # the DEMO/REVN/IPRO exports end without a line break


_DEMO_ENSEMBLE_BLANK = frozenset({"POP_COM_QP", "POP_COM", "LIB_COM", "NOTE_CNAF"})
_REVN_2017_ENSEMBLE_BLANK = frozenset(
    {
        "PMIMP", "PART_CHOMPRINC", "DECUC_Q2", "DECUC_Q1", "DECUC_Q3", "BREV", "DECUC_D1", "DECUC_D9",
        "DISP_Q2", "DISP_Q1", "DISP_Q3", "TP60", "DISP_D1", "DISP_D9", "PACT", "PPEN", "PPSOC", "PIMPOT",
        "PPAT", "NOTE_CNAM", "NOTE_CNAF",
    }
)  # fmt: skip
_REVN_2019_ENSEMBLE_BLANK = frozenset(
    {"PMIMP", "PART_CHOMPRINC", "BREV", "TP60", "NOTE_FILO", "NOTE_CNAM", "NOTE_CNAF"}
)

ANCT_LAYOUTS: tuple[AnctLayout, ...] = (
    AnctLayout("DEMO_2017.csv", 2017, _DEMO_2017_2019, 239, ensemble=True, ensemble_blank=_DEMO_ENSEMBLE_BLANK),
    AnctLayout(
        "DEMO_2019.csv", 2019, _DEMO_2017_2019, 190, ensemble=True, ensemble_blank=_DEMO_ENSEMBLE_BLANK,
        drop_zero_decimal=frozenset({"TX_TOT_ET", "TX_F_ET"}),
    ),
    AnctLayout("DEMO_2021.csv", 2021, _DEMO_2021, 191, drop_zero_decimal=frozenset({"TX_TOT_ET", "TX_F_ET"})),
    AnctLayout(
        "data_DEMO_2019_V1_QP.csv", 2019, _DATA_DEMO_2019, 32, bom=False, thousands=False, ensemble=True,
        ensemble_blank=_DEMO_ENSEMBLE_BLANK, drop_zero_decimal=ALL, final_newline=True,
    ),
    AnctLayout(
        "data_DEMO_2021_V1_QP.csv", 2021, _DATA_DEMO_2021, 32, bom=False, thousands=False,
        drop_zero_decimal=ALL, quote_text=True, final_newline=True,
    ),
    AnctLayout(
        "REVN_2017.csv", 2017, _REVN_2017, 256, ensemble=True, ensemble_blank=_REVN_2017_ENSEMBLE_BLANK,
        drop_zero_decimal=frozenset({"PMIMP", "PART_CHOMPRINC", "BREV"}),
    ),
    AnctLayout(
        "REVN_2019.csv", 2019, _REVN_2019, 256, ensemble=True, ensemble_blank=_REVN_2019_ENSEMBLE_BLANK,
        drop_zero_decimal=frozenset({"PMIMP", "PART_CHOMPRINC"}),
    ),
    AnctLayout("REVN_2021.csv", 2021, _REVN_2021, 1024, drop_zero_decimal=frozenset({"PMIMP"}), amount_step=10),
    AnctLayout(
        "IPRO_2017.csv", 2017, _IPRO_2017, 256, ensemble=True,
        ensemble_blank=frozenset({"NOTE_ASP", "NOTE_PE", "NOTE_PE_T"}), drop_zero_decimal=ALL,
    ),
    AnctLayout(
        "IPRO_2019.csv", 2019, _IPRO_2019, 214, ensemble=True,
        ensemble_blank=frozenset({"NOTE_ASP", "NOTE_ASP_E", "NOTE_PE", "NOTE_PE_T"}), drop_zero_decimal=ALL,
    ),
    AnctLayout("IPRO_2021.csv", 2021, _IPRO_2021, 226),
)  # fmt: skip

ANCT_FOLDER = "anct_onpv_qpv2015"
ANCT_EDITIONS = (2017, 2019, 2021)

# --- ANCT QPV 2024 perimeters ------------------------------------------------------------------------------

QPV2024_FOLDER = "anct_qpv2024"
QPV2024_FILE = "qpv2024_simplified.geojson"
QPV2024_LAYER_NAME = "QP2024_France_Hexagonale_Outre_Mer_WGS84_ESPG4326"
QPV2024_CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
QPV2024_PROPERTIES = (
    "fid", "code_qp", "lib_qp", "insee_reg", "lib_reg", "insee_dep", "lib_dep", "insee_com", "lib_com",
    "siren_epci",
)  # fmt: skip

# --- INSEE COG and commune -> EPCI reference --------------------------------------------------------------

COG_FOLDER = "cog_insee"
COG_COMMUNES_FILE = "cog_20240101.csv"
COG_COMMUNES_HEADER = _split("TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT", ",")
COM_EPCI_FILE = "com_epci_dep_reg.csv"
COM_EPCI_HEADER = _split(
    "com_code;com_siren;com_name;epci_siren;epci_name;dep_siren;dep_name;reg_siren;reg_name;ept_siren;ept_name"
)
DEPARTEMENTS_FILE = "departements_france.csv"
DEPARTEMENTS_HEADER = _split("code_departement,nom_departement,code_region,nom_region", ",")

# --- CAF and Filosofi by IRIS ------------------------------------------------------------------------------

IRIS_FOLDER = "caf_insee_iris"
CAF_IRIS_FILE = "data_CAF_2020_IRIS.csv"
CAF_IRIS_HEADER = _split(
    "CODGEO;NOTE;A;PERCOU;AI;AM;ACSSENF;ACAVENF;AC3ENF;ENF;ENF_2;ENF_3_5;ENF_6_10;ENF_11_14;ENF_15_17;"
    "ENF_18_24;A_ETUD;A_NETUD_24;AAL;AAPL;AAAH;APPA;ARSAS"
)
FILO_IRIS_FILE = "BASE_TD_FILO_DISP_IRIS_2019.csv"
FILO_IRIS_HEADER = _split(
    "IRIS;LIBIRIS;COM;LIBCOM;DISP_TP6019;DISP_Q119;DISP_MED19;DISP_Q319;DISP_EQ19;DISP_D119;DISP_D219;"
    "DISP_D319;DISP_D419;DISP_D619;DISP_D719;DISP_D819;DISP_D919;DISP_RD19;DISP_S80S2019;DISP_GI19;"
    "DISP_PACT19;DISP_PTSA19;DISP_PCHO19;DISP_PBEN19;DISP_PPEN19;DISP_PPAT19;DISP_PPSOC19;DISP_PPFAM19;"
    "DISP_PPMINI19;DISP_PPLOGT19;DISP_PIMPOT19;DISP_NOTE19"
)
# The Filosofi IRIS years of the demo. 2020 is the year of the CAF file: int_references_caf_communes checks the CAF
# IRIS of a commune against the Filosofi IRIS list of the same year (the 2018 and 2019 real files have the same
# layout, the year in the column names; the 2020 one is assumed alike [à vérifier]).
FILO_IRIS_YEARS = (2019, 2020)


def filo_iris_file(year: int) -> str:
    return f"BASE_TD_FILO_DISP_IRIS_{year}.csv"


def filo_iris_header(year: int) -> tuple[str, ...]:
    """FILO_IRIS_HEADER with the year of `year` on two digits (DISP_MED19 -> DISP_MED20)."""
    suffix = f"{year % 100:02d}"
    return tuple(c[:-2] + suffix if c.startswith("DISP_") else c for c in FILO_IRIS_HEADER)


# --- INSEE Filosofi of whole territories (FILO<year>_DISP_<level>.csv) -------------------------------------
# Headers copied from the real files of 2014 to 2018 (../shared/data/insee_filosofi_territoires, SOURCES.md §6).
# The year is on two digits at the end of every column name but CODGEO, LIBGEO, Q3_Q1 and RD.

FILO_TERRITOIRES_FOLDER = "insee_filosofi_territoires"
FILO_LEVELS = ("COM", "EPCI", "DEP", "REG", "METROPOLE")
FILOSOFI_LAG = 4  # REVN edition N carries Filosofi N - 4 (sql/seeds/annees_reference.csv)
FILO_WITHOUT_COMMUNE_FILE = frozenset(
    {2017}
)  # like the real data: the 2017 commune file could not be retrieved
_FILO_UNSUFFIXED = frozenset({"CODGEO", "LIBGEO", "Q3_Q1", "RD"})
_FILO_HEAD = _split("CODGEO;LIBGEO;NBMEN;NBPERS;NBUC;Q1;Q2;Q3;Q3_Q1;D1;D2;D3;D4;D6;D7;D8;D9;RD;S80S20;GI")
_FILO_TAIL = _split("PBEN;PPEN;PPAT;PPSOC;PPFAM;PPMINI;PPLOGT;PIMPOT")


@dataclass(frozen=True)
class FiloLayout:
    """How one year of FILO<year>_DISP_<level>.csv is written (the same for every level of the year).

    columns: names without the year; count_decimals: NBMEN and NBPERS (`308,0` in 2015; NBUC always has one);
    amount_decimals / amount_step: the euro amounts (one decimal up to 2015, whole euros in 2016, tens from 2017);
    total_fields: named + empty trailing fields on every line (the 2017 files end each line with 69 empty ones).
    """

    year: int
    columns: tuple[str, ...]
    count_decimals: int
    amount_decimals: int
    amount_step: int
    s80s20_decimals: int
    gi_decimals: int
    total_fields: int

    def header(self) -> list[str]:
        suffix = f"{self.year % 100:02d}"
        named = [c if c in _FILO_UNSUFFIXED else c + suffix for c in self.columns]
        return named + [""] * (self.total_fields - len(self.columns))

    def filename(self, level: str) -> str:
        return f"FILO{self.year}_DISP_{level}.csv"


def filo_layout(year: int) -> FiloLayout:
    """The layout of the real file of that year; before 2015 the 2014 one (PTSAC: wages and unemployment together)."""
    if year <= 2014:
        return FiloLayout(year, (*_FILO_HEAD, "PTSAC", *_FILO_TAIL), 0, 1, 1, 1, 1, 29)
    if year == 2015:
        return FiloLayout(year, (*_FILO_HEAD, "PACT", "PCHO", "PTSA", *_FILO_TAIL), 1, 1, 1, 1, 1, 31)
    columns = (*_FILO_HEAD, "PACT", "PTSA", "PCHO", *_FILO_TAIL)
    if year == 2016:
        return FiloLayout(year, columns, 0, 0, 1, 3, 3, 31)
    if year == 2017:
        return FiloLayout(year, columns, 0, 0, 10, 3, 3, 100)
    return FiloLayout(year, columns, 0, 0, 10, 1, 3, 31)


# --- France Travail job seekers by QPV 2024 (INSEE distribution) -------------------------------------------
# The real column names are not confirmed [à vérifier]: readers must take them from the metadata file
# shipped in the same zip (COD_VAR;LIB_VAR;TYPE_VAR).

DEFM_FOLDER = "france_travail"
DEFM_ZIP = "DEFM_QPV2024_2024.zip"
DEFM_DATA_FILE = "DEFM_QPV2024_2024.csv"
DEFM_META_FILE = "meta_DEFM_QPV2024_2024.csv"
DEFM_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("CODGEO", "Code du quartier prioritaire de la politique de la ville (géographie 2024)", "CHAR"),
    ("LIBGEO", "Libellé du quartier prioritaire", "CHAR"),
    ("DEFM_ABCDE", "Demandeurs d'emploi en fin de mois inscrits à France Travail, catégories A, B, C, D, E", "NUM"),
    ("DEFM_ABC", "Demandeurs d'emploi en fin de mois, catégories A, B, C", "NUM"),
    ("DEFM_A", "Demandeurs d'emploi en fin de mois, catégorie A", "NUM"),
    ("DEFM_ABC_F", "Demandeurs d'emploi en fin de mois, catégories A, B, C : femmes", "NUM"),
    ("DEFM_ABC_H", "Demandeurs d'emploi en fin de mois, catégories A, B, C : hommes", "NUM"),
    ("DEFM_ABC_M25", "Demandeurs d'emploi en fin de mois, catégories A, B, C : moins de 25 ans", "NUM"),
    ("DEFM_ABC_2549", "Demandeurs d'emploi en fin de mois, catégories A, B, C : 25 à 49 ans", "NUM"),
    ("DEFM_ABC_P50", "Demandeurs d'emploi en fin de mois, catégories A, B, C : 50 ans ou plus", "NUM"),
    ("DEFM_ABC_DUR1AN", "Demandeurs d'emploi en fin de mois, catégories A, B, C : inscrits depuis un an ou plus", "NUM"),
    ("DEFM_A_F", "Demandeurs d'emploi en fin de mois, catégorie A : femmes", "NUM"),
    ("DEFM_A_H", "Demandeurs d'emploi en fin de mois, catégorie A : hommes", "NUM"),
    ("DEFM_ABC_RSA", "Demandeurs d'emploi en fin de mois, catégories A, B, C : bénéficiaires du RSA", "NUM"),
)  # fmt: skip

# --- SIRENE -----------------------------------------------------------------------------------------------

SIRENE_FOLDER = "sirene"
STOCK_ETABLISSEMENT = "StockEtablissement_utf8"
STOCK_UNITE_LEGALE = "StockUniteLegale_utf8"
GEOLOC = "GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8"

STOCK_ETABLISSEMENT_HEADER = _split(
    "siren,nic,siret,statutDiffusionEtablissement,dateCreationEtablissement,trancheEffectifsEtablissement,"
    "anneeEffectifsEtablissement,activitePrincipaleRegistreMetiersEtablissement,"
    "dateDernierTraitementEtablissement,etablissementSiege,nombrePeriodesEtablissement,"
    "complementAdresseEtablissement,numeroVoieEtablissement,indiceRepetitionEtablissement,"
    "dernierNumeroVoieEtablissement,indiceRepetitionDernierNumeroVoieEtablissement,typeVoieEtablissement,"
    "libelleVoieEtablissement,codePostalEtablissement,libelleCommuneEtablissement,"
    "libelleCommuneEtrangerEtablissement,distributionSpecialeEtablissement,codeCommuneEtablissement,"
    "codeCedexEtablissement,libelleCedexEtablissement,codePaysEtrangerEtablissement,"
    "libellePaysEtrangerEtablissement,identifiantAdresseEtablissement,coordonneeLambertAbscisseEtablissement,"
    "coordonneeLambertOrdonneeEtablissement,complementAdresse2Etablissement,numeroVoie2Etablissement,"
    "indiceRepetition2Etablissement,typeVoie2Etablissement,libelleVoie2Etablissement,codePostal2Etablissement,"
    "libelleCommune2Etablissement,libelleCommuneEtranger2Etablissement,distributionSpeciale2Etablissement,"
    "codeCommune2Etablissement,codeCedex2Etablissement,libelleCedex2Etablissement,"
    "codePaysEtranger2Etablissement,libellePaysEtranger2Etablissement,dateDebut,etatAdministratifEtablissement,"
    "enseigne1Etablissement,enseigne2Etablissement,enseigne3Etablissement,denominationUsuelleEtablissement,"
    "activitePrincipaleEtablissement,nomenclatureActivitePrincipaleEtablissement,"
    "caractereEmployeurEtablissement,activitePrincipaleNAF25Etablissement",
    ",",
)
STOCK_UNITE_LEGALE_HEADER = _split(
    "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,sigleUniteLegale,"
    "sexeUniteLegale,prenom1UniteLegale,prenom2UniteLegale,prenom3UniteLegale,prenom4UniteLegale,"
    "prenomUsuelUniteLegale,pseudonymeUniteLegale,identifiantAssociationUniteLegale,"
    "trancheEffectifsUniteLegale,anneeEffectifsUniteLegale,dateDernierTraitementUniteLegale,"
    "nombrePeriodesUniteLegale,categorieEntreprise,anneeCategorieEntreprise,dateDebut,"
    "etatAdministratifUniteLegale,nomUniteLegale,nomUsageUniteLegale,denominationUniteLegale,"
    "denominationUsuelle1UniteLegale,denominationUsuelle2UniteLegale,denominationUsuelle3UniteLegale,"
    "categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,nomenclatureActivitePrincipaleUniteLegale,"
    "nicSiegeUniteLegale,economieSocialeSolidaireUniteLegale,societeMissionUniteLegale,"
    "caractereEmployeurUniteLegale,activitePrincipaleNAF25UniteLegale",
    ",",
)
GEOLOC_HEADER = _split(
    "siret;x;y;qualite_xy;epsg;plg_qp24;plg_iris;plg_zus;plg_qp15;plg_qva;plg_code_commune;distance_precision;"
    "qualite_qp24;qualite_iris;qualite_zus;qualite_qp15;qualite_qva;y_latitude;x_longitude"
)

# Tranche d'effectifs salariés: code -> (low, high) number of jobs. NN and 00 count 0.
TRANCHES_EFFECTIFS: dict[str, tuple[int, int]] = {
    "NN": (0, 0), "00": (0, 0), "01": (1, 2), "02": (3, 5), "03": (6, 9), "11": (10, 19), "12": (20, 49),
    "21": (50, 99), "22": (100, 199), "31": (200, 249), "32": (250, 499), "41": (500, 999),
    "42": (1000, 1999), "51": (2000, 4999), "52": (5000, 9999), "53": (10000, 10000),
}  # fmt: skip
