"""Issue 25: the compact charts of the new indicator groups (insertion, démographie, distribution des revenus) on the
fiche quartier and on the page « Insertion, démographie et revenus ». Pure figure functions on small frames, then the
pages rendered from the demo and the real warehouses, the figures read back from the HTML and checked against the
marts (the values, the edition chosen, « données YYYY », « secret » never drawn as 0)."""

from __future__ import annotations

import base64
import json
import re
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboards import figures_fiche as ff
from dashboards import figures_themes as ft
from dashboards import queries_fiche as qf
from dashboards.pages import fiches
from dashboards.pages import insertion_demographie_revenus as idr
from dashboards.site import SiteContext
from pipelines.warehouse.connection import connection
from tests.conftest import query

NBSP = "\u00a0"
MAIN = {key: [code for code, _ in groupe.principaux] for key, groupe in qf.GROUPES.items()}
LABELS = {code: label for groupe in qf.GROUPES.values() for code, label in groupe.principaux}


def fr(value: float, decimals: int = 1) -> str:
    """The French format, written independently of the code under test."""
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", NBSP)


def _plain(value):
    """A plotly JSON array: a list, or a typed array {"dtype", "bdata"} (numpy arrays since plotly 6)."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return value


def figure(html: str, div_id: str) -> dict:
    """The figure (data, layout) a page draws in `div_id`, read back from its `Plotly.newPlot` call."""
    match = re.search(r'Plotly\.newPlot\(\s*"' + re.escape(div_id) + r'",\s*', html)
    assert match, f"no chart {div_id!r} on the page"
    decoder = json.JSONDecoder()
    data, end = decoder.raw_decode(html, match.end())
    layout, _ = decoder.raw_decode(html, html.index("{", end))
    for trace in data:
        for key in ("x", "y"):
            if key in trace:
                trace[key] = _plain(trace[key])
    return {"data": data, "layout": layout}


def caption(html: str, div_id: str) -> str:
    start = html.index(f'id="{div_id}"')
    return unescape(
        re.sub(r"<[^>]+>", "", html[start : html.index("</figcaption>", start)].split("<figcaption>")[1])
    )


def bars(fig: dict, axis: str = "x") -> dict[str, float]:
    """Row label → value of the bars of a figure (on the given x axis)."""
    out = {}
    for trace in fig["data"]:
        if trace.get("type") == "bar" and trace.get("xaxis", "x") == axis:
            out.update(zip(trace["y"], trace["x"], strict=True))
    return out


def expected(warehouse: Path, code: str, key: str) -> tuple[int, dict[str, tuple]]:
    """From the marts, independently of the pages: the latest edition where the quartier has a published value of
    the group's chart, and its values (valeur, secret, annee_reference) by indicator."""
    codes = [*MAIN[key], *qf.GROUPES[key].complements]
    rows = query(
        warehouse,
        "select millesime, indicateur, valeur, secret, annee_reference from marts.indicateurs_qpv "
        "where code_qp = ? and list_contains(?::varchar[], indicateur)",
        [code, codes],
    )
    millesime = max(m for m, i, v, s, _ in rows if i in MAIN[key] and not s and v is not None)
    return millesime, {i: (v, bool(s), a) for m, i, v, s, a in rows if m == millesime}


def row_label(code: str, valeur, secret: bool) -> str:
    return f"{LABELS[code]} : {'secret' if secret else fr(valeur) + NBSP + '%'}"


def check_bar_group(html: str, warehouse: Path, code: str, key: str) -> dict[str, tuple]:
    """The bar chart of a group shows the expected edition's values, row by row, a secret one labelled and not
    drawn; its caption names the edition and the year(s) of the data."""
    millesime, values = expected(warehouse, code, key)
    fig = figure(html, f"groupe-{key}")
    assert f"(millésime {millesime})" in fig["layout"]["title"]["text"]
    drawn = bars(fig)
    categories = fig["layout"]["yaxis"]["categoryarray"]
    for indicator in MAIN[key]:
        if indicator not in values:
            continue
        valeur, secret, _ = values[indicator]
        label = row_label(indicator, valeur, secret)
        assert label in categories
        if secret:
            assert label not in drawn  # never a bar at 0
        else:
            assert drawn[label] == pytest.approx(valeur)
    text = caption(html, f"groupe-{key}")
    years = {int(a) for i, (_, _, a) in values.items() if i in MAIN[key] and a is not None}
    assert all(f"données {y}" in text or str(y) in text for y in years), text
    assert f"Millésime {millesime}" in text
    return values


# ---------------------------------------------------------------------------------------------- figure functions


def test_parts_barres_never_draws_a_secret_share():
    fig = ff.parts_barres(
        [
            ("Moins de 25 ans", 37.8, False, "Recensement (données 2017)"),
            ("60 ans ou plus", None, True, "Recensement (données 2017)"),
            ("Allocataires : familles monoparentales", 22.04, False, "Allocataires CAF (données 2019)"),
        ],
        [
            (
                "Allocataires : familles monoparentales",
                20.4,
                "Ensemble des quartiers prioritaires (millésime 2021)",
            )
        ],
        "Démographie (millésime 2021)",
        "Indice de jeunesse : 1,7",
    )
    recensement, caf, reference = fig.data
    assert list(recensement.y) == [f"Moins de 25 ans : 37,8{NBSP}%"] and list(recensement.x) == [37.8]
    assert list(caf.x) == [22.04] and caf.name == "Allocataires CAF (données 2019)"
    assert list(reference.x) == [20.4] and reference.y == (
        f"Allocataires : familles monoparentales : 22,0{NBSP}%",
    )
    # the secret share keeps its row, labelled, with nothing drawn on it
    assert "60 ans ou plus : secret" in fig.layout.yaxis.categoryarray
    assert all("60 ans ou plus : secret" not in trace.y for trace in fig.data)
    assert fig.layout.yaxis.categoryarray[-1].startswith("Moins de 25 ans")  # the first row at the top
    assert "Indice de jeunesse" in fig.layout.title.text


def test_distribution_revenus_draws_the_quartier_next_to_its_commune():
    quartier = {"D1": (8383.0, False), "Q1": (None, True), "Médiane": (12000.0, False), "Q3": (15000.0, False),
                "D9": (20256.0, False), "Activité": (60.0, False), "Impôts (négatif)": (-5.2, False),
                "Patrimoine": (None, True)}  # fmt: skip
    commune = {"D1": (10000.0, False), "Q1": (14000.0, False), "Médiane": (19000.0, False),
               "Q3": (25000.0, False), "D9": (35000.0, False), "Activité": (70.0, False)}  # fmt: skip
    fig = ff.distribution_revenus(
        [
            ("Quartier", "quartier (données 2014)", quartier),
            ("Commune entière", "ensemble de la commune (données 2014)", commune),
        ],
        ["D1", "Q1", "Médiane", "Q3", "D9"],
        ["Activité", "Patrimoine", "Impôts (négatif)"],
        "Distribution des revenus (millésime 2018)",
    )
    lines = {
        t.name: t for t in fig.data if t.type == "scatter" and "markers" in t.mode and t.xaxis in (None, "x")
    }
    mine = lines["quartier (données 2014)"]
    assert list(mine.x) == [8383.0, 12000.0, 15000.0, 20256.0]  # the secret Q1 is not drawn
    assert mine.y[0] == "Quartier (secret : Q1)"
    assert list(lines["ensemble de la commune (données 2014)"].x) == [
        10000.0,
        14000.0,
        19000.0,
        25000.0,
        35000.0,
    ]
    composition = bars(fig.to_plotly_json(), "x2")
    assert composition == {f"Activité : 60,0{NBSP}%": 60.0, f"Impôts (négatif) : -5,2{NBSP}%": -5.2}
    assert "Patrimoine : secret" in fig.layout.yaxis2.categoryarray


def test_revenus_series_take_the_commune_then_the_epci():
    values = {"revenu_d1_uc": (8383.0, False, 2014), "revenu_d9_uc": (20256.0, False, 2014)}
    reference = {"revenu_d1_uc": (10000.0, False, 2014), "revenu_d9_uc": (30000.0, False, 2014)}
    data = fiches.GroupData({}, {}, {("QP1", 2018, "commune"): reference, ("QP1", 2018, "epci"): reference,
                                     ("QP2", 2018, "epci"): reference}, {}, {})  # fmt: skip
    series, _, note = fiches._revenus(values, data, "QP1", 2018)
    assert [s[1] for s in series] == ["quartier (données 2014)", "ensemble de la commune (données 2014)"]
    assert series[1][2] == {"D1": (10000.0, False), "D9": (30000.0, False)}
    assert "France métropolitaine" in note  # the missing reference is said
    series, _, note = fiches._revenus(values, data, "QP2", 2018)
    assert [s[1] for s in series] == ["quartier (données 2014)", "ensemble de l'EPCI (données 2014)"]
    assert "ensemble de la commune" in note


def test_distribution_groupe_counts_secret_and_draws_the_reference():
    df = pd.DataFrame(
        {
            "code_qp": ["QP1", "QP2", "QP3", "QP1", "QP2", "QP3"],
            "lib_qp": ["Un", "Deux", "<b>Trois</b>", "Un", "Deux", "<b>Trois</b>"],
            "indicateur": ["a"] * 3 + ["b"] * 3,
            "valeur": [10.0, None, 30.0, 5.0, 6.0, 7.0],
            "secret": [False, True, False, False, False, False],
        }
    )
    fig = ft.distribution_groupe(df, [("a", "Niveau A"), ("b", "Niveau B")], "Titre", "Part (%)", "%",
                                 [("a", 20.0, "Ensemble des QPV")])  # fmt: skip
    box_a, box_b, reference = fig.data
    assert list(box_a.x) == [10.0, 30.0] and box_a.name == "Niveau A (2 quartiers, 1 secrets)"
    assert list(box_b.x) == [5.0, 6.0, 7.0] and "secret" not in box_b.name
    assert "&lt;b&gt;Trois&lt;/b&gt; (QP3)" in box_a.text
    assert list(reference.x) == [20.0] and list(reference.y) == [box_a.name]
    assert list(fig.layout.yaxis.categoryarray) == [box_b.name, box_a.name]


def test_plain_rows_csv_is_written_as_pandas_writes_it(tmp_path):
    from dashboards.site import write_csv

    columns = ["serie", "indicateur", "millesime", "valeur", "secret"]
    rows = [("quartier", "part_femmes", 2021, 55.2, False), ("quartier", "a;b", 2021, None, True),
            ('le "x"', "revenu_d1_uc", 2018, -8383.5, False)]  # fmt: skip
    ctx = SiteContext(con=None, out_dir=tmp_path)
    plain = (tmp_path / write_csv(ctx, (columns, rows), "plain")).read_bytes()
    frame = (tmp_path / write_csv(ctx, pd.DataFrame(rows, columns=columns), "frame")).read_bytes()
    assert plain == frame
    assert plain.decode("utf-8-sig").splitlines()[1:3] == [
        "quartier;part_femmes;2021;55,2;False",
        'quartier;"a;b";2021;;True',
    ]


# ---------------------------------------------------------------------------------------------- pages


def _render(warehouse: Path, out: Path, territoire: list[str] | None = None) -> dict[str, str]:
    with connection(warehouse, read_only=True) as con:
        ctx = SiteContext(con=con, out_dir=out, territoire=territoire, png=False)
        pages = fiches.render(ctx) + idr.render(ctx)
    return {p.file: (out / p.file).read_text(encoding="utf-8") for p in pages}


def _secret_cell(warehouse: Path, key: str, geographie: str = "qpv2015") -> tuple[str, str] | None:
    """A quartier and an indicator of the group's chart that is secret in the edition the fiche shows (the latest
    with a published value of the chart), found in the marts."""
    rows = query(
        warehouse,
        """
        with main as (
            select * from marts.indicateurs_qpv
            where geographie = ? and list_contains(?::varchar[], indicateur)
        ),
        latest as (
            select code_qp, max(millesime) as millesime from main where not secret and valeur is not null group by all
        )
        select main.code_qp, main.indicateur from main join latest using (code_qp, millesime)
        where main.secret order by 1, 2 limit 1
        """,
        [geographie, MAIN[key]],
    )
    return rows[0] if rows else None


@pytest.fixture(scope="module")
def demo_pages(demo_warehouse: Path, tmp_path_factory) -> dict[str, str]:
    return _render(demo_warehouse, tmp_path_factory.mktemp("indicateurs_25"))


def _demo_quartier(demo_warehouse: Path) -> str:
    return query(
        demo_warehouse,
        "select code_qp from marts.indicateurs_qpv where indicateur = 'part_0_24_ans' and not secret "
        "and geographie = 'qpv2015' order by code_qp limit 1",
    )[0][0]


def test_demo_fiche_draws_each_group_with_the_mart_values(demo_pages, demo_warehouse):
    code = _demo_quartier(demo_warehouse)
    html = demo_pages[f"fiches/{code}.html"]
    for key in ("insertion", "demographie"):
        check_bar_group(html, demo_warehouse, code, key)
    millesime, values = expected(demo_warehouse, code, "revenus")
    fig = figure(html, "groupe-revenus")
    quartier = next(t for t in fig["data"] if t.get("name", "").startswith("quartier (données"))
    shown = [values[c][0] for c, _ in qf.QUANTILES_REVENU if c in values and not values[c][1]]
    assert quartier["x"] == pytest.approx(shown)
    annee = values["revenu_median_uc"][2]
    assert quartier["name"] == f"quartier (données {annee})"
    assert f"données {annee}" in caption(html, "groupe-revenus")
    metropole = query(
        demo_warehouse,
        "select indicateur, valeur_reference from marts.ecarts_qpv where code_qp = ? and millesime = ? "
        "and perimetre_reference = 'ensemble' and type_reference = 'france_metropolitaine'",
        [code, millesime],
    )
    if metropole:
        refs = dict(metropole)
        trace = next(t for t in fig["data"] if t.get("name", "").startswith("France métropolitaine (données"))
        assert trace["x"] == pytest.approx([refs[c] for c, _ in qf.QUANTILES_REVENU if c in refs])


@pytest.mark.parametrize("key", ["insertion", "demographie", "revenus"])
def test_demo_fiche_shows_secret_never_zero(demo_pages, demo_warehouse, key):
    found = _secret_cell(demo_warehouse, key)
    if found is None:
        pytest.skip(f"no secret value in the demo for the group {key}")
    code, indicator = found
    fig = figure(demo_pages[f"fiches/{code}.html"], f"groupe-{key}")
    if key == "revenus":
        label = LABELS[indicator]
        rows = fig["layout"]["yaxis"]["categoryarray"] + fig["layout"]["yaxis2"]["categoryarray"]
        assert any("secret" in r and label in r for r in rows), rows
    else:
        label = row_label(indicator, None, True)
        assert label in fig["layout"]["yaxis"]["categoryarray"]
        assert label not in bars(fig)


def test_demo_fiche_2024_has_a_note_and_no_chart(demo_pages):
    code = next(f for f in demo_pages if f.startswith("fiches/QN"))
    html = unescape(demo_pages[code])
    assert 'id="groupe-' not in html
    assert html.count("ces indicateurs ne sont publiés qu'en géographie 2015") == 3


def test_demo_theme_page_distributions(demo_pages, demo_warehouse):
    html = demo_pages[idr.FILE]
    index_entry = "Insertion, démographie et revenus"
    assert f"<h1>{index_entry}</h1>" in html and 'src="plotly.min.js"' in html
    _check_theme_page(html, demo_warehouse)


def _check_theme_page(html: str, warehouse: Path) -> None:
    for key, codes in (
        ("insertion", MAIN["insertion"]),
        ("demographie", ["part_0_24_ans", "part_60_ans_plus", "part_etrangers"]),
        ("revenus", ["revenu_d1_uc", "revenu_median_uc", "revenu_d9_uc"]),
    ):
        fig = figure(html, f"distribution-{key}")
        millesime = query(
            warehouse,
            "select max(millesime) from marts.indicateurs_qpv where geographie = 'qpv2015' "
            "and list_contains(?::varchar[], indicateur) and not secret and valeur is not null",
            [[c for c, _ in _lines(key)]],
        )[0][0]
        assert f"(millésime {millesime})" in fig["layout"]["title"]["text"]
        boxes = [t for t in fig["data"] if t["type"] == "box"]
        for code in codes:
            published = sorted(
                v
                for (v,) in query(
                    warehouse,
                    "select valeur from marts.indicateurs_qpv where geographie = 'qpv2015' and indicateur = ? "
                    "and millesime = ? and not secret and valeur is not null",
                    [code, millesime],
                )
            )
            secrets = query(
                warehouse,
                "select count(*) from marts.indicateurs_qpv where geographie = 'qpv2015' and indicateur = ? "
                "and millesime = ? and (secret or valeur is null)",
                [code, millesime],
            )[0][0]
            box = next(
                b for b in boxes if b["name"].startswith(next(lab for c, lab in _lines(key) if c == code))
            )
            assert sorted(box["x"]) == pytest.approx(published)
            assert (f"{secrets} secrets" in box["name"]) == bool(secrets)
        if key == "insertion":
            france = dict(
                query(
                    warehouse,
                    "select indicateur, valeur from marts.indicateurs_territoire where type_territoire = 'france' "
                    "and perimetre = 'qpv' and geographie = 'qpv2015' and millesime = ? and not secret "
                    "and list_contains(?::varchar[], indicateur)",
                    [millesime, codes],
                )
            )
            reference = next(t for t in fig["data"] if t["type"] == "scatter")
            assert sorted(reference["x"]) == pytest.approx(sorted(france.values()))
        if key == "revenus":
            annee = query(
                warehouse,
                "select max(annee_reference) from marts.indicateurs_qpv where indicateur = 'revenu_median_uc' "
                "and geographie = 'qpv2015' and millesime = ?",
                [millesime],
            )[0][0]
            metro = query(
                warehouse,
                "select valeur from marts.references_territoire where type_territoire = 'france_metropolitaine' "
                "and indicateur = 'revenu_median_uc' and annee_reference = ?",
                [annee],
            )
            if metro:
                reference = next(t for t in fig["data"] if t["type"] == "scatter")
                assert reference["name"] == f"France métropolitaine (données {annee})"
                assert metro[0][0] == pytest.approx(reference["x"][1])


def _lines(key: str) -> tuple:
    return next(g[2] for g in idr.GROUPES if g[0] == key)


def test_theme_page_is_linked_from_the_index(demo_warehouse, tmp_path):
    from dashboards.render import render_all

    files = render_all(demo_warehouse, tmp_path / "site", png=False, fiches=False)
    index = files[0].read_text(encoding="utf-8")
    assert f'href="{idr.FILE}"' in index and "Insertion, démographie et revenus" in index


# ---------------------------------------------------------------------------------------------- real data

OLIVEAUX = "QP059077"


@pytest.fixture(scope="module")
def real_pages(real_warehouse: Path, tmp_path_factory) -> tuple[dict[str, str], str | None]:
    found = _secret_cell(real_warehouse, "demographie")
    codes = [OLIVEAUX, *([found[0]] if found else [])]
    return _render(real_warehouse, tmp_path_factory.mktemp("indicateurs_25_real"), codes), found


def test_real_fiche_les_oliveaux(real_pages, real_warehouse):
    pages, _ = real_pages
    html = pages[f"fiches/{OLIVEAUX}.html"]
    assert "Les Oliveaux" in html
    demographie = check_bar_group(html, real_warehouse, OLIVEAUX, "demographie")
    if expected(real_warehouse, OLIVEAUX, "demographie")[0] == 2021:  # the values the issue quotes
        assert demographie["part_femmes"][0] == pytest.approx(55.2)
        assert (
            f"Femmes : 55,2{NBSP}%" in figure(html, "groupe-demographie")["layout"]["yaxis"]["categoryarray"]
        )
        assert f"Moins de 25 ans : 37,8{NBSP}%" in bars(figure(html, "groupe-demographie"))
    jeunesse = demographie.get("indice_jeunesse")
    if jeunesse and not jeunesse[1]:
        assert (
            f"Indice de jeunesse (habitants de moins de 20 ans pour un habitant de 60 ans ou plus) : {fr(jeunesse[0])}"
            in (caption(html, "groupe-demographie"))
        )
    # insertion: the latest edition with a published education level, not merely the latest edition
    insertion = check_bar_group(html, real_warehouse, OLIVEAUX, "insertion")
    assert insertion
    # income distribution: the quartier's D1…D9 and France métropolitaine of the same year of data
    millesime, values = expected(real_warehouse, OLIVEAUX, "revenus")
    fig = figure(html, "groupe-revenus")
    quartier = next(t for t in fig["data"] if t.get("name", "").startswith("quartier (données"))
    assert quartier["x"] == pytest.approx([values[c][0] for c, _ in qf.QUANTILES_REVENU])
    assert quartier["name"] == f"quartier (données {values['revenu_d1_uc'][2]})"
    refs = {
        (kind, ind): v
        for kind, ind, v in query(
            real_warehouse,
            "select type_reference, indicateur, valeur_reference from marts.ecarts_qpv where code_qp = ? "
            "and millesime = ? and perimetre_reference = 'ensemble'",
            [OLIVEAUX, millesime],
        )
    }
    names = [t.get("name", "") for t in fig["data"]]
    if ("commune", "revenu_d1_uc") in refs:
        commune = next(
            t for t in fig["data"] if t.get("name", "").startswith("ensemble de la commune (données")
        )
        assert commune["x"][0] == pytest.approx(refs[("commune", "revenu_d1_uc")])
    else:
        assert not any(n.startswith("ensemble de la commune") for n in names)
        assert "ensemble de la commune" in fig["layout"]["title"]["text"]  # said missing
    metro = next(t for t in fig["data"] if t.get("name", "").startswith("France métropolitaine (données"))
    assert metro["x"][0] == pytest.approx(refs[("france_metropolitaine", "revenu_d1_uc")])
    composition = bars(fig, "x2")
    assert composition[f"Activité : {fr(values['part_revenus_activite'][0])}{NBSP}%"] == pytest.approx(
        values["part_revenus_activite"][0]
    )


def test_real_fiche_les_oliveaux_2018_income_values(real_warehouse):
    """The values the issue quotes for the 2018 edition are the marts' (the fiche shows the latest edition)."""
    rows = dict(
        query(
            real_warehouse,
            "select indicateur, valeur from marts.indicateurs_qpv where code_qp = ? and millesime = 2018 "
            "and indicateur in ('revenu_d1_uc', 'revenu_d9_uc')",
            [OLIVEAUX],
        )
    )
    assert rows == {"revenu_d1_uc": pytest.approx(8383), "revenu_d9_uc": pytest.approx(20256)}


def test_real_fiche_secret_share(real_pages, real_warehouse):
    pages, found = real_pages
    if found is None:
        pytest.skip("no secret share in the real data")
    code, indicator = found
    fig = figure(pages[f"fiches/{code}.html"], "groupe-demographie")
    label = row_label(indicator, None, True)
    assert label in fig["layout"]["yaxis"]["categoryarray"] and label not in bars(fig)


def test_real_theme_page_all_quartiers(real_warehouse, tmp_path):
    with connection(real_warehouse, read_only=True) as con:
        ctx = SiteContext(con=con, out_dir=tmp_path, png=False)
        (page,) = idr.render(ctx)
    _check_theme_page((tmp_path / page.file).read_text(encoding="utf-8"), real_warehouse)
