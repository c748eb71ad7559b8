"""The official live formats end to end, against a real HTTP server on 127.0.0.1 (tests/http_fixture.py):
Filosofi by IRIS as INSEE's CSV zip, the EPCI composition as INSEE's XLSX zip, both built here from the real
extracts, fetched into the raw archive and loaded into the same raw table as the local CSV; the operator's
URL override (QPV_LIVE_URL_<SOURCE>); the dry run of a page-only source. Expected values are computed here
from the raw files with the csv module, or read off the files by hand."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from assets import all_sources
from pipelines.contracts.registry import LiveSpec, ReadOptions
from pipelines.sources.live import LiveSourceClient, LiveSourceError, RefreshedSourceClient
from pipelines.sources.loaders import get_loader
from pipelines.sources.parsing import InputError, SourceFile, discover_files, sha256_of
from pipelines.warehouse.connection import connection
from tests.conftest import QPV
from tests.http_fixture import Reply, ScriptedServer

BY_NAME = {s.name: s for s in all_sources()}
FILOSOFI_CSV = "caf_insee_iris/BASE_TD_FILO_DISP_IRIS_2019.csv"
EPCI_CSV = "cog_insee/com_epci_dep_reg.csv"
# A slice of the communes that exercises the code quirks (leading zeros, Corsica, DOM, Paris arrondissements,
# the island communes without EPCI) and keeps openpyxl fast.
EPCI_PREFIXES = ("01", "2A", "2B", "75", "971", "972", "973", "974", "976")
ISLANDS = {"22016", "29083", "29155", "85113"}


@pytest.fixture
def server():
    with ScriptedServer() as srv:
        yield srv


def client(tmp_path: Path, **overrides) -> LiveSourceClient:
    config = dict(
        archive_root=str(tmp_path / "archive"),
        allowed_hosts=["127.0.0.1"],
        allow_http=True,
        read_timeout=5.0,
        max_attempts=2,
        backoff_base=0.01,
        url_overrides={},
    )
    config.update(overrides)
    return LiveSourceClient(**config)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def csv_rows(path: Path, delimiter: str = ";") -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def load(source, files: list[SourceFile], warehouse: Path, table: str):
    with connection(warehouse) as con:
        return get_loader(source.loader)(source, files, con, f"raw.{table}")


def query(warehouse: Path, sql: str, params=()):
    with connection(warehouse, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


# --- Filosofi: the official CSV zip ------------------------------------------------------------------------------


def test_filosofi_csv_zip_fetched_and_loaded_like_the_local_csv(shared_data, tmp_path, server):
    local_csv = shared_data / FILOSOFI_CSV
    body = zip_bytes(
        {
            "BASE_TD_FILO_IRIS_2019_DISP.csv": local_csv.read_bytes(),
            "meta_BASE_TD_FILO_IRIS_2019_DISP.csv": b"COD_VAR;LIB_VAR;TYPE_VAR\nIRIS;Code IRIS;CHAR\n",
            "__MACOSX/._BASE_TD_FILO_IRIS_2019_DISP.csv": b"\x00\x05\x16\x07",
        }
    )
    url = server.script(
        "/fr/statistiques/fichier/8229323/BASE_TD_FILO_IRIS_2019_DISP_CSV.zip",
        Reply(body=body, headers={"Content-Type": "application/zip"}),
    )
    official = BY_NAME["insee_filosofi_iris"]
    source = dataclasses.replace(official, live=LiveSpec(kind="direct", urls=((2019, url),)))
    [archived] = client(tmp_path).files(source)
    assert (archived.relative, archived.millesime) == (
        "caf_insee_iris/BASE_TD_FILO_IRIS_2019_DISP_CSV.zip",
        2019,
    )
    assert archived.sha256 == hashlib.sha256(body).hexdigest()

    # the data folder holds the 2017, 2018 and 2019 editions: the zip stands for the 2019 one
    [local] = [sf for sf in discover_files(source, shared_data) if sf.millesime == 2019]
    warehouse = tmp_path / "w.duckdb"
    from_zip = load(source, [archived], warehouse, "filo_zip")
    from_csv = load(source, [local], warehouse, "filo_csv")
    expected = len(csv_rows(local_csv)) - 1
    assert from_zip.rows == from_csv.rows == expected == 12481
    assert from_zip.notes["read_from"] == {
        archived.relative: f"{archived.relative} (member BASE_TD_FILO_IRIS_2019_DISP.csv)"
    }
    columns = ", ".join(["millesime", "_ligne", *source.load_contract().column_names])
    for left, right in (("filo_zip", "filo_csv"), ("filo_csv", "filo_zip")):
        assert query(
            warehouse,
            f"select count(*) from (select {columns} from raw.{left} except all select {columns} from raw.{right})",
        ) == [(0,)]
    # BASE_TD_FILO_DISP_IRIS_2019.csv line 2: 010040101, DISP_TP6019 20,5, DISP_MED19 19400, DISP_GI19 0,241
    assert query(
        warehouse,
        "select _ligne, DISP_TP60, DISP_MED, DISP_GI, _fichier, _sha256 from raw.filo_zip where IRIS = '010040101'",
    ) == [(2, 20.5, 19400.0, 0.241, archived.relative, archived.sha256)]


def test_a_bad_value_in_a_zipped_csv_names_the_member_line_and_column(shared_data, tmp_path):
    lines = (shared_data / FILOSOFI_CSV).read_text(encoding="utf-8-sig").splitlines()
    cells = lines[4].split(";")
    cells[6] = "abc"  # DISP_MED19, file line 5
    lines[4] = ";".join(cells)
    folder = tmp_path / "data" / "caf_insee_iris"
    folder.mkdir(parents=True)
    path = folder / "BASE_TD_FILO_IRIS_2019_DISP_CSV.zip"
    path.write_bytes(zip_bytes({"BASE_TD_FILO_IRIS_2019_DISP.csv": "\n".join(lines).encode()}))
    source = BY_NAME["insee_filosofi_iris"]
    [sf] = discover_files(source, tmp_path / "data")
    with pytest.raises(InputError, match="'abc' n'est pas un nombre") as err:
        load(source, [sf], tmp_path / "w.duckdb", "filo")
    assert (
        err.value.file
        == "caf_insee_iris/BASE_TD_FILO_IRIS_2019_DISP_CSV.zip (member BASE_TD_FILO_IRIS_2019_DISP.csv)"
    )
    assert (err.value.line, err.value.column) == (5, "DISP_MED19 (n° 7)")


def test_a_zip_with_two_data_files_or_an_unsafe_name_is_refused(shared_data, tmp_path):
    data = (shared_data / FILOSOFI_CSV).read_bytes()
    source = BY_NAME["insee_filosofi_iris"]
    for name, members in {
        "two": {"a.csv": data, "b.csv": data},
        "evil": {"BASE.csv": data, "../evil.csv": b"x"},
    }.items():
        folder = tmp_path / name / "caf_insee_iris"
        folder.mkdir(parents=True)
        (folder / "BASE_TD_FILO_IRIS_2019_DISP_CSV.zip").write_bytes(zip_bytes(members))
        [sf] = discover_files(source, tmp_path / name)
        expected = (
            "un seul fichier de données"
            if name == "two"
            else r"nom d'entrée dangereux : l'entrée zip '\.\./evil\.csv'"
        )
        with pytest.raises(InputError, match=expected):
            load(source, [sf], tmp_path / f"{name}.duckdb", "filo")


# --- EPCI: the official XLSX zip ---------------------------------------------------------------------------------


def epci_slice(shared_data: Path) -> tuple[list[str], list[list[str]]]:
    header, *rows = csv_rows(shared_data / EPCI_CSV)
    return header, [r for r in rows if r[0].startswith(EPCI_PREFIXES) or r[0] in ISLANDS]


def department_of(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def epci_workbook(rows: list[list[str]], regions: dict[str, str]) -> bytes:
    """The layout of INSEE's epci_au_01-01-<year>.xlsx: sheets EPCI and Composition_communale, 5 title rows."""
    workbook = openpyxl.Workbook()
    epci = workbook.active
    epci.title = "EPCI"
    titles = ["Intercommunalités au 1er janvier 2024", "Source : Insee, test", None, None, None]
    for title in titles:
        epci.append([title])
    epci.append(["EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"])
    for code in sorted({r[3] for r in rows}):
        epci.append([code, next(r[4] for r in rows if r[3] == code), "CC", sum(r[3] == code for r in rows)])
    sheet = workbook.create_sheet("Composition_communale")
    for title in titles:
        sheet.append([title])
    sheet.append(["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"])
    for r in rows:
        code = "ZZZZZZZZZ" if r[3] == "000000000" else r[3]
        sheet.append([r[0], r[2], code, r[4], department_of(r[0]), regions[department_of(r[0])]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_epci_xlsx_zip_fetched_and_loaded_into_the_same_table_as_the_csv(shared_data, tmp_path, server):
    header, rows = epci_slice(shared_data)
    regions = {r[0]: r[2] for r in csv_rows(shared_data / "cog_insee/departements_france.csv", ",")[1:]}
    body = zip_bytes({"epci_au_01-01-2024.xlsx": epci_workbook(rows, regions)})
    url = server.script("/fr/statistiques/fichier/2510634/epci_au_01-01-2024.zip", Reply(body=body))
    official = BY_NAME["insee_communes_epci"]
    assert official.live is not None and official.live.urls[0][1].endswith("/2510634/epci_au_01-01-2024.zip")
    source = dataclasses.replace(official, live=LiveSpec(kind="direct", urls=((2024, url),)))
    [archived] = client(tmp_path).files(source)
    assert (archived.relative, archived.millesime) == ("cog_insee/epci_au_01-01-2024.zip", 2024)

    # the local equivalent: the same communes in the local CSV layout
    local_dir = tmp_path / "data" / "cog_insee"
    local_dir.mkdir(parents=True)
    with (local_dir / "com_epci_dep_reg.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\n").writerows([header, *rows])
    [local] = discover_files(source, tmp_path / "data")
    assert local.millesime == 2023  # the local copy's conventional label

    warehouse = tmp_path / "w.duckdb"
    assert load(source, [archived], warehouse, "epci_xlsx").rows == len(rows) > 800
    assert load(source, [local], warehouse, "epci_csv").rows == len(rows)
    same = (
        "select com_code, com_name, case when epci_siren = 'ZZZZZZZZZ' then '000000000' else epci_siren end, "
        "epci_name from raw.{}"
    )
    for left, right in (("epci_xlsx", "epci_csv"), ("epci_csv", "epci_xlsx")):
        assert query(
            warehouse, f"select count(*) from ({same.format(left)} except all {same.format(right)})"
        ) == [(0,)]
    # rows numbered as in the sheet (header on row 6), codes kept as text, département and région codes
    first = rows[0]
    assert query(
        warehouse,
        "select _ligne, com_name, dep_code, com_siren, millesime, _fichier from raw.epci_xlsx where com_code = ?",
        [first[0]],
    ) == [(7, first[2], department_of(first[0]), None, 2024, "cog_insee/epci_au_01-01-2024.zip")]
    # com_epci_dep_reg.csv line 32409: Ouessant, no EPCI; Corsica and DOM codes as written
    assert query(
        warehouse, "select epci_siren, dep_code, reg_code from raw.epci_xlsx where com_code = '29155'"
    ) == [("ZZZZZZZZZ", "29", "53")]
    assert query(warehouse, "select count(*) from raw.epci_xlsx where com_code like '2A%'") == [
        (sum(r[0].startswith("2A") for r in rows),)
    ]
    assert query(warehouse, "select distinct dep_code from raw.epci_xlsx where com_code like '974%'") == [
        ("974",)
    ]


def test_xlsx_errors_name_the_file_sheet_row_and_column(shared_data, tmp_path):
    # Filosofi columns in a workbook: a number column with text in it
    header, *rows = csv_rows(shared_data / FILOSOFI_CSV)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "IRIS"
    sheet.append(["Titre"])
    sheet.append([])
    sheet.append(header)
    for row in rows[:20]:
        sheet.append(row)
    sheet["G10"] = "n/a"  # DISP_MED19 of the 7th data row
    buffer = io.BytesIO()
    workbook.save(buffer)
    folder = tmp_path / "data" / "caf_insee_iris"
    folder.mkdir(parents=True)
    (folder / "BASE_TD_FILO_IRIS_2019_DISP_CSV.zip").write_bytes(zip_bytes({"filo.xlsx": buffer.getvalue()}))
    source = dataclasses.replace(
        BY_NAME["insee_filosofi_iris"], read=ReadOptions(sheet="IRIS", skip_rows=2, decimal_comma=True)
    )
    [sf] = discover_files(source, tmp_path / "data")
    with pytest.raises(InputError, match="'n/a' n'est pas un nombre") as err:
        load(source, [sf], tmp_path / "w.duckdb", "filo")
    assert (
        err.value.file
        == "caf_insee_iris/BASE_TD_FILO_IRIS_2019_DISP_CSV.zip (member filo.xlsx), feuille IRIS"
    )
    assert (err.value.line, err.value.column) == (10, "DISP_MED19 (n° 7)")
    wrong_sheet = dataclasses.replace(source, read=ReadOptions(sheet="Composition_communale", skip_rows=5))
    with pytest.raises(
        InputError, match=r"pas de feuille 'Composition_communale' dans le classeur \(feuilles : \['IRIS'\]\)"
    ):
        load(wrong_sheet, [sf], tmp_path / "w.duckdb", "filo")


# --- operator's URL override, page-only sources ------------------------------------------------------------------


def test_an_operator_url_makes_a_page_only_source_live(shared_data, tmp_path, server):
    revn = BY_NAME["anct_revn"]
    assert revn.live is not None and revn.live.kind == "page" and "2500477" in (revn.live.page or "")
    body = (shared_data / "anct_onpv_qpv2015" / "REVN_2021.csv").read_bytes()
    url = server.script("/fr/statistiques/fichier/2500477/REVN_2021.csv", Reply(body=body))

    # without an override: nothing to fetch, the error names the page and the variable; read locally
    with pytest.raises(
        LiveSourceError, match="aucune URL de fichier à télécharger.*QPV_LIVE_URL_ANCT_REVN"
    ) as info:
        client(tmp_path).refresh(revn)
    assert "https://www.insee.fr/fr/statistiques/2500477" in str(info.value)
    assert not client(tmp_path).fetches(revn)
    local = RefreshedSourceClient(
        archive_root=str(tmp_path / "archive"), data_dir=str(shared_data), url_overrides={}
    )
    assert [f.millesime for f in local.files(revn)] == [2017, 2018, 2019, 2021]

    # with one (bare URL: the edition comes from the file name): fetched, archived, served from the archive
    overrides = {"QPV_LIVE_URL_ANCT_REVN": url}
    live = client(tmp_path, url_overrides=overrides)
    assert live.fetches(revn)
    [retrieval] = live.refresh(revn)
    assert (retrieval.edition, retrieval.outcome, retrieval.extra) == (
        2021,
        "new",
        {"override": "QPV_LIVE_URL_ANCT_REVN"},
    )
    archived = RefreshedSourceClient(
        archive_root=str(tmp_path / "archive"), data_dir=str(shared_data), url_overrides=overrides
    )
    [sf] = archived.files(revn)
    assert (sf.relative, sf.millesime, sf.sha256) == (
        "anct_onpv_qpv2015/REVN_2021.csv",
        2021,
        sha256_of(sf.path),
    )
    assert "archive" in str(sf.path) and sf.path.read_bytes() == body
    report = load(revn, [sf], tmp_path / "w.duckdb", "revn")
    assert report.rows == len(csv_rows(shared_data / "anct_onpv_qpv2015" / "REVN_2021.csv")) - 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://example.org/REVN_2022.csv", "'example.org' n'est pas dans la liste des hôtes officiels"),
        ("2022=http://www.insee.fr/REVN_2022.csv", "seules les URL https sont téléchargées"),
        ("https://www.insee.fr/fr/statistiques/fichier/0/revn.csv", "impossible de savoir de quelle édition"),
        ("2022=https://www.insee.fr/a.csv 2022=https://www.insee.fr/b.csv", "édition 2022 donnée deux fois"),
    ],
)
def test_operator_urls_are_checked_before_any_request(tmp_path, value, message):
    official = LiveSourceClient(
        archive_root=str(tmp_path / "archive"), url_overrides={"QPV_LIVE_URL_ANCT_REVN": value}
    )
    with pytest.raises(LiveSourceError, match=message) as info:
        official.refresh(BY_NAME["anct_revn"])
    assert "QPV_LIVE_URL_ANCT_REVN" in str(info.value)
    assert not (tmp_path / "archive" / "manifest.jsonl").exists()


def test_dry_run_shows_page_reason_editions_and_overrides(shared_data, tmp_path):
    made_up = "https://www.insee.fr/fr/statistiques/fichier/0000000/DEFM_QPV2024_2024.zip"
    env = {
        "QPV_LIVE_URL_FRANCE_TRAVAIL_DEFM_QPV2024": made_up,
        "QPV_LIVE_URL_CAF_IRIS": "https://example.org/x.csv",
    }
    result = subprocess.run(
        [QPV, "refresh", "--dry-run", "--data-dir", str(shared_data), "--archive", str(tmp_path / "a")],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith("QPV_LIVE_URL_")} | env,
    )
    assert result.returncode == 0, result.stderr
    lines = {line.split("\t")[0]: line.split("\t") for line in result.stdout.splitlines() if "\t" in line}
    assert {s.name for s in all_sources()} <= set(lines)
    # page-only sources: the official page, the reason, the variable to set, the editions of the data folder
    ipro = lines["anct_ipro"]
    assert ipro[1:3] == ["2017,2018,2019,2020,2021", "https://www.insee.fr/fr/statistiques/2500477"]
    assert ipro[4] == (
        "page seulement : série figée (géographie 2015), sans URL de fichier confirmée [à vérifier] ; "
        "URL du fichier à fournir par QPV_LIVE_URL_ANCT_IPRO"
    )
    assert ipro[5] == "dossier 2017,2018,2019,2020,2021"
    assert lines["insee_departements"][2] == "https://www.insee.fr/fr/information/7766585"
    assert lines["insee_departements"][4].startswith("page seulement : copie non officielle")
    # the official files of DOMAIN.md §2
    filo = lines["insee_filosofi_iris"]
    assert filo[1:3] == [
        "2021",
        "https://www.insee.fr/fr/statistiques/fichier/8229323/BASE_TD_FILO_IRIS_2021_DISP_CSV.zip",
    ]
    assert filo[5] == "dossier 2017,2018,2019"
    epci = lines["insee_communes_epci"]
    assert epci[1:3] == [
        "2024",
        "https://www.insee.fr/fr/statistiques/fichier/2510634/epci_au_01-01-2024.zip",
    ]
    # operator's URLs: taken, or refused before any request
    assert lines["france_travail_defm_qpv2024"][1:3] == ["2024", made_up]
    assert (
        lines["france_travail_defm_qpv2024"][4] == "URL fournie par QPV_LIVE_URL_FRANCE_TRAVAIL_DEFM_QPV2024"
    )
    assert lines["caf_iris"][4].startswith("REFUSÉE : QPV_LIVE_URL_CAF_IRIS : URL refusée")
    assert "n'est pas dans la liste des hôtes officiels" in lines["caf_iris"][4]
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").rglob("*.*"))


def test_qpv2024_perimeters_zip_loads_like_the_plain_geojson(shared_data, tmp_path):
    """The perimeters resource now serves a ZIP (DOMAIN.md §2): read through the shared zip checks and GDAL."""
    plain = shared_data / "anct_qpv2024" / "qpv2024_simplified.geojson"
    folder = tmp_path / "data" / "anct_qpv2024"
    folder.mkdir(parents=True)
    (folder / "QP2024_France_Hexagonale_Outre_Mer_WGS84.zip").write_bytes(
        zip_bytes(
            {
                "GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson": plain.read_bytes(),
                "__MACOSX/GEOJSON/._QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson": b"\x00",
            }
        )
    )
    source = BY_NAME["anct_qpv2024_perimetres"]
    [sf] = discover_files(source, tmp_path / "data")
    features = len(json.loads(plain.read_text())["features"])
    assert load(source, [sf], tmp_path / "w.duckdb", "perimetres").rows == features
    assert query(tmp_path / "w.duckdb", "select count(distinct code_qp) from raw.perimetres") == [(features,)]
    (folder / "QP2024_France_Hexagonale_Outre_Mer_WGS84.zip").write_bytes(
        zip_bytes({"../QP2024.geojson": plain.read_bytes()})
    )
    with pytest.raises(InputError, match=r"nom d'entrée dangereux : l'entrée zip '\.\./QP2024\.geojson'"):
        load(source, [sf], tmp_path / "w.duckdb", "perimetres")
