"""Whole-territory references (issue 21) on the real extracts: marts.references_territoire read against the INSEE
Filosofi files by hand, and marts.ecarts_qpv comparing a quartier with its whole commune of the same Filosofi year."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import query

FILOSOFI = "insee_filosofi_territoires"


def _file_rows(shared_data: Path, name: str) -> tuple[list[str], list[list[str]]]:
    with (shared_data / FILOSOFI / name).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    return rows[0], rows[1:]


def _number(cell: str) -> float | None:
    cell = cell.strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
    return float(cell) if cell else None


def _by_hand(shared_data: Path, name: str, code: str, column: str) -> float | None:
    header, rows = _file_rows(shared_data, name)
    [row] = [r for r in rows if r[0] == code]
    return _number(row[header.index(column)])


def _reference(warehouse, type_territoire, code, annee, indicateur):
    rows = query(
        warehouse,
        "select valeur, secret from marts.references_territoire where type_territoire = ? and code_territoire = ? "
        "and annee_reference = ? and indicateur = ?",
        [type_territoire, code, annee, indicateur],
    )
    assert len(rows) == 1, (type_territoire, code, annee, indicateur, rows)
    return rows[0]


@pytest.mark.parametrize(
    ("type_territoire", "file", "code", "annee", "column", "indicateur"),
    [
        ("commune", "FILO2018_DISP_COM.csv", "93066", 2018, "Q218", "revenu_median_uc"),  # Saint-Denis
        ("commune", "FILO2014_DISP_COM.csv", "59350", 2014, "D914", "revenu_d9_uc"),  # Lille
        ("epci", "FILO2018_DISP_EPCI.csv", "200054781", 2018, "PPSOC18", "part_prestations_revenu"),  # MGP
        ("epci", "FILO2017_DISP_EPCI.csv", "200000172", 2017, "RD", "rapport_interdecile"),  # trailing ;;;
        ("departement", "FILO2016_DISP_DEP.csv", "93", 2016, "PPMINI16", "part_minima_sociaux_revenu"),
        ("departement", "FILO2018_DISP_DEP.csv", "974", 2018, "Q218", "revenu_median_uc"),
        ("region", "FILO2015_DISP_REG.csv", "11", 2015, "D115", "revenu_d1_uc"),
        ("france_metropolitaine", "FILO2014_DISP_METROPOLE.csv", "1", 2014, "Q214", "revenu_median_uc"),
        ("france_metropolitaine", "FILO2018_DISP_METROPOLE.csv", "1", 2018, "GI18", "indice_gini"),
    ],
)
def test_values_read_by_hand_from_the_filosofi_files_equal_the_mart(
    real_warehouse, shared_data, type_territoire, file, code, annee, column, indicateur
):
    expected = _by_hand(shared_data, file, code, column)
    assert expected is not None
    valeur, secret = _reference(real_warehouse, type_territoire, code, annee, indicateur)
    assert (valeur, secret) == (pytest.approx(expected), False)


def test_every_2018_commune_and_epci_median_is_in_the_mart_exactly(real_warehouse, shared_data):
    for level, name in (("commune", "FILO2018_DISP_COM.csv"), ("epci", "FILO2018_DISP_EPCI.csv")):
        header, rows = _file_rows(shared_data, name)
        expected = {r[0]: _number(r[header.index("Q218")]) for r in rows}
        got = dict(
            query(
                real_warehouse,
                "select code_territoire, valeur from marts.references_territoire where type_territoire = ? "
                "and annee_reference = 2018 and indicateur = 'revenu_median_uc'",
                [level],
            )
        )
        assert len(expected) > 1000 and got == expected, level


def test_quirks_of_2014_and_2015(real_warehouse, shared_data):
    # 2014: wages and unemployment benefits in one column (PTSAC14): no part_revenus_activite that year, and not
    # a secret either (the indicator does not exist in that layout)
    [(n2014,)] = query(
        real_warehouse,
        "select count(*) from marts.references_territoire where annee_reference = 2014 "
        "and indicateur = 'part_revenus_activite'",
    )
    [(n2015,)] = query(
        real_warehouse,
        "select count(*) from marts.references_territoire where annee_reference = 2015 "
        "and indicateur = 'part_revenus_activite' and type_territoire = 'epci'",
    )
    _, epci_2015 = _file_rows(shared_data, "FILO2015_DISP_EPCI.csv")
    assert (
        n2014 == 0 and n2015 == len(epci_2015) == 2048
    )  # SOURCES.md says 2,047: the last line has no newline
    # 2015 writes counts with a decimal ("4888,0"): read as the number
    assert _by_hand(shared_data, "FILO2015_DISP_EPCI.csv", "200000164", "NBMEN15") == 4888.0
    assert _reference(real_warehouse, "epci", "200000164", 2015, "menages_fiscaux") == (4888.0, False)
    # a small commune: counts and median only, the rest secret (blank cells), never 0
    header, rows = _file_rows(shared_data, "FILO2018_DISP_COM.csv")
    assert rows[0][0] == "01001" and rows[0][header.index("D118")] == ""
    assert _reference(real_warehouse, "commune", "01001", 2018, "revenu_d1_uc") == (None, True)
    assert _reference(real_warehouse, "commune", "01001", 2018, "revenu_median_uc")[0] == _number(
        rows[0][header.index("Q218")]
    )


def test_old_commune_codes_are_kept_and_counted_in_the_run_report(real_warehouse):
    # codes of the 2014 map that the COG in use no longer has: kept with their own code and counted, never dropped
    [(hors_cog, total)] = query(
        real_warehouse,
        "select count(distinct code_territoire) filter (where code_commune_cog is null), count(distinct code_territoire) "
        "from marts.references_territoire where type_territoire = 'commune' and annee_reference = 2014",
    )
    assert hors_cog > 0 and total > 32000
    report = json.loads((real_warehouse.parent / "reports" / "latest.json").read_text(encoding="utf-8"))
    lines = report["models"]["marts/references_territoire"]
    [line] = [
        r for r in lines
        if r["type_territoire"] == "commune" and r["annee_reference"] == 2014 and r["source"] == "INSEE Filosofi"
    ]  # fmt: skip
    assert line["codes_hors_cog"] + line["codes_rattaches_commune_parente"] >= hors_cog > 0
    assert line["codes_hors_cog"] == hors_cog


def test_caf_references_of_whole_communes_only_when_every_iris_is_there(real_warehouse, shared_data):
    # a commune whose IRIS are all in the 2018 CAF file with their counts: the sum of its IRIS, by hand
    path = shared_data / "caf_insee_iris" / "data_CAF_2018_IRIS.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header, body = rows[0], rows[1:]
    code, a = header.index("CODGEO"), header.index("A")
    communes: dict[str, list[float | None]] = {}
    for row in body:
        communes.setdefault(row[code][:5], []).append(_number(row[a]))
    complete = {c: sum(v) for c, v in communes.items() if None not in v}
    incomplete = {c for c, v in communes.items() if None in v}
    got = dict(
        query(
            real_warehouse,
            "select code_territoire, valeur from marts.references_territoire where source like 'CNAF%' "
            "and annee_reference = 2018 and indicateur = 'foyers_allocataires' and motif_absence is null "
            "and code_territoire not in ('75056', '13055', '69123')",
        )
    )
    assert got and set(got) <= set(complete)
    assert all(got[c] == pytest.approx(complete[c]) for c in got)
    # a commune with a withheld IRIS count: no value, with the reason
    some = sorted(incomplete)[0]
    [(valeur, motif)] = query(
        real_warehouse,
        "select valeur, motif_absence from marts.references_territoire where source like 'CNAF%' "
        "and annee_reference = 2018 and indicateur = 'foyers_allocataires' and code_territoire = ?",
        [some],
    )
    assert valeur is None and "IRIS" in motif


def test_a_qpv_median_is_compared_with_its_whole_commune_of_the_same_filosofi_year(
    real_warehouse, shared_data
):
    # REVN 2019 carries Filosofi 2015 (sql/seeds/annees_reference.csv): QP093004 of Saint-Denis (93066)
    rows = query(
        real_warehouse,
        "select code_qp, millesime, annee_reference, valeur, code_reference, valeur_reference, ecart "
        "from marts.ecarts_qpv where perimetre_reference = 'ensemble' and type_reference = 'commune' "
        "and indicateur = 'revenu_median_uc' and millesime = 2019 and code_reference = '93066' order by code_qp",
    )
    assert rows
    code_qp, _, annee, valeur, _, reference, ecart = rows[0]
    assert annee == 2015
    assert reference == _by_hand(shared_data, "FILO2015_DISP_COM.csv", "93066", "Q215")
    # the quartier's own value, read from REVN_2019.csv
    with (shared_data / "anct_onpv_qpv2015" / "REVN_2019.csv").open(
        encoding="utf-8-sig", newline=""
    ) as handle:
        revn = list(csv.reader(handle, delimiter=";"))
    [line] = [r for r in revn[1:] if r[0] == code_qp]
    assert valeur == _number(line[revn[0].index("DISP_Q2")])
    assert ecart == pytest.approx(valeur - reference)


def test_more_than_1000_qpv_have_a_median_compared_with_their_whole_commune(real_warehouse):
    [(n,)] = query(
        real_warehouse,
        "select count(distinct code_qp) from marts.ecarts_qpv where perimetre_reference = 'ensemble' "
        "and type_reference = 'commune' and indicateur = 'revenu_median_uc' and valeur_reference is not null",
    )
    assert n > 1000


def test_a_qpv_alone_in_its_commune_is_not_compared_with_itself(real_warehouse):
    # the quartier aggregate of a commune with one QPV is the QPV itself: no 'qpv' row; the whole commune is there
    [(alone,)] = query(
        real_warehouse,
        "select count(*) from marts.ecarts_qpv as e inner join marts.indicateurs_territoire as t "
        "on t.type_territoire = e.type_reference and t.code_territoire = e.code_reference "
        "and t.geographie = e.geographie and t.millesime = e.millesime and t.indicateur = e.indicateur "
        "and t.perimetre = 'qpv' where e.perimetre_reference = 'qpv' and t.nb_qpv < 2",
    )
    assert alone == 0
    rows = query(
        real_warehouse,
        "select e.code_qp, e.valeur, e.valeur_reference from marts.ecarts_qpv as e "
        "where e.perimetre_reference = 'ensemble' and e.type_reference = 'commune' "
        "and e.indicateur = 'revenu_median_uc' and e.code_reference in ("
        "  select code_commune from intermediate.int_territoires_qpv where geographie = 'qpv2015' "
        "  group by code_commune having count(*) = 1)",
    )
    assert len(rows) > 100
    assert all(valeur != reference for _, valeur, reference in rows if valeur is not None)
