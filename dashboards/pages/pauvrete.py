"""Pauvreté et revenus: distribution, ranking and poverty vs income of the QPV (2015 geography, ANCT files)."""

from __future__ import annotations

from dashboards import figures, queries
from dashboards.figures_fiche import edition_label
from dashboards.site import Page, SiteContext, esc, figure_div, table, write_page

ORDER = 30


def render(ctx: SiteContext) -> list[Page]:
    con = ctx.con
    data = queries.pauvrete_par_qpv(con)
    if ctx.territoire is not None:
        data = data[data["code_qp"].isin(ctx.territoire)]
    dico = queries.dictionnaire(con).set_index("code")
    cover = queries.couverture(con)
    cover = cover[cover["indicateur"] == "taux_pauvrete_60"]
    page = Page(
        "pauvrete.html",
        "Pauvreté et revenus des quartiers",
        f"Taux de pauvreté et revenu médian de {data['code_qp'].nunique()} quartiers, "
        f"millésimes {', '.join(str(m) for m in sorted(data['millesime'].unique()))}.",
    )
    body = [
        f"<p>{esc(page.summary)}</p>",
        f'<p class="note">{esc(dico.loc["taux_pauvrete_60", "definition"])} '
        f"{esc(dico.loc['taux_pauvrete_60', 'precautions'])}</p>",
        table(
            ["Millésime (année des données)", "Quartiers", "Valeurs publiées", "Valeurs non diffusées"],
            [
                [
                    edition_label(r.millesime, r.annees_reference),
                    r.quartiers,
                    r.valeurs_publiees,
                    r.valeurs_secretes,
                ]
                for r in cover.itertuples(index=False)
            ],
        ),
        figure_div(
            figures.distribution_pauvrete(data, dico.loc["taux_pauvrete_60", "libelle"]), "distribution"
        ),
        figure_div(figures.classement_pauvrete(data), "classement"),
        figure_div(figures.pauvrete_revenu(data), "pauvrete-revenu"),
    ]
    write_page(ctx, page, "\n".join(body), dico.loc["taux_pauvrete_60", "source"])
    return [page]
