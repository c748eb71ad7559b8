"""The fictional territory of the demo: 2 départements, 3 EPCI, 8 communes, QPV 2015 and 2024 perimeters.

Everything here is invented (names, commune codes in the unused 59901-59903 / 62951-62955 ranges, QPV codes
in numbers unused by the real lists, EPCI SIREN numbers). Only the département and région names and codes,
and the SIREN numbers of their councils, are real reference values.

Layout: each département has a lattice of candidate sites 1,500 m apart; a commune is a rectangle of
4 x 3 lattice cells. A QPV sits on a lattice point (radius <= ~560 m, so neighbours never overlap;
`check_layout` verifies it); one 2024 QPV straddles the border between 59901 and 59902 (it merges two 2015
QPV, one of which already crossed that border). 2024 QPV marked I keep their 2015 outline, M ones are a scaled/shifted version of it, N ones are
new in 2024; R marks 2015 QPV dropped from the 2024 list.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass, field

from pipelines.domain.demo import geo

SPACING = 1_500.0  # metres between lattice points
CELLS_X, CELLS_Y = 4, 3  # lattice cells per commune


@dataclass(frozen=True)
class Departement:
    code: str
    name: str
    reg_code: str
    reg_name: str
    council_siren: str  # SIREN of the conseil départemental (real reference value)
    reg_council_siren: str
    origin: geo.Point  # lon/lat of lattice point (0, 0)


@dataclass(frozen=True)
class Epci:
    siren: str
    name: str


@dataclass(frozen=True)
class Commune:
    code: str
    name: str  # with accents and article (LIBELLE)
    dep: str
    epci: str  # SIREN
    cell: tuple[int, int]  # lower-left lattice cell index (in units of CELLS_X, CELLS_Y)
    pop_outside_qpv: int  # inhabitants outside the 2015 QPV; see Territory.population
    tncc: str = "0"
    iris_grid: tuple[int, int] = (3, 2)  # IRIS per commune (columns, rows); (1, 1) = a single "0000" IRIS
    postal_code: str = ""

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in metres in the département lattice frame."""
        cx, cy = self.cell
        xmin = (cx * CELLS_X - 0.5) * SPACING
        ymin = (cy * CELLS_Y - 0.5) * SPACING
        return xmin, ymin, xmin + CELLS_X * SPACING, ymin + CELLS_Y * SPACING

    def contains(self, x: float, y: float) -> bool:
        xmin, ymin, xmax, ymax = self.bbox
        return xmin <= x < xmax and ymin <= y < ymax

    @property
    def single_iris(self) -> bool:
        return self.iris_grid == (1, 1)

    def iris_code(self, x: float, y: float) -> str:
        """IRIS code (commune + 4 digits) of a point of the commune: a grid of rectangles."""
        if self.single_iris:
            return self.code + "0000"
        xmin, ymin, xmax, ymax = self.bbox
        nx, ny = self.iris_grid
        i = min(nx - 1, int((x - xmin) / (xmax - xmin) * nx))
        j = min(ny - 1, int((y - ymin) / (ymax - ymin) * ny))
        return f"{self.code}{j + 1:02d}{i + 1:02d}"

    def iris_codes(self) -> list[str]:
        if self.single_iris:
            return [self.code + "0000"]
        nx, ny = self.iris_grid
        return [f"{self.code}{j + 1:02d}{i + 1:02d}" for j in range(ny) for i in range(nx)]

    @property
    def ncc(self) -> str:
        """Upper case, no accents, hyphens and apostrophes as spaces (COG `NCC`)."""
        return ascii_upper(self.name).replace("-", " ").replace("'", " ")


def ascii_upper(text: str) -> str:
    """Upper case without accents, as SIRENE and the COG write names."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()


DEPARTEMENTS: tuple[Departement, ...] = (
    Departement("59", "Nord", "32", "Hauts-de-France", "225900018", "200053742", (3.865, 50.205)),
    Departement("62", "Pas-de-Calais", "32", "Hauts-de-France", "226200012", "200053742", (2.545, 50.395)),
)

EPCIS: tuple[Epci, ...] = (
    Epci("200099901", "CA du Val de Sambre-Fictif"),
    Epci("200099919", "CA Artois-Terrils-Fictif"),
    Epci("200099927", "CC des Marais de Norvic-Fictif"),
)

COMMUNES: tuple[Commune, ...] = (
    Commune("59901", "Maubreuil-sur-Sambre", "59", "200099901", (0, 0), 38_400, postal_code="59991"),
    Commune("59902", "Fontaine-les-Forges", "59", "200099901", (1, 0), 24_900, postal_code="59992"),
    Commune("59903", "Ferrière-la-Haute", "59", "200099901", (0, 1), 17_300, postal_code="59993"),
    Commune("62951", "Valmont-en-Artois", "62", "200099919", (0, 0), 52_600, postal_code="62991"),
    Commune("62952", "Courbois-les-Mines", "62", "200099919", (1, 0), 31_200, postal_code="62992"),
    Commune("62953", "Saint-Aubin-des-Terrils", "62", "200099919", (2, 0), 21_800, postal_code="62993"),
    Commune("62954", "Brémont-la-Plaine", "62", "200099927", (0, 1), 14_700, postal_code="62994"),
    Commune(
        "62955", "Norvic-en-Artois", "62", "200099927", (1, 1), 7_900, postal_code="62995", iris_grid=(1, 1)
    ),
)

# Communes déléguées of the commune nouvelle 59903 (COG rows of type COMD; one keeps the parent's code).
COMMUNES_DELEGUEES: tuple[tuple[str, str, str], ...] = (
    ("59903", "Ferrière-la-Haute", "59903"),
    ("59904", "Ferrière-la-Basse", "59903"),
)

QPV_NAMES: tuple[str, ...] = (
    "Les Tilleuls", "Quartier de la Gare d'Eau", "Le Faubourg du Canal", "Les Forges", "Cité des Hirondelles",
    "Le Plateau des Glycines", "Les Hauts de la Sablière", "Résidence du Moulin Neuf", "La Briqueterie",
    "Les Terrasses du Beffroi", "Cité de la Fosse Sept", "Le Clos des Aubépines", "Les Jardins de l'Écluse",
    "Le Pont-Levis", "Les Coteaux Fleuris", "La Verrerie Blanche", "Champ de Foire Sud", "Les Peupliers Bleus",
    "Le Marais du Halage", "Cité des Ateliers", "Les Hauts-Prés", "La Filature", "Le Carré des Lilas",
    "Les Sablons Verts", "Quartier des Tisserands", "Le Val des Saules", "Cité du Chevalement",
    "La Butte aux Alouettes", "Le Nouveau Mail", "Les Bruyères du Terril", "Le Hameau des Brasseurs",
    "Quartier du Lavoir", "Les Allées du Bosquet", "La Sucrerie", "Le Domaine des Cerisiers",
    "Les Prés de la Sambre", "Le Coron des Mésanges", "Les Rives de l'Helpe", "Les Hauts du Moulin à Vent",
    "Cité du Vieux Terril", "Les Courtils", "Le Champ des Alouettes Bleues", "Les Jardins Ouvriers du Nord",
    "La Cour des Tanneurs", "Le Mail des Platanes", "Les Lauriers Roses", "Quartier des Brodeuses",
    "Cité de l'Ancienne Sucrerie", "Le Val Fleuri d'Artois", "Les Prés Communaux", "La Motte aux Chênes",
    "Le Clos des Vanneurs", "Cité des Dentellières", "Le Haut-Fourneau",
)  # fmt: skip


@dataclass
class Qpv:
    """One QPV perimeter (2015 or 2024 geography). Geometry is kept in metres and in lon/lat."""

    code: str
    name: str
    dep: str
    communes: list[str]  # INSEE codes, sorted
    center: geo.Point  # metres, département lattice frame
    parts_m: list[geo.Ring]  # open rings, counter-clockwise, metres
    parts_lonlat: list[geo.Ring] = field(default_factory=list)  # closed rings, 5-decimal lon/lat
    population: int = 0
    density: float = 0.0  # inhabitants per km² (shared by a 2015 QPV and its 2024 successor)
    predecessors: list[str] = field(default_factory=list)  # 2015 codes (2024 QPV only)
    letter: str = ""  # 2024 suffix M / I / N

    @property
    def area_m2(self) -> float:
        return sum(geo.ring_area(r) for r in self.parts_m)

    @property
    def extent(self) -> float:
        """Radius of the disc around `center` containing every part."""
        return max(geo.max_radius(self.center, r) for r in self.parts_m)

    def geojson_coordinates(self) -> list[list[list[list[float]]]]:
        return [[[list(p) for p in ring]] for ring in self.parts_lonlat]

    def contains_lonlat(self, lon: float, lat: float) -> bool:
        return geo.point_in_multipolygon((lon, lat), [[ring] for ring in self.parts_lonlat])


@dataclass
class Territory:
    departements: tuple[Departement, ...]
    epcis: tuple[Epci, ...]
    communes: tuple[Commune, ...]
    qpv2015: list[Qpv]
    qpv2024: list[Qpv]

    def population(self, commune_code: str) -> int:
        """Commune population: outside the QPV plus its share of the 2015 QPV (split evenly when shared)."""
        inside = sum(q.population / len(q.communes) for q in self.qpv2015 if commune_code in q.communes)
        return self.commune(commune_code).pop_outside_qpv + int(round(inside))

    def commune(self, code: str) -> Commune:
        return next(c for c in self.communes if c.code == code)

    def departement(self, code: str) -> Departement:
        return next(d for d in self.departements if d.code == code)

    def epci(self, siren: str) -> Epci:
        return next(e for e in self.epcis if e.siren == siren)

    def commune_at(self, dep: str, x: float, y: float) -> Commune | None:
        return next((c for c in self.communes if c.dep == dep and c.contains(x, y)), None)

    def to_lonlat(self, dep: str, x: float, y: float) -> geo.Point:
        return geo.local_to_lonlat(self.departement(dep).origin, x, y)


@dataclass(frozen=True)
class _Site:
    """A place on the lattice and what happens there between 2015 and 2024."""

    dep: str
    lattice: tuple[float, float]
    kind: str  # "I" unchanged, "M" modified, "N" new in 2024, "R" removed in 2024
    two_parts: bool = False


# Lattice points used, per département (kind, lattice point). The 59 border site is built separately.
_SITES_59: tuple[_Site, ...] = (
    _Site("59", (1, 1), "I"),
    _Site("59", (6, 1), "M"),
    _Site("59", (1, 4), "R"),
    _Site("59", (3, 4), "M"),
    _Site("59", (1, 0), "N"),
)
_SITE_SLOTS_62 = ((0, 0), (2, 0), (1, 1), (3, 1), (0, 2), (2, 2))  # within one commune's 4 x 3 cells
_KINDS_62 = (
    "M", "I", "M", "M", "R", "M",  # 62951
    "M", "M", "I", "N", "M", "M",  # 62952
    "I", "M", "M", "M", "M", "R",  # 62953
    "M", "I", "M", "N", "M", "I",  # 62954
    "M", "N", "M",                 # 62955 (3 sites)
)  # fmt: skip


def _sites_62() -> list[_Site]:
    sites = []
    communes_62 = [c for c in COMMUNES if c.dep == "62"]
    k = 0
    for commune in communes_62:
        slots = _SITE_SLOTS_62 if commune.code != "62955" else _SITE_SLOTS_62[:3]
        for sx, sy in slots:
            lattice = (commune.cell[0] * CELLS_X + sx, commune.cell[1] * CELLS_Y + sy)
            sites.append(_Site("62", lattice, _KINDS_62[k], two_parts=(k == 7)))
            k += 1
    return sites


def _lonlat_ring(dep: Departement, ring: geo.Ring) -> geo.Ring:
    out = [geo.local_to_lonlat(dep.origin, x, y) for x, y in ring]
    return geo.close_ring([(round(lon, 5), round(lat, 5)) for lon, lat in out])


def _communes_of(qpv: Qpv) -> list[str]:
    """Communes whose rectangle contains a vertex or the center of the QPV."""
    found = set()
    for ring in qpv.parts_m:
        for x, y in [*ring, qpv.center]:
            for c in COMMUNES:
                if c.dep == qpv.dep and c.contains(x, y):
                    found.add(c.code)
    return sorted(found)


def _site_parts(rng: random.Random, center: geo.Point, radius: float, two_parts: bool) -> list[geo.Ring]:
    if two_parts:
        r = min(radius, 190.0)
        return [
            geo.star_polygon(rng, (center[0] - 250, center[1] + 40), (r, r * 0.9), n_vertices=8),
            geo.star_polygon(rng, (center[0] + 260, center[1] - 30), (r * 0.85, r * 0.8), n_vertices=8),
        ]
    squash = rng.uniform(0.75, 1.0)
    axes = (radius, radius * squash) if rng.random() < 0.5 else (radius * squash, radius)
    return [geo.star_polygon(rng, center, axes, n_vertices=rng.choice((8, 9, 10, 12)))]


def build_territory(seed: int) -> Territory:
    """All perimeters, codes and populations of the demo territory (deterministic for a seed)."""
    rng = random.Random(f"{seed}/territory")
    names = list(QPV_NAMES)
    rng.shuffle(names)
    deps = {d.code: d for d in DEPARTEMENTS}
    qpv2015: list[Qpv] = []
    qpv2024: list[Qpv] = []
    # Next 2015 and 2024 numbers per département (the 59 border site below takes QP059901/02 and QN05995M).
    counters = {"59": [903, 96], "62": [901, 70]}

    def new_codes(dep: str, kind: str) -> tuple[str | None, str | None]:
        c15 = c24 = None
        if kind != "N":
            c15 = f"QP0{dep}{counters[dep][0]:03d}"
            counters[dep][0] += 1
        if kind != "R":
            c24 = f"QN0{dep}{counters[dep][1]:02d}{kind}"
            counters[dep][1] += 1
        return c15, c24

    # 1. The 59 border site: two 2015 QPV (the western one already crosses the commune border) merged in 2024.
    border_x = CELLS_X * SPACING - 0.5 * SPACING  # x of the 59901 | 59902 border
    cy = 1 * SPACING
    west = Qpv(
        "QP059901", names.pop(), "59", [], (border_x - 200, cy),
        [geo.star_polygon(rng, (border_x - 200, cy), (380, 260), n_vertices=10, jitter=0.05)],
    )  # fmt: skip
    east = Qpv(
        "QP059902", names.pop(), "59", [], (border_x + 560, cy),
        [geo.star_polygon(rng, (border_x + 560, cy), (230, 240), n_vertices=9, jitter=0.05)],
    )  # fmt: skip
    merged_center = (border_x + 150, cy)
    merged = Qpv(
        "QN05995M", names.pop(), "59", [], merged_center,
        [geo.star_polygon(rng, merged_center, (720, 330), n_vertices=12, jitter=0.05)],
        predecessors=["QP059901", "QP059902"], letter="M",
    )  # fmt: skip
    qpv2015 += [west, east]
    qpv2024.append(merged)

    # 2. Lattice sites.
    sites = list(_SITES_59) + _sites_62()
    # The last two sites that exist in 2015 get tiny outlines: they become the two smallest QPV.
    small_sites = [i for i, s in enumerate(sites) if s.kind != "N"][-2:]
    for index, site in enumerate(sites):
        center = (site.lattice[0] * SPACING, site.lattice[1] * SPACING)
        radius = rng.uniform(190, 500) if index not in small_sites else rng.uniform(120, 135)
        parts = _site_parts(rng, center, radius, site.two_parts)
        c15, c24 = new_codes(site.dep, site.kind)
        name = names.pop()
        if c15:
            if site.kind == "M":
                scale = rng.uniform(0.88, 1.06)
                shift = (rng.uniform(-0.08, 0.08) * radius, rng.uniform(-0.08, 0.08) * radius)
                parts15 = [geo.transform_ring(p, center, scale, shift) for p in parts]
            else:
                parts15 = [list(p) for p in parts]
            qpv2015.append(Qpv(c15, name, site.dep, [], center, parts15))
        if c24:
            renamed = site.kind == "M" and rng.random() < 0.3
            name24 = f"{name} - {names.pop()}" if renamed else name
            qpv2024.append(
                Qpv(
                    c24,
                    name24,
                    site.dep,
                    [],
                    center,
                    parts,
                    predecessors=[c15] if c15 else [],
                    letter=site.kind,
                )
            )

    # 3. Communes, lon/lat rings, populations (density shared between a 2015 QPV and its successor).
    density15: dict[str, float] = {}
    for q in qpv2015:
        q.communes = _communes_of(q)
        q.parts_lonlat = [_lonlat_ring(deps[q.dep], r) for r in q.parts_m]
        q.density = rng.uniform(10_000, 18_000)
        density15[q.code] = q.density
        q.population = int(round(q.area_m2 / 1e6 * q.density, -1) + rng.randint(-9, 9))
    for q in qpv2024:
        q.communes = _communes_of(q)
        q.parts_lonlat = [_lonlat_ring(deps[q.dep], r) for r in q.parts_m]
        known = [density15[c] for c in q.predecessors]
        q.density = sum(known) / len(known) if known else rng.uniform(10_000, 18_000)
        q.population = int(round(q.area_m2 / 1e6 * q.density, -1) + rng.randint(-9, 9))
    qpv2015.sort(key=lambda q: q.code)
    qpv2024.sort(key=lambda q: q.code)
    territory = Territory(DEPARTEMENTS, EPCIS, COMMUNES, qpv2015, qpv2024)
    check_layout(territory)
    return territory


def check_layout(territory: Territory) -> None:
    """Guards the invariants the tests and the ingestion rely on (raises AssertionError otherwise)."""
    for layer in (territory.qpv2015, territory.qpv2024):
        for i, a in enumerate(layer):
            if not a.communes:
                raise AssertionError(f"{a.code} lies outside every commune")
            for b in layer[i + 1 :]:
                if a.dep == b.dep:
                    gap = math.dist(a.center, b.center) - a.extent - b.extent
                    if gap < 50:
                        raise AssertionError(f"{a.code} and {b.code} may overlap (gap {gap:.0f} m)")
            for ring in a.parts_lonlat:
                if geo.signed_area(ring) <= 0:
                    raise AssertionError(f"{a.code}: outer ring is not counter-clockwise")
