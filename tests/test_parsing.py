"""Tier 1: parsing and cleaning, on small inline inputs including the nasty ones."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.contracts.model import load_contract
from pipelines.contracts.registry import ReadOptions, Source
from pipelines.sources.parsing import InputError, clean_number, discover_files, read_text_table, type_columns

NNBSP = "\u202f"


def test_clean_number_handles_french_formats():
    values = [f"1{NNBSP}075", "44,6", "-9,5", "1\u00a0193\u00a0700", " 12 ", "0", None, "abc", "1.5"]
    out = pl.Series(values).to_frame("v").select(clean_number(pl.col("v"))).to_series().to_list()
    assert out == [1075.0, 44.6, -9.5, 1193700.0, 12.0, 0.0, None, None, 1.5]


def test_clean_number_point_decimal_when_not_comma():
    out = pl.Series(["1,5", "2.25"]).to_frame("v").select(clean_number(pl.col("v"), decimal_comma=False))
    assert out.to_series().to_list() == [None, 2.25]


def _write(tmp_path: Path, name: str, text: str, bom: bool = True) -> Path:
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.replace("\n", "\r\n").encode("utf-8"))
    return path


ANCT_LIKE = (
    "CODGEO;LIBGEO;TP60;A;EVOL_X ;;;;\n"
    "Ensemble;Ensemble des QPV;;1\u202f428\u202f500;;;;;\n"
    "QP059077;Les Oliveaux;41,1;1\u202f000;2;;;;\n"
    "QP02A001;Quartier corse;;;;;;;\n"
)


def test_read_text_table_drops_trailing_columns_and_numbers_lines(tmp_path):
    table = read_text_table(_write(tmp_path, "REVN_2019.csv", ANCT_LIKE), ReadOptions())
    frame = table.frame
    assert table.positions == {"CODGEO": 1, "LIBGEO": 2, "TP60": 3, "A": 4, "EVOL_X": 5}
    assert frame.columns == ["_ligne", "CODGEO", "LIBGEO", "TP60", "A", "EVOL_X"]
    assert frame["_ligne"].to_list() == [2, 3, 4]
    assert frame["CODGEO"].to_list() == ["Ensemble", "QP059077", "QP02A001"]
    assert frame["TP60"].to_list() == [None, "41,1", None]  # blank = null, not ""


def test_read_text_table_quoted_fields_without_bom(tmp_path):
    path = _write(tmp_path, "x.csv", '"CODGEO";"POP_MUN"\n"QP001001";6490\n', bom=False)
    frame = read_text_table(path, ReadOptions()).frame
    assert frame.select("CODGEO", "POP_MUN").rows() == [("QP001001", "6490")]


def test_read_text_table_rejects_duplicate_header(tmp_path):
    with pytest.raises(InputError, match="noms de colonnes en double"):
        read_text_table(_write(tmp_path, "d.csv", "A;A\n1;2\n"), ReadOptions())


def test_read_text_table_rejects_empty_file(tmp_path):
    with pytest.raises(InputError, match="fichier vide"):
        read_text_table(_write(tmp_path, "e.csv", "", bom=False), ReadOptions())


CONTRACT = """
apiVersion: v3.0.2
kind: DataContract
name: tiny
version: 0.1.0
description: {title: Tiny, purpose: test}
producer: test
license: test
schema:
  - name: tiny
    properties:
      - {name: CODGEO, logicalType: string, primaryKey: true, required: true, nullable: false, description: code}
      - {name: TP60, logicalType: number, required: true, description: taux}
      - {name: A, logicalType: integer, description: foyers}
      - {name: APPA, logicalType: integer, aliases: [ARSA_OLD], description: prime}
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(CONTRACT)
    return load_contract(path)


def test_type_columns_types_and_fills_absent_columns(tmp_path, tiny):
    text = read_text_table(_write(tmp_path, "t.csv", ANCT_LIKE), ReadOptions())
    typed, unknown = type_columns(text, tiny, ReadOptions(), "t.csv")
    assert unknown == ["LIBGEO", "EVOL_X"]
    assert typed.schema["TP60"] == pl.Float64 and typed.schema["A"] == pl.Int64
    assert typed["A"].to_list() == [1428500, 1000, None]
    assert typed["APPA"].to_list() == [None, None, None]  # absent from this edition: null, same shape


def test_type_columns_maps_aliases(tmp_path, tiny):
    text = read_text_table(
        _write(tmp_path, "t.csv", "CODGEO;TP60;ARSA_OLD\nQP001001;3,5;12\n"), ReadOptions()
    )
    typed, _ = type_columns(text, tiny, ReadOptions(), "t.csv")
    assert typed["APPA"].to_list() == [12]


def test_bad_number_names_file_line_and_column(tmp_path, tiny):
    bad = ANCT_LIKE.replace("41,1", "4I,1")
    text = read_text_table(_write(tmp_path, "REVN_2019.csv", bad), ReadOptions())
    with pytest.raises(InputError) as info:
        type_columns(text, tiny, ReadOptions(), "anct/REVN_2019.csv")
    message = str(info.value)
    assert "anct/REVN_2019.csv, ligne 3, colonne TP60 (n° 3)" in message
    assert "'4I,1' n'est pas un nombre" in message


@pytest.mark.parametrize("cell", ["NaN", "nan", "inf", "-inf", "Infinity"])
def test_a_non_finite_number_is_refused_unless_the_contract_declares_it(tmp_path, tiny, cell):
    """Issue 26: one NaN TP60 used to pass the [0, 100] range and turn territory totals into NaN."""
    text = read_text_table(_write(tmp_path, "REVN_2021.csv", f"CODGEO;TP60;A\nQP001001;3,5;12\nQP001002;{cell};12\n"),
                           ReadOptions())  # fmt: skip
    with pytest.raises(InputError, match=r"REVN_2021.csv, ligne 3, colonne TP60 \(n° 2\) : valeur non finie"):
        type_columns(text, tiny, ReadOptions(), "REVN_2021.csv")
    declared = load_contract_text(tmp_path, CONTRACT.replace(
        "{name: TP60, logicalType: number,", "{name: TP60, logicalType: number, logicalTypeOptions: {nonFinite: true},"
    ))  # fmt: skip
    typed, _ = type_columns(text, declared, ReadOptions(), "REVN_2021.csv")
    assert typed["TP60"].to_list()[0] == 3.5


def load_contract_text(tmp_path, text: str):
    path = tmp_path / "declared.yaml"
    path.write_text(text)
    return load_contract(path)


def test_decimal_in_integer_column_is_refused(tmp_path, tiny):
    text = read_text_table(_write(tmp_path, "t.csv", "CODGEO;TP60;A\nQP001001;3;12,5\n"), ReadOptions())
    with pytest.raises(InputError, match=r"ligne 2, colonne A \(n° 3\) : '12,5' n'est pas un entier"):
        type_columns(text, tiny, ReadOptions(), "t.csv")


def test_missing_required_column_is_named(tmp_path, tiny):
    text = read_text_table(_write(tmp_path, "t.csv", "CODGEO;TAUX_PAUVRETE\nQP001001;3\n"), ReadOptions())
    with pytest.raises(InputError) as info:
        type_columns(text, tiny, ReadOptions(), "t.csv")
    assert "colonne(s) obligatoire(s) absente(s) : ['TP60']" in str(info.value)
    assert "colonne(s) hors contrat : ['TAUX_PAUVRETE']" in str(info.value)


def test_discover_files_one_per_edition(tmp_path):
    folder = tmp_path / "anct_onpv_qpv2015"
    folder.mkdir()
    for name in ["REVN_2019.csv", "REVN_2017.csv", "REVN_2019.csv.bak", "IPRO_2019.csv", "REVN_20x9.csv"]:
        (folder / name).write_text("CODGEO\n")
    source = Source(
        name="anct_revn",
        producer="anct",
        title="t",
        folder="anct_onpv_qpv2015",
        file_pattern=r"REVN_(?P<millesime>\d{4})\.csv",
        official_url="https://example.invalid",
        contract="anct/revn.yaml",
        geographie="qpv2015",
    )
    files = discover_files(source, tmp_path)
    assert [(f.relative, f.millesime) for f in files] == [
        ("anct_onpv_qpv2015/REVN_2017.csv", 2017),
        ("anct_onpv_qpv2015/REVN_2019.csv", 2019),
    ]
    assert len(files[0].sha256) == 64
    assert discover_files(source, tmp_path / "nowhere") == []


def test_source_declaration_is_checked():
    with pytest.raises(ValueError, match="millesime"):
        Source("x", "p", "t", "f", r"X_\d{4}\.csv", "u", "c", "g")
    with pytest.raises(ValueError, match="lower-case"):
        Source("Bad-Name", "p", "t", "f", r"X_(?P<millesime>\d{4})\.csv", "u", "c", "g")


def test_same_edition_in_two_formats_takes_the_preferred_one(tmp_path):
    from assets.sirene import SOURCES as SIRENE

    stock = next(s for s in SIRENE if s.name == "sirene_etablissements")
    folder = tmp_path / "sirene"
    folder.mkdir()
    (folder / "StockEtablissement_utf8.zip").write_bytes(b"PK")
    assert [f.relative for f in discover_files(stock, tmp_path)] == ["sirene/StockEtablissement_utf8.zip"]
    (folder / "StockEtablissement_utf8.parquet").write_bytes(b"PAR1")
    assert [f.relative for f in discover_files(stock, tmp_path)] == ["sirene/StockEtablissement_utf8.parquet"]


def test_two_files_of_one_edition_without_preference_is_an_error(tmp_path):
    folder = tmp_path / "cog_insee"
    folder.mkdir()
    (folder / "cog_20240101.csv").write_text("TYPECOM\n")
    (folder / "v_commune_2024.csv").write_text("TYPECOM\n")
    from assets.insee import SOURCES as INSEE

    cog = next(s for s in INSEE if s.name == "insee_cog_communes")
    with pytest.raises(InputError, match="édition 2024 fournie aussi par cog_insee/v_commune_2024.csv"):
        discover_files(cog, tmp_path)


# --- issue 26: the data folder's files ------------------------------------------------------------------------------


def _revn_source():
    from assets import all_sources

    return next(s for s in all_sources() if s.name == "anct_revn")


def test_a_symlink_leading_out_of_the_data_folder_is_refused(tmp_path):
    from pipelines.sources.parsing import discover_files

    root = tmp_path / "data"
    folder = root / "anct_onpv_qpv2015"
    folder.mkdir(parents=True)
    outside = tmp_path / "secret.txt"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (folder / "REVN_2019.csv").symlink_to(outside)
    with pytest.raises(
        InputError, match=r"anct_onpv_qpv2015/REVN_2019.csv.*lien symbolique .* hors du dossier"
    ):
        discover_files(_revn_source(), root)
    # a link that stays inside the data folder is followed
    (folder / "REVN_2019.csv").unlink()
    (root / "copie.csv").write_text("CODGEO;TP60\n")
    (folder / "REVN_2019.csv").symlink_to(root / "copie.csv")
    assert [f.millesime for f in discover_files(_revn_source(), root)] == [2019]


def test_an_implausible_edition_is_refused(tmp_path):
    from pipelines.sources.parsing import discover_files

    folder = tmp_path / "anct_onpv_qpv2015"
    folder.mkdir()
    (folder / "REVN_9999.csv").write_text("CODGEO;TP60\n")
    with pytest.raises(InputError, match=r"REVN_9999.csv.*édition 9999 invraisemblable"):
        discover_files(_revn_source(), tmp_path)


def test_files_whose_names_almost_match_are_named_with_the_expected_name(tmp_path):
    from assets import all_sources
    from pipelines.sources.parsing import unmatched_files

    folder = tmp_path / "anct_onpv_qpv2015"
    folder.mkdir()
    for name in (
        "IPRO_2019.CSV",
        "REVN_2020 (1).csv",
        "REVN 2020.csv",
        "notes.txt",
        ".DS_Store",
        "DEMO_2019.csv",
    ):
        (folder / name).write_text("x")
    sources = [s for s in all_sources() if s.folder == "anct_onpv_qpv2015"]
    assert unmatched_files(folder, sources, tmp_path) == [
        ("anct_onpv_qpv2015/IPRO_2019.CSV", "IPRO_2019.csv"),
        ("anct_onpv_qpv2015/REVN 2020.csv", "REVN_2020.csv"),
        ("anct_onpv_qpv2015/REVN_2020 (1).csv", "REVN_2020.csv"),
        ("anct_onpv_qpv2015/notes.txt", None),
    ]
