"""Key figures first (issue 24): the home page opens with, for the latest edition of each theme, the number of QPV
and their population, job seekers, poverty, non-recours and ESS (where present) for all the QPV — the aggregates of
marts.indicateurs_territoire (type 'france') —, next to France métropolitaine when the warehouse has it, each with
its source and the year of its data (annee_reference, never the edition label alone); only published values."""

from __future__ import annotations

import html
import re

import pytest

from dashboards.figures_fiche import fr_value
from tests import pages_fixtures
from tests.conftest import query

demo_site = pages_fixtures.demo_site  # the sites rendered once per session
real_site = pages_fixtures.real_site


@pytest.fixture(params=["demo", "real"])
def site_and_warehouse(request):
    return (
        request.getfixturevalue(f"{request.param}_site"),
        request.getfixturevalue(f"{request.param}_warehouse"),
    )


def _rows(index: str) -> list[list[str]]:
    table = re.search(r'<table class="chiffres-cles">(.*?)</table>', index, re.S).group(1)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", c))
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    ]


def test_the_home_page_opens_with_the_key_figures_with_source_and_data_year(site_and_warehouse):
    site, warehouse = site_and_warehouse
    index = (site / "index.html").read_text(encoding="utf-8")
    main = index[index.index("<main") :]
    assert main.index("Chiffres clés") < main.index("<h2>Pages</h2>")  # the figures first, then the pages
    rows = _rows(index)
    labels = [r[0] for r in rows]
    assert any(label.startswith("Quartiers prioritaires (QPV 2024)") for label in labels)
    assert any(label.startswith("Quartiers prioritaires (QPV 2015)") for label in labels)
    for theme_label in (
        "Population municipale",
        "Demandeurs d'emploi",
        "Taux de pauvreté",
        "Non-recours estimé",
    ):
        assert any(label.startswith(theme_label) for label in labels), (theme_label, labels)
    expected = query(
        warehouse,
        """
        select indicateur, geographie, valeur, unite, millesime from marts.indicateurs_territoire
        where type_territoire = 'france' and not secret and indicateur in ('population', 'demandeurs_emploi_abc',
              'indicateur_chomage_abc', 'non_recours_rsa_estime', 'emplois_ess')
        qualify millesime = max(millesime) over (partition by indicateur, geographie)
        """,
    )
    assert expected
    for indicateur, geographie, valeur, unite, millesime in expected:
        label = query(warehouse, "select libelle from marts.ref_indicateurs where code = ?", [indicateur])[0][
            0
        ]
        geo = "QPV 2024" if geographie == "qpv2024" else "QPV 2015"
        row = next(r for r in rows if r[0] == f"{label} ({geo})")
        assert row[1].startswith(fr_value(valeur, unite)), row
        assert f"millésime {millesime}, données " in row[3], row  # the data year, not the edition alone
        years = query(
            warehouse,
            "select distinct annee_reference from marts.indicateurs_qpv where indicateur = ? and geographie = ? "
            "and millesime = ? and annee_reference is not null",
            [indicateur, geographie, millesime],
        )
        assert all(str(y) in row[3] for (y,) in years), row
    for row in rows[2:]:
        assert "Source" in row[3] or "ANCT" in row[3] or "INSEE" in row[3], row
        assert "données " in row[3] or "données " in row[2], row
    assert "secret" not in " ".join(" ".join(r) for r in rows)


def test_the_key_figures_are_published_values_only(site_and_warehouse):
    """A secret aggregate is never shown: every number of the table is one of the published (secret = false)
    aggregates, a count of QPV, a whole-territory reference or the poverty rate computed from published values."""
    site, warehouse = site_and_warehouse
    secret = query(
        warehouse,
        "select indicateur, geographie, millesime from marts.indicateurs_territoire "
        "where type_territoire = 'france' and secret",
    )
    rows = _rows((site / "index.html").read_text(encoding="utf-8"))
    for indicateur, geographie, millesime in secret:
        label = query(warehouse, "select libelle from marts.ref_indicateurs where code = ?", [indicateur])[0][
            0
        ]
        geo = "QPV 2024" if geographie == "qpv2024" else "QPV 2015"
        for row in rows:
            if row[0] == f"{label} ({geo})":
                assert f"millésime {millesime}," not in row[3], row
