"""The marts on the real extracts and on the demo: territory aggregates recomputed from the QPV counts, the
secret statistique (thresholds, and no suppressed value recoverable by differencing), the dictionary, the
territory attachment checked against the raw files."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from pipelines.warehouse.connection import connection

WAREHOUSES = ["real_warehouse", "demo_warehouse"]
NIVEAUX = {
    "commune": "code_commune",
    "epci": "code_epci",
    "departement": "code_departement",
    "region": "code_region",
}


def _rows(warehouse: Path, sql: str, params=()) -> list[tuple]:
    with connection(warehouse, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def _dicts(warehouse: Path, sql: str) -> list[dict]:
    with connection(warehouse, read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@cache
def _theme_rows(warehouse: Path) -> list[dict]:
    """The theme tables' rows with a known value (the true counts), read directly, not through the marts."""
    tables = [
        r[0]
        for r in _rows(
            warehouse,
            "select table_name from duckdb_tables() where schema_name = 'intermediate' "
            "and table_name like 'int_indicateurs_qpv_%' order by 1",
        )
    ]
    union = " union all by name ".join(f"select * from intermediate.{t}" for t in tables)
    return _dicts(
        warehouse,
        "select code_qp, geographie, millesime, indicateur, valeur, numerateur, denominateur "
        f"from ({union}) where not coalesce(secret, false) "
        "and (valeur is not null or (numerateur = 0 and denominateur = 0))",  # a ratio 0/0 enters the sums
    )


@cache
def _dictionary(warehouse: Path) -> dict[str, dict]:
    return {r["code"]: r for r in _dicts(warehouse, "select * from marts.ref_indicateurs")}


@cache
def _territories(warehouse: Path) -> dict[tuple[str, str], dict]:
    rows = _dicts(warehouse, "select * from intermediate.int_territoires_qpv")
    return {(r["geographie"], r["code_qp"]): r for r in rows}


@cache
def _known_cells(warehouse: Path) -> list[dict]:
    """Cells that enter territory sums: counts with a value, ratios with numerator and denominator."""
    dictionary = _dictionary(warehouse)
    cells = []
    for row in _theme_rows(warehouse):
        entry = dictionary[row["indicateur"]]
        if entry["agregation"] == "somme" or (
            entry["agregation"] == "ratio"
            and row["numerateur"] is not None
            and row["denominateur"] is not None
            and row["denominateur"] >= 0  # a ratio 0/0 adds 0 to the sums (int_secret_cellules)
        ):
            cells.append({**row, "agregation": entry["agregation"], "facteur": entry["facteur"]})
    return cells


def _membership(cell: dict, places: dict) -> list[tuple[str, str]]:
    place = places[(cell["geographie"], cell["code_qp"])]
    keys = [(niveau, place[column]) for niveau, column in NIVEAUX.items() if place[column] is not None]
    return [*keys, ("france", "FR")]


@pytest.mark.parametrize("fixture", WAREHOUSES)
def test_territory_aggregates_equal_sums_of_the_qpv_counts(request, fixture):
    warehouse = request.getfixturevalue(fixture)
    places = _territories(warehouse)
    sums: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    facteurs = {}
    for cell in _known_cells(warehouse):
        for niveau, code in _membership(cell, places):
            key = (niveau, code, cell["geographie"], cell["millesime"], cell["indicateur"])
            acc = sums[key]
            if cell["agregation"] == "somme":
                acc[0] += cell["valeur"]
            else:
                acc[0] += cell["numerateur"]
                acc[1] += cell["denominateur"]
            acc[2] += 1
            facteurs[key] = (cell["agregation"], cell["facteur"])
    mart = _dicts(
        warehouse,
        "select type_territoire, code_territoire, geographie, millesime, indicateur, valeur, numerateur, "
        "denominateur, secret, nb_qpv from marts.indicateurs_territoire",
    )
    keys = {
        (r["type_territoire"], r["code_territoire"], r["geographie"], r["millesime"], r["indicateur"])
        for r in mart
    }
    assert keys == set(sums), "one aggregate per territory holding QPV with a known value"
    published = 0
    for r in mart:
        key = (r["type_territoire"], r["code_territoire"], r["geographie"], r["millesime"], r["indicateur"])
        num, den, n = sums[key]
        assert r["nb_qpv"] == n, key
        if r["secret"]:
            assert r["valeur"] is None and r["numerateur"] is None and r["denominateur"] is None, key
            continue
        published += 1
        agregation, facteur = facteurs[key]
        if agregation == "somme":
            assert r["valeur"] == pytest.approx(num), key
        else:
            assert (r["numerateur"], r["denominateur"]) == (pytest.approx(num), pytest.approx(den)), key
            # 0 / 0 (no creation in any QPV of the territory: SIRENE has no threshold) has no value, never NaN
            assert r["valeur"] == (pytest.approx(facteur * num / den) if den else None), key
    assert published > 0.5 * len(mart)
    assert {r["type_territoire"] for r in mart} == {"commune", "epci", "departement", "region", "france"}


@pytest.mark.parametrize("fixture", WAREHOUSES)
def test_no_published_row_under_the_thresholds(request, fixture):
    warehouse = request.getfixturevalue(fixture)
    for table in ("indicateurs_qpv", "indicateurs_territoire"):
        [(small_counts, small_denominators, secret_with_value)] = _rows(
            warehouse,
            f"""select
                   count(*) filter (where not m.secret and d.agregation = 'somme' and m.valeur < d.seuil_secret),
                   count(*) filter (where not m.secret and m.denominateur < d.seuil_secret),
                   count(*) filter (where m.secret and (m.valeur is not null or m.numerateur is not null
                                                        or m.denominateur is not null))
               from marts.{table} as m join marts.ref_indicateurs as d on d.code = m.indicateur""",
        )
        assert (small_counts, small_denominators, secret_with_value) == (0, 0, 0), table
    # The rule did have work to do: known values under the threshold exist in the theme tables.
    dictionary = _dictionary(warehouse)
    under = [
        c
        for c in _known_cells(warehouse)
        if dictionary[c["indicateur"]]["seuil_secret"] is not None
        and (c["valeur"] if c["agregation"] == "somme" else c["denominateur"])
        < dictionary[c["indicateur"]]["seuil_secret"]
    ]
    if fixture == "real_warehouse":
        assert under, "the real data has small known counts: the primary suppression is exercised"


def _secret_cells(warehouse: Path) -> set[tuple]:
    return {
        tuple(r)
        for r in _rows(
            warehouse,
            "select code_qp, geographie, millesime, indicateur from marts.indicateurs_qpv where secret",
        )
    }


@pytest.mark.parametrize("fixture", WAREHOUSES)
def test_no_suppressed_value_is_recoverable_by_differencing(request, fixture):
    """For every series, the suppressed known cells are unknowns; each published territory aggregate minus the
    published QPV values is a linear equation on them. No unknown may be determined by these equations (exact
    linear algebra: e_q is not in the row space), which covers total − Σ published QPV, and nested differences
    (EPCI − communes, département − EPCI …)."""
    warehouse = request.getfixturevalue(fixture)
    places = _territories(warehouse)
    secret = _secret_cells(warehouse)
    unknowns: dict[tuple, list[dict]] = defaultdict(list)
    for cell in _known_cells(warehouse):
        if (cell["code_qp"], cell["geographie"], cell["millesime"], cell["indicateur"]) in secret:
            unknowns[(cell["geographie"], cell["millesime"], cell["indicateur"])].append(cell)
    published = defaultdict(set)
    for r in _rows(
        warehouse,
        "select geographie, millesime, indicateur, type_territoire, code_territoire "
        "from marts.indicateurs_territoire where not secret",
    ):
        published[r[:3]].add(r[3:])
    recoverable, checked, simple_single = [], 0, []
    for serie, cells in unknowns.items():
        columns = {c["code_qp"]: i for i, c in enumerate(cells)}
        members = defaultdict(set)
        for c in cells:
            for territory in _membership(c, places):
                if territory in published[serie]:
                    members[territory].add(columns[c["code_qp"]])
        if not members:
            continue
        matrix = np.zeros((len(members), len(cells)))
        for i, cols in enumerate(members.values()):
            matrix[i, list(cols)] = 1.0
            if len(cols) == 1:
                simple_single.append((serie, sorted(cols)))
        # e_q is in the row space iff the q-th coordinate of every null-space vector is 0.
        _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
        rank = int((singular > 1e-9 * max(1.0, singular.max(initial=0.0))).sum())
        null_space = vt[rank:]
        for code, j in columns.items():
            checked += 1
            if null_space.shape[0] == 0 or np.abs(null_space[:, j]).max() < 1e-9:
                recoverable.append((serie, code))
    assert simple_single == [], "a published total with exactly one suppressed QPV"
    assert recoverable == [], f"{len(recoverable)} suppressed values recoverable, e.g. {recoverable[:5]}"
    if fixture == "real_warehouse":
        assert checked > 100  # the secondary suppression had suppressed cells to protect


@pytest.mark.parametrize("fixture", WAREHOUSES)
def test_ratio_published_only_with_its_counts(request, fixture):
    warehouse = request.getfixturevalue(fixture)
    assert _rows(
        warehouse,
        """select count(*)
               from marts.indicateurs_qpv as r
               join marts.ref_indicateurs as d on d.code = r.indicateur and d.agregation = 'ratio'
               join marts.indicateurs_qpv as c
                 on c.code_qp = r.code_qp and c.geographie = r.geographie and c.millesime = r.millesime
                and c.indicateur in (d.numerateur_code, d.denominateur_code)
               where not r.secret and c.secret and r.numerateur is not null""",
    ) == [(0,)]


@pytest.mark.parametrize("fixture", WAREHOUSES)
def test_every_indicator_code_is_defined_once_in_the_dictionary(request, fixture):
    warehouse = request.getfixturevalue(fixture)
    duplicates = _rows(warehouse, "select code from marts.ref_indicateurs group by code having count(*) > 1")
    assert duplicates == []
    for table in ("indicateurs_qpv", "indicateurs_territoire", "ecarts_qpv"):
        missing = _rows(
            warehouse,
            f"select distinct indicateur from marts.{table} "
            "where indicateur not in (select code from marts.ref_indicateurs)",
        )
        assert missing == [], table
    grain = _rows(
        warehouse,
        "select count(*) from (select code_qp, geographie, millesime, indicateur from marts.indicateurs_qpv "
        "group by all having count(*) > 1)",
    )
    assert grain == [(0,)]


def test_qpv_count_of_2019_equals_the_2019_files(real_warehouse, shared_data):
    codes = set()
    for path in sorted((shared_data / "anct_onpv_qpv2015").glob("*2019*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            codes |= {
                r[0].strip('"') for r in csv.reader(handle, delimiter=";") if r and r[0].startswith("QP")
            }
    assert len(codes) == 1352
    assert _rows(
        real_warehouse, "select count(distinct code_qp) from marts.indicateurs_qpv where millesime = 2019"
    ) == [(len(codes),)]


def _departement_of_code(code_qp: str) -> str:
    """Département named by a QPV code: QP059077 -> 59, QP02A001 -> 2A, QN97402M -> 974."""
    return code_qp[3:5] if code_qp[2] == "0" else code_qp[2:5]


def _expected_main_commune(lists: dict[str, list[str]], departements: dict[str, str]) -> dict[str, str]:
    """The rule, recomputed: among the listed communes in the département of the QPV code (`departements`: commune ->
    département), the one holding the most QPV of the file, ties by the list order."""
    holding = Counter(c for communes in lists.values() for c in set(communes))
    expected = {}
    for code, communes in lists.items():
        candidates = [c for c in communes if departements[c] == _departement_of_code(code)]
        if candidates:
            expected[code] = max(candidates, key=lambda c: (holding[c], -communes.index(c)))
    return expected


def test_qpv2024_attached_to_the_communes_of_the_perimeter_file(real_warehouse, shared_data):
    features = json.loads((shared_data / "anct_qpv2024" / "qpv2024_simplified.geojson").read_text())[
        "features"
    ]
    lists = {f["properties"]["code_qp"]: f["properties"]["insee_com"].split(", ") for f in features}
    communes = _rows(
        real_warehouse,
        "select code_commune, code_epci, code_departement from staging.stg_communes where not est_arrondissement",
    )
    cog = {r[0]: r[1] for r in communes}
    expected = _expected_main_commune(
        {k: v for k, v in lists.items() if all(c in cog for c in v)}, {r[0]: r[2] for r in communes}
    )
    got = {r[0]: r[1:] for r in _rows(
        real_warehouse, "select code_qp, code_commune, code_epci from intermediate.int_territoires_qpv "
        "where geographie = 'qpv2024'")}  # fmt: skip
    assert len(got) == 1609
    assert sum(len(v) > 1 for v in lists.values()) == 149
    for code, commune in expected.items():
        assert got[code] == (commune, cog[commune]), code
    assert got["QN00301M"][0] == "03310"  # Cusset, Vichy: Vichy holds more QPV


def test_qpv2015_attached_to_the_named_communes(real_warehouse, shared_data):
    path = shared_data / "anct_onpv_qpv2015" / "DEMO_2021.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    lib_com = rows[0].index("LIB_COM")
    names = {r[0]: r[lib_com] for r in rows[1:] if r and r[0].startswith("QP")}
    got = {r[0]: r[1:] for r in _rows(
        real_warehouse, "select code_qp, code_commune, lib_commune, nb_communes from intermediate.int_territoires_qpv "
        "where geographie = 'qpv2015'")}  # fmt: skip
    assert all(got[c][0] is not None for c in names), "every 2015 QPV of DEMO_2021 has a commune"
    assert got["QP003001"][:2] == ("03310", "Vichy")  # "Cusset, Vichy"
    assert got["QP013032"][:2] == ("13055", "Marseille")  # arrondissements -> the commune
    # "Ostricourt, Évin-Malmaison": Ostricourt (Nord, 59452) holds more QPV, but a QPV coded in the Pas-de-Calais
    # is attached to a commune of the Pas-de-Calais (tests/test_qpv_departements.py).
    assert got["QP062040"][:2] == ("62321", "Évin-Malmaison")
    single = [c for c, n in names.items() if ", " not in n and "Arrondissement" not in n]
    renamed = [c for c in single if got[c][1] != names[c]]
    # The only single-commune QPV whose commune changed name: Pierre-Bénite, merged into Oullins-Pierre-Bénite (2024).
    assert renamed == ["QP069014"] and got["QP069014"][:2] == ("69149", "Oullins-Pierre-Bénite")


def test_demo_qpv_attached_to_the_demo_communes(demo_warehouse):
    data = demo_warehouse.parent / "data"
    features = json.loads(next((data / "anct_qpv2024").glob("*.geojson")).read_text())["features"]
    lists = {f["properties"]["code_qp"]: f["properties"]["insee_com"].split(", ") for f in features}
    got = {r[0]: r[1] for r in _rows(
        demo_warehouse, "select code_qp, code_commune from intermediate.int_territoires_qpv "
        "where geographie = 'qpv2024'")}  # fmt: skip
    departements = dict(
        _rows(demo_warehouse, "select code_commune, code_departement from staging.stg_communes")
    )
    assert got == _expected_main_commune(lists, departements)
    assert _rows(
        demo_warehouse,
        "select count(*) from intermediate.int_territoires_qpv where code_commune is null or code_epci is null",
    ) == [(0,)]


@pytest.mark.parametrize("fixture", WAREHOUSES)
def test_ecarts_are_differences_to_the_published_references(request, fixture):
    warehouse = request.getfixturevalue(fixture)
    [(n, wrong, france)] = _rows(
        warehouse,
        """select count(*),
                  count(*) filter (where abs(e.ecart - (q.valeur - t.valeur)) > 1e-9
                                   or (q.secret or t.secret) and e.ecart is not null),
                  count(*) filter (where e.type_reference = 'france' and e.ecart is not null)
           from marts.ecarts_qpv as e
           join marts.indicateurs_qpv as q using (code_qp, geographie, millesime, indicateur)
           join marts.indicateurs_territoire as t
             on t.type_territoire = e.type_reference and t.code_territoire = e.code_reference
            and t.geographie = e.geographie and t.millesime = e.millesime and t.indicateur = e.indicateur
           where e.perimetre_reference = 'qpv'""",
    )
    assert n > 0 and wrong == 0 and france > 0
    # the whole territories: the reference of the same data year, never another year's
    [(n, wrong, other_year)] = _rows(
        warehouse,
        """select count(*),
                  count(*) filter (where abs(e.ecart - (q.valeur - r.valeur)) > 1e-9
                                   or (q.secret or r.secret) and e.ecart is not null),
                  count(*) filter (where q.annee_reference <> r.annee_reference)
           from marts.ecarts_qpv as e
           join marts.indicateurs_qpv as q using (code_qp, geographie, millesime, indicateur)
           join marts.references_territoire as r
             on r.type_territoire = e.type_reference and r.code_territoire = e.code_reference
            and r.annee_reference = e.annee_reference and r.indicateur = e.indicateur
           where e.perimetre_reference = 'ensemble'""",
    )
    assert n > 0 and wrong == 0 and other_year == 0


def test_rupture_flags_the_2024_geography_and_nothing_within_a_stable_series(real_warehouse):
    [(flagged_2024, first_2024)] = _rows(
        real_warehouse,
        """with premiers as (select indicateur, min(millesime) as m from marts.indicateurs_qpv
                             where geographie = 'qpv2024' group by 1)
           select count(*) filter (where rupture), count(*)
           from marts.indicateurs_qpv join premiers using (indicateur)
           where geographie = 'qpv2024' and millesime = m""",
    )
    assert flagged_2024 == first_2024
    assert _rows(
        real_warehouse,
        "select count(*) filter (where rupture) from marts.indicateurs_qpv "
        "where indicateur = 'taux_pauvrete_60' and millesime in (2017, 2018, 2019)",
    ) == [(0,)]


def _number(text: str) -> float:
    return float(text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", "."))


@pytest.mark.parametrize("millesime", [2017, 2018, 2019])
def test_france_aggregate_matches_the_ensemble_row_of_the_revn_file(real_warehouse, shared_data, millesime):
    path = shared_data / "anct_onpv_qpv2015" / f"REVN_{millesime}.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header, ensemble = rows[0], next(r for r in rows[1:] if r and r[0] == "Ensemble")
    foyers, dep50, dep100 = (_number(ensemble[header.index(c)]) for c in ("A", "APRES50", "APRES100"))
    got = {
        r[0]: r[1]
        for r in _rows(
            real_warehouse,
            "select indicateur, valeur from marts.indicateurs_territoire where type_territoire = 'france' "
            "and geographie = 'qpv2015' and millesime = ? and not secret",
            [millesime],
        )
    }
    # The producer's row counts every QPV (rounded to 100); the mart sums the QPV whose value is published.
    assert got["foyers_allocataires"] == pytest.approx(foyers, rel=0.01)
    assert got["part_allocataires_dependants_50"] == pytest.approx(100 * dep50 / foyers, abs=0.1)
    assert got["part_allocataires_dependants_100"] == pytest.approx(100 * dep100 / foyers, abs=0.1)
