"""A QPV counts in the département its code names (QP + 3-character département + 3 digits: QP059077 -> 59,
QP02A001 -> 2A, QP974049 -> 974; the same for the QN codes of the 2024 geography), in every geography and edition
of the territory tables, on the real extracts. A QPV that spans a département border (QP062040 "Cornuault":
Ostricourt, Nord, and Évin-Malmaison, Pas-de-Calais) keeps both communes in its list but is attached to the commune
of its own département (intermediate.int_territoires_qpv_communes), as in INSEE's and ANCT's counts."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

from pipelines.warehouse.connection import connection


def departement_of_code(code_qp: str) -> str:
    return code_qp[3:5] if code_qp[2] == "0" else code_qp[2:5]


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    with connection(warehouse, read_only=True) as con:
        return con.execute(sql).fetchall()


def _by_edition(rows: list[tuple]) -> dict[tuple, list[tuple[str, str]]]:
    """(edition key..., code_qp, code_departement) rows -> {edition key: [(code_qp, code_departement)]}."""
    groups = defaultdict(list)
    for *key, code_qp, code_departement in rows:
        groups[tuple(key)].append((code_qp, code_departement))
    return groups


def _check_counts(groups: dict[tuple, list[tuple[str, str]]], table: str) -> None:
    for key, pairs in groups.items():
        wrong = sorted((code, dep) for code, dep in pairs if dep != departement_of_code(code))
        assert not wrong, f"{table} {key}: QPV counted outside the département of their code: {wrong[:10]}"
        got = Counter(dep for _, dep in pairs)
        expected = Counter(departement_of_code(code) for code, _ in pairs)
        assert got == expected, f"{table} {key}"


def test_qpv_per_departement_equals_codes_per_departement(real_warehouse):
    # One row per QPV and geography: the territories every aggregate uses.
    territoires = _by_edition(
        _rows(
            real_warehouse,
            "select geographie, code_qp, code_departement from intermediate.int_territoires_qpv",
        )
    )
    assert set(territoires) == {("qpv2015",), ("qpv2024",)}
    assert {k: len(v) for k, v in territoires.items()} == {("qpv2015",): 1400, ("qpv2024",): 1609}
    _check_counts(territoires, "int_territoires_qpv")

    # Per geography and edition: the QPV of each edition with the territory they are summed in.
    editions = _by_edition(
        _rows(
            real_warehouse,
            "select distinct geographie, millesime, code_qp, code_departement from intermediate.int_secret_cellules",
        )
    )
    assert {k for k in editions if k[0] == "qpv2015"} == {("qpv2015", m) for m in range(2017, 2022)}
    _check_counts(editions, "int_secret_cellules")

    # The published aggregates: no département sums more QPV than the edition has codes in it.
    codes = {k: Counter(departement_of_code(c) for c, _ in v) for k, v in editions.items()}
    for geographie, millesime, departement, nb_qpv in _rows(
        real_warehouse,
        "select geographie, millesime, code_territoire, max(nb_qpv) from marts.indicateurs_territoire "
        "where type_territoire = 'departement' group by all",
    ):
        assert nb_qpv <= codes[(geographie, millesime)][departement], (geographie, millesime, departement)

    # The main commune (hence its EPCI, département, région) lies in the département of the code.
    outside = _rows(
        real_warehouse,
        "select t.geographie, t.code_qp, t.code_commune, c.code_departement from intermediate.int_territoires_qpv t "
        "inner join staging.stg_communes c using (code_commune) where t.code_departement <> c.code_departement "
        "or t.code_region <> c.code_region",
    )
    assert outside == []
    assert [
        (g, c, d) for g, c, d in _rows(
            real_warehouse,
            "select geographie, code_qp, code_departement_commune from intermediate.int_territoires_qpv_communes "
            "where est_principale",
        ) if d != departement_of_code(c)
    ] == []  # fmt: skip


def test_nord_and_pas_de_calais_as_in_the_files(real_warehouse, shared_data):
    # Every 2015-geography file lists 91 QPV coded in the Nord and 64 in the Pas-de-Calais.
    for path in sorted((shared_data / "anct_onpv_qpv2015").glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            codes = {
                r[0].strip('"') for r in csv.reader(handle, delimiter=";") if r and r[0].startswith("QP")
            }
        counts = Counter(departement_of_code(c) for c in codes)
        assert (counts["59"], counts["62"]) == (91, 64), path.name

    counts = dict(
        _rows(
            real_warehouse,
            "select code_departement, count(*) from intermediate.int_territoires_qpv "
            "where geographie = 'qpv2015' and code_departement in ('59', '62') group by all",
        )
    )
    assert counts == {"59": 91, "62": 64}
    assert _rows(
        real_warehouse,
        "select code_commune, code_departement, code_region, codes_communes from intermediate.int_territoires_qpv "
        "where geographie = 'qpv2015' and code_qp = 'QP062040'",
    ) == [("62321", "62", "32", ["59452", "62321"])]  # Évin-Malmaison; Ostricourt (Nord) stays in the list
    # The published département aggregates count them so in every edition.
    population = _rows(
        real_warehouse,
        "select millesime, code_territoire, nb_qpv from marts.indicateurs_territoire where geographie = 'qpv2015' "
        "and type_territoire = 'departement' and code_territoire in ('59', '62') and indicateur = 'population' "
        "order by all",
    )
    assert population == [(m, d, n) for m in range(2017, 2022) for d, n in (("59", 91), ("62", 64))]
