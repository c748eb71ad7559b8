"""The warehouse (schemas, spatial extension from the pinned wheel) and the SQL file conventions."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.paths import SQL_DIR
from pipelines.warehouse.connection import (
    SCHEMAS,
    WarehouseError,
    connect,
    connection,
    spatial_extension_path,
)
from pipelines.warehouse.models import discover_models, load_sql


def test_spatial_extension_loads_on_every_connection(tmp_path):
    # Fails if DuckDB is upgraded without the matching duckdb-extension-spatial wheel.
    assert spatial_extension_path().name == "spatial.duckdb_extension"
    with connection(tmp_path / "w.duckdb") as con:
        assert con.execute(
            "select ST_Area(ST_GeomFromText('POLYGON((0 0,2 0,2 3,0 3,0 0))'))"
        ).fetchone() == (6.0,)
    with connection(tmp_path / "w.duckdb", read_only=True) as con:  # a new connection loads it again
        assert con.execute("select ST_X(ST_Point(1.5, 2))").fetchone() == (1.5,)


def test_plain_duckdb_connection_has_no_spatial_without_load(tmp_path):
    with duckdb.connect() as con, pytest.raises(duckdb.Error):
        con.execute("select ST_Point(1, 2)").fetchall()


def test_warehouse_has_the_four_schemas(tmp_path):
    with connection(tmp_path / "w.duckdb") as con:
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    assert set(SCHEMAS) <= schemas


def test_read_only_on_missing_warehouse_is_a_clear_error(tmp_path):
    with pytest.raises(WarehouseError, match="no such warehouse"):
        connect(tmp_path / "absent.duckdb", read_only=True)


def test_every_sql_file_follows_the_conventions():
    models = discover_models()
    assert models, "sql/ has models"
    for model in models:
        first = model.text.splitlines()[0]
        assert first.startswith("-- Grain:"), f"{model.path}: first line states grain and source"
        assert "select * from final" in model.text, f"{model.path}: ends with select * from final"
        # staging also holds reference tables declared as data (ref_*: ESS perimeter, DREES rates, size bands)
        prefixes = {"staging": ("stg_", "ref_"), "intermediate": ("int_",), "marts": ("",)}[model.schema]
        assert model.name.startswith(prefixes), f"{model.path}: name prefix {prefixes}"


def test_references_drive_dependencies():
    models = {(m.schema, m.name): m for m in discover_models()}
    assert models[("marts", "indicateurs_qpv")].references() == [
        ("intermediate", "int_annees_reference_indicateurs"),
        ("intermediate", "int_secret_cellules"),
        ("intermediate", "int_secret_complementaire"),
        ("intermediate", "int_secret_editions"),
        ("marts", "ref_indicateurs"),
    ]
    themes = [
        r for r in models[("intermediate", "int_secret_cellules")].references() if r[1].startswith("int_ind")
    ]
    assert ("intermediate", "int_indicateurs_qpv_base") in themes  # the one list of themes of the marts
    assert models[("staging", "stg_anct_revn")].references() == [("raw", "anct_revn")]


def test_load_sql_by_name():
    assert load_sql("stg_anct_revn") == (SQL_DIR / "staging" / "stg_anct_revn.sql").read_text()
    assert load_sql("marts.indicateurs_qpv").startswith("-- Grain")
    with pytest.raises(KeyError):
        load_sql("staging.indicateurs_qpv")
