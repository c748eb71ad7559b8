"""The pages benchmark (benchmarks/pages.py) on the demo warehouse: correctness only, no timing — the fiches written
by forked workers are byte for byte those of one process, and the result file carries both sides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import pages as bench
from dashboards.pages import fiches


def test_forked_fiches_are_the_one_process_fiches_and_the_benchmark_reports_both(
    demo_warehouse, tmp_path: Path
):
    row = bench.run(demo_warehouse, tmp_path, repeat=1, processes=2, log=lambda *_: None)
    assert row == json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert row["same_result"] is True, row["differences"]
    assert row["processes"] == 2 and row["fiches"] >= 30 and row["pages"] > row["fiches"]
    assert row["project_s"] > 0 and row["baseline_s"] > 0
    assert row["ratio"] == pytest.approx(row["baseline_s"] / row["project_s"], rel=0.02, abs=0.002)
    assert row["under_target"] == (row["project_s"] < bench.TARGET_S)


def test_the_comparison_sees_a_changed_page(tmp_path: Path):
    for side in ("a", "b"):
        (tmp_path / side / "fiches").mkdir(parents=True)
        (tmp_path / side / "fiches" / "QP1.html").write_text("<p>1</p>", encoding="utf-8")
    (tmp_path / "b" / "fiches" / "QP1.html").write_text("<p>2</p>", encoding="utf-8")
    (tmp_path / "b" / "index.html").write_text("", encoding="utf-8")
    assert bench._differences(tmp_path / "a", tmp_path / "b") == ["fiches/QP1.html", "index.html"]


def test_worker_count(monkeypatch):
    monkeypatch.delenv(fiches.PROCESSES_ENV, raising=False)
    assert fiches.fiche_processes(10) == 1  # a few fiches: one process
    assert 1 <= fiches.fiche_processes(3000) <= 4
    monkeypatch.setenv(fiches.PROCESSES_ENV, "3")
    assert fiches.fiche_processes(10) == 3


def test_a_failing_fiche_in_a_worker_fails_the_render(monkeypatch):
    monkeypatch.setenv(fiches.PROCESSES_ENV, "2")

    def build(i: int):
        if i == 7:
            raise OSError("disque plein")
        return i

    with pytest.raises(OSError, match="disque plein"):
        fiches._map_fiches(build, 12)
    assert fiches._map_fiches(lambda i: i * 10, 5) == [0, 10, 20, 30, 40]  # order kept across workers
