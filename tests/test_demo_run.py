"""`qpv demo` end to end (a real subprocess): demo files generated, whole graph run, marts and pages written,
and the poverty figures in the mart equal what the generator wrote into the REVN files (its truth.json)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from pipelines.warehouse.connection import connection


@pytest.fixture(scope="module")
def demo_run(demo_warehouse):
    """The session's `qpv demo` run (tests/conftest.py): its paths and its output."""
    out = demo_warehouse.parent
    paths = {"data": out / "data", "warehouse": demo_warehouse, "dashboards": out / "dashboards"}
    return paths, SimpleNamespace(stdout=(out / "demo.stdout").read_text(encoding="utf-8"))


def test_demo_prints_what_it_produced_and_how_to_look(demo_run):
    paths, result = demo_run
    assert "marts.indicateurs_qpv" in result.stdout and "marts.ref_indicateurs" in result.stdout
    assert str(paths["dashboards"] / "index.html") in result.stdout
    assert "qpv sql" in result.stdout and "make ui" in result.stdout
    assert (paths["dashboards"] / "index.html").exists() and (paths["dashboards"] / "pauvrete.html").exists()


def test_demo_marts_match_the_generator_truth(demo_run):
    paths, _ = demo_run
    truth = json.loads((paths["data"] / "truth.json").read_text())["qpv2015"]
    with connection(paths["warehouse"], read_only=True) as con:
        rows = con.execute(
            "select code_qp, millesime, indicateur, valeur, secret from marts.indicateurs_qpv "
            "where geographie = 'qpv2015' and indicateur in ('taux_pauvrete_60', 'revenu_median_uc')"
        ).fetchall()
    got = {(c, m, i): (v, s) for c, m, i, v, s in rows}
    assert {c for c, _, _ in got} == set(truth)
    checked = secret = 0
    for code, editions in truth.items():
        for millesime, values in editions.items():
            for column, indicateur in (("TP60", "taux_pauvrete_60"), ("DISP_Q2", "revenu_median_uc")):
                valeur, is_secret = got[(code, int(millesime), indicateur)]
                expected = values[column]
                if expected is None:
                    assert valeur is None and is_secret
                    secret += 1
                else:
                    assert valeur == pytest.approx(expected) and not is_secret
                checked += 1
    assert checked == len(got) and secret > 0  # every mart row checked, the secret path included


def test_demo_every_qpv_has_values_in_the_four_themes(demo_run):
    """#6 acceptance: chômage, pauvreté, non-recours and ESS published (not secret) for every demo QPV of the 2015
    geography; in the 2024 geography the demo (like the project) has chômage (DEFM) and ESS (SIRENE) sources."""
    paths, _ = demo_run
    truth = json.loads((paths["data"] / "truth.json").read_text())
    expected = {
        "qpv2015": (set(truth["qpv2015"]), {"chomage", "pauvrete", "non_recours", "ess"}),
        "qpv2024": (set(truth["qpv2024"]), {"chomage", "ess"}),
    }
    with connection(paths["warehouse"], read_only=True) as con:
        rows = con.execute(
            "select i.geographie, i.code_qp, r.theme from marts.indicateurs_qpv as i "
            "join marts.ref_indicateurs as r on r.code = i.indicateur "
            "where not i.secret and i.valeur is not null group by all"
        ).fetchall()
    published: dict[tuple[str, str], set[str]] = {}
    for geographie, code, theme in rows:
        published.setdefault((geographie, code), set()).add(theme)
    for geographie, (codes, themes) in expected.items():
        assert codes, geographie
        for code in codes:
            missing = themes - published.get((geographie, code), set())
            assert not missing, (geographie, code, missing)
