"""Tier 2: the contract check on a clean and a dirty fixture, asserting the evidence it reports."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.checks.validation import validate_frame
from pipelines.contracts.model import load_contract
from pipelines.paths import CONTRACTS_DIR


@pytest.fixture(scope="module")
def contract():
    return load_contract(CONTRACTS_DIR / "anct" / "revn.yaml")


def _frame(rows, contract=None):
    """A raw-table-shaped frame: every contract column present and typed, as the raw asset writes it."""
    contract = contract or load_contract(CONTRACTS_DIR / "anct" / "revn.yaml")
    base = {"_fichier": "anct_onpv_qpv2015/REVN_2019.csv", "_sha256": "0" * 64, "millesime": 2019}
    frame = pd.DataFrame([{**base, "_ligne": i + 2, **r} for i, r in enumerate(rows)])
    for col in contract.columns:
        if col.name not in frame:
            frame[col.name] = None
        if col.logical_type != "string":
            frame[col.name] = frame[col.name].astype("float64")
    return frame


CLEAN = [
    {"CODGEO": "Ensemble", "LIBGEO": "Ensemble des QPV", "TP60": None, "DISP_Q2": 13101.0, "A": 1537600},
    {"CODGEO": "QP059077", "LIBGEO": "Les Oliveaux", "TP60": 41.1, "DISP_Q2": 13474.0, "DISP_D1": 8488.0,
     "A": 1000, "APRES50": 410, "APRES100": 228},
    {"CODGEO": "QP02A001", "LIBGEO": "Corse", "TP60": None, "DISP_Q2": None, "A": 300, "APRES50": 20},
    {"CODGEO": "QP974049", "LIBGEO": "Réunion", "TP60": 60.0, "DISP_Q2": 9000.0, "A": 800},
]  # fmt: skip


def test_clean_fixture_passes(contract):
    report = validate_frame(_frame(CLEAN), contract)
    assert report.passed, report.summary()
    assert report.rows == 3 and report.excluded_rows == 1  # the Ensemble row is kept apart
    assert report.expectations > 40


def test_dirty_fixture_reports_each_rule_with_evidence(contract):
    dirty = [dict(r) for r in CLEAN]
    dirty[1]["TP60"] = 140.0  # range
    dirty[2]["APRES100"] = 50  # compare: APRES50 (20) < APRES100 (50)
    dirty[3]["CODGEO"] = "QP59049"  # pattern: 2 digits for the département
    dirty.append({"CODGEO": "QP059077", "LIBGEO": "doublon", "TP60": 40.0})  # unique key
    dirty.append({"CODGEO": "QP059078", "LIBGEO": None, "TP60": 40.0, "NOTE_FILO": 9})  # not null, allowed
    report = validate_frame(_frame(dirty), contract)
    assert not report.passed
    by_rule = {(f.rule, f.column): f for f in report.failures}
    assert set(by_rule) == {
        ("range", "TP60"),
        ("compare", "APRES50,APRES100"),
        ("pattern", "CODGEO"),
        ("unique_key", "CODGEO"),
        ("not_null", "LIBGEO"),
        ("allowed_values", "NOTE_FILO"),
    }
    tp60 = by_rule[("range", "TP60")]
    assert tp60.unexpected_count == 1 and tp60.millesime == 2019
    assert tp60.examples[0] == {
        "file": "anct_onpv_qpv2015/REVN_2019.csv",
        "line": 3,
        "CODGEO": "QP059077",
        "TP60": 140.0,
    }
    assert by_rule[("compare", "APRES50,APRES100")].examples[0]["CODGEO"] == "QP02A001"
    assert by_rule[("pattern", "CODGEO")].examples[0]["CODGEO"] == "QP59049"
    assert by_rule[("unique_key", "CODGEO")].unexpected_count == 2
    meta = report.to_metadata()
    assert meta["rules_failed"] == 6
    assert "line 3" in report.summary() and "QP059077" in report.summary()


def test_row_count_bound_is_per_edition(contract):
    rows = [{"CODGEO": f"QP059{i:03d}", "LIBGEO": "q", "TP60": 40.0} for i in range(1, 1000)]
    frame = pd.concat([_frame(rows), _frame(rows).assign(millesime=2021)], ignore_index=True)
    assert validate_frame(frame, contract).passed  # 1,998 rows in all, 999 per edition
    too_many = pd.concat([frame, _frame(rows).assign(millesime=2021)], ignore_index=True)
    report = validate_frame(too_many, contract)
    assert {(f.rule, f.millesime) for f in report.failures} >= {("row_count", 2021)}
