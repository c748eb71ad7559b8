"""Insertion, démographie et revenus: one chart per group of indicators (issue 25), for the latest edition that has
the group's values: the distribution across QPV of the education levels of the job seekers, of the age and
nationality shares (census) and family structure (CAF), and of the disposable income deciles, each with the
all-QPV aggregate or whole France métropolitaine where the warehouse has it. Secret values are never drawn (they
are counted in the row labels)."""

from __future__ import annotations

import pandas as pd

from dashboards import figures_themes as ft
from dashboards import queries_fiche as qf
from dashboards import queries_themes as qt
from dashboards.figures_fiche import fr_years
from dashboards.site import Page, SiteContext, esc, figure_block, write_page

ORDER = 35
FILE = "insertion_demographie_revenus.html"
TITLE = "Insertion, démographie et revenus"

# (key, title, rows (indicator, label), axis title, unit, reference kind)
GROUPES = (
    (
        "insertion",
        "Insertion : niveau de formation des demandeurs d'emploi",
        (
            ("part_demandeurs_infra_cap_bep", "Inférieur au CAP-BEP"),
            ("part_demandeurs_cap_bep", "CAP-BEP"),
            ("part_demandeurs_bac", "Baccalauréat"),
            ("part_demandeurs_superieur_bac", "Supérieur au baccalauréat"),
        ),
        "Part des demandeurs d'emploi A, B, C du quartier (%)",
        "%",
    ),
    (
        "demographie",
        "Démographie : âge, nationalité et familles",
        (
            ("part_0_24_ans", "Moins de 25 ans (recensement)"),
            ("part_60_ans_plus", "60 ans ou plus (recensement)"),
            ("part_etrangers", "Étrangers (recensement)"),
            ("part_allocataires_monoparents", "Allocataires CAF : familles monoparentales"),
            ("part_allocataires_3_enfants_plus", "Allocataires CAF : 3 enfants ou plus"),
        ),
        "Part (%) : des habitants (recensement) ou des foyers allocataires (CAF)",
        "%",
    ),
    (
        "revenus",
        "Distribution des revenus : revenu disponible par unité de consommation",
        (
            ("revenu_d1_uc", "1er décile (D1)"),
            ("revenu_median_uc", "Médiane"),
            ("revenu_d9_uc", "9e décile (D9)"),
        ),
        "Revenu disponible par unité de consommation (€ par an)",
        "€",
    ),
)
NOTES = {
    "insertion": "Chaque boîte résume les quartiers prioritaires (géographie 2015) : la part des demandeurs d'emploi "
    "de catégories A, B, C de chaque niveau de formation. Losange : l'ensemble des quartiers prioritaires (somme des "
    "demandeurs sur somme des demandeurs), même millésime.",
    "demographie": "Parts du recensement (habitants) et des allocataires CAF (foyers), chaque quartier une valeur. "
    "Losange : l'ensemble des quartiers prioritaires, pour les parts d'allocataires CAF seulement (les parts du "
    "recensement sont publiées par quartier, sans agrégat national dans l'entrepôt).",
    "revenus": "1er décile, médiane et 9e décile du revenu disponible par unité de consommation de chaque quartier "
    "(INSEE Filosofi). Losange : la France métropolitaine entière (tous ses ménages), même année de données.",
}


def _selection(ctx: SiteContext) -> set[str] | None:
    """The 2015 QPV of the territory: codes given directly, or matched to a given 2024 code by the passage mart."""
    if ctx.territoire is None:
        return None
    codes = set(ctx.territoire)
    passage = qt.passage(ctx.con)
    return codes | set(passage.loc[passage["code_qp2024"].isin(codes), "code_qp2015"])


def latest_edition(data: pd.DataFrame) -> tuple[str, int] | None:
    """The geography and latest edition where the indicators have a published value (the 2015 geography first: the
    ANCT files of these indicators)."""
    published = data[data["valeur"].notna() & ~data["secret"].fillna(False).astype(bool)]
    if published.empty:
        return None
    geographie = (
        "qpv2015" if (published["geographie"] == "qpv2015").any() else str(published["geographie"].iloc[0])
    )
    return geographie, int(published.loc[published["geographie"] == geographie, "millesime"].max())


def _references(
    key: str, codes: list[str], geographie: str, millesime: int, edition: pd.DataFrame, france, metropole
) -> list[tuple[str, float, str]]:
    if key == "revenus":
        annees = {c: edition.loc[edition["indicateur"] == c, "annee_reference"].dropna() for c in codes}
        refs = []
        for code in codes:
            years = sorted({int(a) for a in annees[code]})
            if len(years) != 1:
                continue  # a whole territory is compared at the same year of data only
            row = metropole[(metropole["indicateur"] == code) & (metropole["annee_reference"] == years[0])]
            if not row.empty and not bool(row["secret"].iloc[0]) and pd.notna(row["valeur"].iloc[0]):
                refs.append(
                    (code, float(row["valeur"].iloc[0]), f"France métropolitaine (données {years[0]})")
                )
        return refs
    rows = france[
        (france["geographie"] == geographie)
        & (france["millesime"] == millesime)
        & france["indicateur"].isin(codes)
    ]
    return [
        (r.indicateur, float(r.valeur), f"Ensemble des quartiers prioritaires (millésime {millesime})")
        for r in rows.itertuples(index=False)
        if not bool(r.secret) and pd.notna(r.valeur)
    ]


def _caption(dico: pd.DataFrame, edition: pd.DataFrame, codes: list[str], millesime: int) -> str:
    """Source of each producer with the year(s) of its data: « données 2017 »."""
    years: dict[str, set[int]] = {}
    for code in codes:
        if code not in dico.index:
            continue
        annees = {int(a) for a in edition.loc[edition["indicateur"] == code, "annee_reference"].dropna()}
        for part in str(dico.loc[code, "source"]).split(" ; "):
            years.setdefault(part.strip(), set()).update(annees)
    text = " ; ".join(f"{s} (données {fr_years(list(y))})" if y else s for s, y in years.items())
    return f"Source : {text}. Millésime {millesime} (publication ANCT/ONPV)"


def render(ctx: SiteContext) -> list[Page]:
    con = ctx.con
    dico = qf.dictionnaire(con).set_index("code")
    codes = [c for g in GROUPES for c, _ in g[2] if c in dico.index]
    if not codes:
        return []
    data = qt.indicateurs_qpv(con, codes)
    selected = _selection(ctx)
    if selected is not None:
        data = data[data["code_qp"].isin(selected)]
    france = qt.france_qpv(con, codes)
    metropole = qt.france_metropolitaine(con, codes)
    page = Page(
        FILE,
        TITLE,
        "Niveau de formation des demandeurs d'emploi, âge, nationalité et familles, distribution des revenus : "
        "la dispersion des quartiers prioritaires au dernier millésime publié.",
    )
    body = [
        f"<p>{esc(page.summary)}</p>",
        '<p class="note">Une valeur non diffusée (secret statistique) n\'est jamais dessinée : le nombre de quartiers '
        "secrets est indiqué dans le libellé de chaque ligne. Les fiches quartier donnent ces indicateurs quartier "
        "par quartier.</p>",
    ]
    for key, titre, lignes, axe, unite in GROUPES:
        group_codes = [c for c, _ in lignes if c in dico.index]
        body.append(f"<h2>{esc(titre)}</h2>")
        part = data[data["indicateur"].isin(group_codes)]
        found = latest_edition(part)
        if found is None:
            body.append("<p>Aucune valeur publiée dans l'entrepôt pour ces indicateurs.</p>")
            continue
        geographie, millesime = found
        edition = part[(part["geographie"] == geographie) & (part["millesime"] == millesime)]
        references = _references(key, group_codes, geographie, millesime, edition, france, metropole)
        fig = ft.distribution_groupe(
            edition,
            [(c, label) for c, label in lignes if c in dico.index],
            f"{titre} : les quartiers prioritaires (millésime {millesime})",
            axe,
            unite,
            references,
        )
        body.append(f'<p class="note">{esc(NOTES[key])}</p>')
        columns = ["code_qp", "lib_qp", "indicateur", "millesime", "annee_reference", "valeur", "secret"]
        csv = edition[columns]
        if references:  # the reference values, named in lib_qp
            rows = [(None, name, code, millesime, None, valeur, False) for code, valeur, name in references]
            csv = pd.concat([csv, pd.DataFrame(rows, columns=columns)], ignore_index=True)
        body.append(
            figure_block(
                ctx,
                page,
                fig,
                f"distribution-{key}",
                csv,
                f"insertion_demographie_revenus_{key}_{millesime}",
                _caption(dico, edition, group_codes, millesime),
            )
        )
    write_page(
        ctx,
        page,
        "\n".join(body),
        "ANCT/ONPV (fichiers IPRO, DEMO, REVN), France Travail, INSEE (recensement, Filosofi), CNAF",
    )
    return [page]
