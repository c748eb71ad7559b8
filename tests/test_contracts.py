"""Contracts: every one loads, matches the registry, and generates its Great Expectations suite."""

from __future__ import annotations

import pytest

from assets import all_sources
from pipelines.contracts import ContractError, all_contract_files, load_contract
from pipelines.paths import CONTRACTS_DIR
from pipelines.validation import build_suite


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
    contract = load_contract(path)
    assert contract.key, "a contract declares its key"
    assert contract.license and contract.producer and contract.official_url.startswith("https://")
    for col in contract.columns:
        assert col.description, f"{col.name} has a French description"
        if col.logical_type != "string" and col.name.startswith(("TP", "P")) and col.unit == "%":
            assert col.minimum is not None and col.maximum is not None, f"{col.name}: a rate has bounds"


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
