"""Schedules per producer (cadence, Europe/Paris, stopped by default, only that producer's sources and their
downstream) and the non-blocking freshness checks declared by the contracts."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    define_asset_job,
)

from assets import all_sources
from assets.factory import raw_asset
from pipelines.contracts.model import ContractError, load_contract
from pipelines.definitions import build_definitions
from pipelines.orchestration.freshness import evaluate, freshness_check
from pipelines.orchestration.schedules import CADENCES, TIMEZONE
from pipelines.resources import LocalSourceClient, resources_for

EXPECTED_CRON = {
    "sirene": "0 6 22 * *",  # monthly
    "anct": "0 6 15 3 *",  # yearly
    "insee": "0 6 1 4 *",  # yearly
    "france_travail": "0 6 15 2,5,8,11 *",  # quarterly
    "caf": "0 6 1 7 *",  # yearly
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    base = tmp_path_factory.mktemp("defs")
    return build_definitions(
        resources_for(base / "data", base / "w.duckdb", base / "dash")
    ).get_repository_def()


def test_one_schedule_per_producer_on_its_cadence(repo):
    schedules = {s.name: s for s in repo.schedule_defs}
    assert set(schedules) == {f"rafraichissement_{p}" for p in EXPECTED_CRON}
    assert {c.producer: c.cron for c in CADENCES} == EXPECTED_CRON
    for producer, cron in EXPECTED_CRON.items():
        schedule = schedules[f"rafraichissement_{producer}"]
        assert schedule.cron_schedule == cron
        assert schedule.execution_timezone == TIMEZONE == "Europe/Paris"
        assert schedule.default_status == DefaultScheduleStatus.STOPPED
        assert "rafraîchissement" in schedule.description  # French, shown in the UI
        selected = repo.get_job(schedule.job_name).asset_layer.selected_asset_keys
        raw = {k.path[1] for k in selected if k.path[0] == "raw"}
        assert raw == {s.name for s in all_sources() if s.producer == producer}, producer
    sirene = repo.get_job("rafraichir_sirene").asset_layer.selected_asset_keys
    assert AssetKey(["marts", "qpv_ess"]) in sirene  # downstream included
    assert AssetKey(["staging", "stg_caf_iris"]) not in sirene  # not downstream of SIRENE


def test_freshness_checks_only_where_the_contract_declares_a_maximum_age(repo):
    declared = {s.name for s in all_sources() if s.load_contract().freshness_max_age_days}
    checks = {k.asset_key.path[1] for k in repo.asset_graph.asset_check_keys if k.name == "fraicheur"}
    assert checks == declared
    assert {"sirene_etablissements", "insee_cog_communes", "caf_iris"} <= declared
    assert "anct_revn" not in declared  # frozen series: no freshness expected


def test_freshness_maximum_age_must_be_positive(tmp_path):
    source = next(s for s in all_sources() if s.name == "caf_iris")
    text = source.load_contract().path.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("freshnessMaxAgeDays: 400", "freshnessMaxAgeDays: -3"), encoding="utf-8")
    with pytest.raises(ContractError, match="bad.yaml: freshnessMaxAgeDays"):
        load_contract(bad)


def test_freshness_check_warns_on_an_old_file_and_does_not_block(tmp_path):
    source = next(s for s in all_sources() if s.name == "caf_iris")
    folder = tmp_path / source.folder
    folder.mkdir()
    path = folder / "data_CAF_2020_IRIS.csv"
    path.write_text("x\n", encoding="utf-8")
    old = time.time() - 500 * 86400
    os.utime(path, (old, old))
    client = LocalSourceClient(data_dir=str(tmp_path))

    stale = evaluate(source, client, 400)
    assert not stale.passed and stale.severity == AssetCheckSeverity.WARN
    assert "data_CAF_2020_IRIS.csv" in stale.description and "trop ancien" in stale.description
    assert evaluate(source, client, 400, now=datetime.now(UTC) - timedelta(days=200)).passed

    # a real Dagster run of the check alone: a warning, the run still succeeds
    check_key = AssetCheckKey(AssetKey(["raw", "caf_iris"]), "fraicheur")
    defs = Definitions(
        assets=[raw_asset(source)],
        asset_checks=[freshness_check(source)],
        jobs=[define_asset_job("fraicheur", selection=AssetSelection.checks(check_key))],
        resources={
            **resources_for(tmp_path, tmp_path / "w.duckdb", tmp_path / "dash"),
            "source_client": client,
        },
    )
    result = defs.resolve_job_def("fraicheur").execute_in_process()
    assert result.success
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == AssetCheckSeverity.WARN
    assert evaluation.metadata["age_jours"].value > 499

    path.touch()
    result = defs.resolve_job_def("fraicheur").execute_in_process()
    assert result.get_asset_check_evaluations()[0].passed
