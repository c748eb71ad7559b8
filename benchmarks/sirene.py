"""National-scale SIRENE -> ESS jobs per QPV: the project's path against an analyst's notebook.

    python -m benchmarks.sirene --sizes 1000000,5000000,10000000   (what `make bench` runs)

For each size (number of establishments):
1. a synthetic SIRENE set in the official layouts (StockEtablissement, StockUniteLegale, geolocation; Parquet
   and CSV zip) is generated with DuckDB (vectorised SQL, no Python loop over rows) and cached under
   build/bench/data/<size>-<seed>-v<version>/; coordinates are clustered around the 2024 QPV perimeters
   (../shared/data/anct_qpv2024 when present, the demo perimeters otherwise);
2. the project's path runs in a child process: the Dagster raw assets (SIRENE loader, contract checks,
   quarantine), the staging and intermediate SQL models up to intermediate.int_ess_qpv_detail, on a fresh
   warehouse, once from the Parquet files and once from the CSV zips; wall time and peak RSS of the child;
3. the baseline (pandas + geopandas `sjoin`, as an analyst would write it) runs in another child process on
   the Parquet files; both per-QPV results (ESS establishments and central ESS jobs) are compared;
4. a no-op refresh is measured: the files are discovered again (checksums from the checksum cache) and compared
   with the `_sha256` of the raw tables, without re-reading the big files.

Times exclude the interpreter start and the imports (same rule for both sides). Results: a table on stdout,
build/bench/results.json (the keys of issue #9) and build/bench/details.json (everything measured).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from pipelines.paths import PROJECT_ROOT

GENERATOR_VERSION = 2
DEFAULT_SIZES = (1_000_000, 5_000_000, 10_000_000)
DEFAULT_OUT = PROJECT_ROOT / "build" / "bench"
SHARED_QPV = PROJECT_ROOT.parent / "shared" / "data" / "anct_qpv2024"
RESULT_KEYS = (
    "size",
    "project_s",
    "baseline_s",
    "ratio",
    "project_peak_rss_mb",
    "baseline_peak_rss_mb",
    "same_result",
)
TARGET_MODEL = ("intermediate", "int_ess_qpv_detail")
QPV_GEOJSON = "qpv2024.geojson"
SPREAD = 0.04  # degrees around a QPV centre for the establishments "elsewhere" (~4 km)


# --- Synthetic data -------------------------------------------------------------------------------------


def _qpv_source(out: Path) -> Path:
    """The 2024 QPV perimeters as one GeoJSON file: the shared national file, else the demo's."""
    shared = sorted(SHARED_QPV.glob("*.geojson")) if SHARED_QPV.is_dir() else []
    if shared:
        return shared[0]
    target = out / "demo_qpv2024.geojson"
    if not target.exists():
        from pipelines.domain.demo.generator import render_demo_files

        files, _ = render_demo_files()
        [(name, data)] = [(n, d) for n, d in files.items() if n.startswith("anct_qpv2024/")]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return target


def _weights_case(expr: str, weighted: list[tuple[str, float]]) -> str:
    """CASE mapping a uniform number in [0, 1) to values with the given weights (constants from the code)."""
    total = sum(w for _, w in weighted)
    acc, parts = 0.0, []
    for value, weight in weighted[:-1]:
        acc += weight / total
        parts.append(f"when {expr} < {acc:.6f} then '{value}'")
    return f"(case {' '.join(parts)} else '{weighted[-1][0]}' end)"


# Realistic shapes of the national stock: ~42 % of the establishments active, most without employees,
# ~10 % of legal units ESS by their category (associations first), a few flagged ESS companies.
TRANCHES_ACTIVES = [
    ("NN", 62), ("00", 10), ("01", 12), ("02", 6), ("03", 3.5), ("11", 2.5), ("12", 1.8), ("21", 0.6),
    ("22", 0.35), ("31", 0.08), ("32", 0.1), ("41", 0.04), ("42", 0.02), ("51", 0.01), ("52", 0.005),
    ("53", 0.002),
]  # fmt: skip
CATEGORIES = [
    ("1000", 45), ("5710", 18), ("5499", 12), ("5498", 5), ("9220", 8), ("9260", 0.8), ("9300", 0.3),
    ("5458", 0.4), ("5560", 0.1), ("6317", 0.2), ("8210", 0.15), ("6411", 0.05), ("5191", 0.1), ("7210", 1.0),
    ("7389", 0.5), ("6540", 3), ("5720", 5.4),
]  # fmt: skip
NAF = [
    ("47.11F", 4), ("56.10A", 6), ("62.01Z", 5), ("68.20B", 8), ("70.22Z", 6), ("43.21A", 5), ("86.21Z", 3),
    ("88.10A", 2), ("88.91A", 1), ("85.59A", 3), ("94.99Z", 7), ("94.91Z", 0.5), ("94.12Z", 0.3), ("84.11Z", 1),
    ("90.01Z", 2), ("93.12Z", 2), ("96.02A", 4), ("49.32Z", 3), ("41.20A", 4), ("01.11Z", 3), ("10.71C", 2),
    ("64.19Z", 0.5), ("65.12Z", 0.3), ("81.21Z", 2), ("87.10A", 1),
]  # fmt: skip
QUALITE_XY = [("11", 70), ("12", 10), ("21", 8), ("22", 9), ("33", 3)]


def _generation_sql(size: int, seed: int) -> list[str]:
    """The statements that build tables `etab`, `ul` (in a scratch DuckDB) from table `qpv`."""
    n_ul = max(1, int(size * 0.8))

    def u(key: int, of: str = "i") -> str:
        return f"((hash({of}, {seed}, {key}) % 1000003) / 1000003.0)"

    return [
        f"""
        create or replace table ul as
        select
            j,
            lpad(cast(300000000 + j as varchar), 9, '0') as siren,
            {_weights_case(u(11, "j"), CATEGORIES)} as categorie,
            {_weights_case(u(12, "j"), NAF)} as naf,
            case when {u(13, "j")} < 0.015 then 'O' when {u(13, "j")} < 0.6 then 'N' end as ess,
            case when {u(14, "j")} < 0.55 then 'A' else 'C' end as etat,
            {_weights_case(u(15, "j"), TRANCHES_ACTIVES)} as tranche,
            strftime(date '1960-01-01' + cast({u(16, "j")} * 23000 as integer), '%Y-%m-%d') as creation,
            case when {u(17, "j")} < 0.03 then 'P' else 'O' end as diffusion
        from range({n_ul}) t(j)
        """,  # noqa: S608 (constants of this module only)
        f"""
        create or replace table etab as
        with base as (
            select
                i,
                i % {n_ul} as j,
                i // {n_ul} + 1 as k,
                cast(hash(i, {seed}, 4) % (select count(*) from qpv) as integer) as q,
                {u(3)} < 0.35 as proche,
                {u(5)} as u5,
                {u(6)} as u6,
                {u(1)} < 0.42 as actif,
                {u(2)} as u2,
                {u(7)} as u7,
                {u(8)} < 0.01 as sans_xy,
                {u(10)} as u10,
                {u(18)} as u18
            from range({size}) t(i)
        )
        select
            base.i,
            ul.siren,
            lpad(cast(base.k as varchar), 5, '0') as nic,
            ul.diffusion,
            case when base.actif then 'A' else 'F' end as etat,
            case
                when not base.actif then case when base.u2 < 0.9 then 'NN' else '00' end
                else {_weights_case("base.u2", TRANCHES_ACTIVES)}
            end as tranche,
            case when base.u10 < 0.7 then ul.naf else {_weights_case("base.u10", NAF)} end as naf,
            strftime(date '1970-01-01' + cast(base.u18 * 20000 as integer), '%Y-%m-%d') as creation,
            {_weights_case("base.u7", QUALITE_XY)} as qualite_xy,
            qpv.insee_com as commune,
            qpv.code_qp as code_qp_proche,
            base.proche,
            case when not base.sans_xy then round(case when base.proche
                then qpv.xmin + (qpv.xmax - qpv.xmin) * (-0.25 + 1.5 * base.u5)
                else (qpv.xmin + qpv.xmax) / 2 + (base.u5 - 0.5) * 2 * {SPREAD} end, 6) end as lon,
            case when not base.sans_xy then round(case when base.proche
                then qpv.ymin + (qpv.ymax - qpv.ymin) * (-0.25 + 1.5 * base.u6)
                else (qpv.ymin + qpv.ymax) / 2 + (base.u6 - 0.5) * 2 * {SPREAD} end, 6) end as lat,
            base.k = 1 as siege
        from base
        join ul on ul.j = base.j
        join qpv on qpv.idx = base.q
        """,  # noqa: S608 (constants of this module only)
    ]


def _etab_select(header: tuple[str, ...]) -> str:
    values = {
        "siren": "siren",
        "nic": "nic",
        "siret": "siren || nic",
        "statutDiffusionEtablissement": "diffusion",
        "dateCreationEtablissement": "creation",
        "trancheEffectifsEtablissement": "tranche",
        "anneeEffectifsEtablissement": "case when tranche <> 'NN' then '2023' end",
        "dateDernierTraitementEtablissement": "'2025-10-' || lpad(cast(1 + i % 28 as varchar), 2, '0') || 'T03:12:45'",
        "etablissementSiege": "case when siege then 'true' else 'false' end",
        "nombrePeriodesEtablissement": "cast(1 + i % 4 as varchar)",
        "numeroVoieEtablissement": "case when diffusion = 'P' then '[ND]' else cast(1 + i % 180 as varchar) end",
        "typeVoieEtablissement": "case when diffusion = 'P' then '[ND]' else 'RUE' end",
        "libelleVoieEtablissement": "case when diffusion = 'P' then '[ND]' else 'DES LILAS ' || cast(i % 997 as varchar) end",
        "codePostalEtablissement": "commune",
        "libelleCommuneEtablissement": "'COMMUNE ' || commune",
        "codeCommuneEtablissement": "commune",
        "coordonneeLambertAbscisseEtablissement": "case when diffusion = 'P' then '[ND]' when lon is not null then cast(round(700000 + (lon - 3) * 75000, 1) as varchar) end",
        "coordonneeLambertOrdonneeEtablissement": "case when diffusion = 'P' then '[ND]' when lat is not null then cast(round(6600000 + (lat - 46.5) * 111000, 1) as varchar) end",
        "dateDebut": "creation",
        "etatAdministratifEtablissement": "etat",
        "activitePrincipaleEtablissement": "naf",
        "nomenclatureActivitePrincipaleEtablissement": "'NAFRev2'",
        "caractereEmployeurEtablissement": "case when etat = 'A' and tranche not in ('NN', '00') then 'O' else 'N' end",
    }  # fmt: skip
    return ", ".join(f'{values.get(c, "cast(null as varchar)")} as "{c}"' for c in header)


def _ul_select(header: tuple[str, ...]) -> str:
    values = {
        "siren": "siren",
        "statutDiffusionUniteLegale": "diffusion",
        "dateCreationUniteLegale": "creation",
        "trancheEffectifsUniteLegale": "tranche",
        "anneeEffectifsUniteLegale": "case when tranche <> 'NN' then '2023' end",
        "dateDernierTraitementUniteLegale": "'2025-10-' || lpad(cast(1 + j % 28 as varchar), 2, '0') || 'T02:00:00'",
        "nombrePeriodesUniteLegale": "cast(1 + j % 5 as varchar)",
        "categorieEntreprise": "case when etat = 'A' then 'PME' end",
        "anneeCategorieEntreprise": "case when etat = 'A' then '2022' end",
        "dateDebut": "creation",
        "etatAdministratifUniteLegale": "etat",
        "denominationUniteLegale": "case when categorie <> '1000' then 'UNITE ' || siren end",
        "nomUniteLegale": "case when categorie = '1000' and diffusion = 'O' then 'NOM' || cast(j % 9973 as varchar) end",
        "categorieJuridiqueUniteLegale": "categorie",
        "activitePrincipaleUniteLegale": "naf",
        "nomenclatureActivitePrincipaleUniteLegale": "'NAFRev2'",
        "nicSiegeUniteLegale": "'00001'",
        "economieSocialeSolidaireUniteLegale": "ess",
        "caractereEmployeurUniteLegale": "case when tranche not in ('NN', '00') then 'O' else 'N' end",
    }  # fmt: skip
    return ", ".join(f'{values.get(c, "cast(null as varchar)")} as "{c}"' for c in header)


def _geo_select(header: tuple[str, ...]) -> str:
    values = {
        "siret": "siren || nic",
        "x": "case when lon is not null then cast(round(700000 + (lon - 3) * 75000, 1) as varchar) end",
        "y": "case when lat is not null then cast(round(6600000 + (lat - 46.5) * 111000, 1) as varchar) end",
        "qualite_xy": "qualite_xy",
        "epsg": "'2154'",
        "plg_qp24": "case when proche then code_qp_proche else 'HZ' end",
        "plg_qp15": "'HZ'",
        "plg_code_commune": "commune",
        "distance_precision": "case when qualite_xy <> '33' then '12.5' end",
        "qualite_qp24": "'1'",
        "qualite_qp15": "'1'",
        "y_latitude": "cast(lat as varchar)",
        "x_longitude": "cast(lon as varchar)",
    }
    return ", ".join(f'{values.get(c, "cast(null as varchar)")} as "{c}"' for c in header)


def _territory_boxes() -> list[tuple[float, float, float, float]]:
    from assets.sirene import SOURCES

    geoloc = next(s for s in SOURCES if s.name == "sirene_geolocalisation").load_contract()
    return [(*b.longitude, *b.latitude) for rule in geoloc.bounding_boxes for b in rule.boxes]


def generate(size: int, seed: int, out: Path = DEFAULT_OUT, log=print) -> Path:
    """The synthetic set of `size` establishments (cached): <dir>/sirene/*.parquet|*.zip, <dir>/qpv2024.geojson."""
    from pipelines.domain.demo import layouts
    from pipelines.warehouse import connection as warehouse

    target = out / "data" / f"{size}-{seed}-v{GENERATOR_VERSION}"
    if (target / "complete").exists():
        return target
    if target.exists():
        shutil.rmtree(target)
    (target / "sirene").mkdir(parents=True)
    started = time.perf_counter()
    geojson = _qpv_source(out)
    shutil.copyfile(geojson, target / QPV_GEOJSON)
    with tempfile.TemporaryDirectory(prefix="bench-gen-", dir=out) as tmp:
        con = warehouse.connect(Path(tmp) / "gen.duckdb")
        try:
            con.execute("set preserve_insertion_order = false")
            con.execute("set enable_progress_bar = false")
            con.execute(
                """
                create table qpv_all as
                select
                    code_qp,
                    substr(split_part(insee_com, ',', 1), 1, 5) as insee_com,
                    ST_XMin(geom) as xmin, ST_XMax(geom) as xmax, ST_YMin(geom) as ymin, ST_YMax(geom) as ymax
                from ST_Read($path)
                """,
                {"path": str(target / QPV_GEOJSON)},
            )
            # Only QPV whose surroundings lie in the territories SIRENE geolocates (the contract's boxes; no
            # Polynésie): every generated point passes the contract, so both sides see the same rows.
            con.execute("create table boxes (x0 double, x1 double, y0 double, y1 double)")
            con.executemany("insert into boxes values (?, ?, ?, ?)", _territory_boxes())
            con.execute(
                f"""
                create table qpv as
                select cast(row_number() over (order by code_qp) - 1 as integer) as idx, qpv_all.*
                from qpv_all
                where exists (
                    select 1 from boxes
                    where least(xmin - 0.25 * (xmax - xmin), (xmin + xmax) / 2 - {SPREAD}) > x0
                        and greatest(xmax + 0.25 * (xmax - xmin), (xmin + xmax) / 2 + {SPREAD}) < x1
                        and least(ymin - 0.25 * (ymax - ymin), (ymin + ymax) / 2 - {SPREAD}) > y0
                        and greatest(ymax + 0.25 * (ymax - ymin), (ymin + ymax) / 2 + {SPREAD}) < y1
                )
                """  # noqa: S608
            )
            for statement in _generation_sql(size, seed):
                con.execute(statement)
            outputs = [
                (layouts.STOCK_ETABLISSEMENT, _etab_select(layouts.STOCK_ETABLISSEMENT_HEADER), "etab", ","),
                (layouts.STOCK_UNITE_LEGALE, _ul_select(layouts.STOCK_UNITE_LEGALE_HEADER), "ul", ","),
                (layouts.GEOLOC, _geo_select(layouts.GEOLOC_HEADER), "etab", ";"),
            ]
            for stem, select, table, sep in outputs:
                query = f"select {select} from {table} order by {'i' if table == 'etab' else 'j'}"  # noqa: S608
                parquet = target / "sirene" / f"{stem}.parquet"
                con.execute(
                    f"copy ({query}) to {_literal(parquet)} (format parquet, compression zstd, row_group_size 122880)"
                )
                csv_path = Path(tmp) / f"{stem}.csv"
                con.execute(
                    f"copy ({query}) to {_literal(csv_path)} (format csv, header true, delimiter '{sep}')"
                )
                with zipfile.ZipFile(
                    target / "sirene" / f"{stem}.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1
                ) as archive:
                    archive.write(csv_path, f"{stem}.csv")
                csv_path.unlink()
        finally:
            con.close()
    (target / "complete").write_text(json.dumps({"size": size, "seed": seed}), encoding="utf-8")
    log(f"  generated {size:,} establishments in {time.perf_counter() - started:.1f} s -> {target}")
    return target


def _literal(path: Path) -> str:
    """A path as a SQL string literal (COPY ... TO takes no bound parameter)."""
    return "'" + str(path).replace("'", "''") + "'"


def format_view(dataset: Path, fmt: str, workdir: Path) -> Path:
    """A data folder holding only one format of the set (the loader prefers Parquet when both are there)."""
    view = workdir / f"data-{fmt}"
    (view / "sirene").mkdir(parents=True, exist_ok=True)
    (view / "anct_qpv2024").mkdir(exist_ok=True)
    suffix = ".parquet" if fmt == "parquet" else ".zip"
    # hard links (a copy across file systems), not symbolic links: the loader refuses a link leading out of the
    # data folder (issue 26)
    for path in (dataset / "sirene").glob(f"*{suffix}"):
        _link(path, view / "sirene" / path.name)
    _link(dataset / QPV_GEOJSON, view / "anct_qpv2024" / QPV_GEOJSON)
    return view


def _link(source: Path, target: Path) -> None:
    if target.is_symlink():
        target.unlink()
    if target.exists():
        return
    try:
        os.link(source.resolve(), target)
    except OSError:
        shutil.copyfile(source, target)


# --- The project's path (child process) -----------------------------------------------------------------


def _peak_rss_mb() -> float:
    """This process's peak resident set size: VmHWM of /proc/self/status, which starts afresh at exec.
    (`ru_maxrss` does not: Linux keeps it across fork + exec, so a child started by a parent that had grown
    to 1.4 GB while generating the data would report at least 1.4 GB whatever it did.)"""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _cpu_s() -> float:
    """CPU time of this process (user + system): on a shared machine, what the work cost regardless of load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def project_child(data_dir: Path, warehouse_path: Path, result_path: Path) -> None:
    from dagster import (
        AssetCheckSeverity,
        AssetKey,
        AssetSelection,
        DagsterInstance,
        Definitions,
        define_asset_job,
    )

    from assets import all_assets, all_checks
    from pipelines.resources import resources_for
    from pipelines.warehouse import connection as warehouse

    # Great Expectations is imported lazily by the contract checks (the code location must load fast): a pure
    # import of 6-8 s on this machine, paid once per process whatever the data size. It is imported here, before
    # the clock starts, like every other import of either side; its time is reported apart (`gx_import_s`).
    imported = time.perf_counter()
    import great_expectations  # noqa: F401

    gx_import_s = time.perf_counter() - imported

    selection = AssetSelection.assets(AssetKey(list(TARGET_MODEL))).upstream()
    defs = Definitions(
        assets=all_assets(),
        asset_checks=all_checks(),
        jobs=[define_asset_job("bench_sirene_ess", selection=selection)],
        resources=resources_for(data_dir, warehouse_path, warehouse_path.parent / "dashboards"),
    )
    job = defs.resolve_job_def("bench_sirene_ess")
    started, cpu_started = time.perf_counter(), _cpu_s()
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    elapsed, cpu = time.perf_counter() - started, _cpu_s() - cpu_started
    steps: dict[str, float] = {}
    errors = []
    for event in result.all_events:
        if event.event_type_value == "STEP_SUCCESS":
            steps[event.step_key] = round(event.event_specific_data.duration_ms / 1000, 2)
        elif event.event_type_value == "STEP_FAILURE":
            errors.append(f"{event.step_key}: {event.event_specific_data.error.message.strip()[:500]}")
    evaluations = [e for e in result.get_asset_check_evaluations() if not e.passed]
    failed_checks = [
        f"{e.asset_key.to_user_string()}:{e.check_name}: {e.description}"
        for e in evaluations
        if e.severity == AssetCheckSeverity.ERROR
    ]
    check_warnings = [
        f"{e.asset_key.to_user_string()}:{e.check_name}: {e.description}"
        for e in evaluations
        if e.severity != AssetCheckSeverity.ERROR
    ]
    per_qpv = {}
    if result.success:
        with warehouse.connection(warehouse_path, read_only=True) as con:
            rows = con.execute(
                "select code_qp, sum(etablissements_ess), sum(emplois_ess_central) "
                "from intermediate.int_ess_qpv_detail where geographie = 'qpv2024' group by code_qp"
            ).fetchall()
        per_qpv = {code: [int(n), float(jobs)] for code, n, jobs in rows}
    payload = {
        "seconds": elapsed,
        "cpu_s": cpu,
        "gx_import_s": round(gx_import_s, 2),
        "peak_rss_mb": _peak_rss_mb(),
        "success": result.success,
        "errors": errors,
        "failed_checks": failed_checks,
        "check_warnings": check_warnings,
        "steps": steps,
        "per_qpv": per_qpv,
    }
    result_path.write_text(json.dumps(payload), encoding="utf-8")


def noop_refresh(data_dir: Path, warehouse_path: Path) -> dict:
    """What a refresh does when nothing changed upstream: discover the files (sha256 from the checksum cache,
    no re-read) and compare them with the files the raw tables were loaded from."""
    from assets.sirene import SOURCES
    from pipelines.sources.parsing import discover_files
    from pipelines.warehouse import connection as warehouse

    started = time.perf_counter()
    unchanged = True
    with warehouse.connection(warehouse_path, read_only=True) as con:
        for source in SOURCES:
            found = {(f.relative, f.sha256) for f in discover_files(source, data_dir)}
            # `_sha256` is one value per file: DuckDB reads that column's dictionary, not the rows' cells.
            loaded = set(con.execute(f"select distinct _fichier, _sha256 from raw.{source.name}").fetchall())  # noqa: S608
            unchanged &= found == loaded
    return {"seconds": time.perf_counter() - started, "nothing_changed": unchanged}


# --- The analyst's notebook (child process) -------------------------------------------------------------


def baseline_child(dataset: Path, result_path: Path) -> None:
    """pandas + geopandas, the way a notebook would do it."""
    import duckdb
    import geopandas as gpd
    import pandas as pd

    from pipelines.domain.demo import layouts
    from pipelines.warehouse.models import load_sql

    # the reference lists an analyst would copy from the documentation (read here from the same seeds and SQL files)
    refs = duckdb.connect()
    categories = {r[0] for r in refs.sql(load_sql("ref_ess_categories_juridiques")).fetchall()}
    excluded = tuple(r[0] for r in refs.sql(load_sql("ref_ess_naf_exclus")).fetchall())
    central = {
        r[0]: float(r[1])
        for r in refs.sql(load_sql("ref_tranches_effectifs"))
        .project("tranche_effectifs, effectif_central")
        .fetchall()
    }
    refs.close()

    started, cpu_started = time.perf_counter(), _cpu_s()
    sirene = dataset / "sirene"
    etab = pd.read_parquet(
        sirene / f"{layouts.STOCK_ETABLISSEMENT}.parquet",
        columns=["siren", "siret", "etatAdministratifEtablissement", "trancheEffectifsEtablissement"],
    )
    etab = etab[etab["etatAdministratifEtablissement"] == "A"]
    ul = pd.read_parquet(
        sirene / f"{layouts.STOCK_UNITE_LEGALE}.parquet",
        columns=[
            "siren",
            "categorieJuridiqueUniteLegale",
            "activitePrincipaleUniteLegale",
            "economieSocialeSolidaireUniteLegale",
        ],
    )
    naf = ul["activitePrincipaleUniteLegale"].fillna("")
    ul["est_ess"] = (ul["categorieJuridiqueUniteLegale"].isin(categories) & ~naf.str.startswith(excluded)) | (
        ul["economieSocialeSolidaireUniteLegale"] == "O"
    )
    geo = pd.read_parquet(
        sirene / f"{layouts.GEOLOC}.parquet", columns=["siret", "qualite_xy", "x_longitude", "y_latitude"]
    )
    geo["lon"] = pd.to_numeric(geo["x_longitude"], errors="coerce")
    geo["lat"] = pd.to_numeric(geo["y_latitude"], errors="coerce")
    df = etab.merge(ul.loc[ul["est_ess"], ["siren"]], on="siren").merge(geo, on="siret")
    df = df[(df["qualite_xy"] != "33") & df["lon"].notna() & df["lat"].notna()]
    points = gpd.GeoDataFrame(
        df[["siret", "trancheEffectifsEtablissement"]],
        geometry=gpd.points_from_xy(df["lon"], df["lat"]),
        crs="EPSG:4326",
    )
    qpv = gpd.read_file(dataset / QPV_GEOJSON)[["code_qp", "geometry"]]
    # repaired, polygonal parts only (a collapsed perimeter is no area)
    qpv["geometry"] = qpv.geometry.make_valid()
    qpv = qpv.explode(index_parts=False)
    qpv = qpv[qpv.geom_type.isin(["Polygon", "MultiPolygon"])]
    joined = gpd.sjoin(points, qpv.to_crs("EPSG:4326"), predicate="intersects")
    joined = joined.sort_values("code_qp").drop_duplicates("siret")  # a point on a shared edge: smallest code
    joined["emplois"] = joined["trancheEffectifsEtablissement"].fillna("NN").map(central)
    per_qpv = joined.groupby("code_qp").agg(n=("siret", "size"), emplois=("emplois", "sum"))
    elapsed = time.perf_counter() - started
    payload = {
        "seconds": elapsed,
        "cpu_s": _cpu_s() - cpu_started,
        "peak_rss_mb": _peak_rss_mb(),
        "per_qpv": {code: [int(r.n), float(r.emplois)] for code, r in per_qpv.iterrows()},
    }
    result_path.write_text(json.dumps(payload), encoding="utf-8")


# --- Orchestration --------------------------------------------------------------------------------------


def _child(args: list[str], env: dict | None = None) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_path = Path(handle.name)
    try:
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.sirene", *args, "--result", str(result_path)],
            cwd=PROJECT_ROOT,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        if proc.returncode != 0 or not result_path.stat().st_size:
            raise RuntimeError(
                f"benchmark child {args[:2]} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
            )
        payload = json.loads(result_path.read_text(encoding="utf-8"))
        payload["wall_with_startup_s"] = wall
        return payload
    finally:
        result_path.unlink(missing_ok=True)


def same_per_qpv(a: dict, b: dict) -> bool:
    if set(a) != set(b):
        return False
    return all(a[k][0] == b[k][0] and abs(a[k][1] - b[k][1]) < 1e-6 * max(1.0, abs(a[k][1])) for k in a)


def run_size(size: int, seed: int, out: Path, formats: tuple[str, ...], log=print) -> tuple[dict, dict]:
    dataset = generate(size, seed, out, log)
    workdir = Path(tempfile.mkdtemp(prefix=f"run-{size}-", dir=out))
    try:
        details: dict = {"size": size, "seed": seed, "dataset": str(dataset)}
        for fmt in formats:
            view = format_view(dataset, fmt, workdir)
            warehouse_path = workdir / f"{fmt}.duckdb"
            cache = (
                workdir / f"checksums-{fmt}.sqlite"
            )  # cold: the first run hashes the files, as a new stock
            project = _child(
                ["project", "--data", str(view), "--warehouse", str(warehouse_path)],
                env={"QPV_CHECKSUM_CACHE": str(cache)},
            )
            if not project["success"]:
                raise RuntimeError(
                    f"project path failed on {fmt} ({size:,}):\n"
                    + "\n".join(project["errors"] + project["failed_checks"])
                )
            noop = _child(
                ["noop", "--data", str(view), "--warehouse", str(warehouse_path)],
                env={"QPV_CHECKSUM_CACHE": str(cache)},
            )
            details[fmt] = {k: v for k, v in project.items() if k != "per_qpv"}
            details[fmt]["noop_refresh"] = noop
            details[fmt]["per_qpv"] = project["per_qpv"]
            log(
                f"  project ({fmt}): {project['seconds']:.1f} s, peak RSS {project['peak_rss_mb']:.0f} MB, "
                f"no-op refresh {noop['seconds']:.2f} s (nothing changed: {noop['nothing_changed']})"
            )
        baseline = _child(["baseline", "--data", str(dataset)])
        log(
            f"  baseline (pandas + geopandas): {baseline['seconds']:.1f} s, peak RSS {baseline['peak_rss_mb']:.0f} MB"
        )
        main = details[formats[0]]
        same = all(same_per_qpv(details[f].pop("per_qpv"), baseline["per_qpv"]) for f in formats)
        details["baseline"] = {k: v for k, v in baseline.items() if k != "per_qpv"}
        details["qpv_with_ess"] = len(baseline["per_qpv"])
        details["same_result"] = same
        row = {
            "size": size,
            "project_s": round(main["seconds"], 2),
            "baseline_s": round(baseline["seconds"], 2),
            "ratio": round(baseline["seconds"] / main["seconds"], 3),
            "project_peak_rss_mb": round(main["peak_rss_mb"], 1),
            "baseline_peak_rss_mb": round(baseline["peak_rss_mb"], 1),
            "same_result": same,
        }
        return row, details
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def print_table(rows: list[dict], details: list[dict], log=print) -> None:
    header = (
        f"{'size':>11} {'project_s':>9} {'csv_s':>7} {'baseline_s':>10} {'ratio':>6} {'rows/s':>10} "
        f"{'RSS_MB':>7} {'csv_RSS':>7} {'base_RSS':>8} {'noop_s':>6} same"
    )
    log(header)
    for row, det in zip(rows, details, strict=True):
        csv = det.get("csv", {})
        log(
            f"{row['size']:>11,} {row['project_s']:>9.1f} {csv.get('seconds', float('nan')):>7.1f} "
            f"{row['baseline_s']:>10.1f} {row['ratio']:>6.2f} {row['size'] / row['project_s']:>10,.0f} "
            f"{row['project_peak_rss_mb']:>7.0f} {csv.get('peak_rss_mb', float('nan')):>7.0f} "
            f"{row['baseline_peak_rss_mb']:>8.0f} {det['parquet']['noop_refresh']['seconds']:>6.2f} "
            f"{row['same_result']}"
        )


def run(sizes: list[int], seed: int, out: Path, formats: tuple[str, ...], log=print) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    rows, details = [], []
    for size in sizes:
        log(f"size {size:,} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU)")
        row, det = run_size(size, seed, out, formats, log)
        rows.append(row)
        details.append(det)
    (out / "results.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    (out / "details.json").write_text(json.dumps(details, indent=2) + "\n", encoding="utf-8")
    print_table(rows, details, log)
    log(f"written: {out / 'results.json'}, {out / 'details.json'}")
    return rows


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise SystemExit(f"--sizes: expected integers separated by commas, got {text!r}") from None
    if not sizes or any(s < 1000 for s in sizes):
        raise SystemExit(f"--sizes: every size must be at least 1000 establishments, got {text!r}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sirene", description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "project", "baseline", "noop"])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES))
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--formats", default="parquet,csv", help="parquet,csv (the first one is project_s)")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--result", type=Path)
    args = parser.parse_args(argv)
    if args.mode == "project":
        project_child(args.data, args.warehouse, args.result)
    elif args.mode == "baseline":
        baseline_child(args.data, args.result)
    elif args.mode == "noop":
        args.result.write_text(json.dumps(noop_refresh(args.data, args.warehouse)), encoding="utf-8")
    else:
        formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
        if not formats or set(formats) - {"parquet", "csv"}:
            raise SystemExit(f"--formats: parquet and/or csv, got {args.formats!r}")
        run(parse_sizes(args.sizes), args.seed, args.out, formats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
