"""Dashboards: pure figure functions, pages written offline, and a real headless Chromium drawing them."""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest

from dashboards import figures
from dashboards.render import PLOTLY_JS, render_all

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


def test_pages_are_offline_and_reference_local_plotly(real_warehouse, tmp_path):
    written = render_all(real_warehouse, tmp_path)
    assert {p.name for p in written} == {"index.html", "pauvrete.html", PLOTLY_JS}
    page = (tmp_path / "pauvrete.html").read_text()
    assert 'lang="fr"' in page and f'src="{PLOTLY_JS}"' in page
    assert "cdn.plot.ly" not in page and "https://" not in page.split("<body>")[0]
    assert 'href="pauvrete.html"' in (tmp_path / "index.html").read_text()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed (.ci/run installs it)")
def test_chromium_draws_the_page(real_warehouse, tmp_path):
    from PIL import Image

    render_all(real_warehouse, tmp_path)
    shot = tmp_path / "shot.png"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1300,1600",
         "--virtual-time-budget=5000", (tmp_path / "pauvrete.html").as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200, "the page looks blank"
    # the bar chart's colour (#000091) is drawn: plotly ran offline
    assert any(rgb == (0, 0, 145) and n > 500 for n, rgb in colours)
