"""Accessibility of the pages (issue 24): axe-core (node_modules/axe-core, installed from the npm registry by
`make setup`) run in the real headless Chromium finds no serious or critical violation on any page type, and the
pages can be used with the keyboard. On the demo and on the pages built from the real extracts.

One Chromium start per site: a harness page (in the test's temporary folder; the site's pages are readable from it
with --allow-file-access-from-files) opens every page type in an iframe, waits until each page has drawn its charts,
injects axe.min.js into each page and runs `axe.run` on its document, then inspects the keyboard path of the index,
the two fiches and the map; everything it sees is logged as `HARNESS {json}` console lines, read from Chromium's
stderr. One narrowing, for time: a table body is audited on its first TABLE_ROWS rows (only the real non-recours
table is longer; its 5,400 rows come from one loop, site.table()).

What the keyboard checks cover, honestly: a script cannot press a trusted Tab key in headless Chromium, so the tab
order is computed (focusable elements in document order, after any positive tabindex — none is allowed), every
focusable element is focused with element.focus() (as Tab would) and its computed outline / box-shadow read while
it matches :focus; the skip link is activated with click() (what Enter does on a link). The search box's keyboard
operation (arrow keys, Enter) is driven by key events in tests/test_pages_recherche.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.paths import PROJECT_ROOT
from tests import pages_fixtures
from tests.test_dashboards_browser import CHROMIUM, CONSOLE, DRAW_WAIT_MS, chromium, declared_charts

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")  # the impacts the acceptance criterion forbids
AXE_BUDGET_MS = 120_000  # virtual time left for the audits once the pages are drawn

demo_site = pages_fixtures.demo_site  # the sites rendered once per session
real_site = pages_fixtures.real_site

# a page with known faults, audited in the same run: the harness must report them (it cannot pass vacuously)
CONTROL = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Témoin</title></head><body>
<main><h1>Témoin</h1><img src="absente.png"><label>Nom</label><input type="text" id="sans-etiquette">
<p style="color:#bbb;background:#fff">Texte trop pâle sur fond blanc</p>
<button type="button" style="outline:none">Sans indicateur</button> <a href="#fin" tabindex="3">Ordre forcé</a>
</main><p id="fin">Fin</p></body></html>"""
CONTROL_RULES = {"image-alt", "label", "color-contrast", "tabindex"}  # critical, critical, serious, serious

DESKTOP, PHONE = 1280, 360  # frame widths (CSS px) of the audits
# Every page is audited at desktop width; the pages with a table that scrolls in its wrapper on a phone (.defile: the
# index's key figures, the fiches' reference tables) at phone width too, where axe checks that the wrapper can be
# scrolled with the keyboard (scrollable-region-focusable) — the index also covers the shared header at that width.
SCROLLING_WRAPPER = 'class="defile"'
# Rows audited per table body: the rows after are removed from the page before axe runs. Only the real extracts'
# non-recours table is that long (5,400 rows of one generated markup, site.table(): a minute of axe on its 65,000
# nodes); the demo's tables are audited whole.
TABLE_ROWS = 300

HARNESS = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Harnais axe</title></head><body>
__FRAMES__
<script>
"use strict";
var AXE = __AXE__, WAIT = __WAIT__, ROWS = __ROWS__, t0 = Date.now();
var frames = Array.prototype.slice.call(document.querySelectorAll("iframe"));
function say(o) { console.log("HARNESS " + JSON.stringify(o)); }
function ready(f) {
  var d = f.contentDocument;
  return !!d && d.readyState === "complete" && Array.prototype.filter.call(d.querySelectorAll(".js-plotly-plot"),
    function (c) { return c.querySelector(".main-svg"); }).length >= +f.dataset.expected;
}
function blocking(v) { return v.impact === "serious" || v.impact === "critical"; }
// axe injected into the page's own document (same origin: --allow-file-access-from-files), run on the whole page;
// `before` may change the page's state first (its result is added to the report)
function audit(f, key, before, next) {
  var w = f.contentWindow, d = f.contentDocument;
  function run() {
    var extra = {};
    try { extra = before ? before(w, d) : {}; } catch (e) { say({axe: key, error: "before: " + e}); next(); return; }
    extra.rows_removed = 0;  // a table body's rows after the ROWS-th: the same generated markup (see ROWS)
    Array.prototype.forEach.call(d.querySelectorAll("tbody"), function (b) {
      while (b.rows.length > ROWS) { b.deleteRow(-1); extra.rows_removed++; }
    });
    w.axe.run(d, {resultTypes: ["violations"], rules: {"target-size": {enabled: true}}}).then(function (r) {
      extra.axe = key;
      extra.drawn = ready(f);
      extra.version = w.axe.version;
      extra.passes = r.passes.length;
      extra.violations = r.violations.map(function (v) {
        return {id: v.id, impact: v.impact, count: v.nodes.length, help: v.help,
                targets: v.nodes.slice(0, 3).map(function (n) { return n.target.join(" "); })};
      });
      // what axe could not decide (e.g. a contrast over an image): reported, for a human to look at
      extra.incomplete = r.incomplete.filter(blocking).map(function (v) { return v.id + " x" + v.nodes.length; });
      say(extra);
      next();
    }, function (e) { say({axe: key, error: String(e)}); next(); });
  }
  if (!d || !d.head) { say({axe: key, error: "no document"}); next(); return; }
  if (w.axe) { run(); return; }
  var s = d.createElement("script");
  s.src = AXE;
  s.onload = run;
  s.onerror = function () { say({axe: key, error: "axe.min.js not loaded"}); next(); };
  d.head.appendChild(s);
}
// the search box open (two letters typed, the first option selected with the down arrow), then audited again
function openSearch(w, d) {
  var input = d.getElementById("recherche-qpv");
  input.focus();
  input.value = "qp";
  input.dispatchEvent(new w.Event("input", {bubbles: true}));
  input.dispatchEvent(new w.KeyboardEvent("keydown", {key: "ArrowDown", bubbles: true}));
  return {options: d.querySelectorAll("[role=option]").length, expanded: input.getAttribute("aria-expanded"),
          selected: d.querySelectorAll("[role=option][aria-selected=true]").length};
}
__KEYBOARD_JS__
var tasks = [];
frames.forEach(function (f) { tasks.push(function (next) { audit(f, f.dataset.key, null, next); }); });
frames.forEach(function (f) {
  if (f.dataset.keyboard) { tasks.push(function (next) { say(keyboard(f.contentWindow, f.dataset.key)); next(); }); }
});
frames.forEach(function (f) {
  if (f.dataset.search) { tasks.push(function (next) { audit(f, f.dataset.key + " (recherche ouverte)", openSearch, next); }); }
});
function step(i) {
  if (i >= tasks.length) { say({done: tasks.length}); return; }
  tasks[i](function () { setTimeout(function () { step(i + 1); }, 0); });
}
function poll() {
  if (frames.every(ready) || Date.now() - t0 > WAIT) { step(0); } else { setTimeout(poll, 500); }
}
setTimeout(poll, 1000);
</script></body></html>"""

# The keyboard inspection of one page, run by the harness on the frame's window `w`: what a Tab press would reach.
KEYBOARD_JS = r"""
function focusable(d, w) {  // the sequential focus order: no positive tabindex exists (checked), so document order
  var all = d.querySelectorAll("a[href], area[href], button, input, select, textarea, summary, iframe, " +
    "[tabindex], [contenteditable=true]");
  return Array.prototype.filter.call(all, function (el) {
    if (el.disabled || el.getAttribute("tabindex") !== null && +el.getAttribute("tabindex") < 0) { return false; }
    if (el.type === "hidden" || el.closest("[hidden], [inert]")) { return false; }
    var style = w.getComputedStyle(el);
    return style.display !== "none" && style.visibility !== "hidden" && el.getClientRects().length > 0;
  });
}
function describe(el) {
  var cls = typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/)
    .join(".") : "";
  return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls + " «" + (el.textContent || el.value || "")
    .replace(/\s+/g, " ").trim().slice(0, 40) + "»";
}
function indicator(w, el) {  // a visible focus indicator: an outline, or a box shadow
  var style = w.getComputedStyle(el);
  var outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0 ? "outline " + style.outlineStyle
    + " " + style.outlineWidth + " " + style.outlineColor : "";
  return outline || (style.boxShadow && style.boxShadow !== "none" ? "box-shadow " + style.boxShadow : "");
}
function opacity(w, el) {  // the opacity the element is drawn with (its ancestors' included)
  var o = 1;
  for (var e = el; e && e.nodeType === 1; e = e.parentElement) { o *= parseFloat(w.getComputedStyle(e).opacity); }
  return o;
}
function keyboard(w, key) {
  var d = w.document, out = {keyboard: key};
  var still = d.createElement("style");  // styles read at once: the state they transition to (plotly's toolbar)
  still.textContent = "*, *::before, *::after { transition: none !important; animation: none !important; }";
  d.head.appendChild(still);
  out.positive_tabindex = Array.prototype.filter.call(d.querySelectorAll("[tabindex]"), function (el) {
    return +el.getAttribute("tabindex") > 0; }).map(describe);
  var order = focusable(d, w);
  out.focusable = order.length;
  out.first = order.length ? describe(order[0]) : "none";
  // the skip link: first in the order, visible once focused, activated (click: what Enter does on a link) it moves
  // the focus to its target
  var skip = order[0], href = skip && skip.getAttribute("href") || "";
  out.skip_href = href;
  if (skip) {
    skip.focus();
    var box = skip.getBoundingClientRect();
    out.skip_shown_when_focused = d.activeElement === skip && box.width > 0 && box.height > 0 && box.right > 0
      && box.bottom > 0 && box.left < w.innerWidth;
    skip.click();
    var active = d.activeElement;
    out.focus_after_skip = active ? describe(active).slice(0, 30) : "none";
    out.focus_after_skip_is_main = !!active && active.tagName === "MAIN" && "#" + active.id === href;
  }
  // where the navigation links and the search box come in the order
  out.nav_positions = order.map(function (el, k) { return el.closest("nav") ? k : -1; })
    .filter(function (k) { return k >= 0; });
  out.nav_links = d.querySelectorAll("nav.site-nav a[href]").length;
  out.search_position = order.indexOf(d.getElementById("recherche-qpv"));
  var zoom = d.getElementById("carte-zoom");
  out.zoom = zoom ? {tag: zoom.tagName.toLowerCase(), position: order.indexOf(zoom), options: zoom.options.length,
    label: zoom.labels && zoom.labels.length ? zoom.labels[0].textContent.trim() : ""} : null;
  // every element of the order, focused as Tab would: it takes the focus (:focus), shows an indicator, is on screen
  var unfocused = [], invisible = [], offscreen = [], sample = {};
  order.forEach(function (el) {
    el.focus();
    if (d.activeElement !== el || !el.matches(":focus")) { unfocused.push(describe(el)); return; }
    var shown = opacity(w, el) >= 0.5 && indicator(w, el);
    if (!shown) { invisible.push(describe(el)); } else if (!sample[el.tagName]) { sample[el.tagName] = shown; }
    var r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right + w.scrollX <= 0 || r.bottom + w.scrollY <= 0) {
      offscreen.push(describe(el));
    }
  });
  out.focused = order.length - unfocused.length;
  out.unfocused = unfocused.slice(0, 10);
  out.without_indicator = invisible.slice(0, 10);
  out.without_indicator_count = invisible.length;
  out.offscreen_when_focused = offscreen.slice(0, 10);
  out.indicators = sample;
  if (d.activeElement && d.activeElement.blur) { d.activeElement.blur(); }
  still.remove();
  return out;
}
"""


def run_harness(tmp: Path, frames: list[tuple[str, Path, int, set[str]]]) -> dict[str, dict]:
    """Open the pages in one Chromium: `frames` = (key, page, frame width, checks among "keyboard" and "search");
    axe runs on every frame, the keyboard inspection and the audit with the search box open on the frames that ask.
    Returns the reports by "axe:<key>", "keyboard:<key>", and "done" (the number of tasks run) when all ran."""
    markup = "".join(
        f'<iframe src="{page.as_uri()}" data-key="{key}" data-expected="{declared_charts(page)}" width="{width}" '
        f'height="900" title="{key}"{" data-keyboard=1" if "keyboard" in checks else ""}'
        f"{' data-search=1' if 'search' in checks else ''}></iframe>"
        for key, page, width, checks in frames
    )
    harness = tmp / "harness_accessibilite.html"
    harness.write_text(
        HARNESS.replace("__FRAMES__", markup)
        .replace("__AXE__", json.dumps(AXE.as_uri()))
        .replace("__WAIT__", str(DRAW_WAIT_MS))
        .replace("__ROWS__", str(TABLE_ROWS))
        .replace("__KEYBOARD_JS__", KEYBOARD_JS),
        encoding="utf-8",
    )
    run = chromium(
        tmp, harness.as_uri(), "--enable-logging=stderr", "--v=0", "--allow-file-access-from-files",
        f"--virtual-time-budget={DRAW_WAIT_MS + AXE_BUDGET_MS}", "--dump-dom", timeout=600,
    )  # fmt: skip
    seen: dict[str, dict] = {}
    for match in CONSOLE.finditer(run.stderr):
        message = match.group("message")
        if message.startswith("HARNESS "):
            report = json.loads(message[len("HARNESS ") :])
            kind = next(k for k in ("axe", "keyboard", "done") if k in report)
            seen[kind if kind == "done" else f"{kind}:{report[kind]}"] = report
    return seen


def _fiche(site: Path, preferred: str, prefix: str, marker: str) -> Path:
    """The fiche `preferred` (the real extracts' Les Oliveaux), else the first fiche of `prefix` showing `marker`."""
    page = site / "fiches" / f"{preferred}.html"
    if page.exists():
        return page
    return next(
        p for p in sorted((site / "fiches").glob(f"{prefix}*.html")) if marker in p.read_text("utf-8")
    )


def page_types(site: Path) -> dict[str, Path]:
    """One page of each type: every top-level page (index, map, themes), the fiches' index, the method pages, a 2015
    fiche with values (its charts) and a 2024 fiche with its perimeter."""
    pages = {p.name: p for p in sorted(site.glob("*.html"))}
    pages["fiches/index.html"] = site / "fiches" / "index.html"
    pages.update({f"methodes/{p.name}": p for p in sorted((site / "methodes").glob("*.html"))})
    for preferred, prefix, marker in (
        ("QP059077", "QP", "Plotly.newPlot("),
        ("QN05975M", "QN", "<svg xmlns="),
    ):
        fiche = _fiche(site, preferred, prefix, marker)
        pages[f"fiches/{fiche.name}"] = fiche
    return pages


def at_phone_width(page: Path) -> bool:
    return SCROLLING_WRAPPER in page.read_text(encoding="utf-8")


KEYBOARD_PAGES = ("index.html", "carte.html", "fiches/Q")  # key prefixes: the index, the map, the fiches


@pytest.fixture(scope="module", params=["demo", "real"])
def audit(request, tmp_path_factory) -> tuple[str, dict[str, Path], dict[str, dict]]:
    """Every page type of the site (`demo` or `real`), the control page first, in one Chromium."""
    site = request.getfixturevalue(f"{request.param}_site")
    tmp = tmp_path_factory.mktemp(f"accessibilite_{request.param}")
    control = tmp / "temoin.html"
    control.write_text(CONTROL, encoding="utf-8")
    pages = page_types(site)
    frames = [("temoin", control, DESKTOP, {"keyboard"})]
    for name, page in pages.items():
        keyboard = {"keyboard"} if name.startswith(KEYBOARD_PAGES) else set()
        search = {"search"} if name == "index.html" else set()
        frames.append((name, page, DESKTOP, keyboard | search))
        if at_phone_width(page):
            frames.append((f"{name} @{PHONE}px", page, PHONE, set()))
    return request.param, pages, run_harness(tmp, frames)


def _expected_audits(pages: dict[str, Path]) -> list[str]:
    keys = ["temoin"]
    for name, page in pages.items():
        keys.append(name)
        if at_phone_width(page):
            keys.append(f"{name} @{PHONE}px")
    return [*keys, "index.html (recherche ouverte)"]


def test_the_control_page_shows_that_the_harness_sees_violations(audit):
    """The same harness, in the same Chromium run, reports the known faults of a control page: axe's serious and
    critical violations, the positive tabindex, the element that shows no focus indicator."""
    _, _, seen = audit
    control = seen.get("axe:temoin", {})
    found = {v["id"] for v in control.get("violations", []) if v["impact"] in BLOCKING}
    assert CONTROL_RULES <= found, control
    keyboard = seen.get("keyboard:temoin", {})
    assert keyboard.get("positive_tabindex") == ["a «Ordre forcé»"], keyboard
    assert any("Sans indicateur" in e for e in keyboard.get("without_indicator", [])), keyboard
    assert not keyboard.get("first", "").startswith("a.evitement"), keyboard


def test_axe_finds_no_serious_or_critical_violation_on_any_page_type(audit):
    """Every page type (index, map, theme pages, fiches' index, the method page, a 2015 fiche with its charts, a 2024
    fiche with its perimeter), drawn, at desktop width, the pages with a scrolling table at phone width too, and the
    index with the search box open: axe (its default WCAG 2.0/2.1 A and AA and best-practice rules, plus WCAG 2.2's
    target-size) ran on each — some of its rules passed, not an empty document — and found no serious or critical
    violation. What axe could not decide (`incomplete`: a chart's tick label over plotly's drag layer) is in the
    reports, not asserted."""
    site, pages, seen = audit
    assert {"index.html", "carte.html", "fiches/index.html", "methodes/non_recours.html"} <= set(pages), pages
    assert len([p for p in pages if "/" not in p]) >= 7, pages  # index, map, comparison and the theme pages
    fiche_2015 = next(p for n, p in pages.items() if n.startswith("fiches/QP"))
    fiche_2024 = next(p for n, p in pages.items() if n.startswith("fiches/QN"))
    assert declared_charts(fiche_2015) > 0 and "<svg xmlns=" in fiche_2024.read_text(encoding="utf-8")
    assert at_phone_width(pages["index.html"]) and at_phone_width(
        fiche_2015
    )  # their tables scroll on a phone
    assert "done" in seen, f"{site}: the harness did not finish (virtual time budget?): saw {sorted(seen)}"
    version = json.loads((AXE.parent / "package.json").read_text(encoding="utf-8"))["version"]
    blocking, problems = {}, {}
    for key in _expected_audits(pages):
        report = seen.get(f"axe:{key}")
        if report is None or "error" in report:
            problems[key] = report and report["error"]
            continue
        if report["passes"] == 0 or report["version"] != version or not report["drawn"]:
            problems[key] = {k: report[k] for k in ("passes", "version", "drawn")}
        if key == "temoin":
            continue
        bad = [v for v in report["violations"] if v["impact"] in BLOCKING]
        if bad:
            blocking[key] = [
                f"{v['id']} ({v['impact']}, {v['count']}×: {v['help']}) at {v['targets']}" for v in bad
            ]
    assert problems == {}, f"{site}: axe did not run properly on: {problems}"
    assert blocking == {}, f"{site}: serious or critical axe violations: " + json.dumps(
        blocking, ensure_ascii=False
    )
    search = seen["axe:index.html (recherche ouverte)"]
    assert search["options"] > 0 and search["expanded"] == "true" and search["selected"] == 1, search


def _keyboard(seen: dict[str, dict]) -> dict[str, dict]:
    reports = {
        k[len("keyboard:") :]: v
        for k, v in seen.items()
        if k.startswith("keyboard:") and k != "keyboard:temoin"
    }
    assert {"index.html", "carte.html"} <= set(reports) and any(k.startswith("fiches/QP") for k in reports), (
        reports
    )
    return reports


def test_the_skip_link_is_the_first_tab_stop_and_moves_the_focus_to_the_content(audit):
    """Tab order computed in the page (no positive tabindex anywhere, so document order); the skip link, shown when
    focused, activated (click, as Enter does), gives the focus to <main id="contenu" tabindex="-1">."""
    _, _, seen = audit
    for page, report in _keyboard(seen).items():
        assert report["positive_tabindex"] == [], (page, report)
        assert report["first"].startswith("a.evitement «Aller au contenu»"), (page, report)
        assert report["skip_href"] == "#contenu" and report["skip_shown_when_focused"], (page, report)
        assert report["focus_after_skip_is_main"], (page, report)


def test_tab_reaches_the_navigation_then_the_search_box(audit):
    """After the skip link and the site's name: every navigation link, then the search box (its keyboard operation,
    arrow keys and Enter, is driven in Chromium by tests/test_pages_recherche.py)."""
    _, _, seen = audit
    for page, report in _keyboard(seen).items():
        positions = report["nav_positions"]
        assert len(positions) == report["nav_links"] >= 7, (page, report)
        assert positions == list(range(2, 2 + len(positions))), (page, report)
        assert report["search_position"] == positions[-1] + 1, (page, report)


def test_every_tab_stop_takes_the_focus_and_shows_a_focus_indicator(audit):
    """Each element of the tab order, focused as Tab would (element.focus()), matches :focus, is drawn (opacity of
    its ancestors >= 0.5: plotly's toolbar shows when focused) with an outline or a box shadow, and is on the page."""
    _, _, seen = audit
    for page, report in _keyboard(seen).items():
        assert report["focusable"] >= 12 and report["focused"] == report["focusable"], (page, report)
        assert report["unfocused"] == [] and report["offscreen_when_focused"] == [], (page, report)
        assert report["without_indicator_count"] == 0, (page, report)
        assert report["indicators"]["A"].startswith("outline solid 3px"), (page, report)


def test_the_map_zoom_selector_is_a_labelled_native_select_in_the_tab_order(audit):
    _, _, seen = audit
    zoom = _keyboard(seen)["carte.html"]["zoom"]
    search = _keyboard(seen)["carte.html"]["search_position"]
    assert zoom is not None and zoom["tag"] == "select" and zoom["options"] > 1, zoom
    assert zoom["position"] > search and zoom["label"].startswith("Zoom"), zoom
