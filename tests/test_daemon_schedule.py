"""A real `dagster-daemon` ticks a schedule and the run it launches completes.

A cron cannot tick more often than once a minute. Instead of waiting for the next minute, the test starts the
schedule with `dagster schedule start`, then moves the stored start time 90 s back: the daemon's first scheduler
iteration finds a tick due and launches it at once (the scheduler launches the latest missed tick of a schedule
without partitions). Temporary DAGSTER_HOME (the project's dagster.yaml: SQLite, telemetry off) and a small
code location written under tmp_path.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

LOCATION = """
from pathlib import Path

from dagster import Definitions, ScheduleDefinition, asset, define_asset_job, in_process_executor

from pipelines.orchestration.schedules import TIMEZONE

MARKER = Path(__file__).with_name("battement.txt")


@asset
def battement() -> int:
    MARKER.write_text("tick", encoding="utf-8")
    return 1


job = define_asset_job("battement_job", selection="*", executor_def=in_process_executor)  # no step process
defs = Definitions(
    assets=[battement],
    jobs=[job],
    schedules=[
        ScheduleDefinition(
            name="chaque_minute", job=job, cron_schedule="* * * * *", execution_timezone=TIMEZONE
        )
    ],
)
"""


def _instance(home: Path) -> DagsterInstance:
    return DagsterInstance.from_config(str(home))


def test_daemon_ticks_a_schedule_and_the_run_succeeds(tmp_path):
    begin = time.monotonic()
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    (tmp_path / "location.py").write_text(LOCATION, encoding="utf-8")
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        f"load_from:\n  - python_file:\n      relative_path: location.py\n"
        f"      working_directory: {ROOT}\n      location_name: essai_daemon\n",
        encoding="utf-8",
    )
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    started = subprocess.run(
        [str(BIN / "dagster"), "schedule", "start", "chaque_minute", "-w", str(workspace)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=90,
    )
    assert started.returncode == 0, started.stdout + started.stderr

    instance = _instance(home)
    [state] = [s for s in instance.all_instigator_state() if s.instigator_type.value == "SCHEDULE"]
    assert state.status.value == "RUNNING"
    instance.update_instigator_state(
        state.with_data(state.instigator_data._replace(start_timestamp=time.time() - 90))
    )

    print(f"schedule started after {time.monotonic() - begin:.0f} s")
    log = (tmp_path / "daemon.log").open("w")
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 100
        runs = []
        while time.monotonic() < deadline:
            runs = instance.get_runs()  # newest first; a later minute may already have queued another
            if runs and runs[-1].status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE):
                break
            assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
            time.sleep(1)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait(timeout=10)
        log.close()
    print(f"run finished after {time.monotonic() - begin:.0f} s")
    assert runs, "no run launched within 100 s:\n" + (tmp_path / "daemon.log").read_text()[-3000:]
    run = runs[-1]  # the first run, launched by the tick made due at once
    assert run.status == DagsterRunStatus.SUCCESS, (tmp_path / "daemon.log").read_text()[-3000:]
    assert run.tags.get("dagster/schedule_name") == "chaque_minute"
    assert (tmp_path / "battement.txt").read_text() == "tick"
    ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id)
    assert any(run.run_id in tick.run_ids for tick in ticks)
    instance.dispose()
