"""Dashboards: pure figure functions, pages written offline, the map, the home page, --territoire.

The real-browser checks are in tests/test_dashboards_browser.py."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from dashboards import figures, figures_carte
from dashboards.render import PLOTLY_JS, render_all
from dashboards.territoire import TerritoireError, resolve
from pipelines.warehouse.connection import connection

DATA = pd.DataFrame(
    {
        "code_qp": ["QP059001", "QP059002", "QP059001", "QP059002", "QP059003"],
        "lib_qp": ["Les Tilleuls", "La Gare", "Les Tilleuls", "La Gare", "Secret"],
        "geographie": "qpv2015",
        "millesime": [2019, 2019, 2021, 2021, 2021],
        "taux_pauvrete_60": [40.0, 55.5, 42.0, 50.0, None],
        "revenu_median_uc": [13000.0, 11000.0, 13200.0, 11500.0, None],
    }
)


def test_distribution_has_one_box_per_edition_in_french():
    fig = figures.distribution_pauvrete(DATA)
    assert [t.name for t in fig.data] == ["2019", "2021"]
    assert list(fig.data[1].y) == [42.0, 50.0]  # the secret QPV is not drawn as a value
    assert fig.layout.separators == ", " and "Millésime" in fig.layout.xaxis.title.text


def test_ranking_uses_the_latest_edition():
    fig = figures.classement_pauvrete(DATA, n=1)
    assert list(fig.data[0].x) == [50.0] and "millésime 2021" in fig.layout.title.text


def test_empty_data_gives_a_message_not_an_error():
    fig = figures.pauvrete_revenu(DATA.iloc[0:0])
    assert fig.layout.annotations[0].text == "Aucune valeur publiée"


def _square(x: float, y: float, clockwise: bool = True) -> str:
    ring = [[x, y], [x, y + 0.01], [x + 0.01, y + 0.01], [x + 0.01, y], [x, y]]
    return json.dumps({"type": "Polygon", "coordinates": [ring if clockwise else ring[::-1]]})


PERIMETRES = pd.DataFrame(
    {
        "code_qp": ["QN05901M", "QN05902M", "QN05903M", "QN05904M"],
        "lib_qp": ["Les Tilleuls", "La Gare", "<script>alert(1)</script>", "Le Parc"],
        "geometry": [_square(3.0, 50.0), _square(3.02, 50.0), _square(3.04, 50.0), _square(3.06, 50.0)],
    }
)
VALEURS = pd.DataFrame(
    {
        "code_qp": ["QN05901M", "QN05902M", "QN05903M"],
        "valeur": [41.12, 13474.0, None],
        "secret": [False, False, True],
    }
)


def test_french_number_format():
    assert figures_carte.format_fr(41.12, "%") == "41,1\u00a0%"
    assert figures_carte.format_fr(13474.4, "€") == "13\u202f474\u00a0€"
    assert figures_carte.format_fr(1234567, "nombre") == "1\u202f234\u202f567"
    assert figures_carte.format_fr(None, "%") == "non disponible"


def test_map_draws_secret_in_grey_never_as_a_value():
    fig = figures_carte.carte(PERIMETRES, VALEURS, "Part de l'ESS", "%", 2025)
    valeurs, secret, absent, reperes = fig.data
    assert list(valeurs.locations) == ["QN05901M", "QN05902M"] and list(valeurs.z) == [41.12, 13474.0]
    assert "QN05903M" not in valeurs.locations  # the secret QPV has no value on the colour scale
    assert list(secret.locations) == ["QN05903M"] and secret.name == "secret" and secret.showlegend
    assert "secret" in secret.text[0] and "0" not in secret.text[0].split("<br>")[1]
    assert secret.colorscale[0][1] == figures_carte.SECRET_COLOUR and not secret.showscale
    assert list(absent.locations) == ["QN05904M"] and absent.name == "non disponible"
    assert "41,1\u00a0%" in valeurs.text[0] and "Millésime 2025" in valeurs.text[0]
    assert fig.layout.title.text == "Part de l'ESS — millésime 2025" and fig.layout.separators == ", "
    assert valeurs.colorscale == figures.go.Choropleth(colorscale="Viridis").colorscale
    assert reperes.type == "scattergeo" and len(reperes.lon) == len(PERIMETRES)  # a marker per QPV
    assert fig.layout.geo.fitbounds is False and fig.layout.geo.lonaxis.range[0] < 3.0  # view on the QPV
    ids = [f["id"] for f in valeurs.geojson["features"]]
    assert ids == list(PERIMETRES["code_qp"])


def _is_clockwise(ring: list[list[float]]) -> bool:
    # shoelace: positive sum of (x2 - x1)(y2 + y1) = clockwise in lon/lat
    return sum((b[0] - a[0]) * (b[1] + a[1]) for a, b in zip(ring, ring[1:], strict=False)) > 0


def _polygons(geometry: dict) -> list:
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


@pytest.fixture(scope="module")
def demo_site(demo_warehouse, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dash") / "dashboards"
    render_all(demo_warehouse, out, png=False, fiches=True)
    return out


def test_perimeter_mart_has_every_2024_qpv_with_clockwise_outer_rings(demo_warehouse):
    raw = json.loads((demo_warehouse.parent / "data/anct_qpv2024/qpv2024_simplified.geojson").read_text())
    expected = {f["properties"]["code_qp"]: f["properties"] for f in raw["features"]}
    with connection(demo_warehouse, read_only=True) as con:
        rows = con.execute(
            "select code_qp, code_commune, code_epci, geometry from marts.qpv_perimetres"
        ).fetchall()
    assert {r[0] for r in rows} == set(expected)
    for code, commune, epci, geometry in rows:
        assert commune in expected[code]["insee_com"].split(", ") and epci in expected[code]["siren_epci"]
        for polygon in _polygons(json.loads(geometry)):
            assert _is_clockwise(polygon[0]), code
            assert all(not _is_clockwise(hole) for hole in polygon[1:]), code


def test_map_page_is_offline_with_every_perimeter_and_escaped_names(demo_warehouse, demo_site):
    raw = json.loads((demo_warehouse.parent / "data/anct_qpv2024/qpv2024_simplified.geojson").read_text())
    page = (demo_site / "carte.html").read_text()
    head = page.split("<body>")[0]
    assert "window.PlotlyGeoAssets" in head and f'src="{PLOTLY_JS}"' in head and "https://" not in head
    assert "cdn.plot.ly" not in page and "topojsonURL" not in page
    for feature in raw["features"]:
        assert f'"id":"{feature["properties"]["code_qp"]}"' in page
    assert page.count('"type":"FeatureCollection"') == 1  # the perimeters are embedded once
    assert "</script>" not in page.split("var perimetres = ")[1].split("\n")[0]
    assert (demo_site / "donnees/carte_qpv2024.csv").exists()
    assert "secret (valeur non diffusée)" in page and "géographie 2015" in page


def test_home_page_links_every_page_and_lists_the_editions(demo_warehouse, demo_site):
    index = (demo_site / "index.html").read_text()
    pages = sorted(
        p.relative_to(demo_site).as_posix() for p in demo_site.glob("*.html") if p.name != "index.html"
    )
    assert "carte.html" in pages
    for page in pages:
        assert f'href="{page}"' in index, page
    if (demo_site / "fiches/index.html").exists():
        assert 'href="fiches/index.html"' in index
    assert 'href="../data_docs/index.html"' in index
    for theme in ("Chômage", "Pauvreté", "Non-recours", "Économie sociale et solidaire"):
        assert theme in index
    assert "2017, 2019, 2021" in index  # the three ANCT editions of the demo (DEMO/IPRO/REVN files)
    assert "Dernière actualisation" in index and "inconnue" not in index


def test_territoire_resolves_commune_epci_and_codes(demo_warehouse):
    raw = json.loads((demo_warehouse.parent / "data/anct_qpv2024/qpv2024_simplified.geojson").read_text())
    by_epci: dict[str, set[str]] = {}
    for f in raw["features"]:
        by_epci.setdefault(f["properties"]["siren_epci"], set()).add(f["properties"]["code_qp"])
    epci, codes_2024 = sorted(by_epci.items())[0]
    with connection(demo_warehouse, read_only=True) as con:
        resolved = resolve(con, epci)
        assert {c for c in resolved if c.startswith("QN")} == codes_2024
        assert any(c.startswith("QP") for c in resolved)  # the 2015 QPV of the same EPCI too
        single = next(f["properties"] for f in raw["features"] if "," not in f["properties"]["insee_com"])
        assert single["code_qp"] in resolve(
            con, single["insee_com"]
        )  # a one-commune QPV counts in its commune
        two = sorted(codes_2024)[:2]
        assert resolve(con, " , ".join(two).lower()) == two
        for bad in ("99999", "123456789", "QN00000X", "Paris"):
            with pytest.raises(TerritoireError, match="--territoire"):
                resolve(con, bad)


def test_cli_territoire_builds_only_its_qpv_and_rejects_unknown(demo_warehouse, tmp_path):
    import subprocess
    import sys

    raw = json.loads((demo_warehouse.parent / "data/anct_qpv2024/qpv2024_simplified.geojson").read_text())
    code = raw["features"][0]["properties"]["code_qp"]
    qpv = [sys.executable, "-m", "pipelines.cli.app"]
    ok = subprocess.run(
        [*qpv, "dashboards", "--warehouse", str(demo_warehouse), "--out", str(tmp_path / "d"), "--territoire", code],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    carte = (tmp_path / "d/carte.html").read_text()
    others = [f["properties"]["code_qp"] for f in raw["features"][1:]]
    assert f'"id":"{code}"' in carte and not any(f'"id":"{c}"' in carte for c in others)
    bad = subprocess.run(
        [*qpv, "dashboards", "--warehouse", str(demo_warehouse), "--out", str(tmp_path / "e"), "--territoire", "99999"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert (
        bad.returncode == 2 and "aucun quartier prioritaire" in bad.stderr and not (tmp_path / "e").exists()
    )
