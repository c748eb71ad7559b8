"""`qpv export`: the marts with their dictionary as Parquet, CSV or Excel (logic in pipelines/warehouse/export.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from pipelines.paths import DEFAULT_WAREHOUSE


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        fmt: str = typer.Option(..., "--format", help="parquet, csv or xlsx."),
        out_dir: Path = typer.Option(..., "--out", help="Output folder (created if absent)."),
        warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse", help="DuckDB warehouse file."),
        marts: str | None = typer.Option(
            None,
            "--marts",
            help="Comma-separated marts to export (default: every table of the marts schema).",
        ),
    ) -> None:
        """Export every mart (read-only) with its column dictionary: Parquet metadata, dictionnaire.csv or an
        Excel `dictionnaire` sheet, plus LISEZMOI.txt (version, date, rows)."""
        from pipelines.cli.console import err, out
        from pipelines.cli.console import fail as _fail
        from pipelines.cli.console import guard as _guard
        from pipelines.warehouse.export import FORMATS, ExportError, export_marts, parse_marts

        if fmt not in FORMATS:
            _fail(f"--format {fmt!r} inconnu : choisir parquet, csv ou xlsx", code=2)
        try:
            result = _guard(export_marts, warehouse, out_dir, fmt, parse_marts(marts))
        except ExportError as exc:
            _fail(str(exc))
        for table, rows in result.rows.items():
            err.print(f"  marts.{table:<32} {rows:>9} lignes", highlight=False)
        version = (result.version or {}).get("version")
        out.print(
            f"{len(result.rows)} tables exportées ({fmt}) dans {result.out_dir}"
            + (f", entrepôt version {version}" if version else "")
            + f" ; lire {result.out_dir / 'LISEZMOI.txt'}",
            highlight=False,
        )
