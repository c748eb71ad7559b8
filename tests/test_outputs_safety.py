"""No output can attack its reader (issue 26): no spreadsheet formula from data, no user folder wiped.

1. Formula injection: a QPV name such as `=HYPERLINK("http://x","clic")` is text in `qpv export --format xlsx`
   (string cells, never formulas), behind a `'` in the CSV exports and the dashboards' `donnees/*.csv`, and text in
   the territory workbook; numbers stay numbers (-3.5 is never quoted). A tiny warehouse built here (one mart) keeps
   these tests fast.
2. `render_all` replaces its output folder whole: it refuses a non-empty folder it did not render (no marker), a
   current folder (`--out .`), a rendered folder holding the user's files, and re-renders a folder it wrote.
   The page modules are stubbed out (the folder handling is what is tested, not the pages).
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from dashboards import render
from dashboards.render import MARKER, OutputFolderError, render_all
from dashboards.site import SiteContext, write_csv
from pipelines.warehouse.cells import keep_text, neutralise_formula
from pipelines.warehouse.export import export_marts
from tests.conftest import run_cli

HYPERLINK = '=HYPERLINK("http://x","clic")'
NAMES = {
    "QN001": HYPERLINK,
    "QN002": "+33 6 12",
    "QN003": "@SUM(A1)",
    "QN004": "-moins",
    "QN005": "\tTAB",
    "QN006": "\rCR",
    "QN007": "Les Minguettes",
}
VALEURS = {
    "QN001": -3.5,
    "QN002": 1.25,
    "QN003": None,
    "QN004": 0.0,
    "QN005": 2.0,
    "QN006": -0.5,
    "QN007": 7.0,
}
NB = {"QN001": -4, "QN002": 2, "QN003": 0, "QN004": 1, "QN005": 1, "QN006": 1, "QN007": 12}


@pytest.fixture
def warehouse(tmp_path) -> Path:
    """A warehouse with one mart: QPV names that a spreadsheet would run as formulas, a float and an integer column
    with negative values."""
    path = tmp_path / "qpv.duckdb"
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts")
        con.execute(
            "create table marts.qpv_essai (code_qpv varchar, lib_qpv varchar, valeur double, nb integer)"
        )
        con.executemany(
            "insert into marts.qpv_essai values (?, ?, ?, ?)",
            [[code, NAMES[code], VALEURS[code], NB[code]] for code in NAMES],
        )
    finally:
        con.close()
    return path


# --- the rule -----------------------------------------------------------------------------------------------------


def test_neutralise_formula_quotes_only_the_trigger_characters():
    for text in NAMES.values():
        expected = text if text == "Les Minguettes" else "'" + text
        assert neutralise_formula(text) == expected
    assert neutralise_formula("") == ""
    assert neutralise_formula("a=b") == "a=b"
    assert neutralise_formula("'=déjà") == "'=déjà"


# --- qpv export ---------------------------------------------------------------------------------------------------


def test_xlsx_export_writes_text_as_text_and_numbers_as_numbers(warehouse, tmp_path):
    result = export_marts(warehouse, tmp_path / "xlsx", "xlsx")
    path = result.out_dir / "marts.xlsx"
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode("utf-8"), name  # no formula element at all
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook.worksheets:
        formulas = [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
        assert formulas == [], (sheet.title, formulas)
    sheet = workbook["qpv_essai"]
    header = [c.value for c in sheet[1]]
    assert header == ["code_qpv", "lib_qpv", "valeur", "nb"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == set(NAMES)
    for code, name in NAMES.items():
        lib, valeur, nb = rows[code][1], rows[code][2], rows[code][3]
        # the text exactly, no quote added (XML parsers read a carriage return as a line feed)
        assert lib.data_type == "s" and lib.value == name.replace("\r", "\n")
        assert nb.data_type == "n" and nb.value == NB[code]
        if VALEURS[code] is None:
            assert valeur.value is None
        else:
            assert valeur.data_type == "n" and valeur.value == VALEURS[code]
    assert rows["QN001"][2].value == -3.5 and rows["QN001"][3].value == -4  # negative numbers stay numbers


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def test_csv_export_quotes_formula_text_but_not_numbers(warehouse, tmp_path):
    result = export_marts(warehouse, tmp_path / "csv", "csv")
    header, *lines = _read_csv(result.out_dir / "qpv_essai.csv")
    assert header == ["code_qpv", "lib_qpv", "valeur", "nb"]
    rows = {line[0]: line for line in lines}
    assert rows["QN001"][1] == "'" + HYPERLINK
    assert rows["QN002"][1] == "'+33 6 12"
    assert rows["QN003"][1] == "'@SUM(A1)"
    assert rows["QN004"][1] == "'-moins"
    assert rows["QN005"][1] == "'\tTAB"
    assert rows["QN006"][1] == "'\rCR"
    assert rows["QN007"][1] == "Les Minguettes"
    # numbers untouched (decimal comma: the CSV dialect for French Excel)
    assert rows["QN001"][2] == "-3,5" and rows["QN001"][3] == "-4"
    assert rows["QN006"][2] == "-0,5"
    assert rows["QN003"][2] == ""
    # read back as a program would: the negative float is still a number
    frame = pd.read_csv(result.out_dir / "qpv_essai.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert frame.loc[frame["code_qpv"] == "QN001", "valeur"].item() == -3.5


# --- dashboards -------------------------------------------------------------------------------------------------


def test_dashboard_csv_quotes_formula_text_but_not_numbers(tmp_path):
    # not a bare carriage return here: Python's csv module (and pandas) leave it unquoted with a "\n" line end
    names = {**NAMES, "QN006": "=1+1"}
    ctx = SiteContext(con=None, out_dir=tmp_path)
    frame = pd.DataFrame(
        {"code_qpv": list(names), "lib_qpv": list(names.values()), "valeur": list(VALEURS.values())}
    )
    relative = write_csv(ctx, frame, "essai_frame")
    relative_rows = write_csv(
        ctx,
        (["code_qpv", "lib_qpv", "valeur"], [(c, names[c], VALEURS[c]) for c in names]),
        "essai_rows",
    )
    for written in (relative, relative_rows):
        header, *lines = _read_csv(tmp_path / written)
        assert header == ["code_qpv", "lib_qpv", "valeur"]
        by_code = {line[0]: line for line in lines}
        assert by_code["QN001"][1] == "'" + HYPERLINK, written
        assert by_code["QN002"][1] == "'+33 6 12"
        assert by_code["QN003"][1] == "'@SUM(A1)"
        assert by_code["QN005"][1] == "'\tTAB"
        assert by_code["QN006"][1] == "'=1+1"
        assert by_code["QN007"][1] == "Les Minguettes"
        assert by_code["QN001"][2] == "-3,5" and by_code["QN006"][2] == "-0,5", written
    assert frame["lib_qpv"].iloc[0] == HYPERLINK  # the caller's frame is not modified


def test_territory_workbook_cells_stay_text(tmp_path):
    """The territory workbook (dashboards/bundle.py write_workbook) is written by pandas' to_excel then keep_text:
    a name starting with `=` is a string cell, numbers are numbers."""
    path = tmp_path / "classeur.xlsx"
    frame = pd.DataFrame({"lib_qpv": list(NAMES.values()), "nb": list(NB.values())})
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="Quartiers", index=False)
        assert keep_text(writer.sheets["Quartiers"]) == 1  # only the `=` text was taken for a formula
    sheet = openpyxl.load_workbook(path)["Quartiers"]
    cells = list(sheet.iter_rows(min_row=2))
    # XML parsers read a carriage return as a line feed
    assert [row[0].value for row in cells] == [name.replace("\r", "\n") for name in NAMES.values()]
    assert all(row[0].data_type == "s" for row in cells)
    assert [(row[1].data_type, row[1].value) for row in cells] == [("n", v) for v in NB.values()]


def test_bundle_workbook_uses_keep_text():
    """write_workbook passes every sheet through keep_text (its full run needs a demo warehouse)."""
    import inspect

    from dashboards import bundle

    assert "keep_text(sheet)" in inspect.getsource(bundle.write_workbook)


# --- render_all's output folder -------------------------------------------------------------------------------------


@pytest.fixture
def quick_render(monkeypatch):
    """render_all without its pages: the home page only, from an empty editions table."""
    monkeypatch.setattr(render, "page_modules", lambda: [])
    monkeypatch.setattr(render.queries, "editions_chargees", lambda con: pd.DataFrame())


def _leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}-"))


def test_render_refuses_a_foreign_folder_and_keeps_its_files(warehouse, tmp_path, quick_render):
    out = tmp_path / "site"
    out.mkdir()
    (out / "notes.txt").write_text("mes notes", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="pas été écrit par `qpv dashboards`") as info:
        render_all(warehouse, out, png=False, fiches=False)
    assert "\n" not in str(info.value) and str(out) in str(info.value)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mes notes"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert _leftovers(tmp_path, "site") == []


def test_render_refuses_the_current_folder(warehouse, tmp_path, quick_render, monkeypatch):
    cwd = tmp_path / "travail"
    cwd.mkdir()
    (cwd / "rapport.docx").write_bytes(b"pas un site")
    monkeypatch.chdir(cwd)
    with pytest.raises(OutputFolderError, match="non vide"):
        render_all(warehouse, ".", png=False, fiches=False)
    assert (cwd / "rapport.docx").read_bytes() == b"pas un site"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["qpv.duckdb", "travail"]


def test_render_replaces_a_folder_it_rendered(warehouse, tmp_path, quick_render):
    out = tmp_path / "site"
    render_all(warehouse, out, png=False, fiches=False)
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert marker["ecrit_par"] == "qpv dashboards"
    assert {"index.html", "plotly.min.js"} <= set(marker["contenu"])
    (out / "index.html").write_text("ancienne version", encoding="utf-8")
    written = render_all(warehouse, out, png=False, fiches=False)
    assert written[0] == out / "index.html"
    assert "ancienne version" not in (out / "index.html").read_text(encoding="utf-8")
    assert (out / MARKER).is_file()
    assert _leftovers(tmp_path, "site") == []  # no staging or previous folder left beside it


def test_render_into_an_empty_or_absent_folder(warehouse, tmp_path, quick_render):
    empty = tmp_path / "vide"
    empty.mkdir()
    render_all(warehouse, empty, png=False, fiches=False)
    assert (empty / "index.html").is_file() and (empty / MARKER).is_file()
    render_all(warehouse, tmp_path / "absent" / "site", png=False, fiches=False)
    assert (tmp_path / "absent" / "site" / MARKER).is_file()


def test_render_refuses_a_rendered_folder_holding_user_files(warehouse, tmp_path, quick_render):
    out = tmp_path / "site"
    render_all(warehouse, out, png=False, fiches=False)
    (out / "notes.txt").write_text("à garder", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="notes.txt"):
        render_all(warehouse, out, png=False, fiches=False)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "à garder"
    assert (out / "index.html").is_file()


def test_render_accepts_a_folder_rendered_before_the_marker(warehouse, tmp_path, quick_render):
    out = tmp_path / "site"
    render_all(warehouse, out, png=False, fiches=False)
    (out / MARKER).unlink()  # as written by a version without the marker
    render_all(warehouse, out, png=False, fiches=False)
    assert (out / MARKER).is_file()


def test_cli_dashboards_refuses_a_foreign_folder(warehouse, tmp_path):
    out = tmp_path / "perso"
    out.mkdir()
    (out / "notes.txt").write_text("mes notes", encoding="utf-8")
    result = run_cli("dashboards", "--warehouse", str(warehouse), "--out", str(out), env={"QPV_PNG": "0"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Erreur : " in result.stderr and "pas été écrit par `qpv dashboards`" in result.stderr
    assert "Traceback" not in result.stderr
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mes notes"


@pytest.fixture
def subfolder_render(monkeypatch):
    """render_all with one stub page module writing below the top level, as the fiches and the chart data do."""

    class Pages:
        @staticmethod
        def render(ctx):
            for relative in ("fiches/index.html", "fiches/QN001.html", "donnees/essai.csv"):
                target = ctx.out_dir / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("page", encoding="utf-8")
            return []

    monkeypatch.setattr(render, "page_modules", lambda: [Pages])
    monkeypatch.setattr(render.queries, "editions_chargees", lambda con: pd.DataFrame())


@pytest.mark.parametrize(
    ("user_entry", "named"),
    [
        ("fiches/mon_fichier.txt", "fiches/mon_fichier.txt"),
        ("donnees/mes_calculs.xlsx", "donnees/mes_calculs.xlsx"),
        ("mes_notes/a_garder.txt", "mes_notes/"),
        ("fiches/perso/a_garder.html", "fiches/perso/"),
    ],
)
def test_render_keeps_user_files_and_subfolders_below_the_top_level(
    warehouse, tmp_path, subfolder_render, user_entry, named
):
    out = tmp_path / "site"
    render_all(warehouse, out, png=False, fiches=False)
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert {"fiches/", "fiches/QN001.html", "donnees/essai.csv", "index.html"} <= set(marker["fichiers"])
    user = out / user_entry
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text("à garder", encoding="utf-8")
    with pytest.raises(OutputFolderError) as info:
        render_all(warehouse, out, png=False, fiches=False)
    message = str(info.value)
    assert f"({named})" in message and "\n" not in message and str(out) in message
    assert user.read_text(encoding="utf-8") == "à garder"
    assert (out / "fiches" / "QN001.html").is_file()  # nothing of the previous render was touched either
    assert _leftovers(tmp_path, "site") == []
    with pytest.raises(OutputFolderError, match=named):  # the early check (`qpv run`, before the pipeline)
        render.check_out_dir(out)
    # once the user's entry is moved away, the folder is the project's again and is re-rendered
    shutil.rmtree(out / named) if named.endswith("/") else user.unlink()
    render_all(warehouse, out, png=False, fiches=False)
    assert (out / "fiches" / "QN001.html").is_file()


def test_a_marker_listing_the_top_level_only_still_protects_user_files(warehouse, tmp_path, subfolder_render):
    out = tmp_path / "site"
    render_all(warehouse, out, png=False, fiches=False)
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    del marker["fichiers"]  # as written by a version that listed the top level only
    (out / MARKER).write_text(json.dumps(marker), encoding="utf-8")
    (out / "fiches" / "QN999.html").write_text("fiche d'un ancien périmètre", encoding="utf-8")
    render_all(warehouse, out, png=False, fiches=False)  # a page of an earlier render is the project's
    assert not (out / "fiches" / "QN999.html").exists()
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    del marker["fichiers"]
    (out / MARKER).write_text(json.dumps(marker), encoding="utf-8")
    (out / "fiches" / "mon_fichier.txt").write_text("à garder", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="fiches/mon_fichier.txt"):
        render_all(warehouse, out, png=False, fiches=False)
    assert (out / "fiches" / "mon_fichier.txt").read_text(encoding="utf-8") == "à garder"
