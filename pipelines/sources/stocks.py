"""The store of national Parquet stocks beside the warehouse: `<warehouse dir>/stocks/<sha256>.parquet`.

A national SIRENE stock read from Parquet is not copied into the DuckDB file (a copy costs about as much as the
whole rest of the path, and every run starts with a copy of the published file, so a warehouse holding the stock
would copy several GB per run). Its raw table is a view over an immutable copy of the producer's file, named by
its sha256 and kept in this store, typed by the contract when read (`pipelines/sources/loaders/sirene.py`).

- Content-addressed: the copy is hashed while it is written and kept only if its sha256 is the one recorded when
  the file was found (a file changed in between is refused, the run can be started again); a stock already in the
  store is not copied again. The copy is written under a temporary name and renamed (a killed run leaves no
  half-written stock under a final name), then made read-only.
- A copy, not a hard link: a data folder updated in place (same inode) must not change a published stock.
- The path in the view is absolute: moving the warehouse folder means moving `stocks/` with it and rebuilding
  (`make demo` / `qpv run`); Parquet exports and marts do not depend on it.
- Retention: `prune` (after each publication) removes the stocks that no kept version of the warehouse reads — a
  stock is read by a version if its sha256 is in that version's `meta.fichiers` — and that were not written or
  reused in the last `GRACE_S` seconds (a run still building may have written or reused one and not published
  yet: `store_stock` touches a stock it reuses). A kept version that cannot be opened stops the pruning.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
from pathlib import Path

import duckdb

from pipelines.checks.quarantine import relation_kind
from pipelines.sources.parsing import InputError, SourceFile
from pipelines.warehouse.layout import BUILDS

STOCKS = "stocks"
GRACE_S = 24 * 3600
CHUNK = 8 << 20
_TMP = re.compile(r"^\.(?P<name>[0-9a-f]{64}\.parquet)\.(?P<pid>\d+)\.tmp$")


def store_for(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The stock store of the warehouse `con` writes to (a run's build in `.builds/` shares the one of its
    published warehouse); None for an in-memory database, whose raw tables hold their rows."""
    [(path,)] = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    if not path:
        return None

    parent = Path(path).resolve().parent
    if parent.name == BUILDS:
        parent = parent.parent
    return parent / STOCKS


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_dead_temporaries(store: Path) -> None:
    for path in store.glob(".*.tmp"):
        match = _TMP.match(path.name)
        if match and not _alive(int(match["pid"])):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def store_stock(sf: SourceFile, store: Path) -> Path:
    """The store's copy of `sf` (made now unless already there), checked against its recorded sha256."""
    target = store / f"{sf.sha256}.parquet"
    if target.exists() and target.stat().st_size == sf.path.stat().st_size:
        os.utime(target)  # in use again: not pruned within GRACE_S
        return target
    store.mkdir(parents=True, exist_ok=True)
    _remove_dead_temporaries(store)
    tmp = store / f".{target.name}.{os.getpid()}.tmp"
    digest = hashlib.sha256()
    try:
        with sf.path.open("rb") as src, tmp.open("wb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        if digest.hexdigest() != sf.sha256:
            raise InputError(
                sf.relative,
                f"modifié pendant sa lecture (sha256 {digest.hexdigest()[:12]}…, {sf.sha256[:12]}… quand il a été "
                "trouvé) : rien n'en a été chargé, relancer une fois le fichier complet",
            )
        tmp.chmod(0o444)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target


def referenced_sha256(warehouse: Path) -> set[str] | None:
    """The sha256 of every file `meta.fichiers` of this warehouse file lists (empty if it has none); None when
    the file cannot be opened."""
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            if relation_kind(con, "meta.fichiers") != "table":
                return set()
            return {row[0] for row in con.execute("select distinct sha256 from meta.fichiers").fetchall()}
    except duckdb.Error:
        return None


def prune(store: Path, kept: list[Path], now: float | None = None) -> list[Path]:
    """Remove the stocks none of the `kept` warehouse files reads, older than GRACE_S; returns them. A kept file
    that cannot be opened (e.g. a run holds it) makes this keep everything: nothing is removed on doubt."""
    if not store.is_dir():
        return []
    now = time.time() if now is None else now
    referenced: set[str] = set()
    for path in kept:
        if not path.exists():
            continue
        shas = referenced_sha256(path)
        if shas is None:  # not readable now: keep everything rather than guess
            return []
        referenced |= shas
    removed = []
    for stock in store.glob("*.parquet"):
        if stock.stem in referenced or now - stock.stat().st_mtime < GRACE_S:
            continue
        with contextlib.suppress(FileNotFoundError):
            stock.unlink()
            removed.append(stock)
    return removed
