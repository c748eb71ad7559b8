"""Pure figure functions of the map page: a DataFrame in, a plotly Figure out (geo choropleth, offline).

The map draws the QPV 2024 perimeters (GeoJSON from `marts.qpv_perimetres`, outer rings clockwise) with three
traces sharing the same features: the published values on a colour-blind-safe sequential scale (Viridis, no grey in it), the
secret values in a neutral grey with a "secret" legend entry (never drawn as 0), and the QPV with no value for the
edition in a pale grey ("non disponible"). No basemap: plotly's world topojson would come from a CDN, so the page
declares an empty one (`GEO_ASSETS_SCRIPT`) and the geo layers are hidden.
"""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go

from dashboards.figures import FRENCH_LAYOUT

SECRET_COLOUR = "#8c8c8c"
ABSENT_COLOUR = "#e5e5e5"
PERIMETRE_COLOUR = "#6a6af4"  # the perimeters alone, no indicator
COLOURSCALE = "Viridis"

# Declared before plotly draws a geo figure: an empty world topojson, so plotly never fetches one from its CDN.
GEO_ASSETS_SCRIPT = (
    "<script>window.PlotlyGeoAssets = {topojson: "
    '{"world_110m": {"type": "Topology", "objects": {}, "arcs": []}}};</script>\n'
)


def format_fr(value: float | None, unite: str | None = None) -> str:
    """French number format: decimal comma, narrow no-break space between thousands, unit after a space
    (`41,1 %`, `13 474 €`); None → "secret" is the caller's business (here: "non disponible")."""
    if value is None or pd.isna(value):
        return "non disponible"
    unite = (unite or "").strip()
    if unite.startswith("€"):
        decimals = 0
    elif unite.startswith("%"):
        decimals = 1
    else:
        decimals = 0 if float(value).is_integer() else 1
    text = f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    if unite in ("", "nombre"):
        return text
    return f"{text}\u00a0{unite}"


def feature_collection(perimetres: pd.DataFrame) -> dict:
    """GeoJSON FeatureCollection of the perimeters (`code_qp`, `geometry` as GeoJSON text), id = code_qp."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": row.code_qp, "properties": {}, "geometry": json.loads(row.geometry)}
            for row in perimetres.itertuples(index=False)
            if isinstance(row.geometry, str)
        ],
    }


def selection_traces(perimetres: pd.DataFrame, valeurs: pd.DataFrame, unite: str, millesime: int) -> dict:
    """The three traces' data for one (indicator, edition): `valeurs` has code_qp, valeur, secret. Returns a dict
    with `valeurs` (locations, z, text), `secret` (locations, text), `absent` (locations, text) — also what the
    page's selector swaps in with Plotly.restyle."""
    noms = perimetres.set_index("code_qp")["lib_qp"].to_dict()
    part = valeurs[valeurs["code_qp"].isin(noms)]
    secret = part[part["secret"].fillna(False).astype(bool)]
    publie = part[~part["secret"].fillna(False).astype(bool) & part["valeur"].notna()]
    absent = [c for c in noms if c not in set(publie["code_qp"]) | set(secret["code_qp"])]

    def label(code: str, value: str) -> str:
        return f"{noms[code]} ({code})<br>{value}<br>Millésime {millesime}"

    return {
        "valeurs": {
            "locations": list(publie["code_qp"]),
            "z": [float(v) for v in publie["valeur"]],
            "text": [
                label(c, format_fr(v, unite))
                for c, v in zip(publie["code_qp"], publie["valeur"], strict=True)
            ],
        },
        "secret": {
            "locations": list(secret["code_qp"]),
            "text": [label(c, "secret (valeur non diffusée)") for c in secret["code_qp"]],
        },
        "absent": {"locations": absent, "text": [label(c, "non disponible") for c in absent]},
    }


def carte(
    perimetres: pd.DataFrame, valeurs: pd.DataFrame, libelle: str, unite: str, millesime: int
) -> go.Figure:
    """Choropleth of one indicator and edition on the QPV 2024 perimeters.

    perimetres: code_qp, lib_qp, geometry (GeoJSON text, clockwise outer rings); valeurs: code_qp, valeur, secret."""
    title = f"{libelle} — millésime {millesime}"
    geojson = feature_collection(perimetres)
    data = selection_traces(perimetres, valeurs, unite, millesime)
    fig = go.Figure()
    fig.add_trace(
        go.Choropleth(
            geojson=geojson,
            featureidkey="id",
            locations=data["valeurs"]["locations"],
            z=data["valeurs"]["z"],
            text=data["valeurs"]["text"],
            hovertemplate="%{text}<extra></extra>",
            colorscale=COLOURSCALE,
            marker_line=dict(color="#ffffff", width=0.5),
            colorbar=dict(title=dict(text=unite or ""), separatethousands=True),
            name=libelle,
            showlegend=False,
        )
    )
    for key, colour, name in (
        ("secret", SECRET_COLOUR, "secret"),
        ("absent", ABSENT_COLOUR, "non disponible"),
    ):
        locations = data[key]["locations"]
        fig.add_trace(
            go.Choropleth(
                geojson=geojson,
                featureidkey="id",
                locations=locations,
                z=[1] * len(locations),  # a flat colour: no value is drawn, only the grey of its category
                text=data[key]["text"],
                hovertemplate="%{text}<extra></extra>",
                colorscale=[[0, colour], [1, colour]],
                showscale=False,
                marker_line=dict(color="#ffffff", width=0.5),
                name=name,
                showlegend=True,
            )
        )
    fig.update_geos(
        visible=False,
        fitbounds="locations",
        projection_type="mercator",
        showland=False,
        showcountries=False,
        showcoastlines=False,
    )
    fig.update_layout(
        title=title,
        height=650,
        legend=dict(title=dict(text="Sans valeur"), x=0, y=0, bgcolor="rgba(255,255,255,0.8)"),
        **FRENCH_LAYOUT,
    )
    return fig


def perimetres_seuls(perimetres: pd.DataFrame) -> go.Figure:
    """The QPV 2024 perimeters alone, in one flat colour, zoomed on them (`fitbounds`): the map of a territory
    none of whose indicators is computed in the 2024 geography yet (e.g. the real extracts: no DEFM 2024, no
    SIRENE). perimetres: code_qp, lib_qp, lib_commune, geometry (GeoJSON text, clockwise outer rings)."""
    text = [
        f"{nom} ({code})" + (f"<br>{commune}" if isinstance(commune, str) and commune else "")
        for code, nom, commune in zip(
            perimetres["code_qp"], perimetres["lib_qp"], perimetres["lib_commune"], strict=True
        )
    ]
    fig = go.Figure(
        go.Choropleth(
            geojson=feature_collection(perimetres),
            featureidkey="id",
            locations=list(perimetres["code_qp"]),
            z=[1] * len(perimetres),
            text=text,
            hovertemplate="%{text}<extra></extra>",
            colorscale=[[0, PERIMETRE_COLOUR], [1, PERIMETRE_COLOUR]],
            showscale=False,
            marker_line=dict(color="#ffffff", width=0.5),
            name="périmètre QPV 2024",
            showlegend=False,
        )
    )
    fig.update_geos(
        visible=False,
        fitbounds="locations",
        projection_type="mercator",
        showland=False,
        showcountries=False,
        showcoastlines=False,
    )
    fig.update_layout(
        title=f"Périmètres des {len(perimetres)} quartiers prioritaires 2024", height=650, **FRENCH_LAYOUT
    )
    return fig
