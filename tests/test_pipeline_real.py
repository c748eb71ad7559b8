"""Tier 3: the whole graph on the real extracts of ../shared/data, checked against values read off the files."""

from __future__ import annotations

import csv

import pytest

from pipelines.runner import PipelineError, run_pipeline
from pipelines.warehouse.connection import connection

# Read by hand off the real REVN files (line of QP059077 Les Oliveaux, columns TP60 and DISP_Q2).
OLIVEAUX = {2017: (38.8, 13450.0), 2018: (40.0, 13537.0), 2019: (41.1, 13474.0), 2021: (42.6, 13440.0)}


def _query(warehouse, sql, params=()):
    with connection(warehouse, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def _file_facts(shared_data, millesime):
    """QPV count and blank TP60 cells of one REVN file, computed with the csv module, not with the project."""
    path = shared_data / "anct_onpv_qpv2015" / f"REVN_{millesime}.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    tp60 = rows[0].index("TP60")
    qpv = [r for r in rows[1:] if r and r[0].startswith("QP")]
    return len(qpv), sum(1 for r in qpv if not r[tp60].strip())


def test_known_values_of_les_oliveaux(real_warehouse):
    rows = _query(
        real_warehouse,
        "select millesime, indicateur, valeur from marts.indicateurs_qpv where code_qp = ? order by 1, 2",
        ["QP059077"],
    )
    got = {(m, i): v for m, i, v in rows}
    for millesime, (tp60, median) in OLIVEAUX.items():
        assert got[(millesime, "taux_pauvrete_60")] == pytest.approx(tp60)
        assert got[(millesime, "revenu_median_uc")] == pytest.approx(median)


@pytest.mark.parametrize("millesime", [2017, 2018, 2019, 2021])
def test_every_qpv_of_every_edition_with_secret_cells_kept(real_warehouse, shared_data, millesime):
    n_qpv, blank_tp60 = _file_facts(shared_data, millesime)
    [(count, secret, nulls_not_secret)] = _query(
        real_warehouse,
        """select count(distinct code_qp),
                  count(*) filter (where secret),
                  count(*) filter (where valeur is null and not secret)
           from marts.indicateurs_qpv where millesime = ? and indicateur = 'taux_pauvrete_60'""",
        [millesime],
    )
    assert count == n_qpv
    assert secret == blank_tp60 and nulls_not_secret == 0
    assert blank_tp60 > 0  # the real files do have blanks: the test exercises the secret path


def test_ensemble_row_is_kept_apart(real_warehouse):
    assert _query(
        real_warehouse, "select count(*) from marts.indicateurs_qpv where code_qp = 'Ensemble'"
    ) == [(0,)]
    rows = _query(
        real_warehouse,
        "select millesime, revenu_median_uc, foyers_allocataires from staging.stg_anct_revn_ensemble order by 1",
    )
    assert [r[0] for r in rows] == [2017, 2018, 2019]
    assert rows[2][1:] == (13101.0, 1537600)  # REVN_2019 "Ensemble des QPV": 13 101 €, 1 537 600 foyers


def test_lineage_columns_trace_every_figure_to_its_file(real_warehouse, shared_data):
    import hashlib

    digest = hashlib.sha256((shared_data / "anct_onpv_qpv2015" / "REVN_2019.csv").read_bytes()).hexdigest()
    assert _query(
        real_warehouse,
        "select distinct fichier_sha256 from marts.indicateurs_qpv "
        "where millesime = 2019 and indicateur = 'taux_pauvrete_60'",
    ) == [(digest,)]
    assert _query(
        real_warehouse,
        "select _fichier, _ligne from raw.anct_revn where CODGEO = 'QP059077' and millesime = 2019",
    ) == [("anct_onpv_qpv2015/REVN_2019.csv", 652)]


def test_every_indicator_is_in_the_dictionary(real_warehouse):
    missing = _query(
        real_warehouse,
        "select distinct indicateur from marts.indicateurs_qpv "
        "where indicateur not in (select code from marts.ref_indicateurs)",
    )
    assert missing == []


def test_rate_of_140_stops_the_run_before_the_marts(revn_copy, tmp_path):
    good = revn_copy()
    warehouse = tmp_path / "w.duckdb"
    run_pipeline(good, warehouse, tmp_path / "dash")
    # the marts' content, order-independent and exact (a float sum would depend on the scan order)
    fingerprint = (
        "select count(*), bit_xor(hash(code_qp, millesime, indicateur, valeur)) from marts.indicateurs_qpv"
    )
    before = _query(warehouse, fingerprint)

    bad = tmp_path / "bad"
    bad_folder = bad / "anct_onpv_qpv2015"
    bad_folder.mkdir(parents=True)
    for path in (good / "anct_onpv_qpv2015").iterdir():
        text = path.read_bytes().decode("utf-8")
        if path.name == "REVN_2019.csv":
            text = text.replace(
                "13\u202f474;10\u202f388;17\u202f110;41,1;", "13\u202f474;10\u202f388;17\u202f110;140;"
            )
            assert "140;" in text
        (bad_folder / path.name).write_bytes(text.encode("utf-8"))

    with pytest.raises(PipelineError) as info:
        run_pipeline(bad, warehouse, tmp_path / "dash", strict=True)
    message = str(info.value)
    assert "column TP60" in message and "QP059077" in message and "140" in message and "line 652" in message
    assert _query(warehouse, fingerprint) == before


def test_unparseable_value_names_file_line_and_column(revn_copy, tmp_path):
    data = revn_copy(lambda t: t.replace("17\u202f110;41,1;", "17\u202f110;41,1x;"))
    with pytest.raises(PipelineError) as info:
        run_pipeline(data, tmp_path / "w.duckdb", tmp_path / "dash", strict=True)
    assert (
        "anct_onpv_qpv2015/REVN_2019.csv, ligne 652, colonne TP60 (n° 14) : '41,1x' n'est pas un nombre"
        in str(info.value)
    )


def test_missing_source_files_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(PipelineError, match=r"aucun fichier ne correspond à REVN_"):
        run_pipeline(tmp_path / "empty", tmp_path / "w.duckdb", tmp_path / "dash")


def test_a_source_whose_files_vanished_is_not_emptied_without_allow_removal(
    revn_copy, shared_data, tmp_path, monkeypatch
):
    """Issue 26: the IPRO files renamed by mistake (a whole theme used to vanish from the marts); the run stops with
    one line naming the folder and the rows kept; --allow-removal (QPV_ALLOW_REMOVAL=1) lets it empty the table."""
    data = revn_copy()
    ipro = data / "anct_onpv_qpv2015" / "IPRO_2019.csv"
    ipro.write_bytes((shared_data / "anct_onpv_qpv2015" / "IPRO_2019.csv").read_bytes())
    warehouse = tmp_path / "w.duckdb"
    run_pipeline(data, warehouse, tmp_path / "dash")
    [(before,)] = _query(warehouse, "select count(*) from raw.anct_ipro")
    assert before > 1300
    ipro.rename(ipro.with_name("IPRO 2019.csv"))
    monkeypatch.delenv("QPV_ALLOW_REMOVAL", raising=False)
    with pytest.raises(
        PipelineError, match=r"aucun fichier pour anct_ipro alors que l'entrepôt en publie \d+ lignes"
    ):
        run_pipeline(data, warehouse, tmp_path / "dash")
    assert _query(warehouse, "select count(*) from raw.anct_ipro") == [(before,)]
    monkeypatch.setenv("QPV_ALLOW_REMOVAL", "1")
    run_pipeline(data, warehouse, tmp_path / "dash")
    assert _query(warehouse, "select count(*) from raw.anct_ipro") == [(0,)]


def test_national_reference_value_of_domain_md(real_warehouse):
    # DOMAIN.md §4: across the 1,350 QPV of REVN_2019 with a published TP60, the median is 43.1, range 20.3-81.5.
    [(n, median, low, high)] = _query(
        real_warehouse,
        "select count(valeur), median(valeur), min(valeur), max(valeur) from marts.indicateurs_qpv "
        "where millesime = 2019 and indicateur = 'taux_pauvrete_60'",
    )
    assert (n, round(median, 1), low, high) == (1350, 43.1, 20.3, 81.5)


def test_schema_drift_is_recorded_and_stops_only_with_strict(revn_copy, tmp_path):
    # REVN_2021 with PMIMP renamed to PART_IMPOSES and BREV removed (header and every row): two optional columns
    # absent (NULL for 2021, with a note), one the contract does not know (named, not loaded).
    def drift(text: str) -> str:
        lines = text.split("\r\n")
        header = lines[0].split(";")
        brev = header.index("BREV")
        header[header.index("PMIMP")] = "PART_IMPOSES"
        rows = [
            ";".join(c for i, c in enumerate(line.split(";")) if i != brev)
            for line in [";".join(header), *lines[1:]]
        ]
        return "\r\n".join(rows)

    data = revn_copy(drift, edition=2021)
    summary = run_pipeline(data, tmp_path / "w.duckdb", tmp_path / "dash")
    assert summary.undeclared == {"anct_revn": {"anct_onpv_qpv2015/REVN_2021.csv": ["PART_IMPOSES"]}}
    assert summary.held_back == []
    [(pmimp_2021, brev_2021, brev_2019)] = _query(
        tmp_path / "w.duckdb",
        "select count(PMIMP) filter (millesime = 2021), count(BREV) filter (millesime = 2021), "
        "count(BREV) filter (millesime = 2019) from raw.anct_revn",
    )
    assert (pmimp_2021, brev_2021) == (0, 0) and brev_2019 > 1300
    # --strict: the old policy of a contract that says unknownColumns: reject
    with pytest.raises(PipelineError) as info:
        run_pipeline(data, tmp_path / "strict.duckdb", tmp_path / "dash", strict=True)
    message = str(info.value)
    assert "anct_onpv_qpv2015/REVN_2021.csv, ligne 1 : dérive du schéma" in message
    assert "colonne(s) hors contrat : ['PART_IMPOSES']" in message
    absent = message.split("absente(s) de ce fichier :")[1]
    assert "'PMIMP'" in absent and "'BREV'" in absent


# A later edition dropped into the data folder (no code change), seen by the sensor and published in one step:
# tests/test_sensor.py::test_a_new_edition_dropped_in_is_ingested_and_published_in_one_step.
