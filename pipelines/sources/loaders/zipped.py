"""A delimited file shipped in a zip with its metadata file (INSEE distributions: data CSV + `meta_*.csv`).

The INSEE per-QPV bases of the 2024 geography (France Travail job seekers, CAF…) come as a zip holding the data
CSV and a metadata file `COD_VAR;LIB_VAR;TYPE_VAR` that lists every column with its label and type (NUM /
CHAR). Their column names are not confirmed [à vérifier], so the metadata file is read first:
- it must list every column of the data file's header, and nothing else;
- it must list the contract's required columns (by name or alias): else the error names the missing ones and
  what the metadata offers instead;
- a column the contract types as a number must not be declared CHAR;
- its columns that the contract does not describe are reported as undeclared, with their labels.
Members are read in place (never extracted), after the zip-safety checks of `zipsafe`; the data file is then
typed by the contract exactly as the plain delimited files are (blank cell = secret), errors naming the archive,
the member, the line and the column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import duckdb
import polars as pl

from pipelines.contracts.model import Contract
from pipelines.contracts.registry import ReadOptions, Source
from pipelines.sources.loaders import LoadReport, register, write_frame
from pipelines.sources.loaders.zipsafe import member_label, open_archive, read_member
from pipelines.sources.parsing import (
    InputError,
    SourceFile,
    TextTable,
    column_label,
    combine,
    header_notes,
    text_table_from,
    type_columns,
    with_lineage,
)

# Largest decompressed size accepted for such an archive (a per-QPV table is well under 10 MB).
MAX_EXPANDED_BYTES = 512 << 20
METADATA_NAME = re.compile(r"meta.*\.csv", re.IGNORECASE)  # on the member's base name
METADATA_TYPES = {
    "NUM": "number",
    "NUMERIC": "number",
    "N": "number",
    "CHAR": "string",
    "TEXT": "string",
    "TXT": "string",
    "C": "string",
}


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    kind: str  # "number" | "string"
    type_code: str  # as written (NUM, CHAR…)
    line: int


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with (UTF-8, BOM removed; Windows-1252 as a fallback)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def _sniff_separator(first_line: str, preferred: str) -> str:
    def fields(sep: str) -> int:
        return len(next(csv.reader(io.StringIO(first_line), delimiter=sep)))

    return max([preferred, ";", ",", "\t"], key=lambda sep: (fields(sep), sep == preferred))


def read_metadata(text: str, label: str, preferred_separator: str) -> list[Variable]:
    """The variables listed by a `COD_VAR;LIB_VAR;TYPE_VAR` metadata file, in file order."""
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(label, "fichier de métadonnées vide", line=1)
    separator = _sniff_separator(lines[0], preferred_separator)
    rows = list(csv.reader(io.StringIO(text), delimiter=separator))
    header = [h.strip().upper() for h in rows[0]]
    missing = [h for h in ("COD_VAR", "TYPE_VAR") if h not in header]
    if missing:
        raise InputError(
            label,
            f"l'en-tête des métadonnées doit contenir COD_VAR, LIB_VAR, TYPE_VAR ; absente(s) : {missing}",
            line=1,
        )
    cod, typ = header.index("COD_VAR"), header.index("TYPE_VAR")
    lib = header.index("LIB_VAR") if "LIB_VAR" in header else None
    variables: list[Variable] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(cod, typ):
            raise InputError(label, f"{len(row)} champ(s) au lieu de {len(header)}", line=number)
        name, code = row[cod].strip(), row[typ].strip()
        if not name:
            raise InputError(
                label, "nom de variable vide", line=number, column=column_label("COD_VAR", cod + 1)
            )
        kind = METADATA_TYPES.get(code.upper())
        if kind is None:
            raise InputError(
                label,
                f"type inconnu {code!r} (attendu : l'un de {sorted(METADATA_TYPES)})",
                line=number,
                column=column_label("TYPE_VAR", typ + 1),
            )
        if name.upper() in seen:
            raise InputError(label, f"variable {name} déjà listée ligne {seen[name.upper()]}", line=number)
        seen[name.upper()] = number
        label_text = row[lib].strip() if lib is not None and lib < len(row) else ""
        variables.append(Variable(name, label_text, kind, code, number))
    if not variables:
        raise InputError(label, "le fichier de métadonnées ne liste aucune variable")
    return variables


def check_metadata(variables: list[Variable], contract: Contract, label: str) -> dict[str, Variable]:
    """Contract columns found in the metadata (canonical name -> variable); raises on a missing required
    column or a numeric contract column declared as text."""
    aliases = contract.alias_map()
    found: dict[str, Variable] = {}
    for var in variables:
        canonical = aliases.get(var.name.upper())
        if canonical is not None:
            found[canonical] = var
    missing = [c.name for c in contract.columns if c.required and c.name not in found]
    if missing:
        offered = [v.name for v in variables if aliases.get(v.name.upper()) is None]
        raise InputError(
            label,
            f"colonne(s) obligatoire(s) absente(s) des métadonnées : {missing} ; variables hors contrat : {offered} "
            f"(contrat {contract.name} {contract.version} : ajouter les noms du producteur comme alias)",
        )
    for col in contract.columns:
        var = found.get(col.name)
        if var is not None and col.logical_type != "string" and var.kind == "string":
            raise InputError(
                label,
                f"{var.name} est déclarée {var.type_code} (texte) par les métadonnées, mais le contrat "
                f"{contract.name} la type comme {'entier' if col.logical_type == 'integer' else 'nombre'}",
                line=var.line,
                column="TYPE_VAR",
            )
    return found


def read_text_bytes(
    data: bytes, options: ReadOptions, label: str, header_only_is_empty: bool = True
) -> tuple[TextTable, str]:
    """Like `parsing.read_text_table`, from the bytes of a member: every named column as text, plus `_ligne`."""
    text, encoding = decode(data)
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise InputError(label, "fichier vide (pas de ligne d'en-tête)", line=1)
    header = next(csv.reader(io.StringIO(first), delimiter=options.separator, quotechar=options.quote_char))
    payload = data if encoding == "utf-8" else text.encode("utf-8")
    table = text_table_from(io.BytesIO(payload), header, options, label, header_only_is_empty)
    return table, encoding


def _members(infos, relative: str):
    infos = [i for i in infos if not i.filename.startswith("__MACOSX/")]  # resource forks of macOS archivers
    metadata = [i for i in infos if METADATA_NAME.fullmatch(PurePosixPath(i.filename).name)]
    data = [i for i in infos if i.filename.lower().endswith(".csv") and i not in metadata]
    if len(metadata) != 1 or len(data) != 1:
        raise InputError(
            relative,
            "le zip doit contenir un CSV de données et un fichier de métadonnées (meta_*.csv), il contient "
            f"{[i.filename for i in infos]}",
        )
    return data[0], metadata[0]


def load_file(source: Source, sf: SourceFile) -> tuple[pl.DataFrame, list[str], dict]:
    """One archive: its data typed by the contract, its undeclared columns and what was learnt from it."""
    contract = source.load_contract()
    archive, infos = open_archive(sf.path, sf.relative, MAX_EXPANDED_BYTES)
    with archive:
        data_info, meta_info = _members(infos, sf.relative)
        meta_label = member_label(sf.relative, meta_info.filename)
        meta_text, _ = decode(read_member(archive, meta_info, meta_label, MAX_EXPANDED_BYTES))
        variables = read_metadata(meta_text, meta_label, source.read.separator)
        check_metadata(variables, contract, meta_label)
        data_label = member_label(sf.relative, data_info.filename)
        table, encoding = read_text_bytes(
            read_member(archive, data_info, data_label, MAX_EXPANDED_BYTES), source.read, data_label
        )
    listed = {v.name.upper() for v in variables}
    in_file = {name.upper(): name for name in table.positions}
    not_listed = [name for key, name in in_file.items() if key not in listed]
    not_in_file = [v.name for v in variables if v.name.upper() not in in_file]
    if not_listed or not_in_file:
        raise InputError(
            data_label,
            f"l'en-tête et les métadonnées ({meta_info.filename}) ne concordent pas : dans le fichier mais pas "
            f"dans les métadonnées {not_listed} ; dans les métadonnées mais pas dans le fichier {not_in_file}",
            line=1,
        )
    typed, unknown = type_columns(table, contract, source.read, data_label, millesime=sf.millesime)
    labels = {v.name: v.label for v in variables}
    facts = {
        "members": {"data": data_info.filename, "metadata": meta_info.filename},
        "encoding": encoding,
        "undeclared_labels": {name: labels.get(name, "") for name in unknown},
        **header_notes(list(table.positions), contract, sf.millesime),
    }
    return typed, unknown, facts


@register("zipped")
def load_zipped(
    source: Source, files: list[SourceFile], con: duckdb.DuckDBPyConnection, table: str
) -> LoadReport:
    contract = source.load_contract()
    frames: list[pl.DataFrame] = []
    undeclared: dict[str, list[str]] = {}
    notes: dict[str, dict] = {"archives": {}}
    for sf in files:
        typed, unknown, facts = load_file(source, sf)
        if unknown:
            undeclared[sf.relative] = unknown
        notes["archives"][sf.relative] = facts
        frames.append(with_lineage(typed, sf))
    combined = combine(frames, contract)
    return LoadReport(rows=write_frame(con, table, combined), undeclared=undeclared, notes=notes)
