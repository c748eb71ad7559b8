"""Atomic publication of the warehouse, run reports and the failure alert.

A run never writes the published file (`warehouse/qpv.duckdb`). Every connection of a run goes to its build file
`<dir>/.builds/<stem>-<run_id>.duckdb`, created by the run's first connection as a copy of the published file (so
a partial run keeps the tables it does not rebuild), or empty when nothing is published yet. The copy is made
under an exclusive lock (fcntl) on `<dir>/.builds/.lock`, since the step processes of a run start in parallel.

The asset `entrepot/publication` depends on every mart: it runs only when every upstream step succeeded and every
blocking check passed. It writes `meta.publication` into the build, checkpoints it (no WAL left), moves it into
`<dir>/versions/<stem>-<timestamp>-<shortid>.duckdb` and copies that version onto the published path (a copy, not a
hard link: the two files share nothing) with
`os.replace` (an atomic rename): a reader opens the old file or the new one, never a mix, and readers holding the
old file open keep reading it. The previous N versions are kept (`QPV_KEEP_VERSIONS`, 3 by default).

A failed or killed run leaves the published file untouched; its build is removed by the runner at once, or by
the next run (a build is stale when no process holds its liveness lock and its run is not running).

Every writer of the published file goes this way, under the same folder lock: a run, a rollback
(`rollback`), and `qpv terrain import` (pipelines/domain/terrain.py: a build copied under the lock, the imported rows
written into it, published as a new version, the lock held throughout). An imported file is kept in
`<dir>/imports/<stem>/<folder>/` (`imports_dir`), which every run's raw asset reads besides the data folder; a
run whose build was copied before an import published carries the imported files over into its build, under
the lock, just before publishing (`entrepot/publication`, `terrain.carry_over`): no import is lost to a run
that publishes after it.

Each run writes a short JSON report `<dir>/reports/<start>-<run_id>.json` (and `latest.json`).
"""
# No `from __future__ import annotations` here: Dagster reads the resource and context type hints at runtime.

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
)

from pipelines.paths import SQL_DIR
from pipelines.sources import stocks
from pipelines.sources.parsing import sha256_of
from pipelines.warehouse.connection import transaction
from pipelines.warehouse.layout import (  # noqa: F401 - the folder layout, also read as publication.<name>
    BUILDS,
    IMPORTS,
    REPORTS,
    VERSIONS,
    build_path_for,
    discover_imported,
    imports_dir,
    merge_imported,
    reports_dir,
    versions_dir,
)

PUBLICATION = AssetKey(["entrepot", "publication"])
MARTS = [AssetKey(["marts", path.stem]) for path in sorted((SQL_DIR / "marts").glob("*.sql"))]
NOT_PUBLISHED = "non publié"
STALE_RUNNING_AFTER_S = 6 * 3600  # a run still "started" in the instance but untouched for 6 h is dead

_HELD: dict[str, int] = {}  # build path -> fd of the shared liveness lock held by this process
_DIR_LOCKS: dict[str, "_DirLock"] = {}  # lock file -> this process's hold on it (re-entrant)
_DIR_LOCKS_GUARD = threading.Lock()


class PublicationError(RuntimeError):
    """The build could not be created or published; the published warehouse is unchanged."""


# --- Paths --------------------------------------------------------------------------------------------------


def _lock_file(build: Path) -> Path:
    return build.with_name(build.name + ".lock")


def _run_id_of(build: Path, published: Path) -> str:
    return build.name.removeprefix(f"{published.stem}-").removesuffix(".duckdb")


class _DirLock:
    def __init__(self) -> None:
        self.threads = threading.RLock()  # the threads of this process take turns too
        self.fd: int | None = None
        self.depth = 0


@contextlib.contextmanager
def dir_lock(published: str | Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Exclusive lock of the warehouse folder: build creation, publication, pruning, rollback and terrain imports
    take turns. Re-entrant within a process (`qpv terrain import` and `entrepot/publication` hold it around
    `ensure_build` / `publish_build`, which take it too). `waiting` is called once when another process holds
    the lock, before waiting for it (`qpv terrain import` says so)."""
    folder = Path(published).parent / BUILDS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".lock"
    with _DIR_LOCKS_GUARD:
        held = _DIR_LOCKS.setdefault(str(path.resolve()), _DirLock())
    with held.threads:
        if held.depth == 0:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if waiting is not None:
                        waiting()
                    fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
            held.fd = fd
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
            if held.depth == 0 and held.fd is not None:
                os.close(held.fd)
                held.fd = None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- Builds -------------------------------------------------------------------------------------------------


def hold(build: Path) -> None:
    """Take (once per process) a shared lock on the build's lock file: the build is alive while it is held."""
    key = str(build)
    if key in _HELD:
        return
    build.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(_lock_file(build), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_SH)
    _HELD[key] = fd


def release(build: str | Path) -> None:
    fd = _HELD.pop(str(build), None)
    if fd is not None:
        os.close(fd)


def _is_locked(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def remove_build(build: Path) -> None:
    release(build)
    for path in (build, build.with_name(build.name + ".wal"), _lock_file(build)):
        path.unlink(missing_ok=True)


def clean_stale_builds(
    published: Path, keep: Path | None = None, is_running: Callable[[str], bool] | None = None
) -> list[Path]:
    """Remove the builds (and half-made copies) of dead runs: no process holds their liveness lock and the
    instance does not report their run as running. Call under `dir_lock`."""
    folder = published.parent / BUILDS
    removed = []
    if not folder.is_dir():
        return removed
    for tmp in folder.glob(".copy-*"):
        pid = tmp.name.split("-")[1]
        if not pid.isdigit() or not Path(f"/proc/{pid}").exists():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    for build in folder.glob(f"{published.stem}-*.duckdb"):
        if keep is not None and build == keep:
            continue
        if _is_locked(_lock_file(build)):
            continue
        if is_running is not None and is_running(_run_id_of(build, published)):
            age = time.time() - build.stat().st_mtime if build.exists() else 0
            if age < STALE_RUNNING_AFTER_S:
                continue
        remove_build(build)
        removed.append(build)
    for lock in folder.glob(f"{published.stem}-*.duckdb.lock"):  # a lock left without its build
        build = lock.with_name(lock.name.removesuffix(".lock"))
        if not build.exists() and build != keep and not _is_locked(lock):
            lock.unlink(missing_ok=True)
    return removed


def ensure_build(published: Path, build: Path, is_running: Callable[[str], bool] | None = None) -> Path:
    """The run's build file: created at the first call as a copy of the published file (or left to DuckDB to
    create empty when nothing is published yet), under the folder lock."""
    hold(build)
    if build.exists():
        return build
    with dir_lock(published):
        if build.exists():
            return build
        clean_stale_builds(published, keep=build, is_running=is_running)
        if published.exists():
            tmp = build.with_name(f".copy-{os.getpid()}-{build.name}")
            try:
                shutil.copyfile(published, tmp)
                wal = published.with_name(published.name + ".wal")
                if wal.exists():  # a file published before atomic publication may carry a WAL
                    shutil.copyfile(wal, build.with_name(build.name + ".wal"))
                os.replace(tmp, build)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise PublicationError(
                    f"{build}: cannot create the build copy of {published}: {exc.strerror or exc}"
                ) from exc
    return build


def connect_retrying(
    path: str | Path, read_only: bool = False, timeout_s: float = 600.0, spatial: bool = True
):
    """`warehouse.connect`, waiting while another step process of the run holds the DuckDB file lock."""
    from pipelines.warehouse.connection import WarehouseError, connect

    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        try:
            return connect(path, read_only=read_only, spatial=spatial)
        except WarehouseError as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


# --- meta schema --------------------------------------------------------------------------------------------

FICHIERS_DDL = (
    "create table if not exists meta.fichiers (source varchar, millesime integer, fichier varchar, "
    "sha256 varchar, octets bigint, charge_le timestamp with time zone, run_id varchar)"
)


def record_files(
    con: duckdb.DuckDBPyConnection, source: str, files: list, run_id: str | None, only_these: bool = False
) -> None:
    """Replace the source's rows of `meta.fichiers` (the raw files loaded), in one transaction; `only_these`:
    replace only the rows of these files (an import adds its files to those of the last run)."""
    con.execute("create schema if not exists meta")
    con.execute(FICHIERS_DDL)
    now = dt.datetime.now(dt.UTC)
    rows = [
        [source, f.millesime, f.relative, f.sha256, Path(f.path).stat().st_size, now, run_id] for f in files
    ]
    with transaction(con):
        if only_these:
            con.execute(
                "delete from meta.fichiers where source = ? and list_contains(?::varchar[], fichier)",
                [source, [f.relative for f in files]],
            )
        else:
            con.execute("delete from meta.fichiers where source = ?", [source])
        if rows:
            con.executemany("insert into meta.fichiers values (?, ?, ?, ?, ?, ?, ?)", rows)


def version_name(published: Path, run_id: str, when: dt.datetime) -> str:
    return f"{published.stem}-{when.strftime('%Y%m%dT%H%M%S%fZ')}-{run_id[:8]}"


def write_meta(con, version: str, run_id: str, published_at: dt.datetime, duration_s: float | None) -> None:
    con.execute("create schema if not exists meta")
    con.execute(FICHIERS_DDL)
    con.execute(
        "create or replace table meta.publication (version varchar, run_id varchar, "
        "published_at timestamp with time zone, duration_s double)"
    )
    con.execute(
        "insert into meta.publication values (?, ?, ?, ?)", [version, run_id, published_at, duration_s]
    )
    con.execute("checkpoint")


def _copy(source: Path, target: Path) -> None:
    """A copy, never a hard link: the published file and each kept version are independent files (no shared
    inode), so that nothing done to the published file — a mistaken write through `qpv sql`, an editor — can
    reach a kept version, and `qpv rollback` can always recover it."""
    target.unlink(missing_ok=True)
    shutil.copyfile(source, target)
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())


def publish_build(
    published: Path,
    build: Path,
    version: str,
    keep: int = 3,
    is_running: Callable[[str], bool] | None = None,
) -> Path:
    """Move the (checkpointed) build into versions/ and swap it onto the published path atomically; prune."""
    wal = build.with_name(build.name + ".wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise PublicationError(f"{wal}: a WAL is left after the checkpoint; not published")
    if not build.exists():
        raise PublicationError(f"{build}: no build file to publish")
    folder = versions_dir(published)
    with dir_lock(published):
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{version}.duckdb"
        with open(build, "rb+") as handle:
            os.fsync(handle.fileno())
        os.rename(build, target)
        wal.unlink(missing_ok=True)
        _swap_onto(published, target)
        release(build)
        _lock_file(build).unlink(missing_ok=True)
        prune_versions(published, keep)
        clean_stale_builds(published, is_running=is_running)
        # the Parquet stocks no kept version reads (raw SIRENE views, pipelines/sources/stocks.py)
        stocks.prune(published.parent / stocks.STOCKS, [published, *list_versions(published)])
    return target


def _swap_onto(published: Path, version_file: Path) -> None:
    tmp = published.with_name(f".{published.name}.publishing-{os.getpid()}")
    _copy(version_file, tmp)
    os.replace(tmp, published)
    _fsync_dir(published.parent)


def list_versions(published: str | Path) -> list[Path]:
    """Kept versions, oldest first (the names sort by time)."""
    folder = versions_dir(published)
    return sorted(folder.glob(f"{Path(published).stem}-*.duckdb")) if folder.is_dir() else []


def current_version(published: str | Path) -> str | None:
    """The version the published file is: the one its meta.publication names, else the kept version with the same
    bytes (the published file is a copy of its version)."""
    published = Path(published)
    if not published.exists():
        return None
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            row = con.execute("select version from meta.publication").fetchone()
        if row:
            return row[0]
    except duckdb.Error:
        pass
    size = published.stat().st_size
    same_size = [p for p in list_versions(published) if p.stat().st_size == size]
    if same_size:
        digest = sha256_of(published)
        for path in reversed(same_size):
            if sha256_of(path) == digest:
                return path.stem
    return None


def prune_versions(published: Path, keep: int) -> list[Path]:
    """Delete the versions older than the `keep` newest (never the published one)."""
    keep = max(keep, 1)
    versions = list_versions(published)
    current = current_version(published)
    removed = []
    for path in versions[:-keep]:
        if path.stem != current:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def rollback(published: str | Path, version: str) -> Path:
    """Re-publish a kept version atomically."""
    published = Path(published)
    name = version.removesuffix(".duckdb")
    target = versions_dir(published) / f"{name}.duckdb"
    if "/" in version or not target.exists():
        known = ", ".join(p.stem for p in list_versions(published)) or "aucune"
        raise PublicationError(f"{target}: version inconnue (versions conservées : {known})")
    with dir_lock(published):
        _swap_onto(published, target)
    return target


# --- Run reports --------------------------------------------------------------------------------------------


def _iso(ts: float | None) -> str | None:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds") if ts else None


def _value(entry) -> Any:
    return getattr(entry, "value", entry)


def run_started_at(instance: DagsterInstance, run_id: str) -> float:
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        return time.time()
    return record.start_time or record.create_timestamp.timestamp()


def failed_steps(instance: DagsterInstance, run_id: str) -> list[str]:
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_FAILURE).records
    return sorted({r.event_log_entry.dagster_event.step_key for r in records})


def build_report(
    instance: DagsterInstance,
    run_id: str,
    status: str | None = None,
    reason: str | None = None,
    ended: float | None = None,
    published: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The run's report from the instance's event log: sources (editions, files, rows), checks, quarantine,
    publication (version or "non publié" and why)."""
    started = run_started_at(instance, run_id)
    ended = ended or time.time()
    sources: dict[str, dict] = {}
    rapports: dict[str, list] = {}
    checks: list[dict] = []
    errors: list[dict] = []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.event_specific_data.materialization
            meta = {k: _value(v) for k, v in mat.metadata.items()}
            if mat.asset_key.path[0] == "raw":
                sources[mat.asset_key.path[-1]] = {
                    "editions": meta.get("editions", []),
                    "files": [f.get("file") for f in meta.get("files", [])],
                    "rows": meta.get("rows"),
                    "quarantined_rows": meta.get("quarantined_rows", 0),
                    "quarantine_by_rule": meta.get("quarantine_by_rule") or {},
                    "quarantine_first_rows": meta.get("quarantine_first_rows") or [],
                    # rows refused before storage, with their reasons (terrain observations: personal data)
                    "refused": meta.get("refus_terrain") or [],
                    # files held back (pipelines/checks/holdback.py): the edition's last published rows were kept
                    "held_back": meta.get("held_back") or [],
                    # columns the contract does not know (not loaded), per file
                    "undeclared_columns": meta.get("undeclared_columns") or {},
                }
            elif "rapport" in meta:
                # a model's report (sql/reports/<schema>.<name>.sql): e.g. the codes a mart could not match
                rapports[mat.asset_key.to_user_string()] = meta["rapport"]
            elif mat.asset_key == PUBLICATION:
                published = {
                    "version": meta.get("version"),
                    "published_at": meta.get("published_at"),
                    "path": meta.get("published"),
                }
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            checks.append(
                {
                    "asset": evaluation.asset_key.to_user_string(),
                    "check": evaluation.check_name,
                    "passed": evaluation.passed,
                    "severity": evaluation.severity.value,
                    "description": evaluation.description,
                }
            )
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.event_specific_data.error
            cause = error
            while cause is not None and cause.cause is not None and "Error occurred while" in cause.message:
                cause = cause.cause
            errors.append(
                {"step": event.step_key, "error": (cause.message if cause else "").strip().splitlines()[:3]}
            )
    blocking = [c for c in checks if not c["passed"] and c["severity"] == AssetCheckSeverity.ERROR.value]
    if status is None:
        status = "succès" if published and not errors and not blocking else "échec"
    if published is None:
        if reason is None:
            if blocking:
                reason = "contrôle bloquant en échec : " + ", ".join(
                    f"{c['asset']}:{c['check']}" for c in blocking
                )
            elif errors:
                reason = "étape en échec : " + ", ".join(e["step"] for e in errors)
            else:
                reason = "étape de publication non exécutée"
        published = {"version": None, "state": NOT_PUBLISHED, "reason": reason}
    return {
        "status": status,
        "run_id": run_id,
        "started_at": _iso(started),
        "ended_at": _iso(ended),
        "duration_s": round(ended - started, 3),
        "sources": sources,
        "checks": {
            "passed": [c for c in checks if c["passed"]],
            "failed": [c for c in checks if not c["passed"]],
        },
        "quarantined_rows": sum(int(s.get("quarantined_rows") or 0) for s in sources.values()),
        "held_back": [item for s in sources.values() for item in s.get("held_back", [])],
        "models": rapports,
        "failed_steps": errors,
        "publication": published,
    }


def write_report(published: str | Path, report: dict[str, Any]) -> Path:
    """`<dir>/reports/<start>-<run_id>.json` and `latest.json`, each written atomically."""
    folder = reports_dir(published)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.fromisoformat(report["started_at"]).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{stamp}-{report['run_id']}.json"
    text = json.dumps({**report, "report": str(path)}, ensure_ascii=False, indent=2)
    for target in (path, folder / "latest.json"):
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return path


def last_report_path(published: str | Path) -> Path | None:
    latest = reports_dir(published) / "latest.json"
    try:
        return Path(json.loads(latest.read_text(encoding="utf-8"))["report"])
    except (OSError, ValueError, KeyError):
        return None


def instance_is_running(instance: DagsterInstance | None) -> Callable[[str], bool] | None:
    if instance is None:
        return None

    def is_running(run_id: str) -> bool:
        try:
            run = instance.get_run_by_id(run_id)
        except Exception:  # noqa: BLE001 - a storage error must not block a run: treat as unknown
            return False
        return run is not None and not run.is_finished

    return is_running
