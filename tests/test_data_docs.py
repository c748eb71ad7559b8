"""Great Expectations Data Docs published by the contract checks of real runs, readable offline."""

from __future__ import annotations

import json
import re

import pytest

from assets import all_sources
from pipelines.runner import PipelineError, run_pipeline
from pipelines.sources.parsing import discover_files


def _external_loads(page: str) -> list[str]:
    """What a browser would fetch from the network when opening the page."""
    return re.findall(r"<(?:script|link|img)[^>]*(?:src|href)=\"(https?://[^\"]+)\"", page)


def test_a_demo_run_publishes_the_data_docs_of_every_dataset(demo_warehouse):
    out = demo_warehouse.parent
    docs = out / "data_docs"  # run_pipeline's default: beside the dashboards
    index = (docs / "index.html").read_text(encoding="utf-8")
    data = out / "data"
    for source in all_sources():
        files = discover_files(source, data)
        assert f'id="{source.name}"' in index, source.name
        if not files:
            continue
        # Each dataset present in the demo: its expectations page and this run's validation results.
        assert (docs / "expectations" / f"{source.name}.html").exists(), source.name
        results = list((docs / "validations" / source.name).rglob("*.html"))
        assert len(results) == 1, source.name
        for f in files:  # the files listed are the ones in the demo folder
            assert f.relative in index
        record = json.loads((docs / "_resultats" / f"{source.name}.json").read_text(encoding="utf-8"))
        assert record["passed"] and record["errors"] == 0
    assert "aucune règle bloquante en échec" in index
    for page in docs.rglob("*.html"):
        assert _external_loads(page.read_text(encoding="utf-8")) == [], page

    # The REVN suite page lists the expectations generated from the contract (TP60 in [0, 100]).
    suite = (docs / "expectations" / "anct_revn.html").read_text(encoding="utf-8")
    assert "TP60" in suite and "100" in suite
    # The dashboards index links to the Data Docs with a relative path that resolves.
    dashboards_index = (out / "dashboards" / "index.html").read_text(encoding="utf-8")
    assert (
        'href="../data_docs/index.html"' in dashboards_index
        and "Qualité des données (contrats)" in dashboards_index
    )
    assert (out / "dashboards" / "../data_docs/index.html").resolve().exists()


def test_a_failing_run_still_publishes_docs_showing_the_failure(revn_copy, tmp_path):
    data = revn_copy(lambda t: t.replace("17\u202f110;41,1;", "17\u202f110;140;"))
    text = (data / "anct_onpv_qpv2015" / "REVN_2019.csv").read_bytes().decode("utf-8")
    line = next(i for i, row in enumerate(text.split("\n"), start=1) if "17\u202f110;140;" in row)
    code = text.split("\n")[line - 1].split(";")[0]
    docs = tmp_path / "docs_out"
    with pytest.raises(PipelineError):
        run_pipeline(data, tmp_path / "w.duckdb", tmp_path / "dash", data_docs_dir=docs, strict=True)

    index = (docs / "index.html").read_text(encoding="utf-8")
    assert "1 en échec : anct_revn" in index
    row = re.search(r'<tr id="anct_revn">.*?</tr>', index, re.S).group(0)
    assert "échec" in row
    evidence = index.split("<h3>anct_revn</h3>", 1)[1]
    assert "colonne TP60, édition 2019" in evidence
    assert f"<td>{line}</td><td>{code}</td><td>140.0</td>" in evidence
    # GX's own validation page of the run shows the failed expectation and the unexpected value.
    (page,) = (docs / "validations" / "anct_revn").rglob("*.html")
    gx_page = page.read_text(encoding="utf-8")
    assert "fa-times text-danger" in gx_page  # a failed expectation
    assert "140.0" in gx_page  # GX's sample of unexpected values
    # Sources absent from the folder are listed without pages.
    assert (
        '<tr id="insee_cog_communes">' in index and not (docs / "validations" / "insee_cog_communes").exists()
    )


def test_rebuilding_keeps_the_other_datasets_and_replaces_the_folder(tmp_path):
    from pipelines.checks.data_docs import publish, read_records

    docs = tmp_path / "dd"
    first = {
        "dataset": "a",
        "title": "A",
        "contract": "a 1",
        "run_id": "r1",
        "checked_at": "2026-01-01T00:00:00Z",
        "passed": True,
        "rows": 3,
        "rows_excluded": 0,
        "expectations": 0,
        "errors": 0,
        "warnings": 0,
        "failures": [],
        "files": [],
        "suite": None,
        "result": None,
    }
    publish(docs, [first])
    publish(docs, [{**first, "dataset": "b", "title": "B"}])
    assert set(read_records(docs)) == {"a", "b"}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dd-")] == []  # no staging folder left
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert 'id="a"' in index and 'id="b"' in index
