"""SQL files of `sql/<layer>/<table>.sql`: one file per table, file stem = table name = asset key.

A model is run as written except for two macros, `{{ <macro>('<identifier>') }}`, which `SqlModel.text` replaces
(tests/test_sql_hygiene.py accepts them and nothing else):

- `{{ seed('<name>') }}`, where a table would go: the facts kept as data in `sql/seeds/<name>.csv` (comma-separated,
  header line, UTF-8), read by a `read_csv` of the file's absolute path with the column types of `SEEDS` (no type
  guessing). A seed is not an asset: the staging model that reads it (`sql/staging/ref_<name>.sql`) is, and is
  rebuilt with every run.
- `{{ long_shape('<cte>') }}`, where a table would go: the rows of the model's CTE `<cte>` in the long shape shared
  by every theme (`sql/intermediate/int_indicateurs_qpv_<theme>.sql`): the columns of `LONG_SHAPE` in that order and
  with those types, the values (`SECRET_EMPTIED`) emptied where `secret` is true, never 0.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.paths import SQL_DIR

LAYERS = ("staging", "intermediate", "marts")  # the schema of each SQL table is its folder
_REFERENCE = re.compile(r"\b(raw|staging|intermediate|marts)\.([a-z_][a-z0-9_]*)\b")
# `-- materialized: view` among a model's leading comment lines: a view (no copy of its rows), else a table.
_MATERIALIZED = re.compile(r"^--\s*materialized:\s*(table|view)\b", re.MULTILINE)
_SPATIAL_CALL = re.compile(r"\bST_[A-Za-z0-9_]+\s*\(", re.IGNORECASE)
# `{{ seed('name') }}` or `{{ long_shape('name') }}`: the only text of a model that is not run as written
MACRO = re.compile(r"\{\{\s*(seed|long_shape)\(\s*'([a-z_][a-z0-9_]*)'\s*\)\s*\}\}")
SEED_MACRO = re.compile(r"\{\{\s*seed\(\s*'([a-z_][a-z0-9_]*)'\s*\)\s*\}\}")
SEEDS_FOLDER = "seeds"
# The columns of each seed file, in the file's order, with their DuckDB type: the file must have exactly these.
SEEDS: dict[str, dict[str, str]] = {
    "indicateurs": {
        "code": "VARCHAR",
        "theme": "VARCHAR",
        "libelle": "VARCHAR",
        "definition": "VARCHAR",
        "formule": "VARCHAR",
        "unite": "VARCHAR",
        "facteur": "DOUBLE",
        "agregation": "VARCHAR",
        "numerateur_code": "VARCHAR",
        "denominateur_code": "VARCHAR",
        "source": "VARCHAR",
        "geographie": "VARCHAR",
        "annee_reference": "VARCHAR",
        "precautions": "VARCHAR",
        "producteur": "VARCHAR",
        "seuil_secret": "INTEGER",
    },
    "regles_secret": {
        "producteur": "VARCHAR",
        "libelle_producteur": "VARCHAR",
        "seuil_effectif": "INTEGER",
        "seuil_denominateur": "INTEGER",
        "regle": "VARCHAR",
    },
    "relations_additives": {
        "relation": "VARCHAR",
        "role": "VARCHAR",
        "indicateur": "VARCHAR",
        "priorite_masquage": "INTEGER",
        "libelle": "VARCHAR",
    },
    "annees_reference": {
        "fichier": "VARCHAR",
        "famille": "VARCHAR",
        "millesime": "INTEGER",
        "annee_reference": "INTEGER",
        "donnees": "VARCHAR",
        "certitude": "VARCHAR",
        "rupture_si_changement": "BOOLEAN",
        "preuve": "VARCHAR",
    },
    "familles_indicateurs": {
        "indicateur": "VARCHAR",
        "source": "VARCHAR",
        "fichier": "VARCHAR",
        "famille": "VARCHAR",
        "note": "VARCHAR",
    },
    "ess_familles": {
        "famille_ess": "VARCHAR",
        "libelle_famille": "VARCHAR",
        "ordre": "INTEGER",
    },
    "ess_categories_juridiques": {
        "famille_ess": "VARCHAR",
        "libelle_famille": "VARCHAR",
        "code_debut": "INTEGER",
        "code_fin": "INTEGER",
        "libelle_plage": "VARCHAR",
    },
    "ess_naf_exclus": {
        "prefixe_naf": "VARCHAR",
        "libelle": "VARCHAR",
    },
    "ess_sections_naf": {
        "section_naf": "VARCHAR",
        "libelle_section": "VARCHAR",
        "division_debut": "INTEGER",
        "division_fin": "INTEGER",
    },
    "tranches_effectifs": {
        "tranche_effectifs": "VARCHAR",
        "libelle": "VARCHAR",
        "effectif_bas": "INTEGER",
        "effectif_haut": "INTEGER",
    },
    "non_recours_drees": {
        "prestation": "VARCHAR",
        "parametre": "VARCHAR",
        "valeur": "DOUBLE",
        "unite": "VARCHAR",
        "annee_reference": "INTEGER",
        "source": "VARCHAR",
        "note": "VARCHAR",
    },
}
# The columns of every theme model (int_indicateurs_qpv_<theme>), in order, with their type: `{{ long_shape('…') }}`.
LONG_SHAPE: dict[str, str] = {
    "code_qp": "VARCHAR",
    "lib_qp": "VARCHAR",
    "geographie": "VARCHAR",
    "millesime": "INTEGER",
    "annee_reference": "INTEGER",
    "indicateur": "VARCHAR",
    "valeur": "DOUBLE",
    "numerateur": "DOUBLE",
    "denominateur": "DOUBLE",
    "borne_basse": "DOUBLE",
    "borne_haute": "DOUBLE",
    "secret": "BOOLEAN",
    "source": "VARCHAR",
    "fichier_sha256": "VARCHAR",
}
SECRET_EMPTIED = ("valeur", "numerateur", "denominateur", "borne_basse", "borne_haute")  # null where secret


@dataclass(frozen=True)
class SqlModel:
    schema: str
    name: str
    path: Path

    @property
    def file_text(self) -> str:
        """The file as written (with its `{{ seed('…') }}` macros)."""
        return self.path.read_text(encoding="utf-8")

    @property
    def text(self) -> str:
        """The SQL to run: the file with each macro replaced (a seed by the typed `read_csv` of its file)."""
        seeds_dir = self.path.parent.parent / SEEDS_FOLDER

        def expand(match: re.Match[str]) -> str:
            macro, argument = match.groups()
            return seed_relation(argument, seeds_dir) if macro == "seed" else long_shape_relation(argument)

        return MACRO.sub(expand, self.file_text)

    def seeds(self) -> list[str]:
        """The seeds (`sql/seeds/<name>.csv`) this model reads."""
        return sorted({m.group(1) for m in SEED_MACRO.finditer(_strip_comments(self.file_text))})

    @property
    def description(self) -> str:
        """The leading `--` comment lines (grain and source), as the Dagster UI shows them."""
        return "\n".join(line[2:].strip() for line in self.description_block.splitlines())

    @property
    def materialized(self) -> str:
        """'view' when the header says `-- materialized: view`, else 'table'."""
        found = _MATERIALIZED.search(self.description_block)
        return found.group(1) if found else "table"

    @property
    def description_block(self) -> str:
        """The leading `--` comment lines, as written."""
        lines = []
        for line in self.file_text.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line)
        return "\n".join(lines)

    @property
    def needs_spatial(self) -> bool:
        """Whether the model calls a spatial function (ST_…): only then is the extension loaded for it."""
        return bool(_SPATIAL_CALL.search(_strip_comments(self.file_text)))

    def references(self) -> list[tuple[str, str]]:
        """Tables this model reads (schema, name), from `schema.table` references in its text."""
        refs = {m.groups() for m in _REFERENCE.finditer(_strip_comments(self.file_text))}
        refs.discard((self.schema, self.name))
        return sorted(refs)


def _strip_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def seed_relation(name: str, seeds_dir: Path = SQL_DIR / SEEDS_FOLDER) -> str:
    """`read_csv('<absolute path>', …)` of `<seeds_dir>/<name>.csv` with the declared column types of SEEDS."""
    if name not in SEEDS:
        raise KeyError(f"seed {name!r} non déclarée dans pipelines.warehouse.models.SEEDS")
    path = (seeds_dir / f"{name}.csv").resolve()
    if not path.is_file():
        raise FileNotFoundError(f"seed {name!r} : fichier {path} absent")
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), [])
    if header != list(SEEDS[name]):
        raise ValueError(f"seed {name!r} : colonnes {header} du fichier, attendues {list(SEEDS[name])}")
    columns = ", ".join(f"{_literal(column)}: {_literal(kind)}" for column, kind in SEEDS[name].items())
    return (
        f"read_csv({_literal(path.as_posix())}, header = true, delim = ',', quote = '\"', escape = '\"', "
        f"encoding = 'utf-8', auto_detect = false, columns = {{{columns}}})"
    )


def long_shape_relation(relation: str) -> str:
    """`(select …)` of `relation`'s columns in the long shape (LONG_SHAPE), the SECRET_EMPTIED values null where secret."""
    columns = []
    for column, kind in LONG_SHAPE.items():
        value = f"case when secret then null else {column} end" if column in SECRET_EMPTIED else column
        columns.append(f"        cast({value} as {kind}) as {column}")
    return "(\n    select\n" + ",\n".join(columns) + f"\n    from {relation}\n)"


def discover_models(sql_dir: Path = SQL_DIR) -> list[SqlModel]:
    models = []
    for layer in LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            models.append(SqlModel(schema=layer, name=path.stem, path=path))
    return models


def load_sql(name: str, sql_dir: Path = SQL_DIR) -> str:
    """The text of a model by table name (`stg_anct_revn`) or qualified name (`marts.indicateurs_qpv`)."""
    schema, _, table = name.rpartition(".")
    for model in discover_models(sql_dir):
        if model.name == table and (not schema or model.schema == schema):
            return model.text
    raise KeyError(f"no SQL model {name!r} under {sql_dir}")
