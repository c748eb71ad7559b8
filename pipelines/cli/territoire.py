"""`qpv territoire init|build`: a ready-made observatory per EPCI.

qpv territoire init --epci SIREN [--nom NOM] [--warehouse FILE] [--dir territoires]
qpv territoire build territoires/<slug>.yaml [--warehouse FILE] --out DIR [--pdf/--no-pdf]
"""

from __future__ import annotations

from pathlib import Path

import typer

from pipelines.cli.console import err, out
from pipelines.cli.console import fail as _fail
from pipelines.paths import DEFAULT_WAREHOUSE, PROJECT_ROOT

territoire_app = typer.Typer(
    help="Observatoire d'un EPCI : fichier YAML du territoire (init) et paquet de tableaux de bord (build).",
    no_args_is_help=True,
)


def _check_warehouse(warehouse: Path) -> None:
    if not warehouse.exists():
        _fail(f"{warehouse} : entrepôt introuvable (lancez d'abord `qpv run` ou `qpv demo`)", code=2)


@territoire_app.command("init")
def init(
    epci: str = typer.Option(..., "--epci", help="SIREN de l'EPCI (9 chiffres), ex. 200093201."),
    nom: str | None = typer.Option(None, "--nom", help="Nom affiché (défaut : celui de l'entrepôt)."),
    warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse", help="Entrepôt DuckDB."),
    directory: Path = typer.Option(PROJECT_ROOT / "territoires", "--dir", help="Dossier des fichiers YAML."),
    force: bool = typer.Option(False, "--force", help="Remplacer un fichier existant."),
) -> None:
    """Write territoires/<slug>.yaml: the EPCI's QPV, their 2015 predecessors, references, indicators, thresholds."""
    import duckdb

    from pipelines.domain.territoire import TerritoireConfigError, from_warehouse, slugify, to_yaml
    from pipelines.warehouse.connection import WarehouseError, connection

    _check_warehouse(warehouse)
    try:
        with connection(warehouse, read_only=True) as con:
            config = from_warehouse(con, epci, nom)
    except TerritoireConfigError as exc:
        _fail(str(exc), code=2)
    except (WarehouseError, duckdb.Error) as exc:
        _fail(f"{warehouse} : {exc}")
    target = directory / f"{slugify(config.nom)}.yaml"
    if target.exists() and not force:
        _fail(f"{target} existe déjà (--force pour le remplacer, ou --nom pour un autre nom)")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target.write_text(to_yaml(config), encoding="utf-8")
    except OSError as exc:
        _fail(f"{target} : écriture impossible ({exc.strerror or exc})")
    nb_pred = sum(len(q.predecesseurs_2015) for q in config.quartiers)
    out.print(
        f"{target} écrit : {config.nom} (EPCI {config.siren}), {len(config.quartiers)} quartiers 2024 "
        f"({nb_pred} liens vers {len(config.quartiers_2015)} quartiers 2015), {len(config.communes)} communes, "
        f"{len(config.indicateurs)} indicateurs suivis",
        highlight=False,
    )
    out.print(
        f"Ensuite : qpv territoire build {target} --warehouse {warehouse} --out DOSSIER", highlight=False
    )


@territoire_app.command("build")
def build(
    config: Path = typer.Argument(..., help="Fichier YAML du territoire (qpv territoire init)."),
    warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse", help="Entrepôt DuckDB."),
    out_dir: Path = typer.Option(..., "--out", help="Dossier du paquet (remplacé s'il existe)."),
    pdf: bool | None = typer.Option(
        None,
        "--pdf/--no-pdf",
        help="Synthèse en PDF (Chromium headless). Défaut : si Chromium est présent ; --pdf : erreur sans lui.",
    ),
) -> None:
    """Produce the EPCI's bundle: dashboards, Excel workbook with the dictionary, one-page summary (HTML, PDF)."""
    import duckdb

    from dashboards.bundle import PdfRequiredError
    from dashboards.bundle import build as build_bundle
    from pipelines.domain.territoire import TerritoireConfigError
    from pipelines.warehouse.connection import WarehouseError

    _check_warehouse(warehouse)
    try:
        bundle = build_bundle(config, warehouse, out_dir, pdf=pdf)
    except TerritoireConfigError as exc:
        _fail(str(exc), code=2)
    except PdfRequiredError as exc:
        _fail(f"--pdf demandé : {exc}")
    except (WarehouseError, duckdb.Error, OSError) as exc:
        _fail(str(exc))
    for note in bundle.notes:
        err.print(note, highlight=False)
    out.print(f"Paquet écrit dans {bundle.out} ({len(bundle.files)} fichiers) :", highlight=False)
    out.print(f"  accueil    {bundle.index}", highlight=False)
    out.print(f"  synthèse   {bundle.summary_html}" + (f" et {bundle.pdf}" if bundle.pdf else " (PDF non produit)"),
              highlight=False)  # fmt: skip
    out.print(f"  classeur   {bundle.workbook}", highlight=False)
    out.print(f"  tableaux   {bundle.dashboards / 'index.html'}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(territoire_app, name="territoire")
