"""Tier 4: a snapshot of the asset graph (keys, deps, groups, checks), so a rename shows up as a reviewable diff.

After an intended change: UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_asset_graph.py, then review the diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

from pipelines.definitions import ALL_JOB, defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def graph_snapshot() -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for spec in sorted(defs.resolve_all_asset_specs(), key=lambda s: s.key.to_user_string()):
        assets[spec.key.to_user_string()] = {
            "group": spec.group_name,
            "deps": sorted(d.asset_key.to_user_string() for d in spec.deps),
            "kinds": sorted(spec.kinds),
            "has_description": bool(spec.description and spec.description.strip()),
        }
    checks = sorted(
        f"{k.asset_key.to_user_string()}:{k.name}{' (blocking)' if graph.get_check_spec(k).blocking else ''}"
        for k in graph.asset_check_keys
    )
    return {"assets": assets, "checks": checks, "jobs": sorted(j.name for j in defs.resolve_all_job_defs())}


def test_asset_graph_matches_snapshot():
    current = graph_snapshot()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n")
    assert current == json.loads(SNAPSHOT.read_text()), "asset graph changed: review, then UPDATE_SNAPSHOTS=1"


def test_every_asset_is_documented_and_contract_checks_block():
    snapshot = graph_snapshot()
    assert all(a["has_description"] for a in snapshot["assets"].values())
    raw = [k for k in snapshot["assets"] if k.startswith("raw/")]
    assert raw and all(f"{k}:contrat (blocking)" in snapshot["checks"] for k in raw)


def test_marts_do_not_read_raw_directly_and_dashboards_read_only_marts():
    snapshot = graph_snapshot()["assets"]
    for key, node in snapshot.items():
        if key.startswith("marts/"):
            assert not any(d.startswith(("raw/", "staging/")) for d in node["deps"]), key
        if key.startswith("dashboards/"):
            # the marts, and the publication step: the pages read the published warehouse
            assert "entrepot/publication" in node["deps"], key
            assert all(d.startswith("marts/") or d == "entrepot/publication" for d in node["deps"]), key


def test_code_location_loads_without_environment():
    # The env vars are resolved only when a run starts: loading needs none of them, and no network.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QPV_", "DAGSTER_"))}
    code = "from pipelines.definitions import defs; print(len(defs.resolve_all_asset_specs()))"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) == len(graph_snapshot()["assets"])
    assert ALL_JOB in {j.name for j in defs.resolve_all_job_defs()}
    assert defs.get_assets_def(AssetKey(["marts", "indicateurs_qpv"])) is not None
