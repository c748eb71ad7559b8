"""`qpv terrain`: the template of the terrain observations and their import into a warehouse.

    qpv terrain template --out FILE.csv|FILE.xlsx
    qpv terrain import FILE... [--warehouse FILE]

Exit codes of `import`: 0 when the rows were loaded (refused rows, if any, are listed as a warning: they are in
quarantine.terrain_observations with their reasons, their text redacted), or when the files were already imported
with the same content (nothing published); 1 when a file cannot be read, when its content is already loaded under
another name, when the imports folder cannot be written, or when no row at all could be loaded (nothing is
written: the published warehouse stays as it was).

An import is published like a run (pipelines/warehouse/publication.py): under the warehouse folder's lock (when a
run, a rollback or another import holds it, the import says so and waits), as a new version (`qpv versions`); its
files, their accepted rows only, are kept in `<warehouse dir>/imports/<stem>/terrain/` and re-read by every run.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from pipelines.cli.console import err, out
from pipelines.cli.console import fail as _fail
from pipelines.paths import DEFAULT_WAREHOUSE

terrain_app = typer.Typer(
    help="Observations de terrain anonymisées : modèle de saisie et import dans l'entrepôt.",
    no_args_is_help=True,
)


def _errors() -> tuple[type[BaseException], ...]:
    import duckdb

    from pipelines.contracts.model import ContractError
    from pipelines.sources.parsing import InputError
    from pipelines.warehouse.connection import WarehouseError
    from pipelines.warehouse.publication import PublicationError

    return (InputError, WarehouseError, ContractError, PublicationError, duckdb.Error, OSError)


@terrain_app.command("template")
def template(
    out_file: Path = typer.Option(..., "--out", help="Fichier à écrire : .csv (séparateur ;) ou .xlsx."),
) -> None:
    """Write the observation template (French headers, an example row, the notice with the closed lists)."""
    from pipelines.domain.terrain import write_template

    try:
        written = write_template(out_file)
    except _errors() as exc:
        _fail(str(exc))
    out.print(f"Modèle écrit : {written}")
    out.print(
        "Une ligne par observation ; la ligne d'identifiant EXEMPLE est ignorée. Aucune donnée personnelle dans le "
        "résumé ni dans l'identifiant (nom, adresse, téléphone, courriel, NIR, IBAN, date de naissance, plaque "
        "d'immatriculation), ni dans le nom de la structure (sauf l'adresse de ses locaux ; un nom de personne y "
        "est refusé après une civilité ou seul) : la ligne serait refusée."
    )
    out.print(f"Import : .venv/bin/qpv terrain import {written} --warehouse warehouse/qpv.duckdb")


@terrain_app.command("import")
def import_(
    files: list[Path] = typer.Argument(
        ..., help="Fichiers d'observations (.csv ou .xlsx) écrits depuis le modèle."
    ),
    warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse", help="Entrepôt DuckDB existant."),
) -> None:
    """Validate the files (contract + anonymisation), load them, quarantine the refused rows, rebuild the marts."""
    from pipelines.domain.terrain import import_files

    def waiting() -> None:
        err.print(
            f"Publication en cours dans {warehouse.parent} (run, import ou retour arrière) : l'import attend "
            "qu'elle se termine, rien n'est perdu.",
            highlight=False,
            markup=False,
        )

    try:
        report = import_files(files, warehouse, waiting=waiting)
    except _errors() as exc:
        _fail(str(exc))
    if report.already_imported:
        out.print(
            f"Déjà importé à l'identique ({', '.join(report.files)} : {report.rows_loaded} observation(s)) : "
            f"entrepôt inchangé, version publiée : {report.version or 'inconnue'}",
            highlight=False,
        )
        return
    out.print(
        f"{report.rows_loaded} observation(s) chargée(s) depuis {len(report.files)} fichier(s) dans {warehouse}"
        + (f" ({report.examples_skipped} ligne(s) d'exemple ignorée(s))" if report.examples_skipped else "")
        + (f" ; version publiée : {report.version}" if report.version else "")
    )
    for table, rows in report.marts.items():
        out.print(f"  {table:<40} {rows:>6} lignes")
    if report.refused:
        err.print(
            Text(f"Attention : {len(report.refused)} ligne(s) refusée(s), ", style="bold yellow")
            + Text(
                "mises en quarantaine (quarantine.terrain_observations), texte caviardé :"
                if report.rows_loaded
                else "rien n'est écrit dans l'entrepôt :"
            )
        )
        for refusal in report.refused:
            err.print(
                f"  {refusal.fichier}, ligne {refusal.ligne} ({refusal.identifiant}) : {refusal.motifs}",
                highlight=False,
                markup=False,
            )
    if report.rows_loaded == 0:
        _fail(
            "aucune observation chargée, entrepôt inchangé : corriger les lignes refusées puis relancer l'import"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(terrain_app, name="terrain")
