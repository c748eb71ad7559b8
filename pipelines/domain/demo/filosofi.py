"""INSEE Filosofi of whole territories: FILO<year>_DISP_{COM,EPCI,DEP,REG,METROPOLE}.csv, in the real layouts.

Years: the Filosofi years the demo REVN editions carry (edition N carries Filosofi N - 4, see
sql/seeds/annees_reference.csv): 2013, 2015 and 2017 for REVN 2017, 2019 and 2021, so that every demo QPV has
whole-territory references of its year.
Quirks of the real files (layouts.filo_layout, ../shared/data/SOURCES.md §6): BOM, CRLF, `;`, decimal comma, no final
line break; 2013 in the 2014 layout (PTSAC13 where later files have PACT / PTSA / PCHO; no real 2013 file is staged);
2015 counts written with a decimal (`308,0`, persons sometimes `245,5`); every 2017 file ends each line with 69 empty
fields, and there is no 2017 commune file (as in the real data).

Territories and values (plausible, coherent, deterministic for a seed):
- communes: the demo communes in the commune map of the file's year. Ferrière-la-Basse (59904), a commune déléguée of
  the commune nouvelle 59903 in the COG, is a commune of its own in the files before MERGED_FROM; with about 440
  fiscal households it gets only the counts and the median (secret statistique: under 1,000 households and 2,000
  persons). A commune's median is above the median of each of its QPV (the REVN values of the edition that carries
  the year) and falls with the share of its population living in QPV; its share of social benefits (PPSOC) is
  under each of its QPV's (the same for the EPCI, département, région and France);
- EPCI: the three demo EPCI, their counts the sums of their communes', their median near the households' mean of
  their communes' medians;
- départements 59, 62 and the DOM the real file has (972, 974); régions 32 and Martinique 02, La Réunion 04 (current
  codes, which look like département codes; a one-département région has its département's values); France
  métropolitaine, one row with CODGEO 1. Orders of magnitude of the real territories, not their values.
Deciles increase (D1 < D2 < D3 < D4 < Q2 < D6 < … < D9, Q1 between D2 and D3, Q3 between D7 and D8); the shares of
income sum to 100 (PACT + PPEN + PPAT + PPSOC + PIMPOT, PACT = PTSA + PCHO + PBEN, PTSAC = PTSA + PCHO, PPSOC = PPFAM +
PPMINI + PPLOGT, each within rounding).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pipelines.domain.demo.anct import AnctData
from pipelines.domain.demo.formats import BOM, fr_number
from pipelines.domain.demo.layouts import (
    ANCT_EDITIONS,
    FILO_LEVELS,
    FILO_TERRITOIRES_FOLDER,
    FILO_WITHOUT_COMMUNE_FILE,
    FILOSOFI_LAG,
    FiloLayout,
    filo_layout,
)
from pipelines.domain.demo.territory import COMMUNES_DELEGUEES, Territory

FORMER_COMMUNE = "59904"  # Ferrière-la-Basse, merged into 59903 (see COMMUNES_DELEGUEES)
FORMER_COMMUNE_POPULATION = 1_060
# The Filosofi files of this year on (commune map of 1 January 2017 on) have the merged commune only.
MERGED_FROM = 2016
SECRET_HOUSEHOLDS, SECRET_PERSONS = 1_000, 2_000  # under both: only the counts and the median are published
BASE_YEAR = 2013
MEDIAN_GROWTH, HOUSEHOLD_GROWTH = 0.012, 0.003  # a year

# Large territories in BASE_YEAR: code -> (level, name, fiscal households, persons per household, median €/UC,
# poverty index 0-1 (shares of benefits and taxes), inequality (spread of the deciles around the median)).
# Names of 59, 62 and 32 come from the territory; a région of one département shares its values (same key).
_LARGE: dict[str, tuple[str, str, int, float, float, float, float]] = {
    "59": ("DEP", "", 1_028_000, 2.44, 18_450, 0.45, 0.99),
    "62": ("DEP", "", 588_000, 2.46, 17_700, 0.5, 0.93),
    "972": ("DEP", "Martinique", 151_000, 2.28, 16_900, 0.6, 1.16),
    "974": ("DEP", "La Réunion", 305_000, 2.78, 14_350, 0.8, 1.12),
    "02": ("REG", "Martinique", 151_000, 2.28, 16_900, 0.6, 1.16),
    "04": ("REG", "La Réunion", 305_000, 2.78, 14_350, 0.8, 1.12),
    "32": ("REG", "", 2_392_000, 2.45, 18_600, 0.45, 0.97),
    "1": ("METROPOLE", "France métropolitaine", 26_780_000, 2.33, 20_150, 0.3, 1.0),
}
_SAME_VALUES = {"02": "972", "04": "974"}

# Deciles and quartiles relative to the median for an inequality of 1 (about France métropolitaine's).
_RATIOS = {"D1": 0.525, "D2": 0.67, "D3": 0.79, "D4": 0.895, "D6": 1.115, "D7": 1.26, "D8": 1.465, "D9": 1.84}
_AMOUNTS = ("Q1", "Q2", "Q3", "Q3_Q1", "D1", "D2", "D3", "D4", "D6", "D7", "D8", "D9")
_SHARES = (
    "PACT",
    "PTSA",
    "PCHO",
    "PTSAC",
    "PBEN",
    "PPEN",
    "PPAT",
    "PPSOC",
    "PPFAM",
    "PPMINI",
    "PPLOGT",
    "PIMPOT",
)


def filosofi_years() -> tuple[int, ...]:
    """The Filosofi years of the demo: those the demo REVN editions carry."""
    return tuple(edition - FILOSOFI_LAG for edition in ANCT_EDITIONS)


@dataclass(frozen=True)
class Area:
    """One territory in one year, before formatting."""

    code: str
    name: str
    households: int
    persons: float
    uc: float
    median: float
    poor: float
    inequality: float
    key: str  # random stream of its values (territories with the same values share it)
    benefits_ceiling: float | None = None  # PPSOC stays under the share of the territory's QPV with the least


def _median_floor(rng: random.Random, qpv_medians: list[float], low: float, high: float) -> float:
    """A median above every QPV median of the territory (by low to high euros); 0 without QPV."""
    return max(qpv_medians) + rng.uniform(low, high) if qpv_medians else 0.0


def _counts(persons: float, per_household: float, year: int) -> tuple[int, float, float]:
    """Households, persons (half units in the 2015 layout, whole otherwise) and consumption units."""
    persons = round(persons * 2) / 2 if filo_layout(year).count_decimals else float(round(persons))
    households = round(persons / per_household)
    uc = round(persons / (1 + 0.2 * per_household), 1)  # bigger households, more persons per UC
    return households, persons, uc


class _Builder:
    def __init__(self, territory: Territory, anct: AnctData, seed: int):
        self.territory, self.anct, self.seed = territory, anct, seed

    def qpv_values(self, year: int, communes: set[str], column: str = "DISP_Q2") -> list[float]:
        """True REVN values of the QPV of these communes, in the edition that carries Filosofi `year`."""
        records = self.anct.records.get(year + FILOSOFI_LAG, {}).get("REVN", {})
        return [
            float(records[q.code][column])
            for q in self.territory.qpv2015
            if set(q.communes) & communes and q.code in records
        ]

    def benefits_ceiling(self, year: int, communes: set[str]) -> float | None:
        """Under the social benefits share (PPSOC) of every QPV of these communes: a whole territory relies less on
        benefits than its quartiers prioritaires."""
        shares = self.qpv_values(year, communes, "PPSOC")
        return min(shares) - 0.6 if shares else None

    def large(self, code: str, year: int, qpv_communes: set[str]) -> Area:
        level, name, households, per_household, median, poor, inequality = _LARGE[code]
        key = _SAME_VALUES.get(code, code)
        rng = random.Random(f"{self.seed}/filosofi/{key}/{year}")
        if not name:
            if level == "DEP":
                name = self.territory.departement(code).name
            else:
                name = next(d.reg_name for d in self.territory.departements if d.reg_code == code)
        n = year - BASE_YEAR
        households = round(households * (1 + HOUSEHOLD_GROWTH) ** n * rng.uniform(0.998, 1.002))
        persons = households * per_household * rng.uniform(0.997, 1.003)
        median = median * (1 + MEDIAN_GROWTH) ** n * rng.uniform(0.997, 1.003)
        median = max(median, _median_floor(rng, self.qpv_values(year, qpv_communes), 500, 900))
        hh, persons, uc = _counts(persons, persons / households, year)
        ceiling = self.benefits_ceiling(year, qpv_communes)
        return Area(code, name, hh, persons, uc, median, poor, inequality, key, ceiling)

    def communes(self, year: int) -> list[Area]:
        """The communes of the file of `year` (its commune map), with their true values."""
        dep_medians = {
            d.code: self.large(
                d.code, year, {c.code for c in self.territory.communes if c.dep == d.code}
            ).median
            for d in self.territory.departements
        }
        out = []
        for c in self.territory.communes:
            trait = random.Random(f"{self.seed}/filosofi/commune/{c.code}")
            level, spread, size = (
                trait.uniform(0.97, 1.03),
                trait.uniform(0.9, 1.0),
                trait.uniform(-0.05, 0.05),
            )
            rng = random.Random(f"{self.seed}/filosofi/commune/{c.code}/{year}")
            population = self.territory.population(c.code) * (1 + 0.002 * (year - 2015))
            qpvs = [q for q in self.territory.qpv2015 if c.code in q.communes]
            share = sum(q.population / len(q.communes) for q in qpvs) / self.territory.population(c.code)
            if year < MERGED_FROM and c.code == _parent(FORMER_COMMUNE):
                population -= FORMER_COMMUNE_POPULATION
                share = share * self.territory.population(c.code) / population
                out.append(self.former_commune(year, dep_medians[c.dep]))
            per_household = 2.2 + 0.45 * share + size
            median = dep_medians[c.dep] * (1.08 - 0.3 * share) * level
            median = max(median, _median_floor(rng, self.qpv_values(year, {c.code}), 500, 1100))
            hh, persons, uc = _counts(population * rng.uniform(0.975, 0.99), per_household, year)
            poor = min(1.0, 0.2 + 0.75 * share)
            ceiling = self.benefits_ceiling(year, {c.code})
            out.append(
                Area(
                    c.code,
                    c.name,
                    hh,
                    persons,
                    uc,
                    median,
                    poor,
                    spread + 0.1 * share,
                    f"com{c.code}",
                    ceiling,
                )
            )
        return sorted(out, key=lambda a: a.code)

    def former_commune(self, year: int, dep_median: float) -> Area:
        rng = random.Random(f"{self.seed}/filosofi/commune/{FORMER_COMMUNE}/{year}")
        name = next(n for code, n, _ in COMMUNES_DELEGUEES if code == FORMER_COMMUNE)
        hh, persons, uc = _counts(FORMER_COMMUNE_POPULATION * rng.uniform(0.975, 0.99), 2.4, year)
        median = dep_median * 1.09 * rng.uniform(0.98, 1.02)
        return Area(FORMER_COMMUNE, name, hh, persons, uc, median, 0.2, 0.9, f"com{FORMER_COMMUNE}")

    def epcis(self, year: int, communes: list[Area]) -> list[Area]:
        out = []
        for e in self.territory.epcis:
            members = {c.code for c in self.territory.communes if c.epci == e.siren}
            if year < MERGED_FROM and _parent(FORMER_COMMUNE) in members:
                members.add(FORMER_COMMUNE)
            areas = [a for a in communes if a.code in members]
            households = sum(a.households for a in areas)

            def mean(attribute: str, areas: list[Area] = areas, households: int = households) -> float:
                return sum(getattr(a, attribute) * a.households for a in areas) / households

            rng = random.Random(f"{self.seed}/filosofi/epci/{e.siren}/{year}")
            median = mean("median") * rng.uniform(0.99, 1.01)
            median = max(median, _median_floor(rng, self.qpv_values(year, members), 300, 700))
            persons = sum(a.persons for a in areas)
            uc = round(sum(a.uc for a in areas), 1)
            out.append(
                Area(
                    e.siren,
                    e.name,
                    households,
                    persons,
                    uc,
                    median,
                    mean("poor"),
                    mean("inequality"),
                    e.siren,
                    self.benefits_ceiling(year, members),
                )
            )
        return sorted(out, key=lambda a: a.code)

    def areas(self, year: int) -> dict[str, list[Area]]:
        communes = self.communes(year)
        all_communes = {c.code for c in self.territory.communes}
        by_level: dict[str, list[Area]] = {"COM": communes, "EPCI": self.epcis(year, communes)}
        for level in ("DEP", "REG", "METROPOLE"):
            areas = []
            for code, spec in _LARGE.items():
                if spec[0] != level:
                    continue
                if level == "DEP":
                    inside = {c.code for c in self.territory.communes if c.dep == code}
                elif level == "REG":
                    deps = {d.code for d in self.territory.departements if d.reg_code == code}
                    inside = {c.code for c in self.territory.communes if c.dep in deps}
                else:
                    inside = all_communes
                areas.append(self.large(code, year, inside))
            by_level[level] = sorted(areas, key=lambda a: a.code)
        return by_level


def _parent(code: str) -> str:
    return next(parent for c, _, parent in COMMUNES_DELEGUEES if c == code)


def area_values(area: Area, year: int, seed: int) -> dict[str, float | None]:
    """Every column (names without the year) of one territory; None = withheld."""
    rng = random.Random(f"{seed}/filosofi/values/{area.key}/{year}")
    q2 = area.median
    v: dict[str, float | None] = {"NBMEN": area.households, "NBPERS": area.persons, "NBUC": area.uc, "Q2": q2}
    for name, ratio in _RATIOS.items():
        v[name] = q2 * (1 + (ratio - 1) * area.inequality) * rng.uniform(0.995, 1.005)
    v["Q1"] = v["D2"] + 0.52 * (v["D3"] - v["D2"])
    v["Q3"] = v["D7"] + 0.45 * (v["D8"] - v["D7"])
    v["Q3_Q1"] = v["Q3"] - v["Q1"]
    rd = v["D9"] / v["D1"]
    v["RD"] = rd
    v["S80S20"] = rd * (1.1 + 0.04 * rd) * rng.uniform(0.99, 1.01)
    v["GI"] = 0.1 + 0.055 * rd + rng.uniform(-0.004, 0.004)
    # composition of income: a trait of the territory (drawn once), drifting a little from year to year
    traits = random.Random(f"{seed}/filosofi/traits/{area.key}")
    poor = area.poor

    def share(base: float, spread: float) -> float:
        return base + traits.uniform(-spread, spread) + rng.uniform(-spread, spread) / 4

    v["PPEN"] = share(27, 3)
    v["PPAT"] = share(11 - 5 * poor, 1)
    v["PPFAM"] = share(1.8 + 1.5 * poor, 0.2)
    v["PPMINI"] = share(1.0 + 4 * poor, 0.2)
    v["PPLOGT"] = share(0.9 + 2.8 * poor, 0.2)
    if area.benefits_ceiling is not None:  # under the share of the territory's QPV
        benefits = v["PPFAM"] + v["PPMINI"] + v["PPLOGT"]
        scale = min(1.0, area.benefits_ceiling / benefits)
        v["PPFAM"], v["PPMINI"], v["PPLOGT"] = (v[k] * scale for k in ("PPFAM", "PPMINI", "PPLOGT"))
    v["PPSOC"] = v["PPFAM"] + v["PPMINI"] + v["PPLOGT"]
    v["PIMPOT"] = -share(18.5 - 7 * poor, 0.8)
    v["PACT"] = 100 - v["PPEN"] - v["PPAT"] - v["PPSOC"] - v["PIMPOT"]
    v["PBEN"] = share(5 - 1.5 * poor, 1.5)
    v["PCHO"] = share(2.6 + 1.8 * poor, 0.3)
    v["PTSA"] = v["PACT"] - v["PBEN"] - v["PCHO"]
    v["PTSAC"] = v["PTSA"] + v["PCHO"]
    if area.households < SECRET_HOUSEHOLDS and area.persons < SECRET_PERSONS:
        v = {k: (x if k in ("NBMEN", "NBPERS", "NBUC", "Q2") else None) for k, x in v.items()}
    return v


def format_value(layout: FiloLayout, name: str, value: float | None) -> str:
    if value is None:
        return ""
    if name in ("NBMEN", "NBPERS"):
        return fr_number(value, layout.count_decimals)
    if name == "NBUC":
        return fr_number(value, 1)
    if name in _AMOUNTS:
        if layout.amount_decimals:
            return fr_number(value, layout.amount_decimals)
        return fr_number(round(value / layout.amount_step) * layout.amount_step)
    if name == "S80S20":
        return fr_number(value, layout.s80s20_decimals)
    if name == "GI":
        return fr_number(value, layout.gi_decimals)
    if name == "RD" or name in _SHARES:
        return fr_number(value, 1)
    raise ValueError(f"unknown Filosofi column {name}")


def render_file(layout: FiloLayout, areas: list[Area], seed: int) -> bytes:
    """One FILO<year>_DISP_<level>.csv: BOM, CRLF, `;`, decimal comma, trailing empty fields, no final newline."""
    padding = [""] * (layout.total_fields - len(layout.columns))
    lines = [";".join(layout.header())]
    for area in areas:
        values = area_values(area, layout.year, seed)
        cells = [area.code, area.name]
        cells += [format_value(layout, name, values[name]) for name in layout.columns[2:]]
        lines.append(";".join(cells + padding))
    return (BOM + "\r\n".join(lines)).encode("utf-8")


def filosofi_territoires_files(territory: Territory, anct: AnctData, seed: int) -> dict[str, bytes]:
    """Relative path -> bytes of every FILO<year>_DISP_<level>.csv of the demo."""
    builder = _Builder(territory, anct, seed)
    files = {}
    for year in filosofi_years():
        layout = filo_layout(year)
        areas = builder.areas(year)
        for level in FILO_LEVELS:
            if level == "COM" and year in FILO_WITHOUT_COMMUNE_FILE:
                continue
            files[f"{FILO_TERRITOIRES_FOLDER}/{layout.filename(level)}"] = render_file(
                layout, areas[level], seed
            )
    return files
