"""Économie sociale et solidaire: national and territory views of the ESS establishments and jobs located in the
QPV (central value with the low/high range of the size bands), in the 2024 and the 2015 geography, the share of
ESS jobs, the breakdown by ESS family and NAF section (secret cells labelled "secret", never 0) and the method
notes taken from the dictionary (ESS perimeter, size bands, random points excluded)."""

from __future__ import annotations

import pandas as pd

from dashboards import figures_themes as ft
from dashboards import queries_themes as qt
from dashboards.site import Page, SiteContext, esc, figure_block, relative_root, table, write_csv, write_page

ORDER = 60
FILE = "ess.html"
GEOGRAPHIES = (("qpv2024", "QPV 2024"), ("qpv2015", "QPV 2015"))
MAX_LIGNES_DETAIL = 400  # above, the detail per QPV × family × section is offered as CSV only
NOTES = ("etablissements_ess", "emplois_ess", "part_emplois_ess", "etablissements_actifs")


def selection(ctx: SiteContext) -> set[str] | None:
    """The QPV of the territory in both geographies (codes given, plus their match in the passage mart)."""
    if ctx.territoire is None:
        return None
    codes = set(ctx.territoire)
    passage = qt.passage(ctx.con)
    return (
        codes
        | set(passage.loc[passage["code_qp2024"].isin(codes), "code_qp2015"])
        | set(passage.loc[passage["code_qp2015"].isin(codes), "code_qp2024"])
    )


def _source(ref: pd.Series, millesime: int, annee: object) -> str:
    ligne = f"{ref['libelle']}. Source : {ref['source']}. Millésime {millesime} (stock SIRENE)"
    if annee is not None and not pd.isna(annee):
        ligne += f", données {int(annee)}"
    return f"{ligne}. {ref['annee_reference']}"


def _france(territoires: pd.DataFrame) -> pd.DataFrame:
    return territoires[territoires["type_territoire"] == "france"].set_index(
        ["geographie", "millesime", "indicateur"]
    )


def _table_france(territoires: pd.DataFrame, data: pd.DataFrame) -> str:
    france = _france(territoires)
    rows = []
    for geographie, libelle in GEOGRAPHIES:
        part = data[data["geographie"] == geographie]
        for millesime in sorted(part["millesime"].unique()):
            annee = part[part["millesime"] == millesime]

            def valeur(code: str, unite: str, key=(geographie, millesime)) -> str:
                index = (*key, code)
                return ft.valeur_fr(france.loc[index, "valeur"], unite) if index in france.index else "—"

            rows.append(
                [
                    libelle,
                    int(millesime),
                    len(annee),
                    valeur("etablissements_ess", "établissements"),
                    valeur("emplois_ess", "emplois") + " (estimation, valeur centrale)",
                    valeur("part_emplois_ess", "%") + " (estimation)",
                    int(annee["etablissements_ess"].isna().sum()),
                ]
            )
    return table(
        [
            "Géographie",
            "Millésime SIRENE",
            "Quartiers",
            "Établissements ESS",
            "Emplois ESS",
            "Part de l'ESS dans l'emploi salarié privé",
            "Quartiers au nombre d'établissements secret",
        ],
        rows,
    )


def _table_qpv(data: pd.DataFrame) -> str:
    rows = [
        [
            r.lib_qp,
            r.code_qp,
            "QPV 2024" if r.geographie == "qpv2024" else "QPV 2015",
            int(r.millesime),
            ft.valeur_fr(r.etablissements_ess, "nombre"),
            ft.valeur_fr(r.emplois_ess, "emplois", 1)
            + (
                ""
                if pd.isna(r.emplois_ess)
                else f" ({ft.fourchette_fr(r.emplois_ess_borne_basse, r.emplois_ess_borne_haute)})"
            ),
            ft.valeur_fr(r.part_emplois_ess, "%")
            + (
                ""
                if pd.isna(r.part_emplois_ess)
                else f" ({ft.fourchette_fr(r.part_emplois_ess_borne_basse, r.part_emplois_ess_borne_haute, '%')})"
            ),
        ]
        for r in data.sort_values(
            ["geographie", "code_qp", "millesime"], ascending=[False, True, True]
        ).itertuples(index=False)
    ]
    return table(
        [
            "Quartier",
            "Code",
            "Géographie",
            "Millésime",
            "Établissements ESS",
            "Emplois ESS, estimation (fourchette des tranches)",
            "Part de l'ESS dans l'emploi salarié privé (fourchette)",
        ],
        rows,
    )


def _table_detail(detail: pd.DataFrame) -> str:
    rows = [
        [
            r.lib_qp,
            r.code_qp,
            "QPV 2024" if r.geographie == "qpv2024" else "QPV 2015",
            r.libelle_famille,
            f"{r.section_naf} – {r.libelle_section}",
            ft.SECRET if r.secret else ft.valeur_fr(r.etablissements_ess, "nombre"),
            ft.SECRET
            if r.secret
            else f"{ft.valeur_fr(r.emplois_ess_central, None, 1)} ({ft.fourchette_fr(r.emplois_ess_bas, r.emplois_ess_haut)})",
        ]
        for r in detail.itertuples(index=False)
    ]
    return table(
        [
            "Quartier",
            "Code",
            "Géographie",
            "Famille ESS",
            "Section NAF",
            "Établissements ESS",
            "Emplois ESS (fourchette)",
        ],
        rows,
    )


def _notes(dico: pd.DataFrame) -> str:
    blocs = [
        "<ul>"
        "<li><strong>Périmètre de l'ESS</strong> (loi 2014-856) : associations, fondations, mutuelles, coopératives "
        "et entreprises commerciales de l'ESS, reconnues par la catégorie juridique de l'unité légale (hors "
        "activités NAF exclues) ou par l'indicateur ESS de SIRENE.</li>"
        "<li><strong>Emplois par tranches</strong> : SIRENE ne publie que la tranche d'effectifs salariés de chaque "
        "établissement ; la valeur centrale est le milieu de la tranche, la fourchette la somme des limites des "
        "tranches. Ce sont des estimations.</li>"
        "<li><strong>Points aléatoires exclus</strong> : les établissements géolocalisés par un point aléatoire dans "
        "la commune (<code>qualite_xy = 33</code>) ne sont pas localisés dans un quartier et sont comptés à "
        "part.</li>"
        "<li><strong>Secret statistique</strong> : un effectif inférieur au seuil est publié « secret », jamais "
        "0 ; une cellule famille × section sous le seuil aussi, et une seconde cellule du quartier est masquée "
        "quand une seule l'est.</li>"
        "</ul>"
    ]
    for code in NOTES:
        if code not in dico.index:
            continue
        ref = dico.loc[code]
        blocs.append(
            f"<h3>{esc(ref['libelle'])} <small>(<code>{esc(code)}</code>, {esc(ref['unite'])})</small></h3>"
            f"<p><strong>Définition.</strong> {esc(ref['definition'])}</p>"
            f"<p><strong>Formule.</strong> {esc(ref['formule'])}</p>"
            f'<p class="note"><strong>Précautions.</strong> {esc(ref["precautions"])}</p>'
            f"<p><strong>Secret.</strong> {esc(ref['regle_secret'])}</p>"
        )
    return "\n".join(blocs)


def _vue(
    ctx: SiteContext,
    page: Page,
    data: pd.DataFrame,
    detail: pd.DataFrame,
    territoires: pd.DataFrame,
    dico: pd.DataFrame,
    suffixe: str,
) -> list[str]:
    """The charts of one view (national or territory), per geography, latest SIRENE edition."""
    france = _france(territoires)
    body: list[str] = []
    for geographie, libelle in GEOGRAPHIES:
        part = data[data["geographie"] == geographie]
        if part.empty:
            continue
        latest = int(part["millesime"].max())
        annee = part[part["millesime"] == latest]
        annee_ref = (
            annee["annee_reference"].dropna().iloc[0] if annee["annee_reference"].notna().any() else None
        )
        body.append(f"<h3>{esc(libelle)}, stock SIRENE {latest}</h3>")
        fig = ft.classement_fourchette(
            annee,
            "emplois_ess",
            "emplois_ess_borne_basse",
            "emplois_ess_borne_haute",
            f"Emplois ESS estimés par quartier ({libelle}, SIRENE {latest}), fourchette des tranches d'effectifs",
            "Emplois salariés ESS (estimation : valeur centrale et fourchette)",
            "emplois",
            barres=True,
        )
        body.append(
            figure_block(
                ctx,
                page,
                fig,
                f"emplois-{suffixe}-{geographie}",
                annee.drop(columns=["part_emplois_ess_borne_basse", "part_emplois_ess_borne_haute"]),
                f"ess_emplois_{suffixe}_{geographie}_{latest}",
                _source(dico.loc["emplois_ess"], latest, annee_ref),
            )
        )
        key = (geographie, latest, "part_emplois_ess")
        reference = france.loc[key, "valeur"] if key in france.index else None
        fig = ft.classement_fourchette(
            annee,
            "part_emplois_ess",
            "part_emplois_ess_borne_basse",
            "part_emplois_ess_borne_haute",
            f"Part de l'ESS dans l'emploi salarié privé ({libelle}, SIRENE {latest})",
            "Part des emplois ESS (% de l'emploi salarié privé, estimation et fourchette)",
            "%",
            reference=reference,
            libelle_reference="Ensemble des QPV",
        )
        body.append(
            figure_block(
                ctx,
                page,
                fig,
                f"part-{suffixe}-{geographie}",
                annee[
                    [
                        "code_qp",
                        "lib_qp",
                        "millesime",
                        "annee_reference",
                        "emplois_ess",
                        "emplois_salaries_prives",
                        "part_emplois_ess",
                        "part_emplois_ess_borne_basse",
                        "part_emplois_ess_borne_haute",
                    ]
                ],
                f"ess_part_emplois_{suffixe}_{geographie}_{latest}",
                _source(dico.loc["part_emplois_ess"], latest, annee_ref),
            )
        )
        cellules = detail[(detail["geographie"] == geographie) & (detail["millesime"] == latest)]
        fig = ft.familles_sections(cellules, libelle, latest)
        body.append(
            figure_block(
                ctx,
                page,
                fig,
                f"familles-{suffixe}-{geographie}",
                cellules.drop(columns=["geographie"]),
                f"ess_familles_sections_{suffixe}_{geographie}_{latest}",
                _source(dico.loc["emplois_ess"], latest, annee_ref)
                + " Détail par famille ESS et section NAF (table ess_qpv_detail), secret appliqué.",
            )
        )
    return body


def render(ctx: SiteContext) -> list[Page]:
    con = ctx.con
    dico = qt.dictionnaire(con, "ess").set_index("code")
    data = qt.ess_qpv(con)
    detail = qt.ess_detail(con)
    territoires = qt.territoires(con, qt.INDICATEURS_ESS)
    codes = selection(ctx)
    locale = data if codes is None else data[data["code_qp"].isin(codes)]
    detail_local = detail if codes is None else detail[detail["code_qp"].isin(codes)]
    millesimes = sorted(int(m) for m in data["millesime"].unique())
    nb_qpv = data.groupby("geographie")["code_qp"].nunique().to_dict()
    page = Page(
        FILE,
        "Économie sociale et solidaire dans les quartiers",
        "Établissements et emplois de l'ESS localisés dans les quartiers "
        f"({nb_qpv.get('qpv2024', 0)} QPV 2024, {nb_qpv.get('qpv2015', 0)} QPV 2015), stock SIRENE {', '.join(str(m) for m in millesimes) or 'non chargé'} ; emplois estimés "
        "par tranches d'effectifs, avec fourchette.",
    )
    body = [
        f"<p>{esc(page.summary)}</p>",
        '<p class="note">Les emplois sont des <strong>estimations</strong> (SIRENE ne publie que des tranches '
        "d'effectifs) : chaque valeur est donnée avec sa fourchette. Une valeur « secret » n'est pas diffusée "
        '(secret statistique), ce n\'est jamais 0. Voir les <a href="#methode">notes de méthode</a>.</p>',
        "<h2>Vue nationale : ensemble des quartiers</h2>",
        _table_france(territoires, data),
    ]
    if data.empty:
        body.append("<p>Aucune donnée SIRENE n'est chargée dans l'entrepôt.</p>")
    body += _vue(ctx, page, data, detail, territoires, dico, "national")
    if codes is not None:
        body.append(f"<h2>Vue territoire : {locale['code_qp'].nunique()} quartier(s) sélectionné(s)</h2>")
        body += _vue(ctx, page, locale, detail_local, territoires, dico, "territoire")
    else:
        body.append("<h2>Vue territoire : tous les quartiers</h2>")
    body.append("<h3>Indicateurs ESS par quartier</h3>")
    body.append(_table_qpv(locale))
    body.append("<h3>Détail par famille ESS et section NAF</h3>")
    if len(detail_local) <= MAX_LIGNES_DETAIL:
        body.append(_table_detail(detail_local))
    else:
        body.append(
            f"<p>{len(detail_local)} cellules : le détail est dans le fichier CSV ci-dessous "
            "(les cellules secrètes y ont des valeurs vides et <code>secret = True</code>).</p>"
        )
    csv = write_csv(ctx, detail_local, "ess_detail_familles_sections")
    body.append(
        f'<p class="telechargements"><a href="{esc(relative_root(page.file) + csv)}" download>détail '
        "par quartier, famille ESS et section NAF (CSV)</a></p>"
    )
    body.append('<h2 id="methode">Notes de méthode</h2>')
    body.append(_notes(dico))
    sources = "; ".join(sorted(set(dico["source"].dropna()))) or "INSEE, répertoire SIRENE"
    write_page(ctx, page, "\n".join(body), sources)
    return [page]
