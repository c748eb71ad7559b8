"""Issue 21 on the real extracts (`real_warehouse`): the fiche quartier, the comparison page and the EPCI bundle show
the whole territory first (« Ensemble de la commune », « Ensemble de l'EPCI », « France métropolitaine », with the
year of the data) and the aggregate of the QPV second (« Quartiers prioritaires de la commune »…), never mixed; a
QPV alone in its commune is never compared with itself. Expected values are read from the marts and the
intermediate attachment table, independently of the page code."""

from __future__ import annotations

import csv
import re
from html import unescape
from pathlib import Path

import pytest

from dashboards import bundle, summary
from dashboards.pages import comparaison, fiches
from dashboards.site import SiteContext
from pipelines.domain import territoire as tc
from pipelines.warehouse.connection import connection
from tests.conftest import run_cli

NBSP = "\u00a0"
MEL = "200093201"
HEAD = 3  # Indicateur, Millésime, Quartier: then 3 whole territories, 3 QPV aggregates, Remarque


def fr(value: float, decimals: int) -> str:
    """The French format, written independently of the code under test (values here never end on a tie)."""
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", NBSP)


def rows(page: str) -> list[list[str]]:
    """Every body row of the page's tables (cells: tags stripped, entities decoded)."""
    return [
        [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    ]


@pytest.fixture(scope="module")
def alone(real_warehouse: Path) -> dict:
    """A QPV of the 2015 geography alone in its commune whose whole commune is known for the RSA share, with the
    mart's rows for that indicator (whole commune and QPV of France)."""
    with connection(real_warehouse, read_only=True) as con:
        row = con.execute(
            """
            with seuls as (
                select code_qp, code_commune from intermediate.int_territoires_qpv
                where geographie = 'qpv2015'
                  and code_commune in (
                      select code_commune from intermediate.int_territoires_qpv
                      where geographie = 'qpv2015' group by 1 having count(*) = 1
                  )
            )
            select e.code_qp, e.millesime, e.annee_reference, e.valeur, e.valeur_reference, s.code_commune
            from marts.ecarts_qpv e join seuls s using (code_qp)
            where e.perimetre_reference = 'ensemble' and e.type_reference = 'commune'
              and e.indicateur = 'part_allocataires_rsa' and not e.secret and not e.secret_reference
              and e.valeur is not null and e.valeur_reference is not null
            order by e.code_qp, e.millesime desc
            limit 1
            """
        ).fetchone()
        assert row is not None, (
            "the real extracts have a QPV alone in its commune with a whole-commune RSA share"
        )
        code, millesime, annee, valeur, reference, commune = row
        libelle = con.execute(
            "select libelle from marts.ref_indicateurs where code = 'part_allocataires_rsa'"
        ).fetchone()[0]
        own_aggregates = con.execute(
            "select count(*) from marts.ecarts_qpv where code_qp = ? and perimetre_reference = 'qpv' "
            "and type_reference = 'commune'",
            [code],
        ).fetchone()[0]
    return dict(code=code, millesime=millesime, annee=annee, valeur=valeur, reference=reference,
                commune=commune, libelle=libelle, own_aggregates=own_aggregates)  # fmt: skip


@pytest.fixture(scope="module")
def real_pages(real_warehouse: Path, alone: dict, tmp_path_factory) -> Path:
    """The fiches of a few QPV (the one alone in its commune, and all the QPV of Lille's 2015 geography) and the
    comparison page of all the QPV, rendered from the real warehouse."""
    out = tmp_path_factory.mktemp("references")
    with connection(real_warehouse, read_only=True) as con:
        lille = [r[0] for r in con.execute(
            "select code_qp from intermediate.int_territoires_qpv where geographie = 'qpv2015' "
            "and code_commune = '59350' order by 1").fetchall()]  # fmt: skip
        ctx = SiteContext(con=con, out_dir=out, territoire=[alone["code"], *lille], png=False)
        fiches.render(ctx)
        comparaison.render(SiteContext(con=con, out_dir=out, territoire=None, png=False))
    return out


def test_fiche_of_a_qpv_alone_compares_it_with_its_whole_commune(real_pages, alone):
    page = (real_pages / "fiches" / f"{alone['code']}.html").read_text(encoding="utf-8")
    text = unescape(page)
    # the whole territory first, then the QPV aggregate, each labelled
    assert text.index("Ensemble de la commune") < text.index("Quartiers prioritaires de la commune")
    assert text.index("France métropolitaine") < text.index("Ensemble des quartiers prioritaires")
    mine = [r for r in rows(page) if r and r[0] == alone["libelle"]]
    edition = f"{alone['millesime']} (données {alone['annee']})"
    row = next(r for r in mine if r[1] == edition)
    assert row[2] == f"{fr(alone['valeur'], 1)}{NBSP}%"
    # the acceptance line: the commune reference is the whole commune's, not the quartier's own value
    assert row[HEAD] == f"{fr(alone['reference'], 1)}{NBSP}% (données {alone['annee']})"
    assert round(alone["reference"], 1) != round(alone["valeur"], 1)
    # ... and the quartier is never compared with an aggregate of itself
    assert alone["own_aggregates"] == 0
    for r in mine:
        assert r[HEAD + 3] == "seul quartier", r
    for r in rows(page):
        if len(r) == HEAD + 7:  # a key table row: the commune's QPV aggregate is never a number for this QPV
            assert r[HEAD + 3] in ("seul quartier", "—"), r


def test_fiches_of_lille_show_both_references_in_their_order(real_pages, real_warehouse):
    with connection(real_warehouse, read_only=True) as con:
        expected = con.execute(
            """
            select code_qp, millesime, annee_reference, valeur_reference
            from marts.ecarts_qpv
            where perimetre_reference = 'ensemble' and type_reference = 'commune' and code_reference = '59350'
              and indicateur = 'revenu_median_uc' and valeur_reference is not null
            order by code_qp, millesime desc
            """
        ).fetchall()
        aggregates = dict(con.execute(
            "select millesime, valeur_reference from marts.ecarts_qpv where perimetre_reference = 'qpv' "
            "and type_reference = 'commune' and code_reference = '59350' and indicateur = 'part_allocataires_rsa' "
            "group by all").fetchall())  # fmt: skip
        libelles = dict(con.execute(
            "select code, libelle from marts.ref_indicateurs where code in "
            "('revenu_median_uc', 'part_allocataires_rsa')").fetchall())  # fmt: skip
    assert expected, "Lille's whole-commune median income is in the real extracts"
    code, millesime, annee, reference = expected[0]  # the latest edition comparable with the whole commune
    page = (real_pages / "fiches" / f"{code}.html").read_text(encoding="utf-8")
    row = next(
        r for r in rows(page)
        if r and r[0] == libelles["revenu_median_uc"] and r[1] == f"{millesime} (données {annee})"
    )  # fmt: skip
    assert row[HEAD] == f"{fr(reference, 0)}{NBSP}€ (données {annee})"
    # a QPV of a commune with several QPV: the aggregate of the commune's QPV, in its own column
    rsa = next(r for r in rows(page) if r and r[0] == libelles["part_allocataires_rsa"])
    latest = int(rsa[1].split()[0])
    assert rsa[HEAD + 3] == f"{fr(aggregates[latest], 1)}{NBSP}%"


def test_comparison_page_charts_the_whole_commune_then_the_qpv(real_pages):
    page = (real_pages / "comparaison.html").read_text(encoding="utf-8")
    assert page.index('id="ecarts-ensemble-commune"') < page.index('id="ecarts-commune"')
    assert "(données 20" in unescape(page)
    for name, perimetre in (("ensemble_commune", "ensemble"), ("commune", "qpv")):
        with (real_pages / "donnees" / f"comparaison_ecarts_{name}.csv").open(encoding="utf-8-sig") as handle:
            data = list(csv.DictReader(handle, delimiter=";"))
        assert data and {r["perimetre_reference"] for r in data} == {perimetre}
        assert all(r["annee_reference"] for r in data)
        # never two references of one perimeter for one QPV, indicator and edition
        keys = [(r["code_qp"], r["indicateur"], r["millesime"]) for r in data]
        assert len(keys) == len(set(keys))


def test_epci_bundle_home_and_summary(real_warehouse, tmp_path):
    run_cli("territoire", "init", "--epci", MEL, "--warehouse", str(real_warehouse), "--dir", str(tmp_path),
            check=True)  # fmt: skip
    config = tc.load(tmp_path / "metropole-europeenne-de-lille.yaml")
    with connection(real_warehouse, read_only=True) as con:
        content = summary.contenu(con, config)
        home = bundle.write_home(con, config, tmp_path, tmp_path / "classeur.xlsx", None, set())
        revenu_lille = con.execute(
            "select valeur from marts.references_territoire where type_territoire = 'commune' "
            "and code_territoire = '59350' and indicateur = 'revenu_median_uc' and annee_reference = 2015"
        ).fetchone()
    text = unescape(home.read_text(encoding="utf-8"))
    section = text[text.index("Comparaison avec les territoires de référence") :]
    # the whole territories first, with the year of their data, then the QPV aggregates
    assert section.index("Territoire entier (tous ses ménages)") < section.index(
        "Quartiers prioritaires du territoire"
    )
    whole = section[: section.index("Quartiers prioritaires du territoire")]
    assert "(données 2015)" in whole and "<td>France métropolitaine</td>" in whole
    assert revenu_lille is not None
    lille_row = next(r for r in rows(whole) if r and r[0] == "Lille")
    assert f"{fr(revenu_lille[0], 0)}{NBSP}€" in lille_row
    # one line per QPV and indicator: the two perimeters of the commune never double a QPV's line
    frame = content["frame"]
    assert not frame.duplicated(["code_qp", "geographie", "indicateur"]).any()
    assert all("quartiers prioritaires de la commune" in phrase for phrase in content["ecarts"])
