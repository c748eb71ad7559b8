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

_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — Observatoire économique des QPV</title>
{head}<script src="{root}{plotly_js}"></script>
<style>
body {{ font-family: Marianne, Arial, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1.5rem; color: #161616; }}
header a {{ color: #000091; }}
.note {{ background: #f6f6f6; border-left: 4px solid #000091; padding: .75rem 1rem; }}
.telechargements {{ font-size: .9rem; }}
.defile {{ overflow-x: auto; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ddd; padding: .3rem .6rem; text-align: right; }}
th {{ background: #eee; }} td:first-child, th:first-child {{ text-align: left; }}
</style>
</head>
<body>
<header><a href="{root}index.html">← Observatoire économique des quartiers prioritaires</a></header>
<h1>{title}</h1>
{body}
<footer><p class="note">Sources : {sources}. Une valeur absente est une valeur non diffusée (secret
statistique) ou non disponible, jamais un zéro.</p></footer>
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


def relative_root(page_file: str) -> str:
    """'../' for each folder level of a page, so that links and plotly.min.js resolve from file://."""
    return "../" * page_file.count("/")


def figure_div(fig: go.Figure, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config={"locale": "fr"})


def table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_page(ctx: SiteContext, page: Page, body: str, sources: str, head: str = "") -> Path:
    """Write one page (body is trusted HTML built with esc(); title and sources are escaped here)."""
    path = ctx.out_dir / page.file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        _PAGE.format(
            title=esc(page.title),
            body=body,
            sources=esc(sources),
            plotly_js=PLOTLY_JS,
            root=relative_root(page.file),
            head=head,
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
