"""Tier 1: files that used to read wrongly without a word (issue 26): stray quotes merging lines, numbers with
badly grouped digits, integers beyond Int64. Tiny files written in tmp_path, the reader called in process."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from pipelines.contracts.model import load_contract
from pipelines.contracts.registry import ReadOptions
from pipelines.sources.parsing import (
    InputError,
    _records_error,
    clean_integer,
    clean_number,
    read_text_table,
    type_columns,
)

NNBSP = "\u202f"


def _write(tmp_path: Path, name: str, text: str, bom: bool = True) -> Path:
    """A file as the ANCT writes them: UTF-8 with BOM, CRLF."""
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.replace("\n", "\r\n").encode("utf-8"))
    return path


def _message(excinfo: pytest.ExceptionInfo[InputError]) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# --- Stray quotes ---------------------------------------------------------------------------------------------

# Line 3 opens a quote at the start of LIBGEO, line 5 closes it at the end of LIBGEO: same field count, so
# Polars reads lines 3 to 5 as one record (QP001002 takes QP001004's A, QP001003 and QP001004 vanish).
STRAY = (
    "CODGEO;LIBGEO;A;;\n"
    "QP001001;Un;1;;\n"
    'QP001002;"Deux;2;;\n'
    "QP001003;Trois;3;;\n"
    'QP001004;Quatre";4;;\n'
    "QP001005;Cinq;5;;\n"
)


def test_a_quote_opened_on_line_3_and_closed_on_line_5_is_refused_naming_the_lines(tmp_path):
    with pytest.raises(InputError) as excinfo:
        read_text_table(_write(tmp_path, "REVN_2019.csv", STRAY), ReadOptions(), label="x/REVN_2019.csv")
    message = _message(excinfo)
    assert message.startswith("x/REVN_2019.csv, ligne 3, colonne LIBGEO (n° 2) : ")
    assert "refermé seulement ligne 5" in message
    assert "les lignes 3 à 5 seraient lues comme un seul enregistrement (2 ligne(s) perdue(s))" in message
    assert (excinfo.value.line, excinfo.value.column) == (3, "LIBGEO (n° 2)")


def test_a_quote_never_closed_names_the_lines_up_to_the_end(tmp_path):
    text = 'CODGEO;LIBGEO;A\nQP001001;Un;1\nQP001002;"Deux;2\nQP001003;Trois;3\n\n'
    with pytest.raises(InputError, match=r"ligne 3, colonne LIBGEO \(n° 2\) : guillemet \(\"\) ouvrant une "
                       r"valeur jamais refermé : les lignes 3 à 4 \(fin du fichier\)"):  # fmt: skip
        read_text_table(_write(tmp_path, "t.csv", text), ReadOptions())


def test_quotes_inside_unquoted_values_are_refused_naming_the_lines_they_would_merge(tmp_path):
    text = STRAY.replace('"Deux', 'De"ux').replace('Quatre"', 'Qua"tre')
    with pytest.raises(InputError) as excinfo:
        read_text_table(_write(tmp_path, "t.csv", text), ReadOptions())
    message = _message(excinfo)
    assert "ligne 3, colonne LIBGEO (n° 2) : guillemet (\") au milieu de la valeur 'De\"ux'" in message
    assert "avec le guillemet suivant, ligne 5, les lignes 3 à 5 risquent d'être lues" in message


def test_one_quote_inside_a_value_and_text_after_a_closing_quote_are_refused(tmp_path):
    with pytest.raises(InputError, match=r"ligne 2, colonne LIBGEO \(n° 2\) : guillemet \(\"\) au milieu de la "
                       r"valeur 'Le \"Vieux'"):  # fmt: skip
        read_text_table(_write(tmp_path, "a.csv", 'CODGEO;LIBGEO;A\nQP001001;Le "Vieux;1\n'), ReadOptions())
    with pytest.raises(
        InputError, match=r"ligne 2, colonne LIBGEO \(n° 2\) : texte après le guillemet fermant"
    ):
        read_text_table(_write(tmp_path, "b.csv", 'CODGEO;LIBGEO;A\nQP001001;"Le"Vieux;1\n'), ReadOptions())


def test_values_quoted_whole_still_read(tmp_path):
    # data_DEMO_2021_V1_QP.csv's layout (header and code quoted, numbers not), a doubled quote inside a quoted
    # value (COG, Filosofi EPCI) and the separator inside a quoted value.
    text = (
        '"CODGEO";"LIBGEO";"POP_MUN";"TX_F"\n'
        '"QP001001";"CA de Blois ""Agglopolys""";6490;54,2\n'
        '"QP001002";"Nord; Sud";1926;\n'
        '"QP001003";"";1620;51\n'
    )
    frame = read_text_table(
        _write(tmp_path, "data_DEMO_2021_V1_QP.csv", text, bom=False), ReadOptions()
    ).frame
    assert frame.rows() == [
        (2, "QP001001", 'CA de Blois "Agglopolys"', "6490", "54,2"),
        (3, "QP001002", "Nord; Sud", "1926", None),
        (4, "QP001003", None, "1620", "51"),
    ]


def test_records_read_must_match_the_data_lines():
    # The backstop after Polars: a record holding line breaks names the lines it merges.
    frame = pl.DataFrame(
        {"CODGEO": ["QP001001", "QP001002", "QP001005"], "LIBGEO": ["Un", "Deux\r\nx\r\ny", "C"]}
    )
    error = _records_error(frame, ["CODGEO", "LIBGEO"], 5, "t.csv")
    assert str(error) == (
        "t.csv, ligne 3 : 3 enregistrement(s) lu(s) pour 5 ligne(s) de données : les lignes 3 à 5 sont lues "
        "comme un seul enregistrement (guillemet parasite ?)"
    )


def test_two_stray_quotes_in_a_copy_of_the_real_revn_2019_are_refused(shared_data, tmp_path):
    lines = (shared_data / "anct_onpv_qpv2015" / "REVN_2019.csv").read_bytes().split(b"\r\n")
    for number, edit in ((3, lambda v: b'"' + v), (5, lambda v: v + b'"')):  # LIBGEO of lines 3 and 5
        cells = lines[number - 1].split(b";")
        cells[1] = edit(cells[1])
        lines[number - 1] = b";".join(cells)
    copy = tmp_path / "REVN_2019.csv"
    copy.write_bytes(b"\r\n".join(lines))
    with pytest.raises(InputError) as excinfo:
        read_text_table(copy, ReadOptions(), label="anct_onpv_qpv2015/REVN_2019.csv")
    message = _message(excinfo)
    assert message.startswith("anct_onpv_qpv2015/REVN_2019.csv, ligne 3, colonne LIBGEO (n° 2) : ")
    assert "les lignes 3 à 5 seraient lues comme un seul enregistrement" in message
    # the untouched real file reads, one record per line
    shutil.copy(shared_data / "anct_onpv_qpv2015" / "REVN_2019.csv", copy)
    assert read_text_table(copy, ReadOptions()).frame.height == len(lines) - 1


# --- Numbers: thousands separators group the digits by three --------------------------------------------------


def _numbers(cells: list[str | None]) -> list[float | None]:
    return (
        pl.DataFrame({"v": cells}, schema={"v": pl.String}).select(clean_number(pl.col("v")))["v"].to_list()
    )


def test_thousands_separators_must_group_digits_by_three():
    cells = ["1 234 567,5", "12 345", f"12{NNBSP}345", "-1\u00a0193\u00a0700", " 12 ", "1 2 3 4 5", "12 34"]
    assert _numbers(cells) == [1234567.5, 12345.0, 12345.0, -1193700.0, 12.0, None, None]
    assert _numbers(["1234 567", "1 234 5678", "1 234,5 6"]) == [None, None, None]


def test_integers_are_read_exactly_and_null_beyond_int64():
    cells = ["9007199254740993", "12 345", "12,0", "99999999999999999999", "9223372036854775807"]
    out = pl.DataFrame({"v": cells}).select(clean_integer(pl.col("v")))["v"].to_list()
    assert out == [9007199254740993, 12345, 12, None, 9223372036854775807]


REVN = load_contract(Path(__file__).resolve().parents[1] / "data_contracts" / "anct" / "revn.yaml")
REQUIRED = "CODGEO;LIBGEO;DISP_Q2;TP60;PPSOC;APPA;ARSAS;AAAH"


def _typed(tmp_path: Path, extra_header: str, extra_cells: list[str]) -> pl.DataFrame:
    rows = [f"QP00100{i + 1};Q;1;1;1;1;1;1;{cell}" for i, cell in enumerate(extra_cells)]
    path = _write(tmp_path, "REVN_2019.csv", "\n".join([f"{REQUIRED};{extra_header}", *rows]) + "\n")
    table = read_text_table(path, ReadOptions(), label="REVN_2019.csv")
    return type_columns(table, REVN, ReadOptions(), "REVN_2019.csv", millesime=2019)[0]


def test_digits_grouped_wrongly_are_refused_with_file_line_and_column(tmp_path):
    with pytest.raises(InputError) as excinfo:
        _typed(tmp_path, "A", ["1 234", "1 2 3 4 5"])
    assert _message(excinfo).startswith(
        "REVN_2019.csv, ligne 3, colonne A (n° 9) : '1 2 3 4 5' n'est pas un entier"
    )


def test_grouped_numbers_of_the_real_kind_are_read(tmp_path):
    frame = _typed(tmp_path, "A;PMIMP", ["12 345;1 234 567,5", f"12{NNBSP}345;21{NNBSP}000"])
    assert frame["A"].to_list() == [12345, 12345]
    assert frame["PMIMP"].to_list() == [1234567.5, 21000.0]


def test_an_integer_beyond_int64_is_one_french_line_with_line_and_column(tmp_path):
    with pytest.raises(InputError) as excinfo:
        _typed(tmp_path, "A", ["12", "99999999999999999999"])
    assert _message(excinfo) == (
        "REVN_2019.csv, ligne 3, colonne A (n° 9) : '99999999999999999999' est hors de l'étendue des entiers "
        "(de -9 223 372 036 854 775 808 à 9 223 372 036 854 775 807) (1 valeur(s) de ce type dans cette colonne)"
    )
    assert _typed(tmp_path, "A", ["9223372036854775807"])["A"].to_list() == [9223372036854775807]
