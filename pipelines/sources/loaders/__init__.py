"""Loaders: how a source's files become its raw table. One function per file family, registered by name.

A loader receives the source, its files (one or more per edition) and a DuckDB connection, and writes the
table it is given (`raw.<name>__incoming`); the raw asset swaps it in only when the loader succeeded.
Every raw table holds the contract's columns, typed, plus the lineage columns `millesime`, `_fichier`,
`_sha256`, `_ligne` (line in the file, or row number for Parquet/GeoJSON).

Loaders are discovered: a module in this package that decorates a function with `@register("name")` is
available as `Source(loader="name")`. Nothing else to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from pipelines.contracts.model import Contract
from pipelines.contracts.registry import Source
from pipelines.sources.parsing import LINEAGE_COLUMNS, SourceFile


@dataclass
class LoadReport:
    rows: int
    undeclared: dict[str, list[str]] = field(default_factory=dict)  # file -> columns not in the contract
    notes: dict[str, Any] = field(default_factory=dict)  # loader-specific facts for the asset metadata
    # a raw view's rule counts, counted in the load's scan: edition -> condition SQL -> rows (rule_counts.py)
    counted: dict[int, dict[str, int]] | None = None


Loader = Callable[[Source, list[SourceFile], duckdb.DuckDBPyConnection, str], LoadReport]
LOADERS: dict[str, Loader] = {}


def register(name: str) -> Callable[[Loader], Loader]:
    def decorate(func: Loader) -> Loader:
        if name in LOADERS and LOADERS[name] is not func:
            raise ValueError(f"loader {name!r} registered twice")
        LOADERS[name] = func
        return func

    return decorate


def get_loader(name: str) -> Loader:
    _discover()
    try:
        return LOADERS[name]
    except KeyError:
        raise KeyError(f"no loader {name!r} (known: {sorted(LOADERS)})") from None


def _discover() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


SQL_TYPES = {"string": "varchar", "number": "double", "integer": "bigint", "geometry": "geometry"}


def create_empty_table(con: duckdb.DuckDBPyConnection, table: str, contract: Contract) -> int:
    """The raw table's shape with no row (source absent from the data folder): lineage + contract columns."""
    columns = ["millesime integer", "_fichier varchar", "_sha256 varchar", "_ligne bigint"]
    columns += [f"{c.name} {SQL_TYPES[c.logical_type]}" for c in contract.columns]
    con.execute(f"create or replace table {table} ({', '.join(columns)})")
    return 0


def write_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Create `table` (qualified name built by the raw asset, not user input) from a Polars frame."""
    missing = [c for c in LINEAGE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{table}: lineage columns missing {missing}")
    con.register("loader_frame", frame.to_arrow())
    try:
        con.execute(f"create or replace table {table} as select * from loader_frame")  # noqa: S608
    finally:
        con.unregister("loader_frame")
    return frame.height
