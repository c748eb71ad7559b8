"""Shared fixtures. Tests that need the real extracts read them from ../shared/data (never copied here)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
QPV = str(Path(sys.executable).parent / "qpv")

# Pipeline runs in tests (in process and `qpv` subprocesses) skip the PNG exports: one Chromium start per run.
# The PNG export itself is tested by tests/test_dashboards_browser.py (render_all(..., png=True)).
os.environ["QPV_PNG"] = "0"
# ... and the fiche pages (one per QPV: ~35 s on the real extracts); tests that look at fiches render them explicitly
# (render_all(..., fiches=True) or the fiches module itself).
os.environ["QPV_FICHES"] = "0"


def require_shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_DATA} is missing: CI must have ../shared beside the clone")
        pytest.skip(f"{SHARED_DATA} not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return require_shared_data()


def _built_once(tmp_path_factory, name: str, build) -> Path:
    """`build(folder)` run once per test session, also when pytest-xdist spreads the tests over several worker
    processes (`make test` runs `-n 2`): the first worker to ask builds under a lock in the directory shared by
    the workers, the others wait and reuse it. A failed build is re-raised in every worker that asks."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # basetemp/popen-gwN -> basetemp, common to the workers
    folder = shared / f"session_{name}"
    with FileLock(str(shared / f"session_{name}.lock")):
        failed = shared / f"session_{name}.failed"
        if failed.exists():
            raise AssertionError(failed.read_text(encoding="utf-8"))
        if not (folder / ".done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            try:
                build(folder)
            except BaseException as exc:
                failed.write_text(f"{name} fixture failed to build: {exc}", encoding="utf-8")
                raise
            (folder / ".done").touch()
    return folder


@pytest.fixture(scope="session")
def real_warehouse(shared_data: Path, tmp_path_factory) -> Path:
    """The whole graph materialized once on the real extracts, into a temporary DuckDB file, by the `qpv run`
    command a user types (its output is kept in `run.stdout` beside the warehouse for the CLI tests).

    QPV_TEST_REAL_WAREHOUSE=<file> reuses a warehouse already built from ../shared/data instead (a development
    shortcut for the tests that only read the marts; never set in CI)."""
    reused = os.environ.get("QPV_TEST_REAL_WAREHOUSE")
    if reused:
        return Path(reused)

    def build(out: Path) -> None:
        result = run_cli("run", "--data-dir", str(shared_data), "--warehouse", str(out / "qpv.duckdb"),
                         "--dashboards", str(out / "dashboards"), check=True)  # fmt: skip
        (out / "run.stdout").write_text(result.stdout, encoding="utf-8")

    return _built_once(tmp_path_factory, "real", build) / "qpv.duckdb"


@pytest.fixture
def revn_copy(shared_data: Path, tmp_path: Path):
    """A data folder holding copies of the real REVN files, to corrupt one of them in a test."""

    def make(edit=None, edition: int = 2019) -> Path:
        folder = tmp_path / "data" / "anct_onpv_qpv2015"
        folder.mkdir(parents=True)
        for src in sorted((shared_data / "anct_onpv_qpv2015").glob("REVN_*.csv")):
            shutil.copy(src, folder / src.name)
        if edit is not None:
            target = folder / f"REVN_{edition}.csv"
            text = target.read_bytes().decode("utf-8")
            edited = edit(text)
            assert edited != text, "the edit changed nothing"
            target.write_bytes(edited.encode("utf-8"))
        return tmp_path / "data"

    return make


def run_cli(
    *args: str, check: bool = False, timeout: int = 1200, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`qpv ARGS` in a subprocess (`env`: variables added to this process's environment)."""
    environment = {**os.environ, **env} if env else None
    result = subprocess.run([QPV, *args], capture_output=True, text=True, timeout=timeout, env=environment)
    if check and result.returncode != 0:
        raise AssertionError(f"qpv {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The synthetic demo files (pipelines/demo), generated once per module that asks; modules that need another
    `demo` (the generator's truth, the ESS marts) define their own."""
    from pipelines.domain.demo import generate_demo_data

    out = tmp_path_factory.mktemp("demo")
    generate_demo_data(out)
    return out


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Path:
    """`qpv demo` run once (the synthetic demo generated, the whole graph materialized); returns the DuckDB file.

    Beside it: the demo folder `data/` (with the generator's truth.json), `dashboards/`, `data_docs/` and the
    command's output in `demo.stdout`.
    """

    def build(out: Path) -> None:
        result = run_cli("demo", "--data-dir", str(out / "data"), "--warehouse", str(out / "qpv.duckdb"),
                         "--dashboards", str(out / "dashboards"), check=True)  # fmt: skip
        (out / "demo.stdout").write_text(result.stdout, encoding="utf-8")
        (out / "demo.stderr").write_text(result.stderr, encoding="utf-8")

    return _built_once(tmp_path_factory, "demo", build) / "qpv.duckdb"


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    """The rows of `sql` on a warehouse opened read-only (and closed)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
