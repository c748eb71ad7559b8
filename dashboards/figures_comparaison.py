"""Pure figure functions of the comparison page: the QPV of a territory ranked on an indicator (selector of
indicator × geography × edition), poverty vs unemployment (bubble = population), gap of each QPV to its whole
commune and to the QPV of its commune (two charts, never mixed).
Secret values are not drawn (never a bar of 0): they are counted in the title."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from dashboards.figures_fiche import PALETTE, _empty, _list, build, fr_value, unit_label


def _viridis(values: pd.Series) -> list[str]:
    """Viridis colours of the values, scaled on their own range (colour-blind safe, sequential)."""
    low, high = float(values.min()), float(values.max())
    span = (high - low) or 1.0
    return sample_colorscale("Viridis", [(float(v) - low) / span for v in values])


GEOGRAPHIE_COURTE = {"qpv2015": "géographie 2015", "qpv2024": "géographie 2024"}
ABOVE, BELOW = (
    "#0072B2",
    "#E69F00",
)  # blue / orange: distinguishable with every common colour-vision deficiency


def _label(df: pd.DataFrame) -> list[str]:
    return [f"{lib} ({code})" for lib, code in zip(df["lib_qp"], df["code_qp"], strict=True)]


def _combos(df: pd.DataFrame, order: list[str]) -> list[tuple[str, str, int]]:
    rank = {code: i for i, code in enumerate(order)}
    combos = df[["indicateur", "geographie", "millesime"]].drop_duplicates()
    keys = [(r.indicateur, r.geographie, int(r.millesime)) for r in combos.itertuples(index=False)]
    return sorted(keys, key=lambda k: (rank.get(k[0], len(rank)), k[1], -k[2]))


def _title(text: str) -> dict:
    return dict(text=text, y=0.975, yanchor="top", x=0.01, xanchor="left")


def _button_label(title: str) -> str:
    """'Libellé<br>géographie 2015, millésime 2021 — notes' → 'Libellé · géographie 2015, millésime 2021'."""
    head, _, details = title.partition("<br>")
    return f"{head.split(' (')[0]} · {details.split(' — ')[0].split(' (')[0]}"


def _selector(titles: list[str], n_traces: int) -> list[dict]:
    """A dropdown (above the plot, under the title) showing one trace at a time, with its title."""
    buttons = [
        dict(
            label=_button_label(title),
            method="update",
            args=[{"visible": [j == i for j in range(n_traces)]}, {"title": _title(title)}],
        )
        for i, title in enumerate(titles)
    ]
    return [
        dict(
            buttons=buttons, direction="down", x=0, xanchor="left", y=1.01, yanchor="bottom", showactive=True
        )
    ]


def _keep_extremes(part: pd.DataFrame, column: str, n: int) -> tuple[pd.DataFrame, str]:
    if len(part) <= 2 * n:
        return part, ""
    ordered = part.sort_values(column)
    return pd.concat([ordered.head(n), ordered.tail(n)]), f" ({n} plus faibles et {n} plus élevés)"


def classement(
    df: pd.DataFrame, dico: pd.DataFrame, order: list[str], n: int = 30, validate: bool = True
) -> go.Figure:
    """Horizontal bars of the QPV ranked on an indicator, one trace per (indicator, geography, edition) with a
    selector; Viridis colour scale on the value. df: code_qp, lib_qp, geographie, millesime, indicateur, valeur,
    secret. dico: indexed by code, with libelle and unite."""
    titre = "Classement des quartiers"
    data = df[df["indicateur"].isin(dico.index)]
    if data.empty:
        return _empty(titre, "Aucune valeur publiée", validate)
    traces, titles, max_bars = [], [], 1
    for indicateur, geographie, millesime in _combos(data, order):
        part = data[
            (data["indicateur"] == indicateur)
            & (data["geographie"] == geographie)
            & (data["millesime"] == millesime)
        ]
        secret = part["secret"].astype(bool) | part["valeur"].isna()
        published = part[~secret]
        if published.empty:
            continue
        shown, note = _keep_extremes(published, "valeur", n)
        shown = shown.sort_values("valeur")
        unite = dico.loc[indicateur, "unite"]
        libelle = dico.loc[indicateur, "libelle"]
        max_bars = max(max_bars, len(shown))
        titles.append(
            f"{libelle}<br>{GEOGRAPHIE_COURTE.get(geographie, geographie)}, millésime {millesime}{note}"
            + (f" — {int(secret.sum())} quartier(s) non diffusé(s) (secret)" if secret.any() else "")
        )
        traces.append(
            dict(
                type="bar",
                orientation="h",
                x=_list(shown["valeur"]),
                y=_label(shown),
                text=[fr_value(v, unite) for v in shown["valeur"]],
                textposition="outside",
                cliponaxis=False,
                # explicit colours: a numeric colour array with bar text makes plotly.js log "Invalid color"
                marker=dict(color=_viridis(shown["valeur"])),
                name=str(libelle),
                hovertemplate=f"%{{y}}<br>{libelle} : %{{x:.1f}} {unit_label(unite)}<extra></extra>",
                visible=not traces,
            )
        )
    if not traces:
        return _empty(titre, "Aucune valeur publiée", validate)
    layout = dict(
        title=_title(titles[0]),
        xaxis=dict(title=dict(text="Valeur de l'indicateur (%, ‰ ou indice selon l'indicateur)")),
        yaxis=dict(automargin=True, dtick=1, tickfont=dict(size=11)),
        height=max(450, 22 * max_bars + 220),
        showlegend=False,
        updatemenus=_selector(titles, len(traces)) if len(traces) > 1 else [],
        margin=dict(l=60, r=60, t=120, b=60),
    )
    return build(traces, layout, validate)


def pauvrete_chomage(df: pd.DataFrame, validate: bool = True) -> go.Figure:
    """Poverty rate against the unemployment indicator, bubble area = population, one trace per edition (2015
    geography). df: code_qp, lib_qp, millesime, taux_pauvrete_60, indicateur_chomage_abc, population."""
    titre = "Pauvreté et chômage des quartiers (taille : population)"
    columns = ["taux_pauvrete_60", "indicateur_chomage_abc", "population"]
    data = df.dropna(subset=columns)
    if data.empty:
        return _empty(titre, "Aucun quartier avec les trois valeurs publiées", validate)
    sizeref = 2.0 * float(data["population"].max()) / (45.0**2)
    traces, titles = [], []
    editions = sorted(data["millesime"].unique(), reverse=True)
    for i, millesime in enumerate(editions):
        part = data[data["millesime"] == millesime]
        missing = int((df["millesime"] == millesime).sum() - len(part))
        titles.append(
            f"{titre}<br>géographie 2015, millésime {int(millesime)}"
            + (f" — {missing} quartier(s) sans valeur publiée (secret ou absente)" if missing else "")
        )
        traces.append(
            dict(
                type="scatter",
                mode="markers",
                x=_list(part["indicateur_chomage_abc"]),
                y=_list(part["taux_pauvrete_60"]),
                text=_label(part),
                customdata=[fr_value(p, "habitants") for p in part["population"]],
                marker=dict(
                    size=_list(part["population"]),
                    sizemode="area",
                    sizeref=sizeref,
                    sizemin=4,
                    color=PALETTE[0],
                    opacity=0.6,
                    line=dict(color="#333", width=1),
                ),
                name=f"Millésime {int(millesime)}",
                hovertemplate="%{text}<br>Indicateur de chômage : %{x:.1f} %<br>Taux de pauvreté : %{y:.1f} %"
                "<br>Population : %{customdata}<extra></extra>",
                visible=i == 0,
            )
        )
    layout = dict(
        title=_title(titles[0]),
        xaxis=dict(
            title=dict(
                text="Indicateur de chômage : demandeurs A, B, C pour 100 habitants de 15 à 64 ans (%)"
            )
        ),
        yaxis=dict(title=dict(text="Taux de pauvreté au seuil de 60 % (%)")),
        showlegend=False,
        height=600,
        updatemenus=_selector(titles, len(traces)) if len(traces) > 1 else [],
        margin=dict(l=60, r=30, t=120, b=60),
    )
    return build(traces, layout, validate)


# the two references of a gap to the commune, never mixed (marts.ecarts_qpv.perimetre_reference)
PERIMETRES = {
    "ensemble": (
        "Écart de chaque quartier à l'ensemble de sa commune",
        "écart à l'ensemble de la commune",
        "Écart à l'ensemble de la commune, tous ses ménages (points pour un %)",
    ),
    "qpv": (
        "Écart de chaque quartier aux quartiers prioritaires de sa commune",
        "écart aux quartiers prioritaires de la commune",
        "Écart au regroupement des quartiers prioritaires de la commune (points pour un %)",
    ),
}


def ecarts_commune(
    df: pd.DataFrame,
    dico: pd.DataFrame,
    order: list[str],
    n: int = 30,
    validate: bool = True,
    perimetre: str = "qpv",
) -> go.Figure:
    """Gap of each QPV to its whole commune (perimetre 'ensemble', same year of data) or to the QPV of its commune
    ('qpv'), points for a %, one trace per (indicator, geography, edition) with a selector; blue above the
    reference, orange below. df: marts.ecarts_qpv rows with type_reference = 'commune' (code_qp, lib_qp,
    lib_reference, geographie, millesime, indicateur, ecart, unite_ecart; annee_reference and perimetre_reference
    when present: only the rows of `perimetre` are drawn)."""
    titre, ecart_label, axe = PERIMETRES[perimetre]
    data = df[df["indicateur"].isin(dico.index)]
    if "perimetre_reference" in data:
        data = data[data["perimetre_reference"] == perimetre]
    if data.empty:
        return _empty(titre, "Aucun écart calculable", validate)
    traces, titles, max_bars = [], [], 1
    for indicateur, geographie, millesime in _combos(data, order):
        part = data[
            (data["indicateur"] == indicateur)
            & (data["geographie"] == geographie)
            & (data["millesime"] == millesime)
        ]
        published = part[part["ecart"].notna()]
        if published.empty:
            continue
        shown, note = _keep_extremes(published, "ecart", n)
        shown = shown.sort_values("ecart")
        unite = str(shown["unite_ecart"].iloc[0])
        libelle = dico.loc[indicateur, "libelle"]
        missing = len(part) - len(published)
        annees = (
            sorted({int(a) for a in part["annee_reference"].dropna()}) if "annee_reference" in part else []
        )
        donnees = f" (données {', '.join(map(str, annees))})" if annees else ""
        max_bars = max(max_bars, len(shown))
        titles.append(
            f"{libelle}<br>{GEOGRAPHIE_COURTE.get(geographie, geographie)}, millésime {millesime}{donnees} — "
            f"{ecart_label} ({unite}){note}"
            + (f" — {missing} écart(s) non calculable(s) (secret)" if missing else "")
        )
        traces.append(
            dict(
                type="bar",
                orientation="h",
                x=_list(shown["ecart"]),
                y=[f"{lab} — {com}" for lab, com in zip(_label(shown), shown["lib_reference"], strict=True)],
                marker=dict(color=[ABOVE if e >= 0 else BELOW for e in shown["ecart"]]),
                name=str(libelle),
                hovertemplate=f"%{{y}}<br>Écart : %{{x:+.1f}} {unite}<extra></extra>",
                visible=not traces,
            )
        )
    if not traces:
        return _empty(titre, "Aucun écart calculable", validate)
    layout = dict(
        title=_title(titles[0]),
        xaxis=dict(title=dict(text=axe), zeroline=True),
        yaxis=dict(automargin=True, dtick=1, tickfont=dict(size=11)),
        height=max(450, 22 * max_bars + 220),
        showlegend=False,
        updatemenus=_selector(titles, len(traces)) if len(traces) > 1 else [],
        margin=dict(l=60, r=30, t=120, b=60),
    )
    return build(traces, layout, validate)
