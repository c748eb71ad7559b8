"""Comparaison: the QPV of the territory ranked on an indicator, poverty vs unemployment, gap to the whole commune
(same year of data) then gap to the QPV of the commune (two charts: the perimeters of reference are never mixed)."""

from __future__ import annotations

import pandas as pd

from dashboards import figures_comparaison as fc
from dashboards import queries_fiche as q
from dashboards.figures_comparaison import GEOGRAPHIE_COURTE
from dashboards.figures_fiche import editions_label, fr_value
from dashboards.site import Page, SiteContext, esc, figure_block, table, write_page

ORDER = 40


def _sources_table(dico: pd.DataFrame, codes: list[str], data: pd.DataFrame) -> str:
    """Per indicator: source, and each edition with the year of its data (marts.indicateurs_qpv.annee_reference,
    by geography); the dictionary's text (marts.ref_indicateurs) only where no row has a year."""
    rows = []
    for code in codes:
        mine = data[data["indicateur"] == code]
        if mine.empty:
            continue
        editions = "; ".join(
            f"{GEOGRAPHIE_COURTE.get(g, g)} : {editions_label(part)}"
            for g, part in mine.groupby("geographie", sort=True)
        )
        has_years = "annee_reference" in mine and mine["annee_reference"].notna().any()
        rows.append(
            [
                dico.loc[code, "libelle"],
                dico.loc[code, "unite"],
                dico.loc[code, "source"],
                editions,
                "voir les millésimes" if has_years else dico.loc[code, "annee_reference"],
            ]
        )
    return table(
        ["Indicateur", "Unité", "Source", "Millésimes (année des données)", "Année de référence"], rows
    )


def _scatter_editions(rows: pd.DataFrame, scatter: pd.DataFrame, dico: pd.DataFrame) -> str:
    """The editions of the poverty × unemployment chart, each axis with the year of its data."""
    parts = []
    for code in ("taux_pauvrete_60", "indicateur_chomage_abc"):
        mine = rows[
            (rows["geographie"] == "qpv2015")
            & (rows["indicateur"] == code)
            & rows["millesime"].isin(scatter["millesime"].unique())
        ]
        if not mine.empty:
            libelle = dico.loc[code, "libelle"] if code in dico.index else code
            parts.append(f"{libelle} : millésimes {editions_label(mine)}")
    return " ; ".join(parts) or "Millésimes : —"


def render(ctx: SiteContext) -> list[Page]:
    con = ctx.con
    dico = q.dictionnaire(con).set_index("code")
    codes = [c for c in q.COMPARAISON if c in dico.index]
    rows = q.indicateurs_qpv(con, [*codes, "population"])
    ensemble_codes = [*codes, *(c for c in q.COMPARAISON_ENSEMBLE if c in dico.index and c not in codes)]
    ecarts = q.ecarts(con, ensemble_codes)
    if ctx.territoire is not None:
        rows = rows[rows["code_qp"].isin(ctx.territoire)]
        ecarts = ecarts[ecarts["code_qp"].isin(ctx.territoire)]
    ecarts = ecarts[ecarts["type_reference"] == "commune"]
    # two references of the commune, never mixed: the whole commune (same year of data), then its QPV
    ecarts_ensemble = ecarts[ecarts["perimetre_reference"] == "ensemble"]
    ecarts = ecarts[(ecarts["perimetre_reference"] == "qpv") & ecarts["indicateur"].isin(codes)]
    ranked = rows[rows["indicateur"].isin(codes)]
    page = Page(
        "comparaison.html",
        "Comparaison des quartiers",
        f"Les {ranked['code_qp'].nunique()} quartiers classés sur un indicateur, pauvreté et chômage, écart à "
        "l'ensemble de la commune puis aux quartiers prioritaires de la commune.",
    )
    sources = "; ".join(dict.fromkeys(str(dico.loc[c, "source"]) for c in codes))
    body = [
        f"<p>{esc(page.summary)} Choisir l'indicateur, la géographie et le millésime dans le menu de chaque "
        "graphique. Une valeur non diffusée (secret statistique) n'est pas dessinée : elle est comptée dans le "
        "titre et figure comme « secret » dans les données (CSV).</p>",
        "<h2>Classement des quartiers sur un indicateur</h2>",
    ]
    export = ranked.assign(
        libelle=ranked["indicateur"].map(dico["libelle"]),
        valeur_affichee=[
            fr_value(v, u, bool(s)) for v, u, s in zip(ranked["valeur"], ranked["unite"], ranked["secret"], strict=True)
        ],
    )[["code_qp", "lib_qp", "geographie", "millesime", "annee_reference", "indicateur", "libelle", "unite", "valeur",
       "secret", "valeur_affichee"]]  # fmt: skip
    body.append(
        figure_block(
            ctx,
            page,
            fc.classement(ranked, dico, codes),
            "classement",
            export,
            "comparaison_classement",
            f"Sources : {sources}. Millésimes et années de référence par indicateur : tableau ci-dessous.",
        )
    )
    body.append(_sources_table(dico, codes, ranked))

    body.append("<h2>Pauvreté et chômage (géographie 2015)</h2>")
    # pivot, not pivot_table(dropna=False): the latter builds every code × name × edition combination (15 s on the
    # real extracts) before the filter below drops them
    wide = (
        rows[(rows["geographie"] == "qpv2015")]
        .drop_duplicates(["code_qp", "lib_qp", "millesime", "indicateur"])
        .pivot(index=["code_qp", "lib_qp", "millesime"], columns="indicateur", values="valeur")
        .reset_index()
    )
    for column in ("taux_pauvrete_60", "indicateur_chomage_abc", "population"):
        if column not in wide:
            wide[column] = float("nan")
    wide = wide[wide["taux_pauvrete_60"].notna() | wide["indicateur_chomage_abc"].notna()]
    scatter = wide[
        ["code_qp", "lib_qp", "millesime", "taux_pauvrete_60", "indicateur_chomage_abc", "population"]
    ]
    scatter_codes = [
        c for c in ("taux_pauvrete_60", "indicateur_chomage_abc", "population") if c in dico.index
    ]
    body.append(
        figure_block(
            ctx,
            page,
            fc.pauvrete_chomage(scatter),
            "pauvrete-chomage",
            scatter,
            "comparaison_pauvrete_chomage",
            f"Sources : {'; '.join(dict.fromkeys(str(dico.loc[c, 'source']) for c in scatter_codes))}. "
            + _scatter_editions(rows, scatter, dico),
        )
    )
    body.append(
        '<p class="note">Chaque bulle est un quartier, d\'aire proportionnelle à sa population municipale. '
        "L'indicateur de chômage rapporte les demandeurs d'emploi à une population de 15 à 64 ans estimée : ce "
        "n'est pas un taux de chômage.</p>"
    )

    columns = ["code_qp", "lib_qp", "geographie", "millesime", "annee_reference", "indicateur", "unite", "valeur",
               "secret", "perimetre_reference", "lib_perimetre_reference", "code_reference", "lib_reference",
               "valeur_reference", "secret_reference", "ecart", "unite_ecart", "rapport"]  # fmt: skip
    body.append("<h2>Écart de chaque quartier à l'ensemble de sa commune</h2>")
    if ecarts_ensemble.empty:
        body.append(
            '<p class="note">Pas de référence de la commune entière dans l\'entrepôt pour ces indicateurs (fichiers '
            "INSEE Filosofi des communes et allocataires CAF par IRIS absents) : seul l'écart aux quartiers "
            "prioritaires de la commune est montré ci-dessous.</p>"
        )
    else:
        ensemble_sources = "; ".join(
            dict.fromkeys(str(dico.loc[c, "source"]) for c in ecarts_ensemble["indicateur"].unique())
        )
        body.append(
            '<p class="note">Référence : la commune entière, tous ses ménages (INSEE Filosofi des communes, '
            "allocataires CAF par IRIS sommés à la commune), pour la même année de données que le quartier "
            "(« données 2017 » dans le titre). Écart en points pour un pourcentage, en euros pour un revenu.</p>"
        )
        body.append(
            figure_block(
                ctx,
                page,
                fc.ecarts_commune(ecarts_ensemble, dico, ensemble_codes, perimetre="ensemble"),
                "ecarts-ensemble-commune",
                ecarts_ensemble[columns],
                "comparaison_ecarts_ensemble_commune",
                f"Sources : {ensemble_sources} ; références de la commune entière : INSEE Filosofi, CNAF. "
                "Millésime et année des données dans le titre de chaque graphique.",
            )
        )
    body.append("<h2>Écart de chaque quartier aux quartiers prioritaires de sa commune</h2>")
    body.append(
        '<p class="note">Référence : l\'ensemble des quartiers prioritaires de la commune (somme des numérateurs '
        "sur somme des dénominateurs, le quartier compris), pas la commune entière. Un quartier seul dans sa "
        "commune n'a pas cet écart (il serait comparé à lui-même). Écart en points pour un pourcentage.</p>"
    )
    body.append(
        figure_block(
            ctx,
            page,
            fc.ecarts_commune(ecarts, dico, codes, perimetre="qpv"),
            "ecarts-commune",
            ecarts[columns],
            "comparaison_ecarts_commune",
            f"Sources : {sources}. Millésimes et années de référence par indicateur : tableau du classement.",
        )
    )
    write_page(ctx, page, "\n".join(body), sources)
    return [page]
