"""The one step that writes files: offline HTML pages (French) from the marts.

Pages share one `plotly.min.js` written beside them, so they open without network (a CDN link would leave them
blank offline).
"""

from __future__ import annotations

import html
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from dashboards import figures, queries

PLOTLY_JS = "plotly.min.js"

_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — Observatoire économique des QPV</title>
<script src="{plotly_js}"></script>
<style>
body {{ font-family: Marianne, Arial, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1.5rem; color: #161616; }}
header a {{ color: #000091; }}
.note {{ background: #f6f6f6; border-left: 4px solid #000091; padding: .75rem 1rem; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ddd; padding: .3rem .6rem; text-align: right; }}
th {{ background: #eee; }} td:first-child, th:first-child {{ text-align: left; }}
</style>
</head>
<body>
<header><a href="index.html">← Observatoire économique des quartiers prioritaires</a></header>
<h1>{title}</h1>
{body}
<footer><p class="note">Sources : {sources}. Une valeur absente est une valeur non diffusée (secret
statistique) ou non disponible, jamais un zéro.</p></footer>
</body>
</html>
"""


@dataclass(frozen=True)
class Page:
    file: str
    title: str
    summary: str


def _figure_div(fig: go.Figure, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config={"locale": "fr"})


def _table(headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _write(out_dir: Path, page: Page, body: str, sources: str) -> Path:
    path = out_dir / page.file
    path.write_text(
        _PAGE.format(
            title=html.escape(page.title), body=body, sources=html.escape(sources), plotly_js=PLOTLY_JS
        ),
        encoding="utf-8",
    )
    return path


def render_pauvrete(con: duckdb.DuckDBPyConnection, out_dir: Path) -> Page:
    data = queries.pauvrete_par_qpv(con)
    dico = queries.dictionnaire(con).set_index("code")
    cover = queries.couverture(con)
    cover = cover[cover["indicateur"] == "taux_pauvrete_60"]
    page = Page(
        "pauvrete.html",
        "Pauvreté et revenus des quartiers",
        f"Taux de pauvreté et revenu médian de {data['code_qp'].nunique()} quartiers, "
        f"millésimes {', '.join(str(m) for m in sorted(data['millesime'].unique()))}.",
    )
    body = [
        f"<p>{html.escape(page.summary)}</p>",
        f'<p class="note">{html.escape(dico.loc["taux_pauvrete_60", "definition"])} '
        f"{html.escape(dico.loc['taux_pauvrete_60', 'precautions'])}</p>",
        _table(
            ["Millésime", "Quartiers", "Valeurs publiées", "Valeurs non diffusées"],
            [
                [r.millesime, r.quartiers, r.valeurs_publiees, r.valeurs_secretes]
                for r in cover.itertuples(index=False)
            ],
        ),
        _figure_div(
            figures.distribution_pauvrete(data, dico.loc["taux_pauvrete_60", "libelle"]), "distribution"
        ),
        _figure_div(figures.classement_pauvrete(data), "classement"),
        _figure_div(figures.pauvrete_revenu(data), "pauvrete-revenu"),
    ]
    _write(out_dir, page, "\n".join(body), dico.loc["taux_pauvrete_60", "source"])
    return page


def render_index(out_dir: Path, pages: list[Page]) -> Path:
    items = "\n".join(
        f'<li><a href="{html.escape(p.file)}">{html.escape(p.title)}</a> — {html.escape(p.summary)}</li>'
        for p in pages
    )
    index = Page("index.html", "Observatoire économique des quartiers prioritaires", "")
    body = (
        "<p>Indicateurs économiques des quartiers prioritaires de la politique de la ville (QPV), "
        "calculés à partir des données ouvertes officielles.</p>"
        f"<ul>{items}</ul>"
    )
    return _write(out_dir, index, body, "ANCT/ONPV, INSEE")


def render_all(warehouse_path: str | Path, out_dir: str | Path) -> list[Path]:
    """Write every page and the shared plotly.min.js into `out_dir`; returns the files written.

    Pages are rendered into a temporary folder first and moved into place only when all succeeded, so a
    failure never leaves a half-written set of pages over the published ones.
    """
    from pipelines.warehouse import connection

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=f".{out_dir.name}-") as tmp:
        staging = Path(tmp)
        (staging / PLOTLY_JS).write_text(get_plotlyjs(), encoding="utf-8")
        with connection(warehouse_path, read_only=True) as con:
            pages = [render_pauvrete(con, staging)]
        render_index(staging, pages)
        names = ["index.html", *(p.file for p in pages), PLOTLY_JS]
        for name in names:
            os.replace(staging / name, out_dir / name)
    return [out_dir / name for name in names]
