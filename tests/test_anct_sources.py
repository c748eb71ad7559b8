"""Tier 3: the ANCT/ONPV DEMO, data_DEMO_<year>_V1_QP and IPRO files (2015 geography) through the whole graph.

Counts are recomputed here with the csv module on the real files of ../shared/data (not with the project's
reader); values are literals read off the files by hand (file and line in the comments).
"""

from __future__ import annotations

import csv
import dataclasses
import shutil

import pytest

from pipelines.runner import PipelineError, run_pipeline
from pipelines.warehouse.connection import connection

FOLDER = "anct_onpv_qpv2015"
# raw table -> (file name pattern, editions staged in ../shared/data)
FILES = {
    "anct_demo": ("DEMO_{}.csv", (2017, 2018, 2019, 2021)),
    "anct_demo_v1_qp": ("data_DEMO_{}_V1_QP.csv", (2019, 2020, 2021)),
    "anct_ipro": ("IPRO_{}.csv", (2017, 2018, 2019, 2020, 2021)),
}
EDITIONS = [(table, year) for table, (_, years) in FILES.items() for year in years]

# Read by hand off the real files: (raw table, edition, QPV code, column) -> value. None = blank cell (secret).
KNOWN_VALUES = {
    # DEMO_2019.csv line 652, QP059077 Les Oliveaux: POP_MUN "3 445", A "1 000", LIB_COM "Loos"
    ("anct_demo", 2019, "QP059077", "POP_MUN"): 3445,
    ("anct_demo", 2019, "QP059077", "A"): 1000,
    ("anct_demo", 2019, "QP059077", "LIB_COM"): "Loos",
    # DEMO_2021.csv line 651, QP059077: POP_MUN "3 186", NOTE_RP (column added in 2021) 0
    ("anct_demo", 2021, "QP059077", "POP_MUN"): 3186,
    ("anct_demo", 2021, "QP059077", "NOTE_RP"): 0,
    # DEMO_2017.csv line 262, QP02A001 Pifano: POP_MUN "1 012", POP_COM "11 354"
    ("anct_demo", 2017, "QP02A001", "POP_MUN"): 1012,
    ("anct_demo", 2017, "QP02A001", "POP_COM"): 11354,
    # DEMO_2017.csv line 1347, QP974049 Domenjod: A 278, TX_F blank
    ("anct_demo", 2017, "QP974049", "A"): 278,
    ("anct_demo", 2017, "QP974049", "TX_F"): None,
    # data_DEMO_2020_V1_QP.csv line 651, QP059077: POP_MUN 3445, A 1048, TX_F "55,5"
    ("anct_demo_v1_qp", 2020, "QP059077", "POP_MUN"): 3445,
    ("anct_demo_v1_qp", 2020, "QP059077", "A"): 1048,
    ("anct_demo_v1_qp", 2020, "QP059077", "TX_F"): 55.5,
    # data_DEMO_2021_V1_QP.csv line 651, "QP059077" (quoted): POP_MUN 3186, A 1126
    ("anct_demo_v1_qp", 2021, "QP059077", "POP_MUN"): 3186,
    ("anct_demo_v1_qp", 2021, "QP059077", "A"): 1126,
    # data_DEMO_2019_V1_QP.csv line 262, QP02A001: A 219
    ("anct_demo_v1_qp", 2019, "QP02A001", "A"): 219,
    # IPRO_2019.csv line 652, QP059077: TX_TOT_EMPL "46,9", ABCDE 556, ABC 474, ABC_F 228, A 292,
    # EVOL_CA_N_E (header "EVOL_CA_N_E " with a trailing space) "-79,3"
    ("anct_ipro", 2019, "QP059077", "TX_TOT_EMPL"): 46.9,
    ("anct_ipro", 2019, "QP059077", "ABCDE"): 556,
    ("anct_ipro", 2019, "QP059077", "ABC"): 474,
    ("anct_ipro", 2019, "QP059077", "ABC_F"): 228,
    ("anct_ipro", 2019, "QP059077", "A"): 292,
    ("anct_ipro", 2019, "QP059077", "EVOL_CA_N_E"): -79.3,
    # IPRO_2021.csv line 651, QP059077: the job-seeker block is withheld (ABC blank), NOTE_PE 5
    ("anct_ipro", 2021, "QP059077", "ABC"): None,
    ("anct_ipro", 2021, "QP059077", "NOTE_PE"): 5,
    # IPRO_2020.csv line 1346, QP974049 Domenjod: CA 14, ABC 152, EVOL_ABC_T4 "-16,3"
    ("anct_ipro", 2020, "QP974049", "CA"): 14,
    ("anct_ipro", 2020, "QP974049", "ABC"): 152,
    ("anct_ipro", 2020, "QP974049", "EVOL_ABC_T4"): -16.3,
    # IPRO_2018.csv line 1347, QP974049: ABCDE 201, CA_N_E 25
    ("anct_ipro", 2018, "QP974049", "ABCDE"): 201,
    ("anct_ipro", 2018, "QP974049", "CA_N_E"): 25,
}


def _query(warehouse, sql, params=()):
    with connection(warehouse, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def _csv_rows(path) -> list[list[str]]:
    """Header + data rows of one ANCT file, read with the csv module (BOM removed, empty lines dropped)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row for row in csv.reader(handle, delimiter=";") if row]


def _path(shared_data, table, year):
    return shared_data / FOLDER / FILES[table][0].format(year)


@pytest.mark.parametrize(("table", "millesime"), EDITIONS, ids=[f"{t}-{y}" for t, y in EDITIONS])
def test_every_qpv_row_of_every_edition_is_loaded(real_warehouse, shared_data, table, millesime):
    rows = _csv_rows(_path(shared_data, table, millesime))[1:]
    n_qpv = sum(1 for r in rows if r[0].startswith("QP"))
    n_ensemble = sum(1 for r in rows if r[0] == "Ensemble")
    assert n_qpv + n_ensemble == len(rows)  # nothing else in the files
    [(qpv, ensemble, total)] = _query(
        real_warehouse,
        f"""select count(*) filter (where CODGEO like 'QP%'), count(*) filter (where CODGEO = 'Ensemble'),
                   count(*)
            from raw.{table} where millesime = ?""",
        [millesime],
    )
    assert (qpv, ensemble, total) == (n_qpv, n_ensemble, len(rows))
    assert n_qpv >= 1345


def test_values_read_by_hand_off_the_files(real_warehouse):
    with connection(real_warehouse, read_only=True) as con:
        got_values = {
            key: con.execute(
                f"select {key[3]} from raw.{key[0]} where CODGEO = ? and millesime = ?", [key[2], key[1]]
            ).fetchall()
            for key in KNOWN_VALUES
        }
    for (table, millesime, code, column), expected in KNOWN_VALUES.items():
        [(got,)] = got_values[(table, millesime, code, column)]
        if isinstance(expected, float):
            assert got == pytest.approx(expected), (table, millesime, code, column)
        else:
            assert got == expected, (table, millesime, code, column)


def test_lineage_points_at_the_line_of_the_file(real_warehouse):
    assert _query(
        real_warehouse,
        "select _fichier, _ligne from raw.anct_ipro where CODGEO = 'QP059077' and millesime = 2019",
    ) == [("anct_onpv_qpv2015/IPRO_2019.csv", 652)]
    assert _query(
        real_warehouse,
        "select fichier, ligne, population, foyers_allocataires from staging.stg_anct_demo "
        "where code_qp = 'QP059077' and millesime = 2019",
    ) == [("anct_onpv_qpv2015/DEMO_2019.csv", 652, 3445, 1000)]


def test_staging_names_and_derived_columns(real_warehouse):
    # IPRO_2019.csv line 652 (QP059077): TX_TOT_EMPL 46,9; ABCDE 556; ABC 474; ABC_F 228; A 292; ABC_25 60.
    assert _query(
        real_warehouse,
        """select taux_emploi_15_64, demandeurs_emploi_abcde, demandeurs_emploi_abc, demandeurs_emploi_abc_femmes,
                  demandeurs_emploi_a, demandeurs_emploi_abc_moins_25
           from staging.stg_anct_ipro where code_qp = 'QP059077' and millesime = 2019""",
    ) == [(46.9, 556, 474, 228, 292, 60)]
    # IPRO_2017.csv line 652 (QP059077): ABC_DUR3 95 + ABC_DUR4 160 = 255 registered for a year or more.
    assert _query(
        real_warehouse,
        "select demandeurs_emploi_abc_longue_duree from staging.stg_anct_ipro "
        "where code_qp = 'QP059077' and millesime = 2017",
    ) == [(255,)]


def test_ensemble_row_is_kept_in_raw_and_excluded_from_staging(real_warehouse):
    for table in ("anct_demo", "anct_ipro"):
        assert _query(
            real_warehouse,
            f"select millesime from raw.{table} where CODGEO = 'Ensemble' order by 1",
        ) == [(2017,), (2018,), (2019,)]
    assert _query(real_warehouse, "select millesime from raw.anct_demo_v1_qp where CODGEO = 'Ensemble'") == [
        (2019,)
    ]
    for table in ("stg_anct_demo", "stg_anct_ipro", "stg_qpv2015"):
        assert _query(
            real_warehouse,
            f"select count(*) from staging.{table} where code_qp not like 'QP%'",
        ) == [(0,)]
    # DEMO_2019.csv line 2: "Ensemble des QPV", POP_MUN "5 019 573" (far above a QPV's range: excluded from rules).
    assert _query(
        real_warehouse, "select POP_MUN from raw.anct_demo where CODGEO = 'Ensemble' and millesime = 2019"
    ) == [(5019573,)]


def test_the_ensemble_row_would_break_the_rules_if_it_were_not_excluded(real_warehouse):
    from assets import all_sources
    from pipelines.checks.validation import validate_frame

    source = next(s for s in all_sources() if s.name == "anct_demo")
    contract = source.load_contract()
    with connection(real_warehouse, read_only=True) as con:
        frame = con.execute("select * from raw.anct_demo where millesime = 2019").df()
    assert validate_frame(frame, contract).passed
    report = validate_frame(frame, dataclasses.replace(contract, exclude_from_rules={}))
    [pop_mun] = [f for f in report.errors if (f.rule, f.column) == ("range", "POP_MUN")]
    assert pop_mun.unexpected_count == 1 and pop_mun.examples[0]["CODGEO"] == "Ensemble"


def test_quoted_data_demo_2021_is_ingested(real_warehouse, shared_data):
    path = _path(shared_data, "anct_demo_v1_qp", 2021)
    assert path.read_bytes().startswith(b'"CODGEO";"POP_MUN"')  # quoted header, no BOM
    [(rows, bad_codes, lib_com, note_rp)] = _query(
        real_warehouse,
        """select count(*), count(*) filter (where not regexp_full_match(CODGEO, 'QP[0-9AB]{6}')),
                  count(LIB_COM), count(NOTE_RP)
           from raw.anct_demo_v1_qp where millesime = 2021""",
    )
    assert (rows, bad_codes, lib_com, note_rp) == (1400, 0, 0, 1400)  # no LIB_COM in 2021, NOTE_RP everywhere


def test_data_demo_2020_completes_the_demo_staging(real_warehouse):
    assert _query(
        real_warehouse,
        "select millesime, min(fichier), count(*), count(lib_qp) from staging.stg_anct_demo group by 1 order by 1",
    ) == [
        (2017, "anct_onpv_qpv2015/DEMO_2017.csv", 1345, 1345),
        (2018, "anct_onpv_qpv2015/DEMO_2018.csv", 1345, 1345),
        (2019, "anct_onpv_qpv2015/DEMO_2019.csv", 1345, 1345),
        (2020, "anct_onpv_qpv2015/data_DEMO_2020_V1_QP.csv", 1400, 0),  # the only copy of 2020: no QPV name
        (2021, "anct_onpv_qpv2015/DEMO_2021.csv", 1400, 1400),
    ]


def test_edlim_2021_columns_land_in_the_canonical_eprec_columns(real_warehouse, shared_data):
    header = [h.strip() for h in _csv_rows(_path(shared_data, "anct_ipro", 2021))[0]]
    assert "TX_TOT_EDLIM" in header and "TX_TOT_EPREC" not in header
    columns = {r[0] for r in _query(real_warehouse, "describe raw.anct_ipro")}
    assert {"TX_TOT_EPREC", "TX_F_EPREC", "TX_ET_EPREC"} <= columns
    assert not {"TX_TOT_EDLIM", "TX_F_EDLIM", "TX_ET_EDLIM"} & columns
    rows = _csv_rows(_path(shared_data, "anct_ipro", 2021))[1:]
    filled = {
        name: sum(1 for r in rows if r[header.index(name)].strip())
        for name in ("TX_TOT_EDLIM", "TX_F_EDLIM", "TX_ET_EDLIM")
    }
    [got] = _query(
        real_warehouse,
        "select count(TX_TOT_EPREC), count(TX_F_EPREC), count(TX_ET_EPREC) from raw.anct_ipro where millesime = 2021",
    )
    assert got == (filled["TX_TOT_EDLIM"], filled["TX_F_EDLIM"], filled["TX_ET_EDLIM"])
    # IPRO_2021.csv line 651 (QP059077): TX_TOT_EDLIM "23,4", TX_F_EDLIM "23,9", TX_ET_EDLIM "32,4".
    assert _query(
        real_warehouse,
        "select part_emplois_precaires, part_emplois_precaires_femmes, part_emplois_precaires_etrangers "
        "from staging.stg_anct_ipro where code_qp = 'QP059077' and millesime = 2021",
    ) == [(23.4, 23.9, 32.4)]


def test_qpv2015_list(real_warehouse, shared_data):
    codes = set()
    for pattern in ("REVN_*.csv", "DEMO_*.csv", "IPRO_*.csv"):
        for path in (shared_data / FOLDER).glob(pattern):
            codes |= {r[0] for r in _csv_rows(path)[1:] if r[0].startswith("QP")}
    got = {r[0] for r in _query(real_warehouse, "select code_qp from staging.stg_qpv2015")}
    assert got == codes and len(codes) == 1400
    assert _query(real_warehouse, "select count(*) - count(distinct code_qp) from staging.stg_qpv2015") == [
        (0,)
    ]
    rows = _query(
        real_warehouse,
        "select code_qp, lib_qp, code_departement, lib_com, premier_millesime, dernier_millesime "
        "from staging.stg_qpv2015 where code_qp in ('QP059077', 'QP02A001', 'QP974049') order by 1",
    )
    assert rows == [
        ("QP02A001", "Pifano", "2A", "Porto-Vecchio", 2017, 2021),  # DEMO_2021.csv: Pifano, Porto-Vecchio
        ("QP059077", "Les Oliveaux", "59", "Loos", 2017, 2021),  # DEMO_2021.csv line 651
        ("QP974049", "Domenjod", "974", "Saint-Denis", 2017, 2021),  # DEMO_2021.csv: Domenjod, Saint-Denis
    ]


@pytest.fixture
def ipro_copy(shared_data, tmp_path):
    """A data folder holding copies of the real REVN (required source) and IPRO files."""
    folder = tmp_path / "data" / FOLDER
    folder.mkdir(parents=True)
    for pattern in ("REVN_*.csv", "IPRO_*.csv"):
        for src in sorted((shared_data / FOLDER).glob(pattern)):
            shutil.copy(src, folder / src.name)
    return tmp_path / "data"


def test_women_job_seekers_above_the_total_stop_the_run(ipro_copy, tmp_path):
    target = ipro_copy / FOLDER / "IPRO_2019.csv"
    text = target.read_bytes().decode("utf-8")
    # IPRO_2019.csv line 652 (QP059077): ABCDE 556; ABCDE_F 266; ABCDE_H 290; ABC 474; ABC_F 228 -> 500.
    before = "QP059077;Les Oliveaux;46,9;41,8;35,8;18,9;21,8;27,1;7;0;-79,3;0;556;266;290;474;228;"
    assert text.count(before) == 1
    target.write_bytes(text.replace(before, before[: -len("228;")] + "500;").encode("utf-8"))

    with pytest.raises(PipelineError) as info:
        run_pipeline(ipro_copy, tmp_path / "w.duckdb", tmp_path / "dash", strict=True)
    message = str(info.value)
    assert "contrôle raw/anct_ipro:contrat en échec" in message
    [line] = [li for li in message.splitlines() if "[compare] column ABC,ABC_F" in li]
    assert "ABC >= ABC_F" in line and "edition 2019" in line
    assert "file anct_onpv_qpv2015/IPRO_2019.csv, line 652, CODGEO QP059077, ABC 474, ABC_F 500" in line


def test_demo_data_passes_the_anct_contracts(tmp_path):
    from pipelines.domain.demo.generator import generate_demo_data

    data = tmp_path / "data"
    generate_demo_data(data)
    warehouse = tmp_path / "w.duckdb"
    run_pipeline(data, warehouse, tmp_path / "dash")  # raises PipelineError if a contract check fails
    for table in ("anct_demo", "anct_demo_v1_qp", "anct_ipro"):
        [(rows, editions)] = _query(warehouse, f"select count(*), count(distinct millesime) from raw.{table}")
        assert rows > 0 and editions >= 2, table
    [(n_qpv,)] = _query(warehouse, "select count(distinct CODGEO) from raw.anct_revn where CODGEO like 'QP%'")
    assert _query(warehouse, "select count(*) from staging.stg_qpv2015") == [(n_qpv,)]
