"""Terrain observations: template → filled → import (CLI), the anonymisation gate before anything is stored,
the aggregates and their disclosure rules, the demo's observations and the fiche's Terrain section."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import time
from pathlib import Path

import openpyxl
import pytest

from assets import all_sources
from pipelines.domain.anonymisation import scan
from pipelines.domain.demo.terrain import PLANTED, STRUCTURES
from pipelines.domain.terrain import (
    CATEGORIES,
    HEADERS,
    import_files,
    kept_bytes,
    read_text,
    write_template,
)
from pipelines.resources import LocalSourceClient
from pipelines.sources.parsing import InputError
from pipelines.warehouse.connection import connection
from tests.conftest import run_cli

# Invented personal data planted in the filled template: none of it may be stored anywhere.
SECRETS = {
    "courriel": "yasmine.k@exemple.org",
    "telephone": "07 98 76 54 32",
    "nom": "Mehdi Zerrouki",
    "adresse": "8 impasse des Tilleuls",
}
QPV = "QN05995M"  # a QPV of the demo territory


def row(i: int, resume: str, **over) -> dict[str, str]:
    base = {
        "date_observation": f"2025-{1 + i % 12:02d}-15",
        "code_qp": QPV,
        "terrain": "economie_informelle",
        "categorie": "entraide",
        "precision": "",
        "nombre_concernes": "6",
        "type_source": "atelier",
        "structure": "Centre social des Tests",
        "resume": resume,
        "identifiant": f"T-{i:03d}",
    }
    return base | over


def filled_rows() -> list[dict[str, str]]:
    rows = [row(i, "Entraide entre voisines pour la garde des enfants le mercredi.") for i in range(8)]
    rows.append(row(8, f"Contact direct : {SECRETS['courriel']}."))
    rows.append(row(9, f"Rappeler au {SECRETS['telephone']} pour la suite."))
    rows.append(row(10, f"{SECRETS['nom']} a expliqué qu'il vend des repas."))
    rows.append(row(11, f"Atelier chez une habitante au {SECRETS['adresse']}."))
    rows.append(row(12, "Catégorie d'un autre terrain.", categorie="droit_non_demande"))
    rows.append(row(13, "Code mal formé.", code_qp="QP059901"))
    return rows


def fill_csv(template: Path, rows: list[dict[str, str]]) -> None:
    with template.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        for r in rows:
            writer.writerow([r[c] for c in HEADERS])


def fill_xlsx(template: Path, rows: list[dict[str, str]]) -> None:
    workbook = openpyxl.load_workbook(template)
    sheet = workbook["observations"]
    for r in rows:
        sheet.append([int(r[c]) if c == "nombre_concernes" else (r[c] or None) for c in HEADERS])
    workbook.save(template)


def tables_holding(warehouse: Path, needles: list[str]) -> dict[str, list[str]]:
    """For each needle, the tables of the warehouse (every schema) where some text or JSON column contains it; one
    scan per table. Also returns the tables scanned under the key ''."""
    found: dict[str, list[str]] = {needle: [] for needle in needles} | {"": []}
    with connection(warehouse, read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, list(column_name) from information_schema.columns "
            "where data_type in ('VARCHAR', 'JSON') group by all order by all"
        ).fetchall()
        for schema, table, names in columns:
            # identifiers from the catalogue, needles bound as parameters
            text = "concat_ws(chr(31), " + ", ".join(f'"{n}"::varchar' for n in names) + ")"
            checks = ", ".join(f"bool_or(contains({text}, ${i + 1}))" for i in range(len(needles)))
            hits = con.execute(f'select {checks} from "{schema}"."{table}"', needles).fetchone()  # noqa: S608
            found[""].append(f"{schema}.{table}")
            for needle, hit in zip(needles, hits, strict=True):
                if hit:
                    found[needle].append(f"{schema}.{table}")
    return found


@pytest.fixture(scope="module")
def imported(demo_warehouse: Path, tmp_path_factory) -> dict:
    """`qpv terrain template` (CSV and XLSX), filled with good and bad rows, imported by `qpv terrain import` into
    a copy of the demo warehouse."""
    folder = tmp_path_factory.mktemp("terrain")
    warehouse = folder / "qpv.duckdb"
    shutil.copyfile(demo_warehouse, warehouse)
    csv_file, xlsx_file = folder / "saisie_2025.csv", folder / "saisie_ateliers.xlsx"
    result = run_cli("terrain", "template", "--out", str(csv_file))
    assert result.returncode == 0 and csv_file.exists(), result.stderr
    write_template(xlsx_file)  # the same function, in process (one CLI start less)
    rows = filled_rows()
    fill_csv(csv_file, rows[:10])
    fill_xlsx(
        xlsx_file, rows[10:] + [row(20 + i, "Troc de vêtements d'enfants au marché.") for i in range(3)]
    )
    result = run_cli("terrain", "import", str(csv_file), str(xlsx_file), "--warehouse", str(warehouse))
    return {"result": result, "warehouse": warehouse, "csv": csv_file, "xlsx": xlsx_file, "folder": folder}


def test_template_round_trip(imported):
    french = ["date", "code QPV (2024)", "terrain", "catégorie", "précision (prestation ou secteur)",
              "nombre de personnes ou ménages concernés", "type de source", "structure observatrice", "résumé",
              "identifiant"]  # fmt: skip
    header = next(
        line
        for line in imported["csv"].read_text(encoding="utf-8-sig").splitlines()
        if not line.startswith("#")
    )
    assert header.split(";") == french
    sheet = openpyxl.load_workbook(imported["xlsx"])["observations"]
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == french
    result = imported["result"]
    assert result.returncode == 0, result.stderr
    assert "11 observation(s) chargée(s) depuis 2 fichier(s)" in result.stdout  # 8 + 3, example rows skipped
    assert "2 ligne(s) d'exemple ignorée(s)" in result.stdout
    with connection(imported["warehouse"], read_only=True) as con:
        files = dict(
            con.execute(
                "select _fichier, count(*) from raw.terrain_observations where _fichier like 'terrain/saisie%' "
                "group by all"
            ).fetchall()
        )
        assert files == {"terrain/saisie_2025.csv": 8, "terrain/saisie_ateliers.xlsx": 3}
        editions = dict(
            con.execute(
                "select _fichier, any_value(millesime) from raw.terrain_observations group by all"
            ).fetchall()
        )
        assert editions["terrain/saisie_2025.csv"] == 2025 and editions["terrain/saisie_ateliers.xlsx"] == 0
        assert (
            con.execute(
                "select count(*) from raw.terrain_observations where identifiant = 'EXEMPLE'"
            ).fetchone()[0]
            == 0
        )


def test_refused_rows_are_listed_with_spans_and_quarantined(imported):
    stderr = imported["result"].stderr
    assert "6 ligne(s) refusée(s)" in stderr
    text = f"Contact direct : {SECRETS['courriel']}."
    start = text.index(SECRETS["courriel"])
    assert f"courriel {start}-{start + len(SECRETS['courriel'])}" in stderr
    for template, kind in (
        ("Rappeler au {} pour la suite.", "telephone"),
        ("{} a expliqué qu'il vend des repas.", "nom"),
        ("Atelier chez une habitante au {}.", "adresse"),
    ):
        start = template.index("{}")
        assert f"{kind} {start}-{start + len(SECRETS[kind])}" in stderr
    assert "droit_non_demande' hors de la liste du terrain economie_informelle" in stderr
    assert "QP059901" in stderr and "code_qp" in stderr
    with connection(imported["warehouse"], read_only=True) as con:
        quarantined = con.execute(
            "select fichier, ligne, colonne, valeur, enregistrement from quarantine.terrain_observations "
            "where fichier like 'terrain/saisie%' order by fichier, ligne"
        ).fetchall()
    lines = {(f, ligne) for f, ligne, *_ in quarantined}
    notice = sum(
        1 for line in imported["csv"].read_text(encoding="utf-8-sig").splitlines() if line.startswith("#")
    )
    first = notice + 3  # notice, header, example row
    assert {("terrain/saisie_2025.csv", first + 8), ("terrain/saisie_2025.csv", first + 9)} <= lines
    assert {("terrain/saisie_ateliers.xlsx", n) for n in (3, 4, 5, 6)} <= lines
    redacted = [json.loads(r[4])["resume"] for r in quarantined if r[2] == "controle"]
    assert "Contact direct : [courriel]." in redacted and "[nom] a expliqué qu'il vend des repas." in redacted


def test_no_personal_data_stored_anywhere(imported, demo_warehouse):
    demo_needles = [text[f.start : f.end] for text in PLANTED.values() for f in scan(text)]
    assert len(demo_needles) == 4
    structure = "Centre social des Tests"
    for warehouse, needles in (
        (imported["warehouse"], list(SECRETS.values())),
        (demo_warehouse, demo_needles),
    ):
        found = tables_holding(warehouse, [*needles, structure])
        assert {"quarantine.terrain_observations", "raw.terrain_observations"} <= set(found[""])
        for needle in needles:
            assert not found[needle], f"{needle!r} stored in {found[needle]}"
    # the structure's name stays in raw (lineage) and quarantine, never beyond
    assert set(tables_holding(imported["warehouse"], [structure])[structure]) == {
        "raw.terrain_observations",
        "quarantine.terrain_observations",
    }


def test_bad_file_exits_1_and_writes_nothing(imported, tmp_path):
    warehouse = imported["warehouse"]
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    bad = tmp_path / "mauvais.csv"
    write_template(bad)
    text = bad.read_text(encoding="utf-8-sig").replace("type de source", "type de la source")
    bad.write_text(text, encoding="utf-8")
    result = run_cli("terrain", "import", str(bad), "--warehouse", str(warehouse))
    assert result.returncode == 1
    assert "mauvais.csv" in result.stderr and "type de la source" in result.stderr
    wrong_count = tmp_path / "compte.csv"
    write_template(wrong_count)
    fill_csv(wrong_count, [row(1, "Entraide.", nombre_concernes="beaucoup")])
    with pytest.raises(InputError, match=r"compte.csv, ligne \d+, colonne nombre de personnes"):
        import_files([wrong_count], warehouse)
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in warehouse.parent.iterdir() if ".tmp" in p.name) == []


def test_reimport_replaces_the_file_rows(imported, tmp_path):
    warehouse = tmp_path / "qpv.duckdb"
    shutil.copyfile(imported["warehouse"], warehouse)
    report = import_files([imported["csv"]], warehouse)
    assert report.rows_loaded == 8 and len(report.refused) == 2  # the e-mail and the phone number
    with connection(warehouse, read_only=True) as con:
        count = con.execute(
            "select count(*) from raw.terrain_observations where _fichier = 'terrain/saisie_2025.csv'"
        ).fetchone()[0]
        quarantined = con.execute(
            "select count(distinct ligne) from quarantine.terrain_observations where fichier = 'terrain/saisie_2025.csv'"
        ).fetchone()[0]
    assert (count, quarantined) == (8, 2)


# ------------------------------------------------------------------------ publication: one path for every writer


def versions_listed(warehouse: Path) -> list[tuple[bool, str]]:
    """`qpv versions`: (published?, version) per line, newest first; every listed version exists."""
    result = run_cli("versions", "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    listed = [
        (line.startswith("*"), line[2:].split()[0])
        for line in result.stdout.splitlines()
        if line[:2] in ("* ", "  ")
    ]
    assert "plus conservée" not in result.stdout, result.stdout  # the published file is a kept version
    for _, version in listed:
        assert (warehouse.parent / "versions" / f"{version}.duckdb").is_file()
    return listed


def observations_file(path: Path, n: int, resume: str = "Entraide entre voisines pour les courses.") -> Path:
    write_template(path)
    fill_csv(path, [row(100 + i, resume) for i in range(n)])
    return path


def test_import_is_published_as_a_new_version_and_kept(imported):
    """`qpv terrain import` goes through the publication: a new version (versions/, meta.publication, marked
    published by `qpv versions`), its files listed in meta.fichiers and kept beside the warehouse for the runs."""
    warehouse = imported["warehouse"]
    assert "version publiée : qpv-" in imported["result"].stdout
    listed = versions_listed(warehouse)
    assert len(listed) == 1 and listed[0][0] and listed[0][1].endswith("-terrain")
    with connection(warehouse, read_only=True) as con:
        assert con.execute("select version from meta.publication").fetchone()[0] == listed[0][1]
        files = con.execute(
            "select fichier, sha256 from meta.fichiers where source = 'terrain_observations' order by 1"
        ).fetchall()
    names = {"terrain/saisie_2025.csv": imported["csv"], "terrain/saisie_ateliers.xlsx": imported["xlsx"]}
    for label, path in names.items():
        kept = warehouse.parent / "imports" / "qpv" / label
        # the accepted rows only, on their lines: the rows refused by the gate (personal data) are not kept
        with connection(warehouse, read_only=True) as con:
            refused = con.execute(
                "select list(distinct ligne) from quarantine.terrain_observations where fichier = ? "
                "and colonne = 'controle'",
                [label],
            ).fetchone()[0]
        assert refused and kept.read_bytes() == kept_bytes(path.read_bytes(), set(refused))
        assert (label, hashlib.sha256(kept.read_bytes()).hexdigest()) in files
    # the kept files hold none of the planted personal data
    for secret in SECRETS.values():
        for kept in (warehouse.parent / "imports").rglob("*"):
            assert not kept.is_file() or secret not in kept_text(kept), (secret, kept)
    assert not list((warehouse.parent / ".builds").glob("*.duckdb*"))


def kept_text(path: Path) -> str:
    """A kept file's text (a workbook: the text of every part of the zip)."""
    import io
    import zipfile

    data = path.read_bytes()
    if data[:2] != b"PK":
        return data.decode("utf-8")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def imported_copy(imported: dict, tmp_path: Path) -> Path:
    """A copy of the imported warehouse's folder (published file, versions, imports); returns the warehouse."""
    folder = tmp_path / "w"
    shutil.copytree(imported["warehouse"].parent, folder, ignore=shutil.ignore_patterns(".builds"))
    return folder / "qpv.duckdb"


def test_a_run_after_an_import_re_reads_its_files(imported, demo_warehouse, tmp_path):
    """An ordinary run after an import reloads raw.terrain_observations from the data folder AND the imports
    folder: the imported rows are still in the version it publishes, the demo's own files too."""
    from dagster import AssetKey

    from pipelines.domain.terrain import terrain_models
    from pipelines.warehouse.publication import PUBLICATION
    from tests.test_publication import partial_refresh

    warehouse = imported_copy(imported, tmp_path)
    labels = ["terrain/saisie_2025.csv", "terrain/saisie_ateliers.xlsx"]
    before = {label: imported_rows(warehouse, label) for label in labels}
    assert before == {"terrain/saisie_2025.csv": 8, "terrain/saisie_ateliers.xlsx": 3}
    demo_rows = imported_rows(demo_warehouse, "terrain/permanences_2025.csv")
    selection = [AssetKey(["raw", "terrain_observations"])]
    selection += [AssetKey([m.schema, m.name]) for m in terrain_models()] + [PUBLICATION]
    run = partial_refresh(warehouse, demo_warehouse.parent / "data", selection)
    assert run.success
    with connection(warehouse, read_only=True) as con:
        assert con.execute("select run_id from meta.publication").fetchone()[0] == run.run_id
        stamped = con.execute(
            "select distinct _fichier, _sha256 from raw.terrain_observations where _fichier like 'terrain/saisie%'"
        ).fetchall()
    kept = {f"terrain/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (warehouse.parent / "imports" / "qpv" / "terrain").iterdir()}  # fmt: skip
    assert dict(stamped) == kept  # re-read from the kept files
    assert {label: imported_rows(warehouse, label) for label in labels} == before
    assert imported_rows(warehouse, "terrain/permanences_2025.csv") == demo_rows > 0


def test_reimport_is_idempotent(imported, tmp_path):
    """The same file again: nothing published (same bytes, same versions), no duplicate row. The same content
    under another name: refused, one French line, nothing kept."""
    warehouse = imported_copy(imported, tmp_path)
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    versions = sorted(p.name for p in (warehouse.parent / "versions").iterdir())
    result = run_cli("terrain", "import", str(imported["csv"]), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    assert "Déjà importé à l'identique (terrain/saisie_2025.csv : 8 observation(s)) : entrepôt inchangé" in (
        result.stdout
    )
    renamed = tmp_path / "copie_2025.csv"
    shutil.copyfile(imported["csv"], renamed)
    with pytest.raises(InputError, match=r"copie_2025.csv : contenu identique à terrain/saisie_2025.csv"):
        import_files([renamed], warehouse)
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in (warehouse.parent / "versions").iterdir()) == versions
    assert sorted(p.name for p in (warehouse.parent / "imports" / "qpv" / "terrain").iterdir()) == [
        "saisie_2025.csv",
        "saisie_ateliers.xlsx",
    ]
    assert imported_rows(warehouse, "terrain/saisie_2025.csv") == 8


def test_import_waits_for_the_publication_lock(imported, tmp_path):
    """An import started while another writer holds the folder lock (as a run does around its publication) says
    so, waits, and publishes once the lock is released: the rows are never dropped."""
    import subprocess

    from pipelines.warehouse.publication import dir_lock
    from tests.conftest import QPV

    warehouse = imported_copy(imported, tmp_path)
    obs = observations_file(tmp_path / "verrou_2025.csv", 3)
    stderr = tmp_path / "import.stderr"
    with dir_lock(warehouse), stderr.open("w") as sink:
        process = subprocess.Popen(
            [QPV, "terrain", "import", str(obs), "--warehouse", str(warehouse)],
            stdout=subprocess.PIPE, stderr=sink, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while "Publication en cours" not in stderr.read_text(encoding="utf-8"):
            assert process.poll() is None, stderr.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the import did not say it waits"
            time.sleep(0.1)
        time.sleep(0.5)
        assert process.poll() is None and imported_rows(warehouse, "terrain/verrou_2025.csv") == 0
    stdout, _ = process.communicate(timeout=120)
    message = stderr.read_text(encoding="utf-8")
    assert process.returncode == 0, message
    assert len(message.strip().splitlines()) == 1 and "l'import attend qu'elle se termine" in message
    assert "3 observation(s) chargée(s)" in stdout and "version publiée" in stdout
    assert imported_rows(warehouse, "terrain/verrou_2025.csv") == 3
    assert (warehouse.parent / "imports" / "qpv" / "terrain" / "verrou_2025.csv").is_file()


def test_import_refused_when_its_files_cannot_be_kept(imported, tmp_path):
    """No imports folder to keep the files in (here a file in its place): refused before anything is built, in
    French, the warehouse unchanged (the rows would be lost at the next run)."""
    from pipelines.warehouse.connection import WarehouseError

    folder = tmp_path / "w"
    folder.mkdir()
    warehouse = folder / "qpv.duckdb"
    shutil.copyfile(imported["warehouse"], warehouse)
    (folder / "imports").write_text("pas un dossier", encoding="utf-8")
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    obs = observations_file(tmp_path / "sans_dossier_2025.csv", 3)
    with pytest.raises(
        WarehouseError, match=r"dossier des imports inaccessible .* import refusé, entrepôt inchangé"
    ):
        import_files([obs], warehouse)
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    assert not (folder / "versions").exists() and not list((folder / ".builds").glob("*.duckdb*"))


def test_import_refusing_every_row_leaves_the_warehouse_unchanged(imported, tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    warehouse = folder / "qpv.duckdb"
    shutil.copyfile(imported["warehouse"], warehouse)
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    refused = observations_file(tmp_path / "refus_2025.csv", 2, resume=f"Écrire à {SECRETS['courriel']}.")
    result = run_cli("terrain", "import", str(refused), "--warehouse", str(warehouse))
    assert result.returncode == 1 and "aucune observation chargée, entrepôt inchangé" in result.stderr
    assert "2 ligne(s) refusée(s), rien n'est écrit" in result.stderr
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    assert not (folder / "versions").exists() and not (folder / "imports").exists()
    assert not list((folder / ".builds").glob("*.duckdb*"))


def imported_rows(warehouse: Path, label: str) -> int:
    with connection(warehouse, read_only=True) as con:
        return con.execute(
            "select count(*) from raw.terrain_observations where _fichier = ?", [label]
        ).fetchone()[0]


def terrain_observations(warehouse: Path) -> int:
    with connection(warehouse, read_only=True) as con:
        return con.execute("select count(*) from intermediate.int_terrain_observations").fetchone()[0]


def test_a_run_publishing_after_an_import_carries_it_over(demo_warehouse, tmp_path, monkeypatch):
    """The run's build is copied before the import publishes, and the run does not re-read the terrain files
    (only marts): its publication carries the import over, under the lock, instead of dropping it."""
    from assets import factory
    from tests.test_publication import partial_refresh

    warehouse = tmp_path / "w" / "qpv.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(demo_warehouse, warehouse)
    obs = observations_file(tmp_path / "pendant_2025.csv", 5)
    results = []
    materialize = factory.materialize

    def import_during_the_run(con, model):
        if not results:  # the run's build exists: the import (another process) publishes meanwhile
            results.append(run_cli("terrain", "import", str(obs), "--warehouse", str(warehouse)))
        materialize(con, model)

    monkeypatch.setattr(factory, "materialize", import_during_the_run)
    run = partial_refresh(warehouse, demo_warehouse.parent / "data")
    assert run.success and results and results[0].returncode == 0, results[0].stderr if results else None
    listed = versions_listed(warehouse)
    assert [published for published, _ in listed] == [True, False]  # the newest one is the published one
    assert listed[1][1].endswith("-terrain") and listed[0][1].endswith(run.run_id[:8])
    assert imported_rows(warehouse, "terrain/pendant_2025.csv") == 5
    with connection(warehouse, read_only=True) as con:
        assert con.execute(
            "select count(*) from meta.fichiers where fichier = 'terrain/pendant_2025.csv'"
        ).fetchone() == (1,)
        observations = con.execute("select count(*) from intermediate.int_terrain_observations").fetchone()
    assert observations == (terrain_observations(demo_warehouse) + 5,)  # down to the marts' input


def test_import_racing_a_qpv_run(demo_warehouse, tmp_path):
    """`qpv run` and `qpv terrain import` in two processes: the import starts once the run has copied the
    published file and publishes before the run does. `qpv versions` stays consistent (the newest version is the
    published one, every listed version exists) and the run's version holds the imported rows (re-read from the
    imports folder or carried over at its publication), with the demo's own observations."""
    import subprocess

    from tests.conftest import QPV

    warehouse = tmp_path / "w" / "qpv.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(demo_warehouse, warehouse)
    demo_rows = imported_rows(demo_warehouse, "terrain/permanences_2025.csv")
    obs = observations_file(tmp_path / "course_2025.csv", 4)
    run = subprocess.Popen(
        [QPV, "run", "--data-dir", str(demo_warehouse.parent / "data"), "--warehouse", str(warehouse),
         "--dashboards", str(tmp_path / "dash")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        builds = warehouse.parent / ".builds"
        deadline = time.monotonic() + 300
        while not [b for b in builds.glob("qpv-*.duckdb") if "terrain" not in b.name]:
            assert run.poll() is None and time.monotonic() < deadline, "the run made no build"
            time.sleep(0.05)
        result = run_cli("terrain", "import", str(obs), "--warehouse", str(warehouse))
        assert result.returncode == 0, result.stderr
        assert run.poll() is None, "the run published before the import: no race"
        stdout, stderr = run.communicate(timeout=900)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, stdout + stderr
    listed = versions_listed(warehouse)
    assert [published for published, _ in listed] == [True, False]
    assert listed[1][1].endswith("-terrain") and not listed[0][1].endswith("-terrain")
    assert imported_rows(warehouse, "terrain/course_2025.csv") == 4
    assert imported_rows(warehouse, "terrain/permanences_2025.csv") == demo_rows > 0


# ------------------------------------------------------------------------------------------------ demo and marts


def test_demo_observations_and_refusals(demo_warehouse):
    truth = json.loads((demo_warehouse.parent / "data" / "truth.json").read_text(encoding="utf-8"))["terrain"]
    with connection(demo_warehouse, read_only=True) as con:
        raw = con.execute("select count(*) from raw.terrain_observations").fetchone()[0]
        refused = con.execute(
            "select fichier, ligne, valeur from quarantine.terrain_observations where colonne = 'controle' "
            "order by fichier, ligne"
        ).fetchall()
    assert raw == truth["observations"] - len(truth["refusees"])
    expected = sorted((r["fichier"], r["ligne"], r["type"]) for r in truth["refusees"])
    assert [(f, ligne) for f, ligne, _ in refused] == [(f, ligne) for f, ligne, _ in expected]
    for (_, _, valeur), (_, _, kind) in zip(refused, expected, strict=True):
        assert f"données personnelles : {kind} " in valeur


def test_sensor_client_sees_every_file_of_the_folder(demo_warehouse):
    source = next(s for s in all_sources() if s.name == "terrain_observations")
    files = LocalSourceClient(data_dir=str(demo_warehouse.parent / "data")).files(source)
    assert sorted(f.relative for f in files) == ["terrain/ateliers_2025.xlsx", "terrain/permanences_2025.csv"]


def test_the_sensor_watches_the_terrain_folder(demo_warehouse, tmp_path):
    """The Dagster sensor `nouveaux_fichiers_terrain_observations`: the folder's files yield one run of the raw
    asset and the terrain marts; nothing new, none; a structure's new file dropped in, one more naming it."""
    from dagster import AssetKey, RunRequest, SkipReason, build_sensor_context

    from pipelines.definitions import build_definitions
    from pipelines.orchestration.sensors import sensor_name
    from pipelines.resources import resources_for

    folder = tmp_path / "data" / "terrain"
    folder.mkdir(parents=True)
    shutil.copy(demo_warehouse.parent / "data" / "terrain" / "permanences_2025.csv", folder)
    (folder / "notes.txt").write_text("pas un fichier d'observations", encoding="utf-8")
    resources = resources_for(tmp_path / "data", tmp_path / "w.duckdb", tmp_path / "dash")
    defs = build_definitions(resources)
    source = next(s for s in all_sources() if s.name == "terrain_observations")
    sensor_def = defs.resolve_sensor_def(sensor_name(source))

    def evaluate(cursor):
        context = build_sensor_context(
            cursor=cursor, resources=resources, repository_def=defs.get_repository_def()
        )
        return sensor_def(context), context.cursor

    first, cursor = evaluate(None)
    assert isinstance(first, RunRequest), first
    assert first.tags["qpv/fichiers"] == "terrain/permanences_2025.csv"
    selected = set(first.asset_selection)
    assert {AssetKey(["raw", "terrain_observations"]), AssetKey(["marts", "observations_terrain"]),
            AssetKey(["marts", "terrain_croisement"])} <= selected  # fmt: skip
    assert AssetKey(["raw", "anct_revn"]) not in selected
    assert isinstance(evaluate(cursor)[0], SkipReason)
    write_template(folder / "saisie_centre_social.xlsx")
    again, cursor = evaluate(cursor)
    assert isinstance(again, RunRequest) and again.tags["qpv/fichiers"] == "terrain/saisie_centre_social.xlsx"
    assert again.run_key != first.run_key


def test_aggregates_never_below_threshold(demo_warehouse):
    with connection(demo_warehouse, read_only=True) as con:
        columns = {r[0] for r in con.execute("describe marts.observations_terrain").fetchall()}
        columns |= {r[0] for r in con.execute("describe marts.terrain_croisement").fetchall()}
        assert not columns & {"structure", "resume", "identifiant", "structure_empreinte"}
        published = con.execute(
            "select min(nb_observations), min(nb_concernes), count(*) from marts.observations_terrain where not secret"
        ).fetchone()
        assert published[0] >= 3 and published[1] >= 11 and published[2] > 0
        assert (
            con.execute(
                "select count(*) from marts.observations_terrain where secret and "
                "(nb_observations is not null or nb_concernes is not null or nb_structures is not null)"
            ).fetchone()[0]
            == 0
        )
        assert con.execute("select count(*) from marts.observations_terrain where secret").fetchone()[0] > 0
        # year = S1 + S2: a category's semesters are all secret as soon as its year or one semester is
        assert (
            con.execute(
                """
            select count(*) from (
                select code_qp, terrain, categorie, annee,
                       bool_or(secret) as any_secret, bool_and(secret) filter (where type_periode = 'semestre') as all_sem
                from marts.observations_terrain group by all
            ) where any_secret and not coalesce(all_sem, true)
            """
            ).fetchone()[0]
            == 0
        )
        # terrain total published (crossing view) = Σ categories: never exactly one secret category beside it
        assert (
            con.execute(
                """
            with totals as (
                select distinct code_qp, terrain, annee, secret_observations from marts.terrain_croisement
            ), cats as (
                select code_qp, terrain, annee, count(*) filter (where secret) as n_secret
                from marts.observations_terrain where type_periode = 'annee' group by all
            )
            select count(*) from totals join cats using (code_qp, terrain, annee)
            where not secret_observations and n_secret = 1
            """
            ).fetchone()[0]
            == 0
        )
        crossing = con.execute(
            "select terrain, list(distinct indicateur) from marts.terrain_croisement group by all"
        ).fetchall()
        assert crossing, "the crossing view has rows for the demo"
        by_terrain = dict(crossing)
        assert {"non_recours_rsa_estime", "part_population_couverte_caf"} <= set(by_terrain["non_recours"])
        for terrain in ("economie_informelle", "entrepreneuriat"):
            assert {"creations_etablissements", "emplois_ess", "indicateur_chomage_abc"} <= set(
                by_terrain[terrain]
            ), terrain
        assert (
            con.execute(
                "select min(nb_concernes) from marts.terrain_croisement where not secret_observations"
            ).fetchone()[0]
            >= 11
        )
    assert set(CATEGORIES) == {"non_recours", "economie_informelle", "entrepreneuriat"}


def test_fiche_has_the_terrain_section(demo_warehouse, tmp_path):
    from dashboards.pages import fiches
    from dashboards.site import SiteContext

    with connection(demo_warehouse, read_only=True) as con:
        published = con.execute(
            "select code_qp, nb_concernes from marts.observations_terrain "
            "where not secret and type_periode = 'annee' order by nb_concernes desc limit 1"
        ).fetchone()
        without = con.execute(
            "select code_qp from staging.stg_qpv2024 where code_qp not in "
            "(select code_qp from marts.observations_terrain) order by code_qp limit 1"
        ).fetchone()[0]
        predecessor = con.execute("select min(code_qp) from staging.stg_qpv2015").fetchone()[0]
        ctx = SiteContext(
            con=con, out_dir=tmp_path, territoire=[published[0], without, predecessor], png=False
        )
        fiches.render(ctx)
    page = (tmp_path / "fiches" / f"{published[0]}.html").read_text(encoding="utf-8")
    assert "<h2>Terrain : observations qualitatives anonymisées</h2>" in page
    section = page[page.index("<h2>Terrain") :]
    assert f"<td>{published[1]}</td>" in section
    assert "Non-recours estimé au RSA" in section or "Créations d" in section
    for secret in PLANTED.values():
        assert secret not in page
    for structure in STRUCTURES:  # the structures of the demo's observations are never named in a fiche
        assert structure not in page
    empty = (tmp_path / "fiches" / f"{without}.html").read_text(encoding="utf-8")
    assert "Aucune observation de terrain publiée pour ce quartier." in empty
    fiche_2015 = (tmp_path / "fiches" / f"{predecessor}.html").read_text(encoding="utf-8")
    assert "rattachées aux quartiers de la géographie 2024" in fiche_2015


def test_reader_names_file_and_line(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("date;code QPV (2024)\n2025-01-01;QN05995M;en trop;encore\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"x.csv, ligne 2 : 4 cellules"):
        read_text(bad, "x.csv")


def test_import_into_an_incomplete_warehouse_is_refused(tmp_path):
    from pipelines.warehouse.connection import WarehouseError, connect

    warehouse = tmp_path / "vide.duckdb"
    connect(warehouse).close()
    before = warehouse.read_bytes()
    template = tmp_path / "obs.csv"
    write_template(template)
    fill_csv(template, [row(1, "Entraide entre voisines.")])
    with pytest.raises(WarehouseError, match="tables absentes : staging.stg_qpv2024"):
        import_files([template], warehouse)
    assert warehouse.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_contract_documents_the_closed_lists():
    from pipelines.domain.terrain import PRESTATIONS, SECTEURS, SOURCE, TYPES_SOURCE

    contract = SOURCE.load_contract()
    for terrain, categories in CATEGORIES.items():
        for code in categories:
            assert code in contract.description, f"{terrain}/{code} missing from the contract's description"
    for code in [*PRESTATIONS, *SECTEURS]:
        assert code in contract.description
    assert contract.column("type_source").allowed_values == tuple(TYPES_SOURCE)
    assert contract.column("terrain").allowed_values == tuple(CATEGORIES)


def test_make_demo_lists_the_refused_observations_in_the_run_report(demo_warehouse):
    """`qpv demo` (what `make demo` runs) refuses the planted observations holding personal data: the run report
    lists each with its file, line and reasons, and the command prints them."""
    report = json.loads((demo_warehouse.parent / "reports" / "latest.json").read_text(encoding="utf-8"))
    assert report["status"] == "succès" and report["publication"]["version"]
    refused = report["sources"]["terrain_observations"]["refused"]
    kinds = " ".join(r["motifs"] for r in refused)
    assert len(refused) == 4, refused
    for kind in ("courriel", "telephone", "nom", "adresse"):
        assert kind in kinds.replace("é", "e"), (kind, kinds)
    assert all(r["fichier"].startswith("terrain/") and r["ligne"] > 0 for r in refused)
    assert report["sources"]["terrain_observations"]["quarantined_rows"] == 4
    stderr = (demo_warehouse.parent / "demo.stderr").read_text(encoding="utf-8")
    assert "4 ligne(s) refusée(s) avant stockage" in stderr
    assert refused[0]["motifs"] in stderr
