"""`qpv territoire build`: an EPCI's ready-made observatory from its YAML and a warehouse.

    <out>/index.html               home of the bundle: its QPV (2024 and their 2015 predecessors), links, comparison
                                   of the followed indicators with its whole communes, EPCI, département and France
                                   métropolitaine first, then with the QPV of each of them and all QPV of France
    <out>/synthese.html|.pdf       the one-page summary of what moved since the previous edition (dashboards/summary);
                                   the PDF is the page printed on A4 by Chromium with the print rules of style.css
    <out>/style.css                the site's stylesheet (dashboards/site.py CSS), for the home page and the summary,
                                   which share the site's template (header, navigation, footer)
    <out>/<slug>_indicateurs.xlsx  the indicators of its QPV and reference territories, the evolutions, the dictionary
    <out>/tableaux/                the dashboards restricted to its QPV (render_all: map zoomed on them, their fiches,
                                   comparison with their communes)
    <out>/<slug>.yaml              the configuration the bundle was built from

Secret values are never written: the workbook leaves the cell empty and says "secret" in the next column.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from dashboards import summary
from dashboards.figures_fiche import fr_value
from dashboards.site import CSS, STYLESHEET, esc
from pipelines.domain.territoire import TerritoireConfig, check_against_warehouse, load

DASHBOARDS = "tableaux"
SUMMARY_HTML = "synthese.html"
SUMMARY_PDF = "synthese.pdf"
TYPES = {"commune": "Quartiers de la commune", "epci": "Quartiers de l'EPCI", "departement": "Quartiers du département",
         "france": "Ensemble des QPV de France"}  # fmt: skip
PERIMETRES = {
    "ensemble": "territoire entier (tous ses ménages)",
    "qpv": "quartiers prioritaires du territoire",
}


class PdfRequiredError(RuntimeError):
    """--pdf was asked for and the PDF could not be produced (the rest of the bundle is written)."""


@dataclass
class Bundle:
    out: Path
    index: Path
    summary_html: Path
    workbook: Path
    dashboards: Path
    pdf: Path | None = None
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------- workbook


def _secret_safe(
    frame: pd.DataFrame, value_columns: list[str], secret_column: str = "secret"
) -> pd.DataFrame:
    frame = frame.copy()
    secret = frame[secret_column].fillna(False).astype(bool)
    for column in value_columns:
        if column in frame:
            frame[column] = frame[column].astype(object).where(~secret, None)
    frame[secret_column] = secret.map({True: "secret", False: ""})
    return frame


def indicateurs_qpv(con: duckdb.DuckDBPyConnection, config: TerritoireConfig) -> pd.DataFrame:
    frame = con.execute(
        """
        with perimetre as (
            select unnest(?::varchar[]) as code_qp, 'qpv2024' as geographie
            union all select unnest(?::varchar[]), 'qpv2015'
        )
        select i.code_qp, i.lib_qp, i.geographie, i.millesime, i.annee_reference, i.indicateur, r.libelle,
               i.valeur, i.unite, i.borne_basse, i.borne_haute, i.secret, i.rupture, i.source
        from marts.indicateurs_qpv i
        join perimetre p using (code_qp, geographie)
        left join marts.ref_indicateurs r on r.code = i.indicateur
        where i.indicateur in (select unnest(?::varchar[]))
        order by i.geographie, i.code_qp, i.indicateur, i.millesime
        """,
        [config.codes_2024, config.codes_2015, config.indicateurs],
    ).df()
    commune = {q.code: q.commune for q in config.quartiers} | {
        q.code: q.commune for q in config.quartiers_2015 if q.commune
    }
    frame.insert(3, "commune", [commune[c].nom if c in commune else "" for c in frame["code_qp"]])
    return _secret_safe(frame, ["valeur", "borne_basse", "borne_haute"])


def _quartiers(config: TerritoireConfig) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "code_qp": q.code,
                "nom": q.nom,
                "code_commune": q.commune.code,
                "commune": q.commune.nom,
                "predecesseurs_2015": ", ".join(p.code for p in q.predecesseurs_2015),
                "noms_predecesseurs_2015": ", ".join(p.nom for p in q.predecesseurs_2015),
                "parts_etablissements": ", ".join(
                    "" if p.part is None else f"{p.part:.0%}" for p in q.predecesseurs_2015
                ),
            }
            for q in config.quartiers
        ]
    )


def _quartiers_2015(config: TerritoireConfig) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "code_qp": q.code,
                "nom": q.nom,
                "code_commune": q.commune.code if q.commune else "",
                "commune": q.commune.nom if q.commune else "",
                "successeurs_2024": ", ".join(
                    q24.code
                    for q24 in config.quartiers
                    if any(p.code == q.code for p in q24.predecesseurs_2015)
                ),
            }
            for q in config.quartiers_2015
        ],
        columns=["code_qp", "nom", "code_commune", "commune", "successeurs_2024"],
    )


def _evolutions_sheet(evol: pd.DataFrame, dico: pd.DataFrame) -> pd.DataFrame:
    if evol.empty:
        return pd.DataFrame(columns=["code_qp"])
    frame = evol.assign(libelle=evol["indicateur"].map(dico["libelle"]) if not dico.empty else "")
    frame = frame.assign(
        valeur=frame["valeur"].astype(object).where(~frame["secret"], None),
        valeur_precedente=frame["valeur_precedente"].astype(object).where(~frame["secret_precedent"], None),
        statut=[
            "secret" if s or sp else ("rupture de série" if r else "")
            for s, sp, r in zip(frame["secret"], frame["secret_precedent"], frame["rupture"], strict=True)
        ],
        signale=frame["signale"].map({True: "oui", False: ""}),
        signale_ecart=frame["signale_ecart"].map({True: "oui", False: ""}),
    )
    # the whole commune first, then the QPV of the commune (the reference of the threshold), never mixed
    return frame[
        ["indicateur", "libelle", "geographie", "code_qp", "lib_qp", "lib_commune", "unite", "millesime_precedent",
         "valeur_precedente", "millesime", "annee_reference", "valeur", "statut", "evolution", "type_evolution",
         "seuil", "signale", "valeur_commune_entiere", "ecart_commune_entiere", "valeur_commune", "ecart_commune",
         "unite_ecart", "signale_ecart"]
    ].rename(
        columns={
            "valeur_commune_entiere": "valeur_ensemble_commune",
            "ecart_commune_entiere": "ecart_ensemble_commune",
            "valeur_commune": "valeur_quartiers_commune",
            "ecart_commune": "ecart_quartiers_commune",
        }
    )  # fmt: skip


def write_workbook(
    con: duckdb.DuckDBPyConnection, config: TerritoireConfig, path: Path, evol: pd.DataFrame
) -> Path:
    """The EPCI's indicators as an Excel workbook (openpyxl): a read-me, its QPV, the indicators of its QPV, the
    reference territories, the evolutions and the dictionary (marts.ref_indicateurs)."""
    from openpyxl.utils import get_column_letter

    from pipelines.warehouse.cells import keep_text

    dico = summary.dictionnaire(con, config.indicateurs)
    terr = summary.territoires(con, config)
    terr = _secret_safe(terr, ["valeur"]).assign(
        type_territoire=terr["type_territoire"].map(TYPES).fillna(terr["type_territoire"]),
        perimetre=PERIMETRES["qpv"],
    )
    ens = summary.ensembles(con, config)
    ens = _secret_safe(ens, ["valeur"]).assign(
        type_territoire=ens["type_territoire"].map(summary.ENSEMBLES).fillna(ens["type_territoire"]),
        perimetre=PERIMETRES["ensemble"],
    )
    # the whole territories first (their year of data), then the QPV aggregates (their edition): never one row both
    references = pd.concat([ens, terr], ignore_index=True)
    references = references[
        [c for c in ["perimetre", "type_territoire", "code_territoire", "lib_territoire", "geographie", "millesime",
                     "annee_reference", "indicateur", "valeur", "unite", "secret", "nb_qpv"] if c in references]
    ]  # fmt: skip
    lisez_moi = pd.DataFrame(
        {
            "rubrique": ["Territoire", "SIREN", "Département", "Édition", "Quartiers 2024", "Quartiers 2015",
                         "Indicateurs suivis", "Seuils d'attention", "Secret statistique", "Références", "Sources"],
            "valeur": [
                config.nom, config.siren,
                f"{config.departement.nom} ({config.departement.code})" if config.departement else "",
                dt.date.today().isoformat(), len(config.quartiers), len(config.quartiers_2015),
                ", ".join(config.indicateurs),
                "; ".join(f"{k} = {v:g}" for k, v in config.seuils.items()),
                "Une valeur non diffusée a une cellule vide et « secret » dans la colonne secret, jamais 0.",
                "Deux périmètres, jamais mêlés (colonne perimetre) : d'abord le territoire entier (tous ses ménages : "
                "INSEE Filosofi, allocataires CAF sommés aux communes ; par année de données), puis les quartiers de "
                "la commune, de l'EPCI, du département et l'ensemble des QPV de France (somme des numérateurs sur "
                "somme des dénominateurs des quartiers ; par millésime).",
                "ANCT/ONPV, INSEE, France Travail, CNAF, SIRENE ; définitions dans la feuille Dictionnaire.",
            ],
        }
    )  # fmt: skip
    sheets = {
        "Lisez-moi": lisez_moi,
        "Quartiers": _quartiers(config),
        "Quartiers 2015": _quartiers_2015(config),
        "Indicateurs QPV": indicateurs_qpv(con, config),
        "Territoires de référence": references,
        "Évolutions": _evolutions_sheet(evol, dico.set_index("code")),
        "Dictionnaire": dico.map(lambda v: ", ".join(map(str, v)) if isinstance(v, list | tuple) else v)
        if not dico.empty
        else dico,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            keep_text(sheet)  # a QPV name `=HYPERLINK(...)` stays text, never a live formula
            sheet.freeze_panes = "A2"
            for i, column in enumerate(frame.columns, start=1):
                width = max([len(str(column)), *(len(str(v)) for v in frame[column].head(200))] or [10])
                sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
    return path


# -------------------------------------------------------------------------------------------------- home page


def _table(headers: list[str], rows: list[list[str]], raw_first: bool = False) -> str:
    """Cells are escaped, except the first column when `raw_first` (trusted links built with esc())."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{v if raw_first and i == 0 else esc(v)}</td>" for i, v in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def comparaison_ensemble(
    ens: pd.DataFrame,
    config: TerritoireConfig,
    dico: pd.DataFrame,
    annees: dict[str, list[int]],
    per_indicator: int = 2,
) -> str:
    """The whole territories (all their households): one row per territory (the EPCI, its communes, the département,
    France métropolitaine), one column per followed indicator and year of data: the latest `per_indicator` years
    with a value at which the territory's QPV are compared with a whole territory (`annees`, from
    marts.ecarts_qpv; every territory does not have every year)."""
    columns = []
    for code in config.indicateurs:
        mine = ens[(ens["indicateur"] == code) & (ens["valeur"].notna() | ens["secret"].astype(bool))]
        years = [a for a in annees.get(code, []) if (mine["annee_reference"] == a).any()][-per_indicator:]
        columns += [(code, annee, mine[mine["annee_reference"] == annee]) for annee in years]
    if not columns:
        return (
            "<p>Pas de référence du territoire entier dans l'entrepôt pour les indicateurs suivis (fichiers INSEE "
            "Filosofi des territoires et allocataires CAF par IRIS absents, ou indicateurs sans équivalent).</p>"
        )
    territories: list[tuple[str, str | None, str]] = [("epci", config.siren, f"{config.nom} (EPCI)")]
    territories += [("commune", c.code, c.nom) for c in config.communes]
    if config.departement:
        territories.append(
            ("departement", config.departement.code, f"{config.departement.nom} (département)")
        )
    if summary.metropolitain(config):
        territories.append(("france_metropolitaine", None, "France métropolitaine"))
    headers = ["Territoire entier (tous ses ménages)"]
    headers += [
        f"{dico.loc[code, 'libelle'] if code in dico.index else code} (données {annee})"
        for code, annee, _ in columns
    ]
    return _territory_table(headers, territories, [part for _, _, part in columns])


def _territory_table(
    headers: list[str], territories: list[tuple[str, str | None, str]], columns: list[pd.DataFrame]
) -> str:
    """One row per territory (level, code or None for the single one of its level, name), one cell per column's
    value for that territory (empty when it has none)."""
    rows = []
    for kind, territory, name in territories:
        row = [name]
        for part in columns:
            cell = part[part["type_territoire"] == kind]
            if territory is not None:
                cell = cell[cell["code_territoire"] == territory]
            row.append(
                ""
                if cell.empty
                else fr_value(cell.iloc[0]["valeur"], cell.iloc[0]["unite"], bool(cell.iloc[0]["secret"]))
            )
        rows.append(row)
    return f'<div class="defile">{_table(headers, rows)}</div>'


def comparaison(terr: pd.DataFrame, config: TerritoireConfig, dico: pd.DataFrame) -> str:
    """Latest edition of each followed indicator aggregated over the QPV of each reference territory: one row per
    territory (the EPCI, its communes, the département, all QPV of France), one column per indicator."""
    if terr.empty:
        return "<p>Aucun agrégat de territoire pour les indicateurs suivis (indicateurs non additifs).</p>"
    territories: list[tuple[str, str | None, str]] = [("epci", config.siren, f"{config.nom} (EPCI)")]
    territories += [("commune", c.code, c.nom) for c in config.communes]
    if config.departement:
        territories.append(
            ("departement", config.departement.code, f"{config.departement.nom} (département)")
        )
    territories.append(("france", None, "Ensemble des QPV de France"))
    order = {code: i for i, code in enumerate(config.indicateurs)}
    groups = sorted(
        terr.groupby(["indicateur", "geographie"], sort=False),
        key=lambda item: (order.get(item[0][0], len(order)), item[0][1] != "qpv2024"),
    )
    headers, columns = ["Quartiers prioritaires du territoire (ensemble de ses quartiers)"], []
    for (code, geographie), part in groups:
        latest = part["millesime"].max()
        label = dico.loc[code, "libelle"] if code in dico.index else code
        headers.append(f"{label} ({int(latest)}, géo. {'2024' if geographie == 'qpv2024' else '2015'})")
        columns.append(part[part["millesime"] == latest])
    return _territory_table(headers, territories, columns)


def write_home(
    con: duckdb.DuckDBPyConnection,
    config: TerritoireConfig,
    out: Path,
    workbook: Path,
    pdf: Path | None,
    fiches: set[str],
    page: summary.Chrome | None = None,
) -> Path:
    """The bundle's home page, in the site's template (`page`: header and footer, as the summary's)."""
    dico = summary.dictionnaire(con, config.indicateurs).set_index("code")
    terr = summary.territoires(con, config)
    ens = summary.ensembles(con, config)
    annees = summary.annees_comparables(con, config)
    dash = f"{DASHBOARDS}/"

    def fiche(code: str, label: str) -> str:
        return (
            f'<a href="{esc(dash)}fiches/{esc(code)}.html">{esc(label)}</a>' if code in fiches else esc(label)
        )

    quartiers = [
        [
            fiche(q.code, f"{q.nom} ({q.code})"),
            q.commune.nom,
            ", ".join(
                f"{p.nom} ({p.code}{'' if p.part is None else f', {p.part:.0%}'})"
                for p in q.predecesseurs_2015
            )
            or "—",
        ]
        for q in config.quartiers
    ]
    rattaches = {p.code for q in config.quartiers for p in q.predecesseurs_2015}
    autres_2015 = [q for q in config.quartiers_2015 if q.code not in rattaches]
    links = [
        f'<li><a href="{SUMMARY_HTML}">Synthèse : ce qui a bougé depuis le millésime précédent</a>'
        + (f' (<a href="{SUMMARY_PDF}">PDF</a>)' if pdf else "")
        + "</li>",
        f'<li><a href="{esc(workbook.name)}">Classeur Excel des indicateurs</a> (avec le dictionnaire)</li>',
        f'<li><a href="{dash}index.html">Tableaux de bord du territoire</a> : '
        f'<a href="{dash}carte.html">carte</a>, <a href="{dash}comparaison.html">comparaison des quartiers</a>, '
        f'<a href="{dash}fiches/index.html">fiches quartier</a></li>',
    ]
    body = [
        f"<p>EPCI {esc(config.siren)}"
        + (
            f", département {esc(config.departement.nom)} ({esc(config.departement.code)})"
            if config.departement
            else ""
        )
        + f" : {len(config.quartiers)} quartiers prioritaires de la géographie 2024. Paquet produit le "
        f"{dt.date.today().strftime('%d/%m/%Y')} ; les pages fonctionnent hors ligne.</p>",
        f"<ul>{''.join(links)}</ul>",
        "<h2>Comparaison avec les territoires de référence</h2>",
        '<p class="note">Deux références, jamais mêlées. D\'abord les territoires entiers : tous les ménages de '
        "l'EPCI, de chacune de ses communes, du département et de la France métropolitaine (INSEE Filosofi, "
        "allocataires CAF sommés aux communes), à la dernière année de données où les quartiers du territoire leur "
        "sont comparés (« données 2017 »). Ensuite l'ensemble des quartiers prioritaires de ces territoires (somme "
        "des numérateurs sur somme des dénominateurs), au dernier millésime. « secret » : valeur non diffusée ; "
        "case vide : pas de valeur (indicateur non disponible pour ce territoire ou cette année).</p>",
        "<h3>1. Territoires entiers</h3>",
        comparaison_ensemble(ens, config, dico, annees),
        "<h3>2. Quartiers prioritaires de ces territoires</h3>",
        comparaison(terr, config, dico),
        "<h2>Quartiers prioritaires (géographie 2024)</h2>",
        '<p class="note">Prédécesseurs de la géographie 2015 : table de passage pondérée par les établissements '
        "SIRENE (part des établissements du quartier 2024 situés dans le quartier 2015), une approximation.</p>",
        _table(["Quartier", "Commune", "Prédécesseurs 2015"], quartiers, raw_first=True),
    ]
    sans_fiche = [q for q in config.quartiers if q.code not in fiches]
    if sans_fiche:
        body.append(
            f"<p>{len(sans_fiche)} quartier{'s' if len(sans_fiche) > 1 else ''} de la géographie 2024 sans "
            "indicateur dans l'entrepôt n'ont pas de fiche (sources de la géographie 2024 absentes : DEFM, SIRENE) ; "
            "ils figurent sur la carte, et les indicateurs de la géographie 2015 se lisent sur les fiches des "
            "quartiers 2015 ci-dessous.</p>"
        )
    if autres_2015:
        body += [
            "<h2>Autres quartiers de la géographie 2015 rattachés à l'EPCI</h2>",
            _table(
                ["Quartier", "Commune"],
                [
                    [fiche(q.code, f"{q.nom} ({q.code})"), q.commune.nom if q.commune else ""]
                    for q in autres_2015
                ],
                raw_first=True,
            ),
        ]
    return summary.write_page(
        out / "index.html",
        page if page is not None else summary.chrome(con, config),
        f"Observatoire des quartiers prioritaires — {config.nom}",
        "\n".join(body),
    )


# ------------------------------------------------------------------------------------------------------ build


def build(
    config_path: str | Path,
    warehouse: str | Path,
    out: str | Path,
    pdf: bool | None = None,
    png: bool | None = None,
    fiches: bool = True,
) -> Bundle:
    """Write the bundle into `out`. `pdf=None`: PDF when Chromium is found (a note otherwise); `pdf=True`: raise
    PdfRequiredError after writing everything else when it cannot be produced; `pdf=False`: HTML only."""
    from dashboards.render import render_all
    from pipelines.warehouse.connection import connection

    config_path, out = Path(config_path), Path(out)
    config = load(config_path)
    with connection(warehouse, read_only=True) as con:
        check_against_warehouse(con, config)
    out.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    dashboards = out / DASHBOARDS
    written = render_all(warehouse, dashboards, territoire=config.codes, png=png, notes=notes, fiches=fiches)
    fiche_codes = {p.stem for p in written if p.parent.name == "fiches" and p.stem != "index"}
    workbook = out / f"{config.slug}_indicateurs.xlsx"
    pdf_path = out / SUMMARY_PDF
    if pdf_path.exists():
        pdf_path.unlink()  # never leave a PDF of a previous build beside a new summary
    # the site's stylesheet beside the bundle's own pages (home, summary): the same file as the dashboards', so
    # that they look like the site's pages and the summary's PDF is printed with its A4 print rules
    stylesheet = out / STYLESHEET
    stylesheet.write_text(CSS.lstrip(), encoding="utf-8")
    nav = (
        ("index.html", "Accueil du territoire"),
        (SUMMARY_HTML, "Synthèse"),
        (f"{DASHBOARDS}/index.html", "Tableaux de bord"),
        (f"{DASHBOARDS}/carte.html", "Carte"),
        *(
            [(f"{DASHBOARDS}/fiches/index.html", "Fiches quartier")]
            if (dashboards / "fiches" / "index.html").exists()
            else []
        ),
    )
    with connection(warehouse, read_only=True) as con:
        page = summary.chrome(con, config, nav)
        content = summary.contenu(con, config)
        write_workbook(con, config, workbook, content["frame"])
        summary_html = summary.render(
            con,
            config,
            out / SUMMARY_HTML,
            {
                "accueil du territoire": "index.html",
                "classeur Excel": workbook.name,
                "fiches quartier": f"{DASHBOARDS}/fiches/index.html",
                "carte": f"{DASHBOARDS}/carte.html",
            },
            content,
            page,
        )
        produced_pdf: Path | None = None
        failure: str | None = None
        if pdf is not False:
            try:
                produced_pdf = summary.print_pdf(summary_html, pdf_path)
            except (summary.PdfError, OSError) as exc:
                failure = str(exc)
                notes.append(failure)
        index = write_home(con, config, out, workbook, produced_pdf, fiche_codes, page)
    copy = out / f"{config.slug}.yaml"
    if copy.resolve() != config_path.resolve():
        shutil.copyfile(config_path, copy)
    bundle = Bundle(out, index, summary_html, workbook, dashboards, produced_pdf, notes)
    bundle.files = [
        index,
        summary_html,
        *([produced_pdf] if produced_pdf else []),
        stylesheet,
        workbook,
        *written,
    ]
    if pdf is True and produced_pdf is None:
        raise PdfRequiredError(failure or "PDF non produit")
    return bundle
