"""Atomic publication of the warehouse: builds, versions, rollback, run reports, the failure webhook, and ten
reader processes during a refresh.

The refreshes here are SMALL: a copy of the demo warehouse (built once per session by `qpv demo`), on which the
job re-runs only the marts and `entrepot/publication` (`partial_refresh`), a few seconds each.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance

from pipelines.definitions import ALL_JOB, build_definitions
from pipelines.resources import resources_for
from pipelines.warehouse import publication
from pipelines.warehouse.publication import PUBLICATION
from tests.conftest import QPV, ROOT
from tests.http_fixture import webhook_receiver

PYTHON = sys.executable
FINGERPRINT = (
    "select count(*), bit_xor(hash(code_qp, millesime, indicateur, valeur)) from marts.indicateurs_qpv"
)
# Two marts (the fingerprinted one among them) and the publication: the other marts come with the copied build.
REFRESHED = [AssetKey(["marts", "indicateurs_qpv"]), AssetKey(["marts", "indicateurs_territoire"])]
SELECTION = [*REFRESHED, PUBLICATION]

# A child process refreshing the marts of a warehouse (argv: warehouse, data dir); exit code 0 when published.
REFRESH_SCRIPT = """
import sys
from pipelines.definitions import ALL_JOB, build_definitions
from pipelines.resources import resources_for
from dagster import DagsterInstance
from tests.test_publication import SELECTION
defs = build_definitions(resources_for(sys.argv[2], sys.argv[1], sys.argv[1] + ".dash", atomic=True))
result = defs.resolve_job_def(ALL_JOB).execute_in_process(
    instance=DagsterInstance.ephemeral(), asset_selection=SELECTION, raise_on_error=False
)
for event in result.all_events:
    if event.event_type_value == "STEP_FAILURE":
        error = event.event_specific_data.error
        while error is not None:
            print(event.step_key, (error.message.strip().splitlines() or [""])[0], file=sys.stderr)
            error = error.cause
sys.exit(0 if result.success else 1)
"""


def partial_refresh(warehouse: Path, data_dir: Path, selection=None, raise_on_error: bool = False):
    """Re-run the marts and the publication on `warehouse` (atomic), in process."""
    defs = build_definitions(resources_for(data_dir, warehouse, warehouse.parent / "dash", atomic=True))
    return defs.resolve_job_def(ALL_JOB).execute_in_process(
        instance=DagsterInstance.ephemeral(),
        asset_selection=selection or SELECTION,
        raise_on_error=raise_on_error,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def query(path: Path, sql: str):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def version_of(path: Path) -> str:
    return query(path, "select version from meta.publication")[0][0]


def table_counts(path: Path) -> dict[str, int]:
    """The row count of every table of a warehouse (read-only)."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' or table_schema = 'raw'"  # raw SIRENE: views over the stock store
        ).fetchall()
        return {
            f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]  # noqa: S608 (catalog)
            for s, t in tables
        }


def rows_lost(before: dict[str, int], after: dict[str, int]) -> int:
    """Rows of `before` missing from `after`, table by table (a table gone counts all its rows)."""
    return sum(max(0, n - after.get(table, 0)) for table, n in before.items())


@pytest.fixture
def warm(demo_warehouse: Path, tmp_path: Path) -> Path:
    """A private copy of the published demo warehouse (the session one is never written)."""
    target = tmp_path / "w" / "qpv.duckdb"
    target.parent.mkdir()
    shutil.copyfile(demo_warehouse, target)
    return target


def test_demo_publishes_with_meta_versions_and_report(demo_warehouse):
    """`qpv demo` went through the publication: meta tables, one kept version = the published file, no build
    left, a report saying "succès" with the sources and checks, and `qpv run`-style output unchanged."""
    folder = demo_warehouse.parent
    pub = query(demo_warehouse, "select version, run_id, published_at, duration_s from meta.publication")
    assert len(pub) == 1 and pub[0][0].startswith("qpv-") and pub[0][3] > 0
    files = query(demo_warehouse, "select source, millesime, fichier, sha256, octets from meta.fichiers")
    assert len(files) >= 20 and all(len(f[3]) == 64 and f[4] > 0 for f in files)
    raw = query(demo_warehouse, "select count(*) from raw.anct_revn")[0][0]
    assert raw > 0
    assert publication.current_version(demo_warehouse) == pub[0][0]
    assert [p.stem for p in publication.list_versions(demo_warehouse)] == [pub[0][0]]
    assert not list((folder / ".builds").glob("*.duckdb"))
    report = json.loads((folder / "reports" / "latest.json").read_text(encoding="utf-8"))
    assert report["status"] == "succès" and report["run_id"] == pub[0][1]
    assert report["publication"]["version"] == pub[0][0]
    assert report["sources"]["anct_revn"]["rows"] == raw and report["sources"]["anct_revn"]["files"]
    editions = [
        e for (e,) in query(demo_warehouse, "select distinct millesime from raw.anct_revn order by 1")
    ]
    assert report["sources"]["anct_revn"]["editions"] == editions
    assert report["checks"]["passed"] and report["duration_s"] > 0
    assert Path(report["report"]).exists()
    assert "raw.anct_revn" in (folder / "demo.stdout").read_text(encoding="utf-8")  # the tables still printed


def test_partial_refresh_publishes_a_new_version_and_keeps_n(warm, demo_warehouse, monkeypatch):
    before_version = version_of(warm)
    before = query(warm, FINGERPRINT)
    monkeypatch.setenv("QPV_KEEP_VERSIONS", "1")
    data = demo_warehouse.parent / "data"
    for _ in range(2):
        assert partial_refresh(warm, data).success
    after_version = version_of(warm)
    assert after_version != before_version and query(warm, FINGERPRINT) == before
    kept = publication.list_versions(warm)
    assert len(kept) == 1 and kept[-1].stem == after_version  # the newest; the older one pruned
    # the published file is a copy of the version, never the same file (issue 26: a write to one cannot reach the other)
    assert kept[-1].stat().st_ino != warm.stat().st_ino and kept[-1].read_bytes() == warm.read_bytes()
    assert query(warm, "select count(*) from meta.fichiers")[0][0] > 0  # kept from the copied build
    assert not list((warm.parent / ".builds").glob("*.duckdb*"))
    report = json.loads((warm.parent / "reports" / "latest.json").read_text(encoding="utf-8"))
    assert report["status"] == "succès" and report["publication"]["version"] == after_version


def test_versions_and_rollback_cli(tmp_path):
    """Three tiny publications, `qpv versions` marks the current one, `qpv rollback` re-publishes the first
    atomically; an unknown version is a one-line error."""
    published = tmp_path / "qpv.duckdb"
    names = []
    for i in range(3):
        build = publication.build_path_for(published, f"run{i}")
        build.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(build)) as con:
            con.execute("create table t as select ? as v", [i])
        name = f"qpv-2026010{i}T000000000000Z-run{i}"
        publication.publish_build(published, build, name, keep=3)
        names.append(name)
    assert query(published, "select v from t") == [(2,)]

    listed = subprocess.run(
        [QPV, "versions", "--warehouse", str(published)], capture_output=True, text=True, cwd=ROOT
    )
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith(f"* {names[2]}") and any(line.startswith(f"  {names[0]}") for line in lines)

    back = subprocess.run(
        [QPV, "rollback", names[0], "--warehouse", str(published)], capture_output=True, text=True
    )
    assert back.returncode == 0, back.stderr
    assert query(published, "select v from t") == [(0,)]
    assert publication.current_version(published) == names[0]

    bad = subprocess.run(
        [QPV, "rollback", "nope", "--warehouse", str(published)], capture_output=True, text=True
    )
    assert bad.returncode == 1 and "version inconnue" in bad.stderr and names[1] in bad.stderr
    assert query(published, "select v from t") == [(0,)]

    # a 4th publication with keep=3 prunes the oldest version that is not the published one
    build = publication.build_path_for(published, "run3")
    with duckdb.connect(str(build)) as con:
        con.execute("create table t as select 3 as v")
    publication.publish_build(published, build, "qpv-20260104T000000000000Z-run3", keep=3)
    assert [p.stem for p in publication.list_versions(published)] == [
        names[1],
        names[2],
        "qpv-20260104T000000000000Z-run3",
    ]


def test_failure_webhook_receives_the_payload(tmp_path, monkeypatch):
    with webhook_receiver() as (url, received):
        monkeypatch.setenv("QPV_ALERT_WEBHOOK", url)
        empty = tmp_path / "empty"
        empty.mkdir()
        warehouse = tmp_path / "w" / "qpv.duckdb"
        result = partial_refresh(warehouse, empty, selection=[AssetKey(["raw", "anct_revn"])])
        assert not result.success
    assert len(received) == 1
    payload = received[0]
    assert payload["run_id"] == result.run_id and payload["failed_step"] == "raw__anct_revn"
    assert "aucun fichier ne correspond" in payload["error"]
    report = json.loads(Path(payload["report"]).read_text(encoding="utf-8"))
    assert report["status"] == "échec" and report["publication"]["state"] == "non publié"
    assert not warehouse.exists()  # nothing published


def test_webhook_error_never_masks_the_run_error(tmp_path, monkeypatch):
    monkeypatch.setenv("QPV_ALERT_WEBHOOK", "http://127.0.0.1:9/unreachable")  # discard port: refused
    empty = tmp_path / "empty"
    empty.mkdir()
    result = partial_refresh(tmp_path / "w" / "qpv.duckdb", empty, selection=[AssetKey(["raw", "anct_revn"])])
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert (
        len(failures) == 1
        and "aucun fichier ne correspond" in failures[0].event_specific_data.error.to_string()
    )


READER_SCRIPT = """
import json, sys, time, duckdb
path, ready, stop, fingerprint = sys.argv[1:5]
seen, errors, n = set(), [], 0
while True:
    try:
        with duckdb.connect(path, read_only=True) as con:
            con.execute("begin transaction")
            version = con.execute("select version from meta.publication").fetchone()[0]
            value = con.execute(fingerprint).fetchone()
            con.execute("commit")
        seen.add(json.dumps([version, list(value)]))
    except Exception as exc:
        errors.append(repr(exc))
    n += 1
    if n == 1:
        open(ready, "w").close()
    import os
    if os.path.exists(stop):
        break
print(json.dumps({"seen": sorted(seen), "errors": errors[:5], "n": n}))
"""


def test_ten_readers_see_the_old_or_the_new_version_never_a_mix(warm, demo_warehouse, tmp_path):
    # The "old" published version differs from what the refresh rebuilds: its marts are tampered.
    with duckdb.connect(str(warm)) as con:
        con.execute("update marts.indicateurs_qpv set valeur = valeur + 1 where valeur is not null")
        con.execute("update meta.publication set version = 'ancienne'")
        con.execute("checkpoint")
    old = ["ancienne", list(query(warm, FINGERPRINT)[0])]
    stop = tmp_path / "stop"
    readers = []
    for i in range(10):
        ready = tmp_path / f"ready{i}"
        readers.append(
            (
                ready,
                subprocess.Popen(
                    [PYTHON, "-c", READER_SCRIPT, str(warm), str(ready), str(stop), FINGERPRINT],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    cwd=ROOT,
                ),
            )
        )
    deadline = time.monotonic() + 30
    while not all(ready.exists() for ready, _ in readers) and time.monotonic() < deadline:
        time.sleep(0.05)
    # the refresh runs while the readers hold the published file open, read-only
    result = partial_refresh(warm, demo_warehouse.parent / "data")
    time.sleep(0.5)
    stop.touch()
    outputs = [json.loads(proc.communicate(timeout=60)[0]) for _, proc in readers]
    assert result.success
    new = [version_of(warm), list(query(warm, FINGERPRINT)[0])]
    assert new[1] != old[1]
    allowed = {json.dumps(old), json.dumps(new)}
    for output in outputs:
        assert output["errors"] == [] and output["n"] > 1
        assert set(output["seen"]) <= allowed, output["seen"]
        assert json.dumps(new) in output["seen"]  # every reader saw the switch
    assert sum(json.dumps(old) in o["seen"] for o in outputs) == 10
