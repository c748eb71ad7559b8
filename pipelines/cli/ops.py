"""`qpv versions` and `qpv rollback`: the published versions of the warehouse (pipelines/warehouse/publication.py).

qpv versions [--warehouse FILE]            the kept versions, the published one marked
qpv rollback VERSION [--warehouse FILE]    re-publish a kept version (atomic rename)
"""

from __future__ import annotations

from pathlib import Path

import typer

from pipelines.paths import DEFAULT_WAREHOUSE


def register(app: typer.Typer) -> None:
    from pipelines.cli.console import fail as _fail
    from pipelines.cli.console import out

    @app.command()
    def versions(
        warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse", help="Published DuckDB warehouse."),
    ) -> None:
        """List the kept versions of the published warehouse (* = the one published)."""
        from pipelines.warehouse.publication import current_version, last_report_path, list_versions

        kept = list_versions(warehouse)
        current = current_version(warehouse)
        if not kept and current is None:
            _fail(f"{warehouse}: aucune version publiée (lancez `qpv run` ou `qpv demo`)")
        for path in reversed(kept):
            mark = "*" if path.stem == current else " "
            size = path.stat().st_size / 1e6
            out.print(f"{mark} {path.stem}  {size:8.1f} Mo", highlight=False)
        if current is not None and current not in {p.stem for p in kept}:
            out.print(f"* {current}  (publiée, plus conservée dans versions/)", highlight=False)
        report = last_report_path(warehouse)
        if report is not None:
            out.print(f"Dernier rapport de run : {report}", highlight=False)

    @app.command()
    def rollback(
        version: str = typer.Argument(..., help="A version listed by `qpv versions`."),
        warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse", help="Published DuckDB warehouse."),
    ) -> None:
        """Re-publish a kept version of the warehouse, atomically (readers see the old file or this one)."""
        from pipelines.warehouse.publication import PublicationError, current_version
        from pipelines.warehouse.publication import rollback as do_rollback

        before = current_version(warehouse)
        try:
            target = do_rollback(warehouse, version)
        except (PublicationError, OSError) as exc:
            _fail(str(exc))
        out.print(f"Publiée : {target.stem} (avant : {before or 'aucune'}) -> {warehouse}", highlight=False)
