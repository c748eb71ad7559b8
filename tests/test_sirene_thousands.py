"""The SIRENE loader's SQL typing strips thousands separators only where they group digits by three, exactly as the
Python parser does (pipelines/sources/parsing.py, `_GROUPED`): `1 2 3 4 5` is not 12345 but a type error naming the
file, the line and the column (issue 26)."""

from __future__ import annotations

import dataclasses
import zipfile

import duckdb
import polars as pl
import pytest

from assets.sirene import SOURCES
from pipelines.sources.loaders import get_loader
from pipelines.sources.loaders import sirene as sirene_loader
from pipelines.sources.parsing import InputError, clean_number, discover_files
from pipelines.warehouse.connection import connect

NNBSP, NBSP = "\u202f", "\u00a0"
SAMPLES = [
    "12345",
    "1 234",
    "12 345",
    "123 456",
    "1 234 567",
    f"1{NBSP}234",
    f"1{NNBSP}234{NNBSP}567",
    "1 234,5",
    "-1 234,25",
    "+12 345",
    "1 234 567,",
    "1 2 3 4 5",
    "12 34",
    "1234 567",
    "1 2345",
    "1  234",
    " 1 234",
    "1 234 ",
    "1 234 5",
    "12,5",
    "12,5 km",
    "abc",
    "1 234,5 6",
    "1 a34",
    "",
]


def test_sql_number_text_follows_the_python_grouping_rule():
    """Every sample reads as the same number (or as no number) through DuckDB and through Polars (decimal comma:
    the only mode where the SQL path strips separators; without it a blank is never stripped)."""
    decimal_comma = True
    sql = sirene_loader._number_text("v", decimal_comma)
    con = duckdb.connect()
    try:
        con.execute("create table t (i integer, v varchar)")
        con.executemany("insert into t values (?, ?)", list(enumerate(SAMPLES)))
        by_sql = dict(con.execute(f"select i, try_cast({sql} as double) from t").fetchall())  # noqa: S608
    finally:
        con.close()
    by_python = (
        pl.Series(SAMPLES).to_frame("v").select(clean_number(pl.col("v"), decimal_comma))["v"].to_list()
    )
    for i, sample in enumerate(SAMPLES):
        assert by_sql[i] == by_python[i], (sample, by_sql[i], by_python[i])
    assert by_sql[SAMPLES.index("1 2 3 4 5")] is None
    assert by_sql[SAMPLES.index(f"1{NNBSP}234{NNBSP}567")] == 1234567
    assert by_sql[SAMPLES.index("-1 234,25")] == -1234.25


HEADER = "siret;x;y;qualite_xy;epsg;plg_qp24;y_latitude;x_longitude"


def _zip(path, lines: list[str]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8.csv",
            "\n".join([HEADER, *lines]).encode("utf-8"),
        )


def _row(siret: str, x: str) -> str:
    return f"{siret};{x};6 862 000,5;11;2154;QN06901M;48,85;2,35"


@pytest.fixture
def geoloc():
    """The SIRENE geolocation source, read with the decimal comma (the only mode that strips separators)."""
    source = next(s for s in SOURCES if s.name == "sirene_geolocalisation")
    return dataclasses.replace(source, read=dataclasses.replace(source.read, decimal_comma=True))


def test_grouped_thousands_load_and_badly_grouped_ones_are_refused(geoloc, tmp_path):
    load = get_loader("sirene")
    stem = "GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8"
    good = tmp_path / "bon" / "sirene"
    good.mkdir(parents=True)
    _zip(good / f"{stem}.zip", [_row("00000000000018", f"652{NNBSP}345,5"), _row("00000000000026", "1 234")])
    con = connect(tmp_path / "w.duckdb")
    try:
        load(geoloc, discover_files(geoloc, good.parent), con, "raw.t")
        assert con.execute("select x, y from raw.t order by siret").fetchall() == [
            (652345.5, 6862000.5),
            (1234.0, 6862000.5),
        ]
        bad = tmp_path / "mauvais" / "sirene"
        bad.mkdir(parents=True)
        _zip(bad / f"{stem}.zip", [_row("00000000000018", "652 345"), _row("00000000000026", "1 2 3 4 5")])
        with pytest.raises(InputError) as err:
            load(geoloc, discover_files(geoloc, bad.parent), con, "raw.u")
    finally:
        con.close()
    assert err.value.line == 3 and err.value.column == "x (n° 2)"
    assert err.value.file.startswith(f"sirene/{stem}.zip")
    assert "'1 2 3 4 5' n'est pas un nombre" in str(err.value) and "\n" not in str(err.value)
