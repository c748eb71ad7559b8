"""Every quartier findable (issue 24): a fiche for every QPV of both geographies that has anything to show, a search
box on every page (offline index recherche.js: name, code, commune, EPCI; case and accents ignored; keyboard) leading
to the fiche, the 2024 fiches with their perimeter and the quartiers of the other geography; one stylesheet, header,
navigation and footer (sources, years of the data, date of the last refresh) for all pages. On the demo and on the
pages built from the real extracts (Chromium for the search box)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import pages_fixtures
from tests.conftest import query
from tests.pages_fixtures import search_in_browser, search_index
from tests.test_dashboards_browser import CHROMIUM

browser = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")

QPV_OF_THE_MARTS = """
    select distinct code_qp, geographie from (
        select code_qp, geographie from marts.indicateurs_qpv
        union all select code_qp, geographie from marts.qpv_territoires
        union all select code_qp, geographie from marts.qpv_perimetres
    )
"""

demo_site = pages_fixtures.demo_site  # the sites rendered once per session
real_site = pages_fixtures.real_site


@pytest.fixture(params=["demo", "real"])
def site_and_warehouse(request) -> tuple[Path, Path]:
    return (
        request.getfixturevalue(f"{request.param}_site"),
        request.getfixturevalue(f"{request.param}_warehouse"),
    )


def test_a_fiche_and_a_search_entry_for_every_qpv_of_both_geographies(site_and_warehouse):
    site, warehouse = site_and_warehouse
    expected = {(code, geographie) for code, geographie in query(warehouse, QPV_OF_THE_MARTS)}
    fiches = {p.stem for p in (site / "fiches").glob("*.html") if p.name != "index.html"}
    assert fiches == {code for code, _ in expected}
    indexed = {(e[0], e[2]) for e in search_index(site)}
    assert indexed == expected
    by_geography = {g: sum(1 for _, geo in expected if geo == g) for g in ("qpv2015", "qpv2024")}
    assert by_geography["qpv2015"] > 0 and by_geography["qpv2024"] > 0
    if warehouse.parent.name != "session_demo":  # the real extracts: 1,609 QPV 2024 and 1,400 QPV 2015
        assert by_geography == {"qpv2015": 1400, "qpv2024": 1609}


def test_every_page_shares_one_stylesheet_header_navigation_and_footer(site_and_warehouse):
    site, warehouse = site_and_warehouse
    published = query(warehouse, "select published_at from meta.publication")[0][0]
    refresh = published.astimezone().strftime("%d/%m/%Y à %H:%M")
    pages = sorted(site.rglob("*.html"))
    for page in pages[:: max(1, len(pages) // 200)] + [site / "index.html"]:
        text = page.read_text(encoding="utf-8")
        root = "../" * len(page.relative_to(site).parts[:-1])
        assert text.count('rel="stylesheet"') == 1 and f'href="{root}style.css"' in text, page
        assert "<style" not in text, page  # no page-level stylesheet
        assert text.count('<header class="site-entete">') == 1, page
        assert 'aria-label="Navigation principale"' in text, page
        assert f'<script src="{root}recherche.js" defer></script>' in text, page
        assert 'role="combobox"' in text and 'role="listbox"' in text and 'aria-live="polite"' in text, page
        footer = text[text.index('<footer class="site-pied">') :]
        assert "Sources : " in footer and "Années des données : " in footer, page
        assert f"Dernière actualisation de l'entrepôt : {refresh}" in footer, page
        for href in re.findall(r'<nav class="site-nav".*?</nav>', text, re.S)[0].split('href="')[1:]:
            assert (page.parent / href.split('"')[0]).exists(), f"{page}: broken navigation link {href}"
    assert (site / "style.css").stat().st_size > 500


def test_the_search_index_ignores_case_and_accents(demo_site):
    entries = search_index(demo_site)
    accented = next(e for e in entries if re.search(r"[éèêàçôî]", e[1]))
    assert accented[6] == re.sub(r"[^a-z0-9]+", " ", accented[6]).strip()
    assert not re.search(r"[^a-z0-9 ]", accented[5])
    assert accented[0].lower() in accented[5] and accented[6] in accented[5]


def test_a_2024_fiche_has_its_perimeter_commune_epci_and_the_2015_quartiers(real_site, real_warehouse):
    fiche = (real_site / "fiches" / "QN05975M.html").read_text(encoding="utf-8")
    assert "Les Oliveaux (QN05975M)" in fiche
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in fiche and re.search(
        r'<path fill-rule="evenodd" d="M[\d.]+ ', fiche
    )
    assert "commune principale : Loos" in fiche and "EPCI : Métropole Européenne de Lille" in fiche
    assert '<a href="QP059077.html">Les Oliveaux (QP059077)</a>' in fiche  # the 2015 quartiers of its commune
    back = (real_site / "fiches" / "QP059077.html").read_text(encoding="utf-8")
    assert '<a href="QN05975M.html">Les Oliveaux (QN05975M)</a>' in back  # and back
    perimeters = query(
        real_warehouse, "select count(*) from marts.qpv_perimetres where geometry is not null"
    )[0][0]
    drawn = sum(
        "<svg xmlns" in p.read_text(encoding="utf-8") for p in (real_site / "fiches").glob("QN*.html")
    )
    assert drawn == perimeters


@browser
def test_search_finds_les_oliveaux_and_opens_its_fiche_real(real_site, tmp_path):
    seen = search_in_browser(tmp_path, real_site / "index.html", "les oliveaux", "QP059077")
    assert int(seen["options"]) >= 2 and seen["expanded"] == "true", seen
    assert "quartiers trouvés" in seen["status"], seen
    assert seen["selected"] == "QP059077", seen
    assert seen["opened"].endswith("/fiches/QP059077.html"), seen
    assert seen["title"].startswith("Les Oliveaux (QP059077)"), seen


@browser
def test_search_from_a_fiche_by_commune_without_accents_opens_a_2024_fiche_real(real_site, tmp_path):
    seen = search_in_browser(tmp_path, real_site / "fiches" / "QP059077.html", "LOOS oliveaux", "QN05975M")
    assert seen["selected"] == "QN05975M", seen
    assert seen["opened"].endswith("/fiches/QN05975M.html"), seen
    assert "QN05975M" in seen["title"], seen


@browser
def test_search_ignores_case_and_accents_and_enter_opens_the_first_result_demo(demo_site, tmp_path):
    entry = next(e for e in search_index(demo_site) if re.search(r"[éèêàçôî]", e[1]))
    typed = entry[6].upper()  # no accent, upper case
    seen = search_in_browser(tmp_path, demo_site / "pauvrete.html", typed, None)
    assert int(seen["options"]) >= 1 and seen["selected"] == "none", seen
    same_name = {e[0] for e in search_index(demo_site) if e[6] == entry[6]}
    assert any(seen["opened"].endswith(f"/fiches/{code}.html") for code in same_name), seen
    assert seen["title"].startswith(entry[1]), seen
