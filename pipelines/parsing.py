"""Reading the producers' files: plain functions, no Dagster, testable on small inline inputs.

Files are read with Polars as text, then typed column by column from the contract. Every value that does not
fit its type is reported with the file, the line (as a text editor numbers it: the header is line 1) and the
column (name and position), and nothing is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.contracts import Contract
from pipelines.registry import ReadOptions, Source

LINEAGE_COLUMNS = ("millesime", "_fichier", "_sha256", "_ligne")
# Thousands separators seen in the official files: U+202F (narrow no-break space), U+00A0, ordinary space.
_THOUSANDS = "[\u202f\u00a0 \t]"


class InputError(ValueError):
    """Bad input data: the message names the file, the line and the column."""

    def __init__(self, file: str, message: str, line: int | None = None, column: str | None = None):
        self.file, self.line, self.column = file, line, column
        where = file
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    relative: str  # path relative to the data directory, as stored in `_fichier`
    millesime: int
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover_files(source: Source, root: Path) -> list[SourceFile]:
    """The files of `source` present under `root/<folder>`, one per edition, oldest first.

    Two files for one edition is an error, unless the source publishes the same data in several formats
    (`prefer_suffixes`, e.g. SIRENE's Parquet and CSV zip): then the preferred format is taken.
    """
    folder = root / source.folder
    if not folder.is_dir():
        return []
    candidates: dict[int, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        millesime = source.millesime_of(path.name)
        if millesime is None or not path.is_file():
            continue
        candidates.setdefault(millesime, []).append(path)
    found = []
    for millesime in sorted(candidates):
        paths = candidates[millesime]
        if len(paths) > 1:
            ranked = [p for suffix in source.prefer_suffixes for p in paths if p.name.endswith(suffix)]
            if len({p.name.rsplit(".", 1)[0] for p in paths}) > 1 or not ranked:
                others = ", ".join(p.relative_to(root).as_posix() for p in paths[1:])
                raise InputError(str(paths[0]), f"edition {millesime} also provided by {others}")
            paths = ranked[:1]
        path = paths[0]
        found.append(
            SourceFile(
                path=path,
                relative=path.relative_to(root).as_posix(),
                millesime=millesime,
                sha256=sha256_of(path),
            )
        )
    return found


def read_header(path: Path, options: ReadOptions) -> list[str]:
    """The header cells as written (BOM removed), including the empty trailing ones."""
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    if not first.strip():
        raise InputError(str(path), "empty file (no header line)", line=1)
    return next(csv.reader(io.StringIO(first), delimiter=options.separator, quotechar=options.quote_char))


@dataclass(frozen=True)
class TextTable:
    frame: pl.DataFrame  # `_ligne` (line number in the file) + every named column, as text
    positions: dict[str, int]  # column name -> its number in the file (1-based), for error messages


def read_text_table(path: Path, options: ReadOptions, label: str | None = None) -> TextTable:
    """Every named column as text (blank cell -> null), plus `_ligne`, the line number in the file.

    Unnamed columns (the ANCT exports end every line with hundreds of empty `;` cells) are dropped;
    header names are stripped of spaces (IPRO 2019 has `EVOL_CA_N_E `).
    """
    return text_table_from(path, read_header(path, options), options, label or str(path))


def text_table_from(
    source: Path | io.BytesIO,
    header: list[str],
    options: ReadOptions,
    label: str,
    header_only_is_empty: bool = False,
) -> TextTable:
    """The text table of a delimited file (a path, or UTF-8 bytes such as a zip member) whose header is given."""
    names = [h.strip() for h in header]
    positions = [i for i, n in enumerate(names) if n]
    duplicates = {n for n in names if n and names.count(n) > 1}
    if duplicates:
        raise InputError(label, f"duplicate column names in header: {sorted(duplicates)}", line=1)
    columns = [n or f"__unnamed_{i}" for i, n in enumerate(names)]
    try:
        frame = pl.read_csv(
            source,
            separator=options.separator,
            quote_char=options.quote_char,
            has_header=False,
            skip_rows=1,
            infer_schema=False,
            new_columns=columns,
            truncate_ragged_lines=False,
            encoding="utf8",
        )
    except pl.exceptions.NoDataError as exc:
        if not header_only_is_empty:
            raise InputError(
                label, f"cannot be read as a '{options.separator}'-separated file: {exc}"
            ) from exc
        frame = pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    except pl.exceptions.ComputeError as exc:
        raise InputError(label, f"cannot be read as a '{options.separator}'-separated file: {exc}") from exc
    frame = frame.select([pl.col(names[i]).str.strip_chars().replace("", None) for i in positions])
    frame = frame.with_row_index("_ligne", offset=2).with_columns(pl.col("_ligne").cast(pl.Int64))
    return TextTable(frame=frame, positions={names[i]: i + 1 for i in positions})


@dataclass(frozen=True)
class ColumnMatch:
    canonical: str  # contract column name
    header: str  # as written in the file
    position: int  # 1-based position in the file, for error messages


def match_columns(
    header: list[str], contract: Contract, label: str, line: int | None
) -> tuple[list[ColumnMatch], list[str]]:
    """Contract columns found in `header` (case-insensitive, aliases accepted) and the undeclared ones.

    Raises InputError on schema drift (`unknownColumns: reject`: names the new and the absent columns), on two
    headers for one contract column, and on missing required columns.
    """
    aliases = contract.alias_map()
    seen: dict[str, str] = {}
    matches: list[ColumnMatch] = []
    unknown: list[str] = []
    for position, raw in enumerate(header, start=1):
        name = raw.strip()
        if not name:
            continue
        canonical = aliases.get(name.upper())
        if canonical is None:
            unknown.append(name)
            continue
        if canonical in seen:
            raise InputError(
                label,
                f"columns {seen[canonical]!r} and {name!r} are the same contract column {canonical}",
                line,
            )
        seen[canonical] = name
        matches.append(ColumnMatch(canonical, name, position))
    present = set(seen)
    if unknown and contract.unknown_columns == "reject":
        absent = [c.name for c in contract.columns if c.name not in present]
        raise InputError(
            label,
            f"schema drift: column(s) not in the contract: {unknown}; contract column(s) absent from this file: "
            f"{absent} (contract {contract.name} {contract.version}: add the new names as columns or aliases)",
            line,
        )
    missing = [c.name for c in contract.columns if c.required and c.name not in present]
    if missing:
        raise InputError(
            label,
            f"required column(s) missing: {missing}"
            + (f"; column(s) not in the contract: {unknown}" if unknown else "")
            + f" (contract {contract.name} {contract.version})",
            line,
        )
    return matches, unknown


def clean_number(expr: pl.Expr, decimal_comma: bool = True) -> pl.Expr:
    """Text -> Float64: strips thousands separators, reads the decimal comma. Unparseable -> null."""
    text = expr.str.replace_all(_THOUSANDS, "")
    if decimal_comma:
        text = text.str.replace(",", ".", literal=True)
    return text.cast(pl.Float64, strict=False)


def type_columns(
    table: TextTable, contract: Contract, options: ReadOptions, label: str
) -> tuple[pl.DataFrame, list[str]]:
    """Rename aliases to canonical names, check required columns, cast each column to its contract type.

    Raises InputError naming the file, line and column of the first value that is not of its type.
    Columns of the contract absent from this edition are added as nulls, so every edition has the same shape.
    Returns the typed frame and the columns of the file that the contract does not describe (dropped).
    """
    frame = table.frame
    matches, unknown = match_columns([c for c in frame.columns if c != "_ligne"], contract, label, 1)
    renames = {m.header: m.canonical for m in matches}
    present = set(renames.values())
    frame = frame.drop(unknown).rename(renames)
    if contract.null_values:
        markers = list(contract.null_values)
        frame = frame.with_columns(
            [pl.when(pl.col(c).is_in(markers)).then(None).otherwise(pl.col(c)).alias(c) for c in present]
        )
    source_name = {v: k for k, v in renames.items()}

    casts = []
    for col in contract.columns:
        if col.name not in present:
            dtype = pl.String if col.logical_type == "string" else pl.Float64
            if col.logical_type == "integer":
                dtype = pl.Int64
            casts.append(pl.lit(None, dtype=dtype).alias(col.name))
            continue
        if col.logical_type == "string":
            continue
        parsed = clean_number(pl.col(col.name), options.decimal_comma)
        bad = frame.filter(pl.col(col.name).is_not_null() & parsed.is_null())
        if col.logical_type == "integer" and bad.is_empty():
            bad = frame.filter(parsed.is_not_null() & (parsed != parsed.round(0)))
        if not bad.is_empty():
            row = bad.row(0, named=True)
            header = source_name[col.name]
            raise InputError(
                label,
                f"{row[col.name]!r} is not {'an integer' if col.logical_type == 'integer' else 'a number'}"
                f" ({bad.height} such value(s) in this column)",
                line=row["_ligne"],
                column=f"{header} (no. {table.positions[header]})",
            )
        casts.append(parsed.cast(pl.Int64).alias(col.name) if col.logical_type == "integer" else parsed)
    frame = frame.with_columns(casts)
    return frame.select(contract.column_names + ["_ligne"]), unknown


def load_source(source: Source, files: list[SourceFile]) -> tuple[pl.DataFrame, dict[str, list[str]]]:
    """All editions of a source as one typed frame with lineage columns; also the undeclared columns per file."""
    contract = source.load_contract()
    frames, undeclared = [], {}
    for sf in files:
        text = read_text_table(sf.path, source.read, label=sf.relative)
        typed, unknown = type_columns(text, contract, source.read, sf.relative)
        if unknown:
            undeclared[sf.relative] = unknown
        frames.append(
            typed.with_columns(
                pl.lit(sf.millesime, dtype=pl.Int32).alias("millesime"),
                pl.lit(sf.relative).alias("_fichier"),
                pl.lit(sf.sha256).alias("_sha256"),
            )
        )
    if not frames:
        return pl.DataFrame(), undeclared
    combined = pl.concat(frames, how="vertical")
    return combined.select(list(LINEAGE_COLUMNS) + contract.column_names), undeclared
