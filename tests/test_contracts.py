"""Contracts: every one loads, matches the registry, and generates its Great Expectations suite."""

from __future__ import annotations

import pytest
import yaml

from assets import all_sources
from pipelines.checks.validation import build_suite
from pipelines.contracts.model import ContractError, all_contract_files, load_contract
from pipelines.paths import CONTRACTS_DIR


def test_every_source_has_a_contract_and_every_contract_a_source():
    used = {(CONTRACTS_DIR / s.contract).resolve() for s in all_sources()}
    files = {p.resolve() for p in all_contract_files()}
    assert used == files
    for source in all_sources():
        contract = source.load_contract()
        assert contract.name == source.name
        assert source.contract.split("/")[0] == source.producer  # data_contracts/ mirrors assets/


@pytest.mark.parametrize("path", all_contract_files(), ids=lambda p: p.stem)
def test_contract_is_complete(path):
    """What issue #5 asks of every contract: dataset description, producer, licence, official URL, cadence,
    freshness; for every column a French description, whether it may be blank and what a blank means; the key."""
    contract = load_contract(path)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert contract.key, "a contract declares its key"
    assert contract.title and contract.description, "description.title and description.purpose"
    assert contract.license and contract.producer and contract.official_url.startswith("https://")
    assert contract.cadence and contract.freshness
    assert contract.row_count_min is not None and contract.row_count_max is not None, "row count bounds"
    for prop in doc["schema"][0]["properties"]:
        missing = {"nullable", "blank"} - set(prop)
        assert not missing, f"{prop['name']}: says explicitly {sorted(missing)}"
    for col in contract.columns:
        assert col.description, f"{col.name} has a French description"
        assert col.nullable or col.blank == "interdit", f"{col.name}: not nullable, so a blank is interdit"
        if col.logical_type != "string" and col.name.startswith(("TP", "P")) and col.unit == "%":
            assert col.minimum is not None and col.maximum is not None, f"{col.name}: a rate has bounds"
        if col.unit == "%" and col.logical_type != "string" and not col.name.startswith("EVOL"):
            assert col.minimum is not None or col.maximum is not None, f"{col.name}: a share has a range"
    names = {s.name: s for s in all_sources()}
    for ref in contract.references:
        assert ref.dataset in names, f"reference to an unregistered dataset {ref.dataset}"
        assert ref.referenced_column in names[ref.dataset].load_contract().column_names


def test_contract_rules_parse():
    contract = load_contract(CONTRACTS_DIR / "sirene" / "geolocalisation.yaml")
    assert contract.column("qualite_xy").on_fail == "quarantine" and contract.quarantines
    (box,) = contract.bounding_boxes
    assert {b.name for b in box.boxes} >= {"métropole", "Guadeloupe", "Martinique", "Guyane", "La Réunion"}
    (ref,) = contract.references
    assert (ref.column, ref.dataset, ref.referenced_column) == (
        "plg_qp24",
        "anct_qpv2024_perimetres",
        "code_qp",
    )
    revn = load_contract(CONTRACTS_DIR / "anct" / "revn.yaml")
    assert revn.sum_rules[0].value == 100 and revn.sum_rules[0].columns[0] == "PACT"
    assert not revn.quarantines


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        ("      - {name: A, logicalType: number, description: d, onFail: drop}\n", "onFail must be one of"),
        (
            "      - {name: A, logicalType: number, description: d}\n"
            "    references:\n      - {column: B, dataset: x, referencedColumn: A, description: d}\n",
            "unknown column B",
        ),
        (
            "      - {name: A, logicalType: number, description: d}\n"
            "    quality:\n      - {rule: sum, columns: [A], equals: A, equalsValue: 100}\n",
            "exactly one of equals",
        ),
    ],
)
def test_malformed_rules_are_refused(tmp_path, fragment, message):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "apiVersion: v3.0.2\nkind: DataContract\nname: x\nversion: 1\ndescription: {}\nproducer: p\n"
        "license: l\nschema:\n  - name: x\n    properties:\n" + fragment
    )
    with pytest.raises(ContractError, match=message):
        load_contract(path)


def test_suite_is_generated_from_the_contract():
    contract = load_contract(CONTRACTS_DIR / "anct" / "revn.yaml")
    suite = build_suite(contract)
    kinds = [e.meta["rule"] for e in suite.expectations]
    ranged = [c for c in contract.columns if c.minimum is not None or c.maximum is not None]
    assert kinds.count("range") == len(ranged)
    assert kinds.count("compare") == len(contract.compare_rules) == 5
    assert kinds.count("row_count") == 1 and kinds.count("unique_key") == 1 and kinds.count("pattern") == 1
    tp60 = next(e for e in suite.expectations if e.meta["column"] == "TP60")
    assert (tp60.min_value, tp60.max_value) == (0, 100)


def test_malformed_contract_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "apiVersion: v3.0.2\nkind: DataContract\nname: x\nversion: 1\ndescription: {}\nproducer: p\n"
        "license: l\nschema:\n  - name: x\n    properties:\n"
        "      - {name: A, logicalType: number, description: d, minimun: 0}\n"
    )
    with pytest.raises(ContractError, match=r"unknown keys \['minimun'\]"):
        load_contract(path)


def test_unknown_logical_type_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "apiVersion: v3.0.2\nkind: DataContract\nname: x\nversion: 1\ndescription: {}\nproducer: p\n"
        "license: l\nschema:\n  - name: x\n    properties:\n"
        "      - {name: A, logicalType: float, description: d}\n"
    )
    with pytest.raises(ContractError, match="logicalType must be one of"):
        load_contract(path)
