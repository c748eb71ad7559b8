"""Terrain observations: the template, the reading of the files, the anonymisation gate, and the import.

The observations are qualitative records of local actors on three terrains (non-recours aux droits, économie
informelle licite, entrepreneuriat). They come as CSV (`;`, UTF-8) or XLSX files written from the template of
`qpv terrain template`, in the data folder's `terrain/` sub-folder (a source like any other: the raw asset
`raw/terrain_observations`, watched by the sensor) or through `qpv terrain import FILE...`.

Nothing is stored before the anonymisation gate (`prepare`): a row whose summary, identifiant or structure holds
personal data (pipelines/domain/anonymisation.py; the structure with `scan_structure`) keeps only its redacted text,
and its `controle` column gives the reasons and the spans; the contract's quarantine rule then moves it to
`quarantine.terrain_observations`. Other row defects
(a category of another terrain, a missing précision, an unreadable date, a duplicated identifiant) go the same way.
A file that cannot be read (not CSV/XLSX, headers not the template's, a count that is not a number) is an
InputError naming the file, line and column: nothing is written.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import os
import re
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.contracts.registry import ReadOptions, Source
from pipelines.domain import anonymisation
from pipelines.sources.loaders import LoadReport, register, write_frame
from pipelines.sources.parsing import (
    LINEAGE_COLUMNS,
    InputError,
    SourceFile,
    TextTable,
    combine,
    sha256_of,
    type_columns,
    with_lineage,
)

SOURCE_NAME = "terrain_observations"
FOLDER = "terrain"
EXAMPLE_ID = "EXEMPLE"
MAX_SUMMARY = 1000
SHEET = "observations"
NOTICE_SHEET = "notice"
READ = ReadOptions(separator=";", decimal_comma=True, sheet=SHEET)

TERRAINS: dict[str, str] = {
    "non_recours": "Non-recours aux droits",
    "economie_informelle": "Économie informelle licite",
    "entrepreneuriat": "Entrepreneuriat et activités économiques",
}
# terrain -> categorie -> (French label, what the précision column must hold: "prestation", "secteur" or None)
CATEGORIES: dict[str, dict[str, tuple[str, str | None]]] = {
    "non_recours": {
        "droit_non_demande": ("Droit non demandé", "prestation"),
        "non_connaissance": ("Non-connaissance du droit", None),
        "non_reception": ("Demande faite, droit non reçu", None),
        "non_proposition": ("Droit non proposé par l'organisme", None),
        "strategie_evitement_couts": ("Stratégie d'évitement des coûts", None),
        "renoncement_demarches_numeriques": ("Renoncement face aux démarches en ligne", None),
    },
    "economie_informelle": {
        "activite_informelle": ("Activité informelle", "secteur"),
        "entraide": ("Entraide", None),
        "troc_echange": ("Troc et échanges de services", None),
        "strategie_evitement_couts": ("Stratégie d'évitement des coûts", None),
        "revenus_complementaires": ("Recherche de revenus complémentaires", None),
    },
    "entrepreneuriat": {
        "formalisation_projet": ("Formalisation d'un projet", "secteur"),
        "creation_activite": ("Création d'activité", "secteur"),
        "difficulte_financement": ("Difficulté de financement", None),
        "besoin_accompagnement": ("Besoin d'accompagnement", None),
        "cessation_activite": ("Cessation d'activité", None),
    },
}
PRESTATIONS: dict[str, str] = {
    "rsa": "RSA",
    "prime_activite": "Prime d'activité",
    "aah": "Allocation aux adultes handicapés",
    "aide_logement": "Aide au logement",
    "c2s": "Complémentaire santé solidaire",
    "allocations_familiales": "Allocations familiales",
    "ass": "Allocation de solidarité spécifique",
    "autre": "Autre prestation",
}
SECTEURS: dict[str, str] = {
    "commerce": "Commerce, vente",
    "restauration": "Restauration, repas",
    "services_personne": "Services à la personne",
    "garde_enfants": "Garde d'enfants",
    "batiment": "Bâtiment, petits travaux",
    "transport_livraison": "Transport, livraison",
    "couture_artisanat": "Couture, artisanat",
    "coiffure_esthetique": "Coiffure, esthétique",
    "numerique": "Numérique",
    "agriculture_urbaine": "Agriculture urbaine",
    "autre": "Autre secteur",
}
TYPES_SOURCE: dict[str, str] = {
    "permanence": "Permanence",
    "entretien": "Entretien",
    "groupe_de_travail": "Groupe de travail",
    "atelier": "Atelier collectif",
    "visite_domicile": "Visite à domicile",
    "evenement": "Événement de quartier",
    "autre": "Autre",
}
# contract column -> the template's French header (the contract lists them as aliases)
HEADERS: dict[str, str] = {
    "date_observation": "date",
    "code_qp": "code QPV (2024)",
    "terrain": "terrain",
    "categorie": "catégorie",
    "precision": "précision (prestation ou secteur)",
    "nombre_concernes": "nombre de personnes ou ménages concernés",
    "type_source": "type de source",
    "structure": "structure observatrice",
    "resume": "résumé",
    "identifiant": "identifiant",
}
EXAMPLE_ROW = {
    "date_observation": "2025-03-14",
    "code_qp": "QN05901M",
    "terrain": "non_recours",
    "categorie": "droit_non_demande",
    "precision": "prime_activite",
    "nombre_concernes": "12",
    "type_source": "permanence",
    "structure": "Centre social du quartier",
    "resume": "Plusieurs familles ne demandent pas la prime d'activité par crainte d'un indu à rembourser.",
    "identifiant": EXAMPLE_ID,
}


# The registry entry (declared by assets/terrain; kept here so that the CLI does not import Dagster). Any .csv or
# .xlsx of terrain/ (several per edition); a year at the end of the name labels the edition, else 0 ("non datée":
# the periods of the marts come from each observation's date).
SOURCE = Source(
    name=SOURCE_NAME,
    producer="terrain",
    title="Observations de terrain anonymisées",
    folder=FOLDER,
    file_pattern=r"(?![~.$])[^/]*?(?:_(?P<millesime>20\d{2}))?\.(?:csv|xlsx|CSV|XLSX)",
    official_url="https://www.rncrpv.fr/",
    contract="terrain/terrain_observations.yaml",
    geographie="qpv2024",
    fixed_millesime=0,
    loader="terrain",
    many_files=True,
)


def source() -> Source:
    return SOURCE


def notice_lines() -> list[str]:
    """The template's notice (French): columns, closed lists, anonymisation rules."""
    lines = [
        "Modèle d'observations de terrain anonymisées (observatoire des QPV). Une ligne par observation.",
        "La ligne d'identifiant EXEMPLE est ignorée à l'import : la remplacer ou la laisser.",
        "date : AAAA-MM-JJ (ou JJ/MM/AAAA). code QPV (2024) : QN + département + 2 chiffres + lettre (QN05901M).",
        "nombre de personnes ou ménages concernés : entier de 1 à 10 000 (estimation de la structure).",
        "identifiant : facultatif, propre à la structure (jamais un nom de personne ni une autre donnée personnelle).",
        "ANONYMAT : le résumé (1 000 caractères au plus) ne doit contenir AUCUNE donnée personnelle : ni nom ou"
        " prénom, ni adresse (numéro + rue), ni téléphone, ni courriel, ni numéro de sécurité sociale, ni IBAN,"
        " ni date de naissance, ni plaque d'immatriculation.",
        "L'identifiant est contrôlé comme le résumé, et le nom de la structure aussi, sauf deux points : l'adresse de"
        " ses locaux y est admise, et un nom de personne n'y est refusé qu'après une civilité (Mme, M., Dr…) ou"
        " s'il forme tout le nom ; « Centre social Jean Moulin » est accepté.",
        "Une ligne qui en contient est refusée (mise en quarantaine, texte caviardé) avec la position des passages.",
        "Le nom de la structure n'est jamais publié ; seuls des agrégats (quartier, terrain, catégorie, période) le"
        " sont, et aucun effectif inférieur au seuil du secret statistique.",
        "type de source : " + ", ".join(TYPES_SOURCE),
    ]
    for terrain, label in TERRAINS.items():
        cats = ", ".join(
            f"{code}{' (précision : ' + kind + ')' if kind else ''}"
            for code, (_, kind) in CATEGORIES[terrain].items()
        )
        lines.append(f"terrain {terrain} ({label}) - catégories : {cats}")
    lines.append("précision, prestations : " + ", ".join(PRESTATIONS))
    lines.append("précision, secteurs : " + ", ".join(SECTEURS))
    return lines


# --- template -------------------------------------------------------------------------------------------------


def template_csv() -> bytes:
    """The CSV template: notice lines starting with `#` (skipped on reading), the header, the example row."""
    buffer = io.StringIO()
    for line in notice_lines():
        buffer.write(f"# {line}\n")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(HEADERS.values())
    writer.writerow([EXAMPLE_ROW[c] for c in HEADERS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(rows: list[dict[str, str | int]], with_validation: bool = True) -> bytes:
    """An observations workbook (sheet `observations`: header + rows; sheet `notice`), byte-for-byte reproducible
    (fixed document dates and zip timestamps)."""
    import openpyxl
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(list(HEADERS.values()))
    for row in rows:
        sheet.append([row.get(c) for c in HEADERS])
    for letter, width in zip("ABCDEFGHIJ", (12, 16, 20, 30, 22, 14, 18, 30, 80, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    if with_validation:
        lists = {"C": list(TERRAINS), "G": list(TYPES_SOURCE)}
        for letter, values in lists.items():
            validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=False)
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}5000")
    notice = workbook.create_sheet(NOTICE_SHEET)
    for line in notice_lines():
        notice.append([line])
    fixed = dt.datetime(2024, 1, 1)
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    workbook.properties.creator = "qpv"
    raw = io.BytesIO()
    workbook.save(raw)
    return _reproducible_xlsx(raw.getvalue())


def _reproducible_xlsx(data: bytes) -> bytes:
    """A workbook saved by openpyxl, with the save time it stamps in docProps/core.xml and in the zip entries
    rewritten to a fixed date: the same content gives the same bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"<dcterms:modified([^>]*)>[^<]*<", rb"<dcterms:modified\1>2024-01-01T00:00:00Z<", data
                )
            entry = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    return out.getvalue()


def write_template(path: Path) -> Path:
    """`qpv terrain template --out FILE`: .csv or .xlsx by the file's extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        data = template_csv()
    elif suffix == ".xlsx":
        data = xlsx_bytes([EXAMPLE_ROW])
    else:
        raise InputError(str(path), "extension inconnue : le modèle s'écrit en .csv ou en .xlsx")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- reading --------------------------------------------------------------------------------------------------


def _is_xlsx(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def read_text(path: Path, label: str) -> TextTable:
    """The file as a text table (`_ligne` = line of the CSV / row of the sheet), whatever its extension says."""
    if not path.is_file():
        raise InputError(label, "fichier introuvable")
    if _is_xlsx(path):
        from pipelines.sources.loaders.spreadsheet import read_sheet

        return read_sheet(path.read_bytes(), READ, label)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(label, f"ni un classeur XLSX ni un CSV en UTF-8 ({exc.reason})") from exc
    header: list[str] | None = None
    lines: list[int] = []
    rows: list[list[str | None]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    for row in reader:
        number = reader.line_num
        if not row or not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [h.strip() for h in row]
            if len(header) < 2:
                raise InputError(label, "en-tête illisible : le séparateur attendu est « ; »", line=number)
            continue
        if len(row) > len(header) and any(c.strip() for c in row[len(header) :]):
            raise InputError(
                label, f"{len(row)} cellules, plus que les {len(header)} de l'en-tête", line=number
            )
        cells = [(row[i].strip() or None) if i < len(row) else None for i in range(len(header))]
        lines.append(number)
        rows.append(cells)
    if header is None:
        raise InputError(label, "fichier vide (pas de ligne d'en-tête)", line=1)
    names = [h for h in header]
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        raise InputError(label, f"colonnes en double dans l'en-tête : {duplicates}", line=1)
    positions = [i for i, n in enumerate(names) if n]
    frame = pl.DataFrame(
        {"_ligne": pl.Series(lines, dtype=pl.Int64)}
        | {names[i]: pl.Series([r[i] for r in rows], dtype=pl.String) for i in positions}
    )
    return TextTable(frame=frame, positions={names[i]: i + 1 for i in positions})


def normalise_date(value: str | None) -> str | None:
    """`2025-03-14`, `2025-03-14T00:00:00` (Excel), `14/03/2025` -> `2025-03-14`; None when unreadable."""
    if value is None:
        return None
    text = value.strip()
    for pattern, order in (
        (r"(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+)?", "ymd"),
        (r"(\d{1,2})/(\d{1,2})/(\d{4})", "dmy"),
    ):
        match = re.fullmatch(pattern, text)
        if match:
            a, b, c = (int(g) for g in match.groups())
            year, month, day = (a, b, c) if order == "ymd" else (c, b, a)
            try:
                return dt.date(year, month, day).isoformat()
            except ValueError:
                return None
    return None


@dataclass
class Refusal:
    fichier: str
    ligne: int
    identifiant: str
    motifs: str


@dataclass
class Prepared:
    frame: pl.DataFrame  # raw rows, lineage included: conforming rows and refused ones (text redacted)
    refused: list[Refusal] = field(default_factory=list)
    examples_skipped: int = 0
    undeclared: list[str] = field(default_factory=list)


def _check_row(row: dict) -> tuple[list[str], dict]:
    """Reasons to refuse a row (French) and the values to store (redacted where personal data was found)."""
    reasons: list[str] = []
    stored = dict(row)
    findings = anonymisation.scan(row.get("resume"))
    if findings:
        reasons.append("résumé : " + anonymisation.describe(findings))
        stored["resume"] = anonymisation.redact(row["resume"], findings)
    # a structure may be named after a person ("Centre social Jean Moulin") and have premises: its name is screened
    # for every other kind, and for a person's name after a civility or making up the whole value; an identifiant
    # is never personal data ("OBS-2024-0012"), every kind is screened
    screens = {"structure": anonymisation.scan_structure, "identifiant": anonymisation.scan}
    for column, screen in screens.items():
        found = screen(row.get(column))
        if found:
            reasons.append(f"{column} : " + anonymisation.describe(found))
            stored[column] = anonymisation.redact(row[column], found)
    if row.get("resume") and len(row["resume"]) > MAX_SUMMARY:
        reasons.append(f"résumé trop long ({len(row['resume'])} caractères, {MAX_SUMMARY} au plus)")
    raw_date = row.get("date_observation")
    date = normalise_date(raw_date)
    if raw_date is not None and date is None:
        reasons.append(f"date illisible {raw_date!r} (attendu AAAA-MM-JJ ou JJ/MM/AAAA)")
    stored["date_observation"] = date if date is not None else raw_date
    terrain, categorie, precision = row.get("terrain"), row.get("categorie"), row.get("precision")
    if terrain in CATEGORIES and categorie is not None:
        spec = CATEGORIES[terrain].get(categorie)
        if spec is None:
            reasons.append(
                f"catégorie {categorie!r} hors de la liste du terrain {terrain} ({', '.join(CATEGORIES[terrain])})"
            )
        else:
            kind = spec[1]
            allowed = PRESTATIONS if kind == "prestation" else SECTEURS if kind == "secteur" else None
            if allowed is not None and precision not in allowed:
                reasons.append(
                    f"précision {precision!r} : la catégorie {categorie} demande un(e) {kind} parmi "
                    f"{', '.join(allowed)}"
                )
            if allowed is None and precision is not None and precision not in PRESTATIONS | SECTEURS:
                reasons.append(f"précision {precision!r} hors des listes des prestations et des secteurs")
    return reasons, stored


def prepare(table: TextTable, sf: SourceFile, contract) -> Prepared:
    """The gate: type the file by the contract, drop the example row, check each row, redact refused texts."""
    typed, unknown = type_columns(table, contract, READ, sf.relative)
    examples = typed.filter(pl.col("identifiant").is_not_null() & (pl.col("identifiant") == EXAMPLE_ID))
    typed = typed.filter(pl.col("identifiant").is_null() | (pl.col("identifiant") != EXAMPLE_ID))
    records, refused, seen = [], [], {}
    stem = Path(sf.relative).stem
    for row in typed.iter_rows(named=True):
        reasons, stored = _check_row(row)
        given = stored.get("identifiant")
        if given is not None and given in seen:
            reasons.append(f"identifiant {given!r} en double (déjà ligne {seen[given]})")
            given = f"{given}#L{row['_ligne']}"
        seen.setdefault(given, row["_ligne"])
        # qualified by the file's name: structures may number their observations alike (key unique per edition)
        stored["identifiant"] = f"{stem}:{given if given is not None else 'L' + str(row['_ligne'])}"
        ident = stored["identifiant"]
        stored["controle"] = "; ".join(reasons) if reasons else "conforme"
        if reasons:
            refused.append(Refusal(sf.relative, row["_ligne"], ident, stored["controle"]))
        records.append(stored)
    columns = contract.column_names + ["_ligne"]
    schema = {c: typed.schema[c] for c in columns}
    frame = pl.DataFrame(records, schema=schema) if records else pl.DataFrame(schema=schema)
    frame = with_lineage(frame, sf).select(list(LINEAGE_COLUMNS) + contract.column_names)
    return Prepared(frame, refused, examples.height, unknown)


def prepare_file(sf: SourceFile, src: Source | None = None) -> Prepared:
    src = src or source()
    return prepare(read_text(sf.path, sf.relative), sf, src.load_contract())


@register("terrain")
def load_terrain(
    src: Source, files: list[SourceFile], con: duckdb.DuckDBPyConnection, table: str
) -> LoadReport:
    """The raw asset's loader: every file of terrain/ through the gate; refused rows stay (redacted) with their
    `controle` reasons, for the quarantine rule to move them."""
    contract = src.load_contract()
    frames, undeclared, refused = [], {}, []
    for sf in files:
        prepared = prepare_file(sf, src)
        frames.append(prepared.frame)
        refused += prepared.refused
        if prepared.undeclared:
            undeclared[sf.relative] = prepared.undeclared
    combined = combine(frames, contract)
    notes = {
        "refus_terrain": [
            {"fichier": r.fichier, "ligne": r.ligne, "identifiant": r.identifiant, "motifs": r.motifs}
            for r in refused[:50]
        ]
    }
    return LoadReport(rows=write_frame(con, table, combined), undeclared=undeclared, notes=notes)


# --- import into an existing warehouse ------------------------------------------------------------------------

# What the terrain marts read besides the observations (built by `qpv run` / `qpv demo`).
REQUIRED_TABLES = (
    "staging.stg_qpv2024",
    "marts.ref_indicateurs",
    "marts.indicateurs_qpv",
    "marts.passage_qpv2015_qpv2024",
)


@dataclass
class ImportReport:
    files: list[str]
    rows_loaded: int  # conforming rows of the imported files now in raw.terrain_observations
    refused: list[Refusal]
    examples_skipped: int
    quarantined: int
    marts: dict[str, int]
    version: str | None = None  # the version published (None: nothing loaded, nothing published)
    # the files were already imported with the same content (same names, same kept bytes): nothing published,
    # `version` is the published one
    already_imported: bool = False


def source_file_of(path: Path, src: Source) -> SourceFile:
    """An imported file, labelled `terrain/<name>` as if it were in the data folder."""
    name = path.name
    millesime = src.millesime_of(name)
    if millesime is None:
        raise InputError(
            str(path), f"nom de fichier non reconnu (attendu : {src.file_pattern}, .csv ou .xlsx)"
        )
    if not path.is_file():
        raise InputError(str(path), "fichier introuvable")
    return SourceFile(path=path, relative=f"{FOLDER}/{name}", millesime=millesime, sha256=sha256_of(path))


def terrain_models() -> list:
    """The SQL models that read raw.terrain_observations, directly or through another model, each after the
    models it reads (staging → intermediate → marts)."""
    from pipelines.warehouse.models import discover_models

    models = {(m.schema, m.name): m for m in discover_models()}
    reached = {("raw", SOURCE_NAME)}
    grew = True
    while grew:
        grew = False
        for key, model in models.items():
            if key not in reached and reached.intersection(model.references()):
                reached.add(key)
                grew = True
    pending = [models[key] for key in models if key in reached]
    ordered: list = []
    while pending:
        done = {("raw", SOURCE_NAME)} | {(m.schema, m.name) for m in ordered}
        ready = [m for m in pending if not (reached - done).intersection(m.references())]
        if not ready:
            raise RuntimeError(f"cycle among the terrain models: {[m.name for m in pending]}")
        ordered += ready
        pending = [m for m in pending if m not in ready]
    return ordered


def rebuild_marts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Recompute the terrain SQL models (`terrain_models`: staging → intermediate → marts), in order, from their
    files under sql/."""
    counts = {}
    for model in terrain_models():
        # Identifiers come from the SQL file names, never from user input.
        con.execute(
            f"create or replace {model.materialized} {model.schema}.{model.name} as {model.text}"  # noqa: S608
        )
        counts[f"{model.schema}.{model.name}"] = con.execute(
            f"select count(*) from {model.schema}.{model.name}"  # noqa: S608
        ).fetchone()[0]
    return counts


def import_files(
    paths: list[Path],
    warehouse_path: Path,
    run_id: str | None = None,
    waiting: Callable[[], None] | None = None,
) -> ImportReport:
    """`qpv terrain import`: publish the files as a new version of the warehouse, the way a run does
    (pipelines/warehouse/publication.py), holding the folder lock from the copy to the swap so that no run, rollback or
    other import publishes in between (`waiting` is called once when another writer holds the lock: the import
    waits for it, it is never dropped).

    The files are read and checked first (nothing is written if one cannot be read). Then, in a build copied
    from the published file: the rows of files of the same name are replaced, the refused rows quarantined and
    the terrain marts rebuilt; the files are kept in the warehouse's imports folder (`publication.imports_dir`,
    re-read by every run, carried over by a run that publishes after this import) and listed in meta.fichiers;
    meta.publication is written and the build published as a new version (versions/, QPV_KEEP_VERSIONS).
    A kept file holds the accepted rows only (`kept_bytes`: the rows refused by the gate, personal data included,
    are blanked, the others keep their lines); the refused rows stay, redacted, in the quarantine of the version.
    When no row at all can be loaded, nothing is published (no new version) and no file is kept. Files already
    imported with the same content (kept in the imports folder and loaded in the published warehouse) publish
    nothing (`already_imported`); a file whose content the warehouse holds under another name is refused (its
    observations would count twice)."""
    from pipelines.resources import versions_to_keep
    from pipelines.warehouse import publication
    from pipelines.warehouse.connection import WarehouseError, connect

    src = source()
    contract = src.load_contract()
    warehouse_path = Path(warehouse_path)
    if not warehouse_path.is_file():
        raise WarehouseError(
            f"{warehouse_path} : entrepôt introuvable (lancez d'abord `qpv run` ou `qpv demo`)"
        )
    files = [source_file_of(Path(p), src) for p in paths]
    labels = [sf.relative for sf in files]
    if len(set(labels)) != len(labels):
        raise InputError(", ".join(str(p) for p in paths), "deux fichiers de même nom dans un même import")
    twins = [sf.relative for i, sf in enumerate(files) if sf.sha256 in {f.sha256 for f in files[:i]}]
    if twins:
        raise InputError(
            ", ".join(twins),
            "même contenu qu'un autre fichier de l'import : les observations seraient en double",
        )
    prepared = [prepare_file(sf, src) for sf in files]  # raises InputError on a bad file: nothing written
    kept = [_kept_version(sf, p) for sf, p in zip(files, prepared, strict=True)]
    prepared = [  # the rows stamped with the kept file's sha256, as the runs will read them from it
        Prepared(
            p.frame.with_columns(pl.lit(k.sha256).alias("_sha256")),
            p.refused,
            p.examples_skipped,
            p.undeclared,
        )
        for p, (k, _) in zip(prepared, kept, strict=True)
    ]
    folder = publication.imports_dir(warehouse_path) / FOLDER
    _check_writable(folder)
    keep = versions_to_keep()
    run_id = run_id or f"terrain-{uuid.uuid4().hex[:12]}"
    build = publication.build_path_for(warehouse_path, run_id)

    def may_be_running(_run_id: str) -> bool:
        # no Dagster instance here: the build of a run between two step processes holds no liveness lock, so
        # the import only removes the builds untouched for hours (publication.STALE_RUNNING_AFTER_S)
        return True

    started = time.monotonic()
    try:
        with publication.dir_lock(warehouse_path, waiting):
            already = _already_loaded(warehouse_path, files, kept)
            if already is not None:
                return already
            publication.ensure_build(warehouse_path, build, may_be_running)
            con = connect(build)
            try:
                report = _import_into(con, contract, src, prepared, labels, run_id)
                if report.rows_loaded == 0:  # every row refused: the published warehouse stays as it was
                    return report
                with _kept_in_imports(kept, folder) as kept_files:
                    publication.record_files(con, src.name, kept_files, run_id, only_these=True)
                    now = dt.datetime.now(dt.UTC)
                    report.version = publication.version_name(warehouse_path, "terrain", now)
                    publication.write_meta(
                        con, report.version, run_id, now, round(time.monotonic() - started, 3)
                    )
                    con.close()
                    publication.publish_build(warehouse_path, build, report.version, keep, may_be_running)
            finally:
                con.close()
    finally:
        publication.remove_build(build)  # moved into versions/ when published; else removed
    return report


def kept_bytes(data: bytes, refused_lines: set[int]) -> bytes:
    """An imported file as kept for the runs: the records on `refused_lines` (`_ligne`: the last line of a CSV
    record, the row of the sheet) blanked, every other row on its line, so that the runs read the same rows with
    the same lines and identifiants; the file itself when nothing is refused. A workbook is rewritten with
    reproducible bytes (same input, same bytes)."""
    if not refused_lines:
        return data
    if data[:4] == b"PK\x03\x04":
        import openpyxl

        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)  # the values read_sheet reads
        sheet = workbook[SHEET]
        for number in refused_lines:
            for cell in sheet[number]:
                cell.value = None
        raw = io.BytesIO()
        workbook.save(raw)
        return _reproducible_xlsx(raw.getvalue())
    bom = data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    lines = io.StringIO(text, newline="").readlines()  # the physical lines the csv reader counts
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    previous = 0
    for _ in reader:
        if reader.line_num in refused_lines:
            for i in range(
                previous, reader.line_num
            ):  # the record's lines (0-based): their line endings only
                lines[i] = lines[i][len(lines[i].rstrip("\r\n")) :]
        previous = reader.line_num
    return (("\ufeff" if bom else "") + "".join(lines)).encode("utf-8")


def _kept_version(sf: SourceFile, prepared: Prepared) -> tuple[SourceFile, bytes]:
    """The file as kept in the imports folder (`kept_bytes`) and its SourceFile (the kept sha256)."""
    data = sf.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sf.sha256:
        raise InputError(sf.relative, "fichier modifié pendant l'import : relancer l'import")
    data = kept_bytes(data, {r.ligne for r in prepared.refused})
    sha = hashlib.sha256(data).hexdigest()
    return SourceFile(path=sf.path, relative=sf.relative, millesime=sf.millesime, sha256=sha), data


def _check_writable(folder: Path) -> None:
    """Refuse the import, before anything is built, when its files cannot be kept in `folder`: the runs would
    not re-read them and the next one would drop the rows."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        from pipelines.warehouse.connection import WarehouseError

        why = "n'est pas un dossier" if not existing.is_dir() else "protégé en écriture"
        raise WarehouseError(
            f"{folder} : dossier des imports inaccessible ({existing} {why}), les observations n'y seraient pas "
            "conservées pour les runs suivants : import refusé, entrepôt inchangé"
        )


def _already_loaded(
    published: Path, files: list[SourceFile], kept: list[tuple[SourceFile, bytes]]
) -> ImportReport | None:
    """Under the folder lock, before any build: refuse a file whose content the published warehouse or the
    imports folder already holds under another name; when every file is already imported with the same content
    (kept in the imports folder and loaded in the published warehouse), the report of a no-op."""
    from pipelines.checks.quarantine import relation_kind
    from pipelines.warehouse.connection import connection
    from pipelines.warehouse.publication import discover_imported

    src = source()
    kept_now = {(f.relative, f.sha256) for f in discover_imported(src, published)}
    held, loaded, rows, version = set(kept_now), set(), 0, None
    with connection(published, read_only=True) as con:
        if relation_kind(con, "meta.fichiers") == "table":
            held |= set(
                con.execute(
                    "select fichier, sha256 from meta.fichiers where source = ?", [src.name]
                ).fetchall()
            )
        if relation_kind(con, f"raw.{SOURCE_NAME}") is not None:
            loaded = set(
                con.execute("select distinct _fichier, _sha256 from raw.terrain_observations").fetchall()
            )
            rows = con.execute(
                "select count(*) from raw.terrain_observations where list_contains(?::varchar[], _fichier)",
                [[sf.relative for sf in files]],
            ).fetchone()[0]
        if relation_kind(con, "meta.publication") == "table":
            version = con.execute("select version from meta.publication").fetchone()[0]
    for sf, (k, _) in zip(files, kept, strict=True):
        for label, sha in sorted(held | loaded):
            if label != sf.relative and sha in (sf.sha256, k.sha256):
                raise InputError(
                    sf.relative,
                    f"contenu identique à {label}, déjà dans l'entrepôt : import refusé (les observations seraient "
                    "en double ; pour remplacer ce fichier, l'importer sous son nom)",
                )
    if all((k.relative, k.sha256) in kept_now & loaded for k, _ in kept):
        return ImportReport(
            files=[sf.relative for sf in files],
            rows_loaded=rows,
            refused=[],
            examples_skipped=0,
            quarantined=0,
            marts={},
            version=version,
            already_imported=True,
        )
    return None


@contextlib.contextmanager
def _kept_in_imports(kept: list[tuple[SourceFile, bytes]], folder: Path) -> Iterator[list[SourceFile]]:
    """Write the imported files' kept bytes into the imports folder `folder` (each put in place by a rename,
    replacing the file of the same name) and yield them as kept there; an error in the block puts the folder
    back. A folder that cannot be written is a WarehouseError in French (nothing is published)."""
    from pipelines.warehouse.connection import WarehouseError

    placed: list[tuple[Path, Path | None]] = []  # (kept file, the previous one set aside)
    tmp = folder / f".import-{os.getpid()}.tmp"
    try:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            files = []
            for sf, data in kept:
                target = folder / sf.path.name
                with open(tmp, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                previous = folder / f".{target.name}.{os.getpid()}.previous" if target.exists() else None
                if previous is not None:
                    os.replace(target, previous)
                placed.append((target, previous))
                os.replace(tmp, target)
                files.append(
                    SourceFile(path=target, relative=sf.relative, millesime=sf.millesime, sha256=sf.sha256)
                )
        except OSError as exc:
            raise WarehouseError(
                f"{folder} : fichier importé non conservé ({exc.strerror or exc}) : import refusé, entrepôt inchangé"
            ) from exc
        yield files
    except BaseException:
        for target, previous in reversed(placed):
            target.unlink(missing_ok=True)
            if previous is not None:
                os.replace(previous, target)
        raise
    finally:
        tmp.unlink(missing_ok=True)
    for _, previous in placed:
        if previous is not None:
            previous.unlink(missing_ok=True)


def carry_over(con: duckdb.DuckDBPyConnection, published: Path, run_id: str) -> list[str]:
    """For `entrepot/publication`, under the folder lock, on the run's build: the files kept by imports into
    `published` that the build holds neither in meta.fichiers nor in raw.terrain_observations (same name and
    sha256) — imports published after the build was copied, or after its raw asset read the imports folder — are
    imported into the build (rows, quarantine, terrain marts, meta.fichiers), so that the run's version keeps
    them. Returns what was carried over, one French line (nothing when there was nothing to do)."""
    from pipelines.checks.quarantine import relation_kind
    from pipelines.warehouse.publication import discover_imported, record_files

    src = source()
    kept = discover_imported(src, published)
    if not kept:
        return []
    held: set[tuple[str, str]] = set()
    if relation_kind(con, "meta.fichiers") == "table":
        held |= set(
            con.execute("select fichier, sha256 from meta.fichiers where source = ?", [src.name]).fetchall()
        )
    if relation_kind(con, f"raw.{SOURCE_NAME}") is not None:
        held |= set(con.execute("select distinct _fichier, _sha256 from raw.terrain_observations").fetchall())
    missing = [sf for sf in kept if (sf.relative, sf.sha256) not in held]
    if not missing:
        return []
    labels = [sf.relative for sf in missing]
    report = _import_into(
        con, src.load_contract(), src, [prepare_file(sf, src) for sf in missing], labels, run_id
    )
    record_files(con, src.name, missing, run_id, only_these=True)
    return [
        f"observations de terrain importées pendant le run, reprises dans sa version : {', '.join(labels)} "
        f"({report.rows_loaded} observation(s))"
    ]


def _import_into(con, contract, src, prepared, labels, run_id) -> ImportReport:
    """Into the warehouse `con`: the prepared rows replace those of files of the same name (load → quarantine →
    swap, pipelines/checks/quarantine.py), then the terrain marts are rebuilt."""
    from pipelines.checks.quarantine import incoming_names, quarantine_and_swap

    name = src.name
    present = {
        f"{s}.{n}" for s, n in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    }
    missing = [table for table in REQUIRED_TABLES if table not in present]
    if missing:
        from pipelines.warehouse.connection import WarehouseError

        raise WarehouseError(
            f"entrepôt incomplet, tables absentes : {', '.join(missing)} (construire l'entrepôt par `qpv run` "
            "ou `qpv demo` avant d'importer des observations)"
        )
    incoming, q_incoming = incoming_names(name)
    new = pl.concat([p.frame for p in prepared], how="vertical")
    write_frame(con, incoming, new)
    if f"raw.{name}" in present:
        columns = ", ".join(list(LINEAGE_COLUMNS) + contract.column_names)
        con.execute(
            f"insert into {incoming} select {columns} from raw.{name} "  # noqa: S608
            "where not list_contains(?::varchar[], _fichier)",
            [labels],
        )
    with quarantine_and_swap(con, contract, name, run_id) as report:
        if f"quarantine.{name}" in present:  # the quarantined rows of the other files stay
            con.execute(
                f"insert into {q_incoming} select * from quarantine.{name} "  # noqa: S608
                "where not list_contains(?::varchar[], fichier)",
                [labels],
            )
    loaded = con.execute(
        f"select count(*) from raw.{name} where list_contains(?::varchar[], _fichier)",  # noqa: S608
        [labels],
    ).fetchone()[0]
    marts = rebuild_marts(con)
    refused: dict[tuple[str, int], Refusal] = {}
    for fichier, ligne, cle, regle, colonne, valeur, raison in con.execute(
        f"select fichier, ligne, cle, regle, colonne, valeur, raison from quarantine.{name} "  # noqa: S608
        "where list_contains(?::varchar[], fichier) order by fichier, ligne, colonne",
        [labels],
    ).fetchall():
        motif = valeur if regle == "pattern" and colonne == "controle" else f"{colonne} {valeur!r} : {raison}"
        found = refused.setdefault((fichier, ligne), Refusal(fichier, ligne, cle, ""))
        found.motifs = f"{found.motifs} ; {motif}" if found.motifs else motif
    return ImportReport(
        files=labels,
        rows_loaded=loaded,
        refused=list(refused.values()),
        examples_skipped=sum(p.examples_skipped for p in prepared),
        quarantined=report.rows_quarantined,
        marts=marts,
    )
