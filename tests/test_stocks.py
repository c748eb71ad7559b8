"""The stock store (issue #9): a SIRENE stock read from Parquet is a view over an immutable, checksummed copy in
`<warehouse dir>/stocks/`, not a copy inside the DuckDB file; same rows as the table it replaces; pruned with
the versions that read it."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from assets.sirene import SOURCES
from pipelines.checks.quarantine import publish, relation_kind
from pipelines.sources import stocks
from pipelines.sources.loaders import get_loader
from pipelines.sources.loaders.sirene import STORAGE_ENV
from pipelines.sources.parsing import InputError, SourceFile, discover_files
from pipelines.warehouse.connection import connect
from pipelines.warehouse.publication import record_files
from tests.test_sirene_loader import STEMS, folder_with

ETAB = next(s for s in SOURCES if s.name == "sirene_etablissements")
load_sirene = get_loader("sirene")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(root: Path, warehouse: Path, monkeypatch=None, storage: str | None = None) -> list[tuple]:
    if monkeypatch is not None:
        if storage is None:
            monkeypatch.delenv(STORAGE_ENV, raising=False)
        else:
            monkeypatch.setenv(STORAGE_ENV, storage)
    con = connect(warehouse)
    try:
        report = load_sirene(ETAB, discover_files(ETAB, root), con, "raw.sirene_etablissements__incoming")
        publish(con, ETAB.name, "raw.sirene_etablissements__incoming", None)
        rows = con.execute("select * from raw.sirene_etablissements order by _ligne").fetchall()
        return [relation_kind(con, "raw.sirene_etablissements"), report.notes, rows]
    finally:
        con.close()


def test_parquet_stock_is_a_view_over_a_checksummed_read_only_copy(demo, tmp_path, monkeypatch):
    root = folder_with(demo, tmp_path, f"{STEMS[ETAB.name]}.parquet")
    source_file = root / "sirene" / f"{STEMS[ETAB.name]}.parquet"
    kind, notes, rows = load(root, tmp_path / "view" / "w.duckdb", monkeypatch)
    assert kind == "view" and "view over the stock store" in notes["raw_storage"]
    stored = tmp_path / "view" / "stocks" / f"{sha256(source_file)}.parquet"
    assert notes["stock_files"] == {f"sirene/{source_file.name}": str(stored)}
    assert stored.read_bytes() == source_file.read_bytes()
    assert not os.access(stored, os.W_OK) or os.geteuid() == 0  # read-only (root may write anyway)
    assert stored.stat().st_mode & 0o222 == 0
    # the same rows, the same types and lineage as a copy into a table
    table_kind, _, table_rows = load(root, tmp_path / "table" / "w.duckdb", monkeypatch, storage="table")
    assert table_kind == "table" and table_rows == rows and len(rows) > 100
    assert not (tmp_path / "table" / "stocks").exists()
    # the data folder changed in place afterwards: the published view still reads the stock it was built on
    source_file.write_bytes(b"PAR1 overwritten in place")
    with duckdb.connect(str(tmp_path / "view" / "w.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.sirene_etablissements").fetchone()[0] == len(rows)


def test_a_file_changed_after_it_was_found_is_refused_with_its_name(demo, tmp_path):
    root = folder_with(demo, tmp_path, f"{STEMS[ETAB.name]}.parquet")
    [found] = discover_files(ETAB, root)
    changed = SourceFile(found.path, found.relative, found.millesime, "0" * 64)
    with pytest.raises(InputError) as info:
        stocks.store_stock(changed, tmp_path / "stocks")
    assert f"sirene/{STEMS[ETAB.name]}.parquet" in str(info.value) and "modifié pendant sa lecture" in str(
        info.value
    )
    assert not list((tmp_path / "stocks").iterdir())  # neither the copy nor its temporary file is left


def test_an_in_memory_database_keeps_its_rows_in_a_table(demo, tmp_path):
    root = folder_with(demo, tmp_path, f"{STEMS[ETAB.name]}.parquet")
    con = connect(None)
    try:
        load_sirene(ETAB, discover_files(ETAB, root), con, "raw.t")
        assert relation_kind(con, "raw.t") == "table"
    finally:
        con.close()


def test_a_killed_copy_leaves_no_stock_and_its_temporary_is_removed_later(demo, tmp_path):
    root = folder_with(demo, tmp_path, f"{STEMS[ETAB.name]}.parquet")
    [found] = discover_files(ETAB, root)
    store = tmp_path / "stocks"
    store.mkdir()
    # a temporary file left by a process that no longer exists (pid 2**22 + 1 is above Linux's pid_max default)
    dead = store / f".{found.sha256}.parquet.{2**22 + 1}.tmp"
    dead.write_bytes(b"half")
    stored = stocks.store_stock(found, store)
    assert stored.name == f"{found.sha256}.parquet" and not dead.exists()


def test_prune_keeps_what_a_kept_version_reads_and_recent_stocks(demo, tmp_path, monkeypatch):
    root = folder_with(demo, tmp_path, f"{STEMS[ETAB.name]}.parquet")
    warehouse = tmp_path / "w" / "w.duckdb"
    load(root, warehouse, monkeypatch)
    con = connect(warehouse)
    try:
        record_files(con, ETAB.name, discover_files(ETAB, root), "run-1")
    finally:
        con.close()
    store = warehouse.parent / "stocks"
    [read] = list(store.glob("*.parquet"))
    old_unread = store / f"{'a' * 64}.parquet"
    recent_unread = store / f"{'b' * 64}.parquet"
    for path in (old_unread, recent_unread):
        shutil.copy(read, path)
    week_ago = time.time() - 7 * 24 * 3600
    for path in (old_unread, read):
        os.utime(path, (week_ago, week_ago))
    removed = stocks.prune(store, [warehouse])
    assert removed == [old_unread]
    assert read.exists() and recent_unread.exists()
    # a kept file that cannot be read: nothing is removed
    broken = tmp_path / "w" / "broken.duckdb"
    broken.write_bytes(b"not a database")
    os.utime(recent_unread, (week_ago, week_ago))
    assert stocks.prune(store, [warehouse, broken]) == [] and recent_unread.exists()


def test_the_demo_warehouse_reads_sirene_from_its_stock_store(demo_warehouse):
    store = demo_warehouse.parent / "stocks"
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        kinds = {name: relation_kind(con, f"raw.{name}") for name in (s.name for s in SOURCES)}
        read = set()
        for source in SOURCES:
            read |= {r[0] for r in con.execute(f"select distinct _sha256 from raw.{source.name}").fetchall()}  # noqa: S608
        listed = {
            r[0]
            for r in con.execute("select sha256 from meta.fichiers where source like 'sirene%'").fetchall()
        }
        rows = con.execute("select count(*) from raw.sirene_geolocalisation").fetchone()[0]
    assert set(kinds.values()) == {"view"}, kinds
    # one stock per Parquet file read, each listed in meta.fichiers (which prune reads)
    assert {p.stem for p in store.glob("*.parquet")} == read and read <= listed and rows > 0
