"""Pure figure functions of the fiche quartier, and the French number formatter shared by the fiche and comparison
pages. A DataFrame in, a plotly Figure out; a secret value is never drawn (no bar or point at 0): it is named
"secret" in an annotation."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

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
    return editions_text(edition_pairs(frame))


def edition_pairs(frame: pd.DataFrame) -> list[tuple[object, object]]:
    """(millesime, annee_reference) of a frame's rows (annee_reference None when the frame has no such column)."""
    annees = frame["annee_reference"].tolist() if "annee_reference" in frame else [None] * len(frame)
    return list(zip(frame["millesime"].tolist(), annees, strict=True))


def editions_text(pairs) -> str:
    """editions_label over plain (millesime, annee_reference) pairs (an absent value None or NaN)."""
    years: dict[int, list] = {}
    for millesime, annee in pairs:
        if not _missing(millesime):
            years.setdefault(int(millesime), []).append(None if _missing(annee) else annee)
    return ", ".join(edition_label(m, years[m]) for m in sorted(years)) or "—"


def unit_label(unite: str | None) -> str:
    return {"%": "%", "‰": "‰", "€/UC/an": "€ par UC et par an", "indice": "indice, base 100"}.get(
        unite or "", unite or ""
    )


class PlainFigure:
    """A figure kept as plain dicts, with what a page needs of it: its HTML (`to_html`, as go.Figure's) and its dict
    (`to_dict`, for a PNG export). Building plotly's object tree costs ~4 ms a figure even unvalidated, minutes over
    the thousands of charts of the fiches; the tests build the same figures as validated go.Figure."""

    def __init__(self, data: list[dict], layout: dict) -> None:
        self.data, self.layout = data, layout

    def to_dict(self) -> dict:
        return {"data": self.data, "layout": self.layout}

    def to_html(self, **kwargs) -> str:
        return pio.to_html(self.to_dict(), validate=False, **kwargs)


def build(data: list[dict], layout: dict, validate: bool = True) -> go.Figure:
    """A Figure from plain dicts (full forms only: title=dict(text=…)). validate=False skips plotly entirely (a
    PlainFigure, the same JSON on the page): the fiche pages draw thousands of charts; the tests build the same
    figures validated."""
    if not validate:
        return PlainFigure(data, {**LAYOUT, **layout})  # type: ignore[return-value]
    return go.Figure(data=data, layout={**LAYOUT, **layout})


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
    points = zip(
        df["libelle"].astype(str),
        df["serie"],
        df["millesime"].astype(int),
        df["valeur"],
        df["secret"].astype(bool),
        df["rupture"].fillna(False).astype(bool),
        strict=True,
    )
    return serie_temporelle_points(list(points), titre, unite, validate)


def serie_temporelle_points(
    points: list[tuple], titre: str, unite: str = "%", validate: bool = True
) -> go.Figure:
    """serie_temporelle over plain tuples (libelle, serie, millesime, valeur, secret, rupture): the fiches draw
    thousands of these charts, and pandas on tiny frames was most of their time."""
    if not points:
        return _empty(titre, "Aucune valeur pour ce quartier", validate)
    records = sorted(
        ((str(r[0]), r[1], int(r[2]), r[3], bool(r[4]), not _missing(r[5]) and bool(r[5])) for r in points),
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
    points = zip(
        df["libelle"].astype(str),
        df["serie"],
        df["millesime"].astype(int),
        _list(df["valeur"]),
        _list(df["borne_basse"]),
        _list(df["borne_haute"]),
        df["secret"].astype(bool),
        strict=True,
    )
    return non_recours_points(list(points), titre, validate)


def non_recours_points(
    points: list[tuple], titre: str = "Non-recours estimé (fourchette)", validate: bool = True
) -> go.Figure:
    """non_recours_fourchette over plain tuples (libelle, serie, millesime, valeur, borne_basse, borne_haute,
    secret; an absent value is None), as the fiches give them."""
    if not points:
        return _empty(titre, "Aucune estimation pour ce quartier", validate)
    records = sorted(
        ((str(r[0]), r[1], int(r[2]), *_list(r[3:6]), bool(r[6])) for r in points),
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


# --- the compact charts of the indicator groups (insertion, démographie, distribution des revenus) ----------------


def fr_signed(value: object, unite: str | None = "%", secret: bool = False) -> str:
    """An evolution with its sign: '+3,2 %', '−11,2 %' (a true minus sign), 'secret', '—'."""
    text = fr_value(value, unite, secret)
    if secret or _missing(value):
        return text
    return text.replace("-", "−") if float(value) < 0 else f"+{text}"  # type: ignore[arg-type]


def _subtitle(titre: str, sous_titre: str) -> str:
    return f"{titre}<br><sup>{sous_titre}</sup>" if sous_titre else titre


def _row_label(label: str, valeur: object, secret: bool, unite: str) -> str:
    """A row of a group chart carries its value: 'Femmes : 55,2 %', 'Étrangers : secret' (no bar drawn)."""
    return f"{label} : {fr_value(valeur, unite, secret)}"


def _legend_below() -> dict:
    """A horizontal legend under the chart, in the figure's margin (never over the axis title)."""
    return dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0, xanchor="left")


def parts_barres(
    barres: list[tuple[str, object, bool, str]],
    references: list[tuple[str, object, str]],
    titre: str,
    sous_titre: str = "",
    validate: bool = True,
) -> go.Figure:
    """A quartier's shares (%) as horizontal bars, the first one at the top; each row is labelled with its value
    ('Femmes : 55,2 %'); a secret share keeps its row, labelled 'secret', with no bar (never a 0). References (e.g.
    all the QPV of France, same edition) are open diamonds on the rows they have.

    barres: (label, valeur, secret, serie) — serie is the legend entry of the bar (its source and year of data).
    references: (label, valeur, name), label being a bar's label."""
    if not barres:
        return _empty(titre, "Aucune valeur pour ce quartier", validate)
    rows = {b[0]: _row_label(b[0], b[1], bool(b[2]), "%") for b in barres}
    shown: list[float] = []
    traces = []
    for i, serie in enumerate(dict.fromkeys(b[3] for b in barres)):
        mine = [b for b in barres if b[3] == serie and not b[2] and not _missing(b[1])]
        if not mine:
            continue
        values = [float(b[1]) for b in mine]  # type: ignore[arg-type]
        shown.extend(values)
        traces.append(
            dict(
                type="bar",
                orientation="h",
                x=values,
                y=[rows[b[0]] for b in mine],
                name=serie,
                marker=dict(color=PALETTE[i % len(PALETTE)]),
                hovertemplate=f"%{{y}}<extra>{serie}</extra>",
            )
        )
    by_name: dict[str, list[tuple[str, float]]] = {}
    for label, valeur, name in references:
        if label in rows and not _missing(valeur):
            by_name.setdefault(name, []).append((rows[label], float(valeur)))  # type: ignore[arg-type]
    for j, (name, points) in enumerate(by_name.items()):
        shown.extend(p[1] for p in points)
        traces.append(
            dict(
                type="scatter",
                mode="markers",
                x=[p[1] for p in points],
                y=[p[0] for p in points],
                name=name,
                marker=dict(
                    symbol="diamond-open", size=12, color=("#000000", "#555555")[j % 2], line=dict(width=2)
                ),
                hovertemplate=f"{name}<br>%{{x:.1f}} %<extra></extra>",
            )
        )
    lines = sous_titre.count("<br>") + 1 if sous_titre else 0
    layout = dict(
        title=dict(text=_subtitle(titre, sous_titre)),
        barmode="overlay",
        xaxis=dict(title=dict(text="Part (%)"), range=[0, (max([*shown, 0.0]) or 100.0) * 1.08]),
        yaxis=dict(type="category", categoryorder="array", categoryarray=list(rows.values())[::-1]),
        height=max(300, 30 * len(rows) + 200 + 18 * lines),
        legend=_legend_below(),
        margin=dict(l=60, r=30, t=70 + 18 * lines, b=100),
    )
    return build(traces, layout, validate)


# where the label of each quantile goes, around its dot: alternately below and above, the outer ones outwards
QUANTILE_TEXT_POSITIONS = {"D1": "bottom left", "Q1": "top left", "Médiane": "bottom center", "Q3": "top right",
                           "D9": "bottom right"}  # fmt: skip


def distribution_revenus(
    series: list[tuple[str, str, dict[str, tuple[object, bool]]]],
    quantiles: list[str],
    composition: list[str],
    titre: str,
    sous_titre: str = "",
    validate: bool = True,
) -> go.Figure:
    """Left: D1, Q1, median, Q3 and D9 of the disposable income per UC as a range (thin line D1–D9, thick line
    Q1–Q3, a dot per quantile), one row per series: the quartier first, then the whole territories of the same year
    of data. Right: the composition of the disposable income (shares, %; taxes are negative), the quartier's bars
    (rows labelled with its values) with the territories as open markers. A secret value is never drawn: its row or
    its label says "secret".

    series: (row label, legend name, {label: (valeur, secret)}) with the labels of `quantiles` and `composition`."""
    if not series:
        return _empty(titre, "Aucune valeur pour ce quartier", validate)
    traces: list[dict] = []
    rows = []
    for i, (row, name, values) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        symbol = ("circle", "diamond", "square")[i % 3]
        points = [
            (label, float(values[label][0]))  # type: ignore[arg-type]
            for label in quantiles
            if label in values and not values[label][1] and not _missing(values[label][0])
        ]
        hidden = [
            label
            for label in quantiles
            if label in values and (values[label][1] or _missing(values[label][0]))
        ]
        if hidden:  # the row says which quantiles are not drawn
            secret = any(values[label][1] for label in hidden)
            row = f"{row} ({SECRET if secret else 'non disponible'} : {', '.join(hidden)})"
        rows.append(row)
        found = dict(points)
        if "Q1" in found and "Q3" in found:
            traces.append(
                dict(
                    type="scatter",
                    mode="lines",
                    x=[found["Q1"], found["Q3"]],
                    y=[row, row],
                    line=dict(color=colour, width=12),
                    opacity=0.35,
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
        if points:
            texts = [f"{label} {fr_value(v, '€')}" for label, v in points]
            traces.append(
                dict(
                    type="scatter",
                    mode="lines+markers+text" if i == 0 else "lines+markers",
                    x=[p[1] for p in points],
                    y=[row] * len(points),
                    text=texts,
                    textposition=[QUANTILE_TEXT_POSITIONS.get(p[0], "top center") for p in points],
                    textfont=dict(size=11),
                    name=name,
                    line=dict(color=colour, width=2),
                    marker=dict(color=colour, size=10, symbol=symbol),
                    hovertemplate=f"{name}<br>%{{text}}<extra></extra>",
                )
            )
    quartier = series[0][2]
    labels = {
        label: _row_label(label, quartier[label][0], bool(quartier[label][1]), "%")
        if label in quartier
        else f"{label} : —"
        for label in composition
        if any(label in s[2] for s in series)
    }
    for i, (_row, name, values) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        shown = [
            (labels[label], float(values[label][0]))  # type: ignore[arg-type]
            for label in labels
            if label in values and not values[label][1] and not _missing(values[label][0])
        ]
        if not shown:
            continue
        common = dict(
            x=[v for _, v in shown],
            y=[label for label, _ in shown],
            xaxis="x2",
            yaxis="y2",
            name=f"{name} : composition",
            showlegend=False,
            hovertemplate=f"{name}<br>%{{y}}<br>%{{x:.1f}} %<extra></extra>",
        )
        if i == 0:
            traces.append(dict(type="bar", orientation="h", marker=dict(color=colour), **common))
        else:
            symbol = ("circle", "diamond", "square")[i % 3] + "-open"
            traces.append(
                dict(
                    type="scatter",
                    mode="markers",
                    marker=dict(color=colour, size=11, symbol=symbol, line=dict(width=2)),
                    **common,
                )
            )
    annotations = [
        dict(
            text=f"<b>{text}</b>",
            x=x,
            y=1.0,
            xref="paper",
            yref="paper",
            xanchor="left",
            yanchor="bottom",
            yshift=8,
            showarrow=False,
            font=dict(size=12),
        )
        for text, x in (
            ("Revenu disponible par unité de consommation (D1, Q1, médiane, Q3, D9)", 0.0),
            ("Composition du revenu disponible (%)", 0.66),
        )
    ]
    lines = sous_titre.count("<br>") + 1 if sous_titre else 0
    layout = dict(
        title=dict(text=_subtitle(titre, sous_titre)),
        barmode="overlay",
        xaxis=dict(
            domain=[0, 0.52],
            title=dict(text="€ par unité de consommation et par an"),
            tickformat=",.0f",
            rangemode="tozero",
        ),
        yaxis=dict(
            type="category",
            categoryorder="array",
            categoryarray=rows[::-1],
            anchor="x",
            range=[-0.6, len(rows) - 0.3],  # room for the quantile labels above and below a row
        ),
        xaxis2=dict(
            domain=[0.82, 1], anchor="y2", title=dict(text="Part (%)"), zeroline=True, zerolinecolor="#999"
        ),
        yaxis2=dict(
            type="category", categoryorder="array", categoryarray=list(labels.values())[::-1], anchor="x2"
        ),
        height=360 + 18 * lines,
        legend=_legend_below(),
        annotations=annotations,
        margin=dict(l=60, r=30, t=100 + 18 * lines, b=100),
    )
    return build(traces, layout, validate)
