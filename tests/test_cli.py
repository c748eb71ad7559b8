"""The `qpv` command as a user runs it (a real subprocess): outputs, formats, and one-line errors."""

from __future__ import annotations

import csv
import io
import json

from tests.conftest import run_cli


def test_run_and_sql_on_the_real_extracts(real_warehouse):
    # real_warehouse is made by `qpv run --data-dir ../shared/data` (tests/conftest.py)
    warehouse = real_warehouse
    stdout = (warehouse.parent / "run.stdout").read_text(encoding="utf-8")
    assert "Entrepôt" in stdout and (warehouse.parent / "dashboards" / "index.html").exists()

    query = (
        "select millesime, count(*) as n from marts.indicateurs_qpv "
        "where indicateur = 'taux_pauvrete_60' and valeur is not null group by 1 order by 1"
    )
    as_csv = run_cli("sql", query, "--warehouse", str(warehouse), "--format", "csv", check=True).stdout
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert [int(r["millesime"]) for r in rows] == [2017, 2018, 2019, 2021]
    assert all(int(r["n"]) > 1200 for r in rows)

    as_json = run_cli("sql", query, "--warehouse", str(warehouse), "--format", "json", check=True).stdout
    assert json.loads(as_json)[2] == {"millesime": 2019, "n": int(rows[2]["n"])}

    table = run_cli("sql", query, "--warehouse", str(warehouse), check=True).stdout
    assert "2019" in table and "millesime" in table


def test_sql_is_read_only(real_warehouse, tmp_path):
    result = run_cli("sql", "drop table marts.indicateurs_qpv", "--warehouse", str(real_warehouse))
    assert result.returncode == 1 and "instruction DROP refusée" in result.stderr
    result = run_cli("sql", f"copy (select 1) to '{tmp_path / 'x.csv'}'", "--warehouse", str(real_warehouse))
    assert result.returncode == 1 and not (tmp_path / "x.csv").exists()


def test_errors_are_one_clear_message_not_a_traceback(tmp_path):
    result = run_cli("sql", "selec 1", "--warehouse", str(tmp_path / "absent.duckdb"))
    assert result.returncode == 1
    assert result.stderr.startswith("Erreur : ") and "no such warehouse" in result.stderr
    assert "Traceback" not in result.stderr

    result = run_cli(
        "run", "--data-dir", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "w.duckdb")
    )
    assert result.returncode == 1 and "dossier de données introuvable" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_data_error_names_file_line_and_column(revn_copy, tmp_path):
    data = revn_copy(lambda t: t.replace("17\u202f110;41,1;", "17\u202f110;140;"))
    # the file is held back alone (exit 3): one line naming the file, the rule and the first offending row
    # (`--strict`, the stop-everything path: tests/test_pipeline_real.py::test_rate_of_140_stops_the_run_before_the_marts)
    result = run_cli("run", "--data-dir", str(data), "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.returncode == 3 and "Traceback" not in result.stderr
    [line] = [li for li in result.stderr.splitlines() if li.startswith("fichier retenu : ")]
    assert "[range] column TP60, edition 2019" in line
    assert "anct_onpv_qpv2015/REVN_2019.csv, line 652, CODGEO QP059077, TP60 140.0" in line


def test_dashboards_command(real_warehouse, tmp_path):
    result = run_cli(
        "dashboards",
        "--warehouse",
        str(real_warehouse),
        "--out",
        str(tmp_path / "d"),
        "--territoire",
        "59350",
        check=True,
    )
    assert (tmp_path / "d" / "pauvrete.html").exists() and "index.html" in result.stdout
