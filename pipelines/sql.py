"""SQL files of `sql/<layer>/<table>.sql`: one file per table, file stem = table name = asset key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.paths import SQL_DIR

LAYERS = ("staging", "intermediate", "marts")  # the schema of each SQL table is its folder
_REFERENCE = re.compile(r"\b(raw|staging|intermediate|marts)\.([a-z_][a-z0-9_]*)\b")
# `-- materialized: view` among a model's leading comment lines: a view (no copy of its rows), else a table.
_MATERIALIZED = re.compile(r"^--\s*materialized:\s*(table|view)\b", re.MULTILINE)
_SPATIAL_CALL = re.compile(r"\bST_[A-Za-z0-9_]+\s*\(", re.IGNORECASE)


@dataclass(frozen=True)
class SqlModel:
    schema: str
    name: str
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

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
        for line in self.text.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line)
        return "\n".join(lines)

    @property
    def needs_spatial(self) -> bool:
        """Whether the model calls a spatial function (ST_…): only then is the extension loaded for it."""
        return bool(_SPATIAL_CALL.search(_strip_comments(self.text)))

    def references(self) -> list[tuple[str, str]]:
        """Tables this model reads (schema, name), from `schema.table` references in its text."""
        refs = {m.groups() for m in _REFERENCE.finditer(_strip_comments(self.text))}
        refs.discard((self.schema, self.name))
        return sorted(refs)


def _strip_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text)


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
