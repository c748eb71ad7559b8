"""Synthetic ANCT/ONPV per-QPV indicators (DEMO, REVN, IPRO and the raw data_DEMO variant), 2015 geography.

One "true" record per QPV and edition holds every indicator of the three families, so that shared columns
agree between files (A in DEMO and REVN, DEMO and data_DEMO of the same edition). The files are then cut from
these records with the layouts of `layouts.py`, with the producer's quirks; withheld values (secret
statistique) become blank cells. Invariants kept by construction: D1 < Q1 < Q2 < Q3 < D9, shares of income
sum to 100 (± rounding), APRES100 <= APRES50 <= A, ARSAS/APPA/AAAH <= A, A <= ABC <= ABCDE, sex and age
splits summing to their total, every rate in [0, 100].

Non-recours (take-up) is simulated, so that the estimators of docs/methodes/non_recours.md can be checked
against a known answer: per QPV, a number of households eligible to the RSA socle and to the prime d'activité
proportional to the poor population (TP60 × POP_MUN as written) times a QPV-specific eligibility factor, and a
QPV-specific non-recours rate; ARSAS and APPA are binomial draws of the claimants among the eligible. The
eligible households, the claimants and the true non-recours rate are returned apart (`AnctData.non_recours`)
and written to truth.json; nothing of them is in the producer files but ARSAS, APPA (and ARSA, derived).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pipelines.domain.demo.formats import BOM, NNBSP, fr_number
from pipelines.domain.demo.layouts import ALL, ANCT_EDITIONS, AnctLayout
from pipelines.domain.demo.territory import Territory

Record = dict[str, float | int | None]

TEXT_COLUMNS = frozenset({"CODGEO", "LIBGEO", "LIB_COM"})
RATE_COLUMNS = frozenset(
    {"PMIMP", "PART_CHOMPRINC", "BREV", "TP60", "PACT", "PPEN", "PPSOC", "PIMPOT", "PPAT", "IND_JEUNE",
     "DECUC_D1D9", "DISP_D1D9"}
)  # fmt: skip
# Never withheld here, so that the Ensemble row is exactly the sum of the visible QPV rows.
KEY_COLUMNS = frozenset({"POP_MUN", "POP_COM_QP", "POP_COM", "A", "APRES50", "ABC", "ABCDE"})
FILOSOFI_COLUMNS = frozenset(
    {"PMIMP", "PART_CHOMPRINC", "DECUC_Q2", "DECUC_Q1", "DECUC_Q3", "DECUC_D1", "DECUC_D9", "DECUC_D1D9",
     "DISP_Q2", "DISP_Q1", "DISP_Q3", "TP60", "DISP_D1", "DISP_D9", "DISP_D1D9", "PACT", "PPEN", "PPSOC",
     "PIMPOT", "PPAT"}
)  # fmt: skip
FRAGILE_COLUMNS = frozenset(
    {"TX_ET_EMPL", "TX_ET_EPREC", "TX_ET_EDLIM", "TX_TOT_ET", "TX_F_ET", "TX_F_60ETPLUS", "TX_TOT_MEN6",
     "EVOL_CA_N_E", "A_ETUD"}
)  # fmt: skip


def column_kind(name: str) -> str:
    """text | note | rate | amount | count (decides the number format)."""
    name = name.strip()
    if name in TEXT_COLUMNS:
        return "text"
    if name.startswith("NOTE_"):
        return "note"
    if name in RATE_COLUMNS or name.startswith(("TX_", "EVOL_")):
        return "rate"
    if name.startswith(("DECUC_", "DISP_")):
        return "amount"
    return "count"


def split_total(total: int, shares: list[float]) -> list[int]:
    """Integer parts of `total` proportional to `shares`, summing exactly to `total` (largest remainder)."""
    weight = sum(shares)
    raw = [total * s / weight for s in shares]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _r1(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return round(min(high, max(low, value)), 1)


@dataclass(frozen=True)
class Base:
    """Per-QPV traits drawn once; editions drift around them."""

    tp60: float
    growth: float
    tx_f: float
    young: float
    old: float
    men1: float
    men6: float
    foreign: float
    caf: float
    empl: float
    precarious: float
    seekers: float


def draw_base(rng: random.Random) -> Base:
    tp60 = rng.uniform(24, 66)
    return Base(
        tp60=tp60,
        growth=rng.uniform(-0.03, 0.03),
        tx_f=rng.uniform(50, 54),
        young=rng.uniform(31, 44),
        old=rng.uniform(11, 25),
        men1=rng.uniform(30, 52),
        men6=rng.uniform(2, 9),
        foreign=rng.uniform(4, 32),
        caf=rng.uniform(0.30, 0.40),
        empl=62 - 0.35 * tp60 + rng.uniform(-3, 3),
        precarious=rng.uniform(17, 32),
        seekers=0.075 + 0.0011 * (tp60 - 20) + rng.uniform(-0.01, 0.01),
    )


def _demo_values(rng: random.Random, b: Base, pop: int, k: int) -> Record:
    v: Record = {"POP_MUN": pop}
    v["TX_F"] = _r1(b.tx_f + rng.uniform(-0.6, 0.6))
    v["TX_TOT_0A24"] = _r1(b.young - 0.4 * k + rng.uniform(-0.8, 0.8))
    v["TX_F_0A24"] = _r1(v["TX_TOT_0A24"] - rng.uniform(0.5, 3))
    v["TX_TOT_60ETPLUS"] = _r1(b.old + 0.6 * k + rng.uniform(-0.8, 0.8))
    v["TX_F_60ETPLUS"] = _r1(v["TX_TOT_60ETPLUS"] + rng.uniform(1, 4))
    v["IND_JEUNE"] = round(v["TX_TOT_0A24"] * 0.78 / v["TX_TOT_60ETPLUS"], 1)
    v["TX_TOT_MEN1"] = _r1(b.men1 + rng.uniform(-1.5, 1.5))
    v["TX_TOT_MEN6"] = _r1(b.men6 + rng.uniform(-0.8, 0.8))
    v["TX_TOT_ET"] = _r1(b.foreign + 0.4 * k + rng.uniform(-1, 1))
    v["TX_F_ET"] = _r1(v["TX_TOT_ET"] + rng.uniform(-2.5, 2.5))
    v["NOTE_RP"] = 0
    a = round(pop * b.caf * (1 + 0.015 * k))
    v["A"] = a
    v["AM"], v["AI"], v["ACSSENF"], v["ACAVENF"] = split_total(
        a, [rng.uniform(0.14, 0.22), rng.uniform(0.38, 0.50), rng.uniform(0.06, 0.10), rng.uniform(0.2, 0.3)]
    )
    v["AC3ENF"] = round((v["AM"] + v["ACAVENF"]) * rng.uniform(0.28, 0.36))
    v["A_NETUD_24"] = round(a * rng.uniform(0.05, 0.08))
    v["A_ETUD"] = round(a * rng.uniform(0.003, 0.03))
    v["PERCOU"] = min(pop, round(a * rng.uniform(2.1, 2.6)))
    enf = round(a * rng.uniform(0.9, 1.15))
    v["ENF"] = enf
    v["ENF_2"], v["ENF_3_5"], v["ENF_6_10"], v["ENF_11_14"], v["ENF_15_17"], v["ENF_18_24"] = split_total(
        enf, [rng.uniform(0.8, 1.2) * s for s in (0.16, 0.16, 0.26, 0.19, 0.13, 0.10)]
    )
    v["NOTE_CNAF"] = 0
    return v


def _revn_values(rng: random.Random, b: Base, pop: int, a: int, k: int) -> Record:
    v: Record = {}
    tp60 = _r1(b.tp60 + 0.7 * k + rng.uniform(-1.5, 1.5), 20, 70)
    v["TP60"] = tp60
    q2 = round(min(17_000, max(10_000, 17_600 - 130 * (tp60 - 20) + 220 * k + rng.uniform(-350, 350))))
    v["DISP_Q2"] = q2
    v["DISP_Q1"] = round(q2 * rng.uniform(0.74, 0.80))
    v["DISP_D1"] = round(q2 * rng.uniform(0.55, 0.62))
    v["DISP_Q3"] = round(q2 * rng.uniform(1.28, 1.38))
    v["DISP_D9"] = round(q2 * rng.uniform(1.65, 1.90))
    v["DISP_D1D9"] = round(v["DISP_D9"] / v["DISP_D1"], 1)
    dq2 = round(q2 * rng.uniform(0.72, 0.88))
    v["DECUC_Q2"] = dq2
    v["DECUC_Q1"] = round(dq2 * rng.uniform(0.40, 0.55))
    v["DECUC_D1"] = round(dq2 * rng.uniform(0.0, 0.16)) if rng.random() < 0.8 else 0
    v["DECUC_Q3"] = round(dq2 * rng.uniform(1.5, 1.75))
    v["DECUC_D9"] = round(dq2 * rng.uniform(2.1, 2.5))
    v["DECUC_D1D9"] = round(v["DECUC_D9"] / v["DECUC_D1"], 1) if v["DECUC_D1"] >= 300 else None
    v["PMIMP"] = _r1(55 - 0.55 * tp60 + rng.uniform(-3, 3))
    v["PART_CHOMPRINC"] = _r1(rng.uniform(4, 12))
    v["BREV"] = _r1(tp60 + 12 + rng.uniform(-5, 5))
    ppen = _r1(rng.uniform(15, 34))
    ppsoc = _r1(8 + 0.33 * (tp60 - 20) + rng.uniform(-2, 2))
    ppat = _r1(rng.uniform(2, 6))
    pimpot = -_r1(rng.uniform(6, 12))
    v["PPEN"], v["PPSOC"], v["PPAT"], v["PIMPOT"] = ppen, ppsoc, ppat, pimpot
    v["PACT"] = round(100 - ppen - ppsoc - ppat - pimpot, 1)
    v["NOTE_FILO"] = 0
    v["CCMUC"] = round(pop * (0.12 + 0.004 * (tp60 - 20)))
    v["C"] = round(pop * rng.uniform(0.86, 0.94))
    v["CC2S"] = round(pop * (0.15 + 0.004 * (tp60 - 20)))
    v["NOTE_CNAM"] = 0
    v["APRES50"] = round(a * (0.33 + 0.003 * (tp60 - 20) + rng.uniform(-0.03, 0.03)))
    v["APRES100"] = round(v["APRES50"] * rng.uniform(0.55, 0.68))
    v["ARSA"] = round(a * rng.uniform(0.27, 0.36))
    v["ARSAS"] = round(v["ARSA"] * rng.uniform(0.65, 0.80))
    v["APPA"] = round(a * rng.uniform(0.17, 0.26))
    v["AAAH"] = round(a * rng.uniform(0.06, 0.11))
    return v


def _sexed(v: Record, name: str, total: int, f_share: float) -> None:
    v[name], (v[name + "_F"], v[name + "_H"]) = total, split_total(total, [f_share, 1 - f_share])


def _ipro_values(rng: random.Random, b: Base, pop: int, k: int) -> Record:
    v: Record = {}
    tot = _r1(b.empl + 0.8 * k + rng.uniform(-1.2, 1.2))
    v["TX_TOT_EMPL"], v["TX_F_EMPL"], v["TX_ET_EMPL"] = (
        tot,
        _r1(tot - rng.uniform(2, 8)),
        _r1(tot - rng.uniform(3, 12)),
    )
    prec = _r1(b.precarious + rng.uniform(-1.5, 1.5))
    for suffix in ("EPREC", "EDLIM"):
        v[f"TX_TOT_{suffix}"], v[f"TX_F_{suffix}"] = prec, _r1(prec + rng.uniform(-2, 4))
        v[f"TX_ET_{suffix}"] = _r1(prec + rng.uniform(0, 10))
    # Subsidised contracts (ASP).
    cui = round(pop * rng.uniform(0.002, 0.006))
    eav = round(pop * rng.uniform(0.0005, 0.002))
    cie = round(cui * rng.uniform(0.2, 0.35))
    v["CUI"], v["EAV"], v["CIE"], v["CAE"] = cui, eav, cie, cui - cie
    v["CIE_HS"], v["CIE_S"] = split_total(cie, [0.7, 0.3])
    v["CA"] = cui + eav
    f = rng.uniform(0.45, 0.6)
    for name, total in (("CA", v["CA"]), ("CUI", cui), ("EAV", eav)):
        v[name + "_F"], v[name + "_H"] = split_total(total, [f, 1 - f])
    v["CUI_25"], v["CUI_26A49"], v["CUI_50"] = split_total(cui, [0.25, 0.55, 0.20])
    v["CUI_INFCAP"], v["CUI_CAP"], v["CUI_BAC"], v["CUI_SUPBAC"] = split_total(cui, [0.3, 0.35, 0.22, 0.13])
    v["EAV_INFCAP"], v["EAV_CAP"], v["EAV_SUPCAP"] = split_total(eav, [0.35, 0.4, 0.25])
    v["NOTE_ASP"] = v["NOTE_ASP_E"] = 0
    v["EVOL_CA_N_E"] = _r1(rng.uniform(-60, 40), -100, 1000)
    # Job seekers (Pôle emploi / France Travail).
    abcde = round(pop * b.seekers * (1 - 0.03 * k))
    abc = round(abcde * rng.uniform(0.87, 0.93))
    a = round(abc * rng.uniform(0.55, 0.66))
    f = rng.uniform(0.44, 0.52)
    _sexed(v, "ABCDE", abcde, f)
    _sexed(v, "ABC", abc, f)
    _sexed(v, "A", a, f - 0.02)
    _sexed(v, "ABC_RSA", round(abc * rng.uniform(0.2, 0.35)), f + 0.03)
    v["ABC_25"], v["ABC_2649"], v["ABC_50"] = split_total(
        abc, [rng.uniform(0.13, 0.2), 0.6, rng.uniform(0.18, 0.27)]
    )
    v["ABC_FR"], v["ABC_E"] = split_total(abc, [1, b.foreign / 80])
    edu = dict(
        zip(("INFCAPBEP", "CAPBEP", "BAC", "SUPBAC"), split_total(abc, [0.38, 0.30, 0.20, 0.12]), strict=True)
    )
    for level, total in edu.items():
        _sexed(v, f"ABC_{level}", total, f)
    for i, part in enumerate(split_total(abc, [0.06, 0.22, 0.45, 0.2, 0.07]), start=1):
        v[f"ABC_QAL{i}"] = part
    for i, part in enumerate(split_total(abc, [0.33, 0.2, 0.21, 0.26]), start=1):
        _sexed(v, f"ABC_DUR{i}", part, f)
    v["NOTE_PE"] = v["NOTE_PE_T"] = 0
    evol = rng.uniform(-8, 6)
    v["A_N_T4"] = a
    v["A_N1_T4"] = round(a / (1 + evol / 100))
    for name in ("ABC", "ABC_F", "ABC_H", "A", "A_F", "A_H"):
        v[f"EVOL_{name}_T4"] = _r1(evol + rng.uniform(-3, 3), -100, 1000)
    return v


FAMILIES = ("DEMO", "REVN", "IPRO")


def family_of(layout: AnctLayout) -> str:
    """DEMO (also data_DEMO), REVN or IPRO: the `A` column means CAF claimants in DEMO/REVN, DEFM in IPRO."""
    return next(f for f in FAMILIES if f in layout.filename)


@dataclass
class AnctData:
    """True records and withheld cells per edition, family and QPV code; populations weigh the Ensemble."""

    records: dict[int, dict[str, dict[str, Record]]]
    blanks: dict[int, dict[str, dict[str, frozenset[str]]]]
    populations: dict[int, dict[str, int]]
    context: dict[str, dict[str, str]]  # LIBGEO and LIB_COM per QPV code
    # edition -> QPV code -> prestation ("rsa" | "prime_activite") -> {"foyers_eligibles", "allocataires"}
    non_recours: dict[int, dict[str, dict[str, dict[str, int]]]] = field(default_factory=dict)


def _blank_set(rng: random.Random, record: Record, small: bool, no_filosofi: bool) -> set[str]:
    blanks: set[str] = set()
    for name, value in record.items():
        if name in KEY_COLUMNS or name.startswith("NOTE_"):
            continue
        if value is None:
            blanks.add(name)
        elif no_filosofi and name in FILOSOFI_COLUMNS:
            blanks.add(name)
        elif name == "PART_CHOMPRINC" and rng.random() < 0.5:
            blanks.add(name)
        elif column_kind(name) == "count" and value < 5:
            blanks.add(name)
        elif small and name not in ("TP60", "DISP_Q2") and rng.random() < 0.15:
            blanks.add(name)
        elif (name in FRAGILE_COLUMNS or name.endswith(("_F", "_H"))) and rng.random() < 0.04:
            blanks.add(name)
    return blanks


# Simulated take-up. Eligible households per poor person (national mean, QPV factor drawn once in
# [1 - ELIGIBILITY_SPREAD, 1 + ELIGIBILITY_SPREAD]) and the QPV non-recours rate (drawn once in the range, drifting
# by edition). The national all-QPV truth lands between the DREES persistent (20 %) and quarterly (34 %) RSA
# figures, and near the 27 % of the prime d'activité, without being equal to them.
NON_RECOURS_SIMULATION = {
    "rsa": {"eligibles_par_pauvre": 0.27, "taux": (0.18, 0.40)},
    "prime_activite": {"eligibles_par_pauvre": 0.24, "taux": (0.19, 0.41)},
}
ELIGIBILITY_SPREAD = 0.12


@dataclass(frozen=True)
class TakeUpBase:
    """Per-QPV eligibility factor and non-recours rate of one prestation, drawn once."""

    eligibility: float
    rate: float


def draw_take_up(rng: random.Random) -> dict[str, TakeUpBase]:
    return {
        prestation: TakeUpBase(
            eligibility=p["eligibles_par_pauvre"]
            * rng.uniform(1 - ELIGIBILITY_SPREAD, 1 + ELIGIBILITY_SPREAD),
            rate=rng.uniform(*p["taux"]),
        )
        for prestation, p in NON_RECOURS_SIMULATION.items()
    }


def simulate_take_up(
    rng: random.Random, bases: dict[str, TakeUpBase], poor: float
) -> dict[str, dict[str, int]]:
    """Eligible households and claimants (binomial draw) per prestation, for `poor` poor persons."""
    out = {}
    for prestation, b in bases.items():
        eligible = round(poor * b.eligibility * rng.uniform(0.97, 1.03))
        rate = min(0.95, max(0.0, b.rate + rng.uniform(-0.02, 0.02)))
        claimants = sum(rng.random() >= rate for _ in range(eligible))
        out[prestation] = {"foyers_eligibles": eligible, "allocataires": claimants}
    return out


def build_anct_data(territory: Territory, seed: int) -> AnctData:
    """Records and withheld cells for every QPV 2015, edition and family."""
    qpvs = territory.qpv2015
    by_pop = sorted(qpvs, key=lambda q: (q.population, q.code))
    # the two smallest: every Filosofi cell withheld, except in the last edition (so that every demo QPV has
    # poverty and non-recours values in at least one edition)
    no_filosofi = {q.code for q in by_pop[:2]}
    small = {q.code for q in qpvs if q.population < 2_000}
    tp60_withheld = (by_pop[2].code, 2017)  # one more QPV without TP60 in one edition
    bases = {q.code: draw_base(random.Random(f"{seed}/anct/base/{q.code}")) for q in qpvs}
    take_up = {q.code: draw_take_up(random.Random(f"{seed}/anct/non_recours/{q.code}")) for q in qpvs}
    non_recours: dict[int, dict[str, dict[str, dict[str, int]]]] = {}
    context = {
        q.code: {"LIBGEO": q.name, "LIB_COM": ", ".join(territory.commune(c).name for c in q.communes)}
        for q in qpvs
    }
    records: dict[int, dict[str, dict[str, Record]]] = {}
    blanks: dict[int, dict[str, dict[str, frozenset[str]]]] = {}
    populations: dict[int, dict[str, int]] = {}
    for k, edition in enumerate(ANCT_EDITIONS):
        records[edition] = {f: {} for f in FAMILIES}
        blanks[edition] = {f: {} for f in FAMILIES}
        pops = {q.code: round(q.population * (1 + bases[q.code].growth * (k - 1))) for q in qpvs}
        populations[edition] = pops
        non_recours[edition] = {}
        for q in qpvs:
            rng = random.Random(f"{seed}/anct/{edition}/{q.code}")
            b, pop = bases[q.code], pops[q.code]
            demo = _demo_values(rng, b, pop, k)
            demo["POP_COM_QP"] = sum(pops[p.code] for p in qpvs if set(p.communes) & set(q.communes))
            demo["POP_COM"] = sum(round(territory.population(c) * (1 + 0.004 * (k - 1))) for c in q.communes)
            revn = _revn_values(rng, b, pop, demo["A"], k)
            revn["A"] = demo["A"]
            # Take-up: ARSAS and APPA are the claimants among the simulated eligible households (separate random
            # stream, so that every other value of the files is drawn as before); ARSA keeps its ratio to ARSAS.
            poor = revn["TP60"] / 100 * pop
            simulated = simulate_take_up(
                random.Random(f"{seed}/anct/non_recours/{edition}/{q.code}"), take_up[q.code], poor
            )
            non_recours[edition][q.code] = simulated
            arsa_per_arsas = revn["ARSA"] / revn["ARSAS"] if revn["ARSAS"] else 1.35
            revn["ARSAS"] = simulated["rsa"]["allocataires"]
            revn["ARSA"] = max(revn["ARSAS"], round(revn["ARSAS"] * arsa_per_arsas))
            revn["APPA"] = simulated["prime_activite"]["allocataires"]
            ipro = _ipro_values(rng, b, pop, k)
            flag_rate = 0.3 if q.code in small else 0.04
            for family, notes in ((demo, ("NOTE_RP", "NOTE_CNAF")), (revn, ("NOTE_CNAM",)),
                                  (ipro, ("NOTE_ASP", "NOTE_ASP_E", "NOTE_PE", "NOTE_PE_T"))):  # fmt: skip
                for note in notes:
                    family[note] = 1 if rng.random() < flag_rate else 0
            revn["NOTE_CNAF"] = demo["NOTE_CNAF"]
            filosofi_withheld = q.code in no_filosofi and edition != ANCT_EDITIONS[-1]
            revn["NOTE_FILO"] = 1 if filosofi_withheld else int(rng.random() < 0.04)
            for family, record in (("DEMO", demo), ("REVN", revn), ("IPRO", ipro)):
                withheld = _blank_set(rng, record, q.code in small, filosofi_withheld)
                if family == "REVN" and (q.code, edition) == tp60_withheld:
                    withheld.add("TP60")
                records[edition][family][q.code] = record
                blanks[edition][family][q.code] = frozenset(withheld)
    return AnctData(records, blanks, populations, context, non_recours)


def ensemble_record(records: dict[str, Record], weights: dict[str, int]) -> Record:
    """The `Ensemble des QPV` row: sums of counts, population-weighted means of rates and amounts."""
    first = next(iter(records.values()))
    total_weight = sum(weights.values())
    out: Record = {}
    for name in first:
        values = [(r[name], weights[code]) for code, r in records.items() if r[name] is not None]
        kind = column_kind(name)
        if kind in ("count", "note"):
            out[name] = sum(v for v, _ in values)
        else:
            weight = sum(w for _, w in values) or total_weight
            mean = sum(v * w for v, w in values) / weight
            out[name] = round(mean, 1) if kind == "rate" else round(mean)
    return out


def format_cell(layout: AnctLayout, name: str, value: float | int | None) -> str:
    kind = column_kind(name)
    thousands = NNBSP if layout.thousands else ""
    if value is None:
        return ""
    if kind == "rate":
        drop = layout.drop_zero_decimal == ALL or name.strip() in layout.drop_zero_decimal
        return fr_number(value, 1, thousands, drop_zero=drop)
    if kind == "amount":
        step = layout.amount_step
        return fr_number(round(value / step) * step, 0, thousands)
    return fr_number(value, 0, thousands)


def render_anct_file(layout: AnctLayout, data: AnctData) -> bytes:
    """One ANCT export, byte for byte (BOM, CRLF, trailing empty fields, blanks, Ensemble row)."""
    family = family_of(layout)
    records = data.records[layout.edition][family]
    padding = [""] * (layout.total_fields - len(layout.columns))
    header = [f'"{c}"' for c in layout.columns] if layout.quote_text else list(layout.columns)
    lines = [";".join(header + padding)]

    def row(code: str, record: Record, blanks: frozenset[str], texts: dict[str, str | int]) -> str:
        cells = []
        for column in layout.columns:
            name = column.strip()
            if name == "CODGEO":
                cells.append(f'"{code}"' if layout.quote_text else code)
            elif name in ("LIBGEO", "LIB_COM"):
                cells.append(str(texts.get(name, "")))
            else:
                cells.append("" if name in blanks else format_cell(layout, name, record[name]))
        return ";".join(cells + padding)

    if layout.ensemble:
        blanks = frozenset(c.strip() for c in layout.ensemble_blank)
        lines.append(
            row(
                "Ensemble",
                ensemble_record(records, data.populations[layout.edition]),
                blanks,
                {"LIBGEO": "Ensemble des QPV"},
            )
        )
    for code in sorted(records):
        lines.append(row(code, records[code], data.blanks[layout.edition][family][code], data.context[code]))
    text = "\r\n".join(lines) + ("\r\n" if layout.final_newline else "")
    return ((BOM if layout.bom else "") + text).encode("utf-8")


def parse_fr_number(cell: str) -> float | None:
    """Inverse of the ANCT formatting ('' -> None)."""
    cell = cell.replace(NNBSP, "").replace("\u00a0", "").replace(" ", "")
    return float(cell.replace(",", ".")) if cell else None


def revn_truth(
    layouts: list[AnctLayout], files: dict[str, bytes]
) -> dict[str, dict[str, dict[str, float | None]]]:
    """TP60 and DISP_Q2 per QPV 2015 and edition, read back from the REVN files as written."""
    truth: dict[str, dict[str, dict[str, float | None]]] = {}
    for layout in layouts:
        if not layout.filename.startswith("REVN_"):
            continue
        lines = files[layout.filename].decode("utf-8-sig").split("\r\n")
        header = [h.strip() for h in lines[0].split(";")]
        i_tp60, i_q2 = header.index("TP60"), header.index("DISP_Q2")
        for line in lines[1:]:
            cells = line.split(";")
            if not line or cells[0] == "Ensemble":
                continue
            truth.setdefault(cells[0], {})[str(layout.edition)] = {
                "TP60": parse_fr_number(cells[i_tp60]),
                "DISP_Q2": parse_fr_number(cells[i_q2]),
            }
    return truth


def non_recours_truth(layouts: list[AnctLayout], data: AnctData) -> dict:
    """Simulated take-up per QPV 2015 and edition, for the prestations whose column the REVN file of the edition has.

    "qpv": code -> edition -> prestation -> eligible households, claimants (the true count), the count as written
    in the file (None when withheld) and the true non-recours rate (%); "ensemble": edition -> prestation -> the
    all-QPV rate (sum of non-claimants over sum of eligible households).
    """
    columns = {"rsa": "ARSAS", "prime_activite": "APPA"}
    per_qpv: dict[str, dict[str, dict]] = {}
    ensemble: dict[str, dict[str, float]] = {}
    for layout in layouts:
        if not layout.filename.startswith("REVN_"):
            continue
        edition = layout.edition
        present = {p: c for p, c in columns.items() if c in {name.strip() for name in layout.columns}}
        totals = {p: [0, 0] for p in present}
        for code, simulated in data.non_recours[edition].items():
            withheld = data.blanks[edition]["REVN"][code]
            for prestation, column in present.items():
                eligible = simulated[prestation]["foyers_eligibles"]
                claimants = simulated[prestation]["allocataires"]
                assert claimants == data.records[edition]["REVN"][code][column]
                per_qpv.setdefault(code, {}).setdefault(str(edition), {})[prestation] = {
                    "foyers_eligibles": eligible,
                    "allocataires": claimants,
                    "allocataires_ecrits": None if column in withheld else claimants,
                    "non_recours": round(100 * (eligible - claimants) / eligible, 4) if eligible else None,
                }
                totals[prestation][0] += eligible - claimants
                totals[prestation][1] += eligible
        ensemble[str(edition)] = {p: round(100 * n / d, 4) for p, (n, d) in totals.items() if d}
    return {"qpv": per_qpv, "ensemble": ensemble}
