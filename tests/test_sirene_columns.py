"""SIRENE loader column pruning (issue #9): only the contract columns that a SQL model or a contract rule uses
are read; the others are NULL and listed in the load notes. The same rows and values as a full load, from both
formats, and `QPV_SIRENE_COLONNES=toutes` reads everything."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assets.sirene import SOURCES
from pipelines.sources.loaders import sirene as sirene_loader
from pipelines.sources.parsing import discover_files
from pipelines.warehouse.connection import connect

BY_NAME = {s.name: s for s in SOURCES}


@pytest.fixture
def con(tmp_path):
    connection = connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


def data_folder(demo_warehouse: Path, tmp_path: Path, suffix: str) -> Path:
    src = demo_warehouse.parent / "data" / "sirene"
    root = tmp_path / f"data{suffix}"
    (root / "sirene").mkdir(parents=True)
    for path in src.glob(f"StockEtablissement_utf8{suffix}"):
        shutil.copy(path, root / "sirene" / path.name)
    return root


def test_used_columns_only_same_values(demo_warehouse, tmp_path, con, monkeypatch):
    source = BY_NAME["sirene_etablissements"]
    contract = source.load_contract()
    keep = sirene_loader.loaded_columns(contract)
    # what the models and the rules read is kept; addresses and signs are not
    assert {"siret", "siren", "etatAdministratifEtablissement", "dateCreationEtablissement"} <= keep
    assert {
        "trancheEffectifsEtablissement",
        "activitePrincipaleEtablissement",
        "codeCommuneEtablissement",
    } <= keep
    assert (
        not {"libelleVoieEtablissement", "enseigne1Etablissement", "denominationUsuelleEtablissement"} & keep
    )
    for suffix in (".parquet", ".zip"):
        root = data_folder(demo_warehouse, tmp_path, suffix)
        files = discover_files(source, root)
        monkeypatch.delenv(sirene_loader.ALL_COLUMNS_ENV, raising=False)
        report = sirene_loader.load_sirene(source, files, con, "raw.pruned")
        monkeypatch.setenv(sirene_loader.ALL_COLUMNS_ENV, "toutes")
        full = sirene_loader.load_sirene(source, files, con, "raw.full")
        assert report.rows == full.rows > 1000
        assert "libelleVoieEtablissement" in report.notes["columns_not_loaded"]
        assert "columns_not_loaded" not in full.notes
        # same table layout (every contract column, typed); the columns not read are NULL
        layout = "select column_name, column_type from (describe raw.{})"
        assert (
            con.execute(layout.format("pruned")).fetchall() == con.execute(layout.format("full")).fetchall()
        )
        [(non_null,)] = con.execute("select count(libelleVoieEtablissement) from raw.pruned").fetchall()
        [(in_full,)] = con.execute("select count(libelleVoieEtablissement) from raw.full").fetchall()
        assert non_null == 0 < in_full
        kept = ", ".join(["_ligne", *sorted(f'"{c}"' for c in keep)])
        [(differences,)] = con.execute(
            f"select count(*) from (select {kept} from raw.full except all select {kept} from raw.pruned)"  # noqa: S608
        ).fetchall()
        assert differences == 0, suffix
