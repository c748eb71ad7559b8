"""SQL files of `sql/<layer>/<table>.sql`: one file per table, file stem = table name = asset key.

Seeds: facts kept as data in `sql/seeds/<name>.csv` (comma-separated, header line, UTF-8). A model reads one by
writing `{{ seed('<name>') }}` where a table would go; `SqlModel.text` replaces it by a `read_csv` of the file's
absolute path with the column types of `SEEDS` (no type guessing). That macro is the only text of a model that is
not run as written (tests/test_sql_hygiene.py accepts it and nothing else); a seed is not an asset: the staging
model that reads it (`sql/staging/ref_<name>.sql`) is, and is rebuilt with every run.
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
        "seuil_secret": "INTEGER",
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
}


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
        """The SQL to run: the file with each seed macro replaced by the typed `read_csv` of its file."""
        seeds_dir = self.path.parent.parent / SEEDS_FOLDER
        return SEED_MACRO.sub(lambda m: seed_relation(m.group(1), seeds_dir), self.file_text)

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
