"""The DuckDB warehouse: one file, five schemas, the spatial extension loaded on every connection.

`quarantine` holds, per dataset, the rows its contract allows to drop (`quarantine.<dataset>`, replaced
together with `raw.<dataset>`, see pipelines/checks/quarantine.py).
"""

from __future__ import annotations
from pipelines import settings

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb

SCHEMAS = ("raw", "staging", "intermediate", "marts", "quarantine")
# DuckDB's memory (buffer pool, hash tables) per connection: beyond it, joins and aggregates spill to
# `<warehouse>.tmp/`. DuckDB's own default is 80 % of the RAM, which let a 10 M-establishment run reach 6 GB of
# RSS; `duckdb` keeps DuckDB's default. 2 GB was too little for int_sirene_etablissements_localises on 10 M
# establishments held in tables (CSV zip): several hash tables of that query are built at once.
MEMORY_ENV = settings.DUCKDB_MEMORY_LIMIT
DEFAULT_MEMORY_LIMIT = "3GB"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def _memory_limit(text: str) -> str:
    """A size DuckDB accepts, validated here (SET takes no bind parameter)."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(text)
    return f"{match[1]}{match[2]}"


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or an extension cannot be loaded."""


def spatial_extension_path() -> Path:
    """Path of the spatial extension shipped by the pinned `duckdb-extension-spatial` wheel.

    `INSTALL spatial` would download from the internet; the wheel ships the binary built for this exact
    DuckDB version, so we LOAD it by path.
    """
    import duckdb_extension_spatial  # the wheel's package; importing it touches no network

    base = Path(duckdb_extension_spatial.__file__).parent / "extensions"
    candidate = base / f"v{duckdb.__version__}" / "spatial.duckdb_extension"
    if not candidate.exists():
        found = sorted(p.parent.name for p in base.glob("*/spatial.duckdb_extension"))
        raise WarehouseError(
            f"DuckDB {duckdb.__version__} has no matching spatial extension (wheel ships {found}); "
            "pin duckdb and duckdb-extension-spatial to the same version"
        )
    return candidate


def connect(
    path: str | Path | None = None, *, read_only: bool = False, spatial: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (or an in-memory database when `path` is None) with spatial loaded.

    `spatial=False` skips loading the extension (0.3-0.5 s per connection on this machine, paid by every
    pipeline step): GEOMETRY is a core type in DuckDB 1.5, so tables holding geometries are read, copied and
    written without it; only the spatial functions (ST_Read, ST_Intersects, ST_MakeValid…) need it.
    """
    if path is not None:
        path = Path(path)
        if read_only and not path.exists():
            raise WarehouseError(f"{path}: no such warehouse (run `qpv run` or `make demo` first)")
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path) if path is not None else ":memory:", read_only=read_only)
    except duckdb.Error as exc:
        raise WarehouseError(f"{path}: cannot open the warehouse: {exc}") from exc
    limit = settings.duckdb_memory_limit(DEFAULT_MEMORY_LIMIT)
    if limit and limit.lower() != "duckdb":
        try:
            con.execute(f"set memory_limit = '{_memory_limit(limit)}'")
        except (duckdb.Error, ValueError) as exc:
            con.close()
            raise WarehouseError(
                f"{MEMORY_ENV}={limit!r}: not a memory size such as 3GB or 2500MB ({exc})"
            ) from exc
    if spatial:
        load_spatial(con)
    if not read_only:
        for schema in SCHEMAS:
            con.execute(f"create schema if not exists {schema}")
    return con


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """LOAD the spatial extension shipped by the pinned wheel into `con` (closed on failure)."""
    try:
        # LOAD accepts no bound parameter; the path comes from the installed wheel, not from user input.
        extension = spatial_extension_path().as_posix().replace("'", "''")
        con.execute(f"LOAD '{extension}'")
    except duckdb.Error as exc:
        con.close()
        raise WarehouseError(f"cannot load the spatial extension: {exc}") from exc


@contextlib.contextmanager
def connection(
    path: str | Path | None = None, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT around the block; ROLLBACK and re-raise if it fails (readers see all of it or none)."""
    con.execute("begin transaction")
    try:
        yield con
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
