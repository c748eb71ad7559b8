"""`qpv`: the observatory's command line.

    qpv demo                                   generate the demo data, run everything, write the dashboards
    qpv run --data-dir DIR --warehouse FILE    materialize every asset from a local folder of official files
    qpv sql "select ..." [--format table|csv|json]
    qpv dashboards --warehouse FILE --out DIR

Errors are printed as a clear message (file, line, column when the data is at fault) and exit non-zero.
"""

from __future__ import annotations

import enum
import json
import sys
import warnings
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pipelines.paths import (
    DEFAULT_ARCHIVE_DIR,
    DEFAULT_DASHBOARDS_DIR,
    DEFAULT_DEMO_DATA_DIR,
    DEFAULT_WAREHOUSE,
)

app = typer.Typer(
    help="Observatoire économique des quartiers prioritaires (QPV).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(soft_wrap=True)  # commands printed for copy-paste must not be wrapped
err = Console(stderr=True)


class OutputFormat(enum.StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _fail(message: str, code: int = 1) -> None:
    err.print(Text("Erreur : ", style="bold red") + Text(message), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _known_errors() -> tuple[type[BaseException], ...]:
    import duckdb

    from pipelines.contracts import ContractError
    from pipelines.live import LiveSourceError
    from pipelines.parsing import InputError
    from pipelines.runner import PipelineError
    from pipelines.warehouse import WarehouseError

    return (PipelineError, WarehouseError, InputError, ContractError, LiveSourceError, duckdb.Error, OSError)


def _run_with_progress(data_dir: Path | None, warehouse: Path, dashboards: Path, source_client=None) -> None:
    from pipelines.runner import count_steps, run_pipeline

    total = count_steps(data_dir or ".", warehouse)
    with Progress(
        TextColumn("[bold blue]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task("pipeline", total=total)

        def on_step(step_key: str, event: str) -> None:
            name = step_key.replace("__", ".")
            if event == "STEP_START":
                progress.update(task, description=name)
            elif event in ("STEP_SUCCESS", "STEP_FAILURE"):
                progress.advance(task)

        run_pipeline(data_dir, warehouse, dashboards, on_step=on_step, source_client=source_client)
        progress.update(task, description="terminé")


def _guard(func, *args):
    try:
        return func(*args)
    except _known_errors() as exc:
        _fail(str(exc))


@app.command()
def run(
    data_dir: Path = typer.Option(..., "--data-dir", help="Folder laid out like the official files."),
    warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse", help="DuckDB warehouse file."),
    dashboards: Path = typer.Option(
        DEFAULT_DASHBOARDS_DIR, "--dashboards", help="Output folder of the pages."
    ),
) -> None:
    """Materialize every asset (ingestion, contracts, SQL, dashboards) from a local data folder."""
    _guard(_run_with_progress, data_dir, warehouse, dashboards)
    out.print(f"Entrepôt : {warehouse}\nTableaux de bord : {dashboards / 'index.html'}")


@app.command()
def demo(
    data_dir: Path = typer.Option(
        DEFAULT_DEMO_DATA_DIR, "--data-dir", help="Where the demo files are generated."
    ),
    warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse"),
    dashboards: Path = typer.Option(DEFAULT_DASHBOARDS_DIR, "--dashboards"),
) -> None:
    """Generate the synthetic demo files (official layouts), run the whole pipeline on them."""
    from pipelines.demo.generator import generate_demo_data

    manifest = _guard(generate_demo_data, data_dir)
    files = [k for k in manifest if k != "truth"]
    err.print(f"Données de démonstration : {len(files)} fichiers dans {data_dir}")
    _guard(_run_with_progress, data_dir, warehouse, dashboards)
    from pipelines.warehouse import connection

    with connection(warehouse, read_only=True) as con:
        tables = con.execute(
            "select schema_name || '.' || table_name, estimated_size from duckdb_tables() "
            "where schema_name in ('raw', 'staging', 'intermediate', 'marts') order by 1"
        ).fetchall()
    out.print("\n[bold]Produit :[/bold]")
    out.print(f"  entrepôt DuckDB   {warehouse}")
    for name, rows in tables:
        out.print(f"    {name:<45} {rows:>8} lignes")
    out.print(f"  tableaux de bord  {dashboards / 'index.html'}")
    out.print("\n[bold]Pour regarder :[/bold]")
    out.print(f"  ouvrir {dashboards / 'index.html'} dans un navigateur")
    out.print(
        '  .venv/bin/qpv sql "select code_qp, millesime, valeur from marts.indicateurs_qpv '
        "where indicateur = 'taux_pauvrete_60' limit 10\""
    )
    out.print("  make ui    (interface Dagster sur http://127.0.0.1:3000)")


def _dry_run(archive: Path, data_dir: Path | None) -> None:
    """One line per source and edition: name, edition(s), official URL, last archived retrieval. No network."""
    from assets import all_sources
    from pipelines.live import LiveSourceClient
    from pipelines.parsing import discover_files

    client = LiveSourceClient(archive_root=str(archive), offline=True)
    typer.echo("# qpv refresh --dry-run: what a refresh would fetch (no network call)")
    typer.echo("# source\tmillésime\turl\tarchivé le")
    for source in all_sources():
        if source.live is None:
            known = sorted({f.millesime for f in discover_files(source, data_dir)}) if data_dir else []
            editions = ",".join(map(str, known)) or "-"
            typer.echo(f"{source.name}\t{editions}\t{source.official_url}\tlocal only (no file URL declared)")
            continue
        for row in client.plan(source):
            edition = row.get("edition")
            typer.echo(
                f"{source.name}\t{edition if edition is not None else 'catalogue'}\t{row.get('url') or ''}"
                f"\t{(row.get('retrieved_at') or '-')[:19]}"
            )


@app.command()
def refresh(
    dry_run: bool = typer.Option(False, "--dry-run", help="List the URLs and editions; download nothing."),
    archive: Path = typer.Option(DEFAULT_ARCHIVE_DIR, "--archive", help="Raw archive (content-addressed)."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Local folder for the sources that declare no official file URL (ANCT 2015)."
    ),
    warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse"),
    dashboards: Path = typer.Option(DEFAULT_DASHBOARDS_DIR, "--dashboards"),
) -> None:
    """Fetch every source from its official URL into the raw archive, then run the pipeline on it."""
    if dry_run:
        _guard(_dry_run, archive, data_dir)
        return
    from assets import all_sources
    from pipelines.live import LiveSourceClient
    from pipelines.resources import ArchiveOrLocalSourceClient

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
                if source.live is not None:
                    for retrieval in client.refresh(source, progress=on_bytes):
                        err.print(f"{source.name} {retrieval.edition}: {retrieval.outcome} ({retrieval.url})")

    _guard(_fetch_all)
    source_client = ArchiveOrLocalSourceClient(
        archive_root=str(archive), data_dir=str(data_dir) if data_dir else None
    )
    _guard(_run_with_progress, data_dir, warehouse, dashboards, source_client)
    out.print(f"Entrepôt : {warehouse}\nTableaux de bord : {dashboards / 'index.html'}")


@app.command()
def sql(
    query: str = typer.Argument(..., help="A read-only SQL query."),
    warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json."),
    limit: int = typer.Option(1000, "--max-rows", help="Rows shown in table format."),
) -> None:
    """Run a read-only query on the warehouse (no writes, no file access)."""
    from pipelines.warehouse import connection

    def _query():
        with connection(warehouse, read_only=True) as con:
            con.execute("set enable_external_access = false")  # no COPY TO / ATTACH from a query
            return con.sql(query).df() if query.strip() else None

    frame = _guard(_query)
    if frame is None:
        _fail("empty query")
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
            table.add_column(str(col))
        for row in frame.head(limit).itertuples(index=False):
            table.add_row(*("" if v is None or v != v else str(v) for v in row))
        out.print(table)
        if len(frame) > limit:
            err.print(f"({len(frame)} rows, {limit} shown; use --format csv for all)")


@app.command()
def dashboards(
    warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse"),
    out_dir: Path = typer.Option(DEFAULT_DASHBOARDS_DIR, "--out"),
) -> None:
    """Write the offline HTML dashboards from the marts of a warehouse."""
    from dashboards.render import render_all

    written = _guard(render_all, warehouse, out_dir)
    out.print(f"{len(written)} fichiers écrits ; ouvrir {written[0]}")


def main() -> None:
    warnings.filterwarnings("ignore", module="dagster")
    app()


if __name__ == "__main__":
    main()
