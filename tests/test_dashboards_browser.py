"""The demo dashboards in a real headless Chromium, from file://: every page loads with no request outside file://
and no console message (net-log and console log of Chromium itself, no mocks); one page of each kind is drawn
(many distinct colours in the plot area). Screenshots of the map and of one fiche are kept in build/ci_artefacts/.

Chromium is installed by .ci/run; without it the tests are skipped locally and fail on CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dashboards.render import render_all
from pipelines.paths import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTEFACTS = PROJECT_ROOT / "build" / "ci_artefacts"
BATCH = 12  # pages per Chromium start for the network / console check (iframes of one harness page)
DRAW_WAIT_MS = 60_000  # virtual time the harness waits for every frame to draw (loaded machines are slow)

if CHROMIUM is None and os.environ.get("CI"):
    pytest.fail("chromium is required on CI (.ci/run installs it)", pytrace=False)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (apt-get install chromium; .ci/run installs it)"
)

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-default-apps", "--hide-scrollbars",
]  # fmt: skip
CONSOLE = re.compile(r":CONSOLE[:(]\d+\)?\] \"(?P<message>.*)\", source: (?P<source>\S*)")


def chromium(tmp: Path, url: str, *extra: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *extra, url],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def declared_charts(page: Path) -> int:
    """The plotly charts a page declares (its `Plotly.newPlot(` calls)."""
    return page.read_text(encoding="utf-8").count("Plotly.newPlot(")


def load_pages(tmp: Path, pages: list[Path], name: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Open `pages` in iframes of one harness page in one Chromium; returns the URLs the pages' frames requested
    over the network (net-log: requests whose top frame is file://) and the console messages (source, text)."""
    harness = tmp / f"harness_{name}.html"
    frames = "".join(
        f'<iframe src="{p.as_uri()}" data-expected="{declared_charts(p)}" width="1200" height="900"></iframe>'
        for p in pages
    )
    # the harness polls until every frame has drawn (a main-svg in) each chart its page declares, or DRAW_WAIT_MS
    # of virtual time have passed, then reports each frame's drawn charts (readable: --allow-file-access-from-files)
    report = (
        "<script>var t0 = Date.now(); function drawn(f) { var d = f.contentDocument;"
        "return d ? d.querySelectorAll('.js-plotly-plot .main-svg').length + ' '"
        " + d.querySelectorAll('.js-plotly-plot').length : 'none'; }"
        "function ready(f) { var d = f.contentDocument; return d && d.readyState === 'complete' &&"
        " Array.prototype.filter.call(d.querySelectorAll('.js-plotly-plot'), function (c) {"
        " return c.querySelector('.main-svg'); }).length >= +f.dataset.expected; }"
        "function poll() { var fs = Array.prototype.slice.call(document.querySelectorAll('iframe'));"
        f"if (fs.every(ready) || Date.now() - t0 > {DRAW_WAIT_MS}) {{ fs.forEach(function (f) {{"
        "console.log('HARNESS ' + f.src + ' ' + drawn(f)); }); } else { setTimeout(poll, 500); } }"
        "setTimeout(poll, 2000);</script>"
    )
    harness.write_text(f"<!DOCTYPE html><html><body>{frames}{report}</body></html>", encoding="utf-8")
    netlog = tmp / f"{name}.netlog.json"
    run = chromium(
        tmp, harness.as_uri(), "--enable-logging=stderr", "--v=0", f"--log-net-log={netlog}",
        "--allow-file-access-from-files", f"--virtual-time-budget={DRAW_WAIT_MS + 10_000}", "--dump-dom",
    )  # fmt: skip
    log = json.loads(netlog.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    requested = [
        e["params"]["url"]
        for e in log["events"]
        if e["type"] == start_job and e["params"].get("network_isolation_key", "").startswith("file://")
    ]
    console = [(m["source"], m["message"]) for m in CONSOLE.finditer(run.stderr)]
    return requested, console


def colours(png: Path, box: tuple[int, int, int, int] | None = None) -> dict[tuple[int, int, int], int]:
    from PIL import Image

    image = Image.open(png).convert("RGB")
    if box:
        image = image.crop(box)
    return {rgb: n for n, rgb in image.getcolors(maxcolors=1 << 22)}


@pytest.fixture(scope="module")
def site(demo_warehouse, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "dashboards"
    render_all(demo_warehouse, out, png=True, fiches=True)  # PNG exports too (Chromium is there)
    return out


def test_detector_sees_a_request_and_a_console_error(tmp_path):
    """The checks below can fail: a page that fetches and throws is caught by the same mechanism."""
    probe = tmp_path / "probe.html"
    probe.write_text(
        '<html><body><script>fetch("http://127.0.0.1:9/x").catch(function () {});'
        'console.error("sonde");</script></body></html>'
    )
    requested, console = load_pages(tmp_path, [probe], "probe")
    assert "http://127.0.0.1:9/x" in requested
    assert any(message == "sonde" for _, message in console)


def test_every_page_loads_offline_without_console_message(site, tmp_path):
    pages = sorted(site.rglob("*.html"))
    assert site / "carte.html" in pages and site / "index.html" in pages
    requested, console, messages = [], [], {}
    for i in range(0, len(pages), BATCH):
        batch = pages[i : i + BATCH]
        r, c = load_pages(tmp_path, batch, f"batch{i}")
        requested += r
        console += c
        ours = sorted({m for _, m in c if not m.startswith("HARNESS ")})
        if ours:  # a message is attributed to the batch of pages (open them one by one to find the page)
            messages[", ".join(p.relative_to(site).as_posix() for p in batch)] = ours[:3]
    outside = sorted({u for u in requested if not u.startswith("file://")})
    assert outside == [], f"requests outside file:// : {outside}"
    drawn = {}
    for _, message in console:
        if message.startswith("HARNESS "):
            _, url, svgs, charts = message.split(" ")
            drawn[url] = int(charts) if svgs != "none" else -1
    for page in pages:
        expected = declared_charts(page)
        assert drawn.get(page.as_uri()) == expected, (
            f"{page.name}: {drawn.get(page.as_uri())} of {expected} charts"
        )
    assert messages == {}, f"console messages (Plotly warnings included) by batch of pages: {messages}"


def _kinds(site: Path) -> dict[str, Path]:
    """One page of each kind: every top-level page, and the first page of each sub-folder (e.g. one fiche)."""
    kinds = {p.name: p for p in sorted(site.glob("*.html"))}
    for folder in sorted(d for d in site.iterdir() if d.is_dir() and d.name not in ("donnees", "images")):
        pages = sorted(p for p in folder.glob("*.html") if p.name != "index.html") or sorted(
            folder.glob("*.html")
        )
        if pages:
            kinds[f"{folder.name}/{pages[0].name}"] = pages[0]
    return kinds


def test_one_page_of_each_kind_is_drawn(site, tmp_path):
    from PIL import Image

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for kind, page in _kinds(site).items():
        shot = tmp_path / (kind.replace("/", "_") + ".png")
        chromium(tmp_path, page.as_uri(), f"--screenshot={shot}", "--window-size=1300,1400",
                 "--virtual-time-budget=10000")  # fmt: skip
        assert shot.exists(), f"no screenshot of {kind}"
        width, height = Image.open(shot).size
        drawn = colours(shot, (0, 250, width, height))  # below the title: the plot area
        minimum = 20 if kind == "index.html" else 150  # the home page has no chart
        assert len(drawn) > minimum, f"{kind} looks blank ({len(drawn)} colours)"
        if kind == "carte.html":
            shutil.copy(shot, ARTEFACTS / "carte.png")
        elif kind.startswith("fiches/"):
            shutil.copy(shot, ARTEFACTS / "fiche.png")


def test_map_of_a_territory_draws_values_and_secret_grey(site, demo_warehouse, tmp_path):
    """Built for the EPCI with the most QPV (--territoire), so that the perimeters are large on the screenshot."""
    from dashboards.figures_carte import SECRET_COLOUR
    from dashboards.territoire import resolve
    from pipelines.warehouse.connection import connection

    with connection(demo_warehouse, read_only=True) as con:
        epci = con.execute(
            "select code_epci from marts.qpv_perimetres group by all order by count(*) desc, 1 limit 1"
        ).fetchone()[0]
        territoire = resolve(con, epci)
    local = tmp_path / "territoire"
    render_all(demo_warehouse, local, territoire=territoire, png=False, fiches=True)
    page = (local / "carte.html").read_text()
    default = re.search(r'<option value="([^"|]+)\|(\d+)" selected>', page)
    with connection(demo_warehouse, read_only=True) as con:
        secrets = con.execute(
            "select count(*) filter (where secret), count(*) filter (where not secret) from marts.indicateurs_qpv "
            "where geographie = 'qpv2024' and indicateur = ? and millesime = ? and code_qp in (select unnest(?))",
            [default.group(1), int(default.group(2)), territoire],
        ).fetchone()
    shot = tmp_path / "carte.png"
    chromium(tmp_path, (local / "carte.html").as_uri(), f"--screenshot={shot}", "--window-size=1300,1100",
             "--virtual-time-budget=10000")  # fmt: skip
    grey = tuple(int(SECRET_COLOUR[i : i + 2], 16) for i in (1, 3, 5))
    drawn = colours(shot, (100, 300, 1200, 820))  # the map, above its legend
    if secrets[0]:
        assert drawn.get(grey, 0) > 20, "secret QPV not drawn in grey"
    assert secrets[1] and len(drawn) > 100
    assert (site / "images/carte_qpv2024.png").stat().st_size > 10_000  # the PNG export of the map (kaleido)
