"""Tests of the synthetic demo dataset: determinism, official layouts and quirks, geometry, SIRENE, ground truth.

Layout tests compare with the real extracts in ../shared/data when that folder is present (skipped otherwise).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import zipfile
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from pipelines.domain.demo import generate_demo_data
from pipelines.domain.demo.geo import lambert93, point_in_ring, signed_area
from pipelines.domain.demo.layouts import ANCT_LAYOUTS, TRANCHES_EFFECTIFS

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NNBSP = "\u202f"
ANCT = "anct_onpv_qpv2015"
GEOLOC = "GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8"
FILOSOFI = ["PMIMP", "DECUC_Q2", "DECUC_Q1", "DECUC_Q3", "DECUC_D1", "DECUC_D9", "DISP_Q2", "DISP_Q1", "DISP_Q3",
            "TP60", "DISP_D1", "DISP_D9", "PACT", "PPEN", "PPSOC", "PIMPOT", "PPAT"]  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo")
    return out, generate_demo_data(out)


def needs_shared() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real extracts not available in {SHARED_DATA}")
    return SHARED_DATA


# --- helpers -----------------------------------------------------------------------------------------------


def raw_header(path: Path) -> list[str]:
    """Header cells as written (BOM removed, quotes removed), including empty trailing ones."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(io.StringIO(handle.readline().rstrip("\r\n")), delimiter=";"))


def named(cells: list[str]) -> list[str]:
    return [c.strip() for c in cells if c.strip()]


def read_anct(path: Path) -> list[dict[str, str]]:
    """Rows as {column: cell} (named columns only, names stripped)."""
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = [h.strip() for h in rows[0]]
    return [{h: r[i] for i, h in enumerate(header) if h} for r in rows[1:] if r]


def num(cell: str) -> float | None:
    cell = cell.replace(NNBSP, "")
    return float(cell.replace(",", ".")) if cell else None


def layout(name: str):
    return next(lay for lay in ANCT_LAYOUTS if lay.filename == name)


def zipped_csv(path: Path, sep: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(path) as archive:
        (member,) = archive.namelist()
        text = archive.read(member).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter=sep))


# --- determinism and writing -------------------------------------------------------------------------------


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first = generate_demo_data(tmp_path / "a")
    second = generate_demo_data(tmp_path / "b")
    assert first == second
    files = sorted(
        p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    assert files == sorted(k for k in first if k != "truth")
    for relative in files:
        assert hashlib.sha256((tmp_path / "b" / relative).read_bytes()).hexdigest() == first[relative]
    other = generate_demo_data(tmp_path / "c", seed=7)
    assert other[f"{ANCT}/REVN_2019.csv"] != first[f"{ANCT}/REVN_2019.csv"]


def test_regeneration_overwrites_in_place(tmp_path: Path) -> None:
    manifest = generate_demo_data(tmp_path)
    target = tmp_path / ANCT / "REVN_2021.csv"
    target.write_text("corrupted", encoding="utf-8")
    assert generate_demo_data(tmp_path) == manifest
    assert hashlib.sha256(target.read_bytes()).hexdigest() == manifest[f"{ANCT}/REVN_2021.csv"]
    assert not list(tmp_path.rglob("*.tmp"))


def test_refuses_the_real_data_folder(tmp_path: Path) -> None:
    (tmp_path / "SOURCES.md").write_text("real data", encoding="utf-8")
    with pytest.raises(ValueError, match="SOURCES.md"):
        generate_demo_data(tmp_path)


def test_truth_file_matches_manifest(demo) -> None:
    out, manifest = demo
    assert json.loads((out / "truth.json").read_text(encoding="utf-8")) == json.loads(
        json.dumps(manifest["truth"])
    )


# --- Lambert-93 --------------------------------------------------------------------------------------------


def test_lambert93_known_points() -> None:
    assert lambert93(3.0, 46.5) == pytest.approx((700_000.0, 6_600_000.0), abs=1e-3)
    # Paris Notre-Dame; reference computed with PROJ (EPSG:4326 -> EPSG:2154).
    x, y = lambert93(2.3499, 48.8530)
    assert math.dist((x, y), (652_297.0, 6_861_636.4)) < 50
    # Brest, far west of the central meridian (PROJ: 145 709.8, 6 837 422.1).
    assert math.dist(lambert93(-4.5, 48.4), (145_709.8, 6_837_422.1)) < 50


# --- ANCT layouts ------------------------------------------------------------------------------------------


@pytest.mark.shared
@pytest.mark.parametrize("name", [lay.filename for lay in ANCT_LAYOUTS])
def test_anct_header_matches_real_file(demo, name: str) -> None:
    real = needs_shared() / ANCT / name
    out, _ = demo
    demo_header, real_header = raw_header(out / ANCT / name), raw_header(real)
    assert named(demo_header) == named(real_header)
    assert len(demo_header) == len(real_header)  # same number of empty trailing columns
    assert (out / ANCT / name).read_bytes()[:3] == real.read_bytes()[:3]  # BOM or not, quote or not


@pytest.mark.shared
@pytest.mark.parametrize(
    ("folder", "name", "sep"),
    [
        ("cog_insee", "cog_20240101.csv", ","),
        ("cog_insee", "com_epci_dep_reg.csv", ";"),
        ("cog_insee", "departements_france.csv", ","),
        ("caf_insee_iris", "data_CAF_2020_IRIS.csv", ";"),
        ("caf_insee_iris", "BASE_TD_FILO_DISP_IRIS_2019.csv", ";"),
    ],
)
def test_reference_header_matches_real_file(demo, folder: str, name: str, sep: str) -> None:
    real = needs_shared() / folder / name
    out, _ = demo

    def header(path: Path) -> list[str]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return next(csv.reader(io.StringIO(handle.readline().rstrip("\r\n")), delimiter=sep))

    assert header(out / folder / name) == header(real)
    real_bytes, demo_bytes = real.read_bytes(), (out / folder / name).read_bytes()
    assert (b"\r\n" in demo_bytes) == (b"\r\n" in real_bytes)
    assert demo_bytes.startswith(b"\xef\xbb\xbf") == real_bytes.startswith(b"\xef\xbb\xbf")


def test_ipro_2019_header_keeps_trailing_space(demo) -> None:
    out, _ = demo
    for name in ("IPRO_2019.csv", "IPRO_2021.csv"):
        assert "EVOL_CA_N_E " in raw_header(out / ANCT / name)


@pytest.mark.parametrize("lay", ANCT_LAYOUTS, ids=lambda lay: lay.filename)
def test_anct_quirks(demo, lay) -> None:
    out, _ = demo
    data = (out / ANCT / lay.filename).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == lay.bom
    assert data.count(b"\n") == data.count(b"\r\n") > 10  # CRLF only
    assert data.endswith(b"\r\n") == lay.final_newline
    text = data.decode("utf-8-sig")
    lines = text.rstrip("\r\n").split("\r\n")
    assert {line.count(";") for line in lines} == {lay.total_fields - 1}
    if lay.total_fields > len(lay.columns):
        assert all(line.endswith(";;;") for line in lines)
    assert re.search(r"\d,\d", text), "decimal comma"
    assert not re.search(r"(^|;)-?\d+\.\d+(;|$)", text, re.M), "no decimal point"
    cells = [c for line in lines[1:] for c in line.split(";")[2:]]
    if lay.thousands:
        big = [c for c in cells if re.fullmatch(r"-?\d{1,3}(\u202f\d{3})+(,\d+)?", c)]
        assert big, "U+202F thousands separators"
        assert not [c for c in cells if re.fullmatch(r"-?\d{4,}(,\d+)?", c)], (
            "every number >= 1000 is grouped"
        )
    else:
        assert NNBSP not in text
    first = lines[1].split(";")[0].strip('"')
    assert (first == "Ensemble") == lay.ensemble
    assert (lay.edition < 2021) == lay.ensemble
    assert any(";;" in line.rstrip(";") for line in lines[1:]), "some blank (withheld) cells"
    if lay.quote_text:
        assert lines[0].startswith('"CODGEO";"POP_MUN"')
        assert all(re.match(r'"QP\d{3}\d{3}";\d', line) for line in lines[1:])
    else:
        assert '"' not in text


def test_data_demo_2021_has_the_same_content_as_demo_2021(demo) -> None:
    out, _ = demo
    demo_rows = {r["CODGEO"]: r for r in read_anct(out / ANCT / "DEMO_2021.csv")}
    for raw in read_anct(out / ANCT / "data_DEMO_2021_V1_QP.csv"):
        full = demo_rows[raw["CODGEO"]]
        for column, cell in raw.items():
            assert num(cell) == num(full[column]) if column != "CODGEO" else True, (raw["CODGEO"], column)


def test_anct_codes_and_fictional_names(demo) -> None:
    out, _ = demo
    rows = [r for r in read_anct(out / ANCT / "REVN_2021.csv")]
    assert 25 <= len(rows) <= 40
    assert all(re.fullmatch(r"QP0(59|62)9\d\d", r["CODGEO"]) for r in rows)
    lib_com = [r["LIB_COM"] for r in read_anct(out / ANCT / "DEMO_2021.csv")]
    assert any(", " in c for c in lib_com), "a QPV over two communes"


@pytest.mark.shared
def test_names_and_codes_are_not_real(demo) -> None:
    shared = needs_shared()
    out, _ = demo
    real_names = {r["LIBGEO"] for r in read_anct(shared / ANCT / "DEMO_2021.csv")}
    real_codes = {r["CODGEO"] for r in read_anct(shared / ANCT / "DEMO_2021.csv")}
    real_geo = json.loads(
        (shared / "anct_qpv2024" / "qpv2024_simplified.geojson").read_text(encoding="utf-8")
    )
    real_names |= {f["properties"]["lib_qp"] for f in real_geo["features"]}
    real_codes |= {f["properties"]["code_qp"] for f in real_geo["features"]}
    demo_geo = json.loads((out / "anct_qpv2024" / "qpv2024_simplified.geojson").read_text(encoding="utf-8"))
    demo_rows = read_anct(out / ANCT / "DEMO_2021.csv")
    assert not {r["LIBGEO"] for r in demo_rows} & real_names
    assert not {f["properties"]["lib_qp"] for f in demo_geo["features"]} & real_names
    assert not {r["CODGEO"] for r in demo_rows} & real_codes
    assert not {f["properties"]["code_qp"] for f in demo_geo["features"]} & real_codes
    real_communes = {r["COM"] for r in csv.DictReader((shared / "cog_insee" / "cog_20240101.csv").open())}
    demo_communes = {r["COM"] for r in csv.DictReader((out / "cog_insee" / "cog_20240101.csv").open())}
    assert not demo_communes & real_communes


# --- ANCT values -------------------------------------------------------------------------------------------


def qpv_rows(out: Path, name: str) -> list[dict[str, float | None]]:
    return [
        {k: (v if k in ("CODGEO", "LIBGEO", "LIB_COM") else num(v)) for k, v in r.items()}
        for r in read_anct(out / ANCT / name)
        if r["CODGEO"] != "Ensemble"
    ]


@pytest.mark.parametrize("edition", [2017, 2019, 2021])
def test_revn_values_are_plausible(demo, edition: int) -> None:
    out, _ = demo
    rows = qpv_rows(out, f"REVN_{edition}.csv")
    for r in rows:
        if r["TP60"] is not None:
            assert 20 <= r["TP60"] <= 70
        if r["DISP_Q2"] is not None:
            assert 10_000 <= r["DISP_Q2"] <= 17_000
        for prefix in ("DISP", "DECUC"):
            chain = [r[f"{prefix}_{q}"] for q in ("D1", "Q1", "Q2", "Q3", "D9")]
            if None not in chain:
                assert chain == sorted(chain) and len(set(chain)) == 5, (r["CODGEO"], chain)
        shares = [r[c] for c in ("PACT", "PPEN", "PPSOC", "PIMPOT", "PPAT")]
        if None not in shares:
            assert sum(shares) == pytest.approx(100, abs=0.3)
        a = r["A"]
        if "APRES50" in r and None not in (r["APRES50"], r["APRES100"]):
            assert r["APRES100"] <= r["APRES50"] <= a
        for column in ("ARSAS", "APPA", "AAAH", "ARSA"):
            if r.get(column) is not None:
                assert r[column] <= a
        for column in ("PMIMP", "BREV", "TP60", "PPSOC", "PACT"):
            if r.get(column) is not None:
                assert 0 <= r[column] <= 100
    smallest = sorted(qpv_rows(out, f"DEMO_{edition}.csv"), key=lambda r: r["POP_MUN"])[:2]
    by_code = {r["CODGEO"]: r for r in rows}
    for small in smallest:  # every Filosofi cell withheld, except in the last edition
        cells = [by_code[small["CODGEO"]][c] for c in FILOSOFI if c in by_code[small["CODGEO"]]]
        if edition != 2021:
            assert all(v is None for v in cells)
        else:  # small QPV may still have a few cells withheld, never TP60 here
            assert by_code[small["CODGEO"]]["TP60"] is not None
    blanks = sum(v is None for r in rows for k, v in r.items())
    assert blanks > 0


@pytest.mark.parametrize("edition", [2017, 2019, 2021])
def test_demo_and_ipro_values_are_consistent(demo, edition: int) -> None:
    out, _ = demo
    demo_rows = {r["CODGEO"]: r for r in qpv_rows(out, f"DEMO_{edition}.csv")}
    revn_rows = {r["CODGEO"]: r for r in qpv_rows(out, f"REVN_{edition}.csv")}
    ipro_rows = {r["CODGEO"]: r for r in qpv_rows(out, f"IPRO_{edition}.csv")}
    assert demo_rows.keys() == revn_rows.keys() == ipro_rows.keys()
    for code, d in demo_rows.items():
        assert d["A"] == revn_rows[code]["A"]
        assert d["A"] <= d["POP_MUN"]
        assert d["PERCOU"] is None or d["PERCOU"] <= d["POP_MUN"]
        assert d["POP_MUN"] <= d["POP_COM_QP"] <= d["POP_COM"]
        parts = [d[c] for c in ("AM", "AI", "ACSSENF", "ACAVENF")]
        if None not in parts:
            assert sum(parts) == d["A"]
        children = [d[c] for c in ("ENF_2", "ENF_3_5", "ENF_6_10", "ENF_11_14", "ENF_15_17", "ENF_18_24")]
        if None not in children and d["ENF"] is not None:
            assert sum(children) == d["ENF"]
        for column, value in d.items():
            if column.startswith("TX_") and value is not None:
                assert 0 <= value <= 100
        i = ipro_rows[code]
        assert i["A"] <= i["ABC"] <= i["ABCDE"]
        for total in ("ABCDE", "ABC", "A", "ABC_RSA", "ABC_DUR1"):
            if None not in (i[total], i[f"{total}_F"], i[f"{total}_H"]):
                assert i[f"{total}_F"] + i[f"{total}_H"] == i[total]
        ages = [i[c] for c in ("ABC_25", "ABC_2649", "ABC_50")]
        if None not in ages:
            assert sum(ages) == i["ABC"]
        notes = [v for k, v in {**d, **i}.items() if k.startswith("NOTE_")]
        assert set(notes) <= {0, 1}
    all_notes = [
        v for rows in (demo_rows, ipro_rows) for r in rows.values() for k, v in r.items() if k[:5] == "NOTE_"
    ]
    assert 0 < sum(all_notes) < len(all_notes) / 4


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("DEMO_2019.csv", ["POP_MUN", "A"]),
        ("DEMO_2017.csv", ["POP_MUN", "A"]),
        ("REVN_2019.csv", ["A", "APRES50"]),
        ("REVN_2017.csv", ["A", "APRES50"]),
        ("IPRO_2019.csv", ["ABC", "ABCDE"]),
        ("data_DEMO_2019_V1_QP.csv", ["POP_MUN", "A"]),
    ],
)
def test_ensemble_row_aggregates_the_qpv_rows(demo, name: str, columns: list[str]) -> None:
    out, _ = demo
    rows = read_anct(out / ANCT / name)
    ensemble, qpvs = rows[0], rows[1:]
    assert (
        ensemble["CODGEO"] == "Ensemble" and ensemble.get("LIBGEO", "Ensemble des QPV") == "Ensemble des QPV"
    )
    for column in columns:
        assert num(ensemble[column]) == sum(num(r[column]) for r in qpvs), column
    for column in layout(name).ensemble_blank:
        assert ensemble[column.strip()] == "", column
    if name.startswith("REVN_2019"):
        assert ensemble["TP60"] == "" and ensemble["DISP_Q2"] != ""


def test_values_evolve_between_editions(demo) -> None:
    out, _ = demo
    old = {r["CODGEO"]: r for r in qpv_rows(out, "REVN_2019.csv")}
    new = {r["CODGEO"]: r for r in qpv_rows(out, "REVN_2021.csv")}
    diffs = [
        abs(new[c]["TP60"] - old[c]["TP60"]) for c in old if None not in (old[c]["TP60"], new[c]["TP60"])
    ]
    assert diffs and max(diffs) < 8 and sum(d > 0 for d in diffs) > len(diffs) / 2


def test_truth_holds_tp60_and_median_as_written(demo) -> None:
    out, manifest = demo
    truth = manifest["truth"]["qpv2015"]
    nones = 0
    for edition in (2017, 2019, 2021):
        for r in qpv_rows(out, f"REVN_{edition}.csv"):
            expected = truth[r["CODGEO"]][str(edition)]
            assert expected == {"TP60": r["TP60"], "DISP_Q2": r["DISP_Q2"]}
            nones += expected["TP60"] is None
    assert nones >= 5  # the two smallest QPV in 2017 and 2019, plus one more in 2017


# --- QPV 2024 GeoJSON --------------------------------------------------------------------------------------


def test_qpv2024_geojson(demo) -> None:
    out, manifest = demo
    data = json.loads((out / "anct_qpv2024" / "qpv2024_simplified.geojson").read_text(encoding="utf-8"))
    assert data["name"] == "QP2024_France_Hexagonale_Outre_Mer_WGS84_ESPG4326"
    assert data["crs"]["properties"]["name"] == "urn:ogc:def:crs:OGC:1.3:CRS84"
    features = data["features"]
    codes = [f["properties"]["code_qp"] for f in features]
    assert len(codes) == len(set(codes)) == len(manifest["truth"]["qpv2024"]) >= 25
    assert all(re.fullmatch(r"QN0(59|62)\d\d[MIN]", c) for c in codes)
    assert {c[-1] for c in codes} == {"M", "I", "N"}
    assert any(", " in f["properties"]["insee_com"] for f in features)
    assert any(len(f["geometry"]["coordinates"]) > 1 for f in features)
    boxes = []
    for f in features:
        assert list(f["properties"]) == [
            "fid", "code_qp", "lib_qp", "insee_reg", "lib_reg", "insee_dep", "lib_dep", "insee_com", "lib_com",
            "siren_epci",
        ]  # fmt: skip
        assert f["geometry"]["type"] == "MultiPolygon"
        for polygon in f["geometry"]["coordinates"]:
            ring = polygon[0]
            assert ring[0] == ring[-1] and len(ring) >= 4
            assert signed_area([tuple(p) for p in ring]) > 0, "counter-clockwise outer ring"
            assert all(round(v, 5) == v for p in ring for v in p)
            lons, lats = [p[0] for p in ring], [p[1] for p in ring]
            assert 1.5 < min(lons) and max(lons) < 4.5 and 49.9 < min(lats) and max(lats) < 50.8
            boxes.append((f["properties"]["code_qp"], min(lons), min(lats), max(lons), max(lats)))
    for code, x0, y0, x1, y1 in boxes:
        width, height = (x1 - x0) * 71_000, (y1 - y0) * 111_200
        assert 100 < max(width, height) < 1_800, code
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a[0] != b[0]:
                overlap = a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
                assert not overlap, (a[0], b[0])


@pytest.mark.shared
def test_qpv2024_geojson_properties_match_real(demo) -> None:
    real = json.loads(
        (needs_shared() / "anct_qpv2024" / "qpv2024_simplified.geojson").read_text(encoding="utf-8")
    )
    out, _ = demo
    data = json.loads((out / "anct_qpv2024" / "qpv2024_simplified.geojson").read_text(encoding="utf-8"))
    assert (data["name"], data["crs"]) == (real["name"], real["crs"])
    assert list(data["features"][0]["properties"]) == list(real["features"][0]["properties"])
    assert {type(v) for v in data["features"][0]["properties"].values()} == {
        type(v) for v in real["features"][0]["properties"].values()
    }


# --- COG, IRIS, France Travail -----------------------------------------------------------------------------


def test_cog_files(demo) -> None:
    out, _ = demo
    cog = (out / "cog_insee" / "cog_20240101.csv").read_bytes().decode("utf-8")
    lines = cog.rstrip("\r\n").split("\r\n")
    assert all(re.fullmatch(r'"[^"]*"(,"[^"]*")*', line) for line in lines), "every field quoted"
    rows = list(csv.DictReader(io.StringIO(cog)))
    communes = {r["COM"] for r in rows if r["TYPECOM"] == "COM"}
    assert 6 <= len(communes) <= 10
    assert all(re.fullmatch(r"(599\d\d|629\d\d)", c) for c in communes)
    assert {r["TYPECOM"] for r in rows} == {"COM", "COMD"}
    epci = list(
        csv.DictReader(io.StringIO((out / "cog_insee" / "com_epci_dep_reg.csv").read_text()), delimiter=";")
    )
    assert {r["com_code"] for r in epci} == communes
    assert len({r["epci_siren"] for r in epci}) == 3
    assert all(re.fullmatch(r"2000\d{5}", r["epci_siren"]) for r in epci)
    assert b"\r" not in (out / "cog_insee" / "com_epci_dep_reg.csv").read_bytes()
    deps = list(csv.DictReader((out / "cog_insee" / "departements_france.csv").open(encoding="utf-8")))
    assert [d["code_departement"] for d in deps] == ["59", "62"]


def test_iris_files(demo) -> None:
    out, _ = demo
    caf = read_anct(out / "caf_insee_iris" / "data_CAF_2020_IRIS.csv")
    filo = read_anct(out / "caf_insee_iris" / "BASE_TD_FILO_DISP_IRIS_2019.csv")
    for rows, key in ((caf, "CODGEO"), (filo, "IRIS")):
        codes = [r[key] for r in rows]
        assert all(re.fullmatch(r"\d{9}", c) for c in codes)
        assert max(Counter(c[:5] for c in codes).values()) >= 3, "several IRIS per commune"
        assert any(v == "" for r in rows for v in r.values()), "some blank cells"
    assert (
        (out / "caf_insee_iris" / "BASE_TD_FILO_DISP_IRIS_2019.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    )
    for r in filo:
        deciles = [num(r[f"DISP_D{i}19"]) for i in (1, 2, 3, 4)] + [num(r["DISP_MED19"])]
        deciles += [num(r[f"DISP_D{i}19"]) for i in (6, 7, 8, 9)]
        assert deciles == sorted(deciles)
        assert num(r["DISP_Q119"]) < num(r["DISP_MED19"]) < num(r["DISP_Q319"])
    assert any("," in r["DISP_GI19"] for r in filo)


def test_caf_iris_misses_an_iris_of_one_commune_and_withholds_a_count_of_another(demo) -> None:
    """Both reasons why int_references_caf_communes gives a commune no value occur: an IRIS of the Filosofi IRIS
    list of the same year (2020) absent from the CAF file, and an IRIS count withheld."""
    out, _ = demo
    caf = read_anct(out / "caf_insee_iris" / "data_CAF_2020_IRIS.csv")
    filo19 = read_anct(out / "caf_insee_iris" / "BASE_TD_FILO_DISP_IRIS_2019.csv")
    filo20 = read_anct(out / "caf_insee_iris" / "BASE_TD_FILO_DISP_IRIS_2020.csv")
    assert list(filo20[0]) == [c.replace("19", "20") if c.startswith("DISP_") else c for c in filo19[0]]
    assert [r["IRIS"] for r in filo20] == [r["IRIS"] for r in filo19]
    for old, new in zip(filo19, filo20, strict=True):
        assert 1.0 < num(new["DISP_MED20"]) / num(old["DISP_MED19"]) < 1.03
    listed, in_caf = {r["IRIS"] for r in filo20}, {r["CODGEO"] for r in caf}
    assert in_caf < listed
    missing_communes = {code[:5] for code in listed - in_caf}
    assert len(missing_communes) == 1 and missing_communes <= {c[:5] for c in in_caf}
    withheld = {r["CODGEO"][:5] for r in caf if "" in (r["A"], r["ARSAS"], r["APPA"], r["AAAH"])}
    assert withheld - missing_communes, "a withheld IRIS count in another commune"
    complete = {c[:5] for c in in_caf} - withheld - missing_communes
    assert complete, "and a commune whose sum is complete"


# --- INSEE Filosofi of whole territories -------------------------------------------------------------------

FILO_TERRITOIRES = "insee_filosofi_territoires"
ANNEES_REFERENCE = Path(__file__).resolve().parents[1] / "sql" / "seeds" / "annees_reference.csv"
REVN_EDITIONS = sorted(lay.edition for lay in ANCT_LAYOUTS if lay.filename.startswith("REVN_"))


def filo_file(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header as written (empty trailing names included) and rows as {column without the year: cell}."""
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    header = lines[0].split(";")
    suffix = path.name[6:8]
    names = [h[: -len(suffix)] if h.endswith(suffix) and h not in ("Q3_Q1", "RD") else h for h in header]
    rows = [dict(zip(names, line.split(";"), strict=True)) for line in lines[1:]]
    for row in rows:
        row.pop("", None)
    return header, rows


def filo_files(out: Path) -> dict[tuple[int, str], list[dict[str, str]]]:
    found = {}
    for path in sorted((out / FILO_TERRITOIRES).iterdir()):
        match = re.fullmatch(r"FILO(\d{4})_DISP_(COM|EPCI|DEP|REG|METROPOLE)\.csv", path.name)
        assert match, path.name
        found[(int(match[1]), match[2])] = filo_file(path)[1]
    return found


def test_filosofi_territoires_years_are_those_the_revn_editions_carry(demo) -> None:
    out, _ = demo
    with ANNEES_REFERENCE.open(encoding="utf-8") as handle:
        carried = {
            int(r["annee_reference"])
            for r in csv.DictReader(handle)
            if r["fichier"] == "REVN" and r["famille"] == "filosofi" and int(r["millesime"]) in REVN_EDITIONS
        }
    files = filo_files(out)
    assert {year for year, _ in files} == carried == {2013, 2015, 2017}
    for year in carried:  # every level, but no commune file in 2017 (like the real data)
        levels = {"EPCI", "DEP", "REG", "METROPOLE"} | ({"COM"} if year != 2017 else set())
        assert {level for y, level in files if y == year} == levels


def test_filosofi_territoires_quirks(demo) -> None:
    out, _ = demo
    for path in sorted((out / FILO_TERRITOIRES).iterdir()):
        year, aa = int(path.name[4:8]), path.name[6:8]
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), path.name
        assert data.count(b"\n") == data.count(b"\r\n") >= 1 and not data.endswith(b"\n"), path.name
        text = data.decode("utf-8-sig")
        assert re.search(r";\d+,\d", text) and not re.search(r"\d\.\d", text), "decimal comma, never a point"
        header, rows = filo_file(path)
        named = [h for h in header if h]
        assert named[:9] == ["CODGEO", "LIBGEO", f"NBMEN{aa}", f"NBPERS{aa}", f"NBUC{aa}", f"Q1{aa}", f"Q2{aa}",
                             f"Q3{aa}", "Q3_Q1"]  # fmt: skip
        widths = {len(line.split(";")) for line in text.split("\r\n")}
        if year == 2017:  # 31 named columns then 69 empty ones on every line
            assert (
                len(named) == 31
                and widths == {100}
                and all(line.endswith(";" * 69) for line in text.split("\r\n"))
            )
        else:
            assert widths == {len(header)} == {len(named)}
        if year <= 2014:  # the 2014 layout: wages and unemployment benefits together
            assert f"PTSAC{aa}" in named and f"PACT{aa}" not in named and len(named) == 29
        elif year == 2015:
            assert named[20:23] == ["PACT15", "PCHO15", "PTSA15"]
            assert all(re.fullmatch(r"\d+,0", r["NBMEN"]) for r in rows), "2015 counts with a decimal"
            assert all(re.fullmatch(r"\d+,[05]", r["NBPERS"]) for r in rows)
        else:
            assert named[20:23] == [f"PACT{aa}", f"PTSA{aa}", f"PCHO{aa}"]
            assert all(re.fullmatch(r"\d+", r["NBMEN"]) for r in rows)
        if year >= 2017:
            assert all(int(r[c]) % 10 == 0 for r in rows for c in ("Q1", "Q2", "D1", "D9")), "tens of euros"
    files = filo_files(out)
    for (year, level), rows in files.items():
        codes = [r["CODGEO"] for r in rows]
        assert codes == sorted(codes)
        pattern = {
            "COM": r"\d{5}",
            "EPCI": r"2000\d{5}",
            "DEP": r"\d\d|97\d",
            "REG": r"\d\d",
            "METROPOLE": "1",
        }
        assert all(re.fullmatch(pattern[level], c) for c in codes), (year, level, codes)
        if level == "REG":  # current codes: Martinique 02 and La Réunion 04 look like département codes
            assert codes == ["02", "04", "32"] and rows[0]["LIBGEO"] == "Martinique"
            deps = {r["CODGEO"]: r for r in files[(year, "DEP")]}
            assert {k: v for k, v in rows[0].items() if k != "CODGEO"} == {
                k: v for k, v in deps["972"].items() if k != "CODGEO"
            }
        if level == "DEP":
            assert codes == ["59", "62", "972", "974"]
        if level == "METROPOLE":
            assert [(r["CODGEO"], r["LIBGEO"]) for r in rows] == [("1", "France métropolitaine")]


def test_filosofi_territoires_small_commune_gets_only_counts_and_median(demo) -> None:
    """Ferrière-la-Basse (59904), merged since into the commune nouvelle 59903 (a COMD of the COG), is a commune of
    its own in the 2013 and 2015 files: under 1,000 households and 2,000 persons, only its counts and median."""
    out, _ = demo
    cog = list(csv.DictReader((out / "cog_insee" / "cog_20240101.csv").open(encoding="utf-8")))
    assert [(r["TYPECOM"], r["COMPARENT"]) for r in cog if r["COM"] == "59904"] == [("COMD", "59903")]
    for (year, level), rows in filo_files(out).items():
        if level != "COM":
            continue
        small = [r for r in rows if r["NBMEN"] and num(r["NBMEN"]) < 1_000 and num(r["NBPERS"]) < 2_000]
        assert [r["CODGEO"] for r in small] == ["59904"], year
        published = {k for k, v in small[0].items() if v}
        assert published == {"CODGEO", "LIBGEO", "NBMEN", "NBPERS", "NBUC", "Q2"}
        assert all(v for r in rows if r is not small[0] for v in r.values()), "the others are fully published"


def test_filosofi_territoires_values_are_coherent(demo) -> None:
    out, _ = demo
    files = filo_files(out)
    chain = ("D1", "D2", "D3", "D4", "Q2", "D6", "D7", "D8", "D9")
    for (year, _level), rows in files.items():
        for r in rows:
            v = {k: num(c) for k, c in r.items() if k not in ("CODGEO", "LIBGEO")}
            if v["D1"] is None:
                continue
            deciles = [v[k] for k in chain]
            assert deciles == sorted(deciles) and len(set(deciles)) == len(deciles), (year, r["CODGEO"])
            assert v["D2"] < v["Q1"] < v["D3"] and v["D7"] < v["Q3"] < v["D8"]
            assert 12_000 < v["Q2"] < 25_000 and 2.5 < v["RD"] < 5 and 0.2 <= v["GI"] < 0.4
            activity = v["PTSAC"] + v["PBEN"] if "PTSAC" in v else v["PACT"]
            if "PACT" in v:
                assert v["PTSA"] + v["PCHO"] + v["PBEN"] == pytest.approx(v["PACT"], abs=0.25)
            assert activity + v["PPEN"] + v["PPAT"] + v["PPSOC"] + v["PIMPOT"] == pytest.approx(100, abs=0.35)
            assert v["PPFAM"] + v["PPMINI"] + v["PPLOGT"] == pytest.approx(v["PPSOC"], abs=0.25)
            assert v["PIMPOT"] < 0 < v["PBEN"]
            assert 1.3 < v["NBPERS"] / v["NBUC"] < 1.7 and 2 < v["NBPERS"] / v["NBMEN"] < 3
    # each territory's median is above, its share of social benefits under, those of each of its QPV (REVN of the
    # edition carrying the year)
    cog = list(csv.DictReader((out / "cog_insee" / "cog_20240101.csv").open(encoding="utf-8")))
    code_of = {r["LIBELLE"]: r["COM"] for r in cog if r["TYPECOM"] == "COM"}
    epci_of = {
        r["com_code"]: r["epci_siren"]
        for r in csv.DictReader(
            (out / "cog_insee" / "com_epci_dep_reg.csv").open(encoding="utf-8"), delimiter=";"
        )
    }
    epci_of["59904"] = epci_of["59903"]  # the former commune, now part of 59903
    keys = {
        "COM": lambda c: c,
        "EPCI": lambda c: epci_of[c],
        "DEP": lambda c: c[:2],
        "REG": lambda c: "32",
        "METROPOLE": lambda c: "1",
    }
    checked = 0
    for edition in REVN_EDITIONS:
        year = edition - 4
        revn = {r["CODGEO"]: r for r in qpv_rows(out, f"REVN_{edition}.csv")}
        communes = {
            r["CODGEO"]: [code_of[n] for n in r["LIB_COM"].split(", ")]
            for r in read_anct(out / ANCT / f"DEMO_{edition}.csv")
            if r["CODGEO"] != "Ensemble"
        }
        for level, key in keys.items():
            if (year, level) not in files:
                continue
            territories = {r["CODGEO"]: r for r in files[(year, level)]}
            for qpv, codes in communes.items():
                for code in codes:
                    territory = territories[key(code)]
                    if revn[qpv]["DISP_Q2"] is not None:
                        assert num(territory["Q2"]) > revn[qpv]["DISP_Q2"], (year, level, code, qpv)
                        checked += 1
                    if revn[qpv]["PPSOC"] is not None and territory["PPSOC"]:
                        assert num(territory["PPSOC"]) < revn[qpv]["PPSOC"], (year, level, code, qpv)
        if (year, "COM") in files:  # an EPCI's counts are the sums of its communes'
            sums = Counter()
            for r in files[(year, "COM")]:
                sums[epci_of[r["CODGEO"]]] += num(r["NBMEN"])
            assert {r["CODGEO"]: num(r["NBMEN"]) for r in files[(year, "EPCI")]} == dict(sums)
    assert checked > 100


def test_filosofi_territoires_load_with_the_contracts(demo) -> None:
    from assets.insee import SOURCES
    from pipelines.sources.parsing import discover_files, load_source

    out, _ = demo
    shapes = {}
    for source in SOURCES:
        if source.name.startswith("insee_filosofi_") and source.name != "insee_filosofi_iris":
            frame, notes = load_source(source, discover_files(source, out))
            shapes[source.name] = sorted(Counter(frame["millesime"].to_list()).items())
            assert not notes.get("undeclared"), notes
    assert shapes == {
        "insee_filosofi_communes": [(2013, 9), (2015, 9)],
        "insee_filosofi_epci": [(2013, 3), (2015, 3), (2017, 3)],
        "insee_filosofi_departements": [(2013, 4), (2015, 4), (2017, 4)],
        "insee_filosofi_regions": [(2013, 3), (2015, 3), (2017, 3)],
        "insee_filosofi_france": [(2013, 1), (2015, 1), (2017, 1)],
    }


@pytest.mark.shared
@pytest.mark.parametrize(("year", "real_year"), [(2013, 2014), (2015, 2015), (2017, 2017)])
def test_filosofi_territoires_headers_match_real_files(demo, year: int, real_year: int) -> None:
    """Same header (the year's two digits aside: no real 2013 file, its layout is 2014's), BOM, CRLF, final byte."""
    folder = needs_shared() / FILO_TERRITOIRES
    out, _ = demo
    for level in ("COM", "EPCI", "DEP", "REG", "METROPOLE"):
        demo_path, real_path = (
            out / FILO_TERRITOIRES / f"FILO{year}_DISP_{level}.csv",
            folder / f"FILO{real_year}_DISP_{level}.csv",
        )
        assert demo_path.exists() == real_path.exists() or (year, real_year) == (2013, 2014), level
        if not demo_path.exists():
            continue
        expected = [h.replace(str(real_year)[2:], str(year)[2:]) for h in raw_header(real_path)]
        assert raw_header(demo_path) == expected, level
        demo_bytes, real_bytes = demo_path.read_bytes(), real_path.read_bytes()
        assert demo_bytes[:3] == real_bytes[:3] and demo_bytes[-1:] != b"\n" and real_bytes[-1:] != b"\n"
        assert (b"\r\n" in demo_bytes) == (b"\r\n" in real_bytes)


def test_defm_zip(demo) -> None:
    out, manifest = demo
    with zipfile.ZipFile(out / "france_travail" / "DEFM_QPV2024_2024.zip") as archive:
        assert sorted(archive.namelist()) == ["DEFM_QPV2024_2024.csv", "meta_DEFM_QPV2024_2024.csv"]
        data = list(
            csv.DictReader(io.StringIO(archive.read("DEFM_QPV2024_2024.csv").decode()), delimiter=";")
        )
        meta = list(
            csv.DictReader(io.StringIO(archive.read("meta_DEFM_QPV2024_2024.csv").decode()), delimiter=";")
        )
    assert [m["COD_VAR"] for m in meta] == list(data[0])
    assert {m["TYPE_VAR"] for m in meta} == {"CHAR", "NUM"}
    assert sorted(r["CODGEO"] for r in data) == sorted(manifest["truth"]["qpv2024"])
    numeric = [m["COD_VAR"] for m in meta if m["TYPE_VAR"] == "NUM"]
    for r in data:
        for column in numeric:
            assert r[column] == "" or int(r[column]) >= 5
        if r["DEFM_ABC"] and r["DEFM_ABCDE"] and r["DEFM_A"]:
            assert int(r["DEFM_A"]) <= int(r["DEFM_ABC"]) <= int(r["DEFM_ABCDE"])


# --- SIRENE ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stem", "sep"),
    [("StockEtablissement_utf8", ","), ("StockUniteLegale_utf8", ","), (GEOLOC, ";")],
)
def test_sirene_parquet_and_zip_hold_the_same_rows(demo, stem: str, sep: str) -> None:
    out, _ = demo
    parquet = pl.read_parquet(out / "sirene" / f"{stem}.parquet")
    assert all(dtype == pl.String for dtype in parquet.dtypes)
    rows = zipped_csv(out / "sirene" / f"{stem}.zip", sep)
    assert list(rows[0]) == parquet.columns
    from_parquet = [{k: (v or "") for k, v in r.items()} for r in parquet.iter_rows(named=True)]
    assert from_parquet == rows
    assert len(rows) >= 1_000


def test_sirene_columns_and_codes(demo) -> None:
    out, _ = demo
    etab = pl.read_parquet(out / "sirene" / "StockEtablissement_utf8.parquet")
    units = pl.read_parquet(out / "sirene" / "StockUniteLegale_utf8.parquet")
    required = [
        "siret", "siren", "nic", "etatAdministratifEtablissement", "dateCreationEtablissement",
        "trancheEffectifsEtablissement", "anneeEffectifsEtablissement", "activitePrincipaleEtablissement",
        "nomenclatureActivitePrincipaleEtablissement", "caractereEmployeurEtablissement", "codeCommuneEtablissement",
        "statutDiffusionEtablissement", "coordonneeLambertAbscisseEtablissement",
        "coordonneeLambertOrdonneeEtablissement", "numeroVoieEtablissement", "libelleVoieEtablissement",
        "codePostalEtablissement", "libelleCommuneEtablissement", "activitePrincipaleNAF25Etablissement",
    ]  # fmt: skip
    assert set(required) <= set(etab.columns) and len(etab.columns) >= 53
    assert etab["siret"].n_unique() == etab.height
    assert set(etab["trancheEffectifsEtablissement"]) <= set(TRANCHES_EFFECTIFS)
    assert set(etab["etatAdministratifEtablissement"]) == {"A", "F"}
    assert set(etab["statutDiffusionEtablissement"]) == {"O", "P"}
    assert set(etab["caractereEmployeurEtablissement"]) == {"O", "N"}
    assert all(re.fullmatch(r"\d\d\.\d\d[A-Z]", n) for n in etab["activitePrincipaleEtablissement"])
    assert all(s.startswith(n) for s, n in zip(etab["siret"], etab["siren"], strict=True))
    assert set(etab["siren"]) <= set(units["siren"])
    for column in ("siren", "siret"):
        for value in (units if column == "siren" else etab)[column]:
            digits = [int(c) for c in reversed(value)]
            assert (
                sum(d if i % 2 == 0 else (2 * d - 9 if d > 4 else 2 * d) for i, d in enumerate(digits)) % 10
                == 0
            )
    categories = set(units["categorieJuridiqueUniteLegale"])
    assert {"9220", "9300", "8210", "5458", "5560", "6317", "5710", "5499", "1000", "7210"} <= categories
    public = units.filter(pl.col("categorieJuridiqueUniteLegale") == "7210")
    assert set(public["activitePrincipaleUniteLegale"]) == {"84.11Z"}
    assert set(units["economieSocialeSolidaireUniteLegale"].fill_null("")) == {"O", "N", ""}
    assert set(units["etatAdministratifUniteLegale"]) == {"A", "C"}


def test_geolocation_agrees_with_the_polygons(demo) -> None:
    out, _ = demo
    features = json.loads((out / "anct_qpv2024" / "qpv2024_simplified.geojson").read_text(encoding="utf-8"))[
        "features"
    ]
    polygons = [(f["properties"]["code_qp"], [p[0] for p in f["geometry"]["coordinates"]]) for f in features]
    rows = zipped_csv(out / "sirene" / f"{GEOLOC}.zip", ";")
    assert list(rows[0]) == [
        "siret", "x", "y", "qualite_xy", "epsg", "plg_qp24", "plg_iris", "plg_zus", "plg_qp15", "plg_qva",
        "plg_code_commune", "distance_precision", "qualite_qp24", "qualite_iris", "qualite_zus", "qualite_qp15",
        "qualite_qva", "y_latitude", "x_longitude",
    ]  # fmt: skip
    inside = 0
    for r in rows:
        lon, lat = float(r["x_longitude"]), float(r["y_latitude"])
        assert math.dist(lambert93(lon, lat), (float(r["x"]), float(r["y"]))) < 1
        found = [code for code, rings in polygons if any(point_in_ring((lon, lat), ring) for ring in rings)]
        assert len(found) <= 1
        if r["qualite_xy"] != "33":
            assert r["plg_qp24"] == (found[0] if found else ""), r["siret"]
        inside += bool(found)
        assert r["plg_iris"].startswith(r["plg_code_commune"]) and len(r["plg_iris"]) == 9
    quality = Counter(r["qualite_xy"] for r in rows)
    assert set(quality) == {"11", "12", "21", "22", "33"}
    assert 0.02 < quality["33"] / len(rows) < 0.1
    assert 0.2 < inside / len(rows) < 0.7
    assert any(r["qualite_xy"] == "33" and r["plg_qp24"] for r in rows), "a 33 point inside a QPV (trap)"
    assert sum(bool(r["plg_qp15"]) for r in rows) > len(rows) / 5
    etab = {r["siret"]: r for r in zipped_csv(out / "sirene" / "StockEtablissement_utf8.zip", ",")}
    assert set(etab) == {r["siret"] for r in rows}
    for r in rows:
        assert etab[r["siret"]]["codeCommuneEtablissement"] == r["plg_code_commune"]


ESS_CJ = (
    {str(c) for c in range(9210, 9261)} | {"9300", "8210", "8250", "8290", "6411"} | {str(c) for c in range(5191, 5197)}
    | {"5432"} | {str(c) for c in range(5458, 5461)} | {str(c) for c in range(5551, 5561)}
    | {str(c) for c in range(5651, 5661)} | {str(c) for c in range(6316, 6319)}
)  # fmt: skip
NAF_EXCLUDED = {"94.11Z", "94.12Z", "94.20Z", "94.91Z", "94.92Z"}


def test_ess_truth_recomputed_from_the_files(demo) -> None:
    out, manifest = demo
    etab = pl.read_parquet(out / "sirene" / "StockEtablissement_utf8.parquet")
    units = pl.read_parquet(out / "sirene" / "StockUniteLegale_utf8.parquet")
    geoloc = pl.read_parquet(out / "sirene" / f"{GEOLOC}.parquet")
    bands = pl.DataFrame(
        {
            "tranche": list(TRANCHES_EFFECTIFS),
            "low": [v[0] for v in TRANCHES_EFFECTIFS.values()],
            "high": [v[1] for v in TRANCHES_EFFECTIFS.values()],
        }  # fmt: skip
    )
    located = (
        etab.join(units, on="siren")
        .join(geoloc, on="siret")
        .filter(
            (pl.col("etatAdministratifEtablissement") == "A")
            & (pl.col("qualite_xy") != "33")
            & pl.col("plg_qp24").is_not_null()
        )
        .join(bands, left_on="trancheEffectifsEtablissement", right_on="tranche")
    )
    naf = pl.col("activitePrincipaleUniteLegale")
    by_cj = pl.col("categorieJuridiqueUniteLegale").is_in(sorted(ESS_CJ)) & ~(
        naf.str.starts_with("84.") | naf.is_in(sorted(NAF_EXCLUDED))
    )
    ess = located.filter(by_cj | (pl.col("economieSocialeSolidaireUniteLegale") == "O"))
    computed = ess.group_by("plg_qp24").agg(
        pl.len().alias("n"),
        pl.col("low").sum(),
        pl.col("high").sum(),
        ((pl.col("low") + pl.col("high")) / 2).sum().alias("central"),
    )
    computed = {r[0]: r[1:] for r in computed.iter_rows()}
    actives = dict(located.group_by("plg_qp24").len().iter_rows())
    truth = manifest["truth"]["qpv2024"]
    assert sum(t["ess_etablissements"] for t in truth.values()) > 50
    assert sum(t["ess_par_base"]["flag"] for t in truth.values()) > 0
    for code, t in truth.items():
        n, low, high, central = computed.get(code, (0, 0, 0, 0.0))
        assert (t["ess_etablissements"], t["ess_emplois_bas"], t["ess_emplois_haut"]) == (n, low, high), code
        assert t["ess_emplois_central"] == pytest.approx(central)
        assert t["ess_emplois_bas"] <= t["ess_emplois_central"] <= t["ess_emplois_haut"]
        assert t["etablissements_actifs"] == actives.get(code, 0)
        assert sum(t["ess_par_base"].values()) == t["ess_etablissements"]
