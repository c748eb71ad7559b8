"""Printing (issue 24): a fiche quartier prints on A4 pages with the shared stylesheet's print rules, and the EPCI
bundle's synthese.pdf is the summary printed with the same rules. In a real headless Chromium, on the demo site and
on the site built from the real extracts (`demo_site`, `real_site` of tests/pages_fixtures.py):

- `--print-to-pdf` of a fiche: every page of the PDF is A4 (MediaBox 595 x 842 pt), its text (pdftotext, Debian
  poppler-utils, installed by .ci/run) holds the fiche's title and the footer (sources, years of the data, date of
  the last refresh), never the navigation, the search box, the skip link nor the download links;
- nothing is cut on the right: a harness page loads fiches in iframes as wide as a screen, applies the print rules
  (the `@media print` rules of the page's own stylesheet, copied as screen rules: Chromium's command line cannot
  emulate print media), fires `beforeprint` as a print does, narrows the frame to the width an A4 page leaves
  (site.PRINT_WIDTH_MM) and measures: no horizontal scrolling, every figure, chart and table within the width, the
  charts redrawn at that width (the page's print script); after `afterprint` at screen width, the charts are drawn
  at screen width again;
- the bundle: synthese.html and the home page use the shared stylesheet (style.css beside them, the same bytes as the
  site's, print rules included) and the site's header and footer; synthese.pdf is A4.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from dashboards import bundle, site
from tests import pages_fixtures
from tests.conftest import query
from tests.test_dashboards_browser import CHROMIUM, CONSOLE, chromium
from tests.test_territoire import demo_config  # noqa: F401 - the fixture: `qpv territoire init` for a demo EPCI

PDFTOTEXT = shutil.which("pdftotext")
if (CHROMIUM is None or PDFTOTEXT is None) and os.environ.get("CI"):
    pytest.fail("chromium and pdftotext are required on CI (.ci/run installs them)", pytrace=False)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or PDFTOTEXT is None,
    reason="chromium or pdftotext not installed (apt-get install chromium poppler-utils; .ci/run installs them)",
)

demo_site = pages_fixtures.demo_site  # the sites rendered once per session
real_site = pages_fixtures.real_site

A4 = (595.28, 841.89)  # points
SCREEN = 1400  # the width of the screen the pages are first drawn at (charts wider than the paper)
WAIT_MS = 60_000  # virtual time the harness may wait for the frames to draw
NOT_PRINTED = (
    "Aller au contenu",
    "Trouver un quartier prioritaire",
    "Insertion, démographie, revenus",
    "(CSV)",
)


@pytest.fixture(params=["demo", "real"])
def site_and_warehouse(request) -> tuple[Path, Path]:
    return (
        request.getfixturevalue(f"{request.param}_site"),
        request.getfixturevalue(f"{request.param}_warehouse"),
    )


def largest_fiches(site_dir: Path, count: int) -> list[Path]:
    """The fiches with the most content (the largest files: the widest tables, the most charts)."""
    fiches = [p for p in (site_dir / "fiches").glob("*.html") if p.name != "index.html"]
    return sorted(fiches, key=lambda p: (-p.stat().st_size, p.name))[:count]


def print_pdf(tmp: Path, page: Path) -> Path:
    """The page printed by Chromium as a user's browser does (`--print-to-pdf`, no header or footer of the browser),
    from a screen wider than the paper."""
    pdf = tmp / f"{page.stem}.pdf"
    run = chromium(
        tmp, page.as_uri(), f"--window-size={SCREEN},1000", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
        "--virtual-time-budget=15000", timeout=180,
    )  # fmt: skip
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-", run.stderr[-2000:]
    return pdf


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """(width, height) in points of every page: the MediaBox Chromium writes in each page object."""
    data = pdf.read_bytes()
    pages = re.findall(rb"/Type\s*/Page(?![A-Za-z])", data)
    boxes = re.findall(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]", data)
    assert len(boxes) == len(pages), (len(boxes), len(pages))
    return [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]


def pdf_text(pdf: Path) -> str:
    """The text of the PDF, blanks (and line ends) collapsed to one space."""
    out = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True)
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8")).replace("\u00a0", " ")


def assert_a4(pdf: Path) -> list[tuple[float, float]]:
    sizes = page_sizes(pdf)
    assert sizes, pdf
    for width, height in sizes:
        assert abs(width - A4[0]) <= 1 and abs(height - A4[1]) <= 1, (pdf.name, width, height)
    return sizes


def refresh_date(warehouse: Path) -> str:
    published = query(warehouse, "select published_at from meta.publication")[0][0]
    return published.astimezone().strftime("%d/%m/%Y à %H:%M")


def title_of(page: Path) -> str:
    return unescape(re.search(r"<h1>(.*?)</h1>", page.read_text(encoding="utf-8"), re.S).group(1))


def test_a_fiche_prints_on_a4_pages_with_its_footer_and_without_the_navigation(site_and_warehouse, tmp_path):
    site_dir, warehouse = site_and_warehouse
    fiche = largest_fiches(site_dir, 1)[0]
    pdf = print_pdf(tmp_path, fiche)
    sizes = assert_a4(pdf)
    assert 0 < len(sizes) <= 12, len(sizes)
    text = pdf_text(pdf)
    assert title_of(fiche) in text
    assert "Observatoire économique des quartiers prioritaires" in text  # the header's name of the site
    footer = text[text.rindex("Sources :") :]
    refreshed = f"Dernière actualisation de l'entrepôt : {refresh_date(warehouse)}"
    assert "Années des données" in footer and refreshed in footer
    for absent in NOT_PRINTED:
        assert absent not in text, absent
    screen = fiche.read_text(encoding="utf-8")
    assert all(absent in screen for absent in NOT_PRINTED[:3])  # on the screen, they are


HARNESS = """<!DOCTYPE html><html><body style="margin:0">__FRAMES__
<script>
var WAIT = __WAIT__, MM = __MM__, SCREEN = __SCREEN__, t0 = Date.now();
var frames = Array.prototype.slice.call(document.querySelectorAll("iframe"));
var HIDDEN = [".site-nav", ".recherche", ".evitement", ".telechargements", ".modebar-container"];
var BOXES = "header, main, footer, figure, table, .js-plotly-plot, .main-svg, svg, img, p, ul, h1, h2, h3, .defile";
function say(name, key, value) { console.log("HARNESS " + name + " " + key + "=" + JSON.stringify(value)); }
function each(list, fn) { return Array.prototype.map.call(list, fn); }
function ready(f) {
  var d = f.contentDocument;
  return d && d.readyState === "complete" && each(d.querySelectorAll(".js-plotly-plot"), function (c) {
    return !!c.querySelector(".main-svg"); }).every(Boolean);
}
function widths(d) { return each(d.querySelectorAll(".js-plotly-plot"), function (gd) {
  return gd._fullLayout ? gd._fullLayout.width : -1; }); }
function printRules(d) {  // the @media print rules of the page's stylesheets, as screen rules
  var text = "", count = 0;
  each(d.styleSheets, function (sheet) { each(sheet.cssRules, function (rule) {
    if (rule.media && /print/.test(rule.media.mediaText)) {
      each(rule.cssRules, function (inner) { text += inner.cssText + "\\n"; count += 1; }); } }); });
  var style = d.createElement("style"); style.textContent = text; d.head.appendChild(style);
  return count;
}
function measure(i) {
  if (i >= frames.length) { console.log("HARNESS done"); return; }
  var f = frames[i], name = f.getAttribute("data-name");
  if (!ready(f) && Date.now() - t0 < WAIT) { setTimeout(function () { measure(i); }, 300); return; }
  var d = f.contentDocument, w = f.contentWindow;
  say(name, "rules", printRules(d));
  say(name, "screen", widths(d));
  w.dispatchEvent(new w.Event("beforeprint"));
  var probe = d.createElement("div"); probe.style.width = MM + "mm"; d.body.appendChild(probe);
  var paper = probe.getBoundingClientRect().width; d.body.removeChild(probe);
  f.style.width = paper + "px";
  var root = d.documentElement, client = root.clientWidth;  // read now: before plotly's own resize (100 ms)
  say(name, "paper", paper); say(name, "client", client);
  say(name, "scroll", Math.max(root.scrollWidth, d.body.scrollWidth));
  say(name, "printed", widths(d));
  var over = [];
  each(d.querySelectorAll(BOXES), function (el) {
    var r = el.getBoundingClientRect();
    if (el.id !== "js-plotly-tester" && r.width > 0 && (r.right > client + 1 || r.left < -1)) {  // plotly's own
      over.push(el.tagName + "." + (el.getAttribute("class") || "") + "#" + (el.id || "") + " " + Math.round(r.left)
        + ".." + Math.round(r.right)); } });
  say(name, "over", over);
  say(name, "shown", HIDDEN.filter(function (s) { return each(d.querySelectorAll(s), function (el) {
    return el.getClientRects().length > 0; }).some(Boolean); }));
  var foot = d.querySelector(".site-pied");
  say(name, "footer", foot && foot.getClientRects().length > 0 ? foot.textContent : "");
  f.style.width = SCREEN + "px";
  w.dispatchEvent(new w.Event("afterprint"));
  setTimeout(function () { say(name, "after", widths(d)); measure(i + 1); }, 1500);
}
setTimeout(function () { measure(0); }, 500);
</script></body></html>"""


def measure_for_print(tmp: Path, pages: list[Path]) -> dict[str, dict[str, object]]:
    """What the harness measured per page (its file name): see the module's docstring."""
    frames = "".join(
        f'<iframe src="{p.as_uri()}" data-name="{p.name}" style="width:{SCREEN}px;height:900px;border:0"></iframe>'
        for p in pages
    )
    harness = tmp / "harness_impression.html"
    harness.write_text(
        HARNESS.replace("__FRAMES__", frames)
        .replace("__WAIT__", str(WAIT_MS))
        .replace("__MM__", str(site.PRINT_WIDTH_MM))
        .replace("__SCREEN__", str(SCREEN)),
        encoding="utf-8",
    )
    run = chromium(
        tmp, harness.as_uri(), "--enable-logging=stderr", "--v=0", "--allow-file-access-from-files",
        f"--window-size={SCREEN + 100},1000", f"--virtual-time-budget={WAIT_MS + 20_000 * len(pages)}", "--dump-dom",
        timeout=300,
    )  # fmt: skip
    seen: dict[str, dict[str, object]] = {}
    done = False
    for match in CONSOLE.finditer(run.stderr):
        message = match.group("message")
        if message == "HARNESS done":
            done = True
        elif message.startswith("HARNESS "):
            name, _, rest = message[len("HARNESS ") :].partition(" ")
            key, _, value = rest.partition("=")
            seen.setdefault(name, {})[key] = json.loads(value)
    assert done and set(seen) == {p.name for p in pages}, run.stderr[-3000:]
    return seen


def test_nothing_is_cut_on_the_width_of_an_a4_page(site_and_warehouse, tmp_path):
    site_dir, _ = site_and_warehouse
    pages = [*largest_fiches(site_dir, 3), site_dir / "index.html"]
    seen = measure_for_print(tmp_path, pages)
    charts_resized = 0
    for page in pages:
        got = seen[page.name]
        paper = got["paper"]
        assert got["rules"] >= 20, (page.name, got["rules"])  # the print rules were found and applied
        assert 700 <= paper <= 705 and abs(got["client"] - paper) <= 1, (page.name, got)  # 186 mm at 96 dpi
        assert got["scroll"] <= got["client"], (page.name, got)  # no horizontal scrolling
        assert got["over"] == [], (page.name, got["over"])  # every box within the paper's width
        assert got["shown"] == [], (page.name, got["shown"])  # navigation, search, downloads, modebar hidden
        assert "Sources :" in got["footer"] and "Dernière actualisation" in got["footer"], page.name
        assert all(0 < w <= paper for w in got["printed"]), (
            page.name,
            got["printed"],
        )  # charts at paper width
        if any(w > paper for w in got["screen"]):
            charts_resized += 1  # drawn wider than the paper on the screen: redrawn by the print script
            assert max(got["after"]) > paper, (
                page.name,
                got["after"],
            )  # and back to the screen's width after
    assert charts_resized >= 1, seen


@pytest.fixture(scope="module")
def printed_bundle(demo_warehouse, demo_config, tmp_path_factory) -> bundle.Bundle:  # noqa: F811
    """The demo EPCI's bundle with its PDF (Chromium), without fiches (the summary does not need them)."""
    out = tmp_path_factory.mktemp("bundle_impression") / "paquet"
    return bundle.build(demo_config, demo_warehouse, out, pdf=True, png=False, fiches=False)


def test_bundle_summary_pdf_is_the_summary_printed_on_a4_with_the_shared_stylesheet(
    printed_bundle, demo_warehouse
):
    out = printed_bundle.out
    assert printed_bundle.pdf == out / "synthese.pdf"
    sizes = assert_a4(printed_bundle.pdf)
    assert 1 <= len(sizes) <= 3, len(sizes)
    text = pdf_text(printed_bundle.pdf)
    assert "Synthèse — " in text and "En bref" in text
    refreshed = f"Dernière actualisation de l'entrepôt : {refresh_date(demo_warehouse)}"
    assert "Sources :" in text and refreshed in text
    # the bundle's navigation and skip link are for the screen only
    assert "Tableaux de bord" not in text and "Aller au contenu" not in text
    # one stylesheet: the site's, beside the bundle's pages, print rules included
    css = (out / "style.css").read_text(encoding="utf-8")
    assert css == (out / "tableaux" / "style.css").read_text(encoding="utf-8") == site.CSS.lstrip()
    assert "@media print" in css and "size: A4" in css and ".synthese" in css
    for name in ("synthese.html", "index.html"):
        page = (out / name).read_text(encoding="utf-8")
        assert '<link rel="stylesheet" href="style.css">' in page, name
        assert "<style" not in page, name  # no stylesheet of its own
        assert site.PRINT_SCRIPT in page, name
        for chrome in ('class="evitement"', 'class="site-entete"', 'class="site-nav"', 'class="site-pied"'):
            assert chrome in page, (name, chrome)
        assert refreshed in page, name
        assert 'href="tableaux/carte.html"' in page and 'aria-current="page"' in page, name
