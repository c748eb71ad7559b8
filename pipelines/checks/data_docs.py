"""Great Expectations Data Docs of the contract checks, rebuilt after every check into `build/data_docs/`.

Each contract check records its validation result (the suite generated from the contract and the results of
this run, as GX JSON) with `publish`. The whole site is then rebuilt by GX's own Data Docs machinery (an
ephemeral data context, a `SiteBuilder` on a temporary folder) and moved into place, so a reader never sees a
half-written site, and a failing run still publishes the pages that show the failure. The results are kept
inside the site (`_resultats/<dataset>.json`): the next check (of the same run, or of a later run that
materializes only one source) adds its own and rebuilds.

Offline: GX's pages load Bootstrap, jQuery, bootstrap-table, Font Awesome and Vega from CDNs. Those tags are
removed and a small local stylesheet is inlined instead; the expectation and validation pages are rendered on
the server side, so they stay readable (GX's interactive bits — the "failed only" filter, collapsible panels,
sortable tables — do not work offline). GX's index page draws its tables with jQuery from a CDN, so it would be
empty offline: the site's `index.html` is written here instead (static HTML, in French), with the run's status
per dataset, the evidence of each failed rule and links to GX's pages.

No markup from data: GX escapes the values it puts in its sentences, but writes the cells of its tables (the
unexpected values of a failed rule, e.g. a CODGEO `<img src=x onerror=alert(1)>`) as raw HTML. So every value of a
result is HTML-escaped before GX sees it (`_escaped`), and every page GX wrote is then rebuilt through an HTML
parser keeping only known tags and attributes (`sanitise_page`): scripts are dropped (GX's own need jQuery from a
CDN, already removed), event handlers and `javascript:` URLs too, and any other tag is shown as text. The records
(`_resultats/*.json`) hold the true values, with `<`, `>` and `&` written as JSON escapes.
"""

from __future__ import annotations

import contextlib
import fcntl
import html
import html.parser
import json
import logging
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.checks.validation import ValidationReport

RECORDS_DIR = "_resultats"
SITE_NAME = "qpv"

_EXTERNAL = [
    re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.IGNORECASE),
    re.compile(r"<link[^>]*\bhref=\"https?://[^\"]*\"[^>]*>", re.IGNORECASE),
    re.compile(r"<img[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>", re.IGNORECASE),
]

OFFLINE_CSS = """
/* qpv: local replacement for the Bootstrap stylesheet that GX loads from a CDN (pages must work offline) */
body { font-family: Marianne, Arial, sans-serif; color: #161616; margin: 0; font-size: 15px; }
a { color: #000091; }
.container-fluid { padding: 1rem 1.5rem; }
.row { display: flex; flex-wrap: wrap; gap: 1rem; }
.col-md-2, .col-lg-2 { flex: 0 0 15rem; max-width: 15rem; overflow-wrap: anywhere; }
.col-md-10, .col-lg-10 { flex: 1 1 40rem; min-width: 0; }
.col-12, .col-md-12 { flex: 1 1 100%; }
.card { border: 1px solid #ddd; border-radius: 4px; margin: 0 0 1rem; padding: .5rem 1rem; }
table { border-collapse: collapse; margin: .5rem 0; }
td, th { border: 1px solid #ddd; padding: .25rem .5rem; vertical-align: top; text-align: left; }
th { background: #eee; }
.text-danger, .fa-times, .failed { color: #ce0500; }
.text-success, .fa-check-circle { color: #18753c; }
.badge { background: #eee; border-radius: 3px; padding: 0 .3rem; font-family: monospace; }
code, pre { background: #f6f6f6; }
body > footer, .cloud-footer, .cta-footer, #ge-cta-footer, .fixed-bottom { display: none; }
.fa-check-circle::before { content: "\\2714"; }  /* the Font Awesome icons come from a CDN: text instead */
.fa-times::before { content: "\\2718"; font-weight: bold; }
nav.navbar { border-bottom: 1px solid #ddd; padding: .5rem 1.5rem; }
ol.breadcrumb { list-style: none; display: flex; gap: .5rem; padding: 0; }
"""


# Tags GX's templates, renderers and markdown write; any other tag in a GX page is shown as text.
_ALLOWED_TAGS = frozenset(
    "a b blockquote body br button caption code col colgroup dd div dl dt em footer h1 h2 h3 h4 h5 h6 head header hr "
    "html i img input label li link main meta nav ol p pre s section small span strong style sub sup table tbody td "
    "tfoot th thead title tr u ul".split()
)
_DROPPED_ATTRIBUTES = frozenset({"srcdoc", "formaction", "action", "http-equiv"})
_URL_ATTRIBUTES = frozenset({"href", "src", "background", "poster", "cite", "data", "xlink:href", "manifest"})
_SAFE_SCHEMES = frozenset({"http", "https", "mailto", "file"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
SANITISED = '<meta name="qpv-assaini" content="1">'  # a GX page already rebuilt by sanitise_page


def _safe_attribute(name: str, value: str | None) -> bool:
    if name.startswith("on") or name in _DROPPED_ATTRIBUTES:
        return False
    plain = _CONTROL.sub("", html.unescape(value or "")).lower()
    if name in _URL_ATTRIBUTES:
        scheme = _SCHEME.match(plain)
        return scheme is None or scheme.group(1) in _SAFE_SCHEMES
    if name == "style":
        return not any(bad in plain for bad in ("expression(", "url(", "javascript:", "@import"))
    return True


class _Sanitiser(html.parser.HTMLParser):
    """Re-emits a page as it came, except: no <script> element, no event handler, no `javascript:` (or other
    non-web) URL, no comment, and every tag outside _ALLOWED_TAGS written as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self._in_script = False

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], closing: bool) -> None:
        text = self.get_starttag_text() or ""
        if tag == "script":
            self._in_script = not closing
            return
        if tag not in _ALLOWED_TAGS:
            self.out.append(html.escape(text, quote=False))
            return
        kept = [(name, value) for name, value in attrs if _safe_attribute(name, value)]
        if len(kept) == len(attrs):
            self.out.append(text)
            return
        rebuilt = "".join(
            f" {name}" if value is None else f' {name}="{html.escape(value, quote=True)}"'
            for name, value in kept
        )
        self.out.append(f"<{tag}{rebuilt}{' /' if closing else ''}>")

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs, closing=False)

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs, closing=True)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
        elif tag in _ALLOWED_TAGS:
            self.out.append(f"</{tag}>")
        else:
            self.out.append(html.escape(f"</{tag}>", quote=False))

    def handle_data(self, data):
        if not self._in_script:
            self.out.append(data)

    def handle_entityref(self, name):
        if not self._in_script:
            self.out.append(f"&{name};")

    def handle_charref(self, name):
        if not self._in_script:
            self.out.append(f"&#{name};")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def handle_comment(self, data):
        pass

    def handle_pi(self, data):
        pass

    def unknown_decl(self, data):
        pass


def sanitise_page(text: str) -> str:
    """A GX page with nothing that runs (see _Sanitiser) and marked as rebuilt (SANITISED)."""
    parser = _Sanitiser()
    parser.feed(text)
    parser.close()
    page = "".join(parser.out)
    if "</head>" in page:
        return page.replace("</head>", f"{SANITISED}\n</head>", 1)
    return SANITISED + page


def _escaped(value: Any) -> Any:
    """Every text of a value (lists and mappings included, keys too) HTML-escaped; numbers unchanged."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {_escaped(k) if isinstance(k, str) else k: _escaped(v) for k, v in value.items()}
    return value


def _for_gx(result: dict[str, Any]) -> dict[str, Any]:
    """A suite validation result whose values from data (each rule's `result`: observed and unexpected values,
    and `exception_info`) are HTML-escaped: GX writes some of them into its tables as raw HTML."""
    out = dict(result)
    out["results"] = [
        {**r, **{key: _escaped(r[key]) for key in ("result", "exception_info") if r.get(key) is not None}}
        for r in result.get("results") or []
    ]
    return out


def _record_json(record: dict[str, Any]) -> str:
    """A record as JSON where `<`, `>` and `&` are escapes (`\\u003c`…): the same values once read, and no markup
    from data in any file of the site."""
    text = json.dumps(record, ensure_ascii=False, indent=1, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def validation_record(
    dataset: str,
    title: str,
    report: ValidationReport,
    frame: pd.DataFrame,
    run_id: str,
    load: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What a contract check records for the Data Docs: status, evidence and GX JSON of this validation.

    `load`: what the raw asset's load said of the files (`undeclared_columns`: file -> columns the contract does
    not know, not loaded; `columns`: file -> declared columns absent from that edition; `held_back`)."""
    files: list[dict[str, Any]] = []
    if {"millesime", "_fichier"} <= set(frame.columns) and not frame.empty:
        cols = [c for c in ("millesime", "_fichier", "_sha256") if c in frame.columns]
        for row in frame[cols].drop_duplicates().sort_values(cols[:2]).itertuples(index=False):
            files.append({"millesime": _plain(row[0]), "fichier": row[1], "sha256": _plain(row[2])})
    metadata = report.to_metadata()
    return {
        "dataset": dataset,
        "title": title,
        "contract": f"{report.contract} {report.version}",
        "run_id": run_id,
        "checked_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "passed": report.passed,
        "rows": report.rows,
        "rows_excluded": report.excluded_rows,
        "expectations": report.expectations,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "failures": metadata["failures"],
        "files": files,
        "undeclared": (load or {}).get("undeclared_columns") or {},
        "absent": {f: n["absent"] for f, n in ((load or {}).get("columns") or {}).items() if n.get("absent")},
        "held_back": [
            {k: h.get(k) for k in ("file", "millesime", "reason", "kept_rows")}
            for h in (load or {}).get("held_back") or []
        ],
        "suite": report.gx_suite,
        "result": report.gx_result,
    }


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def publish(out_dir: str | Path, records: Iterable[dict[str, Any]]) -> Path:
    """Add these datasets' results to the site at `out_dir` (replacing their previous ones): the site is copied
    into a temporary folder beside it, the pages of these datasets are rebuilt there (the others are kept as they
    are), the index is rewritten, and the folder is moved into place. Returns the path of `index.html`."""
    out = Path(out_dir).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with _locked(out.parent / f".{out.name}.lock"):
        current = read_records(out)
        fresh = list(records)
        for record in fresh:
            current[record["dataset"]] = record
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
        staging.chmod(0o755)  # mkdtemp makes it private; the site is for everyone who can read the folder
        try:
            if out.is_dir():
                shutil.copytree(out, staging, dirs_exist_ok=True)
            build_site(list(current.values()), staging, rebuild=fresh)
            _swap(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return out / "index.html"


def read_records(out: Path) -> dict[str, dict[str, Any]]:
    folder = out / RECORDS_DIR
    if not folder.is_dir():
        return {}
    records = {}
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        records[record["dataset"]] = record
    return records


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Checks may run in parallel processes (Dagster's multiprocess executor): one rebuild at a time."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap(staging: Path, out: Path) -> None:
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}-old-{uuid.uuid4().hex[:8]}")
        os.rename(out, old)
    os.rename(staging, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_site(
    records: list[dict[str, Any]], dest: Path, rebuild: list[dict[str, Any]] | None = None
) -> None:
    """Write the records and the GX Data Docs pages into `dest`: the pages of `rebuild` (default: every record)
    are (re)built, those of the other records are left as `dest` holds them; the index covers every record."""
    rebuild = records if rebuild is None else rebuild
    (dest / RECORDS_DIR).mkdir(parents=True, exist_ok=True)
    for record in records:
        (dest / RECORDS_DIR / f"{record['dataset']}.json").write_text(_record_json(record), encoding="utf-8")
    for record in rebuild:  # this dataset's previous pages make way for the new ones
        shutil.rmtree(dest / "validations" / record["dataset"], ignore_errors=True)
        (dest / "expectations" / f"{record['dataset']}.html").unlink(missing_ok=True)
    documented = [r for r in rebuild if r.get("suite") and r.get("result")]
    if documented:
        _build_gx_site(documented, dest)
        _make_offline(dest)
    (dest / "index.html").write_text(render_index(records, dest), encoding="utf-8")


def _build_gx_site(records: list[dict[str, Any]], dest: Path) -> None:
    import great_expectations as gx
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(
        SITE_NAME,
        {
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(dest)},
        },
    )
    for record in records:
        suite = record["suite"]
        context.suites.add(
            gx.ExpectationSuite(
                name=suite["name"],
                expectations=suite["expectations"],
                meta=suite.get("meta"),
                notes=suite.get("notes"),
            )
        )
        checked_at = datetime.strptime(record["checked_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        run_id = RunIdentifier(run_name=(record.get("run_id") or "qpv")[:8], run_time=checked_at)
        result = _for_gx(record["result"])
        result["meta"] = {
            "great_expectations_version": gx.__version__,
            "run_id": run_id.to_json_dict(),
            "validation_time": record["checked_at"],
            "active_batch_definition": {
                "datasource_name": "entrepot_duckdb",
                "data_connector_name": "fluent",
                "data_asset_name": f"raw.{record['dataset']}",
                "batch_identifiers": {},
            },
            "batch_spec": {"table": f"raw.{record['dataset']}", "contract": record["contract"]},
            "batch_markers": {
                "files": ", ".join(f"{f['fichier']} ({f['millesime']})" for f in record.get("files", [])),
                "rows_checked": record["rows"],
            },
        }
        key = ValidationResultIdentifier(ExpectationSuiteIdentifier(suite["name"]), run_id, record["dataset"])
        context.validation_results_store.set(key, ExpectationSuiteValidationResult(**result))
    # no GX index: it would delete the pages of the datasets not in this context (and ours replaces it)
    context.build_data_docs(site_names=[SITE_NAME], build_index=False)


def _make_offline(dest: Path) -> None:
    """No CDN at view time: drop the external scripts, stylesheets and images; inline a local stylesheet. And
    nothing that runs: every GX page goes through sanitise_page."""
    style = f"<style>{OFFLINE_CSS}</style>"
    for page in dest.rglob("*.html"):
        if page == dest / "index.html":  # GX's (removed below) or ours (rewritten by build_site)
            continue
        text = page.read_text(encoding="utf-8")
        if SANITISED in text:  # made offline and sanitised by an earlier check of the run
            continue
        for pattern in _EXTERNAL:
            text = pattern.sub("", text)
        if style not in text:
            text = text.replace("</head>", f"{style}\n</head>", 1)
        page.write_text(sanitise_page(text), encoding="utf-8")
    gx_index = dest / "index.html"
    if gx_index.exists():
        gx_index.unlink()  # its tables are drawn by jQuery from a CDN: replaced by render_index


def pages_of(dataset: str, dest: Path) -> dict[str, str]:
    """Relative links to GX's pages of a dataset: its expectations and its latest validation result."""
    links = {}
    suite_page = dest / "expectations" / f"{dataset}.html"
    if suite_page.exists():
        links["expectations"] = suite_page.relative_to(dest).as_posix()
    results = sorted((dest / "validations" / dataset).rglob("*.html"))
    if results:
        links["validation"] = results[-1].relative_to(dest).as_posix()
    return links


def _status(record: dict[str, Any]) -> tuple[str, str]:
    if not record.get("suite"):
        return "aucune donnée", "absent"
    if record["errors"]:
        return f"échec : {record['errors']} règle(s) bloquante(s)", "echec"
    if record["warnings"]:
        return f"conforme, {record['warnings']} avertissement(s)", "avertissement"
    return "conforme", "conforme"


def _evidence(failure: dict[str, Any]) -> str:
    rows = failure.get("first_offending_rows") or []
    where = f"colonne {failure['column']}" if failure.get("column") else "table"
    level = "bloquante" if failure.get("severity", "error") == "error" else "avertissement"
    head = (
        f"<p><strong>[{html.escape(str(failure['rule']))}]</strong> {html.escape(where)}, "
        f"édition {html.escape(str(failure.get('millesime')))} — {html.escape(str(failure['description']))} "
        f"({level}) : {failure['unexpected_count']} ligne(s) en défaut</p>"
    )
    if not rows:
        return head
    columns = list(dict.fromkeys(k for row in rows for k in row))
    header = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(row.get(c, '')))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return f"{head}<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


_INDEX = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Qualité des données (contrats) — Observatoire économique des QPV</title>
<style>
body {{ font-family: Marianne, Arial, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1.5rem; color: #161616; }}
a {{ color: #000091; }}
table {{ border-collapse: collapse; margin: .5rem 0 1rem; }}
td, th {{ border: 1px solid #ddd; padding: .3rem .6rem; text-align: left; vertical-align: top; }}
th {{ background: #eee; }}
.echec {{ color: #ce0500; font-weight: bold; }} .conforme {{ color: #18753c; }}
.avertissement {{ color: #b34000; }} .absent {{ color: #666; }}
.note {{ background: #f6f6f6; border-left: 4px solid #000091; padding: .75rem 1rem; }}
</style>
</head>
<body>
<header><a href="../dashboards/index.html">← Tableaux de bord de l'observatoire</a></header>
<h1>Qualité des données : contrats</h1>
<p class="note">Chaque jeu de données brut est validé par une suite Great Expectations générée depuis son contrat
(<code>data_contracts/</code>). Une règle bloquante en échec arrête tout ce qui en dépend ; un avertissement
signale un défaut connu du producteur, réparé en aval. Pages générées par les Data Docs de Great Expectations,
lisibles hors ligne (les filtres interactifs de Great Expectations sont désactivés).</p>
<p>{summary}</p>
<table>
<thead><tr><th>Jeu de données</th><th>Statut</th><th>Lignes vérifiées</th><th>Attentes</th>
<th>Fichiers</th><th>Vérifié le (UTC)</th><th>Pages Great Expectations</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
{failures}
</body>
</html>
"""


def render_index(records: list[dict[str, Any]], dest: Path) -> str:
    rows, failures = [], []
    for record in sorted(records, key=lambda r: r["dataset"]):
        label, css = _status(record)
        links = pages_of(record["dataset"], dest)
        link_html = " · ".join(
            f'<a href="{html.escape(href)}">{"attentes" if kind == "expectations" else "résultats"}</a>'
            for kind, href in links.items()
        )
        files = "<br>".join(
            html.escape(f"{f['fichier']} ({f['millesime']})") for f in record.get("files", [])
        )
        notes = [
            f"<br><small>colonnes hors contrat, non chargées : {html.escape(', '.join(cols))} ({html.escape(name)})"
            "</small>"
            for name, cols in sorted((record.get("undeclared") or {}).items())
        ]
        notes += [
            f"<br><small>colonnes du contrat absentes de ce fichier (vides) : {html.escape(', '.join(cols))} "
            f"({html.escape(name)})</small>"
            for name, cols in sorted((record.get("absent") or {}).items())
        ]
        notes += [
            f"<br><small class='echec'>fichier retenu : {html.escape(h['file'])} (édition {h['millesime']}, "
            f"{h.get('kept_rows') or 0} ligne(s) de la version publiée conservées) — "
            f"{html.escape((h.get('reason') or '').splitlines()[0] if h.get('reason') else '')}</small>"
            for h in record.get("held_back") or []
        ]
        files = (files or "—") + "".join(notes)
        rows.append(
            f'<tr id="{html.escape(record["dataset"])}"><td><strong>{html.escape(record["dataset"])}</strong><br>'
            f"{html.escape(record.get('title') or '')}<br><small>contrat {html.escape(record['contract'])}"
            f'</small></td><td class="{css}">{html.escape(label)}</td><td>{record["rows"]}</td>'
            f"<td>{record['expectations']}</td><td>{files}</td>"
            f"<td>{html.escape(record['checked_at'])}<br><small>run {html.escape(str(record.get('run_id'))[:8])}"
            f"</small></td><td>{link_html or '—'}</td></tr>"
        )
        if record.get("failures"):
            failures.append(
                f"<h3>{html.escape(record['dataset'])}</h3>"
                + "".join(_evidence(f) for f in record["failures"])
            )
    failed = [r["dataset"] for r in records if r.get("errors")]
    summary = f"{len(records)} jeux de données ; " + (
        f"<span class='echec'>{len(failed)} en échec : {html.escape(', '.join(sorted(failed)))}</span>"
        if failed
        else "<span class='conforme'>aucune règle bloquante en échec</span>"
    )
    failure_html = ("<h2>Règles en défaut (preuves)</h2>" + "".join(failures)) if failures else ""
    return _INDEX.format(summary=summary, rows="\n".join(rows), failures=failure_html)
