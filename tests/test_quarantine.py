"""Quarantine: droppable rows leave the raw table for quarantine.<dataset>, counted and explained, in a real
Dagster run on the demo SIRENE files made dirty; nothing else is dropped, and the pair of tables is replaced
together."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from assets import all_sources
from assets.factory import contract_check, integrity_check, raw_asset
from pipelines.checks.quarantine import publish, quarantine_rows
from pipelines.contracts.model import ContractError, load_contract
from pipelines.resources import resources_for
from pipelines.warehouse.connection import connect, connection

SOURCES = {s.name: s for s in all_sources()}
RUN = ("sirene_etablissements", "sirene_geolocalisation", "anct_qpv2024_perimetres", "insee_cog_communes")
SIRENE = "sirene/{}_utf8.parquet"
GEO = "GeolocalisationEtablissement_Sirene_pour_etudes_statistiques"


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> Path:
    from pipelines.domain.demo.generator import generate_demo_data

    root = tmp_path_factory.mktemp("demo_q") / "data"
    generate_demo_data(root)
    return root


def dirty_folder(demo_files: Path, target: Path) -> dict:
    """Copy the demo SIRENE Parquet files and the QPV perimeters; spoil 4 rows. Returns what we spoiled."""
    (target / "sirene").mkdir(parents=True)
    for folder in ("anct_qpv2024", "cog_insee"):
        shutil.copytree(demo_files / folder, target / folder)
    con = duckdb.connect()
    etab_src, geo_src = demo_files / SIRENE.format("StockEtablissement"), demo_files / SIRENE.format(GEO)
    sirets = [r[0] for r in con.execute(f"select siret from '{etab_src}' order by siret limit 2").fetchall()]
    geo = [r[0] for r in con.execute(f"select siret from '{geo_src}' order by siret limit 3").fetchall()]
    con.execute(
        f"copy (select * replace (case when siret = '{sirets[0]}' then '12345' else siret end as siret) "
        f"from '{etab_src}') to '{target / SIRENE.format('StockEtablissement')}' (format parquet)"
    )
    con.execute(
        f"""copy (select * replace (
                case when siret = '{geo[0]}' then '0.0' else x_longitude end as x_longitude,
                case when siret = '{geo[0]}' then '0.0' else y_latitude end as y_latitude,
                case when siret = '{geo[1]}' then '99' else qualite_xy end as qualite_xy)
            from '{geo_src}') to '{target / SIRENE.format(GEO)}' (format parquet)"""
    )
    rows = {
        name: con.execute(f"select count(*) from '{path}'").fetchone()[0]
        for name, path in (("sirene_etablissements", etab_src), ("sirene_geolocalisation", geo_src))
    }
    con.close()
    return {"bad_siret": sirets[0], "out_of_france": geo[0], "bad_quality": geo[1], "rows": rows}


def run(data: Path, warehouse: Path, instance: DagsterInstance):
    sources = [SOURCES[n] for n in RUN]
    checks = [contract_check(s) for s in sources] + [
        c for c in map(integrity_check, sources) if c is not None
    ]
    return materialize(
        [raw_asset(s) for s in sources] + checks,
        resources=resources_for(data, warehouse, warehouse.parent / "dash"),
        instance=instance,
        raise_on_error=False,
    )


def test_dagster_run_quarantines_rows_with_evidence(demo_files, tmp_path):
    spoiled = dirty_folder(demo_files, tmp_path / "data")
    warehouse = tmp_path / "w.duckdb"
    instance = DagsterInstance.ephemeral()
    result = run(tmp_path / "data", warehouse, instance)
    assert result.success
    checks = {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}
    assert checks[("sirene_etablissements", "contrat")].passed  # the bad siret no longer reaches the check
    assert checks[("sirene_geolocalisation", "integrite")].passed

    with connection(warehouse, read_only=True) as con:
        etab = con.execute(
            "select fichier, ligne, cle, colonne, valeur, regle, raison, run_id from quarantine.sirene_etablissements"
        ).fetchall()
        geo = con.execute(
            "select cle, colonne, valeur, regle, raison, run_id, enregistrement->>'siret' "
            "from quarantine.sirene_geolocalisation order by regle"
        ).fetchall()
        raw_rows = {
            n: con.execute(f"select count(*) from raw.{n}").fetchone()[0]
            for n in ("sirene_etablissements", "sirene_geolocalisation")
        }
        still = con.execute(
            "select count(*) from raw.sirene_geolocalisation where siret in (?, ?)",
            [spoiled["out_of_france"], spoiled["bad_quality"]],
        ).fetchone()[0]
        perimeters = con.execute("select count(*) from quarantine.anct_qpv2024_perimetres").fetchone()[0]

    # the malformed siret: one row, rule pattern (not blank, so not not_null), with file and line
    assert len(etab) == 1
    fichier, ligne, cle, colonne, valeur, regle, raison, run_id = etab[0]
    assert (cle, colonne, valeur, regle) == ("12345", "siret", "12345", "pattern")
    assert fichier == SIRENE.format("StockEtablissement") and ligne >= 1 and "format" in raison
    assert run_id == result.run_id
    # geolocation: one point at (0, 0), one unknown quality code
    assert [(g[0], g[1], g[3]) for g in geo] == [
        (spoiled["bad_quality"], "qualite_xy", "allowed_values"),
        (spoiled["out_of_france"], "x_longitude,y_latitude", "bounding_box"),
    ]
    assert (
        geo[1][2] == "0.0, 0.0" and "hors des emprises" in geo[1][4] and geo[1][6] == spoiled["out_of_france"]
    )
    assert still == 0 and perimeters == 0
    # nothing silently dropped: raw + quarantined = rows of the file
    assert raw_rows["sirene_etablissements"] + 1 == spoiled["rows"]["sirene_etablissements"]
    assert raw_rows["sirene_geolocalisation"] + 2 == spoiled["rows"]["sirene_geolocalisation"]

    meta = {
        m.asset_key.path[-1]: m.metadata
        for m in (e.event_specific_data.materialization for e in result.get_asset_materialization_events())
    }
    geo_meta = meta["sirene_geolocalisation"]
    assert geo_meta["quarantined_rows"].value == 2
    assert geo_meta["quarantine_by_rule"].value == {
        "allowed_values qualite_xy": 1,
        "bounding_box x_longitude,y_latitude": 1,
    }
    assert geo_meta["rows_read"].value == spoiled["rows"]["sirene_geolocalisation"]
    assert geo_meta["quarantine_first_rows"].value[0]["regle"] in ("allowed_values", "bounding_box")
    logs = [e.user_message for e in instance.all_logs(result.run_id)]
    lines = [m for m in logs if "mise(s) en quarantaine" in m]
    assert any(m.startswith("sirene_etablissements : 1 ligne(s)") and "pattern siret : 1" in m for m in lines)

    # second run, clean files: both tables replaced (the quarantine is not appended to)
    shutil.rmtree(tmp_path / "data" / "sirene")
    (tmp_path / "data" / "sirene").mkdir()
    for name in ("StockEtablissement", GEO):
        shutil.copy(demo_files / SIRENE.format(name), tmp_path / "data" / SIRENE.format(name))
    again = run(tmp_path / "data", warehouse, DagsterInstance.ephemeral())
    assert again.success
    with connection(warehouse, read_only=True) as con:
        assert con.execute("select count(*) from quarantine.sirene_etablissements").fetchone()[0] == 0
        assert (
            con.execute("select count(*) from raw.sirene_etablissements").fetchone()[0]
            == (spoiled["rows"]["sirene_etablissements"])
        )


def test_raw_and_quarantine_are_published_together(tmp_path):
    contract = load_contract(Path("data_contracts/caf/caf_iris.yaml"))
    con = connect(tmp_path / "w.duckdb")
    try:
        columns = ", ".join(
            f"{c.name} {'varchar' if c.logical_type == 'string' else 'bigint'}" for c in contract.columns
        )
        lineage = "millesime integer, _fichier varchar, _sha256 varchar, _ligne bigint"
        con.execute(f"create table raw.caf_iris__incoming ({lineage}, {columns})")
        con.execute(
            "insert into raw.caf_iris__incoming (millesime, _fichier, _ligne, CODGEO, A) values "
            "(2020, 'f.csv', 2, '010040101', 5), (2020, 'f.csv', 3, '1004010', 7), (2020, 'f.csv', 4, null, 1)"
        )
        report = quarantine_rows(
            con, contract, "raw.caf_iris__incoming", "quarantine.caf_iris__incoming", "r1", datetime.now(UTC)
        )
        assert report.rows_quarantined == 2
        assert report.by_rule == {"not_null CODGEO": 1, "pattern CODGEO": 1}
        assert [(e["ligne"], e["valeur"]) for e in report.examples] == [(3, "1004010"), (4, None)]
        # the swap fails half-way (no such incoming quarantine table): neither table changes
        con.execute("create table raw.caf_iris as select * from raw.caf_iris__incoming limit 0")
        with pytest.raises(duckdb.Error):
            publish(con, "caf_iris", "raw.caf_iris__incoming", "quarantine.nothing_here")
        assert con.execute("select count(*) from raw.caf_iris").fetchone()[0] == 0
        publish(con, "caf_iris", "raw.caf_iris__incoming", "quarantine.caf_iris__incoming")
        assert con.execute("select CODGEO from raw.caf_iris").fetchall() == [("010040101",)]
        assert con.execute(
            "select ligne, regle, run_id from quarantine.caf_iris order by ligne"
        ).fetchall() == [
            (3, "pattern", "r1"),
            (4, "not_null", "r1"),
        ]
    finally:
        con.close()


def test_anct_per_qpv_rows_are_never_droppable():
    for source in SOURCES.values():
        if source.geographie in ("qpv2015", "qpv2024") and source.producer == "anct":
            contract = source.load_contract()
            assert not contract.quarantines, f"{source.contract}: a bad QPV row must stop the run"


def test_bounding_box_rule_must_say_quarantine(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "apiVersion: v3.0.2\nkind: DataContract\nname: x\nversion: 1\ndescription: {}\nproducer: p\n"
        "license: l\nschema:\n  - name: x\n    properties:\n"
        "      - {name: lon, logicalType: number, description: d}\n"
        "      - {name: lat, logicalType: number, description: d}\n"
        "    quality:\n      - {rule: boundingBox, longitude: lon, latitude: lat, onFail: stop,\n"
        "         boxes: [{name: a, longitude: [0, 1], latitude: [0, 1]}]}\n"
    )
    with pytest.raises(ContractError, match="onFail: quarantine"):
        load_contract(path)
