"""The search box of every page: a small client-side index of the quartiers (name, code, commune, EPCI) written once
as `recherche.js` beside the pages, with the script that drives the box. Offline (no request), case and accents
ignored, keyboard usable (arrow keys, Enter, Escape) and announced to screen readers (combobox + listbox, a polite
live region saying how many quartiers match).

The index holds exactly the quartiers that get a fiche (SiteContext.recherche, filled by render_all from
queries.quartiers): a result always leads to a page that exists.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

MAX_RESULTS = 30  # options shown at once (the live region gives the full count)


def normalise(text: object) -> str:
    """Lower case, accents and punctuation removed, single spaces: « Saint-Étienne — L'Épine » → « saint etienne l
    epine ». The script applies the same rule to what is typed."""
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


def index_entries(quartiers: list[tuple[str, str, str, str | None, str | None]]) -> list[list[str]]:
    """One entry per quartier: code, name, geography, commune, EPCI, normalised haystack, normalised name."""
    entries = []
    for code, lib, geographie, commune, epci in quartiers:
        hay = " ".join(normalise(v) for v in (lib, code, commune, epci) if v)
        entries.append([code, lib or code, geographie, commune or "", epci or "", hay, normalise(lib)])
    return entries


SCRIPT = r"""
(function () {
  "use strict";
  var DATA = __DATA__;
  var GEO = {qpv2024: "QPV 2024", qpv2015: "QPV 2015"};
  var MAX = __MAX__;
  function norm(t) {
    return String(t).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, " ").trim();
  }
  function fiche(root, code) { return root + "fiches/" + code.replace(/[^A-Za-z0-9_-]/g, "_") + ".html"; }
  function search(query) {
    var q = norm(query);
    if (q.length < 2) { return null; }
    var words = q.split(" "), found = [];
    for (var i = 0; i < DATA.length; i++) {
      var e = DATA[i], ok = true;
      for (var j = 0; j < words.length; j++) {
        if (e[5].indexOf(words[j]) < 0) { ok = false; break; }
      }
      if (!ok) { continue; }
      var code = e[0].toLowerCase(), name = e[6];
      var rank = code === q ? 0 : name === q ? 1 : name.indexOf(q) === 0 ? 2
        : (" " + name + " ").indexOf(" " + q) >= 0 ? 3 : 4;
      found.push([rank, e]);
    }
    found.sort(function (a, b) {
      return a[0] - b[0] || (a[1][2] < b[1][2] ? 1 : a[1][2] > b[1][2] ? -1 : 0)
        || a[1][1].localeCompare(b[1][1], "fr") || (a[1][0] < b[1][0] ? -1 : 1);
    });
    return found.map(function (f) { return f[1]; });
  }
  function init(box) {
    var root = box.getAttribute("data-racine") || "";
    var input = box.querySelector("input");
    var list = box.querySelector("[role=listbox]");
    var status = box.querySelector("[aria-live]");
    var shown = [], active = -1;
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function select(i) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) { return; }
      active = (i + options.length) % options.length;
      for (var k = 0; k < options.length; k++) {
        options[k].setAttribute("aria-selected", k === active ? "true" : "false");
      }
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({block: "nearest"});
    }
    function open(entry) { window.location.href = fiche(root, entry[0]); }
    function update() {
      var found = search(input.value);
      list.textContent = "";
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (found === null) { status.textContent = ""; close(); return; }
      shown = found.slice(0, MAX);
      shown.forEach(function (e, i) {
        var li = document.createElement("li");
        li.id = "recherche-qpv-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-code", e[0]);
        var name = document.createElement("strong");
        name.textContent = e[1];
        var more = document.createElement("small");
        more.textContent = " " + [e[0], GEO[e[2]] || e[2], e[3], e[4]].filter(Boolean).join(" · ");
        li.appendChild(name);
        li.appendChild(more);
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); open(e); });
        list.appendChild(li);
      });
      var n = found.length;
      status.textContent = n === 0 ? "Aucun quartier trouvé."
        : n + (n > 1 ? " quartiers trouvés" : " quartier trouvé")
          + (n > MAX ? " (les " + MAX + " premiers sont affichés)." : ".");
      list.hidden = n === 0;
      input.setAttribute("aria-expanded", n === 0 ? "false" : "true");
    }
    input.addEventListener("input", update);
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" || ev.key === "Down") {
        if (list.hidden) { update(); }
        select(active + 1);
        ev.preventDefault();
      } else if (ev.key === "ArrowUp" || ev.key === "Up") {
        select(active - 1);
        ev.preventDefault();
      } else if (ev.key === "Enter") {
        if (shown.length && !list.hidden) { open(shown[active >= 0 ? active : 0]); ev.preventDefault(); }
      } else if (ev.key === "Escape" || ev.key === "Esc") {
        close();
      }
    });
    input.addEventListener("blur", function () { close(); });
  }
  var boxes = document.querySelectorAll(".recherche[data-racine]");
  for (var b = 0; b < boxes.length; b++) { init(boxes[b]); }
})();
"""


def script(quartiers: list[tuple[str, str, str, str | None, str | None]]) -> str:
    """The file's text: the index as a JSON array inside the script (no fetch: pages open from file://)."""
    data = json.dumps(index_entries(quartiers), ensure_ascii=False, separators=(",", ":"))
    body = SCRIPT.replace("__MAX__", str(MAX_RESULTS)).replace("__DATA__", data)
    return (
        "/* Index de recherche des quartiers prioritaires (écrit par qpv dashboards, hors ligne). */" + body
    )


def write(folder: Path, name: str, quartiers: list[tuple[str, str, str, str | None, str | None]]) -> Path:
    target = folder / name
    target.write_text(script(quartiers), encoding="utf-8")
    return target
