"""Fiche quartier and comparison pages: pure figure functions on small frames, then the pages rendered from the demo
warehouse and checked against the demo generator's truth and the marts (French formats, "secret", links)."""

from __future__ import annotations

import csv
import json
import re
import time
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from dashboards import figures_comparaison as fc
from dashboards import figures_fiche as ff
from dashboards.pages import comparaison, fiches
from dashboards.site import NAV, SEARCH_JS, STYLESHEET, SiteContext
from pipelines.warehouse.connection import connection

NBSP = "\u00a0"


def fr(value: float, decimals: int = 1) -> str:
    """The French format, written independently of the code under test (values here never end on a tie)."""
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", NBSP)


# ---------------------------------------------------------------------------------------------- figure functions


def test_french_formats_and_secret():
    assert ff.fr_value(41.06, "%") == f"41,1{NBSP}%"
    assert ff.fr_value(13474.2, "€/UC/an") == f"13{NBSP}474{NBSP}€"
    assert ff.fr_value(136.5, "emplois") == "137"  # half up, as a reader rounds
    assert ff.fr_value(None, "%", secret=True) == "secret"
    assert ff.fr_value(0.0, "%") == f"0,0{NBSP}%"  # a true zero stays a zero
    assert ff.fr_value(float("nan"), "%") == "—"
    assert ff.fr_range(32.06, 12.0, 37.74, "%") == f"32,1{NBSP}% (fourchette 12,0 à 37,7{NBSP}%)"


SERIE = pd.DataFrame(
    {
        "millesime": [2017, 2019, 2021, 2017, 2019, 2021],
        "libelle": ["Taux A"] * 6,
        "valeur": [10.0, None, 12.0, 11.0, 11.5, 11.8],
        "secret": [False, True, False, False, False, False],
        "rupture": [False, False, True, False, False, False],
        "serie": ["quartier"] * 3 + ["france"] * 3,
    }
)


def test_time_series_leaves_a_gap_for_secret_and_marks_the_break():
    fig = ff.serie_temporelle(SERIE, "Chômage : évolution par millésime")
    quartier, france = fig.data
    assert list(quartier.y) == [10.0, None, 12.0]  # the secret edition is a gap, not a 0
    assert quartier.line.dash == "solid" and france.line.dash == "dot"
    assert "ensemble des QPV" in france.name
    texts = [a.text for a in fig.layout.annotations]
    assert texts.count("secret") == 1 and "rupture de série" in texts
    assert [a.x for a in fig.layout.annotations if a.text == "secret"] == [1]  # the category "2019"
    assert (
        fig.layout.shapes[0].x0 == 2
    )  # serial number of the category "2021" (a string would read as x = 2021)
    assert fig.layout.separators == ", " and fig.layout.xaxis.title.text == "Millésime"
    assert "%" in fig.layout.yaxis.title.text and "évolution" in fig.layout.title.text


def test_non_recours_is_drawn_with_its_range():
    df = pd.DataFrame(
        {
            "millesime": [2019, 2021, 2021, 2021],
            "libelle": ["Non-recours estimé au RSA"] * 4,
            "valeur": [30.0, None, 34.0, 20.0],
            "borne_basse": [10.0, None, None, None],
            "borne_haute": [36.0, None, None, None],
            "secret": [False, True, False, False],
            "serie": ["quartier", "quartier", "france", "autre"],
        }
    )
    fig = ff.non_recours_fourchette(df)
    quartier = fig.data[0]
    assert list(quartier.y) == [30.0]  # the secret 2021 value is not drawn
    assert quartier.error_y.array == (6.0,) and quartier.error_y.arrayminus == (20.0,)
    assert quartier.error_y.symmetric is False
    assert "calage DREES" in fig.data[1].name and list(fig.data[1].y) == [34.0]
    assert [a.text for a in fig.layout.annotations] == ["secret"]
    assert fig.layout.yaxis.title.text.endswith("(%)")


def test_ess_detail_never_draws_a_secret_cell():
    df = pd.DataFrame(
        {
            "libelle_famille": ["Association", "Association", "Coopérative"],
            "section_naf": ["Q", "P", "Q"],
            "libelle_section": [
                "Santé humaine et action sociale",
                "Enseignement",
                "Santé humaine et action sociale",
            ],
            "secret": [False, True, False],
            "emplois_ess_bas": [20.0, None, 5.0],
            "emplois_ess_central": [30.0, None, 7.5],
            "emplois_ess_haut": [40.0, None, 10.0],
        }
    )
    fig = ff.ess_familles_sections(df)
    assert [t.name for t in fig.data] == ["Association", "Coopérative"]
    assert [list(t.x) for t in fig.data] == [[30.0], [7.5]]
    assert all("Enseignement" not in y for t in fig.data for y in t.y)
    assert "1 cellule(s) non diffusée(s)" in fig.layout.annotations[0].text
    all_secret = ff.ess_familles_sections(df.assign(secret=True, emplois_ess_central=None))
    assert not all_secret.data and "secret statistique" in all_secret.layout.annotations[0].text


DICO = pd.DataFrame(
    {"code": ["taux_a", "taux_b"], "libelle": ["Taux A", "Taux B"], "unite": ["%", "%"]}
).set_index("code")


def test_ranking_selector_excludes_secret_and_counts_it():
    df = pd.DataFrame(
        {
            "code_qp": ["Q1", "Q2", "Q3", "Q1", "Q2"],
            "lib_qp": ["Un", "Deux", "Trois", "Un", "Deux"],
            "geographie": "qpv2015",
            "millesime": [2021, 2021, 2021, 2021, 2021],
            "indicateur": ["taux_a", "taux_a", "taux_a", "taux_b", "taux_b"],
            "valeur": [5.0, 9.0, None, 1.0, 2.0],
            "secret": [False, False, True, False, False],
        }
    )
    fig = fc.classement(df, DICO, ["taux_a", "taux_b"])
    assert len(fig.data) == 2 and [t.visible for t in fig.data] == [True, False]
    assert list(fig.data[0].x) == [5.0, 9.0] and list(fig.data[0].y) == ["Un (Q1)", "Deux (Q2)"]
    assert fig.data[0].text == (f"5,0{NBSP}%", f"9,0{NBSP}%")
    assert fig.data[0].marker.color[0] == "rgb(68, 1, 84)"  # Viridis, lowest value
    assert "1 quartier(s) non diffusé(s) (secret)" in fig.layout.title.text
    assert len(fig.layout.updatemenus[0].buttons) == 2


def test_ranking_keeps_the_extremes_of_a_long_list():
    df = pd.DataFrame(
        {
            "code_qp": [f"Q{i}" for i in range(100)],
            "lib_qp": [f"N{i}" for i in range(100)],
            "geographie": "qpv2015",
            "millesime": 2021,
            "indicateur": "taux_a",
            "valeur": [float(i) for i in range(100)],
            "secret": False,
        }
    )
    fig = fc.classement(df, DICO, ["taux_a"], n=5)
    assert list(fig.data[0].x) == [0.0, 1.0, 2.0, 3.0, 4.0, 95.0, 96.0, 97.0, 98.0, 99.0]
    assert "5 plus faibles et 5 plus élevés" in fig.layout.title.text


def test_poverty_unemployment_bubbles_are_sized_by_population():
    df = pd.DataFrame(
        {
            "code_qp": ["Q1", "Q2", "Q3"],
            "lib_qp": ["Un", "Deux", "Trois"],
            "millesime": [2021, 2021, 2021],
            "taux_pauvrete_60": [40.0, 30.0, None],
            "indicateur_chomage_abc": [15.0, 10.0, 12.0],
            "population": [4000.0, 1000.0, 2000.0],
        }
    )
    fig = fc.pauvrete_chomage(df)
    trace = fig.data[0]
    assert list(trace.x) == [15.0, 10.0] and list(trace.y) == [40.0, 30.0]
    assert list(trace.marker.size) == [4000.0, 1000.0] and trace.marker.sizemode == "area"
    assert "1 quartier(s) sans valeur publiée" in fig.layout.title.text
    assert "Taux de pauvreté" in fig.layout.yaxis.title.text and "chômage" in fig.layout.xaxis.title.text


def test_gap_to_the_commune_colours_by_sign():
    df = pd.DataFrame(
        {
            "code_qp": ["Q1", "Q2", "Q3"],
            "lib_qp": ["Un", "Deux", "Trois"],
            "lib_reference": ["Ville"] * 3,
            "geographie": "qpv2015",
            "millesime": 2021,
            "indicateur": "taux_a",
            "ecart": [-2.0, 3.0, None],
            "unite_ecart": "points",
        }
    )
    fig = fc.ecarts_commune(df, DICO, ["taux_a"])
    assert list(fig.data[0].x) == [-2.0, 3.0]
    assert list(fig.data[0].marker.color) == [fc.BELOW, fc.ABOVE]
    assert "écart aux quartiers prioritaires de la commune (points)" in fig.layout.title.text
    assert "1 écart(s) non calculable(s)" in fig.layout.title.text


def test_gap_to_the_whole_commune_never_mixes_the_perimeters():
    df = pd.DataFrame(
        {
            "code_qp": ["Q1", "Q1", "Q2"],
            "lib_qp": ["Un", "Un", "Deux"],
            "lib_reference": ["Ville"] * 3,
            "geographie": "qpv2015",
            "millesime": 2019,
            "annee_reference": 2017,
            "indicateur": "taux_a",
            "perimetre_reference": ["ensemble", "qpv", "ensemble"],
            "ecart": [5.0, -1.0, 2.0],
            "unite_ecart": "points",
        }
    )
    whole = fc.ecarts_commune(df, DICO, ["taux_a"], perimetre="ensemble")
    assert list(whole.data[0].x) == [2.0, 5.0]  # the 'qpv' row of Q1 is not drawn
    assert (
        "millésime 2019 (données 2017) — écart à l'ensemble de la commune (points)" in whole.layout.title.text
    )
    quartiers = fc.ecarts_commune(df, DICO, ["taux_a"], perimetre="qpv")
    assert list(quartiers.data[0].x) == [-1.0]


def test_method_markdown_is_escaped_and_keeps_code_spans():
    html = fiches._markdown_html(
        "## 1. Titre\n\nTexte **gras** et `a_*_b` <script>x</script>.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "- un\n- deux\n\n    E = max(κ P, R)\n"
    )
    # `##` is an <h2> under the page's <h1> (axe's heading-order)
    assert "<h2>1. Titre</h2>" in html and "<strong>gras</strong>" in html
    assert "<code>a_*_b</code>" in html and "<script>" not in html and "&lt;script&gt;" in html
    assert "<th>a</th>" in html and "<td>2</td>" in html and "<li>deux</li>" in html
    assert "<pre>E = max(κ P, R)</pre>" in html


# -------------------------------------------------------------------------------------------- pages on the demo


def _render(warehouse: Path, out: Path, territoire: list[str] | None = None) -> tuple[list, float]:
    with connection(warehouse, read_only=True) as con:
        ctx = SiteContext(con=con, out_dir=out, territoire=territoire, png=False)
        start = time.perf_counter()
        pages = fiches.render(ctx) + comparaison.render(ctx)
        return pages, time.perf_counter() - start


@pytest.fixture(scope="module")
def demo_site(demo_warehouse: Path, tmp_path_factory) -> tuple[Path, list, dict, float]:
    out = tmp_path_factory.mktemp("fiches")
    pages, seconds = _render(demo_warehouse, out)
    truth = json.loads((demo_warehouse.parent / "data" / "truth.json").read_text(encoding="utf-8"))
    return out, pages, truth, seconds


def _text(path: Path) -> str:
    return unescape(path.read_text(encoding="utf-8"))


def _row(page: str, label: str) -> list[str]:
    """The cells of the table row whose first cell is `label` (tags stripped, entities decoded)."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
        if cells and cells[0] == label:
            return cells
    raise AssertionError(f"no table row {label!r}")


def test_a_fiche_for_every_demo_qpv_and_an_index(demo_site):
    out, pages, truth, seconds = demo_site
    expected = set(truth["qpv2015"]) | set(truth["qpv2024"])
    written = {p.stem for p in (out / "fiches").glob("*.html")} - {"index"}
    assert written == expected
    index = (out / "fiches" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{code}.html"' in index for code in expected)
    by_file = {p.file: p for p in pages}
    assert by_file["fiches/index.html"].in_index and not by_file["fiches/QP059901.html"].in_index
    assert by_file["comparaison.html"].in_index
    assert seconds < 60, f"{seconds:.1f} s for {len(expected)} fiches"


def test_fiche_2015_shows_the_truth_and_the_marts(demo_site, demo_warehouse):
    out, _, truth, _ = demo_site
    code, editions = next(
        (c, e) for c, e in truth["qpv2015"].items() if e.get("2021", {}).get("TP60") is not None
    )
    page = _text(out / "fiches" / f"{code}.html")
    assert _row(page, "Taux de pauvreté (seuil 60 %)")[1:3] == [
        "2021 (données 2017)",  # the edition and the year of its data (REVN 2021: Filosofi 2017)
        f"{fr(editions['2021']['TP60'])}{NBSP}%",
    ]
    assert _row(page, "Revenu disponible médian par unité de consommation")[2] == (
        f"{fr(editions['2021']['DISP_Q2'], 0)}{NBSP}€"
    )
    with connection(demo_warehouse, read_only=True) as con:
        nr = con.execute(
            "select valeur, borne_basse, borne_haute, secret from marts.indicateurs_qpv where code_qp = ? "
            "and indicateur = 'non_recours_rsa_estime' order by millesime desc limit 1",
            [code],
        ).fetchone()
        refs = {
            (perimetre, kind): (value, annee)
            for perimetre, kind, value, annee in con.execute(
                "select perimetre_reference, type_reference, valeur_reference, annee_reference from marts.ecarts_qpv "
                "where code_qp = ? and indicateur = 'part_allocataires_rsa' and millesime = 2021",
                [code],
            ).fetchall()
        }
        label = con.execute(
            "select libelle from marts.ref_indicateurs where code = 'part_allocataires_rsa'"
        ).fetchone()
    row = _row(page, "Non-recours estimé au RSA")
    assert row[2] == (
        "secret" if nr[3] else f"{fr(nr[0])}{NBSP}% (fourchette {fr(nr[1])} à {fr(nr[2])}{NBSP}%)"
    )
    cells = _row(page, label[0])
    # the whole territories first (with the year of their data), then the QPV of the commune, the EPCI and France
    assert cells[3:6] == [
        f"{fr(refs[('ensemble', t)][0])}{NBSP}% (données {refs[('ensemble', t)][1]})"
        if ("ensemble", t) in refs
        else "—"
        for t in ("commune", "epci", "france_metropolitaine")
    ]
    assert cells[6:9] == [
        f"{fr(refs[('qpv', t)][0])}{NBSP}%" if ("qpv", t) in refs else "seul quartier"
        for t in ("commune", "epci", "france")
    ]
    assert 'href="../methodes/non_recours.html"' in page and "Estimation, pas une mesure" in page
    methode = _text(out / "methodes" / "non_recours.html")
    assert "Estimateur (b) : non-recours estimé" in methode and "<table>" in methode
    assert 'id="non-recours"' in page and '"error_y"' in page.replace(" ", "")


def test_fiche_2024_shows_ess_and_its_small_cells(demo_site):
    out, _, truth, _ = demo_site
    code, facts = next(
        (c, f)
        for c, f in truth["qpv2024"].items()
        if f.get("ess_etablissements", 0) >= 11 and f.get("ess_par_section")
    )
    page = _text(out / "fiches" / f"{code}.html")
    assert _row(page, "Établissements de l'économie sociale et solidaire (ESS)")[2] == fr(
        facts["ess_etablissements"], 0
    )
    central = int(facts["ess_emplois_central"] + 0.5)  # half up
    assert _row(page, "Emplois salariés de l'ESS (estimation)")[2] == (
        f"{fr(central, 0)} (fourchette {fr(facts['ess_emplois_bas'], 0)} à {fr(facts['ess_emplois_haut'], 0)})"
    )
    # a NAF section with fewer than 11 ESS establishments in the QPV is published with its count: SIRENE is a
    # public register, no threshold (issue 25, sql/seeds/regles_secret.csv)
    small = {s: n for s, n in facts["ess_par_section"].items() if n < 11}
    assert small
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    for section, n in small.items():
        cells = next(
            [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td>(.*?)</td>", r)]
            for r in rows
            if f"<td>{section} – " in r
        )
        assert "secret" not in cells and cells[2] == fr(n, 0), (section, cells)
    assert "Correspondance entre géographies (approximation)" in page
    assert "Toutes les fiches quartier" in page


def test_links_and_scripts_resolve(demo_site):
    out, _, _, _ = demo_site
    produced_elsewhere = {
        out / "index.html",
        out / "plotly.min.js",
        out / STYLESHEET,
        out / SEARCH_JS,
        *(out / file for file, _ in NAV),
    }  # home page, plotly, the shared assets and the pages of the navigation: written by render_all
    checked = 0
    for page in out.rglob("*.html"):
        for target in re.findall(r'(?:href|src)="([^"#]+)', page.read_text(encoding="utf-8")):
            assert "://" not in target, f"{page}: external link {target}"
            resolved = (page.parent / unescape(target)).resolve()
            assert resolved.exists() or resolved in produced_elsewhere, (
                f"{page.name}: {target} does not exist"
            )
            checked += 1
    assert checked > 60 * 5


def test_comparison_data_mark_secret_values(demo_site, demo_warehouse):
    out, _, truth, _ = demo_site
    with (out / "donnees" / "comparaison_classement.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    with connection(demo_warehouse, read_only=True) as con:
        secrets = con.execute(
            "select count(*) from marts.indicateurs_qpv where secret and indicateur = 'indicateur_chomage_abc'"
        ).fetchone()[0]
    mine = [r for r in rows if r["indicateur"] == "indicateur_chomage_abc"]
    assert sum(r["valeur_affichee"] == "secret" for r in mine) == secrets
    assert all(r["valeur"] == "" for r in mine if r["valeur_affichee"] == "secret")  # empty, never 0
    with (out / "donnees" / "comparaison_pauvrete_chomage.csv").open(encoding="utf-8-sig") as handle:
        scatter = {(r["code_qp"], r["millesime"]): r for r in csv.DictReader(handle, delimiter=";")}
    for code, editions in truth["qpv2015"].items():
        if editions.get("2021", {}).get("TP60") is not None:
            assert float(scatter[(code, "2021")]["taux_pauvrete_60"].replace(",", ".")) == pytest.approx(
                editions["2021"]["TP60"]
            )
    page = (out / "comparaison.html").read_text(encoding="utf-8")
    assert 'id="classement"' in page and 'id="pauvrete-chomage"' in page and 'id="ecarts-commune"' in page
    assert page.index("ensemble de sa commune") < page.index("aux quartiers prioritaires de sa commune")
    assert "Millésimes et années de référence" in page


def test_territory_selection_builds_only_its_fiches(demo_warehouse, tmp_path):
    pages, _ = _render(demo_warehouse, tmp_path, territoire=["QP059901", "QN05995M"])
    assert {p.file for p in pages if p.file.startswith("fiches/")} == {
        "fiches/index.html",
        "fiches/QP059901.html",
        "fiches/QN05995M.html",
    }
    for page in (tmp_path / "fiches").glob("*.html"):
        for target in re.findall(r'href="([^"#]+\.html)"', page.read_text(encoding="utf-8")):
            resolved = (page.parent / target).resolve()
            navigation = {(tmp_path / file).resolve() for file, _ in NAV}  # written by render_all
            assert resolved.exists() or resolved in navigation, target
