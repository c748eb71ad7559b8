"""Real editions as they come (issue: a new column never blocks, a broken file holds back only itself).

Built from the real extracts of ../shared/data: a later REVN edition made from REVN_2021 plus a column the
contract does not know is published with its values, the column named in the output; then REVN_2019 without a
column an indicator uses is held back alone: `qpv run` exits 3, the other files and sources are published and the
2019 rows of the last published version stay, row by row.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from pipelines.contracts.model import ContractError, load_contract, parse_editions
from tests.conftest import SHARED_DATA, query, run_cli
from tests.http_fixture import webhook_receiver

BOM = "\ufeff"
NEW_COLUMN = "NB_COMMERCES"


def _read(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8").removeprefix(BOM)
    return [line.split(";") for line in text.split("\r\n")]


def _write(path: Path, rows: list[list[str]]) -> None:
    path.write_bytes((BOM + "\r\n".join(";".join(r) for r in rows)).encode("utf-8"))


def _with_new_column(rows: list[list[str]]) -> list[list[str]]:
    """A column inserted after NOTE_CNAF: its name in the header, a count on every data line."""
    at = rows[0].index("NOTE_CNAF") + 1
    out = []
    for i, row in enumerate(rows):
        if len(row) < at:  # the empty end of the file
            out.append(row)
            continue
        value = NEW_COLUMN if i == 0 else str(i % 97)
        out.append([*row[:at], value, *row[at:]])
    return out


def _without_column(rows: list[list[str]], name: str) -> list[list[str]]:
    at = rows[0].index(name)
    return [[c for j, c in enumerate(row) if j != at] if len(row) > at else row for row in rows]


@pytest.fixture(scope="module")
def data(shared_data: Path, tmp_path_factory) -> Path:
    """A data folder of real files: REVN 2019 and 2021, a REVN 2022 = REVN 2021 + NB_COMMERCES, DEMO 2019 and 2021
    (the REVN codes are checked against them), IPRO 2019 and the COG."""
    root = tmp_path_factory.mktemp("editions") / "data"
    anct = root / "anct_onpv_qpv2015"
    anct.mkdir(parents=True)
    for name in ("REVN_2019.csv", "REVN_2021.csv", "DEMO_2019.csv", "DEMO_2021.csv", "IPRO_2019.csv"):
        shutil.copy(shared_data / "anct_onpv_qpv2015" / name, anct / name)
    _write(anct / "REVN_2022.csv", _with_new_column(_read(anct / "REVN_2021.csv")))
    # a browser's duplicate download: a name that almost matches, named in a warning, never read in silence
    shutil.copy(anct / "REVN_2019.csv", anct / "REVN_2020 (1).csv")
    shutil.copytree(shared_data / "cog_insee", root / "cog_insee")
    # whole-territory Filosofi: the real 2018 communes and EPCI, and a "2019" EPCI file made by relabelling 2018
    filosofi = root / "insee_filosofi_territoires"
    filosofi.mkdir()
    for name in ("FILO2018_DISP_COM.csv", "FILO2018_DISP_EPCI.csv"):
        shutil.copy(shared_data / "insee_filosofi_territoires" / name, filosofi / name)
    _write(filosofi / "FILO2019_DISP_EPCI.csv", _relabelled(_read(filosofi / "FILO2018_DISP_EPCI.csv"), 2019))
    return root


def _relabelled(rows: list[list[str]], year: int) -> list[list[str]]:
    """A Filosofi file of another year: the two-digit year of the headers changed, the median raised by 1 %."""
    header = [re.sub(r"18$", f"{year % 100:02d}", name) if name not in ("RD",) else name for name in rows[0]]
    median = header.index(f"Q2{year % 100:02d}")
    body = []
    for row in rows[1:]:
        row = list(row)
        if row[median]:
            row[median] = f"{float(row[median].replace(',', '.')) * 1.01:.1f}".replace(".", ",")
        body.append(row)
    return [header, *body]


@pytest.fixture(scope="module")
def first_run(data: Path, tmp_path_factory):
    out = tmp_path_factory.mktemp("editions_run")
    warehouse = out / "qpv.duckdb"
    result = run_cli(
        "run", "--data-dir", str(data), "--warehouse", str(warehouse), "--dashboards", str(out / "d")
    )
    return result, warehouse


def test_a_later_edition_with_a_new_column_is_published_and_the_column_named(first_run, data):
    result, warehouse = first_run
    assert result.returncode == 0, result.stdout + result.stderr
    # one warning line naming the column and the file
    lines = [line for line in result.stderr.splitlines() if NEW_COLUMN in line]
    assert len(lines) == 1 and "anct_onpv_qpv2015/REVN_2022.csv" in lines[0], result.stderr
    # the 2022 values are the file's: TP60 of QP059077 (Les Oliveaux) read off REVN_2022.csv by hand
    rows = _read(data / "anct_onpv_qpv2015" / "REVN_2022.csv")
    tp60 = rows[0].index("TP60")
    [line] = [r for r in rows if r[0] == "QP059077"]
    expected = float(line[tp60].replace(",", "."))
    [(value,)] = query(
        warehouse,
        "select valeur from marts.indicateurs_qpv where code_qp = 'QP059077' and millesime = 2022 "
        "and indicateur = 'taux_pauvrete_60'",
    )
    assert value == expected
    # the column is recorded (run report) and not loaded
    assert NEW_COLUMN not in {r[0] for r in query(warehouse, "describe raw.anct_revn")}
    report = json.loads(next((warehouse.parent / "reports").glob("2*.json")).read_text())
    assert report["sources"]["anct_revn"]["undeclared_columns"] == {
        "anct_onpv_qpv2015/REVN_2022.csv": [NEW_COLUMN]
    }
    assert report["held_back"] == []


def test_a_file_whose_name_almost_matches_is_named_in_a_warning(first_run):
    result, warehouse = first_run
    [line] = [line for line in result.stderr.splitlines() if "REVN_2020 (1).csv" in line]
    assert line == (
        "attention : anct_onpv_qpv2015/REVN_2020 (1).csv : nom de fichier non reconnu, fichier ignoré ; "
        "renommez-le REVN_2020.csv pour qu'il soit lu"
    )
    assert query(warehouse, "select count(*) from raw.anct_revn where millesime = 2020") == [(0,)]


def test_a_later_filosofi_year_dropped_into_the_folder_is_ingested_with_no_code_change(first_run, data):
    result, warehouse = first_run
    assert result.returncode == 0, result.stdout + result.stderr
    rows = _read(data / "insee_filosofi_territoires" / "FILO2019_DISP_EPCI.csv")
    median = rows[0].index("Q219")
    expected = {r[0]: float(r[median].replace(",", ".")) for r in rows[1:] if r[median]}
    got = dict(
        query(
            warehouse,
            "select code_territoire, valeur from marts.references_territoire where type_territoire = 'epci' "
            "and annee_reference = 2019 and indicateur = 'revenu_median_uc'",
        )
    )
    assert len(expected) > 1000 and got == expected
    # REVN 2022 carries Filosofi 2018: its quartiers are compared with their whole commune of 2018
    [(n,)] = query(
        warehouse,
        "select count(distinct code_qp) from marts.ecarts_qpv where millesime = 2022 and annee_reference = 2018 "
        "and perimetre_reference = 'ensemble' and type_reference = 'commune' and indicateur = 'revenu_median_uc' "
        "and valeur_reference is not null",
    )
    assert n > 1000


def test_a_file_without_a_used_column_is_held_back_alone(first_run, data, tmp_path):
    _, warehouse = first_run
    before = query(
        warehouse, "select * exclude (_fichier) from raw.anct_revn where millesime = 2019 order by _ligne"
    )
    assert len(before) > 1300
    # REVN_2019 loses TP60 (the poverty rate: an indicator uses it); DEMO 2018 arrives at the same time
    revn = data / "anct_onpv_qpv2015" / "REVN_2019.csv"
    _write(revn, _without_column(_read(revn), "TP60"))
    shutil.copy(SHARED_DATA / "anct_onpv_qpv2015" / "DEMO_2018.csv", revn.parent)
    with webhook_receiver() as (url, received):
        result = run_cli(
            "run", "--data-dir", str(data), "--warehouse", str(warehouse), "--dashboards", str(tmp_path / "d"),
            env={"QPV_ALERT_WEBHOOK": url},
        )  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr
    # the alert says the same as the output: published, with this file held back
    [payload] = received
    assert payload["event"] == "qpv.run.held_back"
    assert [h["file"] for h in payload["held_back"]] == ["anct_onpv_qpv2015/REVN_2019.csv"]
    held = [line for line in result.stderr.splitlines() if line.startswith("fichier retenu")]
    assert len(held) == 1, result.stderr
    assert "anct_onpv_qpv2015/REVN_2019.csv" in held[0] and "TP60" in held[0]
    # the command to inspect it, with this run's data folder: it can be pasted as it is
    assert f"qpv contracts check {data}/anct_onpv_qpv2015/REVN_2019.csv --dataset anct_revn" in held[0]
    # published: the other sources and files (DEMO 2018 is new), the held-back edition's rows unchanged
    assert query(warehouse, "select count(*) from raw.anct_demo where millesime = 2018")[0][0] > 1300
    after = query(
        warehouse, "select * exclude (_fichier) from raw.anct_revn where millesime = 2019 order by _ligne"
    )
    assert after == before
    [(tp60,)] = query(
        warehouse,
        "select count(valeur) from marts.indicateurs_qpv where millesime = 2019 and indicateur = 'taux_pauvrete_60'",
    )
    assert tp60 == 1350  # the published 2019 poverty rates are still there
    assert query(warehouse, "select count(*) from raw.anct_revn where millesime = 2022")[0][0] > 1300
    report = json.loads((warehouse.parent / "reports" / "latest.json").read_text())
    [item] = report["held_back"]
    assert item["file"] == "anct_onpv_qpv2015/REVN_2019.csv" and item["kept_rows"] == len(before)
    assert "TP60" in item["reason"]


def test_contracts_diff_prints_the_yaml_that_describes_the_file(data, tmp_path):
    # the later edition: its new column, typed from its cells, declared from 2022 on
    result = run_cli(
        "contracts", "diff", str(data / "anct_onpv_qpv2015" / "REVN_2022.csv"), "--dataset", "anct_revn"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = result.stdout
    assert f"  - name: {NEW_COLUMN}\n    logicalType: integer\n" in text and "    editions: 2022-" in text
    # a 2021 file without BREV (declared for every edition): BREV's editions without 2021
    rows = _without_column(_read(SHARED_DATA / "anct_onpv_qpv2015" / "REVN_2021.csv"), "BREV")
    target = tmp_path / "REVN_2021.csv"
    _write(target, rows)
    result = run_cli("contracts", "diff", str(target), "--dataset", "anct_revn")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "  - name: BREV  # absente dans l'édition 2021" in result.stdout
    assert "    editions: [-2020, 2022-]" in result.stdout
    # without TP60 (an indicator needs it): the file would be held back
    _write(target, _without_column(_read(SHARED_DATA / "anct_onpv_qpv2015" / "REVN_2021.csv"), "TP60"))
    result = run_cli("contracts", "diff", str(target), "--dataset", "anct_revn")
    assert result.returncode == 1 and "retiendrait ce fichier" in result.stdout


def test_editions_syntax():
    assert parse_editions("x", "2017-2019") == ((2017, 2019),)
    assert parse_editions("x", ["-2018", "2020-"]) == ((None, 2018), (2020, None))
    assert parse_editions("x", 2021) == ((2021, 2021),)
    for bad in ("2019-2017", "20-21", "-", "x"):
        with pytest.raises(ContractError):
            parse_editions("x", bad)
    revn = load_contract(Path(__file__).parents[1] / "data_contracts" / "anct" / "revn.yaml")
    appa, arsa = revn.column("APPA"), revn.column("ARSA")
    assert (appa.in_edition(2017), appa.in_edition(2022), arsa.in_edition(2017), arsa.in_edition(2018)) == (
        False,
        True,
        True,
        False,
    )
