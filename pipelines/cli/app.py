"""`qpv`: the observatory's command line.

    qpv demo                                   generate the demo data, run everything, write the dashboards
    qpv run --data-dir DIR --warehouse FILE    materialize every asset from a local folder of official files
    qpv sql "select ..." [--format table|csv|json]
    qpv dashboards --warehouse FILE --out DIR [--territoire COMMUNE|EPCI|QPV,QPV]
    qpv contracts check FILE --dataset NAME    validate one file against its contract (exit 1 on error)
    qpv contracts diff FILE --dataset NAME     columns added, removed, renamed by alias, retyped
    qpv contracts docs [--out docs/donnees]    the dataset pages (Markdown) generated from the contracts

Errors are printed as a clear message (file, line, column when the data is at fault) and exit non-zero.
"""

from __future__ import annotations

import enum
import json
import os
import sys
import warnings
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pipelines.cli import export, ops, terrain, territoire
from pipelines.cli.console import err, out
from pipelines.cli.console import fail as _fail
from pipelines.cli.console import guard as _guard
from pipelines.paths import (
    DEFAULT_ARCHIVE_DIR,
    DEFAULT_DASHBOARDS_DIR,
    DEFAULT_DATA_DOCS_DIR,
    DEFAULT_DEMO_DATA_DIR,
    DEFAULT_WAREHOUSE,
    PROJECT_ROOT,
)
from pipelines.settings import ALLOW_REMOVAL

app = typer.Typer(
    help="Observatoire économique des quartiers prioritaires (QPV).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
contracts_app = typer.Typer(
    help="Data contracts: check or diff a file against its contract, generate the dataset pages.",
    no_args_is_help=True,
)
app.add_typer(contracts_app, name="contracts")


class OutputFormat(enum.StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _run_with_progress(
    data_dir: Path | None,
    warehouse: Path,
    dashboards: Path,
    source_client=None,
    data_docs: Path | None = None,
    strict: bool = False,
) -> None:
    from pipelines.runner import run_pipeline

    with Progress(
        TextColumn("[bold blue]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task("pipeline", total=None)

        def on_step(step_key: str, event: str) -> None:
            name = step_key.replace("__", ".")
            if event == "STEP_START":
                progress.update(task, description=name)
            elif event in ("STEP_SUCCESS", "STEP_FAILURE"):
                progress.advance(task)

        summary = run_pipeline(
            data_dir,
            warehouse,
            dashboards,
            on_step=on_step,
            source_client=source_client,
            data_docs_dir=data_docs,
            strict=strict,
            on_total=lambda steps: progress.update(task, total=steps),
        )
        progress.update(task, description="terminé")
    return summary


# How `qpv refresh` names the outcome of a retrieval (archive.OUTCOMES).
OUTCOMES = {
    "new": "nouveau fichier archivé",
    "unchanged": "inchangé (déjà archivé)",
    "not_modified": "non modifié (HTTP 304)",
}

EXIT_HELD_BACK = 3  # published, with files held back (status 0: everything published, 1: nothing published)


def _print_drift(summary, data_dir: Path | None = None) -> int:
    """One warning line per file with columns its contract does not know (not loaded), one line per held-back
    file (reason and the command to inspect it, `HeldBack.inspect` as the raw asset's metadata carries it, with the
    data folder of the run in place of its placeholder). Returns the exit status: 3 when files were held back."""
    for name, files in sorted(summary.undeclared.items()):
        for file, columns in sorted(files.items()):
            err.print(
                f"attention : {file} ({name}) : colonne(s) hors contrat, non chargée(s) : {', '.join(columns)}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
    for item in summary.held_back:
        first = (item.get("reason") or "").splitlines()[0]
        kept = item.get("kept_rows") or 0
        err.print(
            f"fichier retenu : {item['file']} (édition {item['millesime']}) : {first} ; "
            + (
                f"{kept} ligne(s) de la version publiée conservées ; "
                if kept
                else "aucune version publiée de cette édition ; "
            )
            + "examiner : "
            + (
                item["inspect"].replace("<dossier de données>", str(data_dir))
                if data_dir
                else item["inspect"]
            ),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if summary.held_back:
        err.print(
            f"publié avec {len(summary.held_back)} fichier(s) retenu(s) (code de sortie {EXIT_HELD_BACK})",
            highlight=False,
            markup=False,
        )
        return EXIT_HELD_BACK
    return 0


def _print_refused(summary) -> None:
    """Rows refused before storage (terrain observations holding personal data), as the run report lists them."""
    report_path = getattr(summary, "report_path", None)
    if not report_path or not Path(report_path).exists():
        return
    report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    for name, source in sorted(report.get("sources", {}).items()):
        refused = source.get("refused") or []
        if refused:
            err.print(
                f"{name} : {len(refused)} ligne(s) refusée(s) avant stockage (rapport {report_path}) :",
                soft_wrap=True,
            )
            for row in refused:
                err.print(
                    f"  {row['fichier']}, ligne {row['ligne']} : {row['motifs']}",
                    highlight=False,
                    soft_wrap=True,
                )


def _print_unmatched(data_dir: Path) -> None:
    """One warning line per file of a source folder that no source takes (a name that almost matches is never
    read in silence), with the expected name it resembles."""
    from assets import all_sources
    from pipelines.sources.parsing import unmatched_files

    by_folder: dict[str, list] = {}
    for source in all_sources():
        by_folder.setdefault(source.folder, []).append(source)
    for folder, sources in sorted(by_folder.items()):
        for file, resembles in unmatched_files(data_dir / folder, sources, data_dir):
            hint = f" ; renommez-le {resembles} pour qu'il soit lu" if resembles else ""
            err.print(
                f"attention : {file} : nom de fichier non reconnu, fichier ignoré{hint}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )


@app.command()
def run(
    data_dir: Path = typer.Option(..., "--data-dir", help="Folder laid out like the official files."),
    warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse", help="DuckDB warehouse file."),
    dashboards: Path = typer.Option(
        DEFAULT_DASHBOARDS_DIR, "--dashboards", help="Output folder of the pages."
    ),
    data_docs: Path | None = typer.Option(
        None,
        "--data-docs",
        help="Output folder of the Great Expectations Data Docs (default: data_docs beside the dashboards folder, "
        "where the dashboards index links to).",
    ),
    strict: bool = typer.Option(
        False,
        "--strict",
        help="Any problem stops everything (nothing published); by default a file that breaks its contract is "
        "held back alone, the rest is published and the exit status is 3.",
    ),
    allow_removal: bool = typer.Option(
        False,
        "--allow-removal",
        help="Let a source whose folder has no file left empty its published table (refused by default).",
    ),
) -> None:
    """Materialize every asset (ingestion, contracts, SQL, dashboards) from a local data folder.

    Exit status: 0 everything published, 3 published with files held back, 1 nothing published."""
    if allow_removal:
        os.environ[ALLOW_REMOVAL] = "1"  # read by the raw assets of this in-process run
    data_docs = data_docs or dashboards.parent / DEFAULT_DATA_DOCS_DIR.name
    from dashboards.render import check_out_dir

    _guard(check_out_dir, dashboards)  # a foreign folder is refused before the run, not after it
    _print_unmatched(data_dir)
    try:
        summary = _guard(_run_with_progress, data_dir, warehouse, dashboards, None, data_docs, strict)
    finally:
        _print_data_docs(data_docs)
    _print_refused(summary)
    status = _print_drift(summary, data_dir)
    out.print(f"Entrepôt : {warehouse}\nTableaux de bord : {dashboards / 'index.html'}")
    from pipelines.warehouse.publication import last_report_path

    out.print(f"Rapport du run : {last_report_path(warehouse)}")
    if status:
        raise typer.Exit(status)


def _print_data_docs(data_docs: Path) -> None:
    """Also after a failed run: the Data Docs show the failure."""
    if (data_docs / "index.html").exists():
        err.print(f"Qualité des données (contrats) : {data_docs / 'index.html'}")


@app.command()
def demo(
    data_dir: Path = typer.Option(
        DEFAULT_DEMO_DATA_DIR, "--data-dir", help="Where the demo files are generated."
    ),
    warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse"),
    dashboards: Path = typer.Option(DEFAULT_DASHBOARDS_DIR, "--dashboards"),
    data_docs: Path | None = typer.Option(
        None,
        "--data-docs",
        help="Output folder of the Great Expectations Data Docs (default: data_docs beside the dashboards folder, "
        "where the dashboards index links to).",
    ),
) -> None:
    """Generate the synthetic demo files (official layouts), run the whole pipeline on them."""
    from pipelines.domain.demo.generator import generate_demo_data

    data_docs = data_docs or dashboards.parent / DEFAULT_DATA_DOCS_DIR.name
    manifest = _guard(generate_demo_data, data_dir)
    files = [k for k in manifest if k != "truth"]
    err.print(f"Données de démonstration : {len(files)} fichiers dans {data_dir}")
    try:
        summary = _guard(_run_with_progress, data_dir, warehouse, dashboards, None, data_docs)
    finally:
        _print_data_docs(data_docs)
    _print_refused(summary)
    from pipelines.warehouse.connection import connection

    with connection(warehouse, read_only=True) as con:
        tables = con.execute(
            "select schema_name || '.' || table_name, estimated_size from duckdb_tables() "
            "where schema_name in ('raw', 'staging', 'intermediate', 'marts') order by 1"
        ).fetchall()
        # raw views over the Parquet stocks (pipelines/sources/stocks.py), counted (names from the catalogue)
        views = con.execute(
            "select schema_name || '.' || view_name from duckdb_views() where schema_name = 'raw'"
        )
        for (view,) in views.fetchall():
            tables.append((view, con.execute(f"select count(*) from {view}").fetchone()[0]))  # noqa: S608
        tables.sort()
    out.print("\n[bold]Produit :[/bold]")
    out.print(f"  entrepôt DuckDB   {warehouse}")
    for name, rows in tables:
        out.print(f"    {name:<45} {rows:>8} lignes")
    out.print(f"  tableaux de bord  {dashboards / 'index.html'}")
    from dashboards.render import png_note

    if note := png_note():
        out.print(f"  {note}")
    out.print(f"  qualité des données (Data Docs)  {data_docs / 'index.html'}")
    out.print("\n[bold]Pour regarder :[/bold]")
    out.print(f"  ouvrir {dashboards / 'index.html'} dans un navigateur")
    out.print(
        '  .venv/bin/qpv sql "select code_qp, millesime, valeur from marts.indicateurs_qpv '
        "where indicateur = 'taux_pauvrete_60' limit 10\""
    )
    out.print("  make ui    (interface Dagster sur http://127.0.0.1:3000)")


def _dry_run(archive: Path, data_dir: Path | None) -> None:
    """One line per source and URL: name, edition(s), URL (or official page), last archived retrieval, note
    (page + reason, override, refusal) and the editions known in the archive and the data folder. No network."""
    from assets import all_sources
    from pipelines.sources.live import LiveSourceClient, RawArchive
    from pipelines.sources.parsing import discover_files

    client = LiveSourceClient(archive_root=str(archive), offline=True)
    typer.echo("# qpv refresh --dry-run : ce qu'un rafraîchissement téléchargerait (aucun appel réseau)")
    typer.echo("# source\tmillésime\turl\tarchivé le\tnote\tmillésimes connus")
    for source in all_sources():
        local = (
            ",".join(map(str, sorted({f.millesime for f in discover_files(source, data_dir)})))
            if data_dir
            else ""
        )
        archived = ",".join(map(str, sorted(RawArchive(archive).latest_by_edition(source.name))))
        known = (
            " ; ".join([f"archive {archived}"] * bool(archived) + [f"dossier {local}"] * bool(local))
            or "aucun"
        )
        if source.live is None:
            note = "local seulement (pas de LiveSpec)"
            typer.echo(f"{source.name}\t{local or '-'}\t{source.official_url}\t-\t{note}\t{known}")
            continue
        for row in client.plan(source):
            edition, note = row.get("edition"), row.get("note") or ""
            if row["action"] == "page":
                edition, note = local or "-", f"page seulement : {note}"  # read from the data folder
            elif row["action"] == "list-resources":
                edition = "catalogue"
                note = f"ressources data.gouv.fr dont le titre correspond à {row.get('resource_title')!r}"
            elif row["action"] == "archived":
                note = "archivé (plus déclaré)"
            if row["action"] == "override-refused":
                note = f"REFUSÉE : {note}"  # names the variable and why
            elif row.get("refused"):
                note = f"REFUSÉE : {row['refused']}" + (f" ({note})" if note else "")
            typer.echo(
                f"{source.name}\t{edition if edition is not None else '-'}\t{row.get('url') or '-'}"
                f"\t{(row.get('retrieved_at') or '-')[:19]}\t{note}\t{known}"
            )


@app.command()
def refresh(
    dry_run: bool = typer.Option(False, "--dry-run", help="List the URLs and editions; download nothing."),
    archive: Path = typer.Option(DEFAULT_ARCHIVE_DIR, "--archive", help="Raw archive (content-addressed)."),
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        help="Local folder for the sources without a confirmed file URL (ANCT 2015, CAF IRIS, DEFM…), "
        "unless QPV_LIVE_URL_<SOURCE> gives one.",
    ),
    warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse"),
    dashboards: Path = typer.Option(DEFAULT_DASHBOARDS_DIR, "--dashboards"),
) -> None:
    """Fetch every source from its official URL into the raw archive, then run the pipeline on it."""
    if dry_run:
        _guard(_dry_run, archive, data_dir)
        return
    from assets import all_sources
    from pipelines.sources.live import LiveSourceClient, RefreshedSourceClient, variable_name

    client = LiveSourceClient(archive_root=str(archive))

    def _fetch_all() -> None:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err
        ) as bar:
            tasks: dict[str, int] = {}

            def on_bytes(url: str, done: int, total: int | None) -> None:
                if url not in tasks:
                    tasks[url] = bar.add_task(url.rsplit("/", 1)[-1][:60], total=total)
                bar.update(tasks[url], completed=done, total=total)

            for source in all_sources():
                if client.fetches(source):
                    for retrieval in client.refresh(source, progress=on_bytes):
                        outcome = OUTCOMES.get(retrieval.outcome, retrieval.outcome)
                        err.print(
                            f"{source.name} {retrieval.edition} : {outcome} ({retrieval.url})",
                            highlight=False,
                        )
                    continue
                why = (
                    source.live.reason
                    if source.live is not None and source.live.reason
                    else "pas de LiveSpec"
                )
                where = f"lu depuis {data_dir}" if data_dir else "aucun --data-dir : table vide"
                hint = f" ; {variable_name(source)} pour fournir l'URL" if source.live is not None else ""
                err.print(f"{source.name} : pas d'URL de fichier ({why}) : {where}{hint}", highlight=False)

    _guard(_fetch_all)
    source_client = RefreshedSourceClient(
        archive_root=str(archive), data_dir=str(data_dir) if data_dir else None
    )
    summary = _guard(_run_with_progress, data_dir, warehouse, dashboards, source_client)
    status = _print_drift(summary, data_dir)
    out.print(f"Entrepôt : {warehouse}\nTableaux de bord : {dashboards / 'index.html'}")
    if status:
        raise typer.Exit(status)


def _missing(value: object) -> bool:
    """None, NaN or NaT (pandas' missing values): printed as an empty cell."""
    try:
        return value is None or bool(value != value)
    except (TypeError, ValueError):
        return False


@app.command()
def sql(
    query: str = typer.Argument(..., help="A read-only SQL query."),
    warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json."),
    limit: int = typer.Option(1000, "--max-rows", help="Rows shown in table format."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds before the query is interrupted."),
) -> None:
    """Run one read-only query on the warehouse (no writes, no file access, settings locked, time-limited)."""
    from pipelines.warehouse.readonly import read_query

    if not query.strip():
        _fail("requête vide")
    frame = _guard(read_query, warehouse, query, timeout)
    if fmt is OutputFormat.csv:
        sys.stdout.write(frame.to_csv(index=False))
    elif fmt is OutputFormat.json:
        sys.stdout.write(
            json.dumps(json.loads(frame.to_json(orient="records", force_ascii=False)), ensure_ascii=False)
        )
        sys.stdout.write("\n")
    else:
        table = Table(show_lines=False)
        for col in frame.columns:
            table.add_column(Text(str(col)))
        for row in frame.head(limit).itertuples(index=False):
            # Text: data printed as data, never read as terminal markup ("[/x]" in a name)
            table.add_row(*(Text("" if _missing(v) else str(v)) for v in row))
        out.print(table)
        if len(frame) > limit:
            err.print(f"({len(frame)} lignes, {limit} affichées ; --format csv pour toutes)")


@app.command()
def dashboards(
    warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse"),
    out_dir: Path = typer.Option(DEFAULT_DASHBOARDS_DIR, "--out"),
    territoire: str | None = typer.Option(
        None,
        "--territoire",
        help="Commune code (5 characters), EPCI SIREN (9 digits) or comma-separated QPV codes; default: all QPV.",
    ),
) -> None:
    """Write the offline HTML dashboards from the marts of a warehouse."""
    from dashboards.render import render_all
    from dashboards.territoire import TerritoireError, resolve
    from pipelines.warehouse.connection import connection

    if not warehouse.exists():
        _fail(f"{warehouse} : entrepôt introuvable (lancez d'abord `qpv run` ou `qpv demo`)")
    codes = None
    if territoire is not None:
        try:
            with connection(warehouse, read_only=True) as con:
                codes = resolve(con, territoire)
        except TerritoireError as exc:
            _fail(str(exc), code=2)
        err.print(f"Territoire {territoire} : {len(codes)} quartiers prioritaires")
    notes: list[str] = []
    written = _guard(render_all, warehouse, out_dir, codes, None, notes)
    for note in notes:
        err.print(note)
    out.print(f"{len(written)} fichiers écrits ; ouvrir {written[0]}")


def _source(dataset: str):
    from assets import all_sources

    sources = {s.name: s for s in all_sources()}
    if dataset not in sources:
        err.print(f"Erreur : jeu de données inconnu {dataset!r}. Jeux connus :")
        for name in sorted(sources):
            err.print(f"  {name}")
        raise typer.Exit(2)
    return sources[dataset]


def _example(example: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in example.items() if v is not None)


@contracts_app.command("check")
def contracts_check(
    file: Path = typer.Argument(..., help="The file to check, as the producer publishes it."),
    dataset: str = typer.Option(..., "--dataset", help="Source name, e.g. anct_revn."),
    millesime: int | None = typer.Option(None, "--millesime", help="Edition, if the file name has none."),
) -> None:
    """Check one file against its contract: read as the pipeline reads it, validated by the generated suite.

    Exit 1 if a blocking rule fails (or the file cannot be read), 0 otherwise (warnings are shown)."""
    from pipelines.checks.validation import check_file

    source = _source(dataset)
    result = _guard(check_file, file, source, millesime)
    report = result.report
    out.print(
        f"Fichier {file} — jeu {dataset}, contrat {report.contract} {report.version}, édition {result.millesime}"
    )
    out.print(
        f"{result.rows_loaded} ligne(s) lue(s), {report.rows} vérifiée(s)"
        + (f", {report.excluded_rows} exclue(s) des règles" if report.excluded_rows else "")
        + f" ; {report.expectations} attente(s) évaluée(s)"
    )
    if result.undeclared:
        out.print(f"Colonnes ignorées (hors contrat) : {', '.join(result.undeclared)}")
    if result.quarantine:
        out.print(f"Quarantaine : {result.quarantine}")
    for failure in report.failures:
        level = "ERREUR" if failure.severity == "error" else "AVERTISSEMENT"
        where = f"colonne {failure.column}" if failure.column else "table"
        out.print(
            f"{level} [{failure.rule}] {where}, édition {failure.millesime} : {failure.description} — "
            f"{failure.unexpected_count} ligne(s)",
            highlight=False,
            markup=False,
        )
        for example in failure.examples[:5]:
            out.print(f"    {_example(example)}", highlight=False, markup=False)
    if report.errors:
        out.print(f"[bold red]Non conforme[/bold red] : {len(report.errors)} règle(s) bloquante(s) en échec.")
        raise typer.Exit(1)
    suffix = f", {len(report.warnings)} avertissement(s)" if report.warnings else ""
    out.print(f"[bold green]Conforme[/bold green] au contrat{suffix}.")


@contracts_app.command("diff")
def contracts_diff(
    file: Path = typer.Argument(..., help="The file to compare with its contract."),
    dataset: str = typer.Option(..., "--dataset", help="Source name, e.g. anct_revn."),
) -> None:
    """Columns added, removed, renamed (through an alias) and retyped, compared with the contract.

    Exit 1 if a difference would stop the pipeline, 0 otherwise."""
    from pipelines.checks.validation import diff_file
    from pipelines.sources.parsing import column_label

    source = _source(dataset)
    diff = _guard(diff_file, file, source)
    contract = source.load_contract()
    out.print(f"Fichier {file} comparé au contrat {contract.name} {contract.version}")
    policy = "non chargées" + (", bloquant avec --strict" if diff.unknown_columns_policy == "reject" else "")
    edition = f" de l'édition {diff.millesime}" if diff.millesime is not None else ""
    rows = [
        (f"Colonnes ajoutées (hors contrat, {policy})", ", ".join(diff.added)),
        (f"Colonnes obligatoires absentes{edition} (fichier retenu)", ", ".join(diff.removed_required)),
        (
            f"Colonnes facultatives absentes{edition} (vides pour cette édition)",
            ", ".join(diff.removed_optional),
        ),
        ("Colonnes présentes hors de leurs éditions déclarées", ", ".join(diff.outside_editions)),
        ("Colonnes renommées (alias du contrat)", ", ".join(f"{h} → {c}" for h, c in diff.renamed)),
        (
            "Colonnes retypées (bloquant)",
            "; ".join(
                f"{column_label(r.header, r.position)} : {r.count} valeur(s) qui ne sont pas "
                f"{'un entier' if r.expected == 'an integer' else 'un nombre'}, première ligne {r.line} : "
                f"{r.value!r}"
                for r in diff.retyped
            ),
        ),
        ("Doublons (bloquant)", "; ".join(diff.duplicates)),
    ]
    for label, text in rows:
        out.print(f"{label} : {text or 'aucune'}", highlight=False, markup=False)
    change = diff.yaml_change(contract)
    if change:
        out.print("Modification du contrat qui décrirait ce fichier (YAML) :")
        out.print(change, highlight=False, markup=False, soft_wrap=True)
    if diff.blocking:
        out.print(
            "[bold red]Différence bloquante[/bold red] : le pipeline retiendrait ce fichier "
            "(et s'arrêterait avec --strict)."
        )
        raise typer.Exit(1)
    out.print("[bold green]Aucune différence bloquante[/bold green].")


@contracts_app.command("docs")
def contracts_docs(
    out_dir: Path = typer.Option(
        PROJECT_ROOT / "docs" / "donnees", "--out", help="Folder of the Markdown pages."
    ),
) -> None:
    """Write one Markdown page per dataset (French), generated from its contract, and an index."""
    from assets import all_sources
    from pipelines.contracts.docs import write

    written = _guard(write, out_dir, all_sources())
    out.print(f"{len(written)} pages écrites dans {out_dir}")


# Command groups kept in their own modules, each with `register(app)` adding its commands to `qpv`.
for _group in (ops, export, terrain, territoire):
    _group.register(app)


def main() -> None:
    warnings.filterwarnings("ignore", module="dagster")
    app()


if __name__ == "__main__":
    main()
