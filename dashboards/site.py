"""What every page shares: the HTML template (French, offline, one shared plotly.min.js), escaping, the figure
block (chart + its data as CSV + the chart as PNG), the page registry and the render context.

A page module in `dashboards/pages/` exposes `ORDER: int` and `render(ctx: SiteContext) -> list[Page]`; it is
discovered automatically (see `dashboards/pages/__init__.py`). Pages read the marts only, through `ctx.con`.
"""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go

from pipelines.warehouse.cells import neutralise_formula, neutralise_value

PLOTLY_JS = "plotly.min.js"
STYLESHEET = "style.css"  # the one stylesheet of every page (written once by render_all: write_assets)
SEARCH_JS = "recherche.js"  # the search index of the quartiers and the search box's script (write_assets)

# The navigation of every page: (file, label). A page of this list that a render does not write (no fiche pages with
# QPV_FICHES=0, a family with nothing to show) is not linked (SiteContext.nav, filtered by render_all).
NAV: tuple[tuple[str, str], ...] = (
    ("index.html", "Accueil"),
    ("carte.html", "Carte"),
    ("comparaison.html", "Comparaison"),
    ("pauvrete.html", "Pauvreté"),
    ("insertion_demographie_revenus.html", "Insertion, démographie, revenus"),
    ("non_recours.html", "Non-recours"),
    ("ess.html", "ESS"),
    ("fiches/index.html", "Fiches quartier"),
)

CSS = """
body { font-family: Marianne, Arial, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 1.5rem 1.5rem;
  color: #161616; line-height: 1.45; }
a { color: #000091; }
a:focus, input:focus, button:focus, select:focus, summary:focus, .defile:focus, [role=option]:focus {
  outline: 3px solid #0a76f6; outline-offset: 2px; }
/* plotly's own toolbar buttons (keyboard focusable) would draw a thin black outline: the site's instead */
body .js-plotly-plot .plotly .modebar-btn:focus-visible { outline: 3px solid #0a76f6; outline-offset: 1px; }
.evitement { position: absolute; left: -9999px; }
.evitement:focus { position: static; }
.site-entete { border-bottom: 3px solid #000091; padding: .75rem 0 .5rem; margin-bottom: 1rem; }
.site-titre { font-weight: bold; font-size: 1.15rem; text-decoration: none; color: #000091; }
.site-nav ul { list-style: none; padding: 0; margin: .5rem 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
.site-nav a[aria-current=page] { font-weight: bold; text-decoration: none; }
.recherche { position: relative; margin: .5rem 0; max-width: 40rem; }
.recherche label { display: block; font-weight: bold; margin-bottom: .2rem; }
.recherche input { width: 100%; box-sizing: border-box; font-size: 1rem; padding: .4rem .6rem; border: 1px solid #3a3a3a;
  border-radius: 4px; }
.recherche ul { list-style: none; margin: 0; padding: 0; border: 1px solid #ddd; background: #fff; max-height: 22rem;
  overflow-y: auto; position: absolute; z-index: 10; width: 100%; box-shadow: 0 4px 10px rgba(0,0,0,.15); }
.recherche li { padding: .35rem .6rem; cursor: pointer; border-bottom: 1px solid #f0f0f0; }
.recherche li[aria-selected=true] { background: #e3e3fd; }
.recherche li small { color: #3a3a3a; }
.visuellement-cache { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
.note { background: #f6f6f6; border-left: 4px solid #000091; padding: .75rem 1rem; }
.telechargements { font-size: .9rem; }
.defile { overflow-x: auto; }
table { border-collapse: collapse; }
td, th { border: 1px solid #ddd; padding: .3rem .6rem; text-align: right; }
th { background: #eee; }
td:first-child, th:first-child { text-align: left; }
.chiffres-cles td, .chiffres-cles th { vertical-align: top; }
.chiffres-cles .source { font-size: .85rem; color: #3a3a3a; text-align: left; }
.perimetre svg { border: 1px solid #ddd; background: #f6f6f6; max-width: 100%; height: auto; }
.perimetre path { fill: #000091; fill-opacity: .25; stroke: #000091; stroke-width: 2; vector-effect: non-scaling-stroke; }
.site-pied { border-top: 1px solid #ddd; margin-top: 2rem; font-size: .9rem; }
@media print {
  /* A4 paper: a page printed from the browser, and the EPCI bundle's synthese.pdf (Chromium --print-to-pdf).
     The width left for the content (210 - 2 x 12 mm) is PRINT_WIDTH_MM, to which PRINT_SCRIPT redraws the charts. */
  @page { size: A4; margin: 12mm 12mm 14mm; }
  html { font-size: 10pt; }
  body { max-width: none; margin: 0; padding: 0; line-height: 1.3; -webkit-print-color-adjust: exact;
    print-color-adjust: exact; }
  .site-nav, .recherche, .evitement, .telechargements, .modebar-container, noscript { display: none !important; }
  .site-entete { padding: 0 0 .2rem; margin-bottom: .4rem; border-bottom-width: 2px; }
  a { color: inherit; text-decoration: none; }
  h1 { font-size: 16pt; margin: .2rem 0 .4rem; }
  h2 { font-size: 13pt; margin: .8rem 0 .3rem; }
  h3 { font-size: 11pt; margin: .6rem 0 .2rem; }
  h1, h2, h3, h4 { break-after: avoid; break-inside: avoid; }
  p, li { orphans: 3; widows: 3; }
  figure { margin: .3rem 0 .6rem; }
  figure, figcaption, tr, .note, .perimetre, svg, img { break-inside: avoid; }
  figcaption { font-size: 8pt; }
  /* nothing wider than the paper: the charts are redrawn to its width (PRINT_SCRIPT), clipped if a script could not
     run; the scrolling wrapper of the wide tables lets them lay out on the page; their cells wrap */
  .js-plotly-plot, .plot-container, .svg-container, figure > div { max-width: 100% !important; }
  .svg-container { overflow: hidden; }
  .defile { overflow: visible; }
  table { max-width: 100%; font-size: 8pt; line-height: 1.2; }
  thead { display: table-header-group; }
  td, th { padding: .1rem .25rem; overflow-wrap: break-word; }
  th { font-weight: bold; }
  .note { padding: .3rem .5rem; }
  .site-pied { margin-top: .8rem; font-size: 8pt; break-inside: avoid; }
  .site-pied .note { background: none; border-left: 0; padding: .3rem 0 0; }
  /* the EPCI bundle's summary (dashboards/summary.py), printed as its one-page synthese.pdf */
  .synthese { font-size: 9pt; line-height: 1.25; }
  .synthese h2 { font-size: 10.5pt; margin: .5rem 0 .15rem; }
  .synthese p, .synthese li { margin: .15rem 0; }
  .synthese ul { padding-left: 1.1rem; margin: .2rem 0; }
  .synthese .chapeau, .synthese .legende { color: #3a3a3a; }
  .synthese .legende { font-size: 8pt; }
  .synthese .note { font-size: 8.5pt; }
  .synthese table { width: 100%; font-size: 7.5pt; }
  .synthese td, .synthese th { padding: 0 4px; white-space: nowrap; }
  .synthese td:first-child { white-space: normal; }
}
"""

# Printing: plotly draws a chart's SVG at the width of the screen; before printing, every chart wider than the paper
# is redrawn at the width the print stylesheet leaves on an A4 page (Plotly.relayout draws synchronously, in time
# for the print layout), and given back its screen width after. In every page's head (write_page).
PRINT_WIDTH_MM = 186  # 210 mm minus the @page side margins of CSS
PRINT_SCRIPT = (
    "<script>(function () {"
    ' function charts() { return window.Plotly ? document.querySelectorAll(".js-plotly-plot") : []; }'
    ' window.addEventListener("beforeprint", function () {'
    '  var probe = document.createElement("div"); probe.style.cssText = "position:absolute;visibility:hidden;'
    f'width:{PRINT_WIDTH_MM}mm";'
    "  document.body.appendChild(probe); var width = Math.floor(probe.getBoundingClientRect().width);"
    " probe.remove();"
    "  Array.prototype.forEach.call(charts(), function (gd) {"
    "   if (gd._fullLayout && gd._fullLayout.width > width) {"
    '    gd.setAttribute("data-impression", ""); Plotly.relayout(gd, {width: width}); } }); });'
    ' window.addEventListener("afterprint", function () {'
    '  Array.prototype.forEach.call(charts(), function (gd) { if (gd.hasAttribute("data-impression")) {'
    '   gd.removeAttribute("data-impression");'
    "   Plotly.relayout(gd, {width: null}).then(function () { Plotly.Plots.resize(gd); }); } }); });"
    "})();</script>\n"
)

_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — Observatoire économique des QPV</title>
<link rel="stylesheet" href="{root}{stylesheet}">
{head}<script src="{root}{plotly_js}"></script>
</head>
<body>
<a class="evitement" href="#contenu">Aller au contenu</a>
{header}
<main id="contenu" tabindex="-1">
<h1>{title}</h1>
{body}
</main>
{footer}
</body>
</html>
"""


def esc(value: object) -> str:
    """Every text that comes from data (names of QPV, communes…) goes through this before reaching HTML."""
    return html.escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True)
class Page:
    file: str  # path relative to the dashboards folder, e.g. "carte.html" or "fiches/QN05901M.html"
    title: str
    summary: str
    in_index: bool = True  # listed on the home page (fiches are listed by their own index page)


@dataclass
class SiteContext:
    con: duckdb.DuckDBPyConnection  # read-only connection to the warehouse (marts only)
    out_dir: Path  # a temporary folder, moved into place when every page succeeded
    territoire: list[str] | None = None  # QPV codes selected by --territoire (None = all)
    png: bool = True  # write PNG exports with kaleido (False when no Chromium is available)
    notes: list[str] = field(default_factory=list)  # one-line messages for the CLI (e.g. PNG skipped)
    # PNG exports are queued by figure_block() and written together at the end (one kaleido/Chromium session)
    png_queue: list[tuple[go.Figure, str]] = field(default_factory=list)
    warehouse: Path | None = None  # the warehouse file (its modification time dates the last refresh)
    fiches: bool = True  # one page per QPV (False: skipped, see render_all's QPV_FICHES)
    refresh: str = "inconnue"  # date of the last refresh (meta.publication), in every page's footer
    annees: str = ""  # the years of the data shown (annee_reference), in the footer of pages that give none
    nav: tuple[str, ...] = tuple(file for file, _ in NAV)  # the files the navigation links to
    # the quartiers the search box finds (one fiche each): (code_qp, lib_qp, geographie, commune, epci); empty: no box
    recherche: list[tuple[str, str, str, str | None, str | None]] = field(default_factory=list)
    _chrome: dict[tuple[str, str], str] = field(default_factory=dict)  # header HTML per (root, page file)


def relative_root(page_file: str) -> str:
    """'../' for each folder level of a page, so that links and plotly.min.js resolve from file://."""
    return "../" * page_file.count("/")


def figure_div(fig: go.Figure, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config={"locale": "fr"})


def table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


SEARCH_BOX = """<div class="recherche" data-racine="{root}">
<label for="recherche-qpv">Trouver un quartier prioritaire</label>
<input id="recherche-qpv" type="text" role="combobox" aria-autocomplete="list" aria-expanded="false"
 aria-controls="recherche-qpv-liste" aria-describedby="recherche-qpv-aide" autocomplete="off" spellcheck="false"
 placeholder="nom, code, commune ou EPCI (ex. Les Oliveaux, QP059077, Loos)">
<p id="recherche-qpv-aide" class="visuellement-cache">Tapez au moins deux caractères ; flèches haut et bas pour
choisir, Entrée pour ouvrir la fiche.</p>
<ul id="recherche-qpv-liste" role="listbox" aria-label="Quartiers trouvés" hidden></ul>
<p id="recherche-qpv-statut" class="visuellement-cache" aria-live="polite"></p>
<noscript><p><a href="{root}fiches/index.html">Liste de toutes les fiches quartier</a></p></noscript>
</div>
<script src="{root}{search_js}" defer></script>"""


def header(ctx: SiteContext, page_file: str) -> str:
    """The header of every page: the site's name, the navigation (the current page marked) and the search box of
    the quartiers (when the render writes fiches). Built once per (folder depth, page) — the fiches share one."""
    root = relative_root(page_file)
    key = (root, page_file if page_file in ctx.nav else "")
    cached = ctx._chrome.get(key)
    if cached is not None:
        return cached
    links = []
    for file, label in NAV:
        if file not in ctx.nav:
            continue
        current = ' aria-current="page"' if file == page_file else ""
        links.append(f'<li><a href="{esc(root + file)}"{current}>{esc(label)}</a></li>')
    search = SEARCH_BOX.format(root=esc(root), search_js=SEARCH_JS) if ctx.recherche else ""
    html_text = (
        '<header class="site-entete">\n'
        f'<a class="site-titre" href="{esc(root)}index.html">Observatoire économique des quartiers prioritaires</a>\n'
        f'<nav class="site-nav" aria-label="Navigation principale"><ul>{"".join(links)}</ul></nav>\n'
        f"{search}\n</header>"
    )
    ctx._chrome[key] = html_text
    return html_text


def footer(ctx: SiteContext, sources: str, annees: str | None = None) -> str:
    """The footer of every page: its sources, the years of its data, the date of the last refresh."""
    annees = annees if annees is not None else ctx.annees
    years = f" Années des données : {esc(annees)}." if annees else ""
    return (
        f'<footer class="site-pied"><p class="note">Sources : {esc(sources)}.{years} Dernière actualisation de '
        f"l'entrepôt : {esc(ctx.refresh)}. Une valeur absente est une valeur non diffusée (secret statistique) ou "
        "non disponible, jamais un zéro.</p></footer>"
    )


def write_page(
    ctx: SiteContext, page: Page, body: str, sources: str, head: str = "", annees: str | None = None
) -> Path:
    """Write one page in the site's template: one stylesheet, the shared header (navigation, search box) and footer
    (sources, years of the data — `annees`, else the site's —, date of the last refresh). `body` is trusted HTML
    built with esc(); title, sources and annees are escaped here."""
    path = ctx.out_dir / page.file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        _PAGE.format(
            title=esc(page.title),
            body=body,
            plotly_js=PLOTLY_JS,
            stylesheet=STYLESHEET,
            root=relative_root(page.file),
            head=PRINT_SCRIPT + head,
            header=header(ctx, page.file),
            footer=footer(ctx, sources, annees),
        ),
        encoding="utf-8",
    )
    return path


# a small table given as plain rows (column names, rows): written without pandas, the fiches write thousands
Rows = tuple[list[str], list[tuple]]


def _csv_cell(value: object) -> object:
    """A cell as pandas writes it with decimal=",": a float with a decimal comma, an absent value empty, a text
    that a spreadsheet would run as a formula (`=…`, `+…`, `-…`, `@…`) behind a `'` (pipelines/warehouse/cells.py)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return neutralise_value(value)


def _neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its text values (and column names: a pivot may name columns after data) neutralised against
    formula injection, numbers untouched; the frame itself when nothing needs it (the fiches write many files)."""
    out = None
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            fixed = column.map(lambda v: neutralise_formula(v) if isinstance(v, str) else v)
            if not fixed.equals(column):
                out = frame.copy() if out is None else out
                out.isetitem(i, fixed)
    names = [neutralise_value(name) for name in frame.columns]
    if names != list(frame.columns):
        out = frame.copy() if out is None else out
        out.columns = names
    return frame if out is None else out


def write_csv(ctx: SiteContext, frame: pd.DataFrame | Rows, name: str) -> str:
    """The data behind a chart, as CSV (`;` separator, decimal comma, UTF-8 with BOM for spreadsheet users; a text
    value starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so a spreadsheet never
    runs it as a formula); returns the path relative to the dashboards folder."""
    relative = f"donnees/{name}.csv"
    target = ctx.out_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(frame, pd.DataFrame):
        _neutralised(frame).to_csv(target, sep=";", decimal=",", index=False, encoding="utf-8-sig")
        return relative
    columns, rows = frame
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return relative


PNG_SKIPPED_FOLDERS = ("fiches/",)


def png_exported(page: Page) -> bool:
    """PNG exports for the theme pages and the map, not for the fiches: one per chart of every fiche would take
    minutes of Chromium; a fiche's charts keep plotly's own "download as PNG" button, which works offline."""
    return not page.file.startswith(PNG_SKIPPED_FOLDERS)


def figure_block(
    ctx: SiteContext,
    page: Page,
    fig: go.Figure,
    div_id: str,
    data: pd.DataFrame | Rows,
    name: str,
    source: str,
) -> str:
    """A chart with what every chart must carry: its source line (source, edition, reference year — given by the
    caller, French), the data behind it as CSV and the chart as PNG (queued; written by render_all when PNG export
    is available). `name` is a file stem unique in the site (e.g. "carte_taux_pauvrete_60_2019")."""
    root = relative_root(page.file)
    csv = write_csv(ctx, data, name)
    links = [f'<a href="{esc(root + csv)}" download>données (CSV)</a>']
    if ctx.png and png_exported(page):
        png = f"images/{name}.png"
        ctx.png_queue.append((fig, png))
        links.append(f'<a href="{esc(root + png)}" download>graphique (PNG)</a>')
    return (
        f"<figure>{figure_div(fig, div_id)}<figcaption>{esc(source)} — "
        f'<span class="telechargements">{" · ".join(links)}</span></figcaption></figure>'
    )
