"""docs/analystes.md: every SQL block runs on the demo warehouse (and on the real extracts when the sources it needs
are there), returns the columns it promises and passes a sanity property; `qpv sql` stays read-only."""

from __future__ import annotations

import math
import os
import re
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import pytest

from pipelines.warehouse.connection import connection
from tests.conftest import QPV, ROOT, run_cli

COOKBOOK = ROOT / "docs" / "analystes.md"
BLOCK = re.compile(r"^```sql\n(.*?)^```", re.S | re.M)
QUESTION = re.compile(r"^-- question: (\S+)$", re.M)


def parse_cookbook(text: str) -> dict[str, str]:
    """id → SQL of every ```sql block (each must start with its `-- question: id` line)."""
    questions: dict[str, str] = {}
    for block in BLOCK.findall(text):
        match = QUESTION.match(block)
        assert match, f"a sql block of {COOKBOOK.name} has no '-- question: <id>' first line:\n{block[:200]}"
        assert match.group(1) not in questions, f"duplicate question id {match.group(1)}"
        questions[match.group(1)] = block
    return questions


QUESTIONS = parse_cookbook(COOKBOOK.read_text(encoding="utf-8"))


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def sorted_desc(values) -> bool:
    values = [v for v in values if v is not None]
    return all(x >= y for x, y in zip(values, values[1:], strict=False))


def check_tp60(rows):
    assert len({r["millesime"] for r in rows}) == 1
    for r in rows:
        if r["secret"]:
            assert r["taux_pauvrete_60"] is None
        elif r["taux_pauvrete_60"] is not None:
            assert 0 <= r["taux_pauvrete_60"] <= 100
    assert sorted_desc(r["taux_pauvrete_60"] for r in rows)


def check_ecart_tp60(rows):
    assert len(rows) <= 10 and len({r["lib_epci"] for r in rows}) == 1
    for r in rows:
        assert close(r["ecart_points"], r["taux_pauvrete_60"] - r["mediane_qpv_commune"])
        assert r["nb_qpv_commune"] >= 1
    assert sorted_desc(abs(r["ecart_points"]) for r in rows)


def check_median_commune(rows):
    assert len(rows) <= 10 and len({r["millesime"] for r in rows}) == 1
    for r in rows:
        # the same data year on both sides (REVN edition N carries Filosofi N - 4)
        assert r["annee_reference"] == r["millesime"] - 4
        assert close(r["ecart_euros"], r["revenu_median_uc"] - r["mediane_commune_entiere"])
        assert close(r["rapport"], r["revenu_median_uc"] / r["mediane_commune_entiere"])
    assert all(x["rapport"] <= y["rapport"] for x, y in zip(rows, rows[1:], strict=False))


def check_ecart_rsa(rows):
    assert len(rows) <= 10 and {r["unite_ecart"] for r in rows} == {"points"}
    for r in rows:
        assert close(r["ecart"], r["valeur"] - r["valeur_reference"])
    assert sorted_desc(abs(r["ecart"]) for r in rows)


def check_ratio(value_key, num_key, den_key, factor):
    def check(rows):
        published = [r for r in rows if r[value_key] is not None]
        assert published
        for r in published:
            assert close(r[value_key], factor * r[num_key] / r[den_key])
            assert r["nb_qpv"] >= 1

    return check


def check_evolution(rows):
    for r in rows:
        assert r["millesime_debut"] < r["millesime_fin"]
        assert close(r["evolution_points"], r["valeur_fin"] - r["valeur_debut"])
        assert r["demi_fourchette_fin"] is None or r["demi_fourchette_fin"] >= 0


def check_non_recours(rows):
    for r in rows:
        assert r["non_recours_rsa_estime_borne_basse"] <= r["non_recours_rsa_estime"]
        assert r["non_recours_rsa_estime"] <= r["non_recours_rsa_estime_borne_haute"]
        assert 0 <= r["non_recours_rsa_estime"] <= 100


def check_correlation(rows):
    for r in rows:
        assert r["nb_qpv"] >= 2
        for key in ("correlation_couverture_caf", "correlation_taux_pauvrete"):
            assert r[key] is None or -1 - 1e-9 <= r[key] <= 1 + 1e-9


def check_passage(rows):
    """part_etablissements_qp2015 sums to 1 over the rows of a 2015 QPV (the 'outside' row included)."""
    sums = defaultdict(float)
    for r in rows:
        sums[r["code_qp2015"]] += r["part_etablissements_qp2015"]
        assert 0 < r["part_etablissements_qp2015"] <= 1
    assert all(close(s, 1.0) for s in sums.values()), sums


def check_population(rows):
    for r in rows:
        assert r["population_approchee"] >= 0 and r["nb_qpv2015"] >= 1
    assert sorted_desc(r["population_approchee"] for r in rows)


def check_secret(rows):
    assert len({r["code_qp"] for r in rows}) == 1
    for r in rows:
        assert r["valeur"] is None and r["numerateur"] is None and r["denominateur"] is None
        assert r["regle_secret"].startswith("Secret")


def check_taux_secret(rows):
    for r in rows:
        assert 0 <= r["nb_secretes"] <= r["nb_cellules"]
        assert close(r["part_secretes"], round(100 * r["nb_secretes"] / r["nb_cellules"], 1))


def check_ruptures(rows):
    assert all(r["nb_qpv"] >= 1 and r["regle_rupture"] for r in rows)


def check_top_ess(rows):
    assert len(rows) <= 10
    for r in rows:
        assert r["emplois_ess_borne_basse"] <= r["emplois_ess"] <= r["emplois_ess_borne_haute"]
    assert sorted_desc(r["emplois_ess"] for r in rows)


def check_ess_famille(rows):
    for r in rows:
        assert r["cellules_publiees"] >= 1
        assert r["etablissements_ess_publies"] >= 1  # SIRENE, a public register: no threshold
        assert r["emplois_ess_bas"] <= r["emplois_ess_central"] <= r["emplois_ess_haut"]


def check_formation(rows):
    assert rows and len({r["millesime"] for r in rows}) == 1
    for r in rows:
        assert r["nb_qpv"] >= 1
        parts = [r[k] for k in ("part_infra_cap_bep", "part_cap_bep", "part_bac", "part_superieur_bac")]
        assert all(p is None or 0 <= p <= 100 for p in parts)
    assert sorted_desc(r["part_infra_cap_bep"] for r in rows)


def check_deciles(rows):
    assert len(rows) <= 10 and len({r["millesime"] for r in rows}) == 1
    for r in rows:
        assert r["annee_reference"] == r["millesime"] - 4  # REVN edition N carries Filosofi N - 4
        assert r["d1_quartier"] <= r["mediane_quartier"] <= r["d9_quartier"]
        assert r["d1_commune"] <= r["mediane_commune"] <= r["d9_commune"]
        assert close(r["rapport_d1"], r["d1_quartier"] / r["d1_commune"])
    assert all(x["rapport_d1"] <= y["rapport_d1"] for x, y in zip(rows, rows[1:], strict=False))


def check_structure(rows):
    assert rows and len({r["millesime"] for r in rows}) == 1
    for r in rows:
        assert 0 <= r["part_0_24_ans"] <= 100
        assert r["part_60_ans_plus"] is None or r["part_0_24_ans"] + r["part_60_ans_plus"] <= 100 + 1e-6
    assert sorted_desc(r["part_0_24_ans"] for r in rows)


def check_secret_producteur(rows):
    by = {r["producteur"]: r for r in rows}
    for r in rows:
        assert 0 <= r["nb_secretes"] <= r["nb_cellules"]
    if "insee_sirene" in by:  # a public register: no threshold (the demo; no SIRENE in the real extracts)
        assert by["insee_sirene"]["seuil_max"] == 0
    assert by["cnaf"]["seuil_min"] >= 11


def check_dictionnaire(rows):
    assert all(r["agregation"] in ("somme", "ratio", "non_additif") for r in rows)
    assert "taux_pauvrete_60" in {r["code"] for r in rows}


# id → (columns, sanity check, rows expected on the real extracts: ANCT 2015 files, COG, CAF IRIS; no SIRENE, no DEFM)
EXPECTED = {
    "tp60_dernier_millesime": (
        ("code_qp", "lib_qp", "millesime", "taux_pauvrete_60", "secret"),
        check_tp60,
        True,
    ),
    "ecart_tp60_commune": (
        (
            "code_qp",
            "lib_qp",
            "lib_commune",
            "lib_epci",
            "millesime",
            "taux_pauvrete_60",
            "mediane_qpv_commune",
            "nb_qpv_commune",
            "ecart_points",
        ),
        check_ecart_tp60,
        True,
    ),  # fmt: skip
    "revenu_median_commune_entiere": (
        (
            "code_qp",
            "lib_qp",
            "millesime",
            "annee_reference",
            "commune",
            "revenu_median_uc",
            "mediane_commune_entiere",
            "ecart_euros",
            "rapport",
        ),
        check_median_commune,
        True,
    ),  # fmt: skip
    "ecart_rsa_commune": (
        (
            "code_qp",
            "lib_qp",
            "millesime",
            "commune",
            "valeur",
            "valeur_reference",
            "ecart",
            "unite_ecart",
            "rapport",
        ),
        check_ecart_rsa,
        True,
    ),
    "ess_pour_1000_epci": (
        (
            "code_epci",
            "lib_epci",
            "millesime",
            "emplois_ess_pour_1000_habitants",
            "emplois_ess",
            "population",
            "nb_qpv",
            "secret",
        ),
        check_ratio("emplois_ess_pour_1000_habitants", "emplois_ess", "population", 1000),
        False,
    ),  # fmt: skip
    "evolution_chomage": (
        (
            "code_qp",
            "lib_qp",
            "millesime_debut",
            "millesime_fin",
            "valeur_debut",
            "valeur_fin",
            "evolution_points",
            "demi_fourchette_fin",
        ),
        check_evolution,
        True,
    ),  # fmt: skip
    "chomage_france_editions": (
        (
            "millesime",
            "indicateur_chomage_abc",
            "demandeurs_emploi_abc",
            "population_15_64_estimee",
            "nb_qpv",
        ),
        check_ratio("indicateur_chomage_abc", "demandeurs_emploi_abc", "population_15_64_estimee", 100),
        True,
    ),
    "non_recours_couverture_caf": (
        (
            "code_qp",
            "lib_qp",
            "millesime",
            "non_recours_rsa_estime",
            "non_recours_rsa_estime_borne_basse",
            "non_recours_rsa_estime_borne_haute",
            "indice_couverture_rsa",
            "part_population_couverte_caf",
            "part_allocataires_rsa",
        ),
        check_non_recours,
        True,
    ),  # fmt: skip
    "correlation_non_recours_caf": (
        ("millesime", "nb_qpv", "correlation_couverture_caf", "correlation_taux_pauvrete"),
        check_correlation,
        True,
    ),
    "passage_2015_2024": (
        (
            "code_qp2024",
            "lib_qp2024",
            "code_qp2015",
            "lib_qp2015",
            "millesime",
            "etablissements_communs",
            "part_etablissements_qp2015",
            "part_etablissements_qp2024",
        ),
        check_passage,
        False,
    ),  # fmt: skip
    "passage_population_approchee": (
        ("code_qp2024", "lib_qp2024", "millesime_population", "nb_qpv2015", "population_approchee"),
        check_population,
        False,
    ),
    "secret_pourquoi": (
        (
            "code_qp",
            "lib_qp",
            "geographie",
            "millesime",
            "indicateur",
            "valeur",
            "numerateur",
            "denominateur",
            "agregation",
            "seuil_secret",
            "regle_secret",
        ),
        check_secret,
        True,
    ),  # fmt: skip
    "taux_secret": (
        ("geographie", "millesime", "indicateur", "nb_cellules", "nb_secretes", "part_secretes"),
        check_taux_secret,
        True,
    ),
    "ruptures": (("geographie", "indicateur", "millesime", "nb_qpv", "regle_rupture"), check_ruptures, False),
    "top_emplois_ess": (
        (
            "code_qp",
            "lib_qp",
            "millesime",
            "etablissements_ess",
            "emplois_ess",
            "emplois_ess_borne_basse",
            "emplois_ess_borne_haute",
            "part_emplois_ess",
        ),
        check_top_ess,
        False,
    ),  # fmt: skip
    "ess_par_famille": (
        (
            "geographie",
            "millesime",
            "famille_ess",
            "libelle_famille",
            "cellules_publiees",
            "cellules_secretes",
            "etablissements_ess_publies",
            "emplois_ess_bas",
            "emplois_ess_central",
            "emplois_ess_haut",
        ),
        check_ess_famille,
        False,
    ),  # fmt: skip
    "dictionnaire_theme": (
        ("code", "libelle", "unite", "agregation", "seuil_secret", "geographie", "precautions"),
        check_dictionnaire,
        True,
    ),
    "formation_demandeurs_epci": (
        (
            "code_epci",
            "lib_epci",
            "millesime",
            "nb_qpv",
            "part_infra_cap_bep",
            "part_cap_bep",
            "part_bac",
            "part_superieur_bac",
        ),
        check_formation,
        True,
    ),  # fmt: skip
    "deciles_revenu_commune_entiere": (
        (
            "code_qp",
            "lib_qp",
            "commune",
            "millesime",
            "annee_reference",
            "d1_quartier",
            "d1_commune",
            "mediane_quartier",
            "mediane_commune",
            "d9_quartier",
            "d9_commune",
            "rapport_d1",
        ),
        check_deciles,
        True,
    ),  # fmt: skip
    "structure_age_menages": (
        (
            "code_qp",
            "lib_qp",
            "millesime",
            "part_0_24_ans",
            "part_60_ans_plus",
            "indice_jeunesse",
            "part_menages_1_personne",
            "part_allocataires_monoparents",
        ),
        check_structure,
        True,
    ),  # fmt: skip
    "secret_par_producteur": (
        ("producteur", "seuil_min", "seuil_max", "nb_cellules", "nb_secretes", "part_secretes"),
        check_secret_producteur,
        True,
    ),  # fmt: skip
    "jeunes_demandeurs_communes_2024": (
        (
            "code_commune",
            "lib_commune",
            "millesime",
            "part_jeunes_demandeurs",
            "demandeurs_jeunes",
            "demandeurs_emploi_abc",
            "nb_qpv",
        ),
        check_ratio("part_jeunes_demandeurs", "demandeurs_jeunes", "demandeurs_emploi_abc", 100),
        False,
    ),  # fmt: skip
}


def run_question(warehouse: Path, qid: str) -> tuple[list[dict], float]:
    with connection(warehouse, read_only=True) as con:
        con.execute("set enable_external_access = false")  # as `qpv sql` runs them
        start = time.perf_counter()
        cursor = con.execute(QUESTIONS[qid])
        rows = cursor.fetchall()
        elapsed_ms = (time.perf_counter() - start) * 1000
        names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in rows], elapsed_ms


def test_cookbook_has_at_least_twelve_questions_each_with_a_check():
    assert len(QUESTIONS) >= 12
    assert set(QUESTIONS) == set(EXPECTED), "every question of docs/analystes.md needs an entry in EXPECTED"
    text = COOKBOOK.read_text(encoding="utf-8")
    for qid in QUESTIONS:
        assert f'qpv sql "$(question {qid})"' in text, f"{qid}: no qpv sql command shown"


@pytest.mark.parametrize("qid", sorted(EXPECTED))
def test_question_on_the_demo(demo_warehouse, qid):
    columns, check, _ = EXPECTED[qid]
    rows, _ = run_question(demo_warehouse, qid)
    assert rows, f"{qid}: no row on the demo warehouse"
    assert tuple(rows[0]) == columns
    check(rows)


def test_questions_on_the_real_extracts(real_warehouse):
    timings = []
    for qid, (columns, check, expected_on_real) in sorted(EXPECTED.items()):
        rows, elapsed_ms = run_question(real_warehouse, qid)
        timings.append((qid, len(rows), elapsed_ms))
        if expected_on_real:
            assert rows, f"{qid}: no row on the real extracts"
        if rows:
            assert tuple(rows[0]) == columns
            check(rows)
    print("\nquestion                           rows      ms (real extracts, first run)")
    for qid, n, ms in timings:
        print(f"{qid:<34} {n:>5} {ms:>8.1f}")


def test_the_question_shell_function_extracts_each_block(demo_warehouse, tmp_path):
    text = COOKBOOK.read_text(encoding="utf-8")
    function = re.search(r"^question\(\) \{.*?docs/analystes\.md; \}$", text, re.S | re.M).group(0)
    for qid in ("ecart_tp60_commune", "taux_secret"):
        extracted = subprocess.run(
            ["bash", "-c", f'{function}\nquestion "$1"', "bash", qid],
            cwd=ROOT, capture_output=True, text=True, check=True, timeout=30,
        ).stdout  # fmt: skip
        assert extracted.strip() == QUESTION.sub("", QUESTIONS[qid], count=1).strip()
    # the command as the page shows it, through the real `qpv sql`
    script = f'{function}\n"$QPV" sql "$(question dictionnaire_theme)" --warehouse "$1" --format csv'
    result = subprocess.run(
        ["bash", "-c", script, "bash", str(demo_warehouse)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, "QPV": QPV},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.splitlines()[0] == "code,libelle,unite,agregation,seuil_secret,geographie,precautions"
    )
    assert "taux_pauvrete_60" in result.stdout


@pytest.mark.parametrize(
    "query",
    [
        "create table marts.pirate as select 1 as x",
        "insert into marts.ref_indicateurs (code) values ('pirate')",
        "copy (select 1) to '{out}/x.csv'",
        "attach '{out}/autre.duckdb' as autre",
    ],
)
def test_qpv_sql_refuses_writes(demo_warehouse, tmp_path, query):
    before = demo_warehouse.stat().st_mtime_ns, demo_warehouse.stat().st_size
    result = run_cli("sql", query.format(out=tmp_path), "--warehouse", str(demo_warehouse))
    assert result.returncode == 1
    assert result.stderr.startswith("Erreur : ") and "Traceback" not in result.stderr
    assert "refusée" in result.stderr  # parsed and refused before it runs (pipelines/warehouse/readonly.py)
    assert list(tmp_path.iterdir()) == []
    assert (demo_warehouse.stat().st_mtime_ns, demo_warehouse.stat().st_size) == before
