"""Great Expectations Data Docs published by the contract checks of real runs, readable offline."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

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


# --- No markup from data in any page of the site (issue 26) -------------------------------------------------------

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def hostile_docs(tmp_path_factory):
    """The site published for a REVN validation whose failing values (and a file name) are HTML that runs."""
    from pipelines.checks.data_docs import publish, validation_record
    from pipelines.checks.validation import validate_frame
    from pipelines.contracts.model import load_contract
    from pipelines.paths import CONTRACTS_DIR
    from tests.test_validation import CLEAN, _frame

    contract = load_contract(CONTRACTS_DIR / "anct" / "revn.yaml")
    rows = [dict(r) for r in CLEAN]
    rows[1]["CODGEO"] = IMG  # pattern rule failed: GX lists the unexpected values in a table
    rows[2]["CODGEO"] = SCRIPT
    frame = _frame(rows, contract)
    frame["_fichier"] = "anct_onpv_qpv2015/<img src=y onerror=alert(2)>.csv"
    report = validate_frame(frame, contract)
    assert not report.passed
    docs = tmp_path_factory.mktemp("hostile") / "data_docs"
    publish(docs, [validation_record("anct_revn", "REVN", report, frame, "run-xss")])
    return docs


def test_no_markup_from_data_in_any_file_of_the_data_docs(hostile_docs):
    from pipelines.checks.data_docs import read_records

    files = [p for p in hostile_docs.rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in files) and any("validations" in p.parts for p in files)
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace").lower()
        for raw in ("<img src=x onerror", "<img src=y onerror", "<script>alert(1)", "alert(1)</script"):
            assert raw not in text, f"{path.relative_to(hostile_docs)} holds {raw!r} from data"
        if path.suffix == ".html":
            assert " onerror=" not in text.replace("onerror=alert", ""), path  # no handler left on any tag
    (page,) = (hostile_docs / "validations" / "anct_revn").rglob("*.html")
    gx_page = page.read_text(encoding="utf-8")
    # the values are shown, as text, once escaped (never twice), with GX's markup intact
    assert (
        "&lt;img src=x onerror=alert(1)&gt;" in gx_page and "&lt;script&gt;alert(1)&lt;/script&gt;" in gx_page
    )
    assert "&amp;lt;" not in gx_page and "fa-times text-danger" in gx_page
    index = (hostile_docs / "index.html").read_text(encoding="utf-8")
    assert (
        "&lt;img src=x onerror=alert(1)&gt;" in index and page.relative_to(hostile_docs).as_posix() in index
    )
    # the records keep the true values (the JSON escapes read back as `<`)
    record = read_records(hostile_docs)["anct_revn"]
    assert any(IMG in json.dumps(r["result"]) for r in record["result"]["results"])
    assert any(row.get("CODGEO") == SCRIPT for f in record["failures"] for row in f["first_offending_rows"])


def test_sanitiser_keeps_the_page_and_drops_what_runs():
    from pipelines.checks.data_docs import SANITISED, sanitise_page

    page = (
        '<!DOCTYPE html><html><head><title>t</title></head><body><div class="x" style="color:red">a &amp; b &lt;c&gt;'
        '<a href="javascript:alert(1)">j</a><a href="../index.html#x">ok</a><img src="x" onerror="alert(1)">'
        "<script>alert(1)</script><svg onload=alert(1)><iframe srcdoc='<script>alert(1)</script>'></iframe>"
        '<input type="checkbox" onclick="f()" checked><!-- c --></div></body></html>'
    )
    out = sanitise_page(page)
    assert out.startswith("<!DOCTYPE html><html><head><title>t</title>") and SANITISED in out
    assert '<div class="x" style="color:red">a &amp; b &lt;c&gt;' in out
    assert '<a>j</a><a href="../index.html#x">ok</a><img src="x">' in out
    assert "&lt;svg onload=alert(1)&gt;&lt;iframe" in out and '<input type="checkbox" checked>' in out
    assert "<script" not in out and "javascript:" not in out and "<!--" not in out


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOOK = "<script>window.alert = window.confirm = window.prompt = function (m) { parent.fired.push(String(m)); };</script>"


def _dialogs_fired(tmp_path: Path, pages: dict[str, str]) -> list[str]:
    """Each page in a same-origin iframe of one harness in headless Chromium, its dialogs (alert, confirm, prompt)
    replaced by a hook that records them; returns the messages the pages tried to show."""
    encoded = json.dumps(pages).replace("</", "<\\/").replace("<!", "<\\!")
    hook = json.dumps(HOOK).replace("</", "<\\/")
    tmp_path.mkdir(parents=True, exist_ok=True)
    harness = tmp_path / "harness.html"
    harness.write_text(
        "<!DOCTYPE html><html><head><title>en cours</title></head><body><script>var fired = [];"
        f"var pages = {encoded}; var hook = {hook};"
        "Object.keys(pages).forEach(function (name) { var f = document.createElement('iframe');"
        " f.srcdoc = hook + pages[name]; document.body.appendChild(f); });"
        "setTimeout(function () { var p = document.createElement('pre'); p.id = 'fired';"
        " p.textContent = 'FIRED' + JSON.stringify(fired); document.body.appendChild(p); }, 5000);"
        "</script></body></html>",
        encoding="utf-8",
    )
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         f"--user-data-dir={tmp_path / 'profile'}", "--allow-file-access-from-files", "--virtual-time-budget=10000",
         "--dump-dom", harness.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    found = re.search(r"FIRED(\[.*?\])</pre>", run.stdout)
    assert found, run.stdout[-500:] + run.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_no_dialog_fires_when_the_pages_open_in_chromium(hostile_docs, tmp_path):
    pages = {
        p.relative_to(hostile_docs).as_posix(): p.read_text(encoding="utf-8")
        for p in hostile_docs.rglob("*.html")
    }
    assert len(pages) >= 3  # our index, GX's expectations and validation pages
    # the detector works: the raw payloads, as GX wrote them before the fix, do fire
    control = {"control.html": f"<html><body><div>{IMG}</div><div>{SCRIPT}</div></body></html>"}
    assert sorted(_dialogs_fired(tmp_path / "control", control)) == ["1", "1"]
    assert _dialogs_fired(tmp_path / "pages", pages) == []
