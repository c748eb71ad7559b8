"""Tier 3: the reference sources (COG, EPCI membership, départements, Filosofi and CAF by IRIS, QPV 2024
perimeters) ingested from the real extracts; counts computed here with the csv/json modules, values read by hand."""

from __future__ import annotations

import csv
import json

import pytest

from pipelines.warehouse.connection import connection


def _rows(path, delimiter):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.reader(handle, delimiter=delimiter)) - 1


def _query(warehouse, sql, params=()):
    with connection(warehouse, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


@pytest.mark.parametrize(
    "table, path, delimiter",
    [
        ("insee_cog_communes", "cog_insee/cog_20240101.csv", ","),
        ("insee_communes_epci", "cog_insee/com_epci_dep_reg.csv", ";"),
        ("insee_departements", "cog_insee/departements_france.csv", ","),
        ("insee_filosofi_iris", "caf_insee_iris/BASE_TD_FILO_DISP_IRIS_2017.csv", ";"),
        ("insee_filosofi_iris", "caf_insee_iris/BASE_TD_FILO_DISP_IRIS_2018.csv", ";"),
        ("insee_filosofi_iris", "caf_insee_iris/BASE_TD_FILO_DISP_IRIS_2019.csv", ";"),
        ("caf_iris", "caf_insee_iris/data_CAF_2016_IRIS.csv", ";"),
        ("caf_iris", "caf_insee_iris/data_CAF_2017_IRIS.csv", ";"),
        ("caf_iris", "caf_insee_iris/data_CAF_2018_IRIS.csv", ";"),
        ("caf_iris", "caf_insee_iris/data_CAF_2020_IRIS.csv", ";"),
    ],
)
def test_every_row_of_the_reference_files_is_loaded(real_warehouse, shared_data, table, path, delimiter):
    expected = _rows(shared_data / path, delimiter)
    assert _query(real_warehouse, f"select count(*) from raw.{table} where _fichier = ?", [path]) == [
        (expected,)
    ]


def test_commune_codes_keep_leading_zeros_and_names(real_warehouse):
    # cog_20240101.csv line 2; com_epci_dep_reg.csv line 32362
    assert _query(
        real_warehouse, "select LIBELLE, DEP, millesime from raw.insee_cog_communes where COM = '01001'"
    ) == [("L'Abergement-Clémenciat", "01", 2024)]
    assert _query(
        real_warehouse,
        "select lib_commune, code_departement, code_epci, lib_epci, lib_region from staging.stg_communes "
        "where code_commune = '01001'",
    ) == [("L'Abergement-Clémenciat", "01", "200069193", "CC de la Dombes", "Auvergne-Rhône-Alpes")]
    # Paris arrondissements are communes of the staging table, with the parent's département
    [(n, dep)] = _query(
        real_warehouse,
        "select count(*), any_value(code_departement) from staging.stg_communes where code_commune_parente = '75056'",
    )
    assert (n, dep) == (20, "75")


def test_filosofi_and_caf_values_read_off_the_files(real_warehouse):
    # BASE_TD_FILO_DISP_IRIS_2019.csv line 2: IRIS 010040101, DISP_TP6019 20,5, DISP_MED19 19400
    assert _query(
        real_warehouse,
        "select taux_pauvrete_60, revenu_median_uc, millesime from staging.stg_filosofi_iris "
        "where code_iris = '010040101' and millesime = 2019",
    ) == [(20.5, 19400.0, 2019)]
    # data_CAF_2020_IRIS.csv line 2: 010040101 A 501, AAAH 36, APPA 168, ARSAS 83
    assert _query(
        real_warehouse,
        "select foyers_allocataires, allocataires_aah, allocataires_prime_activite, allocataires_rsa_socle, "
        "code_commune from staging.stg_caf_iris where code_iris = '010040101' and millesime = 2020",
    ) == [(501, 36, 168, 83, "01004")]
    # blanks are secret (null), never 0
    [(blank_tp60,)] = _query(
        real_warehouse,
        "select count(*) from raw.insee_filosofi_iris where DISP_TP60 is null and millesime = 2019",
    )
    assert blank_tp60 == 2827


def test_qpv2024_perimeters(real_warehouse, shared_data):
    features = json.loads((shared_data / "anct_qpv2024" / "qpv2024_simplified.geojson").read_text())[
        "features"
    ]
    multi = sum(1 for f in features if ", " in f["properties"]["insee_com"])
    assert _query(real_warehouse, "select count(*), count(distinct code_qp) from staging.stg_qpv2024") == [
        (len(features), len(features))
    ]
    assert _query(
        real_warehouse, "select count(*) from staging.stg_qpv2024 where len(codes_communes) > 1"
    ) == [(multi,)]
    [(lib, communes, epci, ha, valid)] = _query(
        real_warehouse,
        "select lib_qp, codes_communes, codes_epci, surface_ha, ST_IsValid(geom) from staging.stg_qpv2024 "
        "where code_qp = 'QN00101M'",
    )
    assert (lib, communes, epci, valid) == (
        "Grande Reyssouze Terre Des Fleurs",
        ["01053"],
        ["200071751"],
        True,
    )
    assert 10 < ha < 200  # a few dozen hectares
    # the simplified copy has self-intersecting outlines: reported as a warning by the contract, repaired here
    [(repaired, still_invalid)] = _query(
        real_warehouse,
        "select count(*) filter (where geometrie_reparee), count(*) filter (where not ST_IsValid(geom)) "
        "from staging.stg_qpv2024",
    )
    assert repaired > 0 and still_invalid == 0
