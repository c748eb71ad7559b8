"""Pure figure functions of the Non-recours and ESS theme pages: a DataFrame in, a plotly Figure out.

French labels and number formats (decimal comma, narrow no-break space between thousands), colour-blind-safe
colours (Okabe-Ito, Cividis). A secret value (null in the marts) is never drawn: its QPV is labelled "secret" and
has no bar or point, so it cannot be read as 0. Names coming from data are HTML-escaped for plotly (plotly.js
renders `<b>`-like tags in texts and decodes `&lt;`/`&gt;`/`&amp;`, so an escaped name shows as plain text).
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from dashboards.figures import FRENCH_LAYOUT

SECRET = "secret"
BLEU = "#0072B2"  # Okabe-Ito blue
ORANGE = "#E69F00"  # Okabe-Ito orange
VERMILLON = "#D55E00"  # Okabe-Ito vermilion (reference lines)
GRIS = "#555555"


# --- French number formats ---------------------------------------------------------------------------------------


def _manquant(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def nombre_fr(value: object, decimales: int = 0) -> str:
    """13474.2 → '13 474' (narrow no-break space between thousands, decimal comma); null → 'secret'."""
    if _manquant(value):
        return SECRET
    text = f"{float(value):,.{decimales}f}"  # type: ignore[arg-type]
    return text.replace(",", "\u202f").replace(".", ",")


def valeur_fr(value: object, unite: str | None = None, decimales: int | None = None) -> str:
    """A value with its unit the French way: '41,1 %', '13 474 €', '2 540 emplois'; null → 'secret' (never 0)."""
    if _manquant(value):
        return SECRET
    if decimales is None:
        decimales = 1 if unite in ("%", "‰", "indice") else 0
    text = nombre_fr(value, decimales)
    if not unite or unite in ("nombre", "indice"):
        return text
    return f"{text}\u00a0{unite}"


def fourchette_fr(bas: object, haut: object, unite: str | None = None, decimales: int | None = None) -> str:
    """'de 12,0 à 37,7 %' ; an unknown bound → 'fourchette non publiée'."""
    if _manquant(bas) or _manquant(haut):
        return "fourchette non publiée"
    if decimales is None:
        decimales = 1 if unite in ("%", "‰", "indice") else 0
    return f"de {nombre_fr(bas, decimales)} à {valeur_fr(haut, unite, decimales)}"


def texte_plotly(value: object) -> str:
    """Escape a data text for plotly.js (which renders pseudo-HTML tags in titles, ticks and hovers)."""
    return str("" if value is None else value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nom_qpv(lib_qp: object, code_qp: object) -> str:
    lib = "" if _manquant(lib_qp) else str(lib_qp)
    return texte_plotly(f"{lib} ({code_qp})" if lib else str(code_qp))


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=16))
    fig.update_layout(title=title, xaxis_visible=False, yaxis_visible=False, **FRENCH_LAYOUT)
    return fig


# --- Non-recours ------------------------------------------------------------------------------------------------


def distribution_non_recours(
    df: pd.DataFrame, libelle: str, calage: dict[int, float] | None = None
) -> go.Figure:
    """Every QPV estimate of one prestation with its range (point + error bar), QPV ranked, one panel per edition;
    a dashed line at the figure of all QPV together (the calibration on the DREES national rate).

    `df`: rows of one estimate indicator with code_qp, lib_qp, millesime, valeur, borne_basse, borne_haute, secret.
    """
    title = (
        f"{libelle} : estimation par quartier avec sa fourchette, par millésime "
        "(quartiers secrets non représentés)"
    )
    if df.empty or df["valeur"].notna().sum() == 0:
        return _empty(title, "Aucune estimation publiée")
    calage = calage or {}
    millesimes = sorted(int(m) for m in df["millesime"].unique())
    titres = []
    for m in millesimes:
        part = df[df["millesime"] == m]
        secrets = int(part["valeur"].isna().sum())
        titres.append(
            f"{m} : {int(part['valeur'].notna().sum())} estimations"
            + (f", {secrets} secrètes" if secrets else "")
        )
    fig = make_subplots(rows=1, cols=len(millesimes), shared_yaxes=True, subplot_titles=titres)
    for i, m in enumerate(millesimes, start=1):
        part = df[(df["millesime"] == m) & df["valeur"].notna()].sort_values("valeur").reset_index(drop=True)
        fig.add_trace(
            go.Scatter(
                x=list(range(1, len(part) + 1)),
                y=part["valeur"],
                mode="markers",
                marker=dict(color=BLEU, size=6),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=(part["borne_haute"] - part["valeur"]).clip(lower=0),
                    arrayminus=(part["valeur"] - part["borne_basse"]).clip(lower=0),
                    color="rgba(0,114,178,0.35)",
                    thickness=1.2,
                    width=0,
                ),
                text=[nom_qpv(r.lib_qp, r.code_qp) for r in part.itertuples(index=False)],
                customdata=part[["borne_basse", "borne_haute"]],
                hovertemplate="%{text}<br>Estimation : %{y:.1f} %<br>Fourchette : %{customdata[0]:.1f} à "
                f"%{{customdata[1]:.1f}} %<extra>Millésime {m}</extra>",
                name=f"Millésime {m}",
                showlegend=False,
            ),
            row=1,
            col=i,
        )
        if m in calage and not _manquant(calage[m]):
            fig.add_hline(
                y=calage[m],
                line=dict(color=VERMILLON, dash="dash", width=2),
                annotation_text=f"Ensemble des QPV : {valeur_fr(calage[m], '%')} (calage DREES)",
                annotation_position="top left",
                annotation_font_color=VERMILLON,
                row=1,
                col=i,
            )
        fig.update_xaxes(title_text="Quartiers classés par estimation", showticklabels=False, row=1, col=i)
    fig.update_yaxes(
        title_text=f"{libelle} (% des foyers éligibles, estimation)", range=[0, 100], row=1, col=1
    )
    fig.update_layout(title=title, height=480, **FRENCH_LAYOUT)
    return fig


def classement_fourchette(
    df: pd.DataFrame,
    colonne: str,
    bas: str,
    haut: str,
    title: str,
    axe: str,
    unite: str,
    reference: float | None = None,
    libelle_reference: str = "Ensemble des QPV",
    n: int = 40,
    barres: bool = False,
) -> go.Figure:
    """QPV ranked on a value with its range (error bars from `bas` to `haut`), highest at the top.

    When every QPV fits (≤ n), the secret ones are listed at the bottom with the label "secret" and no point or
    bar; otherwise the `n` highest published values are drawn (the title says so). `reference`: a dashed line (the
    figure of a territory)."""
    data = df.copy()
    publies = data[data[colonne].notna()].sort_values(colonne, ascending=False)
    secrets = data[data[colonne].isna()]
    if publies.empty and secrets.empty:
        return _empty(title, "Aucun quartier")
    tronque = len(data) > n
    if tronque:
        publies = publies.head(n)
        secrets = secrets.iloc[0:0]
        title = f"{title} — les {len(publies)} valeurs les plus élevées"
    fmt = ".1f" if unite in ("%", "‰", "indice") else ",.0f"
    suffixe = (
        f" {unite}" if unite in ("%", "‰") else (f" {unite}" if unite not in ("indice", "nombre") else "")
    )
    labels_publies = [nom_qpv(r.lib_qp, r.code_qp) for r in publies.itertuples(index=False)]
    labels_secrets = [f"{nom_qpv(r.lib_qp, r.code_qp)} — {SECRET}" for r in secrets.itertuples(index=False)]
    # plotly draws the first category at the bottom: secret ones first, then published from lowest to highest
    ordre = labels_secrets[::-1] + labels_publies[::-1]
    erreur = dict(
        type="data",
        symmetric=False,
        array=(publies[haut] - publies[colonne]).clip(lower=0),
        arrayminus=(publies[colonne] - publies[bas]).clip(lower=0),
        color=GRIS,
        thickness=1.5,
    )
    hover = (
        f"%{{y}}<br>Valeur : %{{x:{fmt}}}{suffixe}<br>Fourchette : %{{customdata[0]:{fmt}}} à "
        f"%{{customdata[1]:{fmt}}}{suffixe}<extra></extra>"
    )
    common = dict(
        x=publies[colonne],
        y=labels_publies,
        orientation="h",
        error_x=erreur,
        customdata=publies[[bas, haut]],
        hovertemplate=hover,
        name="Valeur (fourchette)",
        showlegend=False,
    )
    if barres:
        fig = go.Figure(go.Bar(marker_color=BLEU, **common))
    else:
        common.pop("orientation")
        fig = go.Figure(go.Scatter(mode="markers", marker=dict(color=BLEU, size=9), **common))
    if labels_secrets:
        # the secret QPV keep their row, labelled "secret", with nothing drawn (never a 0)
        fig.add_trace(
            go.Scatter(
                x=[None] * len(labels_secrets),
                y=labels_secrets,
                mode="markers",
                name=f"{SECRET} (non diffusé)",
                hoverinfo="skip",
                showlegend=False,
            )
        )
    if reference is not None and not _manquant(reference):
        fig.add_vline(
            x=reference,
            line=dict(color=VERMILLON, dash="dash", width=2),
            annotation_text=f"{texte_plotly(libelle_reference)} : {valeur_fr(reference, unite)}",
            annotation_position="top",
            annotation_font_color=VERMILLON,
        )
    fig.update_yaxes(categoryorder="array", categoryarray=ordre, type="category")
    fig.update_layout(
        title=title,
        xaxis_title=axe,
        xaxis_tickformat=",.0f" if unite not in ("%", "‰", "indice") else None,
        xaxis_rangemode="tozero",
        height=max(380, 26 * len(ordre) + 170),
        **FRENCH_LAYOUT,
    )
    return fig


def indice_couverture(df: pd.DataFrame, libelle: str, millesime: int, n: int = 40) -> go.Figure:
    """Coverage index of each QPV against 100 (all QPV of the edition): bars starting at 100, to the right when
    the QPV has more beneficiaries than expected from its poverty, to the left when fewer; secret QPV labelled."""
    title = f"{libelle} par quartier (base 100 = ensemble des QPV, millésime {millesime})"
    data = df[df["millesime"] == millesime]
    if data.empty:
        return _empty(title, "Aucun quartier")
    publies = data[data["valeur"].notna()].sort_values("valeur")
    secrets = data[data["valeur"].isna()]
    if len(data) > n:
        ecart = (publies["valeur"] - 100).abs()
        publies = publies.loc[ecart.sort_values(ascending=False).index[:n]].sort_values("valeur")
        secrets = secrets.iloc[0:0]
        title = f"{title} — les {len(publies)} quartiers les plus éloignés de 100"
    labels = [nom_qpv(r.lib_qp, r.code_qp) for r in publies.itertuples(index=False)]
    labels_secrets = [f"{nom_qpv(r.lib_qp, r.code_qp)} — {SECRET}" for r in secrets.itertuples(index=False)]
    couleurs = [BLEU if v >= 100 else ORANGE for v in publies["valeur"]]
    fig = go.Figure(
        go.Bar(
            x=publies["valeur"] - 100,
            base=100,
            y=labels,
            orientation="h",
            marker_color=couleurs,
            customdata=publies[["valeur"]],
            hovertemplate="%{y}<br>Indice : %{customdata[0]:.1f} (100 = ensemble des QPV)<extra></extra>",
            showlegend=False,
        )
    )
    if labels_secrets:
        fig.add_trace(
            go.Scatter(
                x=[None] * len(labels_secrets),
                y=labels_secrets,
                mode="markers",
                hoverinfo="skip",
                showlegend=False,
            )
        )
    fig.add_vline(
        x=100,
        line=dict(color=VERMILLON, dash="dash", width=2),
        annotation_text="100 = couverture de l'ensemble des QPV",
        annotation_position="top",
        annotation_font_color=VERMILLON,
    )
    fig.update_yaxes(categoryorder="array", categoryarray=labels_secrets[::-1] + labels, type="category")
    fig.update_layout(
        title=title,
        xaxis_title=f"{libelle} (indice, base 100 ; estimation)",
        height=max(380, 26 * (len(labels) + len(labels_secrets)) + 170),
        **FRENCH_LAYOUT,
    )
    return fig


# --- ESS -------------------------------------------------------------------------------------------------------


def familles_sections(detail: pd.DataFrame, geographie_libelle: str, millesime: int) -> go.Figure:
    """ESS jobs (central value of the size bands) by NAF section, stacked by ESS family, summed over the
    published cells only; the number of secret cells is stated, they are never drawn as 0."""
    title = f"Emplois ESS estimés par section NAF et famille ESS ({geographie_libelle}, SIRENE {millesime})"
    secrets = int(detail["secret"].sum()) if not detail.empty else 0
    publies = detail[~detail["secret"].astype(bool) & detail["emplois_ess_central"].notna()]
    note = (
        f"{secrets} cellule(s) quartier × famille × section couvertes par le secret statistique : "
        "non représentées (ni comptées comme 0)"
        if secrets
        else "Aucune cellule secrète"
    )
    if publies.empty:
        return _empty(title, f"Toutes les cellules sont secrètes ({secrets})" if secrets else "Aucune donnée")
    somme = (
        publies.groupby(["famille_ess", "libelle_famille", "section_naf", "libelle_section"], as_index=False)[
            ["etablissements_ess", "emplois_ess_central", "emplois_ess_bas", "emplois_ess_haut"]
        ]
        .sum()
        .sort_values(["section_naf", "famille_ess"])
    )
    familles = sorted(somme["famille_ess"].unique())
    couleurs = sample_colorscale("Cividis", [i / max(1, len(familles) - 1) for i in range(len(familles))])
    sections = somme.groupby("section_naf")["emplois_ess_central"].sum().sort_values().index
    ordre = [
        texte_plotly(f"{s} – {somme.loc[somme['section_naf'] == s, 'libelle_section'].iloc[0]}")
        for s in sections
    ]
    fig = go.Figure()
    for couleur, famille in zip(couleurs, familles, strict=True):
        part = somme[somme["famille_ess"] == famille]
        fig.add_trace(
            go.Bar(
                x=part["emplois_ess_central"],
                y=[
                    texte_plotly(f"{r.section_naf} – {r.libelle_section}")
                    for r in part.itertuples(index=False)
                ],
                orientation="h",
                name=texte_plotly(part["libelle_famille"].iloc[0]),
                marker_color=couleur,
                customdata=part[["etablissements_ess", "emplois_ess_bas", "emplois_ess_haut"]],
                hovertemplate="%{y}<br>%{fullData.name}<br>Emplois (estimation) : %{x:,.1f}"
                "<br>Fourchette : %{customdata[1]:,.0f} à %{customdata[2]:,.0f}"
                "<br>Établissements : %{customdata[0]:,.0f}<extra></extra>",
            )
        )
    fig.update_yaxes(categoryorder="array", categoryarray=ordre, type="category")
    fig.update_layout(
        title=f"{title}<br><sup>{note}</sup>",
        barmode="stack",
        xaxis_title="Emplois salariés ESS (valeur centrale des tranches, cellules publiées)",
        xaxis_tickformat=",.0f",
        legend_title_text="Famille ESS",
        height=max(420, 34 * len(ordre) + 220),
        **FRENCH_LAYOUT,
    )
    return fig


# --- Insertion, démographie et revenus ---------------------------------------------------------------------------


def distribution_groupe(
    df: pd.DataFrame,
    lignes: list[tuple[str, str]],
    title: str,
    axe: str,
    unite: str,
    references: list[tuple[str, float, str]] | None = None,
) -> go.Figure:
    """The distribution across QPV of several indicators of one edition, a horizontal box per indicator (first one
    at the top), its published values only: the number of quartiers and of secret ones is in the row label, a
    secret value is never drawn. References (the all-QPV aggregate, France métropolitaine…) are diamonds on the rows
    that have one.

    df: code_qp, lib_qp, indicateur, valeur, secret; lignes: (indicator code, label); references: (indicator code,
    value, name)."""
    if df.empty or df["valeur"].notna().sum() == 0:
        return _empty(title, "Aucune valeur publiée")
    fmt = ".1f" if unite in ("%", "‰", "indice") else ",.0f"
    suffixe = f" {unite}" if unite in ("%", "‰", "€") else ""
    labels = {}
    fig = go.Figure()
    for code, libelle in lignes:
        part = df[df["indicateur"] == code]
        if part.empty:
            continue
        publies = part[part["valeur"].notna() & ~part["secret"].fillna(False).astype(bool)]
        secrets = len(part) - len(publies)
        label = texte_plotly(
            f"{libelle} ({nombre_fr(len(publies))} quartiers"
            + (f", {secrets} {SECRET}s)" if secrets else ")")
        )
        labels[code] = label
        fig.add_trace(
            go.Box(
                x=publies["valeur"],
                y=[label] * len(publies),
                name=label,
                orientation="h",
                width=0.35,  # room above the box for the value of the reference
                boxpoints="outliers",
                marker=dict(color=BLEU, size=4),
                line=dict(color=BLEU),
                text=[nom_qpv(r.lib_qp, r.code_qp) for r in publies.itertuples(index=False)],
                hovertemplate=f"%{{text}}<br>%{{x:{fmt}}}{suffixe}<extra></extra>",
                showlegend=False,
            )
        )
    by_name: dict[str, list[tuple[str, float]]] = {}
    for code, valeur, name in references or []:
        if code in labels and not _manquant(valeur):
            by_name.setdefault(name, []).append((labels[code], float(valeur)))
    for j, (name, points) in enumerate(by_name.items()):
        fig.add_trace(
            go.Scatter(
                x=[p[1] for p in points],
                y=[p[0] for p in points],
                mode="markers",
                name=texte_plotly(name),
                marker=dict(
                    symbol="diamond",
                    size=13,
                    color=VERMILLON if j == 0 else GRIS,
                    line=dict(color="white", width=1),
                ),
                hovertemplate=f"{texte_plotly(name)}<br>%{{x:{fmt}}}{suffixe}<extra></extra>",
            )
        )
        for label, valeur in points:  # the value written above the box, clear of it
            fig.add_annotation(
                x=valeur,
                y=label,
                text=valeur_fr(valeur, unite),
                yshift=24,
                showarrow=False,
                font=dict(color=VERMILLON if j == 0 else GRIS, size=12),
            )
    ordre = list(labels.values())[::-1]
    fig.update_yaxes(categoryorder="array", categoryarray=ordre, type="category")
    fig.update_layout(
        title=title,
        xaxis_title=axe,
        xaxis_tickformat=",.0f" if unite not in ("%", "‰", "indice") else None,
        height=max(380, 70 * len(labels) + 200),
        legend=dict(orientation="h", yanchor="top", y=-0.2),
        **FRENCH_LAYOUT,
    )
    return fig
