"""Rule counts taken by the load of a raw SIRENE view (pipelines/checks/rule_counts.py, issue #9): the load counts the
contract check's conditions in its own scan of the stock; the check uses them only while the raw relation is
that view, and reports exactly what its own scan would."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assets.factory import check_query
from assets.sirene import SOURCES
from pipelines.checks import rule_counts
from pipelines.checks.quarantine import materialize_view, publish, quarantine_rows
from pipelines.checks.validation import counted_conditions, validate_relation
from pipelines.sources.loaders import get_loader
from pipelines.sources.parsing import InputError, discover_files
from pipelines.warehouse.connection import connect
from tests.test_sirene_loader import STEMS

BY_NAME = {s.name: s for s in SOURCES}
load_sirene = get_loader("sirene")


def spoiled(demo: Path, root: Path, name: str, changes: dict[str, dict[int, str]]) -> Path:
    """A data folder with the demo's Parquet stock of `name`, some cells replaced (column -> row -> text)."""
    table = pq.read_table(demo / "sirene" / f"{STEMS[name]}.parquet")
    for column, cells in changes.items():
        values = table.column(column).to_pylist()
        for row, value in cells.items():
            values[row] = value
        table = table.set_column(table.schema.get_field_index(column), column, pa.array(values, pa.string()))
    (root / "sirene").mkdir(parents=True, exist_ok=True)
    pq.write_table(table, root / "sirene" / f"{STEMS[name]}.parquet")
    return root


def load_and_publish(root: Path, warehouse: Path, name: str, monkeypatch):
    """What the raw asset does: load (a view over the stock), quarantine, publish, record the counts."""
    monkeypatch.delenv("QPV_SIRENE_STOCKAGE", raising=False)
    source = BY_NAME[name]
    contract = source.load_contract()
    con = connect(warehouse, spatial=False)
    incoming, q_incoming = f"raw.{name}__incoming", f"quarantine.{name}__incoming"
    try:
        report = load_sirene(source, discover_files(source, root), con, incoming)
        quarantined = quarantine_rows(
            con, contract, incoming, q_incoming, "test", datetime.now(UTC), report.counted
        )
        publish(con, name, incoming, q_incoming)
        rule_counts.record(con, name, None if quarantined.rows_quarantined else report.counted)
    except Exception:
        con.close()
        raise
    return con, contract, report, quarantined


def evidence(report):
    return sorted(
        (f.rule, f.column, f.unexpected_count, f.severity, f.millesime, [e.get("line") for e in f.examples])
        for f in report.failures
    )


def scanned_counts(con, name: str, contract) -> dict[int, list[int]]:
    conditions = counted_conditions(contract)
    aggregates = ", ".join(f"count(*) filter (where {c})" for c in conditions)
    rows = con.execute(
        f"select millesime, {aggregates} from ({check_query(name, contract)}) group by millesime"
    ).fetchall()
    return {row[0]: list(row[1:]) for row in rows}


def test_the_load_counts_what_the_check_would(demo, tmp_path, monkeypatch):
    name = "sirene_etablissements"
    root = spoiled(
        demo,
        tmp_path / "data",
        name,
        {
            "siren": {3: "ABC", 17: "1234"},  # pattern (error)
            "dateCreationEtablissement": {5: "12/03/2001"},  # pattern
            "etatAdministratifEtablissement": {8: "X"},  # allowed values
        },
    )
    con, contract, report, quarantined = load_and_publish(root, tmp_path / "w.duckdb", name, monkeypatch)
    try:
        assert quarantined.rows_quarantined == 0
        counts = rule_counts.lookup(con, name, contract)
        assert counts is not None and counts == scanned_counts(con, name, contract)
        relation = check_query(name, contract)
        by_check, _ = validate_relation(con, relation, contract, frame_max_rows=10, sample_rows=20)
        by_load, _ = validate_relation(
            con, relation, contract, frame_max_rows=10, sample_rows=20, counts=counts
        )
    finally:
        con.close()
    assert (by_check.rules_counted_by, by_load.rules_counted_by) == ("check", "load")
    # counts whose rows do not add up to the relation's are not used
    wrong = {edition: [values[0] + 1, *values[1:]] for edition, values in counts.items()}
    con = connect(tmp_path / "w.duckdb", read_only=True, spatial=False)
    try:
        again, _ = validate_relation(con, relation, contract, frame_max_rows=10, sample_rows=20, counts=wrong)
    finally:
        con.close()
    assert again.rules_counted_by == "check" and evidence(again) == evidence(by_check)
    assert by_load.to_metadata()["rules_counted_by"] == "load"
    assert evidence(by_load) == evidence(by_check)
    assert (by_load.rows, by_load.excluded_rows) == (by_check.rows, by_check.excluded_rows)
    found = {(f.rule, f.column): f.unexpected_count for f in by_load.failures}
    assert found[("pattern", "siren")] == 2 and found[("pattern", "dateCreationEtablissement")] == 1
    assert found[("allowed_values", "etatAdministratifEtablissement")] == 1
    assert not by_load.passed and by_load.summary() == by_check.summary()


def test_counts_are_used_only_on_the_view_they_were_taken_on(demo, tmp_path, monkeypatch):
    name = "sirene_unites_legales"
    root = spoiled(demo, tmp_path / "data", name, {})
    con, contract, _, _ = load_and_publish(root, tmp_path / "w.duckdb", name, monkeypatch)
    try:
        assert rule_counts.lookup(con, name, contract) is not None
        # a contract with one more rule: that condition was never counted
        columns = [
            dataclasses.replace(c, pattern="^[0-9]{9}$") if c.name == "nicSiegeUniteLegale" else c
            for c in contract.columns
        ]
        assert rule_counts.lookup(con, name, dataclasses.replace(contract, columns=columns)) is None
        # the view redefined (same SELECT, by hand): no fingerprint, no counts
        [(definition,)] = con.execute(
            "select sql from duckdb_views() where schema_name = 'raw' and view_name = $n", {"n": name}
        ).fetchall()
        con.execute(definition.replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1))
        assert rule_counts.lookup(con, name, contract) is None
        # a table under that name: counted by the check
        materialize_view(con, f"raw.{name}")
        assert rule_counts.lookup(con, name, contract) is None
        # a new publication without counts removes the old ones
        rule_counts.record(con, name, None)
        assert con.execute(
            "select count(*) from meta.comptes_regles where source = $s", {"s": name}
        ).fetchone() == (0,)
    finally:
        con.close()


def test_rows_quarantined_by_the_load_count_leave_no_counts(demo, tmp_path, monkeypatch):
    name = "sirene_geolocalisation"
    root = spoiled(demo, tmp_path / "data", name, {"qualite_xy": {2: "99", 40: "77"}})
    con, contract, report, quarantined = load_and_publish(root, tmp_path / "w.duckdb", name, monkeypatch)
    try:
        assert report.counted is not None  # the quarantine's count came from the load's scan
        assert quarantined.rows_quarantined == 2
        assert con.execute(f"select count(*) from quarantine.{name}").fetchone() == (2,)
        assert rule_counts.lookup(con, name, contract) is None  # the view lost two rows: the check counts
    finally:
        con.close()


def test_a_value_that_is_no_number_is_still_named_by_file_line_and_column(demo, tmp_path, monkeypatch):
    name = "sirene_geolocalisation"
    stem = STEMS[name]
    # 'inf' casts to a double (no error in the load's scan): caught by the same scan's flags
    root = spoiled(demo, tmp_path / "inf", name, {"x": {6: "inf"}})
    with pytest.raises(InputError) as err:
        load_and_publish(root, tmp_path / "a.duckdb", name, monkeypatch)
    assert (err.value.file, err.value.line, err.value.column) == (f"sirene/{stem}.parquet", 7, "x (n° 2)")
    assert "'inf' n'est pas un nombre (1 valeur(s) de ce type dans cette colonne)" in str(err.value)
    # text the cast cannot read stops the scan: the values are checked on their own
    root = spoiled(demo, tmp_path / "text", name, {"y": {11: "douze"}})
    with pytest.raises(InputError) as err:
        load_and_publish(root, tmp_path / "b.duckdb", name, monkeypatch)
    assert (err.value.file, err.value.line, err.value.column) == (f"sirene/{stem}.parquet", 12, "y (n° 3)")
