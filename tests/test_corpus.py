"""The bad-input corpus (tests/corpus/): every case is made from a copy of the demo files, run through the
affected source's raw asset and its blocking checks in a real Dagster run against a copy of the demo warehouse
(the "published warehouse"), and must give its exact one-line error, a failed step or blocking check recorded
in the run, and the published warehouse unchanged (sha256 and row counts). Accepted cases must do exactly what
the table says. Two cases also go end to end through `qpv run`."""

from __future__ import annotations

import hashlib
import importlib
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckSeverity, DagsterInstance, materialize

from assets import all_sources
from assets.factory import contract_check, integrity_check, raw_asset
from pipelines.resources import resources_for
from tests.conftest import run_cli
from tests.corpus.cases import BY_ID, CASES, README, REVN, Case, readme_table
from tests.http_fixture import Reply, ScriptedServer

SOURCES = {s.name: s for s in all_sources()}


@pytest.fixture(scope="module")
def instance():
    with DagsterInstance.ephemeral() as inst:
        yield inst


def fingerprint(path: Path) -> tuple[str, dict[str, int]]:
    """sha256 of the file and the row count of every table (read-only)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' or table_schema = 'raw'"  # raw SIRENE: views over the stock store
        ).fetchall()
        counts = {
            f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]  # noqa: S608 (catalog)
            for s, t in tables
        }
    finally:
        con.close()
    return digest, counts


def prepare(demo_warehouse: Path, tmp_path: Path, case: Case) -> tuple[Path, Path, list[str]]:
    data = tmp_path / "data"
    shutil.copytree(demo_warehouse.parent / "data", data, ignore=shutil.ignore_patterns("truth.json"))
    published = tmp_path / "published" / "qpv.duckdb"
    published.parent.mkdir()
    shutil.copy(demo_warehouse, published)
    expected = case.make(data)
    return data, published, expected


def materialize_source(name: str, data: Path, published: Path, instance, source_client=None, strict=True):
    """The source's raw asset and checks; `strict` (`qpv run --strict`): a bad file stops the run, else it is
    held back alone (pipelines/checks/holdback.py)."""
    source = SOURCES[name]
    checks = [contract_check(source)] + [c for c in [integrity_check(source)] if c is not None]
    return materialize(
        [raw_asset(source), *checks],
        resources=resources_for(
            data, published, published.parent / "dash", source_client, atomic=True, strict=strict
        ),
        instance=instance,
        raise_on_error=False,
    )


def step_error(result) -> str:
    """The error of the failed step, as the CLI shows it: the innermost cause's message."""
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.event_specific_data.error
    while error.cause is not None and "Error occurred while executing" in error.message:
        error = error.cause
    return error.message.strip()


def without_class(message: str) -> str:
    """The error as the user reads it: without the exception's class path (`pipelines.sources.parsing.InputError: `)."""
    return re.sub(r"^[\w.]+(?:Error|Exception): ", "", message, count=1)


def build_of(published: Path, run_id: str) -> Path:
    from pipelines.warehouse.publication import build_path_for

    return Path(build_path_for(str(published), run_id))


REFUSED = [c for c in CASES if c.outcome != "accepted"]
ACCEPTED = [c for c in CASES if c.outcome == "accepted"]


@pytest.mark.parametrize("case", REFUSED, ids=[c.id for c in REFUSED])
def test_refused_case(case: Case, demo_warehouse, tmp_path, instance, monkeypatch):
    data, published, expected = prepare(demo_warehouse, tmp_path, case)
    before = fingerprint(published)
    if case.patch:
        module, attribute, value = case.patch
        monkeypatch.setattr(importlib.import_module(module), attribute, value)
    client = None
    exact = case.expected
    if case.outcome == "live":
        from pipelines.sources.live.client import LiveSourceClient

        server = ScriptedServer().start()
        html = b"<!DOCTYPE html>\n<html><body>Erreur : service indisponible</body></html>"
        url = server.script("/REVN_2019.csv", Reply(body=html, headers={"Content-Type": "text/csv"}))
        expected = [*expected, url]
        exact = exact.replace("http://127.0.0.1:<port>", server.url)
        client = LiveSourceClient(
            archive_root=str(tmp_path / "archive"), allowed_hosts=["127.0.0.1"], allow_http=True,
            max_attempts=1, url_overrides={"QPV_LIVE_URL_ANCT_REVN": f"2019={url}"},
        )  # fmt: skip
    try:
        result = materialize_source(case.source, data, published, instance, client)
    finally:
        if client is not None:
            server.stop()
    assert not result.success, f"{case.id}: the run succeeded"
    if case.outcome in ("load", "live"):
        message = step_error(result)
        assert "\n" not in message, f"not one line: {message!r}"
        for part in expected:
            assert part in message, f"{case.id}: {part!r} not in {message!r}"
        assert without_class(message) == exact, f"{case.id}: the README's exact error is not the error"
    else:
        failed = [
            e
            for e in result.get_asset_check_evaluations()
            if not e.passed and e.severity == AssetCheckSeverity.ERROR
        ]
        names = [e.check_name for e in failed]
        assert case.check in names, names
        [evaluation] = [e for e in failed if e.check_name == case.check]
        lines = [li for li in evaluation.description.splitlines() if all(p in li for p in expected)]
        assert lines, f"{case.id}: {expected} not in one line of:\n{evaluation.description}"
        labelled = [
            f"check raw/{case.source}:{case.check}: " + li.strip().removeprefix("- ")
            for li in evaluation.description.splitlines()
        ]
        assert exact in labelled, (
            f"{case.id}: the README's exact error is not a line of:\n{evaluation.description}"
        )
        # nothing downstream of the failed blocking check ran; the evidence is in the check's metadata
        assert evaluation.metadata["rules_failed"].value >= 1
    if case.outcome == "live":
        assert not list((tmp_path / "archive").rglob("*.csv")), "the HTML page was archived"
    assert fingerprint(published) == before, f"{case.id}: the published warehouse changed"


# By default (without --strict) the same bad REVN_2019 file is held back alone: the raw asset succeeds, names the
# file with the same error (or the failed rule), and keeps the edition's rows of the published warehouse.
HELD = [
    c
    for c in REFUSED
    if c.source == "anct_revn"
    and (c.outcome == "load" or c.check == "contrat")
    and not c.patch
    and "dérive du schéma" not in c.expected  # a column the contract does not know blocks only with --strict
]


@pytest.mark.parametrize("case", HELD, ids=[c.id for c in HELD])
def test_refused_file_is_held_back_by_default(case: Case, demo_warehouse, tmp_path, instance):
    data, published, expected = prepare(demo_warehouse, tmp_path, case)
    result = materialize_source(case.source, data, published, instance, strict=False)
    [materialization] = result.asset_materializations_for_node(f"raw__{case.source}")
    [held] = materialization.metadata["held_back"].value
    assert held["file"] == REVN and held["millesime"] == 2019
    reason = held["reason"]
    if case.outcome == "load":
        assert without_class(case.expected) == reason, f"{case.id}: {reason!r}"
    else:
        evidence = case.expected.removeprefix(f"check raw/{case.source}:{case.check}: ")
        assert evidence.split("; ")[0] in reason, f"{case.id}: {reason!r}"
    query = "select * exclude (_sha256) from raw.anct_revn where millesime = 2019 order by _ligne"
    con = duckdb.connect(str(build_of(published, result.run_id)), read_only=True)
    clean = duckdb.connect(str(published), read_only=True)
    try:
        kept = con.execute(query).fetchall()
        assert kept == clean.execute(query).fetchall() and held["kept_rows"] == len(kept) > 0
    finally:
        con.close()
        clean.close()
    # the held-back edition passes its check: the run goes on
    assert [e.passed for e in result.get_asset_check_evaluations() if e.check_name == "contrat"] == [True]


@pytest.mark.parametrize("case", ACCEPTED, ids=[c.id for c in ACCEPTED])
def test_accepted_case(case: Case, demo_warehouse, tmp_path, instance):
    data, published, expected = prepare(demo_warehouse, tmp_path, case)
    before = fingerprint(published)
    result = materialize_source(case.source, data, published, instance)
    assert result.success, f"{case.id}: the run failed"
    [materialization] = result.asset_materializations_for_node(f"raw__{case.source}")
    metadata = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
    build = build_of(published, result.run_id)
    con = duckdb.connect(str(build if build.exists() else published), read_only=True)
    try:
        if "null_markers" in case.accepted:
            assert metadata["null_markers"] == case.accepted["null_markers"]
            [(value,)] = con.execute(
                "select DISP_MED from raw.insee_filosofi_iris where _ligne = 3 and millesime = 2019"
            ).fetchall()
            assert value is None
        if "same_values" in case.accepted:
            clean = duckdb.connect(str(demo_warehouse), read_only=True)
            query = "select * exclude (_sha256) from raw.anct_revn where millesime = 2019 order by _ligne"
            assert con.execute(query).fetchall() == clean.execute(query).fetchall()
            clean.close()
        if "quarantined" in case.accepted:
            assert metadata["quarantined_rows"] == case.accepted["quarantined"]
            rows = con.execute(
                "select cle, regle, raison from quarantine.sirene_geolocalisation where cle = ?", expected
            ).fetchall()
            assert len(rows) == 1 and rows[0][1] == "bounding_box", rows
        if "warning" in case.accepted:
            [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == "contrat"]
            assert evaluation.severity == AssetCheckSeverity.WARN
            assert all(p in evaluation.description for p in expected), evaluation.description
    finally:
        con.close()
    # a raw-only selection never reaches entrepot/publication: the published file is not rewritten
    assert fingerprint(published) == before, f"{case.id}: the published warehouse changed"


# One case through the command a user types (≈90 s: a whole run); a rate over 100 through `qpv`'s runner is
# tests/test_pipeline_real.py::test_rate_of_140_stops_the_run_before_the_marts, on the real extracts.
@pytest.mark.parametrize("case_id", ["truncated"])
def test_end_to_end_through_qpv_run(case_id, demo_warehouse, tmp_path):
    case = BY_ID[case_id]
    data, published, expected = prepare(demo_warehouse, tmp_path, case)
    for folder in data.iterdir():  # the other sources would be read and checked for nothing: keep it fast
        if folder.name != REVN.split("/")[0]:
            shutil.rmtree(folder)
    before = fingerprint(published)
    result = run_cli("run", "--data-dir", str(data), "--warehouse", str(published),
                     "--dashboards", str(tmp_path / "dash"), "--strict")  # fmt: skip
    assert result.returncode == 1
    hits = [li for li in result.stderr.splitlines() if all(p in li for p in expected)]
    assert hits, f"{expected} not on one line of:\n{result.stderr[-3000:]}"
    assert REVN.split("/")[1] in hits[0]
    assert fingerprint(published) == before


def test_the_readme_table_is_generated_from_the_cases():
    """The table is CASES (whose exact errors the tests above compare with the real ones), verbatim: it cannot
    drift from the code. After editing a case: `.venv/bin/python -m tests.corpus.cases` rewrites it."""
    readme = README.read_text(encoding="utf-8")
    assert len(CASES) >= 25 and len(BY_ID) == len(CASES)
    assert readme_table() in readme, (
        "tests/corpus/README.md is stale: run .venv/bin/python -m tests.corpus.cases"
    )
    for case in CASES:
        assert f"| `{case.id}` |" in readme, case.id
