"""Injected faults during a refresh (issue #10): SIGKILL at 10 seeded random points, disk full. The published
warehouse stays byte-for-byte the last good one and the next run publishes.

One child process imports the pipeline once, then forks one refresh per kill point (a refresh of the marts and
the publication on a copy of the demo warehouse) and SIGKILLs it after a seeded random delay: the 10 kills cost
one import and 10 partial runs.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.warehouse import publication
from tests.conftest import ROOT
from tests.test_publication import (
    FINGERPRINT,
    REFRESH_SCRIPT,
    query,
    rows_lost,
    sha256,
    table_counts,
    version_of,
)

PYTHON = sys.executable
SEED = 20261123
KILLS = 10

# argv: warehouse, data dir, JSON list of delays (fractions of a full refresh's duration). Prints one JSON line.
KILLER_SCRIPT = """
import hashlib, json, os, signal, sys, time
from dagster import DagsterInstance
from pipelines.definitions import ALL_JOB, build_definitions
from pipelines.resources import resources_for
from tests.test_publication import SELECTION

warehouse, data, fractions = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
build_dir = os.path.join(os.path.dirname(warehouse), ".builds")

job = build_definitions(resources_for(data, warehouse, warehouse + ".dash", atomic=True)).resolve_job_def(ALL_JOB)

def refresh():
    result = job.execute_in_process(
        instance=DagsterInstance.ephemeral(), asset_selection=SELECTION, raise_on_error=False
    )
    os._exit(0 if result.success else 1)

def fork_refresh():
    pid = os.fork()
    if pid == 0:
        refresh()
    return pid

def builds():
    return {n for n in os.listdir(build_dir) if n.endswith(".duckdb")} if os.path.isdir(build_dir) else set()

def wait_for_new_build(pid, before):  # the marker: this run's build exists, the marts are being written into it
    while not (builds() - before):
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            raise SystemExit("the refresh ended before its build appeared")
        time.sleep(0.002)

# a first full refresh, timed from the marker to its end: the window the kills are spread over
before = builds()
pid = fork_refresh()
wait_for_new_build(pid, before)
marker = time.monotonic()
_, status = os.waitpid(pid, 0)
window = time.monotonic() - marker
if status != 0:
    raise SystemExit(f"the first refresh failed: {status}")
def digest():
    with open(warehouse, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()

def complete_version():  # the published file opens and names its version: a whole publication, not a part
    import duckdb
    with duckdb.connect(warehouse, read_only=True) as con:
        return con.execute("select version from meta.publication").fetchone()[0]

points, late = [], []
for fraction in fractions:
    # A refresh faster than the first one may reach its kill point after it published (or after it ended):
    # that point is retried earlier (halved delay); a publication that happened before the kill must be whole.
    for attempt in range(6):
        published = digest()
        before = builds()
        pid = fork_refresh()
        wait_for_new_build(pid, before)
        delay = fraction * window / 2**attempt
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        unchanged = digest() == published
        if not unchanged:
            late.append({"delay_s": round(delay, 3), "version": complete_version()})
        if os.WIFSIGNALED(status) and unchanged:
            break
    points.append({"delay_s": round(delay, 3), "killed": os.WIFSIGNALED(status), "attempts": attempt + 1,
                   "published_unchanged": unchanged})
print(json.dumps({"window_s": window, "points": points, "published_before_the_kill": late}))
"""


@pytest.fixture
def warm(demo_warehouse: Path, tmp_path: Path) -> Path:
    target = tmp_path / "w" / "qpv.duckdb"
    target.parent.mkdir()
    shutil.copyfile(demo_warehouse, target)
    return target


def test_sigkill_at_ten_seeded_points_leaves_the_published_warehouse_intact(warm, demo_warehouse):
    data = demo_warehouse.parent / "data"
    rng = random.Random(SEED)
    # spread over the marts: the publication (the last ~5 % of the window) is left out, so every kill is a
    # refresh that must not publish
    fractions = sorted(round(rng.uniform(0.0, 0.85), 3) for _ in range(KILLS))
    out = subprocess.run(
        [PYTHON, "-c", KILLER_SCRIPT, str(warm), str(data), json.dumps(fractions)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    # the first (unkilled) refresh published: that is the "last good" version the kills must not touch (or the
    # last refresh that completed its publication before its kill came, retried earlier: a whole version)
    assert all(p["version"] for p in report["published_before_the_kill"]), report
    good_version, good_sha = version_of(warm), sha256(warm)
    good = query(warm, FINGERPRINT)
    good_counts = table_counts(warm)
    killed = [p for p in report["points"] if p["killed"]]
    assert len(killed) == KILLS, report
    assert all(p["published_unchanged"] for p in report["points"]), (
        report
    )  # each kill, checked right after it
    # after 10 SIGKILLs: the same bytes, the same version, the same answers
    assert sha256(warm) == good_sha and version_of(warm) == good_version
    assert query(warm, FINGERPRINT) == good
    assert len(list((warm.parent / ".builds").glob("*.duckdb"))) >= 1  # the killed runs' builds are left...

    # ... and the next run succeeds, publishes, and cleans them
    next_run = subprocess.run(
        [PYTHON, "-c", REFRESH_SCRIPT, str(warm), str(data)], capture_output=True, text=True
    )
    assert next_run.returncode == 0, next_run.stderr[-3000:]
    assert version_of(warm) != good_version and query(warm, FINGERPRINT) == good
    assert not list((warm.parent / ".builds").glob("*.duckdb*"))
    after = table_counts(warm)
    print(f"\n{len(killed)} refreshes killed, rows lost: {rows_lost(good_counts, after)}")
    assert after == good_counts and rows_lost(good_counts, after) == 0


DISK_FULL_SCRIPT = """
import resource, runpy, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing us
limit = int(sys.argv.pop(1))
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
exec(compile(sys.argv.pop(1), "refresh", "exec"))
"""


def test_disk_full_while_writing_the_new_warehouse_publishes_nothing(warm, demo_warehouse):
    data = demo_warehouse.parent / "data"
    before_sha, before_version = sha256(warm), version_of(warm)
    before_counts = table_counts(warm)
    # no file may grow past the published warehouse's size: the copy fits, writing the marts does not
    limit = warm.stat().st_size
    out = subprocess.run(
        [PYTHON, "-c", DISK_FULL_SCRIPT, str(limit), REFRESH_SCRIPT, str(warm), str(data)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 1, out.stderr[-3000:]
    assert "File too large" in out.stderr or "EFBIG" in out.stderr or "too large" in out.stderr.lower(), (
        out.stderr[-3000:]
    )
    assert sha256(warm) == before_sha and version_of(warm) == before_version
    assert publication.current_version(warm) == before_version
    # the failed run's build is removed by the next run, which publishes
    next_run = subprocess.run(
        [PYTHON, "-c", REFRESH_SCRIPT, str(warm), str(data)], capture_output=True, text=True
    )
    assert next_run.returncode == 0, next_run.stderr[-3000:]
    assert version_of(warm) != before_version
    assert not list((warm.parent / ".builds").glob("*.duckdb*"))
    assert table_counts(warm) == before_counts and rows_lost(before_counts, table_counts(warm)) == 0
