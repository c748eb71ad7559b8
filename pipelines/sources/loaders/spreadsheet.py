"""One sheet of an XLSX workbook (read from memory, e.g. a zip member) as a text table, like a delimited file.

INSEE publishes some references as XLSX inside a zip (the EPCI composition: sheets `EPCI` and
`Composition_communale`, 5 title rows above the header). The workbook is itself a zip: it goes through the same
zip-safety checks before openpyxl opens it (read-only, values only). Every cell becomes text the way it would
read in a CSV export (integers without `.0`, codes keep their leading zeros when the producer stored them as
text), blank cells are null, wholly empty rows are skipped, and `_ligne` is the sheet's row number, so that the
contract types the columns exactly as it types a CSV and errors name the row and the column.

No XML declaration of its own: a workbook part holding a document type declaration (`<!DOCTYPE`, `<!ENTITY`) is
refused before any XML parser sees it (`refuse_dtd`). Spreadsheet producers never write one; it is how an entity
expansion bomb (billion laughs) or an external entity (XXE, reading a local file or a URL) gets into a parser.
defusedxml is not a dependency of the project, so the parts are scanned as bytes (UTF-8 and UTF-16), in bounded
blocks, and the error names the file and the part.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings

import polars as pl

from pipelines.contracts.registry import ReadOptions
from pipelines.sources.loaders.zipsafe import open_archive, open_member
from pipelines.sources.parsing import InputError, TextTable, first_line

# Largest decompressed size of a workbook's own parts (the EPCI composition is about 3 MB of XML).
MAX_WORKBOOK_BYTES = 512 << 20


# A document type declaration, as it starts in the encodings an XML parser reads without being told (lower case:
# the scan is case-insensitive, as lenient parsers are).
_DECLARATIONS = tuple(
    marker.encode(encoding)
    for marker in ("<!doctype", "<!entity")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_SCAN_BLOCK = 1 << 20


def refuse_dtd(archive, infos, label: str) -> None:
    """InputError when a part of the workbook holds a DTD or an entity declaration (read in blocks, bounded)."""
    overlap = max(len(marker) for marker in _DECLARATIONS) - 1
    for info in infos:
        tail = b""
        with open_member(archive, info, f"{label}, partie {info.filename}", MAX_WORKBOOK_BYTES) as handle:
            while block := handle.read(_SCAN_BLOCK):
                window = (tail + block).lower()
                if any(marker in window for marker in _DECLARATIONS):
                    raise InputError(
                        label,
                        f"la partie {info.filename!r} du classeur déclare un type de document ou des entités XML "
                        "(<!DOCTYPE / <!ENTITY) : classeur refusé (expansion d'entités ou entité externe possible)",
                    )
                tail = window[-overlap:]


def cell_text(value: object) -> str | None:
    """A cell as the text a CSV export would hold (None for a blank cell)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def sheet_label(label: str, sheet: str) -> str:
    """How errors name a sheet: `folder/a.zip (member a.xlsx), feuille Composition_communale`."""
    return f"{label}, feuille {sheet}"


def read_sheet(data: bytes, options: ReadOptions, label: str) -> TextTable:
    """The sheet `options.sheet` of the workbook `data`: header on row `options.skip_rows + 1`."""
    import openpyxl  # imported here: only the spreadsheet sources need it

    if not options.sheet:
        raise InputError(
            label,
            "un classeur est fourni mais la source ne déclare aucune feuille à lire (ReadOptions.sheet)",
        )
    archive, infos = open_archive(io.BytesIO(data), label, MAX_WORKBOOK_BYTES)  # the XLSX container itself
    with archive:
        refuse_dtd(archive, infos, label)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about default styles of producer workbooks
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise InputError(label, f"classeur XLSX illisible : {first_line(exc)}") from exc
    try:
        if options.sheet not in workbook.sheetnames:
            raise InputError(
                label, f"pas de feuille {options.sheet!r} dans le classeur (feuilles : {workbook.sheetnames})"
            )
        where = sheet_label(label, options.sheet)
        rows = workbook[options.sheet].iter_rows(min_row=options.skip_rows + 1, values_only=True)
        header_line = options.skip_rows + 1
        header = next(rows, None)
        if header is None or not any(cell_text(v) for v in header):
            raise InputError(
                where,
                "pas de ligne d'en-tête (feuille vide, ou mauvais nombre de lignes de titre)",
                line=header_line,
            )
        names = [cell_text(v) or "" for v in header]
        duplicates = sorted({n for n in names if n and names.count(n) > 1})
        if duplicates:
            raise InputError(
                where, f"noms de colonnes en double dans l'en-tête : {duplicates}", line=header_line
            )
        positions = [i for i, n in enumerate(names) if n]
        columns: list[list[str | None]] = [[] for _ in positions]
        lines: list[int] = []
        for number, row in enumerate(rows, start=header_line + 1):
            cells = [cell_text(row[i]) if i < len(row) else None for i in positions]
            if not any(cells):
                continue
            width = len(row) - sum(1 for v in reversed(row) if v is None)  # without trailing blanks
            if width > len(names):
                raise InputError(
                    where, f"{width} cellules, plus que les {len(names)} de l'en-tête", line=number
                )
            lines.append(number)
            for column, value in zip(columns, cells, strict=True):
                column.append(value)
    finally:
        workbook.close()
    frame = pl.DataFrame(
        {"_ligne": pl.Series(lines, dtype=pl.Int64)}
        | {names[i]: pl.Series(col, dtype=pl.String) for i, col in zip(positions, columns, strict=True)}
    )
    return TextTable(frame=frame, positions={names[i]: i + 1 for i in positions})
