"""The Dagster instance on PostgreSQL (dagster.postgres.yaml, URL from QPV_DAGSTER_PG_URL): a materialization
is recorded in a real PostgreSQL server and read back by another instance. `.ci/run` starts the server; without
it the test is skipped locally and fails in CI (env CI set)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, DagsterRunStatus, asset, materialize

ROOT = Path(__file__).resolve().parents[1]


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL required in CI: {reason}")
    pytest.skip(f"{reason} (.ci/run installs and starts one; or set QPV_DAGSTER_PG_URL)")


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get("QPV_DAGSTER_PG_URL")
    if not url:
        _unavailable("no PostgreSQL server: QPV_DAGSTER_PG_URL is not set")
    if not url.startswith("postgresql+psycopg2://"):
        pytest.fail("QPV_DAGSTER_PG_URL must start with postgresql+psycopg2:// (the installed driver)")
    import psycopg2

    try:
        psycopg2.connect(_libpq(url), connect_timeout=5).close()
    except psycopg2.OperationalError as exc:
        _unavailable(f"PostgreSQL at QPV_DAGSTER_PG_URL does not answer: {str(exc).strip()}")
    return url


def _libpq(url: str) -> str:
    """The same URL for psycopg2 itself (no SQLAlchemy driver suffix)."""
    return url.replace("postgresql+psycopg2://", "postgresql://", 1)


def _instance(home: Path) -> DagsterInstance:
    return DagsterInstance.from_config(str(home))


def test_materialization_recorded_in_postgres_and_read_back(pg_url, tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.postgres.yaml", home / "dagster.yaml")
    name = f"essai_{uuid.uuid4().hex[:12]}"

    @asset(name=name, key_prefix=["test_pg"])
    def essai() -> int:
        return 42

    writer = _instance(home)
    try:
        assert type(writer.run_storage).__name__ == "PostgresRunStorage"
        assert type(writer.event_log_storage).__name__ == "PostgresEventLogStorage"
        result = materialize([essai], instance=writer)
        assert result.success
        run_id = result.run_id
    finally:
        writer.dispose()

    reader = _instance(home)  # a new instance: nothing cached in memory
    try:
        run = reader.get_run_by_id(run_id)
        assert run is not None and run.status == DagsterRunStatus.SUCCESS
        event = reader.get_latest_materialization_event(AssetKey(["test_pg", name]))
        assert event is not None and event.run_id == run_id
    finally:
        reader.dispose()
    assert not list(home.glob("**/*.db")), "no SQLite storage may be created beside the PostgreSQL one"

    import psycopg2

    with psycopg2.connect(_libpq(pg_url)) as conn, conn.cursor() as cur:
        cur.execute("select status from runs where run_id = %s", (run_id,))
        assert cur.fetchone() == ("SUCCESS",)
    conn.close()
