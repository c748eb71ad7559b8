"""The SIRENE benchmark at 100 k establishments (correctness only, no timing), the large-table contract check
(rules counted in DuckDB, Great Expectations on a bounded sample) and the checksum cache of file discovery."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import sirene as bench
from pipelines.checks.validation import validate_frame, validate_relation
from pipelines.contracts.model import load_contract
from pipelines.paths import CONTRACTS_DIR
from pipelines.sources.parsing import cached_sha256, sha256_of
from pipelines.warehouse import connection as warehouse
from tests.test_validation import CLEAN, _frame


def test_benchmark_100k_same_result(tmp_path: Path):
    # Parquet only, to stay fast: the CSV-zip path of the loader is tested in tests/test_sirene_loader.py
    rows = bench.run([100_000], 2024, tmp_path, ("parquet",), log=lambda *_: None)
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert saved == rows and len(saved) == 1
    assert list(saved[0]) == list(bench.RESULT_KEYS)
    row = saved[0]
    assert row["size"] == 100_000 and row["same_result"] is True
    assert row["project_s"] > 0 and row["baseline_s"] > 0
    assert row["ratio"] == pytest.approx(row["baseline_s"] / row["project_s"], rel=0.02, abs=0.002)
    details = json.loads((tmp_path / "details.json").read_text(encoding="utf-8"))[0]
    assert details["qpv_with_ess"] > 100  # establishments really land in the perimeters
    assert details["parquet"]["noop_refresh"]["nothing_changed"] is True
    assert not details["parquet"]["failed_checks"]
    # the generated stock follows the official layouts and is cached by size and seed
    dataset = Path(details["dataset"])
    names = sorted(p.name for p in (dataset / "sirene").iterdir())
    assert len(names) == 6 and all(n.endswith((".parquet", ".zip")) for n in names)
    assert bench.generate(100_000, 2024, tmp_path) == dataset


def test_same_per_qpv_detects_a_difference():
    a = {"QN00101M": [3, 14.5], "QN00102M": [1, 0.0]}
    assert bench.same_per_qpv(a, {k: list(v) for k, v in a.items()})
    assert not bench.same_per_qpv(a, {**a, "QN00102M": [2, 0.0]})
    assert not bench.same_per_qpv(a, {**a, "QN00103M": [1, 1.5]})
    assert not bench.same_per_qpv(a, {**a, "QN00101M": [3, 15.0]})


# --- Large tables: the SQL path gives the same report as the pandas path --------------------------------


@pytest.fixture(scope="module")
def revn():
    return load_contract(CONTRACTS_DIR / "anct" / "revn.yaml")


def _dirty():
    dirty = [dict(r) for r in CLEAN]
    dirty[1]["TP60"] = 140.0
    dirty[2]["APRES100"] = 50
    dirty[3]["CODGEO"] = "QP59049"
    dirty.append({"CODGEO": "QP059077", "LIBGEO": "doublon", "TP60": 40.0})
    dirty.append({"CODGEO": "QP059078", "LIBGEO": None, "TP60": 40.0, "NOTE_FILO": 9})
    clean = [{"CODGEO": f"QP075{i:03d}", "LIBGEO": "q", "TP60": 40.0} for i in range(100, 400)]
    return dirty + clean + [{"CODGEO": "QP076001", "LIBGEO": "q", "TP60": -3.0}]


def _evidence(report):
    return {
        (f.rule, f.column): (f.unexpected_count, f.severity, f.millesime, f.examples[:1])
        for f in report.failures
    }


def test_large_table_path_reports_like_the_frame_path(revn):
    frame = _frame(_dirty(), revn)
    expected = validate_frame(frame, revn)
    with warehouse.connection(None) as con:
        con.register("dirty_frame", frame)
        con.execute("create table t as select * from dirty_frame")
        small, seen_small = validate_relation(con, "select * from t", revn)
        large, sample = validate_relation(con, "select * from t", revn, frame_max_rows=10, sample_rows=20)
    assert len(seen_small) == len(frame)  # under the threshold: every row through GX
    assert _evidence(small) == _evidence(expected)
    assert _evidence(large) == _evidence(expected)
    assert len(sample) < len(frame)  # above it: a bounded sample
    assert large.rows == expected.rows and large.excluded_rows == expected.excluded_rows == 1
    range_tp60 = next(f for f in large.failures if (f.rule, f.column) == ("range", "TP60"))
    assert range_tp60.unexpected_count == 2 and range_tp60.examples[0]["line"] == 3
    assert "line 3" in large.summary()


def test_large_table_path_counts_rows_per_edition(revn):
    rows = [{"CODGEO": f"QP059{i:03d}", "LIBGEO": "q", "TP60": 40.0} for i in range(1, 1000)]
    frame = pd.concat(
        [
            _frame(rows, revn),
            _frame(rows, revn).assign(millesime=2021, _fichier="anct_onpv_qpv2015/REVN_2021.csv"),
            _frame(rows, revn).assign(millesime=2021, _fichier="anct_onpv_qpv2015/REVN_2021_bis.csv"),
        ],
        ignore_index=True,
    )
    with warehouse.connection(None) as con:
        con.register("editions_frame", frame)
        report, sample = validate_relation(
            con, "select * from editions_frame", revn, frame_max_rows=100, sample_rows=50
        )
    assert len(sample) < 200
    failures = {(f.rule, f.millesime): f for f in report.failures}
    assert ("row_count", 2021) in failures and ("row_count", 2019) not in failures
    unique = next(f for f in report.failures if f.rule == "unique_key")
    assert unique.unexpected_count == 1998 and unique.millesime == 2021
    assert unique.examples[0]["file"] == "anct_onpv_qpv2015/REVN_2021.csv" and unique.examples[0]["line"] == 2


# --- Checksum cache -------------------------------------------------------------------------------------


def test_checksum_cache_skips_unchanged_files_and_sees_changes(tmp_path: Path, monkeypatch):
    cache = tmp_path / "cache.sqlite"
    data = tmp_path / "stock.parquet"
    data.write_bytes(b"PAR1" + b"x" * 1000)
    first = cached_sha256(data, cache)
    assert first == sha256_of(data)
    calls = []
    monkeypatch.setattr("pipelines.sources.parsing.sha256_of", lambda p: calls.append(p) or "hashed")
    assert cached_sha256(data, cache) == first and not calls  # unchanged: not re-read
    stat = data.stat()
    data.write_bytes(b"PAR1" + b"y" * 1000)  # same size, mtime put back: ctime still changes
    os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cached_sha256(data, cache) == "hashed" and calls == [data]
    monkeypatch.undo()
    cache.write_bytes(b"not a database")  # a broken cache is ignored, never an error
    assert cached_sha256(data, cache) == sha256_of(data)
    monkeypatch.setenv("QPV_CHECKSUM_CACHE", "off")
    from pipelines.sources.parsing import checksum_cache_path

    assert checksum_cache_path() is None
