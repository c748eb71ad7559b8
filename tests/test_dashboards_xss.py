"""A QPV named `<script>alert(1)</script>` in the producer files renders as text on every generated page.

The demo data are generated, one QPV is renamed in the ANCT REVN/DEMO/IPRO CSVs (2015 geography) and in the 2024
GeoJSON (`lib_qp`), the real pipeline runs (one full run) and the dashboards are rendered. No HTML file may contain
the raw tag, and the escaped name must be shown. Plotly embeds its figure JSON in a <script> block: it encodes
`<`, `>` and `/` as \\u003c, \\u003e, \\u002f (checked here too), so no `</script>` can close the block early.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from dashboards.render import render_all
from pipelines.domain.demo.generator import generate_demo_data
from pipelines.runner import run_pipeline
from pipelines.warehouse.connection import connection

RAW = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
NAME = "Cité des Ateliers"  # QP059903 (2015) and QN05996I (2024) in the demo
CODES = ("QP059903", "QN05996I")


def _rename(data: Path) -> int:
    """Rename the QPV in the producer files; returns the number of files edited."""
    edited = 0
    for path in sorted((data / "anct_onpv_qpv2015").glob("*.csv")):
        text = path.read_bytes().decode("utf-8")
        lines = text.split("\n")
        changed = False
        for i, line in enumerate(lines):
            if line.startswith(f"{CODES[0]};{NAME};"):
                lines[i] = line.replace(f"{CODES[0]};{NAME};", f"{CODES[0]};{RAW};", 1)
                changed = True
        if changed:
            path.write_bytes("\n".join(lines).encode("utf-8"))
            edited += 1
    defm = data / "france_travail" / "DEFM_QPV2024_2024.zip"  # the 2024 name also comes with the DEFM
    with zipfile.ZipFile(defm) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    for member, content in members.items():
        if member.startswith("DEFM_"):
            old = f"{CODES[1]};{NAME};".encode()
            assert old in content
            members[member] = content.replace(old, f"{CODES[1]};{RAW};".encode())
            edited += 1
    with zipfile.ZipFile(defm, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    geojson = data / "anct_qpv2024" / "qpv2024_simplified.geojson"
    collection = json.loads(geojson.read_text(encoding="utf-8"))
    for feature in collection["features"]:
        if feature["properties"]["code_qp"] == CODES[1]:
            assert feature["properties"]["lib_qp"] == NAME
            feature["properties"]["lib_qp"] = RAW
            edited += 1
    geojson.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return edited


def test_qpv_name_with_script_tag_renders_as_text(tmp_path: Path):
    data = tmp_path / "data"
    generate_demo_data(data)
    assert _rename(data) >= 8  # REVN, DEMO, IPRO in 2015; the DEFM file and the GeoJSON feature in 2024
    warehouse = tmp_path / "qpv.duckdb"
    run_pipeline(data, warehouse, tmp_path / "pipeline_dashboards")

    # the name went through the pipeline untouched (escaping is the pages' job, not the warehouse's)
    with connection(warehouse, read_only=True) as con:
        names = con.execute(
            "select distinct code_qp, lib_qp from marts.indicateurs_qpv where code_qp in (?, ?)", list(CODES)
        ).fetchall()
    assert sorted(names) == [(CODES[1], RAW), (CODES[0], RAW)]

    out = tmp_path / "dashboards"
    render_all(warehouse, out, png=False, fiches=True)
    pages = sorted(out.rglob("*.html"))
    assert pages
    for directory in (out, tmp_path / "pipeline_dashboards"):
        for page in sorted(directory.rglob("*.html")):
            html = page.read_text(encoding="utf-8")
            assert RAW not in html, f"{page.relative_to(directory)} contains the raw <script> name"
            assert "alert(1)</" not in html, f"{page.relative_to(directory)}: a closing tag from data"
            # every <script> block ends at its own </script>: no data-made tag inside
            for block in re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S):
                assert "<script" not in block.lower() and "alert(1)<" not in block
            assert html.lower().count("<script") == html.lower().count("</script>"), page.name

    shown = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in pages}
    # the escaped name is shown as text in the tables of the theme pages
    for name in ("non_recours.html", "ess.html"):
        assert ESCAPED in shown[name], name
    # and the chart JSON carries it entity-escaped by figures_themes, `/` \u-encoded by plotly (shown as text)
    for name in ("non_recours.html", "ess.html"):
        assert "&lt;script&gt;alert(1)&lt;\\u002fscript&gt; (QP059903)" in shown[name], name
