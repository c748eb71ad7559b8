"""SIRENE loader on the demo files: Parquet and CSV zip give the same rows, values match the raw files read here
independently (pyarrow, zipfile + csv), identifiers stay text, drift and bad values are reported, the CSV path
streams in bounded blocks, and the contracts pass. Plus the one end-to-end run with every source registered."""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assets.sirene import SOURCES
from pipelines.checks.validation import validate_frame
from pipelines.sources.loaders import get_loader
from pipelines.sources.loaders import sirene as sirene_loader
from pipelines.sources.parsing import InputError, discover_files
from pipelines.warehouse.connection import connect

BY_NAME = {s.name: s for s in SOURCES}
STEMS = {
    "sirene_etablissements": "StockEtablissement_utf8",
    "sirene_unites_legales": "StockUniteLegale_utf8",
    "sirene_geolocalisation": "GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8",
}
KEYS = {"sirene_etablissements": "siret", "sirene_unites_legales": "siren", "sirene_geolocalisation": "siret"}
load_sirene = get_loader("sirene")


def any_format(source):
    """The source as registered: its pattern matches both formats (discovery prefers the Parquet file)."""
    return source


@pytest.fixture
def con(tmp_path):
    connection = connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


def folder_with(demo: Path, tmp_path: Path, *names: str) -> Path:
    """A data folder holding copies of the given files of demo/sirene only."""
    root = tmp_path / "data"
    (root / "sirene").mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(demo / "sirene" / name, root / "sirene" / name)
    return root


def load(source, root: Path, con, table: str = "raw.t"):
    source = any_format(source)
    return load_sirene(source, discover_files(source, root), con, table)


def csv_member(path: Path) -> tuple[str, str]:
    with zipfile.ZipFile(path) as archive:
        [name] = archive.namelist()
        return name, archive.read(name).decode("utf-8")


def write_csv_zip(path: Path, member: str, text: str) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, text.encode("utf-8"))


def raw_csv_rows(path: Path, sep: str) -> list[dict[str, str]]:
    _, text = csv_member(path)
    return list(csv.DictReader(io.StringIO(text), delimiter=sep))


def rows(con, table: str, key: str) -> list[tuple]:
    return con.execute(f"select * exclude (_fichier, _sha256, _ligne) from {table} order by {key}").fetchall()


@pytest.mark.parametrize("name", list(STEMS))
def test_parquet_and_csv_zip_give_the_same_rows(demo, tmp_path, con, name):
    source, stem = BY_NAME[name], STEMS[name]
    pq_root = folder_with(demo, tmp_path / "pq", f"{stem}.parquet")
    zip_root = folder_with(demo, tmp_path / "zip", f"{stem}.zip")
    from_pq = load(source, pq_root, con, "raw.from_parquet")
    from_zip = load(source, zip_root, con, "raw.from_zip")
    expected = pq.ParquetFile(demo / "sirene" / f"{stem}.parquet").metadata.num_rows
    assert from_pq.rows == from_zip.rows == expected > 1000
    assert rows(con, "raw.from_parquet", KEYS[name]) == rows(con, "raw.from_zip", KEYS[name])
    # _ligne: data row number (from 1) for Parquet, line in the file (header = 1) for the CSV
    lines = con.execute(
        f"select min(p._ligne), max(p._ligne), bool_and(z._ligne = p._ligne + 1) from raw.from_parquet p "
        f"join raw.from_zip z using ({KEYS[name]})"
    ).fetchone()
    assert lines == (1, expected, True)
    assert from_pq.notes["formats_read"] == {f"sirene/{stem}.parquet": "parquet"}
    assert from_zip.notes["formats_read"] == {f"sirene/{stem}.zip": "csv in zip (streamed)"}
    millesimes = con.execute("select distinct millesime from raw.from_zip").fetchall()
    assert millesimes == [(source.fixed_millesime,)]


def test_values_match_the_raw_files(demo, tmp_path, con, monkeypatch):
    monkeypatch.setenv(sirene_loader.ALL_COLUMNS_ENV, "toutes")  # addresses too (default: the used columns)
    root = folder_with(demo, tmp_path, "StockEtablissement_utf8.zip")
    report = load(BY_NAME["sirene_etablissements"], root, con)
    raw = raw_csv_rows(demo / "sirene" / "StockEtablissement_utf8.zip", ",")
    hidden = next(r for r in raw if r["statutDiffusionEtablissement"] == "P")
    for record in (raw[0], raw[len(raw) // 2], raw[-1], hidden):
        got = con.execute(
            "select siren, nic, trancheEffectifsEtablissement, codeCommuneEtablissement, "
            "activitePrincipaleEtablissement, etatAdministratifEtablissement, anneeEffectifsEtablissement, "
            "coordonneeLambertAbscisseEtablissement, libelleVoieEtablissement from raw.t where siret = ?",
            [record["siret"]],
        ).fetchone()
        x = record["coordonneeLambertAbscisseEtablissement"]
        assert got == (
            record["siren"],
            record["nic"],
            record["trancheEffectifsEtablissement"],
            record["codeCommuneEtablissement"],
            record["activitePrincipaleEtablissement"],
            record["etatAdministratifEtablissement"],
            int(record["anneeEffectifsEtablissement"]) if record["anneeEffectifsEtablissement"] else None,
            None if x == "[ND]" else float(x),  # "[ND]" (non diffusible) is read as null
            None if record["libelleVoieEtablissement"] == "[ND]" else record["libelleVoieEtablissement"],
        )
    # the stock date noted is the latest processing date of the file
    latest = max(r["dateDernierTraitementEtablissement"] for r in raw)
    assert report.notes["stock_date_observed"] == {"sirene/StockEtablissement_utf8.zip": latest}

    geo_root = folder_with(demo, tmp_path / "g", f"{STEMS['sirene_geolocalisation']}.parquet")
    load(BY_NAME["sirene_geolocalisation"], geo_root, con, "raw.geo")
    table = pq.read_table(demo / "sirene" / f"{STEMS['sirene_geolocalisation']}.parquet").to_pylist()
    for record in (table[0], table[-1]):
        got = con.execute(
            "select x, y, qualite_xy, plg_qp24, plg_iris, distance_precision, y_latitude, x_longitude "
            "from raw.geo where siret = ?",
            [record["siret"]],
        ).fetchone()
        assert got == (
            float(record["x"]),
            float(record["y"]),
            record["qualite_xy"],
            record["plg_qp24"],
            record["plg_iris"],
            float(record["distance_precision"]) if record["distance_precision"] else None,
            float(record["y_latitude"]),
            float(record["x_longitude"]),
        )


def test_identifiers_stay_text_with_their_leading_zeros(demo, tmp_path, con):
    """A SIRET starting with 0 keeps its 14 characters from both formats; codes are never cast to numbers."""
    stem = STEMS["sirene_etablissements"]
    member, text = csv_member(demo / "sirene" / f"{stem}.zip")
    lines = text.split("\n")
    cells = lines[1].split(",")
    header = lines[0].split(",")
    cells[header.index("siren")] = "012345678"
    cells[header.index("siret")] = "01234567800018"
    lines[1] = ",".join(cells)
    zip_root = tmp_path / "zip"
    (zip_root / "sirene").mkdir(parents=True)
    write_csv_zip(zip_root / "sirene" / f"{stem}.zip", member, "\n".join(lines))

    table = pq.read_table(demo / "sirene" / f"{stem}.parquet")
    siret = table.column("siret").to_pylist()
    siret[0] = "01234567800018"
    table = table.set_column(table.schema.get_field_index("siret"), "siret", pa.array(siret, pa.string()))
    pq_root = tmp_path / "pq"
    (pq_root / "sirene").mkdir(parents=True)
    pq.write_table(table, pq_root / "sirene" / f"{stem}.parquet")

    source = BY_NAME["sirene_etablissements"]
    for root in (zip_root, pq_root):
        load(source, root, con)
        assert con.execute("select siret, nic from raw.t where _ligne in (1, 2)").fetchone() == (
            "01234567800018",
            "00018",
        )
    types = dict(con.execute("select column_name, column_type from (describe raw.t)").fetchall())
    for column in ("siret", "siren", "nic", "codeCommuneEtablissement", "trancheEffectifsEtablissement"):
        assert types[column] == "VARCHAR"
    assert types["coordonneeLambertAbscisseEtablissement"] == "DOUBLE"
    assert types["anneeEffectifsEtablissement"] == "BIGINT"
    assert types["_ligne"] == "BIGINT" and types["millesime"] == "INTEGER"
    assert (
        con.execute("select count(*) from raw.t where trancheEffectifsEtablissement = '00'").fetchone()[0] > 0
    )


def test_upper_case_geolocation_headers_are_lower_cased(demo, tmp_path, con):
    stem = STEMS["sirene_geolocalisation"]
    source = BY_NAME["sirene_geolocalisation"]
    load(source, folder_with(demo, tmp_path / "ref", f"{stem}.parquet"), con, "raw.reference")

    member, text = csv_member(demo / "sirene" / f"{stem}.zip")
    header, rest = text.split("\n", 1)
    zip_root = tmp_path / "zip"
    (zip_root / "sirene").mkdir(parents=True)
    write_csv_zip(zip_root / "sirene" / f"{stem}.zip", member, header.upper() + "\n" + rest)
    table = pq.read_table(demo / "sirene" / f"{stem}.parquet")
    pq_root = tmp_path / "pq"
    (pq_root / "sirene").mkdir(parents=True)
    pq.write_table(
        table.rename_columns([c.upper() for c in table.column_names]), pq_root / "sirene" / f"{stem}.parquet"
    )

    for root in (zip_root, pq_root):
        report = load(source, root, con, "raw.upper")
        assert report.undeclared == {}
        columns = [r[0] for r in con.execute("select column_name from (describe raw.upper)").fetchall()]
        assert columns[4:] == source.load_contract().column_names  # lower-case names, contract order
        assert rows(con, "raw.upper", "siret") == rows(con, "raw.reference", "siret")


def test_undeclared_columns_are_reported_not_loaded(demo, tmp_path, con):
    stem = STEMS["sirene_geolocalisation"]
    table = pq.read_table(demo / "sirene" / f"{stem}.parquet")
    table = table.append_column("plg_qp2030", pa.array(["QZ"] * table.num_rows))
    root = tmp_path / "data"
    (root / "sirene").mkdir(parents=True)
    pq.write_table(table, root / "sirene" / f"{stem}.parquet")
    report = load(BY_NAME["sirene_geolocalisation"], root, con)
    assert report.undeclared == {f"sirene/{stem}.parquet": ["plg_qp2030"]}
    assert "plg_qp2030" not in [
        r[0] for r in con.execute("select column_name from (describe raw.t)").fetchall()
    ]
    # the NAF 2025 columns added by INSEE in December 2025 are undeclared too
    report = load(
        BY_NAME["sirene_etablissements"],
        folder_with(demo, tmp_path / "e", "StockEtablissement_utf8.zip"),
        con,
    )
    assert report.undeclared == {
        "sirene/StockEtablissement_utf8.zip": ["activitePrincipaleNAF25Etablissement"]
    }


def test_a_bad_value_names_file_line_and_column(demo, tmp_path, con):
    stem = STEMS["sirene_geolocalisation"]
    member, text = csv_member(demo / "sirene" / f"{stem}.zip")
    lines = text.split("\n")
    cells = lines[41].split(";")
    cells[1] = "abc"  # column x, file line 42
    lines[41] = ";".join(cells)
    root = tmp_path / "zip"
    (root / "sirene").mkdir(parents=True)
    write_csv_zip(root / "sirene" / f"{stem}.zip", member, "\n".join(lines))
    with pytest.raises(InputError) as err:
        load(BY_NAME["sirene_geolocalisation"], root, con)
    assert err.value.file == f"sirene/{stem}.zip (member {member})"
    assert err.value.line == 42 and err.value.column == "x (n° 2)"
    assert "'abc' n'est pas un nombre" in str(err.value)

    table = pq.read_table(demo / "sirene" / f"{stem}.parquet")
    y = table.column("y").to_pylist()
    y[9] = "12,5 km"
    table = table.set_column(table.schema.get_field_index("y"), "y", pa.array(y, pa.string()))
    root = tmp_path / "pq"
    (root / "sirene").mkdir(parents=True)
    pq.write_table(table, root / "sirene" / f"{stem}.parquet")
    with pytest.raises(InputError) as err:
        load(BY_NAME["sirene_geolocalisation"], root, con)
    assert (err.value.file, err.value.line, err.value.column) == (f"sirene/{stem}.parquet", 10, "y (n° 3)")
    assert "'12,5 km' n'est pas un nombre (1 valeur(s) de ce type dans cette colonne)" in str(err.value)


def test_a_missing_required_column_is_named(demo, tmp_path, con):
    stem = STEMS["sirene_unites_legales"]
    table = pq.read_table(demo / "sirene" / f"{stem}.parquet").drop_columns(["etatAdministratifUniteLegale"])
    root = tmp_path / "data"
    (root / "sirene").mkdir(parents=True)
    pq.write_table(table, root / "sirene" / f"{stem}.parquet")
    with pytest.raises(
        InputError, match=r"colonne\(s\) obligatoire\(s\) absente\(s\) : \['etatAdministratifUniteLegale'\]"
    ):
        load(BY_NAME["sirene_unites_legales"], root, con)


def test_both_formats_given_reads_parquet_and_says_so(demo, tmp_path, con):
    stem = STEMS["sirene_unites_legales"]
    root = folder_with(demo, tmp_path, f"{stem}.parquet", f"{stem}.zip")
    source = any_format(BY_NAME["sirene_unites_legales"])
    files = [
        dataclasses.replace(f, millesime=source.fixed_millesime)
        for f in _all_matching(source, root)  # discover_files refuses two files of one edition
    ]
    assert len(files) == 2
    report = load_sirene(source, files, con, "raw.t")
    assert report.notes["formats_read"] == {f"sirene/{stem}.parquet": "parquet"}
    assert report.notes["files_skipped"] == [
        f"sirene/{stem}.zip: same stock as sirene/{stem}.parquet, which is read (Parquet preferred)"
    ]
    assert con.execute("select distinct _fichier from raw.t").fetchall() == [(f"sirene/{stem}.parquet",)]


def _all_matching(source, root: Path):
    from pipelines.sources.parsing import SourceFile, sha256_of

    return [
        SourceFile(p, p.relative_to(root).as_posix(), source.fixed_millesime, sha256_of(p))
        for p in sorted((root / source.folder).iterdir())
        if source.file_regex.fullmatch(p.name)
    ]


def test_csv_zip_streams_in_bounded_blocks(demo, tmp_path, con, monkeypatch):
    """The CSV path never holds the whole file: with 8 KB blocks the demo stock is read in dozens of blocks,
    each a small fraction of the file, and the result is the same as from Parquet."""
    assert sirene_loader.CSV_BLOCK_BYTES <= 64 << 20  # the production block size is bounded
    monkeypatch.setattr(sirene_loader, "CSV_BLOCK_BYTES", 8 << 10)
    stem = STEMS["sirene_etablissements"]
    source = BY_NAME["sirene_etablissements"]
    report = load(source, folder_with(demo, tmp_path / "zip", f"{stem}.zip"), con, "raw.small_blocks")
    load(source, folder_with(demo, tmp_path / "pq", f"{stem}.parquet"), con, "raw.reference")
    with zipfile.ZipFile(demo / "sirene" / f"{stem}.zip") as archive:
        uncompressed = archive.infolist()[0].file_size
    assert report.notes["csv_blocks"] >= uncompressed // (8 << 10) > 50
    assert report.notes["csv_max_rows_per_block"] * 20 < report.rows
    assert report.notes["csv_max_block_bytes"] * 20 < uncompressed
    assert rows(con, "raw.small_blocks", "siret") == rows(con, "raw.reference", "siret")
    assert con.execute(
        "select min(_ligne), max(_ligne), count(distinct _ligne) from raw.small_blocks"
    ).fetchone() == (
        2,
        report.rows + 1,
        report.rows,
    )


def test_unsafe_zip_member_is_refused(demo, tmp_path, con):
    stem = STEMS["sirene_geolocalisation"]
    _, text = csv_member(demo / "sirene" / f"{stem}.zip")
    root = tmp_path / "data"
    (root / "sirene").mkdir(parents=True)
    write_csv_zip(root / "sirene" / f"{stem}.zip", "../evil.csv", text)
    with pytest.raises(InputError, match="nom d'entrée dangereux"):
        load(BY_NAME["sirene_geolocalisation"], root, con)


@pytest.mark.parametrize("name", list(STEMS))
def test_contracts_pass_on_the_demo_tables(demo, tmp_path, con, name):
    source, stem = BY_NAME[name], STEMS[name]
    for suffix in (".parquet", ".zip"):
        load(source, folder_with(demo, tmp_path / suffix[1:], f"{stem}{suffix}"), con)
        report = validate_frame(con.sql("select * from raw.t").df(), source.load_contract())
        assert report.failures == [], report.summary()


def test_whole_pipeline_runs_with_sirene_and_france_travail_registered(demo, tmp_path):
    from pipelines.runner import run_pipeline

    run_pipeline(demo, tmp_path / "w.duckdb", tmp_path / "dash")
    with connect(tmp_path / "w.duckdb", read_only=True) as con:
        counts = {
            name: con.execute(f"select count(*) from raw.{name}").fetchone()[0]
            for name in [*STEMS, "france_travail_defm_qpv2024"]
        }
    assert all(n > 0 for n in counts.values()), counts


def test_duckdb_memory_is_capped_during_a_load_and_restored(con):
    def limit() -> str:
        return con.execute("select current_setting('memory_limit')").fetchone()[0]

    con.execute("set memory_limit = '8GB'")
    before = limit()
    with sirene_loader.memory_cap(con, sirene_loader.LOAD_MEMORY_LIMIT):
        assert limit() == "2.0 GiB"
        assert con.execute("select current_setting('preserve_insertion_order')").fetchone() == (False,)
    assert con.execute("select current_setting('preserve_insertion_order')").fetchone() == (True,)
    restored = sirene_loader._size_in_bytes(limit())
    assert restored == pytest.approx(
        sirene_loader._size_in_bytes(before), rel=0.02
    )  # DuckDB prints 1 decimal
    con.execute("set memory_limit = '1GB'")  # a warehouse configured lower is left alone
    with sirene_loader.memory_cap(con, sirene_loader.LOAD_MEMORY_LIMIT):
        assert limit() == "953.6 MiB"
