"""Sites rendered once per test session for the page tests (search box, key figures, fiches of both geographies):
the demo warehouse's and the real extracts' (`real_warehouse`, built by `qpv run`), with their fiches, without PNG
exports. Import the fixtures into a test module to use them; a browser helper drives the search box in Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dashboards.render import render_all
from tests.conftest import _built_once


@pytest.fixture(scope="session")
def demo_site(demo_warehouse, tmp_path_factory) -> Path:
    def build(out: Path) -> None:
        render_all(demo_warehouse, out / "dashboards", png=False, fiches=True)

    return _built_once(tmp_path_factory, "demo_site", build) / "dashboards"


@pytest.fixture(scope="session")
def real_site(real_warehouse, tmp_path_factory) -> Path:
    def build(out: Path) -> None:
        render_all(real_warehouse, out / "dashboards", png=False, fiches=True)

    return _built_once(tmp_path_factory, "real_site", build) / "dashboards"


def search_index(site: Path) -> list[list[str]]:
    """The entries of the site's recherche.js (code, name, geography, commune, EPCI, haystack, name)."""
    text = (site / "recherche.js").read_text(encoding="utf-8")
    return json.loads(re.search(r"var DATA = (\[.*?\]);\n", text, re.S).group(1))


def search_in_browser(tmp: Path, page: Path, query: str, code: str | None) -> dict[str, str]:
    """Open `page` in Chromium (in an iframe of a harness page), type `query` in its search box, press the down arrow
    until the option of `code` is selected (no arrow when None: Enter opens the first option), press Enter; returns
    what the harness saw: options, status, selected, opened (the URL the frame ended on) and title."""
    from tests.test_dashboards_browser import CONSOLE, DRAW_WAIT_MS, chromium

    harness = tmp / "harness_recherche.html"
    script = """
<script>
var f = document.querySelector("iframe"), t0 = Date.now(), done = false;
function say(k, v) { console.log("HARNESS " + k + "=" + v); }
function run() {
  var w = f.contentWindow, d = f.contentDocument, input = d && d.getElementById("recherche-qpv");
  if (!input || d.readyState !== "complete") { if (Date.now() - t0 < __WAIT__) { setTimeout(run, 300); } return; }
  input.focus();
  input.value = __QUERY__;
  input.dispatchEvent(new w.Event("input", {bubbles: true}));
  var options = d.querySelectorAll("[role=option]");
  say("options", options.length);
  say("expanded", input.getAttribute("aria-expanded"));
  say("status", d.getElementById("recherche-qpv-statut").textContent);
  var target = -1;
  for (var i = 0; i < options.length; i++) { if (options[i].getAttribute("data-code") === __CODE__) { target = i; } }
  say("target", target);
  for (var k = 0; k <= target; k++) {
    input.dispatchEvent(new w.KeyboardEvent("keydown", {key: "ArrowDown", bubbles: true}));
  }
  var selected = d.querySelector("[role=option][aria-selected=true]");
  say("selected", selected ? selected.getAttribute("data-code") : "none");
  say("activedescendant", input.getAttribute("aria-activedescendant"));
  input.dispatchEvent(new w.KeyboardEvent("keydown", {key: "Enter", bubbles: true}));
  setTimeout(report, 4000);
}
function report() { say("opened", f.contentWindow.location.href); say("title", f.contentDocument.title); }
setTimeout(run, 500);
</script>"""
    script = (
        script.replace("__WAIT__", str(DRAW_WAIT_MS))
        .replace("__QUERY__", json.dumps(query))
        .replace("__CODE__", json.dumps(code))
    )
    harness.write_text(
        f'<!DOCTYPE html><html><body><iframe src="{page.as_uri()}" width="1200" height="900"></iframe>'
        f"{script}</body></html>",
        encoding="utf-8",
    )
    run = chromium(
        tmp, harness.as_uri(), "--enable-logging=stderr", "--v=0", "--allow-file-access-from-files",
        f"--virtual-time-budget={DRAW_WAIT_MS}", "--dump-dom", timeout=180,
    )  # fmt: skip
    seen = {}
    for match in CONSOLE.finditer(run.stderr):
        message = match.group("message")
        if message.startswith("HARNESS "):
            key, _, value = message[len("HARNESS ") :].partition("=")
            seen[key] = value
    return seen
