"""France Travail job seekers by QPV 2024: the zip (data CSV + metadata file) read in place, columns driven by the
metadata, values equal to the raw CSV read here with zipfile + csv, zip-safety and contract errors named."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from assets.france_travail import SOURCES
from pipelines.checks.validation import validate_frame
from pipelines.domain.demo.formats import zip_bytes
from pipelines.domain.demo.layouts import DEFM_DATA_FILE, DEFM_META_FILE, DEFM_ZIP
from pipelines.sources.loaders import get_loader, zipped
from pipelines.sources.loaders.zipsafe import open_archive, read_member
from pipelines.sources.parsing import InputError, discover_files
from pipelines.warehouse.connection import connect

SOURCE = SOURCES[0]
load_zipped = get_loader("zipped")


@pytest.fixture(scope="module")
def members(demo) -> dict[str, str]:
    with zipfile.ZipFile(demo / "france_travail" / DEFM_ZIP) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


@pytest.fixture
def con(tmp_path):
    connection = connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


def load(root: Path, con):
    return load_zipped(SOURCE, discover_files(SOURCE, root), con, "raw.t")


def folder(tmp_path: Path, archive_members: list[tuple[str, str]], name: str = DEFM_ZIP) -> Path:
    root = tmp_path / "data"
    (root / "france_travail").mkdir(parents=True, exist_ok=True)
    (root / "france_travail" / name).write_bytes(
        zip_bytes([(n, t.encode("utf-8")) for n, t in archive_members])
    )
    return root


def edit_columns(text: str, renames: dict[str, str]) -> str:
    """Rename columns of the data file (header cells) or of the metadata file (COD_VAR cells)."""
    return (
        "\n".join(";".join(renames.get(c, c) for c in line.split(";")) for line in text.splitlines()) + "\n"
    )


def drop_data_column(text: str, column: str) -> str:
    lines = [line.split(";") for line in text.splitlines()]
    index = lines[0].index(column)
    return "\n".join(";".join(cells[:index] + cells[index + 1 :]) for cells in lines) + "\n"


def drop_meta_variable(text: str, column: str) -> str:
    return "\n".join(line for line in text.splitlines() if line.split(";")[0] != column) + "\n"


def test_demo_values_equal_the_raw_csv(demo, members, con):
    report = load(demo, con)
    raw = list(csv.DictReader(io.StringIO(members[DEFM_DATA_FILE]), delimiter=";"))
    assert report.rows == len(raw) == 30
    assert report.undeclared == {}
    assert report.notes["archives"][f"france_travail/{DEFM_ZIP}"]["members"] == {
        "data": DEFM_DATA_FILE,
        "metadata": DEFM_META_FILE,
    }
    got = {
        row[0]: row[1:]
        for row in con.execute(
            "select CODGEO, LIBGEO, DEFM_ABCDE, DEFM_ABC, DEFM_A, DEFM_ABC_RSA, _ligne, millesime, _fichier from raw.t"
        ).fetchall()
    }
    for line, record in enumerate(raw, start=2):
        assert got[record["CODGEO"]] == (
            record["LIBGEO"],
            *(
                int(record[c]) if record[c] else None
                for c in ("DEFM_ABCDE", "DEFM_ABC", "DEFM_A", "DEFM_ABC_RSA")
            ),
            line,
            2024,
            f"france_travail/{DEFM_ZIP}",
        )
    blanks = sum(1 for record in raw for c in record if c.startswith("DEFM") and record[c] == "")
    nulls = con.execute(
        "select "
        + " + ".join(f"count(*) filter (where {c} is null)" for c in raw[0] if c.startswith("DEFM"))
        + " from raw.t"
    ).fetchone()[0]
    assert nulls == blanks  # blank = secret = null, never 0
    types = dict(con.execute("select column_name, column_type from (describe raw.t)").fetchall())
    assert types["CODGEO"] == "VARCHAR" and types["DEFM_ABC"] == "BIGINT"


def test_contract_passes_on_the_demo_table(demo, con):
    load(demo, con)
    report = validate_frame(con.sql("select * from raw.t").df(), SOURCE.load_contract())
    assert report.failures == [], report.summary()


def test_columns_come_from_the_metadata(tmp_path, members, con):
    """Producer names given as aliases are read into the contract columns; metadata variables the contract does
    not describe are reported with their labels."""
    renames = {"DEFM_ABC": "ABC", "DEFM_A": "A"}
    data = edit_columns(members[DEFM_DATA_FILE], renames)
    data = (
        "\n".join(line + (";NOUVEL_INDIC" if i == 0 else ";7") for i, line in enumerate(data.splitlines()))
        + "\n"
    )
    meta = edit_columns(members[DEFM_META_FILE], renames) + "NOUVEL_INDIC;Un indicateur ajouté;NUM\n"
    report = load(folder(tmp_path, [(DEFM_DATA_FILE, data), (DEFM_META_FILE, meta)]), con)
    assert report.undeclared == {f"france_travail/{DEFM_ZIP}": ["NOUVEL_INDIC"]}
    facts = report.notes["archives"][f"france_travail/{DEFM_ZIP}"]
    assert facts["undeclared_labels"] == {"NOUVEL_INDIC": "Un indicateur ajouté"}
    first = next(csv.DictReader(io.StringIO(members[DEFM_DATA_FILE]), delimiter=";"))
    assert con.execute(
        "select DEFM_ABC, DEFM_A from raw.t where CODGEO = ?", [first["CODGEO"]]
    ).fetchone() == (
        int(first["DEFM_ABC"]),
        int(first["DEFM_A"]),
    )


def test_a_required_column_missing_from_the_metadata_is_named(tmp_path, members, con):
    data = drop_data_column(members[DEFM_DATA_FILE], "DEFM_A")
    meta = drop_meta_variable(members[DEFM_META_FILE], "DEFM_A")
    with pytest.raises(
        InputError, match=r"colonne\(s\) obligatoire\(s\) absente\(s\) des métadonnées : \['DEFM_A'\]"
    ) as err:
        load(folder(tmp_path, [(DEFM_DATA_FILE, data), (DEFM_META_FILE, meta)]), con)
    assert err.value.file == f"france_travail/{DEFM_ZIP} (member {DEFM_META_FILE})"


def test_header_and_metadata_must_agree(tmp_path, members, con):
    data = drop_data_column(members[DEFM_DATA_FILE], "DEFM_ABC_RSA")
    with pytest.raises(
        InputError, match=r"dans les métadonnées mais pas dans le fichier \['DEFM_ABC_RSA'\]"
    ) as err:
        load(folder(tmp_path, [(DEFM_DATA_FILE, data), (DEFM_META_FILE, members[DEFM_META_FILE])]), con)
    assert err.value.line == 1


def test_a_count_declared_as_text_by_the_metadata_is_refused(tmp_path, members, con):
    meta = members[DEFM_META_FILE].replace("catégories A, B, C;NUM", "catégories A, B, C;CHAR")
    with pytest.raises(InputError, match="DEFM_ABC est déclarée CHAR") as err:
        load(folder(tmp_path, [(DEFM_DATA_FILE, members[DEFM_DATA_FILE]), (DEFM_META_FILE, meta)]), con)
    assert err.value.line == 5 and err.value.column == "TYPE_VAR"


def test_a_bad_value_names_member_line_and_column(tmp_path, members, con):
    lines = members[DEFM_DATA_FILE].splitlines()
    cells = lines[6].split(";")
    cells[4] = "abc"  # DEFM_A, file line 7
    lines[6] = ";".join(cells)
    data = "\n".join(lines) + "\n"
    with pytest.raises(InputError) as err:
        load(folder(tmp_path, [(DEFM_DATA_FILE, data), (DEFM_META_FILE, members[DEFM_META_FILE])]), con)
    assert err.value.file == f"france_travail/{DEFM_ZIP} (member {DEFM_DATA_FILE})"
    assert (err.value.line, err.value.column) == (7, "DEFM_A (n° 5)")
    assert "'abc' n'est pas un entier" in str(err.value)


def test_a_member_climbing_out_of_the_archive_is_refused(tmp_path, members, con):
    archive = [(DEFM_DATA_FILE, members[DEFM_DATA_FILE]), (DEFM_META_FILE, members[DEFM_META_FILE])]
    for evil in ("../evil.csv", "/etc/evil.csv", "a/../../evil.csv"):
        root = folder(tmp_path / evil.replace("/", "_"), [*archive, (evil, "x;y\n1;2\n")])
        with pytest.raises(InputError, match="nom d'entrée dangereux") as err:
            load(root, con)
        assert evil in str(err.value)


def test_an_archive_expanding_past_the_limit_is_refused(tmp_path, members, con, monkeypatch):
    archive = [(DEFM_DATA_FILE, members[DEFM_DATA_FILE]), (DEFM_META_FILE, members[DEFM_META_FILE])]
    root = folder(tmp_path, archive)
    monkeypatch.setattr(zipped, "MAX_EXPANDED_BYTES", 1_000)
    with pytest.raises(InputError, match="ferait 3 635 octets, au-delà de la limite de 1 000"):
        load(root, con)
    # the bytes actually decompressed are bounded too (declared sizes can lie)
    zip_path = root / "france_travail" / DEFM_ZIP
    opened, infos = open_archive(zip_path, "x.zip", 10_000)
    with opened, pytest.raises(InputError, match="dépasse la limite de 100 octets"):
        read_member(opened, infos[0], "x.zip (member data)", 100)


def test_a_zip_without_metadata_is_refused(tmp_path, members, con):
    with pytest.raises(InputError, match=r"doit contenir un CSV de données et un fichier de métadonnées"):
        load(folder(tmp_path, [(DEFM_DATA_FILE, members[DEFM_DATA_FILE])]), con)


def test_no_file_gives_nothing_to_load(tmp_path, con):
    (tmp_path / "france_travail").mkdir()
    report = load_zipped(SOURCE, [], con, "raw.t")
    assert report.rows == 0
    assert [r[0] for r in con.execute("select column_name from (describe raw.t)").fetchall()][4:] == (
        SOURCE.load_contract().column_names
    )
