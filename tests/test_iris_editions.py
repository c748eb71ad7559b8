"""Every real edition of the IRIS sources (CAF 2016, 2017, 2018, 2020; Filosofi 2017, 2018, 2019) loads with the
pipeline's own loader, and values read by hand in the files are the raw table's values.

The layouts differ by edition (../shared/data/SOURCES.md §4): the CAF files of 2016-2018 carry the IRIS name, the
commune, EPCI and région (UU only in 2017-2018), APRES50 / APRES100 only in 2016-2017, the 2016 and 2017 counts have a
U+202F thousands separator; the Filosofi columns carry the year (DISP_MED17) and the 2017 file ends every line with
67 empty cells. The contracts declare the edition-specific columns with `editions:`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from assets import all_sources
from pipelines.checks.integrity import check_integrity
from pipelines.sources.loaders import get_loader
from pipelines.sources.parsing import discover_files
from pipelines.warehouse.connection import connect

SOURCES = {s.name: s for s in all_sources()}
EDITIONS = {"caf_iris": [2016, 2017, 2018, 2020], "insee_filosofi_iris": [2017, 2018, 2019]}


@pytest.fixture(scope="module")
def loaded(shared_data: Path):
    """The two IRIS sources and the COG (their reference) in an in-memory DuckDB, with the loaders' reports."""
    con = connect(None, spatial=False)
    con.execute("create schema if not exists raw")
    reports = {}
    for name in (*EDITIONS, "insee_cog_communes"):
        source = SOURCES[name]
        files = discover_files(source, shared_data)
        reports[name] = (files, get_loader(source.loader)(source, files, con, f"raw.{name}"))
    yield con, reports
    con.close()


def _csv_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.reader(handle, delimiter=";")) - 1


@pytest.mark.parametrize("name", sorted(EDITIONS))
def test_every_edition_loads_with_its_columns(loaded, name, shared_data):
    con, reports = loaded
    files, report = reports[name]
    assert [f.millesime for f in files] == EDITIONS[name]
    counts = dict(con.execute(f"select _fichier, count(*) from raw.{name} group by 1").fetchall())
    assert counts == {f.relative: _csv_rows(shared_data / f.relative) for f in files}
    assert report.rows == sum(counts.values())
    assert report.undeclared == {}
    # every column declared for an edition is in its file, none is in a file outside its editions
    for relative, found in report.notes.get("columns", {}).items():
        assert not any(found.values()), f"{relative}: {found}"


# (source, edition, file line, key, {column: value read in the file at that line}); None = blank cell, or a column the
# producer does not publish in that edition
VALUES = [
    # data_CAF_2016_IRIS.csv: "…;929;2 256;371;…;137;265;140" (U+202F thousands separator)
    ("caf_iris", 2016, 3, "010040102",
     {"LIBGEO": "Longeray-Gare", "EPCI": "240100883", "UU": None, "REG": "84", "A": 929, "PERCOU": 2256,
      "A_ETUD": None, "APRES50": 265, "APRES100": 140}),
    # data_CAF_2017_IRIS.csv: UU 01302 after EPCI; PERCOU "2 421", ENF "1 032"
    ("caf_iris", 2017, 3, "010040102",
     {"UU": "01302", "A": 981, "PERCOU": 2421, "ENF": 1032, "APRES50": 293, "APRES100": 151}),
    # data_CAF_2018_IRIS.csv (no BOM, plain integers, no APRES50 / APRES100)
    ("caf_iris", 2018, 3, "010040102",
     {"DEPCOM": "01004", "UU": "01302", "PERCOU": 2469, "ENF": 1069, "ARSAS": 148, "APRES50": None}),
    # data_CAF_2020_IRIS.csv: the short layout (no names, no EPCI)
    ("caf_iris", 2020, 2, "010040101",
     {"LIBGEO": None, "EPCI": None, "NOTE": 0, "A": 501, "PERCOU": 1183, "APPA": 168, "ARSAS": 83}),
    # BASE_TD_FILO_DISP_IRIS_2017.csv: DISP_TP6017 19,8; DISP_MED17 19250; DISP_GI17 0,23
    ("insee_filosofi_iris", 2017, 2, "010040101",
     {"COM": "01004", "DISP_TP60": 19.8, "DISP_MED": 19250.0, "DISP_GI": 0.23, "DISP_PIMPOT": -13.8,
      "DISP_NOTE": 0}),
    # Satory 2 (Versailles): a slightly negative share of pensions
    ("insee_filosofi_iris", 2017, 8840, "786460606", {"DISP_PPEN": -0.1, "DISP_PACT": 108.5}),
    # quality note 5: every indicator blank
    ("insee_filosofi_iris", 2017, 1196, "132100501", {"DISP_NOTE": 5, "DISP_MED": None, "DISP_TP60": None}),
    # Château-d'Olonne, merged into Les Sables-d'Olonne in 2019: loaded, its commune code kept
    ("insee_filosofi_iris", 2017, 9418, "850600101", {"COM": "85060"}),
    # BASE_TD_FILO_DISP_IRIS_2018.csv: DISP_MED18 19300, DISP_GI18 0,242
    ("insee_filosofi_iris", 2018, 2, "010040101", {"DISP_TP60": 20.1, "DISP_MED": 19300.0, "DISP_GI": 0.242}),
    ("insee_filosofi_iris", 2018, 10293, "920350102", {"DISP_NOTE": 5, "DISP_Q1": None}),
    # BASE_TD_FILO_DISP_IRIS_2019.csv: DISP_TP6019 20,5, DISP_MED19 19400
    ("insee_filosofi_iris", 2019, 2, "010040101", {"DISP_TP60": 20.5, "DISP_MED": 19400.0, "DISP_NOTE": 0}),
]  # fmt: skip


@pytest.mark.parametrize("name, edition, line, key, expected", VALUES)
def test_values_read_off_each_edition(loaded, name, edition, line, key, expected):
    con, _ = loaded
    key_column = SOURCES[name].load_contract().key[0]
    columns = ", ".join(f'"{c}"' for c in expected)
    rows = con.execute(
        f"select {key_column}, {columns} from raw.{name} where millesime = ? and _ligne = ?", [edition, line]
    ).fetchall()
    assert rows == [(key, *expected.values())]


def test_filosofi_communes_merged_since_only_warn(loaded):
    """The 2017 file is in the 2017 commune geography: 14 IRIS of 3 communes merged on 1 January 2019 are absent
    from the 2024 COG. The reference reports them as a warning; every other commune code resolves."""
    con, _ = loaded
    report = check_integrity(con, SOURCES["insee_filosofi_iris"].load_contract())
    assert report.errors == []
    [finding] = report.failures
    assert (finding.rule, finding.column, finding.severity, finding.unexpected_count) == (
        "reference",
        "COM",
        "warn",
        14,
    )
    missing = con.execute(
        "select distinct millesime, COM from raw.insee_filosofi_iris "
        "where COM not in (select COM from raw.insee_cog_communes) order by all"
    ).fetchall()
    assert missing == [(2017, "85060"), (2017, "85166"), (2017, "91182")]


def test_caf_integrity_and_compare_hold_on_every_edition(loaded):
    con, _ = loaded
    report = check_integrity(con, SOURCES["caf_iris"].load_contract())
    assert report.failures == [], report.summary()
    # APRES50 >= APRES100 and A >= APRES50 where published (2016, 2017), read straight from the table
    assert con.execute(
        "select count(*) filter (where APRES50 < APRES100 or A < APRES50), count(APRES50) filter "
        "(where millesime not in (2016, 2017)) from raw.caf_iris"
    ).fetchone() == (0, 0)


def test_loader_matches_a_plain_duckdb_read(loaded, shared_data):
    """Independent check of the U+202F thousands separator: DuckDB's own CSV reader, digits kept."""
    con, _ = loaded
    path = shared_data / "caf_insee_iris" / "data_CAF_2017_IRIS.csv"
    plain = duckdb.sql(
        f"select sum(cast(regexp_replace(PERCOU, '[^0-9]', '', 'g') as bigint)) "
        f"from read_csv('{path}', delim=';', all_varchar=true, header=true)"
    ).fetchone()[0]
    assert con.execute("select sum(PERCOU) from raw.caf_iris where millesime = 2017").fetchone()[0] == plain
