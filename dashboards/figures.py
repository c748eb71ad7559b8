"""Pure figure functions: a DataFrame in, a plotly Figure out. French labels, French number format."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

FRENCH_LAYOUT = dict(
    separators=", ",  # decimal comma, thin space between thousands
    template="plotly_white",
    font=dict(family="Marianne, Arial, sans-serif", size=13),
    margin=dict(l=60, r=30, t=70, b=60),
)


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=16))
    fig.update_layout(title=title, xaxis_visible=False, yaxis_visible=False, **FRENCH_LAYOUT)
    return fig


def _edition(df: pd.DataFrame, millesime: int) -> str:
    """'2021 (données 2017)' when the frame has the year of the data (annee_reference) of that edition, else '2021'."""
    if "annee_reference" not in df:
        return str(int(millesime))
    annees = sorted({int(a) for a in df.loc[df["millesime"] == millesime, "annee_reference"].dropna()})
    if not annees:
        return str(int(millesime))
    return f"{int(millesime)} (données {' et '.join(str(a) for a in annees)})"


def distribution_pauvrete(df: pd.DataFrame, libelle: str = "Taux de pauvreté (seuil 60 %)") -> go.Figure:
    """Box plot of the poverty rate of every QPV, one box per edition."""
    title = f"{libelle} des quartiers, par millésime"
    data = df.dropna(subset=["taux_pauvrete_60"])
    if data.empty:
        return _empty(title, "Aucune valeur publiée")
    fig = go.Figure()
    for millesime, part in data.groupby("millesime", sort=True):
        fig.add_trace(
            go.Box(
                y=part["taux_pauvrete_60"],
                name=_edition(data, millesime),
                boxpoints="outliers",
                text=part["lib_qp"] + " (" + part["code_qp"] + ")",
                hovertemplate="%{text}<br>%{y:.1f} %<extra>Millésime %{x}</extra>",
            )
        )
    fig.update_layout(
        title=title,
        xaxis_title="Millésime (publication ANCT/ONPV)",
        yaxis_title=f"{libelle} (%)",
        showlegend=False,
        **FRENCH_LAYOUT,
    )
    return fig


def classement_pauvrete(df: pd.DataFrame, n: int = 25) -> go.Figure:
    """The `n` QPV with the highest poverty rate in the latest edition."""
    data = df.dropna(subset=["taux_pauvrete_60"])
    if data.empty:
        return _empty("Quartiers les plus pauvres", "Aucune valeur publiée")
    latest = int(data["millesime"].max())
    top = data[data["millesime"] == latest].nlargest(n, "taux_pauvrete_60").iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=top["taux_pauvrete_60"],
            y=top["lib_qp"] + " (" + top["code_qp"] + ")",
            orientation="h",
            customdata=top[["revenu_median_uc"]],
            hovertemplate="%{y}<br>Taux de pauvreté : %{x:.1f} %<br>"
            "Revenu médian : %{customdata[0]:,.0f} €<extra></extra>",
            marker_color="#000091",
        )
    )
    fig.update_layout(
        title=f"Les {len(top)} quartiers au taux de pauvreté le plus élevé (millésime {_edition(data, latest)})",
        xaxis_title="Taux de pauvreté au seuil de 60 % (%)",
        height=max(400, 22 * len(top) + 150),
        **FRENCH_LAYOUT,
    )
    return fig


def pauvrete_revenu(df: pd.DataFrame) -> go.Figure:
    """Poverty rate against median disposable income, latest edition."""
    data = df.dropna(subset=["taux_pauvrete_60", "revenu_median_uc"])
    if data.empty:
        return _empty("Pauvreté et revenu médian", "Aucune valeur publiée")
    latest = int(data["millesime"].max())
    part = data[data["millesime"] == latest]
    fig = go.Figure(
        go.Scatter(
            x=part["revenu_median_uc"],
            y=part["taux_pauvrete_60"],
            mode="markers",
            text=part["lib_qp"] + " (" + part["code_qp"] + ")",
            hovertemplate="%{text}<br>Revenu médian : %{x:,.0f} €<br>Taux de pauvreté : %{y:.1f} %<extra></extra>",
            marker=dict(size=7, opacity=0.7, color="#e1000f"),
        )
    )
    fig.update_layout(
        title=f"Taux de pauvreté et revenu disponible médian par quartier (millésime {_edition(data, latest)})",
        xaxis_title="Revenu disponible médian par unité de consommation (€ par an)",
        xaxis_tickformat=",.0f",  # 12 000, not 12k
        yaxis_title="Taux de pauvreté au seuil de 60 % (%)",
        **FRENCH_LAYOUT,
    )
    return fig
