"""Referential integrity and sum rules: evaluated in SQL, blocking in a real Dagster run, and what the real
extracts of ../shared/data show (the figures below are counted independently from the files)."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize

from assets import all_sources
from assets.factory import contract_check, integrity_check, raw_asset, sql_asset
from pipelines.checks.integrity import check_integrity
from pipelines.contracts.model import Reference
from pipelines.resources import resources_for
from pipelines.sources.loaders import get_loader
from pipelines.sources.parsing import discover_files
from pipelines.warehouse.connection import connect, connection
from pipelines.warehouse.models import discover_models

SOURCES = {s.name: s for s in all_sources()}


def test_unknown_qpv_code_stops_the_run_with_evidence(revn_copy, shared_data, tmp_path):
    """A REVN row whose QPV is in no DEMO file: the blocking integrity check fails, staging is not built."""
    data = revn_copy(lambda text: text.replace("\nQP059077;", "\nQP099999;"), edition=2019)
    for demo in (shared_data / "anct_onpv_qpv2015").glob("DEMO_*.csv"):
        shutil.copy(demo, data / "anct_onpv_qpv2015" / demo.name)
    lines = (data / "anct_onpv_qpv2015" / "REVN_2019.csv").read_text(encoding="utf-8-sig").splitlines()
    line = next(i for i, text in enumerate(lines, start=1) if text.startswith("QP099999;"))

    revn, demo = SOURCES["anct_revn"], SOURCES["anct_demo"]
    staging = next(m for m in discover_models() if m.name == "stg_anct_revn")
    warehouse = tmp_path / "w.duckdb"
    result = materialize(
        [raw_asset(revn), raw_asset(demo), contract_check(revn), integrity_check(revn), sql_asset(staging)],
        resources=resources_for(data, warehouse, tmp_path / "dash"),
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    checks = {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}
    assert checks[("anct_revn", "contrat")].passed  # the code is well formed: only the reference catches it
    failed = checks[("anct_revn", "integrite")]
    assert not failed.passed and failed.severity.value == "ERROR"
    evidence = failed.metadata["failures"].value[0]
    assert evidence["rule"] == "reference" and evidence["column"] == "CODGEO"
    assert evidence["unexpected_count"] == 1
    assert evidence["first_offending_rows"][0] == {
        "millesime": 2019,
        "fichier": "anct_onpv_qpv2015/REVN_2019.csv",
        "ligne": line,
        "CODGEO": "QP099999",
    }
    assert "QP099999" in failed.description and "anct_demo" in failed.description
    built = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "staging/stg_anct_revn" not in built and "raw/anct_revn" in built


@pytest.fixture(scope="module")
def reference_tables(shared_data, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("integrity") / "w.duckdb"
    with connection(path) as con:
        for name in ("insee_cog_communes", "insee_communes_epci", "anct_qpv2024_perimetres"):
            source = SOURCES[name]
            get_loader(source.loader)(source, discover_files(source, shared_data), con, f"raw.{name}")
    return path


def _cog_codes(shared_data: Path) -> set[str]:
    with (shared_data / "cog_insee" / "cog_20240101.csv").open(encoding="utf-8") as f:
        return {row["COM"] for row in csv.DictReader(f)}


def test_perimeter_communes_absent_from_the_cog_are_overseas_collectivities(shared_data, reference_tables):
    """Real data: 91 commune codes of the QPV 2024 perimeters are not in the COG communes file, all of
    Saint-Martin (978) and French Polynesia (987): the contract's ignorePattern; everything else holds."""
    cog = _cog_codes(shared_data)
    doc = json.loads(
        (shared_data / "anct_qpv2024" / "qpv2024_simplified.geojson").read_text(encoding="utf-8")
    )
    absent = [
        code.strip()
        for feature in doc["features"]
        for code in feature["properties"]["insee_com"].split(",")
        if code.strip() not in cog
    ]
    assert len(absent) == 91 and {c[:3] for c in absent} == {"978", "987"}

    contract = SOURCES["anct_qpv2024_perimetres"].load_contract()
    (ref,) = contract.references
    with connection(reference_tables, read_only=True) as con:
        assert not check_integrity(con, contract).failures
        strict = dataclasses.replace(contract, references=(dataclasses.replace(ref, ignore_pattern=None),))
        (failure,) = check_integrity(con, strict).failures
    assert failure.unexpected_count == len(absent) and failure.severity == "error"
    assert failure.examples[0]["insee_com"] in absent and failure.examples[0]["code_qp"].startswith("QN9")


def test_communes_epci_codes_merged_since_the_file_was_made(shared_data, reference_tables):
    """Real data: com_epci_dep_reg.csv (COG about 2023) holds 2 communes absent from COG 2024 (merged
    communes: 18131, 95282): a `warn` reference with evidence, not an error."""
    cog = _cog_codes(shared_data)
    with (shared_data / "cog_insee" / "com_epci_dep_reg.csv").open(encoding="utf-8") as f:
        absent = sorted(
            row["com_code"] for row in csv.DictReader(f, delimiter=";") if row["com_code"] not in cog
        )
    assert absent == ["18131", "95282"]

    contract = SOURCES["insee_communes_epci"].load_contract()
    ref = next(
        (r for r in contract.references if r.dataset == "insee_cog_communes"),
        Reference("com_code", "insee_cog_communes", "COM", "communes fusionnées depuis", severity="warn"),
    )
    contract = dataclasses.replace(contract, references=(ref,))
    with connection(reference_tables, read_only=True) as con:
        (failure,) = check_integrity(con, contract).failures
    assert failure.severity == "warn" and failure.unexpected_count == 2
    assert sorted(e["com_code"] for e in failure.examples) == absent
    assert all(e["fichier"] == "cog_insee/com_epci_dep_reg.csv" and e["ligne"] > 1 for e in failure.examples)


def test_empty_referenced_table_is_reported_not_passed(tmp_path):
    contract = SOURCES["france_travail_defm_qpv2024"].load_contract()
    con = connect(tmp_path / "w.duckdb")
    try:
        con.execute("create table raw.anct_qpv2024_perimetres (code_qp varchar)")
        con.execute(
            "create table raw.france_travail_defm_qpv2024 as select 2024 as millesime, 'f' as _fichier, "
            "2 as _ligne, 'QN05995M' as CODGEO"
        )
        (finding,) = check_integrity(con, contract).failures
    finally:
        con.close()
    assert finding.rule == "reference_absente" and finding.severity == "warn"
