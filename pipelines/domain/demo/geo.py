"""Small geometry toolkit for the demo: Lambert-93 projection, star-shaped polygons, point in polygon.

Pure functions on plain tuples; no GIS library is needed. Coordinates are (lon, lat) in degrees (CRS84
order, as in GeoJSON) or (x, y) in metres.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

Point = tuple[float, float]
Ring = list[Point]

# --- Lambert-93 (EPSG:2154): Lambert conformal conic, 2 standard parallels, GRS80 ellipsoid ---------------

_GRS80_A = 6_378_137.0
_GRS80_F = 1 / 298.257222101
_E = math.sqrt(2 * _GRS80_F - _GRS80_F**2)
_LAT0, _LON0 = math.radians(46.5), math.radians(3.0)
_LAT1, _LAT2 = math.radians(44.0), math.radians(49.0)
_X0, _Y0 = 700_000.0, 6_600_000.0


def _m(phi: float) -> float:
    return math.cos(phi) / math.sqrt(1 - (_E * math.sin(phi)) ** 2)


def _t(phi: float) -> float:
    esin = _E * math.sin(phi)
    return math.tan(math.pi / 4 - phi / 2) / ((1 - esin) / (1 + esin)) ** (_E / 2)


_N = (math.log(_m(_LAT1)) - math.log(_m(_LAT2))) / (math.log(_t(_LAT1)) - math.log(_t(_LAT2)))
_F = _m(_LAT1) / (_N * _t(_LAT1) ** _N)
_RHO0 = _GRS80_A * _F * _t(_LAT0) ** _N


def lambert93(lon: float, lat: float) -> Point:
    """WGS84/RGF93 longitude, latitude (degrees) -> Lambert-93 x, y (metres)."""
    rho = _GRS80_A * _F * _t(math.radians(lat)) ** _N
    theta = _N * (math.radians(lon) - _LON0)
    return _X0 + rho * math.sin(theta), _Y0 + _RHO0 - rho * math.cos(theta)


# --- Local metric frame -> lon/lat (equirectangular, fine over a few kilometres) ---------------------------

_M_PER_DEG_LAT = 111_200.0


def local_to_lonlat(origin: Point, x: float, y: float) -> Point:
    """Metres east/north of `origin` (lon, lat) -> (lon, lat)."""
    lon0, lat0 = origin
    return (
        lon0 + x / (_M_PER_DEG_LAT * math.cos(math.radians(lat0))),
        lat0 + y / _M_PER_DEG_LAT,
    )


# --- Polygons ---------------------------------------------------------------------------------------------


def star_polygon(
    rng: random.Random,
    center: Point,
    semi_axes: tuple[float, float],
    n_vertices: int = 10,
    jitter: float = 0.12,
) -> Ring:
    """Irregular polygon around `center` (metres), vertices at increasing angles: counter-clockwise, open.

    Each vertex lies on an ellipse of the given semi-axes, pushed in or out by up to `jitter`. The polygon is
    star-shaped with respect to its center (the fan triangles from the center cover it exactly).
    """
    cx, cy = center
    a, b = semi_axes
    ring: Ring = []
    for k in range(n_vertices):
        theta = 2 * math.pi * (k + rng.uniform(-0.2, 0.2)) / n_vertices
        r_ellipse = a * b / math.hypot(b * math.cos(theta), a * math.sin(theta))
        r = r_ellipse * (1 + rng.uniform(-jitter, jitter))
        ring.append((cx + r * math.cos(theta), cy + r * math.sin(theta)))
    return ring


def transform_ring(ring: Ring, center: Point, scale: float, shift: Point) -> Ring:
    """Scales `ring` about `center` and translates it by `shift` (metres)."""
    cx, cy = center
    return [(cx + (x - cx) * scale + shift[0], cy + (y - cy) * scale + shift[1]) for x, y in ring]


def close_ring(ring: Sequence[Point]) -> Ring:
    """The ring with its first point repeated at the end (GeoJSON linear ring)."""
    out = list(ring)
    if out[0] != out[-1]:
        out.append(out[0])
    return out


def signed_area(ring: Sequence[Point]) -> float:
    """Shoelace area; > 0 for a counter-clockwise ring. Works on open or closed rings."""
    pts = list(ring)
    if pts[0] == pts[-1]:
        pts = pts[:-1]
    return 0.5 * sum(
        pts[i][0] * pts[(i + 1) % len(pts)][1] - pts[(i + 1) % len(pts)][0] * pts[i][1]
        for i in range(len(pts))
    )


def point_in_ring(point: Point, ring: Sequence[Point]) -> bool:
    """Even-odd ray casting (the ring may be open or closed)."""
    x, y = point
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def point_in_multipolygon(point: Point, multipolygon: Sequence[Sequence[Sequence[Point]]]) -> bool:
    """GeoJSON MultiPolygon coordinates (outer ring then holes, per polygon)."""
    for polygon in multipolygon:
        if point_in_ring(point, polygon[0]) and not any(point_in_ring(point, hole) for hole in polygon[1:]):
            return True
    return False


def sample_inside(rng: random.Random, center: Point, ring: Ring, shrink: float = 0.75) -> Point:
    """A random point inside a star-shaped `ring`, kept away from its edges.

    A fan triangle (center, v_k, v_k+1) is drawn with probability proportional to its area, a point is drawn
    uniformly in it and pulled toward the center by `shrink`, so it stays at least (1 - shrink) of the
    center-to-edge distance inside.
    """
    cx, cy = center
    n = len(ring)
    areas = [
        abs((ring[k][0] - cx) * (ring[(k + 1) % n][1] - cy) - (ring[(k + 1) % n][0] - cx) * (ring[k][1] - cy))
        for k in range(n)
    ]
    k = rng.choices(range(n), weights=areas)[0]
    u, v = rng.random(), rng.random()
    if u + v > 1:
        u, v = 1 - u, 1 - v
    (ax, ay), (bx, by) = ring[k], ring[(k + 1) % n]
    px = cx + u * (ax - cx) + v * (bx - cx)
    py = cy + u * (ay - cy) + v * (by - cy)
    return cx + (px - cx) * shrink, cy + (py - cy) * shrink


def ring_area(ring: Sequence[Point]) -> float:
    """Unsigned area (square metres for a ring in metres)."""
    return abs(signed_area(ring))


def max_radius(center: Point, ring: Sequence[Point]) -> float:
    """Distance from `center` to the farthest vertex."""
    return max(math.hypot(x - center[0], y - center[1]) for x, y in ring)
