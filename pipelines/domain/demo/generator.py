"""Deterministic generator of the synthetic demo dataset, in the producers' exact file layouts.

    generate_demo_data(out_dir, seed=2024) -> {relative_path: sha256, ..., "truth": {...}}

The demo covers a fictional territory (see `territory.py`); every file is written with the layout and quirks
of the real file of the same name (see `layouts.py` and ../shared/data/SOURCES.md), so that the ingestion
code reads the demo folder and the real one alike. Same seed -> same bytes. Nothing is read from the network
or from the real data at run time. The INSEE Filosofi files of whole territories (`filosofi.py`) are written for
the Filosofi years the REVN editions carry, so that every demo QPV has commune, EPCI, département, région and
France references of its year; the CAF file by IRIS lacks one IRIS that the Filosofi IRIS file of the same year
(2020) lists, so that a commune's sum is incomplete in the demo (`insee.py`).

Ground truth (`truth.json`, also returned under "truth"):
- "qpv2024": per 2024 QPV code, active establishments located in it (qualite_xy != 33), ESS ones
  (DOMAIN.md §3 rule), their jobs low/central/high from the tranche bands, and the ESS basis counts;
- "qpv2015": per 2015 QPV code and edition ("2017", "2019", "2021"), TP60 and DISP_Q2 as written in
  REVN_<edition>.csv (None when withheld);
- "non_recours": per 2015 QPV code, edition and prestation ("rsa", "prime_activite" where the REVN file of the
  edition has the column), the simulated eligible households, claimants (= ARSAS / APPA before withholding) and
  true non-recours rate, plus the all-QPV rate per edition ("ensemble").
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipelines.domain.demo import anct, filosofi, insee, layouts, sirene, terrain
from pipelines.domain.demo.formats import delimited_text, parquet_bytes, write_bytes, zip_bytes
from pipelines.domain.demo.territory import Territory, build_territory

TRUTH_FILE = "truth.json"


def qpv2024_geojson(territory: Territory) -> bytes:
    """qpv2024_simplified.geojson: one MultiPolygon feature per QPV, CRS84, 5-decimal coordinates, one line."""
    features = []
    for fid, q in enumerate(territory.qpv2024, start=1):
        dep = territory.departement(q.dep)
        communes = [territory.commune(c) for c in q.communes]
        properties = {
            "fid": float(fid),
            "code_qp": q.code,
            "lib_qp": q.name,
            "insee_reg": dep.reg_code,
            "lib_reg": dep.reg_name,
            "insee_dep": dep.code,
            "lib_dep": dep.name,
            "insee_com": ", ".join(c.code for c in communes),
            "lib_com": ", ".join(c.name for c in communes),
            "siren_epci": communes[0].epci,
        }
        features.append(
            {
                "type": "Feature",
                "properties": {k: properties[k] for k in layouts.QPV2024_PROPERTIES},
                "geometry": {"type": "MultiPolygon", "coordinates": q.geojson_coordinates()},
            }
        )
    collection = {
        "type": "FeatureCollection",
        "name": layouts.QPV2024_LAYER_NAME,
        "crs": layouts.QPV2024_CRS,
        "features": features,
    }
    return json.dumps(collection, ensure_ascii=False).encode("utf-8")


def _none_if_empty(rows: list[list[str]]) -> list[list[str | None]]:
    return [[v if v != "" else None for v in row] for row in rows]


def _sirene_files(header: tuple[str, ...], rows: list[list[str]], stem: str, sep: str) -> dict[str, bytes]:
    """The Parquet file (strings, nulls) and the zip holding the same rows as CSV."""
    folder = layouts.SIRENE_FOLDER
    csv_text = delimited_text(header, rows, sep, "\n")
    return {
        f"{folder}/{stem}.parquet": parquet_bytes(header, _none_if_empty(rows)),
        f"{folder}/{stem}.zip": zip_bytes([(f"{stem}.csv", csv_text.encode("utf-8"))]),
    }


def render_demo_files(seed: int = 2024) -> tuple[dict[str, bytes], dict]:
    """Every demo file as bytes (relative path -> content) and the ground truth. Pure: writes nothing."""
    territory = build_territory(seed)
    files: dict[str, bytes] = {}

    anct_data = anct.build_anct_data(territory, seed)
    anct_files = {
        layout.filename: anct.render_anct_file(layout, anct_data) for layout in layouts.ANCT_LAYOUTS
    }
    files.update({f"{layouts.ANCT_FOLDER}/{name}": data for name, data in anct_files.items()})

    files[f"{layouts.QPV2024_FOLDER}/{layouts.QPV2024_FILE}"] = qpv2024_geojson(territory)

    files[f"{layouts.COG_FOLDER}/{layouts.COG_COMMUNES_FILE}"] = insee.cog_communes_csv(territory)
    files[f"{layouts.COG_FOLDER}/{layouts.COM_EPCI_FILE}"] = insee.com_epci_csv(territory)
    files[f"{layouts.COG_FOLDER}/{layouts.DEPARTEMENTS_FILE}"] = insee.departements_csv(territory)

    profiles = insee.iris_profiles(territory, seed)
    files[f"{layouts.IRIS_FOLDER}/{layouts.CAF_IRIS_FILE}"] = insee.caf_iris_csv(profiles, seed)
    for year in layouts.FILO_IRIS_YEARS:
        files[f"{layouts.IRIS_FOLDER}/{layouts.filo_iris_file(year)}"] = insee.filo_iris_csv(
            profiles, seed, year
        )
    files.update(filosofi.filosofi_territoires_files(territory, anct_data, seed))

    files[f"{layouts.DEFM_FOLDER}/{layouts.DEFM_ZIP}"] = insee.defm_zip(territory, anct_data, seed)

    sirene_data = sirene.build_sirene(territory, seed)
    files.update(
        _sirene_files(
            layouts.STOCK_ETABLISSEMENT_HEADER,
            sirene.establishment_rows(sirene_data, seed),
            layouts.STOCK_ETABLISSEMENT,
            ",",
        )
    )
    files.update(
        _sirene_files(
            layouts.STOCK_UNITE_LEGALE_HEADER,
            sirene.unit_rows(sirene_data, seed),
            layouts.STOCK_UNITE_LEGALE,
            ",",
        )
    )
    files.update(_sirene_files(layouts.GEOLOC_HEADER, sirene.geoloc_rows(sirene_data), layouts.GEOLOC, ";"))

    terrain_files, terrain_truth = terrain.terrain_files(territory, seed)  # observations (some refused)
    files.update(terrain_files)
    truth = {
        "seed": seed,
        "qpv2024": sirene.ess_truth(territory, sirene_data),
        "qpv2015": anct.revn_truth(list(layouts.ANCT_LAYOUTS), anct_files),
        "non_recours": anct.non_recours_truth(list(layouts.ANCT_LAYOUTS), anct_data),
        "terrain": terrain_truth,
    }
    files[TRUTH_FILE] = (json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode(
        "utf-8"
    )
    return files, truth


def generate_demo_data(out_dir: Path, seed: int = 2024) -> dict:
    """Writes the demo folder; returns a manifest {relative_path: sha256} plus key 'truth'.

    Files are overwritten in place (idempotent); other files already in `out_dir` are left alone. Refuses to
    write into a folder holding a SOURCES.md (the staged real data).
    """
    out_dir = Path(out_dir)
    if (out_dir / "SOURCES.md").exists():
        raise ValueError(
            f"{out_dir} contient des données réelles (SOURCES.md) : les fichiers de démonstration n'y sont pas écrits"
        )
    files, truth = render_demo_files(seed)
    manifest: dict = {}
    for relative, data in sorted(files.items()):
        write_bytes(out_dir / relative, data)
        manifest[relative] = hashlib.sha256(data).hexdigest()
    manifest["truth"] = truth
    return manifest
