"""Synthetic SIRENE stocks (units, establishments) and the geolocation file, plus the ESS ground truth.

Establishments are placed in the fictional communes: a good share inside the 2024 QPV polygons (well away
from their edges), the others outside every 2024 QPV, and about 5 % with `qualite_xy` 33 (random point in the
commune, some of which fall inside a QPV on purpose: they must be excluded from QPV counts). `plg_qp24` and
`plg_qp15` are computed by point in polygon on the coordinates as written, so they agree with the geometry.

Ground truth (`ess_truth`, truth.json → "qpv2024"): per 2024 QPV, the active located establishments, the ESS
ones with their jobs by basis, family and NAF section, the private employers' jobs, and creations per year.

ESS rule (DOMAIN.md §3): legal category in the ESS list and NAF not excluded, or
`economieSocialeSolidaireUniteLegale = 'O'`. Units whose category is in the list carry the same NAF on every
establishment, so the rule gives the same answer with the unit's or the establishment's NAF.
`activitePrincipaleNAF25*` values are placeholders (the NAF rév. 2 code), not the official correspondence.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from pipelines.domain.demo import geo
from pipelines.domain.demo.ids import commune_siren, luhn_complete
from pipelines.domain.demo.layouts import (
    GEOLOC_HEADER,
    STOCK_ETABLISSEMENT_HEADER,
    STOCK_UNITE_LEGALE_HEADER,
    TRANCHES_EFFECTIFS,
)
from pipelines.domain.demo.territory import Commune, Qpv, Territory, ascii_upper

# --- ESS reference (DOMAIN.md §3, candidate lists [à vérifier]) -------------------------------------------


def _codes(*ranges: tuple[int, int]) -> frozenset[str]:
    return frozenset(str(c) for low, high in ranges for c in range(low, high + 1))


ESS_CATEGORIES = _codes(
    (9210, 9260), (9300, 9300), (8210, 8210), (8250, 8250), (8290, 8290), (6411, 6411), (5191, 5196),
    (5432, 5432), (5458, 5460), (5551, 5560), (5651, 5660), (6316, 6318),
)  # fmt: skip
ESS_EXCLUDED_NAF = frozenset({"94.11Z", "94.12Z", "94.20Z", "94.91Z", "94.92Z"})


def naf_excluded(naf: str) -> bool:
    return naf.startswith("84.") or naf in ESS_EXCLUDED_NAF


def ess_basis(categorie: str, naf: str, flag: str | None) -> str | None:
    """'cj', 'flag', 'both' or None (not ESS)."""
    by_cj = categorie in ESS_CATEGORIES and not naf_excluded(naf)
    by_flag = flag == "O"
    if by_cj and by_flag:
        return "both"
    return "cj" if by_cj else ("flag" if by_flag else None)


# --- Unit kinds --------------------------------------------------------------------------------------------

TRANCHE_EI = {"NN": 60, "00": 25, "01": 12, "02": 3}
TRANCHE_SME = {"NN": 10, "00": 15, "01": 25, "02": 20, "03": 13, "11": 10, "12": 6, "21": 1}
TRANCHE_ASSO = {"NN": 30, "00": 10, "01": 15, "02": 14, "03": 10, "11": 10, "12": 7, "21": 3, "22": 1}
TRANCHE_BIG = {"02": 10, "03": 15, "11": 25, "12": 25, "21": 15, "22": 7, "31": 2, "32": 1}
TRANCHE_PUBLIC = {"03": 10, "11": 25, "12": 30, "21": 20, "22": 10, "31": 3, "32": 2}

NAF_EI = ("47.11B", "56.10C", "96.02A", "43.21A", "43.32A", "49.32Z", "86.21Z", "86.23Z", "62.01Z", "45.20A",
          "81.21Z", "74.90B", "47.82Z", "85.59B", "88.91A")  # fmt: skip
NAF_COMPANY = ("56.10A", "47.11B", "41.20A", "45.20A", "81.21Z", "62.01Z", "47.73Z", "49.41A", "43.21A",
               "47.11F", "10.71C", "68.31Z", "86.90D")  # fmt: skip
NAF_SOCIAL_COMPANY = ("88.99B", "38.32Z", "81.21Z", "56.29A")
NAF_ASSO = (
    "88.10A",
    "88.99B",
    "93.12Z",
    "94.99Z",
    "85.59A",
    "90.01Z",
    "88.91A",
    "87.30A",
    "88.99A",
    "93.29Z",
)
NAF_EXCLUDED = ("94.11Z", "94.12Z", "94.20Z", "94.91Z", "94.92Z")
NAF_PUBLIC_ESTABLISHMENTS = ("84.11Z", "84.11Z", "85.20Z", "88.91A", "93.11Z", "91.01Z")


@dataclass(frozen=True)
class UnitKind:
    key: str
    categorie: str
    weight: float
    nafs: tuple[str, ...]
    tranches: dict[str, int]
    flags: dict[str | None, int]
    establishments: dict[int, int]  # number of establishments -> weight
    in_qpv: float  # probability that an establishment is placed inside a QPV 2024


UNIT_KINDS: tuple[UnitKind, ...] = (
    UnitKind("ei", "1000", 40, NAF_EI, TRANCHE_EI, {None: 1}, {1: 92, 2: 8}, 0.35),
    UnitKind("sci", "6540", 5, ("68.20B",), {"NN": 8, "00": 2}, {None: 1}, {1: 1}, 0.25),
    UnitKind("sarl", "5499", 13, NAF_COMPANY, TRANCHE_SME, {None: 8, "N": 2}, {1: 75, 2: 18, 3: 7}, 0.35),
    UnitKind("sas", "5710", 13, NAF_COMPANY, TRANCHE_SME, {None: 8, "N": 2}, {1: 70, 2: 20, 3: 10}, 0.35),
    UnitKind("sas_ess", "5710", 1.2, NAF_SOCIAL_COMPANY, TRANCHE_SME, {"O": 1}, {1: 70, 2: 30}, 0.5),
    UnitKind("asso", "9220", 17, NAF_ASSO, TRANCHE_ASSO, {None: 6, "O": 3, "N": 1}, {1: 75, 2: 18, 3: 7}, 0.5),
    UnitKind("asso_exclue", "9220", 1.5, NAF_EXCLUDED, TRANCHE_ASSO, {None: 1}, {1: 1}, 0.5),
    UnitKind("asso_exclue_o", "9220", 0.5, NAF_EXCLUDED, TRANCHE_ASSO, {"O": 1}, {1: 1}, 0.5),
    UnitKind("fondation", "9300", 0.6, ("88.99B", "87.30A", "86.10Z"), TRANCHE_BIG, {None: 1, "O": 1}, {1: 2, 2: 1}, 0.4),
    UnitKind("mutuelle", "8210", 0.5, ("65.12Z", "86.21Z", "47.78A"), TRANCHE_SME, {"O": 1, None: 1}, {1: 2, 2: 1}, 0.4),
    UnitKind("scop_sa", "5458", 0.5, ("43.21A", "62.01Z", "71.12B"), TRANCHE_SME, {None: 1, "O": 1}, {1: 1}, 0.4),
    UnitKind("scop_sarl", "5560", 0.5, ("43.32A", "56.10A", "81.30Z"), TRANCHE_SME, {None: 1, "O": 1}, {1: 1}, 0.4),
    UnitKind("coop_agricole", "6317", 0.3, ("46.21Z", "01.61Z"), TRANCHE_SME, {None: 1}, {1: 1}, 0.2),
    UnitKind("hlm", "5546", 0.3, ("68.20A",), TRANCHE_BIG, {None: 1}, {2: 1, 3: 1, 4: 1}, 0.7),
)  # fmt: skip
COMMUNE_KIND = UnitKind("commune", "7210", 0, ("84.11Z",), TRANCHE_PUBLIC, {None: 1}, {1: 1}, 0.35)
N_UNITS = 2_300  # besides one unit per commune (categorie 7210, NAF 84.11Z)
QUARTIER_KIND = UnitKind(
    "asso_quartier", "9220", 0, ("88.99B", "94.99Z", "85.59A"), {"02": 2, "03": 1}, {"O": 1}, {1: 1}, 1.0
)
QUARTIER_ASSOCIATIONS = 12  # per QPV and geography, active, address-level coordinates

QUALITE_XY = {"11": 55, "12": 15, "21": 15, "22": 10, "33": 5}
VOIE_TYPES = ("RUE", "RUE", "RUE", "AV", "BD", "PL", "CHE", "ALL", "IMP", "RTE", "SQ", "CITE")
VOIE_NAMES = ("DE LA REPUBLIQUE", "DU MOULIN", "DES ECOLES", "DE LA GARE", "DU CANAL", "DES FORGES",
              "DU 8 MAI 1945", "DE LA LIBERTE", "DES LILAS", "DU STADE", "DE L EGLISE", "DU MARAIS",
              "DES ACACIAS", "DU BEFFROI", "DES TISSERANDS", "DU CHEVALEMENT", "DES PEUPLIERS", "DU HALAGE")  # fmt: skip
SYLLABLES = ("MAR", "DU", "VAL", "LE", "BER", "TIN", "CHA", "RON", "GAU", "DIN", "LO", "RAN", "PE", "TIT",
             "BOU", "VIER", "FON", "TAI", "NE", "QUE", "MO", "REL", "SAN", "DRO")  # fmt: skip
PRENOMS = {"M": ("JEAN", "KARIM", "THOMAS", "LUCAS", "DAVID", "MEHDI", "PIERRE", "YANNICK"),
           "F": ("MARIE", "NADIA", "SOPHIE", "FATIMA", "INES", "CELINE", "AMINATA", "JULIE")}  # fmt: skip
ASSO_PREFIXES = ("AMICALE DES LOCATAIRES", "CENTRE SOCIAL", "CLUB SPORTIF", "AIDE A DOMICILE", "ECOLE DE MUSIQUE",
                 "ATELIER CHANTIER D INSERTION", "JARDINS PARTAGES", "MAISON DES JEUNES", "COMITE DES FETES")  # fmt: skip
STOCK_DATE = "2025-12-01"


def _pick(rng: random.Random, weights: dict) -> object:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _fictional_word(rng: random.Random, parts: int = 3) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts))


def _date(rng: random.Random, first_year: int, last_year: int) -> str:
    year = rng.randint(first_year, last_year)
    return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _creation_year(rng: random.Random) -> int:
    return max(1950, 2025 - int(rng.expovariate(1 / 11)))


@dataclass
class Unit:
    siren: str
    kind: UnitKind
    categorie: str
    naf: str
    flag: str | None
    etat: str
    tranche: str
    diffusion: str
    created: str
    name: dict[str, str]
    establishments: list[Establishment] = field(default_factory=list)


@dataclass
class Establishment:
    siret: str
    nic: str
    unit: Unit
    etat: str
    tranche: str
    naf: str
    created: str
    siege: bool
    commune: Commune
    lon: float
    lat: float
    x: float
    y: float
    qualite_xy: str
    qp24: str
    qp15: str
    iris: str
    address: dict[str, str]


@dataclass
class SireneData:
    units: list[Unit]
    establishments: list[Establishment]


class _Placer:
    """Draws establishment locations in the fictional communes."""

    def __init__(self, territory: Territory, rng: random.Random):
        self.t = territory
        self.rng = rng
        self.communes = list(territory.communes)
        self.weights = [territory.population(c.code) for c in self.communes]

    def commune(self) -> Commune:
        return self.rng.choices(self.communes, weights=self.weights)[0]

    def qpvs_of(self, commune: Commune) -> list[Qpv]:
        return [q for q in self.t.qpv2024 if commune.code in q.communes]

    def inside(self, qpv: Qpv) -> tuple[float, float]:
        part = self.rng.choices(qpv.parts_m, weights=[geo.ring_area(p) for p in qpv.parts_m])[0]
        center = (sum(x for x, _ in part) / len(part), sum(y for _, y in part) / len(part))
        return geo.sample_inside(self.rng, center, part)

    def outside(self, commune: Commune) -> tuple[float, float]:
        xmin, ymin, xmax, ymax = commune.bbox
        for _ in range(1_000):
            x, y = self.rng.uniform(xmin + 30, xmax - 30), self.rng.uniform(ymin + 30, ymax - 30)
            if all(
                math.dist((x, y), q.center) > q.extent + 120 for q in self.t.qpv2024 if q.dep == commune.dep
            ):
                return x, y
        raise RuntimeError(f"no room outside the QPV in {commune.code}")

    def anywhere(self, commune: Commune) -> tuple[float, float]:
        xmin, ymin, xmax, ymax = commune.bbox
        return self.rng.uniform(xmin + 30, xmax - 30), self.rng.uniform(ymin + 30, ymax - 30)

    def place(
        self, in_qpv: float, commune: Commune | None = None
    ) -> tuple[Commune, str, tuple[float, float]]:
        """(commune, qualite_xy, local metres) of a new establishment, in `commune` or a random one."""
        commune = commune or self.commune()
        qualite = str(_pick(self.rng, QUALITE_XY))
        qpvs = self.qpvs_of(commune)
        if qualite == "33":
            if qpvs and self.rng.random() < 0.3:
                xy = self.inside(self.rng.choice(qpvs))
            else:
                xy = self.anywhere(commune)
        elif qpvs and self.rng.random() < in_qpv:
            xy = self.inside(self.rng.choices(qpvs, weights=[q.area_m2 for q in qpvs])[0])
        else:
            xy = self.outside(commune)
        located = self.t.commune_at(commune.dep, *xy)
        if located is None:
            raise RuntimeError("establishment placed outside every commune")
        return located, qualite, xy


def _unit_name(rng: random.Random, kind: UnitKind, commune: Commune, diffusion: str) -> dict[str, str]:
    if kind.categorie == "1000":
        sexe = rng.choice("MF")
        prenom = rng.choice(PRENOMS[sexe])
        nom = _fictional_word(rng, rng.choice((2, 3)))
        if diffusion == "P":
            return {"sexe": "[ND]", "nom": "[ND]", "prenom1": "[ND]", "prenomUsuel": "[ND]"}
        return {"sexe": sexe, "nom": nom, "prenom1": prenom, "prenomUsuel": prenom}
    word = _fictional_word(rng)
    place = ascii_upper(commune.name).replace("-", " ")
    if kind.categorie.startswith("92") or kind.categorie == "9300":
        prefix = "FONDATION" if kind.categorie == "9300" else rng.choice(ASSO_PREFIXES)
        return {"denomination": f"{prefix} {word} {place}"}
    if kind.categorie == "8210":
        return {"denomination": f"MUTUELLE {word} DU NORD FICTIF"}
    if kind.categorie == "5546":
        return {"denomination": f"{word} HABITAT FICTIF"}
    if kind.categorie == "6540":
        return {"denomination": f"SCI {word}"}
    return {
        "denomination": f"{word} {rng.choice(('SERVICES', 'BATIMENT', 'DISTRIBUTION', 'CONSEIL', 'ET FILS'))}"
    }


def build_sirene(territory: Territory, seed: int) -> SireneData:
    """Units and establishments (deterministic for a seed)."""
    rng = random.Random(f"{seed}/sirene")
    placer = _Placer(territory, rng)
    used_siren = {commune_siren(c.code) for c in territory.communes} | {e.siren for e in territory.epcis}
    units: list[Unit] = []
    establishments: list[Establishment] = []

    def new_siren() -> str:
        while True:
            siren = luhn_complete(str(rng.randint(30_000_000, 99_999_999)))
            if siren not in used_siren:
                used_siren.add(siren)
                return siren

    def add_establishment(
        unit: Unit,
        rank: int,
        active: bool,
        tranche: str,
        naf: str,
        in_qpv: float,
        where: Commune | None = None,
        inside: Qpv | None = None,
    ) -> None:
        if inside is None:
            commune, qualite, (xm, ym) = placer.place(in_qpv, where)
        else:  # a neighbourhood association, at an address inside the given QPV
            xm, ym = placer.inside(inside)
            commune, qualite = territory.commune_at(inside.dep, xm, ym), "11"
            if commune is None:
                raise RuntimeError(f"point inside {inside.code} outside every commune")
        lon, lat = territory.to_lonlat(commune.dep, xm, ym)
        lon, lat = round(lon, 6), round(lat, 6)
        x, y = geo.lambert93(lon, lat)
        qp24 = next((q.code for q in territory.qpv2024 if q.contains_lonlat(lon, lat)), "")
        qp15 = next((q.code for q in territory.qpv2015 if q.contains_lonlat(lon, lat)), "")
        nic = luhn_complete(unit.siren + f"{rank:04d}")[9:]
        created = unit.created if rank == 1 else _date(rng, int(unit.created[:4]), 2025)
        voie = rng.randrange(len(VOIE_NAMES))
        numero = str(rng.randint(1, 180)) if rng.random() < 0.9 else ""
        address = {
            "numero": numero,
            "indice": "B" if numero and rng.random() < 0.03 else "",
            "type": rng.choice(VOIE_TYPES),
            "libelle": VOIE_NAMES[voie],
            "id": f"{commune.code}_{voie + 1:04d}_{int(numero or 0):05d}" if rng.random() < 0.85 else "",
        }
        establishments.append(
            Establishment(
                siret=unit.siren + nic,
                nic=nic,
                unit=unit,
                etat="A" if active else "F",
                tranche=tranche,
                naf=naf,
                created=created,
                siege=rank == 1,
                commune=commune,
                lon=lon,
                lat=lat,
                x=round(x, 1),
                y=round(y, 1),
                qualite_xy=qualite,
                qp24=qp24,
                qp15=qp15,
                iris=commune.iris_code(xm, ym),
                address=address,
            )  # fmt: skip
        )
        unit.establishments.append(establishments[-1])

    # One unit per commune (public law, NAF 84.11Z), with several establishments.
    for commune in territory.communes:
        unit = Unit(
            commune_siren(commune.code),
            COMMUNE_KIND,
            "7210",
            "84.11Z",
            None,
            "A",
            "22",
            "O",
            "1983-03-01",
            {"denomination": f"COMMUNE DE {commune.ncc}"},
        )
        units.append(unit)
        for rank in range(1, 4 + territory.population(commune.code) // 8_000 + 1):
            naf = "84.11Z" if rank == 1 else rng.choice(NAF_PUBLIC_ESTABLISHMENTS)
            active = rng.random() < 0.95 or rank == 1
            add_establishment(unit, rank, active, str(_pick(rng, TRANCHE_PUBLIC)), naf, 0.35, commune)

    kinds = list(UNIT_KINDS)
    for _ in range(N_UNITS):
        kind = rng.choices(kinds, weights=[k.weight for k in kinds])[0]
        naf = rng.choice(kind.nafs)
        ceased = rng.random() < 0.15
        year = _creation_year(rng)
        diffusion = "P" if kind.categorie == "1000" and rng.random() < 0.08 else "O"
        unit = Unit(
            siren=new_siren(), kind=kind, categorie=kind.categorie, naf=naf, flag=_pick(rng, kind.flags),
            etat="C" if ceased else "A", tranche="NN" if ceased else str(_pick(rng, kind.tranches)),
            diffusion=diffusion, created=_date(rng, year, year), name={},
        )  # fmt: skip
        unit.name = _unit_name(rng, kind, placer.commune(), diffusion)
        units.append(unit)
        for rank in range(1, int(_pick(rng, kind.establishments)) + 1):
            active = not ceased and (rank == 1 or rng.random() < 0.85)
            moved = kind.categorie == "1000" and rank == 2  # a sole trader who moved: the old place is closed
            if moved:
                active = not ceased
            tranche = unit.tranche if rank == 1 or moved else str(_pick(rng, kind.tranches))
            if not active and rng.random() < 0.7:
                tranche = "NN"
            same_naf = kind.categorie in ESS_CATEGORIES or unit.flag == "O" or rng.random() < 0.8
            add_establishment(
                unit, rank, active, tranche, naf if same_naf else rng.choice(kind.nafs), kind.in_qpv
            )
            if moved:
                old, new = unit.establishments
                old.etat, old.siege, new.siege = "F", False, True
    # Neighbourhood associations (centres sociaux, régies de quartier): QUARTIER_ASSOCIATIONS in every QPV of both
    # geographies, so that each demo QPV has ESS figures above the disclosure threshold. Drawn last: the random
    # units above are unchanged by them.
    for qpv in [*territory.qpv2015, *territory.qpv2024]:
        for _ in range(QUARTIER_ASSOCIATIONS):
            unit = Unit(
                siren=new_siren(), kind=QUARTIER_KIND, categorie="9220", naf=rng.choice(QUARTIER_KIND.nafs),
                flag="O", etat="A", tranche=str(_pick(rng, QUARTIER_KIND.tranches)), diffusion="O",
                created=_date(rng, 1985, 2015), name={},
            )  # fmt: skip
            unit.name = _unit_name(rng, QUARTIER_KIND, territory.commune(qpv.communes[0]), "O")
            units.append(unit)
            add_establishment(unit, 1, True, unit.tranche, unit.naf, 1.0, inside=qpv)
    return SireneData(units, establishments)


# --- Rows as the producer writes them ---------------------------------------------------------------------


def _stamp(rng: random.Random, first_year: int) -> str:
    return f"{_date(rng, max(first_year, 2015), 2025)}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"


def establishment_rows(data: SireneData, seed: int) -> list[list[str]]:
    """StockEtablissement rows in header order; empty string = missing value."""
    rng = random.Random(f"{seed}/sirene/etab_rows")
    rows = []
    for e in data.establishments:
        hidden = e.unit.diffusion == "P"
        nd = "[ND]"
        a = e.address
        debut = e.created if e.etat == "A" else _date(rng, int(e.created[:4]), 2025)
        values = {
            "siren": e.unit.siren, "nic": e.nic, "siret": e.siret, "statutDiffusionEtablissement": e.unit.diffusion,
            "dateCreationEtablissement": e.created, "trancheEffectifsEtablissement": e.tranche,
            "anneeEffectifsEtablissement": "" if e.tranche == "NN" else rng.choice(("2022", "2023")),
            "activitePrincipaleRegistreMetiersEtablissement": "",
            "dateDernierTraitementEtablissement": _stamp(rng, int(e.created[:4])),
            "etablissementSiege": "true" if e.siege else "false",
            "nombrePeriodesEtablissement": "1" if e.etat == "A" and rng.random() < 0.7 else str(rng.randint(2, 4)),
            "complementAdresseEtablissement": nd if hidden else "",
            "numeroVoieEtablissement": nd if hidden else a["numero"],
            "indiceRepetitionEtablissement": nd if hidden else a["indice"],
            "typeVoieEtablissement": nd if hidden else a["type"],
            "libelleVoieEtablissement": nd if hidden else a["libelle"],
            "codePostalEtablissement": e.commune.postal_code,
            "libelleCommuneEtablissement": ascii_upper(e.commune.name),
            "codeCommuneEtablissement": e.commune.code,
            "identifiantAdresseEtablissement": nd if hidden else a["id"],
            "coordonneeLambertAbscisseEtablissement": nd if hidden else f"{e.x:.1f}",
            "coordonneeLambertOrdonneeEtablissement": nd if hidden else f"{e.y:.1f}",
            "dateDebut": debut, "etatAdministratifEtablissement": e.etat,
            "activitePrincipaleEtablissement": e.naf, "nomenclatureActivitePrincipaleEtablissement": "NAFRev2",
            "caractereEmployeurEtablissement": "O" if e.etat == "A" and e.tranche not in ("NN", "00") else "N",
            "activitePrincipaleNAF25Etablissement": e.naf if e.etat == "A" else "",
        }  # fmt: skip
        rows.append([values.get(c, "") for c in STOCK_ETABLISSEMENT_HEADER])
    return rows


def unit_rows(data: SireneData, seed: int) -> list[list[str]]:
    """StockUniteLegale rows in header order."""
    rng = random.Random(f"{seed}/sirene/unit_rows")
    rows = []
    for u in data.units:
        siege = next((e for e in u.establishments if e.siege), u.establishments[0])
        employer = any(e.etat == "A" and e.tranche not in ("NN", "00") for e in u.establishments)
        categorie_entreprise = ""
        if u.etat == "A" and u.categorie != "7210":
            categorie_entreprise = "ETI" if u.tranche in ("31", "32", "41") else "PME"
        elif u.categorie == "7210":
            categorie_entreprise = "PME"
        values = {
            "siren": u.siren, "statutDiffusionUniteLegale": u.diffusion,
            "unitePurgeeUniteLegale": "true" if u.etat == "C" and u.created < "1990" else "",
            "dateCreationUniteLegale": u.created,
            "sexeUniteLegale": u.name.get("sexe", ""), "prenom1UniteLegale": u.name.get("prenom1", ""),
            "prenomUsuelUniteLegale": u.name.get("prenomUsuel", ""),
            "identifiantAssociationUniteLegale": (
                f"W{siege.commune.dep}2{u.siren[3:]}" if u.categorie.startswith("92") else ""
            ),
            "trancheEffectifsUniteLegale": u.tranche,
            "anneeEffectifsUniteLegale": "" if u.tranche == "NN" else "2023",
            "dateDernierTraitementUniteLegale": _stamp(rng, int(u.created[:4])),
            "nombrePeriodesUniteLegale": str(rng.randint(1, 5)),
            "categorieEntreprise": categorie_entreprise,
            "anneeCategorieEntreprise": "2022" if categorie_entreprise else "",
            "dateDebut": u.created if u.etat == "A" else _date(rng, int(u.created[:4]), 2025),
            "etatAdministratifUniteLegale": u.etat, "nomUniteLegale": u.name.get("nom", ""),
            "denominationUniteLegale": u.name.get("denomination", ""),
            "categorieJuridiqueUniteLegale": u.categorie, "activitePrincipaleUniteLegale": u.naf,
            "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2", "nicSiegeUniteLegale": siege.nic,
            "economieSocialeSolidaireUniteLegale": u.flag or "",
            "societeMissionUniteLegale": "N" if u.categorie in ("5710", "5499") and rng.random() < 0.3 else "",
            "caractereEmployeurUniteLegale": "O" if employer else "N",
            "activitePrincipaleNAF25UniteLegale": u.naf if u.etat == "A" else "",
        }  # fmt: skip
        rows.append([values.get(c, "") for c in STOCK_UNITE_LEGALE_HEADER])
    return rows


def geoloc_rows(data: SireneData) -> list[list[str]]:
    """Geolocation rows (x, y Lambert-93; latitude/longitude WGS84)."""
    rows = []
    quality = {"11": "1", "12": "1", "21": "2", "22": "2", "33": "3"}
    precision = {"11": 0.0, "12": 12.5, "21": 48.0, "22": 135.0}
    for e in data.establishments:
        q = quality[e.qualite_xy]
        values = {
            "siret": e.siret, "x": f"{e.x:.1f}", "y": f"{e.y:.1f}", "qualite_xy": e.qualite_xy, "epsg": "2154",
            "plg_qp24": e.qp24, "plg_iris": e.iris, "plg_zus": "", "plg_qp15": e.qp15, "plg_qva": "",
            "plg_code_commune": e.commune.code,
            "distance_precision": "" if e.qualite_xy == "33" else f"{precision[e.qualite_xy]:.1f}",
            "qualite_qp24": q, "qualite_iris": q, "qualite_zus": "", "qualite_qp15": q, "qualite_qva": "",
            "y_latitude": f"{e.lat:.6f}", "x_longitude": f"{e.lon:.6f}",
        }  # fmt: skip
        rows.append([values[c] for c in GEOLOC_HEADER])
    return rows


# --- Ground truth ------------------------------------------------------------------------------------------


ESS_FAMILIES = (
    ("association", _codes((9210, 9260))),
    ("fondation", _codes((9300, 9300))),
    ("mutuelle", _codes((8210, 8210), (8250, 8250), (8290, 8290), (6411, 6411))),
    ("cooperative", _codes((5191, 5196), (5432, 5432), (5458, 5460), (5551, 5560), (5651, 5660), (6316, 6318))),
)  # fmt: skip
# NAF rév. 2 sections by first and last division
NAF_SECTIONS = (
    ("A", 1, 3), ("B", 5, 9), ("C", 10, 33), ("D", 35, 35), ("E", 36, 39), ("F", 41, 43), ("G", 45, 47),
    ("H", 49, 53), ("I", 55, 56), ("J", 58, 63), ("K", 64, 66), ("L", 68, 68), ("M", 69, 75), ("N", 77, 82),
    ("O", 84, 84), ("P", 85, 85), ("Q", 86, 88), ("R", 90, 93), ("S", 94, 96), ("T", 97, 98), ("U", 99, 99),
)  # fmt: skip
FIRST_CREATION_YEAR = (
    2015  # creations are reported per complete year, from this one to the year before the stock
)


def ess_family(categorie: str) -> str:
    """Family of an ESS unit: by its legal category, else a commercial ESS company (flag only)."""
    return next((name for name, codes in ESS_FAMILIES if categorie in codes), "entreprise_ess")


def naf_section(naf: str) -> str | None:
    division = int(naf[:2])
    return next((s for s, first, last in NAF_SECTIONS if first <= division <= last), None)


def _private(categorie: str) -> bool:
    """Private-law legal unit (public bodies are the categories 4xxx and 7xxx)."""
    return categorie[0] not in "47"


def ess_truth(territory: Territory, data: SireneData) -> dict[str, dict]:
    """Per QPV 2024: active establishments located in it (qualite_xy != 33), ESS ones and their jobs by basis,
    family and NAF section (of the establishment), private employers' jobs, and establishment creations per year
    (any state, from FIRST_CREATION_YEAR to the year before the stock date)."""
    last_year = int(STOCK_DATE[:4]) - 1
    truth: dict[str, dict] = {
        q.code: {
            "etablissements_actifs": 0,
            "ess_etablissements": 0,
            "ess_emplois_bas": 0,
            "ess_emplois_central": 0.0,
            "ess_emplois_haut": 0,
            "ess_par_base": {"cj": 0, "flag": 0, "both": 0},
            "ess_par_famille": {},
            "ess_par_section": {},
            "emplois_prives_bas": 0,
            "emplois_prives_haut": 0,
            "creations_par_annee": {str(y): 0 for y in range(FIRST_CREATION_YEAR, last_year + 1)},
            "creations_ei_par_annee": {str(y): 0 for y in range(FIRST_CREATION_YEAR, last_year + 1)},
        }  # fmt: skip
        for q in territory.qpv2024
    }
    for e in data.establishments:
        if e.qualite_xy == "33" or not e.qp24:
            continue
        row = truth[e.qp24]
        year = e.created[:4]
        if year in row["creations_par_annee"]:
            row["creations_par_annee"][year] += 1
            row["creations_ei_par_annee"][year] += e.unit.categorie == "1000"
        if e.etat != "A":
            continue
        row["etablissements_actifs"] += 1
        low, high = TRANCHES_EFFECTIFS[e.tranche]
        if _private(e.unit.categorie):
            row["emplois_prives_bas"] += low
            row["emplois_prives_haut"] += high
        basis = ess_basis(e.unit.categorie, e.unit.naf, e.unit.flag)
        if basis is None:
            continue
        row["ess_etablissements"] += 1
        row["ess_emplois_bas"] += low
        row["ess_emplois_haut"] += high
        row["ess_emplois_central"] += (low + high) / 2
        row["ess_par_base"][basis] += 1
        family = ess_family(e.unit.categorie)
        row["ess_par_famille"][family] = row["ess_par_famille"].get(family, 0) + 1
        section = str(naf_section(e.naf))
        row["ess_par_section"][section] = row["ess_par_section"].get(section, 0) + 1
    return truth
