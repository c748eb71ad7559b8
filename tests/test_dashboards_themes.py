"""Non-recours and ESS theme pages: the pure figure functions on small frames (error bars, secret never drawn as 0,
French labels and units) and the pages rendered from the demo warehouse (values of the marts, checked against the
demo truth and the DREES calibration constants)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from dashboards import figures_themes as ft
from dashboards.pages import ess, non_recours
from dashboards.site import SiteContext
from pipelines.warehouse.connection import connection

NNBSP, NBSP = "\u202f", "\u00a0"


# --- formats --------------------------------------------------------------------------------------------------


def test_french_number_formats():
    assert ft.nombre_fr(13474.2) == f"13{NNBSP}474"
    assert ft.valeur_fr(13474, "€") == f"13{NNBSP}474{NBSP}€"
    assert ft.valeur_fr(41.06, "%") == f"41,1{NBSP}%"
    assert ft.valeur_fr(1234567.891, None, 2) == f"1{NNBSP}234{NNBSP}567,89"
    assert ft.valeur_fr(None, "%") == "secret"
    assert ft.valeur_fr(float("nan"), "emplois") == "secret"
    assert ft.valeur_fr(pd.NA) == "secret"
    assert ft.valeur_fr(0, "%") == f"0,0{NBSP}%"  # a true 0 stays 0, only null is secret
    assert ft.fourchette_fr(12, 37.66, "%") == f"de 12,0 à 37,7{NBSP}%"
    assert ft.fourchette_fr(None, 3) == "fourchette non publiée"


def test_names_are_escaped_for_plotly():
    assert ft.nom_qpv("<script>alert(1)</script>", "QP1") == "&lt;script&gt;alert(1)&lt;/script&gt; (QP1)"
    assert ft.nom_qpv("Cité A & B", "QP2") == "Cité A &amp; B (QP2)"


# --- figures on small frames -----------------------------------------------------------------------------------


def _non_recours_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code_qp": ["QP1", "QP2", "QP3", "QP1", "QP2", "QP3"],
            "lib_qp": ["Un", "Deux", "Trois", "Un", "Deux", "Trois"],
            "millesime": [2019, 2019, 2019, 2021, 2021, 2021],
            "valeur": [30.0, 45.0, None, 20.0, 0.0, 50.0],
            "borne_basse": [10.0, 30.0, None, 5.0, 0.0, 40.0],
            "borne_haute": [35.0, 50.0, None, 28.0, 8.0, 55.0],
            "secret": [False, False, True, False, False, False],
        }
    )


def test_distribution_non_recours_draws_each_estimate_with_its_range():
    fig = ft.distribution_non_recours(
        _non_recours_frame(), "Non-recours estimé au RSA", {2019: 34.0, 2021: 34.0}
    )
    assert len(fig.data) == 2  # one panel per edition
    first, second = fig.data
    assert list(first.y) == [30.0, 45.0]  # the secret QPV3 is not drawn at all
    assert list(first.error_y.array) == [5.0, 5.0] and list(first.error_y.arrayminus) == [20.0, 15.0]
    assert list(second.y) == [0.0, 20.0, 50.0]  # a published 0 is drawn, ranked
    assert "Estimation" in first.hovertemplate and "Fourchette" in first.hovertemplate
    titles = [a.text for a in fig.layout.annotations]
    assert "2019 : 2 estimations, 1 secrètes" in titles
    assert any(t and f"34,0{NBSP}%" in t and "calage DREES" in t for t in titles)
    assert [s.y0 for s in fig.layout.shapes] == [34.0, 34.0]
    assert "% des foyers éligibles, estimation" in fig.layout.yaxis.title.text
    assert fig.layout.separators == ", "


def test_classement_fourchette_labels_secret_and_never_draws_it():
    data = _non_recours_frame().query("millesime == 2019")
    fig = ft.classement_fourchette(
        data, "valeur", "borne_basse", "borne_haute", "Classement", "Non-recours (%)", "%", reference=34.0
    )
    points, secret = fig.data
    assert list(points.y) == ["Deux (QP2)", "Un (QP1)"] and list(points.x) == [45.0, 30.0]
    assert list(points.error_x.array) == [5.0, 5.0] and list(points.error_x.arrayminus) == [15.0, 20.0]
    assert list(secret.y) == ["Trois (QP3) — secret"]
    assert list(secret.x) == [None]  # listed, labelled, nothing drawn (no 0)
    assert fig.layout.yaxis.categoryarray[0] == "Trois (QP3) — secret"  # at the bottom
    assert fig.layout.shapes[0].x0 == 34.0
    assert fig.layout.annotations[0].text == f"Ensemble des QPV : 34,0{NBSP}%"


def test_classement_fourchette_bars_and_truncation():
    data = pd.DataFrame(
        {
            "code_qp": [f"QN{i}" for i in range(5)],
            "lib_qp": ["A", "B", "C", "D", "E"],
            "emplois": [10.0, 50.0, None, 30.0, 20.0],
            "bas": [5.0, 40.0, None, 20.0, 10.0],
            "haut": [15.0, 60.0, None, 40.0, 30.0],
        }
    )
    fig = ft.classement_fourchette(
        data, "emplois", "bas", "haut", "Emplois", "Emplois ESS", "emplois", n=3, barres=True
    )
    assert len(fig.data) == 1 and fig.data[0].type == "bar"
    assert list(fig.data[0].x) == [50.0, 30.0, 20.0]
    assert "les 3 valeurs les plus élevées" in fig.layout.title.text
    assert fig.layout.xaxis.tickformat == ",.0f"


def test_indice_couverture_bars_start_at_100():
    data = pd.DataFrame(
        {
            "code_qp": ["QP1", "QP2", "QP3"],
            "lib_qp": ["Un", "Deux", "Trois"],
            "millesime": [2021, 2021, 2021],
            "valeur": [80.0, 120.0, None],
        }
    )
    fig = ft.indice_couverture(data, "Indice de couverture du RSA socle", 2021)
    bars = fig.data[0]
    assert bars.base == 100
    assert list(bars.x) == [-20.0, 20.0]
    assert list(bars.y) == ["Un (QP1)", "Deux (QP2)"]
    assert list(fig.data[1].y) == ["Trois (QP3) — secret"] and list(fig.data[1].x) == [None]
    assert bars.marker.color[0] != bars.marker.color[1]  # below / above 100
    assert fig.layout.shapes[0].x0 == 100
    assert "base 100" in fig.layout.title.text and "2021" in fig.layout.title.text


def _detail_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code_qp": ["QN1", "QN1", "QN2", "QN2"],
            "famille_ess": ["association", "cooperative", "association", "mutuelle"],
            "libelle_famille": ["Association", "Coopérative", "Association", "Mutuelle"],
            "section_naf": ["Q", "F", "Q", "K"],
            "libelle_section": [
                "Santé humaine et action sociale",
                "Construction",
                "Santé humaine et action sociale",
                "Finance",
            ],
            "secret": [False, True, False, True],
            "etablissements_ess": [12, None, 14, None],
            "emplois_ess_bas": [20.0, None, 30.0, None],
            "emplois_ess_central": [35.0, None, 45.5, None],
            "emplois_ess_haut": [50.0, None, 60.0, None],
        }
    )


def test_familles_sections_sums_published_cells_and_states_the_secret_ones():
    fig = ft.familles_sections(_detail_frame(), "QPV 2024", 2025)
    assert len(fig.data) == 1  # only the association family has published cells
    bar = fig.data[0]
    assert bar.name == "Association"
    assert list(bar.x) == [80.5]  # 35 + 45.5, secret cells not counted, not drawn
    assert list(bar.y) == ["Q – Santé humaine et action sociale"]
    assert "2 cellule(s)" in fig.layout.title.text and "ni comptées comme 0" in fig.layout.title.text
    assert "Emplois ESS estimés" in fig.layout.title.text and fig.layout.barmode == "stack"


def test_familles_sections_all_secret_draws_nothing():
    detail = _detail_frame()
    detail["secret"] = True
    fig = ft.familles_sections(detail, "QPV 2024", 2025)
    assert len(fig.data) == 0
    assert "Toutes les cellules sont secrètes (4)" in fig.layout.annotations[0].text


# --- pages rendered from the demo warehouse --------------------------------------------------------------------


def _render(warehouse: Path, out: Path, territoire: list[str] | None = None) -> dict[str, str]:
    with connection(warehouse, read_only=True) as con:
        ctx = SiteContext(con=con, out_dir=out, territoire=territoire, png=False)
        pages = non_recours.render(ctx) + ess.render(ctx)
    return {p.file: (out / p.file).read_text(encoding="utf-8") for p in pages}


def _text(html: str) -> str:
    """The visible text of the HTML outside scripts, entities decoded."""
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", html, flags=re.S)))


@pytest.fixture(scope="module")
def pages(demo_warehouse: Path, tmp_path_factory) -> dict[str, str]:
    return _render(demo_warehouse, tmp_path_factory.mktemp("themes"))


def test_non_recours_page_national_figure_is_the_drees_calibration(pages):
    text = _text(pages["non_recours.html"])
    # DREES rates of docs/methodes/non_recours.md § 4: all QPV together reproduce them by construction
    assert text.count(f"34,0{NBSP}% (estimation calée)") == 3  # RSA, editions 2017, 2019, 2021
    assert text.count(f"27,0{NBSP}% (estimation calée)") == 2  # prime d'activité from 2019
    assert "Estimation, pas une mesure" in text
    assert "Odenore" in text and "κ" in text  # the method summary
    for chart in ("distribution-rsa", "distribution-prime_activite", "classement-rsa", "couverture-rsa"):
        assert f'id="{chart}"' in pages["non_recours.html"]
    assert "non_recours_distribution_rsa.csv" in pages["non_recours.html"]


def test_non_recours_page_shows_the_mart_values_and_secret(pages, demo_warehouse: Path):
    text = _text(pages["non_recours.html"])
    with connection(demo_warehouse, read_only=True) as con:
        rows = con.execute(
            """
            select code_qp, millesime, valeur, borne_basse, borne_haute, secret from marts.indicateurs_qpv
            where indicateur = 'non_recours_rsa_estime'
            """
        ).fetchall()
        definition = con.execute(
            "select definition from marts.ref_indicateurs where code = 'non_recours_rsa_estime'"
        ).fetchone()[0]
    assert any(r[5] for r in rows) and any(not r[5] for r in rows)  # both cases are checked
    for code, millesime, valeur, bas, haut, secret in rows:
        line = re.search(rf"{code}\s+{millesime}\s+(.*?)\s{{2,}}", text)
        assert line, code
        if secret:
            assert line.group(1).startswith("secret"), line.group(1)
        else:
            expected = f"{valeur:.1f}".replace(".", ",")
            assert line.group(1).startswith(f"{expected}{NBSP}%"), line.group(1)
            assert f"de {bas:.1f} à {haut:.1f}{NBSP}%".replace(".", ",") in line.group(1)
    assert definition in text


def test_non_recours_territory_view_follows_the_passage(demo_warehouse: Path, tmp_path: Path):
    # QN05996I (2024) is the former QP059903 (2015): the 2015 estimates of that QPV only
    html = _render(demo_warehouse, tmp_path, ["QN05996I"])["non_recours.html"]
    territoire = html.split("Vue territoire", 1)[1].split('id="methode"', 1)[0]
    assert "QP059903" in territoire
    assert "QP059901" not in territoire and "QP062912" not in territoire
    assert "1 quartier(s) sélectionné(s)" in html


def test_ess_page_matches_demo_truth(pages, demo_warehouse: Path):
    truth = json.loads((demo_warehouse.parent / "data" / "truth.json").read_text(encoding="utf-8"))
    text = _text(pages["ess.html"])
    checked = 0
    for code, qpv in truth["qpv2024"].items():
        if qpv.get("ess_etablissements", 0) < 11:
            continue  # published only from the threshold on
        line = re.search(rf"{code}\s+QPV 2024\s+2025\s+(.*?)\s{{2,}}(.*?)\s{{2,}}", text)
        if line is None or line.group(1) == "secret":
            continue  # secondary suppression may withhold it
        assert line.group(1) == str(qpv["ess_etablissements"])
        central = ft.nombre_fr(qpv["ess_emplois_central"], 1)
        assert line.group(2).startswith(
            f"{central}{NBSP}emplois (de {ft.nombre_fr(qpv['ess_emplois_bas'])} à "
            f"{ft.nombre_fr(qpv['ess_emplois_haut'])})"
        ), line.group(2)
        checked += 1
    assert checked >= 5
    # France (all QPV 2024): sum of the published establishments of the QPV
    assert "QPV 2024" in text and "établissements" in text


def test_ess_page_secret_cells_labelled_never_zero(pages, demo_warehouse: Path):
    html = pages["ess.html"]
    with connection(demo_warehouse, read_only=True) as con:
        secret, total = con.execute(
            "select count(*) filter (where secret), count(*) from marts.ess_qpv_detail"
        ).fetchone()
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("<h3>Détail par famille ESS et section NAF</h3>", 1)[1])
    cells = [re.findall(r"<td>(.*?)</td>", r) for r in rows]
    cells = [c for c in cells if len(c) == 7]
    assert len(cells) == total
    assert sum(c[5] == "secret" and c[6] == "secret" for c in cells) == secret
    assert not any(c[5] in ("0", "") for c in cells)
    text = _text(html)
    assert "qualite_xy = 33" in text and "loi 2014-856" in text and "tranche" in text
    assert 'id="familles-national-qpv2024"' in html and 'id="emplois-national-qpv2015"' in html
    assert "Source : INSEE, répertoire SIRENE" in text and "Millésime 2025" in text
