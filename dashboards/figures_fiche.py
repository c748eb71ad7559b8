"""Pure figure functions of the fiche quartier, and the French number formatter shared by the fiche and comparison
pages. A DataFrame in, a plotly Figure out; a secret value is never drawn (no bar or point at 0): it is named
"secret" in an annotation."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import plotly.graph_objects as go

from dashboards.figures import FRENCH_LAYOUT

NBSP = "\u00a0"  # between thousands and before the unit: "13 474 €", "41,1 %" never split across lines
SECRET = "secret"
# Okabe-Ito: a qualitative palette readable with every common colour-vision deficiency
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
COUNT_UNITS = {"nombre", "habitants", "foyers", "demandeurs", "emplois", "personnes", "établissements"}
UNIT_SUFFIX = {"%": "%", "‰": "‰", "€/UC/an": "€", "€": "€"}
_AXIS = dict(gridcolor="#EBF0F8", linecolor="#EBF0F8", zerolinecolor="#EBF0F8", automargin=True, ticks="")
# FRENCH_LAYOUT with a small template holding what plotly_white sets on these charts: copying the whole plotly_white
# template costs ~25 ms per figure, minutes over the ~2,900 fiches of the real data
LAYOUT = {
    **{k: v for k, v in FRENCH_LAYOUT.items() if k != "template"},
    "template": dict(
        layout=dict(
            paper_bgcolor="white",
            plot_bgcolor="white",
            font=dict(color="#2a3f5f"),
            hovermode="closest",
            hoverlabel=dict(align="left"),
            title=dict(x=0.05),
            xaxis=_AXIS,
            yaxis=_AXIS,
        )
    ),
}


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(math.isnan(float(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def fr_number(value: float, decimals: int) -> str:
    """12345.678 → '12 345,7' (no-break space between thousands, decimal comma); locale-independent."""
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{decimals}f}"  # half up, as a reader rounds: 136,5 emplois → 137
    return text.replace(",", NBSP).replace(".", ",")


def decimals_for(unite: str | None) -> int:
    if unite in COUNT_UNITS or unite in ("€/UC/an", "€"):
        return 0
    return 1


def fr_value(value: object, unite: str | None = None, secret: bool = False, missing: str = "—") -> str:
    """A value as published on a page: '41,1 %', '13 474 €', '1 234', 'secret' (never 0), '—' when absent."""
    if secret:
        return SECRET
    if _missing(value):
        return missing
    text = fr_number(float(value), decimals_for(unite))  # type: ignore[arg-type]
    suffix = UNIT_SUFFIX.get(unite or "")
    return f"{text}{NBSP}{suffix}" if suffix else text


def fr_range(valeur: object, basse: object, haute: object, unite: str | None, secret: bool = False) -> str:
    """An estimate with its range: '29,5 % (fourchette 8,7 à 35,4 %)'."""
    if secret or _missing(valeur):
        return fr_value(valeur, unite, secret)
    text = fr_value(valeur, unite)
    if _missing(basse) or _missing(haute):
        return text
    low = fr_number(float(basse), decimals_for(unite))  # type: ignore[arg-type]
    return f"{text} (fourchette {low} à {fr_value(haute, unite)})"


def fr_years(years: list[int]) -> str:
    """'2017', '2016 et 2017', '2013 à 2017' (sorted, distinct)."""
    years = sorted(set(years))
    if len(years) <= 1:
        return "".join(str(y) for y in years)
    if len(years) == 2:
        return f"{years[0]} et {years[1]}"
    return f"{years[0]} à {years[-1]}"


def edition_label(millesime: object, annees: object = ()) -> str:
    """A publication edition with the year(s) of its data: '2021 (données 2017)', '2021' when no year is known."""
    values = [] if annees is None or isinstance(annees, float | int) and _missing(annees) else _list(annees)
    years = sorted({int(a) for a in values if a is not None})
    text = str(int(millesime))  # type: ignore[call-overload]
    return f"{text} (données {fr_years(years)})" if years else text


def editions_label(frame: pd.DataFrame) -> str:
    """Every edition of a frame (millesime, annee_reference) with its data years: '2019 (données 2015), 2021
    (données 2017)'; '—' when empty."""
    if frame.empty or "millesime" not in frame:
        return "—"
    annees = frame["annee_reference"] if "annee_reference" in frame else pd.Series(pd.NA, index=frame.index)
    parts = [
        edition_label(m, annees[frame["millesime"] == m])
        for m in sorted({int(m) for m in frame["millesime"].dropna()})
    ]
    return ", ".join(parts) or "—"


def unit_label(unite: str | None) -> str:
    return {"%": "%", "‰": "‰", "€/UC/an": "€ par UC et par an", "indice": "indice, base 100"}.get(
        unite or "", unite or ""
    )


def build(data: list[dict], layout: dict, validate: bool = True) -> go.Figure:
    """A Figure from plain dicts (full forms only: title=dict(text=…)). validate=False skips plotly's validation,
    ~15× faster: the fiche pages draw thousands of charts; the tests build the same figures validated."""
    return go.Figure(data=data, layout={**LAYOUT, **layout}, _validate=validate)


def _list(values: object) -> list:
    """Plain Python values for the figure JSON; NaN/NA → None (a gap, never 0)."""
    return [None if _missing(v) else (v.item() if hasattr(v, "item") else v) for v in values]  # type: ignore[union-attr]


def _empty(title: str, message: str, validate: bool = True) -> go.Figure:
    return build(
        [],
        dict(
            title=dict(text=title),
            xaxis=dict(visible=False),
            yaxis=dict(visible=False),
            annotations=[dict(text=message, showarrow=False, font=dict(size=16))],
        ),
        validate,
    )


def _secret_marks(secrets: dict[int, list[str]], positions: dict[int, int]) -> list[dict]:
    """One 'secret' mark per edition at the bottom of the plot (hover: which indicators), never a 0. On a category
    axis an annotation's x is the category's serial number: a string like "2018" would be read as the number 2018
    and stretch the axis."""
    return [
        dict(
            x=positions[millesime],
            y=0,
            yref="paper",
            yanchor="bottom",
            text=SECRET,
            showarrow=False,
            font=dict(size=11, color="#555"),
            hovertext="Non diffusé (secret statistique) : " + ", ".join(labels),
        )
        for millesime, labels in sorted(secrets.items())
    ]


def _editions_axis(positions: dict[int, int]) -> dict:
    editions = [str(e) for e in positions]
    return dict(title=dict(text="Millésime"), type="category", categoryorder="array", categoryarray=editions)


def serie_temporelle(df: pd.DataFrame, titre: str, unite: str = "%", validate: bool = True) -> go.Figure:
    """Time series of a QPV's indicators across editions, with the all-QPV France value dotted.

    df: millesime, libelle, valeur, secret, rupture, serie ('quartier' or 'france'). A secret value leaves a gap and
    a 'secret' mark; a series break (rupture) is drawn as a dashed vertical line labelled "rupture de série".
    """
    if df.empty:
        return _empty(titre, "Aucune valeur pour ce quartier", validate)
    # plain Python over the records: this runs for every fiche (thousands), pandas on tiny frames is the slow part
    records = sorted(
        zip(
            df["libelle"].astype(str),
            df["serie"],
            df["millesime"].astype(int),
            df["valeur"],
            df["secret"].astype(bool),
            df["rupture"].fillna(False).astype(bool),
            strict=True,
        ),
        key=lambda r: (r[0], r[2]),
    )
    positions = {m: i for i, m in enumerate(sorted({r[2] for r in records}))}
    by_series: dict[str, dict[str, list]] = {}
    for record in records:
        by_series.setdefault(record[0], {}).setdefault(record[1], []).append(record)
    traces = []
    for i, (libelle, series) in enumerate(sorted(by_series.items())):
        colour = PALETTE[i % len(PALETTE)]
        for serie, dash, name in (
            ("quartier", "solid", libelle),
            ("france", "dot", f"{libelle} — ensemble des QPV"),
        ):
            points = series.get(serie)
            if not points:
                continue
            traces.append(
                dict(
                    type="scatter",
                    x=[str(r[2]) for r in points],
                    y=_list(None if r[4] else r[3] for r in points),
                    mode="lines+markers",
                    name=name,
                    line=dict(color=colour, dash=dash),
                    marker=dict(symbol="circle" if serie == "quartier" else "diamond-open", size=8),
                    connectgaps=False,
                    hovertemplate=f"{name}<br>Millésime %{{x}} : %{{y:.1f}} {unit_label(unite)}<extra></extra>",
                )
            )
    quartier = [r for r in records if r[1] == "quartier"]
    secrets: dict[int, list[str]] = {}
    for r in quartier:
        if r[4]:
            secrets.setdefault(r[2], []).append(r[0])
    annotations = _secret_marks(secrets, positions)
    shapes = []
    for millesime in sorted({r[2] for r in quartier if r[5]}):
        shapes.append(
            dict(
                type="line",
                x0=positions[millesime],
                x1=positions[millesime],
                xref="x",
                y0=0,
                y1=1,
                yref="paper",
                line=dict(dash="dash", color="#555"),
            )
        )
        annotations.append(
            dict(
                x=positions[millesime],
                y=1,
                yref="paper",
                text="rupture de série",
                showarrow=False,
                yanchor="bottom",
            )
        )
    layout = dict(
        title=dict(text=titre),
        xaxis=_editions_axis(positions),
        yaxis=dict(title=dict(text=f"Valeur ({unit_label(unite)})"), rangemode="tozero"),
        legend=dict(orientation="h", yanchor="top", y=-0.3),
        annotations=annotations,
        shapes=shapes,
    )
    return build(traces, layout, validate)


def non_recours_fourchette(
    df: pd.DataFrame, titre: str = "Non-recours estimé (fourchette)", validate: bool = True
) -> go.Figure:
    """The non-recours estimates of a QPV with their range as error bars, one trace per prestation, plus the
    all-QPV value (the DREES calibration) as open diamonds.

    df: millesime, libelle, valeur, borne_basse, borne_haute, secret, serie ('quartier' or 'france')."""
    if df.empty:
        return _empty(titre, "Aucune estimation pour ce quartier", validate)
    # plain Python over the records (runs for every fiche)
    records = sorted(
        zip(
            df["libelle"].astype(str),
            df["serie"],
            df["millesime"].astype(int),
            _list(df["valeur"]),
            _list(df["borne_basse"]),
            _list(df["borne_haute"]),
            df["secret"].astype(bool),
            strict=True,
        ),
        key=lambda r: (r[0], r[2]),
    )
    positions = {m: i for i, m in enumerate(sorted({r[2] for r in records}))}
    traces = []
    quartier: dict[str, list] = {}
    france: dict[str, list] = {}
    for r in records:
        if r[1] == "quartier":
            quartier.setdefault(r[0], []).append(r)
        elif r[1] == "france" and not r[6] and r[3] is not None:
            france.setdefault(r[0], []).append(r)
    for i, (libelle, points) in enumerate(sorted(quartier.items())):
        shown = [r for r in points if not r[6] and r[3] is not None]
        if not shown:
            continue
        traces.append(
            dict(
                type="scatter",
                x=[str(r[2]) for r in shown],
                y=[r[3] for r in shown],
                mode="markers",
                name=f"{libelle} (quartier)",
                marker=dict(size=11, color=PALETTE[i % len(PALETTE)]),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=[0 if r[5] is None else max(r[5] - r[3], 0) for r in shown],
                    arrayminus=[0 if r[4] is None else max(r[3] - r[4], 0) for r in shown],
                    width=8,
                ),
                customdata=[[r[4], r[5]] for r in shown],
                hovertemplate=f"{libelle}<br>Millésime %{{x}} : %{{y:.1f}} %<br>"
                "fourchette : %{customdata[0]:.1f} à %{customdata[1]:.1f} %<extra></extra>",
            )
        )
    for i, (libelle, points) in enumerate(sorted(france.items())):
        traces.append(
            dict(
                type="scatter",
                x=[str(r[2]) for r in points],
                y=[r[3] for r in points],
                mode="markers",
                name=f"{libelle} — ensemble des QPV (calage DREES)",
                marker=dict(symbol="diamond-open", size=11, color=PALETTE[i % len(PALETTE)]),
                hovertemplate="Ensemble des QPV<br>Millésime %{x} : %{y:.1f} %<extra></extra>",
            )
        )
    secrets: dict[int, list[str]] = {}
    for points in quartier.values():
        for r in points:
            if r[6]:
                secrets.setdefault(r[2], []).append(r[0])
    annotations = _secret_marks(secrets, positions)
    layout = dict(
        title=dict(text=titre),
        xaxis=_editions_axis(positions),
        yaxis=dict(title=dict(text="Foyers éligibles non recourants (%)"), range=[0, 100]),
        legend=dict(orientation="h", yanchor="top", y=-0.3),
        annotations=annotations,
    )
    return build(traces, layout, validate)


def ess_familles_sections(
    df: pd.DataFrame, titre: str = "Emplois de l'ESS par famille et section NAF", validate: bool = True
) -> go.Figure:
    """Estimated ESS jobs (central value) by NAF section, stacked by ESS family; secret cells are not drawn (they
    are counted in an annotation and listed as "secret" in the table beside the chart).

    df: libelle_famille, section_naf, libelle_section, secret, emplois_ess_bas, emplois_ess_central,
    emplois_ess_haut."""
    if df.empty:
        return _empty(titre, "Aucun établissement de l'ESS localisé dans ce quartier", validate)
    secret = df["secret"].astype(bool)
    published = df[~secret & df["emplois_ess_central"].notna()]
    if published.empty:
        return _empty(
            titre,
            f"Toutes les cellules ({int(secret.sum())}) sont couvertes par le secret statistique",
            validate,
        )
    sections = (
        published.groupby(["section_naf", "libelle_section"], as_index=False)["emplois_ess_central"]
        .sum()
        .sort_values("emplois_ess_central")
    )
    labels = [f"{r.section_naf} – {r.libelle_section}" for r in sections.itertuples(index=False)]
    order = dict(zip(sections["section_naf"], labels, strict=True))
    traces = []
    for i, (famille, part) in enumerate(published.groupby("libelle_famille", sort=True)):
        traces.append(
            dict(
                type="bar",
                x=_list(part["emplois_ess_central"]),
                y=[order[s] for s in part["section_naf"]],
                orientation="h",
                name=str(famille),
                marker=dict(color=PALETTE[i % len(PALETTE)]),
                customdata=[
                    _list(r) for r in part[["emplois_ess_bas", "emplois_ess_haut"]].itertuples(index=False)
                ],
                hovertemplate=f"{famille}<br>%{{y}}<br>%{{x:,.0f}} emplois (entre %{{customdata[0]:,.0f}} "
                "et %{customdata[1]:,.0f})<extra></extra>",
            )
        )
    annotations = []
    if secret.any():
        annotations.append(
            dict(
                text=f"{int(secret.sum())} cellule(s) non diffusée(s) (secret statistique), non représentée(s)",
                xref="paper",
                yref="paper",
                x=1,
                y=-0.2,
                showarrow=False,
                xanchor="right",
                font=dict(size=11, color="#555"),
            )
        )
    layout = dict(
        title=dict(text=titre),
        barmode="stack",
        xaxis=dict(
            title=dict(text="Emplois salariés estimés (valeur centrale des tranches)"), tickformat=",.0f"
        ),
        yaxis=dict(categoryorder="array", categoryarray=labels),
        height=max(350, 40 * len(labels) + 180),
        legend=dict(orientation="h", y=-0.3),
        annotations=annotations,
    )
    return build(traces, layout, validate)
