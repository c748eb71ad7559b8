"""`qpv contracts check|diff|docs` on real files and dirty copies (in process, through the real CLI app)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from assets import all_sources
from pipelines.cli.app import app
from pipelines.contracts.docs import generate

ROOT = Path(__file__).resolve().parents[1]
RUNNER = CliRunner()
EDIT_FROM, EDIT_TO = "17\u202f110;41,1;", "17\u202f110;140;"  # REVN_2019, QP059077: TP60 41,1 -> 140


def _qpv(*args: str):
    return RUNNER.invoke(app, list(args))


def _copy(shared_data: Path, tmp_path: Path, edit=None, name: str = "REVN_2019.csv") -> Path:
    text = (shared_data / "anct_onpv_qpv2015" / "REVN_2019.csv").read_bytes().decode("utf-8")
    if edit is not None:
        edited = edit(text)
        assert edited != text
        text = edited
    target = tmp_path / name
    target.write_bytes(text.encode("utf-8"))
    return target


def _line_of(text: str, needle: str) -> int:
    """Line number (header = 1) of the first line containing `needle`, computed from the file itself."""
    return next(i for i, line in enumerate(text.split("\n"), start=1) if needle in line)


def test_check_passes_on_the_real_file(shared_data):
    result = _qpv(
        "contracts",
        "check",
        str(shared_data / "anct_onpv_qpv2015" / "REVN_2019.csv"),
        "--dataset",
        "anct_revn",
    )
    assert result.exit_code == 0, result.output
    data_lines = (
        (shared_data / "anct_onpv_qpv2015" / "REVN_2019.csv").read_bytes().decode("utf-8").strip().split("\n")
    )
    assert f"{len(data_lines) - 1} ligne(s) lue(s)" in result.output
    assert "Conforme" in result.output


def test_check_fails_on_a_rate_of_140_with_the_qpv_code_column_and_value(shared_data, tmp_path):
    dirty = _copy(shared_data, tmp_path, lambda t: t.replace(EDIT_FROM, EDIT_TO))
    text = dirty.read_text(encoding="utf-8")
    line = _line_of(text, EDIT_TO)
    code = text.split("\n")[line - 1].split(";")[0]
    result = _qpv("contracts", "check", str(dirty), "--dataset", "anct_revn")
    assert result.exit_code == 1, result.output
    assert "[range] colonne TP60" in result.output
    assert f"line {line}, CODGEO {code}, TP60 140.0" in result.output
    assert code == "QP059077" and "Non conforme" in result.output


def test_check_reports_an_unreadable_value_with_file_line_and_column(shared_data, tmp_path):
    dirty = _copy(shared_data, tmp_path, lambda t: t.replace(EDIT_FROM, "17\u202f110;41,1x;"))
    line = _line_of(dirty.read_text(encoding="utf-8"), "41,1x")
    result = _qpv("contracts", "check", str(dirty), "--dataset", "anct_revn")
    assert result.exit_code == 1
    assert f"ligne {line}, colonne TP60" in result.output and "'41,1x' n'est pas un nombre" in result.output


def test_unknown_dataset_lists_the_known_ones(shared_data):
    result = _qpv(
        "contracts", "check", str(shared_data / "anct_onpv_qpv2015" / "REVN_2019.csv"), "--dataset", "revn"
    )
    assert result.exit_code == 2
    for source in all_sources():
        assert source.name in result.output


def test_diff_names_a_renamed_and_a_removed_column(shared_data, tmp_path):
    def drift(text: str) -> str:
        lines = text.split("\n")
        position = lines[0].split(";").index("NOTE_CNAF")
        out = [
            ";".join(c for i, c in enumerate(line.split(";")) if i != position) if line else line
            for line in lines
        ]
        out[0] = out[0].replace(";TP60;", ";TAUX_PAUVRETE;")
        return "\n".join(out)

    dirty = _copy(shared_data, tmp_path, drift)
    result = _qpv("contracts", "diff", str(dirty), "--dataset", "anct_revn")
    assert result.exit_code == 1, result.output
    added = next(line for line in result.output.splitlines() if line.startswith("Colonnes ajoutées"))
    required = next(line for line in result.output.splitlines() if line.startswith("Colonnes obligatoires"))
    optional = next(line for line in result.output.splitlines() if line.startswith("Colonnes facultatives"))
    assert "TAUX_PAUVRETE" in added
    assert "TP60" in required  # the renamed column is required in every edition
    assert "NOTE_CNAF" in optional and "TP60" not in optional


def test_diff_of_the_real_file_has_no_blocking_difference_and_finds_a_retyped_cell(shared_data, tmp_path):
    real = _qpv(
        "contracts",
        "diff",
        str(shared_data / "anct_onpv_qpv2015" / "REVN_2019.csv"),
        "--dataset",
        "anct_revn",
    )
    assert real.exit_code == 0, real.output
    assert "Colonnes ajoutées (hors contrat, non chargées, bloquant avec --strict) : aucune" in real.output
    assert "Modification du contrat" not in real.output  # the contract describes the real file as it is

    dirty = _copy(shared_data, tmp_path, lambda t: t.replace(EDIT_FROM, "17\u202f110;41,1x;"))
    line = _line_of(dirty.read_text(encoding="utf-8"), "41,1x")
    result = _qpv("contracts", "diff", str(dirty), "--dataset", "anct_revn")
    assert result.exit_code == 1
    assert (
        f"TP60 (n° 14) : 1 valeur(s) qui ne sont pas un nombre, première ligne {line} : '41,1x'"
        in result.output
    )


def test_committed_dataset_pages_are_what_the_command_generates(tmp_path):
    expected = generate(all_sources())
    folder = ROOT / "docs" / "donnees"
    committed = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.md")}
    assert sorted(committed) == sorted(expected), "run `.venv/bin/qpv contracts docs` and commit docs/donnees"
    for name, text in expected.items():
        assert committed[name] == text, f"docs/donnees/{name} is stale: run `.venv/bin/qpv contracts docs`"

    result = _qpv("contracts", "docs", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert {p.name for p in tmp_path.glob("*.md")} == set(expected)


def test_dataset_page_carries_the_contract_facts():
    page = (ROOT / "docs" / "donnees" / "anct_revn.md").read_text(encoding="utf-8")
    contract = next(s for s in all_sources() if s.name == "anct_revn").load_contract()
    tp60 = next(line for line in page.splitlines() if line.startswith("| `TP60`"))
    assert "| % |" in tp60 and "[0 ; 100]" in tp60 and "secret statistique" in tp60
    assert contract.license in page and contract.official_url in page
    assert "Clé : (CODGEO) unique au sein d'une édition." in page
