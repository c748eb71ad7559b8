"""`qpv export`: every mart with its dictionary, from a copy of the demo warehouse, read back by DuckDB, Polars,
pandas and openpyxl."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from pipelines.warehouse.connection import WarehouseError, connection
from pipelines.warehouse.dictionary import dictionary, mart_tables, missing_descriptions
from pipelines.warehouse.export import ExportError, export_marts
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def warehouse(demo_warehouse, tmp_path_factory) -> Path:
    """A copy of the demo warehouse (the session fixture is never touched)."""
    copy = tmp_path_factory.mktemp("export") / "qpv.duckdb"
    shutil.copy(demo_warehouse, copy)
    return copy


@pytest.fixture(scope="module")
def marts(warehouse) -> dict[str, int]:
    with connection(warehouse, read_only=True) as con:
        return {t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in mart_tables(con)}


@pytest.fixture(scope="module")
def entries(warehouse):
    with connection(warehouse, read_only=True) as con:
        return dictionary(con)


def test_every_mart_and_column_has_a_description(warehouse, entries):
    with connection(warehouse, read_only=True) as con:
        assert missing_descriptions(con) == []
    assert len(entries) > 100
    # indicator columns of the wide views take their text from ref_indicateurs
    by_key = {(e.table, e.colonne): e for e in entries}
    chomage = by_key[("qpv_chomage", "indicateur_chomage_abc")]
    assert chomage.indicateur == "indicateur_chomage_abc" and chomage.unite == "%"
    assert "Indicateur de chômage" in chomage.description
    assert by_key[("qpv_chomage", "indicateur_chomage_abc_borne_basse")].description.startswith("Borne basse")


def test_parquet_export_is_read_with_its_descriptions_by_duckdb_and_polars(
    warehouse, marts, entries, tmp_path
):
    before = warehouse.stat().st_mtime_ns
    out = tmp_path / "parquet"
    result = run_cli(
        "export", "--format", "parquet", "--out", str(out), "--warehouse", str(warehouse), check=True
    )
    assert f"{len(marts)} tables exportées (parquet)" in result.stdout
    assert warehouse.stat().st_mtime_ns == before  # opened read-only
    assert sorted(p.stem for p in out.glob("*.parquet")) == sorted(marts)
    assert not list(out.glob(".*partiel*"))

    con = duckdb.connect()
    for table, rows in marts.items():
        path = str(out / f"{table}.parquet")
        assert con.execute("select count(*) from read_parquet(?)", [path]).fetchone()[0] == rows
        kv = dict(
            con.execute("select decode(key), decode(value) from parquet_kv_metadata(?)", [path]).fetchall()
        )
        assert kv["description"] and kv["table"] == f"marts.{table}"
        for entry in (e for e in entries if e.table == table):
            assert kv[f"description.{entry.colonne}"] == entry.description
            assert entry.description

    path = out / "qpv_chomage.parquet"
    # Polars: the file key/value metadata; pyarrow (Polars' Arrow schema): the field metadata
    metadata = pl.read_parquet_metadata(path)
    assert "Indicateur de chômage" in metadata["description.indicateur_chomage_abc"]
    assert pl.read_parquet(path).height == marts["qpv_chomage"]
    assert "indicateur_chomage_abc" in pl.read_parquet_schema(path)
    field = pq.read_schema(path).field("code_qp")
    assert field.metadata[b"description"].decode().startswith("Code du quartier prioritaire")
    assert b"Vue large" in pq.read_schema(path).metadata[b"description"]

    readme = (out / "LISEZMOI.txt").read_text(encoding="utf-8")
    assert f"indicateurs_qpv : {marts['indicateurs_qpv']} lignes" in readme
    with connection(
        warehouse, read_only=True
    ) as con:  # the demo is published: meta.publication holds its version
        (version,) = con.execute("select version from meta.publication").fetchone()
    assert f"Version publiée : version = {version}, run_id = " in readme
    manifest = json.loads((out / "manifeste.json").read_text(encoding="utf-8"))
    assert {t["table"]: t["lignes"] for t in manifest["tables"]} == {
        f"marts.{t}": n for t, n in marts.items()
    }


def test_csv_export_opens_in_french_excel_and_keeps_secret_cells_empty(warehouse, marts, entries, tmp_path):
    out = tmp_path / "csv"
    result = export_marts(warehouse, out, "csv", ["indicateurs_qpv", "marts.ref_indicateurs"])
    assert sorted(p.name for p in result.files) == [
        "dictionnaire.csv",
        "indicateurs_qpv.csv",
        "ref_indicateurs.csv",
    ]
    raw = (out / "indicateurs_qpv.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcode_qp;lib_qp;")  # BOM: Excel reads UTF-8

    frame = pd.read_csv(out / "indicateurs_qpv.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert len(frame) == marts["indicateurs_qpv"]
    with connection(warehouse, read_only=True) as con:
        expected = con.execute(
            "select code_qp, geographie, millesime, indicateur, valeur from marts.indicateurs_qpv "
            "where valeur is not null and valeur <> floor(valeur) order by all limit 1"
        ).fetchone()
    key = frame.set_index(["code_qp", "geographie", "millesime", "indicateur"])
    assert key.loc[expected[:4], "valeur"] == pytest.approx(expected[4])  # decimal comma read back exactly
    assert f"{expected[4]}".replace(".", ",") in raw.decode("utf-8")
    secret = frame[frame["secret"]]
    assert len(secret) > 0 and secret["valeur"].isna().all()  # null, never 0

    with (out / "dictionnaire.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert {r["table"] for r in rows} == {"indicateurs_qpv", "ref_indicateurs"}
    assert len(rows) == sum(1 for e in entries if e.table in ("indicateurs_qpv", "ref_indicateurs"))
    assert all(r["description"] for r in rows)


def test_xlsx_export_has_a_dictionary_sheet_and_one_sheet_per_mart(warehouse, marts, entries, tmp_path):
    result = export_marts(warehouse, tmp_path / "xlsx", "xlsx")
    assert result.rows == marts
    workbook = openpyxl.load_workbook(tmp_path / "xlsx" / "marts.xlsx", read_only=True)
    assert workbook.sheetnames[:2] == ["dictionnaire", "tables"]
    assert sorted(workbook.sheetnames[2:]) == sorted(marts)
    assert all(len(name) <= 31 for name in workbook.sheetnames)

    rows = list(workbook["dictionnaire"].iter_rows(values_only=True))
    assert rows[0] == ("table", "colonne", "type", "description", "indicateur", "unite", "source")
    assert len(rows) - 1 == len(entries)
    assert all(row[3] for row in rows[1:])
    described = {(row[0], row[1]): row[3] for row in rows[1:]}
    assert "Indicateur de chômage" in described[("qpv_chomage", "indicateur_chomage_abc")]

    sheet = list(workbook["ref_indicateurs"].iter_rows(values_only=True))
    assert len(sheet) - 1 == marts["ref_indicateurs"] and sheet[0][0] == "code"
    tables = {row[0]: row[2] for row in workbook["tables"].iter_rows(min_row=2, values_only=True)}
    assert tables == {f"marts.{t}": n for t, n in marts.items()}


def test_manifest_names_the_published_version(warehouse, tmp_path):
    published = tmp_path / "publie.duckdb"
    shutil.copy(warehouse, published)
    con = duckdb.connect(str(published))
    con.execute("create schema if not exists meta")
    con.execute(
        "create or replace table meta.publication (version varchar, run_id varchar, "
        "published_at timestamp with time zone, duration_s double)"
    )
    con.execute(
        "insert into meta.publication values ('qpv-20261123T170000Z-abc', 'abc', '2026-11-23 17:00:00Z', 12.5)"
    )
    con.close()
    result = export_marts(published, tmp_path / "out", "parquet", ["ref_indicateurs"])
    assert result.version["version"] == "qpv-20261123T170000Z-abc"
    readme = (tmp_path / "out" / "LISEZMOI.txt").read_text(encoding="utf-8")
    assert (
        "Version publiée : version = qpv-20261123T170000Z-abc, run_id = abc, published_at = 2026-11-23"
        in readme
    )
    kv = dict(pq.read_schema(tmp_path / "out" / "ref_indicateurs.parquet").metadata)
    assert kv[b"entrepot_version"] == b"qpv-20261123T170000Z-abc"

    con = duckdb.connect(str(published))
    con.execute("drop table meta.publication")  # a warehouse built before atomic publication
    con.close()
    export_marts(published, tmp_path / "out2", "csv", ["ref_indicateurs"])
    readme = (tmp_path / "out2" / "LISEZMOI.txt").read_text(encoding="utf-8")
    assert "Version publiée : non renseignée (pas de meta.publication)" in readme


def test_bad_requests_are_one_clear_line(warehouse, tmp_path):
    result = run_cli(
        "export", "--format", "json", "--out", str(tmp_path / "o"), "--warehouse", str(warehouse)
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Erreur : --format 'json' inconnu : choisir parquet, csv ou xlsx")

    a_file = tmp_path / "fichier.txt"
    a_file.write_text("x", encoding="utf-8")
    result = run_cli(
        "export", "--format", "csv", "--out", str(a_file / "sous"), "--warehouse", str(warehouse)
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Erreur : {a_file / 'sous'} : dossier de sortie impossible à créer")
    assert len(result.stderr.strip().splitlines()) == 1

    with pytest.raises(ExportError, match="existe et n'est pas un dossier"):
        export_marts(warehouse, a_file, "csv")
    with pytest.raises(
        ExportError, match=r"mart\(s\) inconnu\(s\) : pirate ; disponibles : annees_reference, ecarts_qpv"
    ):
        export_marts(warehouse, tmp_path / "o", "csv", ["indicateurs_qpv", "pirate"])
    assert not (tmp_path / "o").exists()  # nothing created before the request is checked
    with pytest.raises(WarehouseError, match="no such warehouse"):
        export_marts(tmp_path / "absent.duckdb", tmp_path / "o", "xlsx")
