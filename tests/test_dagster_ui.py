"""`make ui`: the Dagster webserver answers on 127.0.0.1 with telemetry off, and `make ui-stop` stops it."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_ui_serves_the_code_location_and_stops(tmp_path):
    port = "3137"
    env_home = tmp_path / "dagster_home"
    args = ["make", "-s", "-C", str(ROOT), f"UI_PORT={port}", f"DAGSTER_HOME={env_home}"]
    started = subprocess.run([*args, "ui"], capture_output=True, text=True, timeout=180)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"http://127.0.0.1:{port}" in started.stdout
        assert "enabled: false" in (env_home / "dagster.yaml").read_text()
        query = {"query": "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=json.dumps(query).encode(),
            headers={"Content-Type": "application/json"},
        )
        deadline = time.monotonic() + 60
        while True:
            body = json.loads(urllib.request.urlopen(request, timeout=10).read())
            names = [e["name"] for e in body["data"]["workspaceOrError"]["locationEntries"]]
            if names or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert names == ["qpv_observatoire"]
        # the UI lists every per-source sensor and every producer schedule (issue #8: `make ui` shows them)
        query = {
            "query": "{ repositoriesOrError { ... on RepositoryConnection { nodes { "
            "schedules { name cronSchedule executionTimezone } sensors { name } } } } }"
        }
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=json.dumps(query).encode(),
            headers={"Content-Type": "application/json"},
        )
        [repository] = json.loads(urllib.request.urlopen(request, timeout=30).read())["data"][
            "repositoriesOrError"
        ]["nodes"]
        from assets import all_sources
        from pipelines.orchestration.schedules import build_refresh_jobs_and_schedules

        sensors = {s["name"] for s in repository["sensors"]}
        assert sensors == {f"nouveaux_fichiers_{s.name}" for s in all_sources()}
        _, schedules = build_refresh_jobs_and_schedules(all_sources())
        shown = {(s["name"], s["cronSchedule"], s["executionTimezone"]) for s in repository["schedules"]}
        expected = {(s.name, s.cron_schedule, s.execution_timezone) for s in schedules}
        assert len(expected) >= 5 and shown == expected, shown
    finally:
        stopped = subprocess.run([*args, "ui-stop"], capture_output=True, text=True, timeout=60)
    assert "stopped" in stopped.stdout
    time.sleep(2)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=3)
