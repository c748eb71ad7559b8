"""The data dictionary of the marts: one description (in French, for analysts) per table and per column.

One place for every description an export carries (`qpv export`, pipelines/warehouse/export.py):
- the columns whose name is an indicator code (the wide views `marts.qpv_*`) and their bounds
  (`<code>_borne_basse`, `<code>_borne_haute`) are described from `marts.ref_indicateurs` (label, unit, definition,
  source), the observatory's own dictionary, never repeated here;
- every other column (keys, values, flags: `code_qp`, `millesime`, `indicateur`, `valeur`…) is described in
  `COLUMNS` below; the same name means the same thing in every mart, and `TABLE_COLUMNS` holds the few
  exceptions where a mart gives a name a narrower meaning;
- tables are described in `TABLES`; a mart added later without an entry falls back on the header comment of its
  SQL file (`sql/marts/<table>.sql`, in English).

`tests/test_export.py` checks that no column of any mart of the demo warehouse lacks a description.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.paths import PROJECT_ROOT

MARTS_SCHEMA = "marts"

TABLES: dict[str, str] = {
    "indicateurs_qpv": (
        "Table principale de l'observatoire, format long : une ligne par quartier (code_qp), géographie "
        "(qpv2015 / qpv2024), millésime et indicateur. Valeur nulle et secret = vrai quand la valeur est "
        "couverte par le secret statistique (jamais 0)."
    ),
    "annees_reference": (
        "Année des données derrière chaque millésime des fichiers ANCT/ONPV de la géographie 2015 : une ligne par "
        "fichier (REVN, DEMO, IPRO), famille de variables et millésime, avec la certitude (établie, probable, "
        "hypothèse) et la preuve ; source de marts.indicateurs_qpv.annee_reference (table sql/seeds/"
        "annees_reference.csv du dépôt)."
    ),
    "ref_indicateurs": (
        "Dictionnaire des indicateurs : une ligne par code d'indicateur (libellé, définition, formule, unité, "
        "source, règles de secret, d'agrégation et de rupture de série)."
    ),
    "ref_relations_additives": (
        "Relations additives entre effectifs publiés (total = somme des composantes, dans chaque quartier et "
        "millésime : demandeurs d'emploi par sexe, âge, ancienneté, formation ; allocataires par type de famille ; "
        "foyers éligibles = allocataires + non recourants) : le secret statistique les protège, aucune cellule "
        "secrète ne se déduit d'un total moins les parties visibles (table sql/seeds/relations_additives.csv)."
    ),
    "indicateurs_territoire": (
        "Les indicateurs de l'ensemble des quartiers d'un territoire (commune, EPCI, département, région, "
        "France) : sommes des effectifs, ratios recalculés à partir des sommes (jamais une moyenne de taux) ; "
        "les indicateurs non additifs (médianes, taux sans effectifs) ne sont pas agrégés."
    ),
    "ecarts_qpv": (
        "Chaque quartier comparé à son territoire entier (perimetre_reference 'ensemble' : commune, EPCI, "
        "département, région, France métropolitaine, même année de données) et à l'ensemble des quartiers de sa "
        "commune, de son EPCI et de la France (perimetre_reference 'qpv', taux avec effectifs) : valeur de "
        "référence, écart (en points pour un %) et rapport."
    ),
    "qpv_territoires": (
        "Les territoires de chaque quartier des deux géographies : sa commune principale (toutes ses communes dans "
        "codes_communes), l'EPCI, le département et la région de cette commune dans le COG en vigueur ; le "
        "rattachement qu'utilisent marts.ecarts_qpv et marts.indicateurs_territoire."
    ),
    "references_territoire": (
        "Les territoires entiers (tous leurs ménages, pas seulement ceux des quartiers) : INSEE Filosofi des "
        "communes, EPCI, départements, régions et France métropolitaine, allocataires CAF par IRIS sommés aux "
        "communes ; une ligne par territoire, année de données et indicateur, chaque territoire avec le code et "
        "l'année de son fichier."
    ),
    "qpv_chomage": (
        "Vue large chômage et emploi : une ligne par quartier, géographie et millésime, une colonne par "
        "indicateur (avec les bornes des estimations)."
    ),
    "qpv_pauvrete": (
        "Vue large pauvreté et revenus : une ligne par quartier, géographie et millésime, une colonne par "
        "indicateur."
    ),
    "qpv_non_recours": (
        "Vue large non-recours au RSA et à la prime d'activité (estimations avec fourchette) : une ligne par "
        "quartier, géographie et millésime."
    ),
    "qpv_ess": (
        "Vue large économie sociale et solidaire (SIRENE) : une ligne par quartier, géographie et millésime du "
        "stock SIRENE, emplois avec leurs bornes issues des tranches d'effectifs."
    ),
    "ess_qpv_detail": (
        "Établissements et emplois de l'ESS par famille (association, fondation, mutuelle, coopérative, "
        "entreprise ESS) et section NAF, pour chaque quartier et millésime SIRENE, secret statistique appliqué."
    ),
    "passage_qpv2015_qpv2024": (
        "Correspondance entre les géographies 2015 et 2024 pondérée par les établissements SIRENE (aucune table "
        "officielle n'existe) : à utiliser comme approximation, jamais pour convertir exactement des effectifs "
        "d'habitants."
    ),
    "observations_terrain": (
        "Observations de terrain des structures (associations, services) dans les quartiers 2024, anonymisées et "
        "agrégées par terrain, catégorie et période (année ou semestre) : jamais un enregistrement isolé ; "
        "comptes secrets (nuls, jamais 0) sous 3 observations ou sous le seuil de personnes ou ménages."
    ),
    "terrain_croisement": (
        "Le total annuel des observations de terrain d'un quartier 2024, à côté des statistiques de "
        "l'observatoire sur le même thème (non-recours, créations, ESS, demandeurs d'emploi), au dernier "
        "millésime ; en géographie 2015 par approximation quand l'indicateur n'existe pas en 2024."
    ),
    "qpv_perimetres": (
        "Périmètres simplifiés des quartiers 2024 (GeoJSON WGS84, pour l'affichage seulement) avec la commune "
        "et l'EPCI de rattachement et l'emprise (bounding box)."
    ),
}

COLUMNS: dict[str, str] = {
    # keys and labels
    "code_qp": "Code du quartier prioritaire (QP + 6 caractères en géographie 2015, QN + 6 en géographie 2024).",
    "lib_qp": "Nom du quartier prioritaire.",
    "geographie": "Géographie des quartiers : qpv2015 (contrats de ville 2015-2023) ou qpv2024 (quartiers 2024).",
    "millesime": "Millésime : édition de publication du producteur (pas forcément l'année de référence des données).",
    "annee_reference": "Année des données derrière la valeur (pas l'étiquette de publication) : année de fin pour la "
    "DEFM 2024, année du stock pour SIRENE ; pour les fichiers ANCT/ONPV de la géographie 2015, année de la famille "
    "de variables de l'indicateur à ce millésime (recensement, Filosofi, CAF au 31 décembre, CNAM, DEFM au 31 "
    "décembre), avec sa certitude et sa preuve dans marts.annees_reference ; pour un ratio ou une estimation qui "
    "mêle plusieurs familles, celle du numérateur (non-recours : celle des allocataires CAF).",
    "indicateur": "Code de l'indicateur ; libellé, définition et unité dans marts.ref_indicateurs (colonne code).",
    "unite": "Unité de la valeur (%, ‰, habitants, foyers, €/UC/an…).",
    "source": "Producteur et fichier(s) d'origine de la valeur.",
    "fichier_sha256": "Empreinte SHA-256 du fichier source brut dont la valeur est issue (traçabilité).",
    # values
    "valeur": "Valeur de l'indicateur dans son unité ; nulle quand elle est secrète ou non diffusée (jamais 0).",
    "numerateur": "Numérateur d'un ratio (effectif), ou l'effectif lui-même pour un comptage ; nul si secret.",
    "denominateur": "Dénominateur d'un ratio (effectif) ; nul pour un comptage ou si secret.",
    "borne_basse": "Borne basse de la fourchette d'une estimation ; nulle pour une mesure.",
    "borne_haute": "Borne haute de la fourchette d'une estimation ; nulle pour une mesure.",
    "secret": "Vrai quand la valeur est couverte par le secret statistique (primaire ou secondaire) ou non "
    "diffusée par le producteur : la valeur est alors nulle, jamais 0.",
    "rupture": "Vrai quand la valeur (ou l'une des valeurs de la ligne) rompt la série : pas comparable avec le "
    "millésime précédent (changement de source, de définition ou de base du recensement ; règle dans "
    "marts.ref_indicateurs.regle_rupture).",
    "nb_secrets": "Nombre d'indicateurs de la ligne couverts par le secret statistique.",
    # territories
    "type_territoire": "Niveau du territoire : commune, epci, departement, region, france (ensemble des "
    "quartiers) ou france_metropolitaine (territoire entier).",
    "motif_absence": "Pourquoi une commune présente dans le fichier CAF par IRIS n'a pas de valeur (IRIS absents "
    "ou sans effectif diffusé) ; vide quand la valeur est publiée.",
    "code_commune_cog": "Commune du COG en vigueur correspondant au code du fichier (elle-même, ou la commune "
    "parente d'une commune déléguée ou associée) ; nul quand le COG n'a plus ce code (commune fusionnée depuis).",
    "lib_perimetre_reference": "Le périmètre de la référence en clair : « ensemble de la commune », « ensemble de "
    "l'EPCI », « France métropolitaine » (territoire entier) ou « quartiers prioritaires de la commune »… "
    "(somme des quartiers).",
    "code_territoire": "Code du territoire tel que dans son fichier (code commune INSEE, SIREN de l'EPCI, code "
    "département ou région ; 'FR' pour l'ensemble des quartiers de France, '1' pour la France métropolitaine "
    "entière).",
    "lib_territoire": "Nom du territoire.",
    "perimetre": "Périmètre agrégé : 'qpv' = l'ensemble des quartiers du territoire (pas le territoire entier).",
    "nb_qpv": "Nombre de quartiers dont la valeur entre dans l'agrégat (la somme est un minorant si des "
    "quartiers manquent).",
    "code_commune": "Code INSEE de la commune de rattachement du quartier (commune principale).",
    "lib_commune": "Nom de la commune de rattachement.",
    "code_epci": "SIREN de l'EPCI de la commune de rattachement.",
    "lib_epci": "Nom de l'EPCI.",
    "code_departement": "Code du département de la commune de rattachement.",
    "lib_departement": "Nom du département.",
    "code_region": "Code de la région de la commune de rattachement.",
    "lib_region": "Nom de la région.",
    "nb_communes": "Nombre de communes sur lesquelles s'étend le quartier (selon le producteur).",
    "codes_communes": "Codes INSEE de toutes les communes du quartier.",
    "rattachement": "Comment la commune principale a été choisie (commune unique, commune principale…) ou pourquoi "
    "aucune ne l'a été.",
    # comparisons (ecarts_qpv)
    "type_reference": "Territoire de comparaison : commune, epci, departement, region, france_metropolitaine "
    "(territoire entier) ou commune, epci, france (ensemble de leurs quartiers) selon perimetre_reference.",
    "code_reference": "Code du territoire de comparaison.",
    "lib_reference": "Nom du territoire de comparaison.",
    "perimetre_reference": "Périmètre de la référence : 'ensemble' = le territoire entier (tous ses ménages, "
    "même année de données que le quartier) ; 'qpv' = l'ensemble des quartiers du territoire, le quartier "
    "compris (pas de ligne quand moins de deux quartiers y entrent).",
    "valeur_reference": "Valeur de l'indicateur pour le territoire de comparaison ; nulle si secrète.",
    "secret_reference": "Vrai quand la valeur de référence est secrète.",
    "ecart": "Écart valeur − valeur_reference (en points pour un %) ; nul si l'une des deux est secrète.",
    "unite_ecart": "Unité de l'écart (points pour un taux en %, sinon l'unité de l'indicateur).",
    "rapport": "Rapport valeur / valeur_reference ; nul si l'une des deux est secrète ou si la référence vaut 0.",
    # ESS detail
    "famille_ess": "Famille de l'ESS (association, fondation, mutuelle, cooperative, entreprise_ess).",
    "libelle_famille": "Libellé de la famille de l'ESS.",
    "section_naf": "Section de la nomenclature d'activités française (NAF rév. 2), une lettre.",
    "libelle_section": "Libellé de la section NAF.",
    "emplois_ess_bas": "Emplois salariés ESS de la cellule, borne basse (bas des tranches d'effectifs).",
    "emplois_ess_central": "Emplois salariés ESS de la cellule, valeur centrale des tranches d'effectifs.",
    "emplois_ess_haut": "Emplois salariés ESS de la cellule, borne haute (haut des tranches d'effectifs).",
    # 2015 → 2024 correspondence
    "code_qp2015": "Code du quartier en géographie 2015.",
    "lib_qp2015": "Nom du quartier en géographie 2015.",
    "code_qp2024": "Code du quartier en géographie 2024 ; nul = hors de tout quartier 2024.",
    "lib_qp2024": "Nom du quartier en géographie 2024.",
    "etablissements_communs": "Établissements actifs du quartier 2015 situés dans le quartier 2024 de la ligne.",
    "etablissements_qp2015": "Établissements actifs localisés du quartier 2015 (tous quartiers 2024 confondus).",
    "etablissements_qp2024": "Établissements actifs localisés du quartier 2024.",
    "part_etablissements_qp2015": "Part des établissements du quartier 2015 situés dans le quartier 2024 (somme "
    "à 1 sur les lignes d'un quartier 2015).",
    "part_etablissements_qp2024": "Part des établissements du quartier 2024 qui viennent du quartier 2015.",
    "etablissements_plg_qp24_concordants": "Établissements dont le code plg_qp24 de l'INSEE confirme le quartier "
    "2024 trouvé par jointure spatiale.",
    "methode": "Méthode de la correspondance.",
    # terrain observations (observations_terrain, terrain_croisement)
    "terrain": "Thème d'observation de terrain : non_recours, economie_informelle ou entrepreneuriat.",
    "categorie": "Catégorie d'observation à l'intérieur du thème de terrain.",
    "type_periode": "Type de période : annee ou semestre.",
    "periode": "Période d'observation : l'année ('2025') ou le semestre ('2025-S1').",
    "annee": "Année des observations de terrain.",
    "nb_observations": "Nombre d'observations de terrain ; nul si secret (moins de 3 observations…).",
    "nb_concernes": "Personnes ou ménages concernés, selon l'estimation des structures ; nul si secret.",
    "nb_structures": "Nombre de structures distinctes ayant fait les observations ; nul si secret.",
    "motif_secret": "Pourquoi la cellule est secrète : primaire (sous les seuils) ou secondaire (pour protéger "
    "une autre cellule) ; vide si publiée.",
    "seuil_secret": "Seuil du secret statistique appliqué (effectif minimal de personnes ou ménages, ou de "
    "dénominateur).",
    "seuil_observations": "Nombre minimal d'observations pour publier une cellule de terrain.",
    "secret_observations": "Vrai quand le total des observations de terrain du quartier et de l'année est secret.",
    "categories_publiees": "Catégories de terrain publiées pour le quartier et l'année (les plus fréquentes "
    "d'abord).",
    "ordre": "Ordre d'affichage de l'indicateur dans le thème de terrain.",
    "libelle_indicateur": "Libellé de l'indicateur statistique (marts.ref_indicateurs).",
    "geographie_indicateur": "Géographie de la valeur statistique : qpv2024, ou qpv2015 par approximation.",
    "code_qp_indicateur": "Quartier dont vient la valeur statistique (le quartier 2015 qui porte la plus grande "
    "part des établissements du quartier 2024 quand la géographie est qpv2015).",
    "secret_indicateur": "Vrai quand la valeur statistique est secrète (nulle, jamais 0).",
    "source_indicateur": "Source de la valeur statistique.",
    "correspondance": "Comment la valeur statistique a été rattachée au quartier 2024 (directe ou approximation "
    "par la table de passage 2015 → 2024).",
    # perimeters
    "geometry": "Périmètre simplifié du quartier en GeoJSON (WGS84), pour l'affichage (pas pour calculer des "
    "surfaces).",
    "nb_points": "Nombre de sommets du périmètre simplifié.",
    "nb_points_origine": "Nombre de sommets du périmètre d'origine.",
    "lon_min": "Longitude minimale de l'emprise (WGS84).",
    "lon_max": "Longitude maximale de l'emprise (WGS84).",
    "lat_min": "Latitude minimale de l'emprise (WGS84).",
    "lat_max": "Latitude maximale de l'emprise (WGS84).",
}

# A name whose meaning is narrower in one mart than in COLUMNS.
TABLE_COLUMNS: dict[tuple[str, str], str] = {
    (
        "ess_qpv_detail",
        "etablissements_ess",
    ): "Établissements de l'ESS de la cellule (famille × section NAF) ; nul si secret.",
    (
        "ess_qpv_detail",
        "secret",
    ): "Vrai quand la cellule est secrète (moins d'établissements que le seuil, ou "
    "secret secondaire) : effectifs nuls, jamais 0.",
    ("annees_reference", "fichier"): "Fichier ANCT/ONPV de la géographie 2015 : REVN, DEMO ou IPRO.",
    ("annees_reference", "famille"): "Famille de variables du fichier qui partage une même date de données "
    "(filosofi, caf, cnam, rp_population, rp_structure, rp_emploi, defm, asp).",
    ("annees_reference", "millesime"): "Millésime de publication ANCT/ONPV (l'étiquette du fichier).",
    ("annees_reference", "annee_reference"): "Année des données de la famille à ce millésime.",
    (
        "annees_reference",
        "donnees",
    ): "Les données en clair (« Filosofi 2017 », « RP 2013 », « CAF au 31/12/2015 »…).",
    (
        "annees_reference",
        "certitude",
    ): "etablie (vérifiée sur des chiffres publiés par le producteur), probable "
    "(cohérente avec eux, non vérifiée valeur par valeur) ou hypothese (supposée, dite dans la preuve).",
    (
        "annees_reference",
        "rupture_si_changement",
    ): "Vrai pour une famille du recensement : un changement de base du "
    "recensement entre deux millésimes marque une rupture de série (règle dans marts.ref_indicateurs.regle_rupture).",
    (
        "annees_reference",
        "preuve",
    ): "Ce qui établit ou fonde l'année (comparaison avec une publication, données).",
    (
        "annees_reference",
        "indicateurs",
    ): "Codes des indicateurs de l'observatoire qui portent l'année de cette famille.",
    ("ref_relations_additives", "relation"): "Identifiant de la relation additive.",
    ("ref_relations_additives", "libelle"): "La relation en clair (total = somme des composantes), avec sa précision "
    "sur les fichiers réels quand elle n'est pas toujours exacte.",
    ("ref_relations_additives", "role"): "total ou composante.",
    ("ref_relations_additives", "priorite_masquage"): "Ordre dans lequel le secret secondaire masque une cellule de "
    "plus quand une seule cellule de la relation serait secrète (la plus petite priorité d'abord, puis la plus "
    "petite valeur) : les estimations du projet avant les effectifs des producteurs.",
    ("ref_indicateurs", "code"): "Code de l'indicateur (valeur de la colonne indicateur des autres tables).",
    ("ref_indicateurs", "theme"): "Thème : base, chomage, pauvrete, non_recours, ess, entrepreneuriat.",
    ("ref_indicateurs", "libelle"): "Libellé de l'indicateur.",
    ("ref_indicateurs", "definition"): "Définition de l'indicateur.",
    ("ref_indicateurs", "formule"): "Formule de calcul à partir des colonnes des fichiers du producteur.",
    ("ref_indicateurs", "unite"): "Unité de l'indicateur.",
    ("ref_indicateurs", "facteur"): "Facteur d'un ratio (100 pour un %, 1 000 pour un ‰).",
    ("ref_indicateurs", "agregation"): "Agrégation sur un territoire : somme, ratio (Σ numérateurs / Σ "
    "dénominateurs) ou non_additif (pas d'agrégat).",
    ("ref_indicateurs", "numerateur_code"): "Code de l'indicateur effectif au numérateur d'un ratio.",
    ("ref_indicateurs", "denominateur_code"): "Code de l'indicateur effectif au dénominateur d'un ratio.",
    ("ref_indicateurs", "source"): "Producteur(s) et fichiers d'origine.",
    ("ref_indicateurs", "geographie"): "Géographie(s) où l'indicateur existe (qpv2015, qpv2024).",
    (
        "ref_indicateurs",
        "annee_reference",
    ): "Relation entre millésime et année de référence des données ; pour la "
    "géographie 2015, l'année des données de chaque millésime et sa certitude (détail dans marts.annees_reference).",
    ("ref_indicateurs", "precautions"): "Précautions d'usage et d'interprétation.",
    ("ref_indicateurs", "producteur"): "Producteur dont la règle de secret s'applique (sql/seeds/regles_secret.csv : "
    "insee_rp, insee_filosofi, cnaf, cnam, france_travail, asp, insee_sirene).",
    ("ref_indicateurs", "seuil_secret"): "Seuil du secret statistique (effectif ou dénominateur minimal) : règle du "
    "producteur, ou seuil plus strict du dictionnaire ; 0 = pas de seuil (registre public SIRENE).",
    ("ref_indicateurs", "regle_secret"): "Règle de secret statistique appliquée (primaire et secondaire).",
    ("ref_indicateurs", "regle_territoires"): "Règle d'agrégation des territoires.",
    ("ref_indicateurs", "regle_rupture"): "Quand une valeur est marquée en rupture de série.",
    (
        "ref_indicateurs",
        "millesimes_rupture",
    ): "Millésimes où la définition de l'indicateur change (les changements "
    "de base du recensement sont dans regle_rupture).",
}

BOUND_SUFFIXES = {"_borne_basse": "Borne basse", "_borne_haute": "Borne haute"}


@dataclass(frozen=True)
class ColumnEntry:
    """One row of the dictionary: a column of a mart and what it holds."""

    table: str
    colonne: str
    type: str
    description: str | None
    indicateur: str | None = None  # the ref_indicateurs code the column carries, if any
    unite: str | None = None
    source: str | None = None

    def as_row(self) -> dict[str, str | None]:
        return {
            "table": self.table,
            "colonne": self.colonne,
            "type": self.type,
            "description": self.description,
            "indicateur": self.indicateur,
            "unite": self.unite,
            "source": self.source,
        }


DICTIONARY_FIELDS = ("table", "colonne", "type", "description", "indicateur", "unite", "source")


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables and views of the marts schema, in name order."""
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by table_name",
        [MARTS_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def _indicators(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    if "ref_indicateurs" not in mart_tables(con):
        return {}
    cursor = con.execute(
        "select code, libelle, definition, unite, source from marts.ref_indicateurs order by code"
    )
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def _indicator_text(ref: dict) -> str:
    text = ref["libelle"] or ref["code"]
    if ref.get("unite"):
        text += f" ({ref['unite']})"
    text += "."
    if ref.get("definition"):
        text += f" {ref['definition']}"
    return text


def table_description(table: str) -> str | None:
    """French description of a mart, else the header comment of its SQL file (English), else None."""
    if table in TABLES:
        return TABLES[table]
    path = PROJECT_ROOT / "sql" / "marts" / f"{table}.sql"
    if not path.is_file():
        return None
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines) or None


def describe(table: str, column: str, indicators: dict[str, dict]) -> ColumnEntry:
    """The entry of one column (type left empty): table exception, fixed column, indicator code, bound."""
    if (table, column) in TABLE_COLUMNS:
        return ColumnEntry(table, column, "", TABLE_COLUMNS[(table, column)])
    if column in COLUMNS:
        return ColumnEntry(table, column, "", COLUMNS[column])
    if column in indicators:
        ref = indicators[column]
        return ColumnEntry(
            table, column, "", _indicator_text(ref), column, ref.get("unite"), ref.get("source")
        )
    for suffix, label in BOUND_SUFFIXES.items():
        code = column.removesuffix(suffix)
        if code != column and code in indicators:
            ref = indicators[code]
            text = (
                f"{label} de la fourchette de l'estimation « {ref['libelle']} » ({ref.get('unite') or ''})."
            )
            return ColumnEntry(table, column, "", text, code, ref.get("unite"), ref.get("source"))
    return ColumnEntry(table, column, "", None)


def dictionary(con: duckdb.DuckDBPyConnection, tables: list[str] | None = None) -> list[ColumnEntry]:
    """Every column of the given marts (default: all) with its description, in table then column order."""
    indicators = _indicators(con)
    entries: list[ColumnEntry] = []
    for table in tables if tables is not None else mart_tables(con):
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [MARTS_SCHEMA, table],
        ).fetchall()
        for name, data_type in columns:
            entry = describe(table, name, indicators)
            entries.append(
                ColumnEntry(
                    table, name, data_type, entry.description, entry.indicateur, entry.unite, entry.source
                )
            )
    return entries


def missing_descriptions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """`table.column` of every mart column without a description, and `table` of every undescribed mart."""
    missing = [f"{t}" for t in mart_tables(con) if not table_description(t)]
    missing += [f"{e.table}.{e.colonne}" for e in dictionary(con) if not e.description]
    return missing
