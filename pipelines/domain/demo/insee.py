"""INSEE-side demo files: COG references, CAF and Filosofi by IRIS, France Travail job seekers by QPV 2024."""

from __future__ import annotations

import csv
import random

from pipelines.domain.demo.anct import AnctData, split_total
from pipelines.domain.demo.formats import BOM, delimited_text, fr_number, zip_bytes
from pipelines.domain.demo.ids import commune_siren
from pipelines.domain.demo.layouts import (
    CAF_IRIS_HEADER,
    COG_COMMUNES_HEADER,
    COM_EPCI_HEADER,
    DEFM_COLUMNS,
    DEFM_DATA_FILE,
    DEFM_META_FILE,
    DEPARTEMENTS_HEADER,
    filo_iris_header,
)
from pipelines.domain.demo.territory import COMMUNES_DELEGUEES, Territory, ascii_upper

IRIS_NAMES = (
    "Centre", "La Gare", "Faubourg Nord", "Les Champs", "Le Moulin", "Zone d'Activités", "Le Bourg",
    "Les Prés", "Rive Gauche",
)  # fmt: skip
IRIS_MIN_POPULATION = 10_000  # the IRIS files only cover communes of at least 10,000 inhabitants
# The CAF file lacks the last IRIS of this commune although Filosofi lists it (its sum is then incomplete); another
# commune has an IRIS whose count is withheld (CAF_WITHHELD_COUNTS), so both reasons of int_references_caf_communes
# for a commune without value occur in the demo.
CAF_MISSING_IRIS_COMMUNE = "62954"
CAF_WITHHELD_COUNTS = ("A", "ARSAS", "APPA", "AAAH")


# --- COG ---------------------------------------------------------------------------------------------------


def cog_communes_csv(territory: Territory) -> bytes:
    """cog_20240101.csv: every field quoted, `,`, CRLF; COM rows plus two COMD (one sharing its parent's code)."""
    rows: list[tuple[int, list[str]]] = []
    for i, c in enumerate(territory.communes):
        arr = "592" if c.dep == "59" else "625"
        canton = f"{c.dep}{98 - i % 2:02d}"
        rows.append(
            (0, ["COM", c.code, "32", c.dep, c.dep + "D", arr, c.tncc, c.ncc, c.name, c.name, canton, ""])
        )
    for code, name, parent in COMMUNES_DELEGUEES:
        ncc = ascii_upper(name).replace("-", " ")
        rows.append((1, ["COMD", code, "", "", "", "", "0", ncc, name, name, "", parent]))
    rows.sort(key=lambda r: (r[1][1], r[0]))
    text = delimited_text(COG_COMMUNES_HEADER, [r for _, r in rows], ",", "\r\n", quoting=csv.QUOTE_ALL)
    return text.encode("utf-8")


def com_epci_csv(territory: Territory) -> bytes:
    """com_epci_dep_reg.csv: `;`, LF, no quotes; dep_siren/reg_siren are councils' SIREN numbers."""
    lines = [";".join(COM_EPCI_HEADER)]
    for c in sorted(territory.communes, key=lambda c: c.code):
        dep = territory.departement(c.dep)
        epci = territory.epci(c.epci)
        lines.append(
            ";".join(
                [
                    c.code,
                    commune_siren(c.code),
                    c.name,
                    epci.siren,
                    epci.name,
                    dep.council_siren,
                    dep.name,
                    dep.reg_council_siren,
                    dep.reg_name,
                    "",
                    "",
                ]
            )  # fmt: skip
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def departements_csv(territory: Territory) -> bytes:
    lines = [",".join(DEPARTEMENTS_HEADER)]
    lines += [f"{d.code},{d.name},{d.reg_code},{d.reg_name}" for d in territory.departements]
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- IRIS --------------------------------------------------------------------------------------------------


def iris_profiles(territory: Territory, seed: int) -> list[dict]:
    """Population and QPV share of every IRIS of the communes covered by the IRIS files."""
    rng = random.Random(f"{seed}/iris")
    out = []
    for c in territory.communes:
        population = territory.population(c.code)
        if c.single_iris or population < IRIS_MIN_POPULATION:
            continue
        codes = c.iris_codes()
        qpv_pop = dict.fromkeys(codes, 0.0)
        for q in territory.qpv2015:
            if c.code in q.communes and c.contains(*q.center):
                qpv_pop[c.iris_code(*q.center)] += q.population
        rest = population - sum(qpv_pop.values())
        weights = [rng.uniform(0.6, 1.4) for _ in codes]
        others = split_total(max(0, int(rest)), weights)
        for i, code in enumerate(codes):
            total = int(qpv_pop[code]) + others[i]
            out.append(
                {
                    "code": code,
                    "name": IRIS_NAMES[i % len(IRIS_NAMES)],
                    "commune": c,
                    "population": total,
                    "qpv_share": qpv_pop[code] / total if total else 0.0,
                }
            )
    return out


def caf_iris_csv(profiles: list[dict], seed: int) -> bytes:
    """data_CAF_2020_IRIS.csv: `;`, CRLF, no BOM, plain integers; NOTE 3 rows fully blank, a few blank cells.

    The last IRIS of CAF_MISSING_IRIS_COMMUNE has no row; when no other commune has a withheld count, the first
    IRIS of the first one gets its ARSAS withheld.
    """
    rng = random.Random(f"{seed}/caf_iris")
    missing = [p["code"] for p in profiles if p["commune"].code == CAF_MISSING_IRIS_COMMUNE][-1:]
    rows = []
    for p in profiles:
        if rng.random() < 0.07:
            rows.append([p["code"], "3"] + [""] * (len(CAF_IRIS_HEADER) - 2))
            continue
        a = round(p["population"] * (0.22 + 0.18 * p["qpv_share"]) * rng.uniform(0.9, 1.1))
        v: dict[str, int] = {"A": a, "PERCOU": round(a * rng.uniform(2.1, 2.5))}
        v["AI"], v["AM"], v["ACSSENF"], v["ACAVENF"] = split_total(a, [0.45, 0.17, 0.08, 0.30])
        v["AC3ENF"] = round((v["AM"] + v["ACAVENF"]) * 0.3)
        enf = round(a * rng.uniform(0.9, 1.1))
        v["ENF"] = enf
        for name, part in zip(
            ("ENF_2", "ENF_3_5", "ENF_6_10", "ENF_11_14", "ENF_15_17", "ENF_18_24"),
            split_total(enf, [0.16, 0.16, 0.26, 0.19, 0.13, 0.10]),
            strict=True,
        ):
            v[name] = part
        v["A_ETUD"] = round(a * rng.uniform(0.01, 0.05))
        v["A_NETUD_24"] = round(a * rng.uniform(0.04, 0.08))
        v["AAPL"] = round(a * (0.2 + 0.3 * p["qpv_share"]))
        v["AAL"] = v["AAPL"] + round(a * rng.uniform(0.05, 0.15))  # every APL claimant has a housing aid
        v["AAAH"] = round(a * rng.uniform(0.05, 0.1))
        v["APPA"] = round(a * rng.uniform(0.15, 0.25))
        v["ARSAS"] = round(a * (0.08 + 0.2 * p["qpv_share"]))
        cells = [p["code"], "0"]
        for name in CAF_IRIS_HEADER[2:]:
            cells.append("" if rng.random() < 0.03 else str(v[name]))
        rows.append(cells)
    rows = [r for r in rows if r[0] not in missing]  # drawn then dropped: the other rows keep their values
    counts = [CAF_IRIS_HEADER.index(c) for c in CAF_WITHHELD_COUNTS]
    others = [r for r in rows if r[0][:5] != CAF_MISSING_IRIS_COMMUNE]
    if others and not any(r[i] == "" for r in others for i in counts):
        others[0][CAF_IRIS_HEADER.index("ARSAS")] = ""
    lines = [";".join(CAF_IRIS_HEADER)] + [";".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def filo_iris_csv(profiles: list[dict], seed: int, year: int = 2019) -> bytes:
    """BASE_TD_FILO_DISP_IRIS_<year>.csv: BOM, CRLF, `;`, decimal comma, euros rounded to 10, no final newline.

    Every year lists the same IRIS and replays the 2019 draws (the same withheld cells), the amounts grown by 1.5 % a
    year and moved by a small per-IRIS drift; the 2019 file is the reference.
    """
    rng = random.Random(f"{seed}/filo_iris")
    drift = random.Random(f"{seed}/filo_iris/{year}")
    rows = []
    for p in profiles:
        share = p["qpv_share"]
        med = 20_800 - 8_500 * share + rng.uniform(-900, 900)
        if year != 2019:
            med *= (1 + 0.015 * (year - 2019)) * drift.uniform(0.99, 1.01)
        ratios = {
            "D1": 0.53,
            "D2": 0.66,
            "D3": 0.78,
            "D4": 0.89,
            "D6": 1.11,
            "D7": 1.24,
            "D8": 1.41,
            "D9": 1.70,
        }
        d = {k: round(med * r * rng.uniform(0.985, 1.015), -1) for k, r in ratios.items()}
        q1 = round((d["D2"] + d["D3"]) / 2, -1)
        q3 = round((d["D7"] + d["D8"]) / 2, -1)
        med = round(med, -1)
        ppen, ppat = rng.uniform(18, 30), rng.uniform(4, 10)
        ppfam = rng.uniform(1.6, 2.6) + 3 * share
        ppmini = rng.uniform(1.5, 2.8) + 9 * share
        pplogt = rng.uniform(0.8, 1.6) + 6 * share
        ppsoc = ppfam + ppmini + pplogt
        pimpot = -rng.uniform(10, 16) + 4 * share
        pact = 100 - ppen - ppat - ppsoc - pimpot
        pcho, pben = rng.uniform(2.5, 6), rng.uniform(2, 5)
        tp60 = None if rng.random() < 0.2 else 11 + 42 * share + rng.uniform(-3, 3)
        if tp60 is not None and year != 2019:
            tp60 += drift.uniform(-1, 1)
        blank_activity = rng.random() < 0.05

        def f1(x: float | None) -> str:
            return fr_number(x, 1)

        cells = [
            p["code"], p["name"], p["commune"].code, p["commune"].name, f1(tp60), fr_number(q1), fr_number(med),
            fr_number(q3), fr_number((q3 - q1) / med, 2), *(fr_number(d[k]) for k in ("D1", "D2", "D3", "D4")),
            *(fr_number(d[k]) for k in ("D6", "D7", "D8", "D9")), f1(d["D9"] / d["D1"]),
            f1(d["D9"] / d["D1"] * 1.12), fr_number(0.22 + 0.1 * share + rng.uniform(-0.01, 0.01), 3), f1(pact),
            "" if blank_activity else f1(pact - pcho - pben), "" if blank_activity else f1(pcho),
            "" if blank_activity else f1(pben), f1(ppen), f1(ppat), f1(ppsoc), f1(ppfam), f1(ppmini), f1(pplogt),
            f1(pimpot), "0",
        ]  # fmt: skip
        rows.append(cells)
    lines = [";".join(filo_iris_header(year))] + [";".join(r) for r in rows]
    return (BOM + "\r\n".join(lines)).encode("utf-8")


# --- France Travail job seekers by QPV 2024 ----------------------------------------------------------------


def defm_zip(territory: Territory, anct: AnctData, seed: int) -> bytes:
    """Zip with the data CSV (`;`, decimal point, LF) and its metadata file; counts under 5 left blank."""
    rng = random.Random(f"{seed}/defm")
    latest = max(anct.records)
    rows = []
    for q in territory.qpv2024:
        known = [
            anct.records[latest]["IPRO"][c]["ABC"] / anct.populations[latest][c]
            for c in q.predecessors
            if c in anct.records[latest]["IPRO"]
        ]
        rate = (sum(known) / len(known) if known else rng.uniform(0.07, 0.12)) * rng.uniform(0.95, 1.03)
        abc = round(q.population * rate)
        abcde = round(abc / rng.uniform(0.87, 0.92))
        a = round(abc * rng.uniform(0.55, 0.65))
        f = rng.uniform(0.44, 0.52)
        abc_f, abc_h = split_total(abc, [f, 1 - f])
        a_f, a_h = split_total(a, [f - 0.02, 1.02 - f])
        m25, a2549, p50 = split_total(abc, [rng.uniform(0.13, 0.2), 0.6, rng.uniform(0.18, 0.27)])
        values = {
            "DEFM_ABCDE": abcde, "DEFM_ABC": abc, "DEFM_A": a, "DEFM_ABC_F": abc_f, "DEFM_ABC_H": abc_h,
            "DEFM_ABC_M25": m25, "DEFM_ABC_2549": a2549, "DEFM_ABC_P50": p50,
            "DEFM_ABC_DUR1AN": round(abc * rng.uniform(0.4, 0.52)), "DEFM_A_F": a_f, "DEFM_A_H": a_h,
            "DEFM_ABC_RSA": round(abc * rng.uniform(0.2, 0.35)),
        }  # fmt: skip
        cells = [q.code, q.name]
        for name, _, _ in DEFM_COLUMNS[2:]:
            cells.append(str(values[name]) if values[name] >= 5 else "")
        rows.append(cells)
    data = delimited_text([c for c, _, _ in DEFM_COLUMNS], rows, ";", "\n")
    meta = delimited_text(("COD_VAR", "LIB_VAR", "TYPE_VAR"), DEFM_COLUMNS, ";", "\n")
    return zip_bytes([(DEFM_DATA_FILE, data.encode("utf-8")), (DEFM_META_FILE, meta.encode("utf-8"))])
