"""Delimited text files (the ANCT/ONPV exports, INSEE and CAF CSV): Polars, typed by the contract.

The same source may come as the producer's official package and as a local copy (DOMAIN.md §2): each file is
sniffed by its first bytes, whatever its name says, and read accordingly:
- a plain CSV (the local copies);
- a zip holding one data CSV (INSEE's `…_CSV.zip`, e.g. Filosofi by IRIS), beside optional `meta*` files and
  documentation: the member is decompressed in memory through the zip-safety checks (`zipsafe`), never
  extracted to disk, and typed exactly as a plain CSV;
- a zip holding one XLSX workbook (the EPCI composition): the sheet `ReadOptions.sheet`, below
  `ReadOptions.skip_rows` title rows (`spreadsheet`).
Errors name the file, the zip member (and sheet), the line (row) and the column.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import duckdb
import polars as pl

from pipelines.contracts.registry import Source
from pipelines.sources.loaders import LoadReport, register, write_frame
from pipelines.sources.loaders.spreadsheet import read_sheet, sheet_label
from pipelines.sources.loaders.zipcore import is_junk
from pipelines.sources.loaders.zipped import read_text_bytes
from pipelines.sources.loaders.zipsafe import member_label, open_archive, read_member
from pipelines.sources.parsing import (
    InputError,
    SourceFile,
    TextTable,
    combine,
    header_notes,
    read_text_table,
    type_columns,
    with_lineage,
)

# Largest decompressed size accepted for a zipped CSV or workbook (Filosofi by IRIS is about 5 MB of text).
MAX_EXPANDED_BYTES = 2 << 30
_METADATA = re.compile(r"(?i)meta.*")  # INSEE's variable lists, shipped beside the data file
_DATA_SUFFIXES = (".csv", ".xlsx")


def is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) in (b"PK\x03\x04", b"PK\x05\x06")


def data_member(infos, label: str):
    """The one data file of the zip: a CSV or an XLSX that is not a `meta*` file nor a macOS resource fork."""
    found = [
        i
        for i in infos
        if not is_junk(i.filename)
        and i.filename.lower().endswith(_DATA_SUFFIXES)
        and not _METADATA.match(PurePosixPath(i.filename).name)
    ]
    if len(found) != 1:
        raise InputError(
            label,
            f"le zip doit contenir un seul fichier de données (.csv ou .xlsx, hors meta*), il en contient "
            f"{len(found)} : {[i.filename for i in infos][:20]}",
        )
    return found[0]


def read_table(source: Source, sf: SourceFile) -> tuple[TextTable, str]:
    """The text table of one file of `source` and the label its errors carry."""
    if not is_zip(sf.path):
        return read_text_table(sf.path, source.read, label=sf.relative), sf.relative
    archive, infos = open_archive(sf.path, sf.relative, MAX_EXPANDED_BYTES)
    with archive:
        info = data_member(infos, sf.relative)
        label = member_label(sf.relative, info.filename)
        data = read_member(archive, info, label, MAX_EXPANDED_BYTES)
    if info.filename.lower().endswith(".xlsx"):
        return read_sheet(data, source.read, label), sheet_label(label, source.read.sheet or "")
    # the same reading as a plain CSV (a header without rows is an error there too)
    return read_text_bytes(data, source.read, label, header_only_is_empty=False)[0], label


def count_null_markers(text: TextTable, null_values: tuple[str, ...]) -> dict[str, int]:
    """How many cells of the file hold each of the contract's 'no value' markers (read as null)."""
    if not null_values:
        return {}
    columns = [c for c in text.frame.columns if c != "_ligne"]
    counts = {}
    for marker in null_values:
        n = int(text.frame.select(pl.sum_horizontal([(pl.col(c) == marker).sum() for c in columns])).item())
        if n:
            counts[marker] = n
    return counts


@register("delimited")
def load_delimited(
    source: Source, files: list[SourceFile], con: duckdb.DuckDBPyConnection, table: str
) -> LoadReport:
    contract = source.load_contract()
    frames: list[pl.DataFrame] = []
    undeclared: dict[str, list[str]] = {}
    members: dict[str, str] = {}
    markers: dict[str, dict[str, int]] = {}
    columns: dict[str, dict[str, list[str]]] = {}
    for sf in files:
        text, label = read_table(source, sf)
        counted = count_null_markers(text, contract.null_values)
        if counted:
            markers[sf.relative] = counted
        typed, unknown = type_columns(text, contract, source.read, label, millesime=sf.millesime)
        if unknown:
            undeclared[sf.relative] = unknown
        found = header_notes([c for c in text.frame.columns if c != "_ligne"], contract, sf.millesime)
        if found:
            columns[sf.relative] = found
        if label != sf.relative:
            members[sf.relative] = label
        frames.append(with_lineage(typed, sf))
    combined = combine(frames, contract)
    notes: dict = {"read_from": members} if members else {}
    if markers:
        notes["null_markers"] = markers  # cells read as null because the contract lists them in nullValues
    if columns:
        notes["columns"] = columns  # per file: declared columns absent (NULL), columns outside their editions
    return LoadReport(rows=write_frame(con, table, combined), undeclared=undeclared, notes=notes)
