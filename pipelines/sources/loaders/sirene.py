"""SIRENE stocks (StockEtablissement, StockUniteLegale) and the geolocation file, from Parquet or from the CSV zip.

The national files hold ~35 M rows (several GB), so nothing here holds a whole file in memory:
- Parquet: not copied into DuckDB. The file is copied (and its sha256 checked) into the warehouse's stock store
  (`pipelines/sources/stocks.py`), and the raw table is a view over that copy: DuckDB `read_parquet`, columns selected by
  name, typed in SQL when read. Its numeric values are checked once at load time, as for a copy. An in-memory
  database, a CSV zip among the files, or `QPV_SIRENE_STOCKAGE=table` insert the typed rows into a table instead
  (one streaming statement);
- CSV zip: the member is decompressed as it is read (`zipfile`, never extracted to disk), parsed by
  `pyarrow.csv.open_csv` block by block (every column as text, `CSV_BLOCK_BYTES` of text per block), and each
  block is checked and inserted into DuckDB before the next one is read.

Columns are matched to the contract by name, case-insensitively (some copies of the geolocation file have
upper-case headers): the table carries the contract's names. Columns the contract does not describe (SIRENE adds
some without notice, e.g. `activitePrincipaleNAF25*` in December 2025) are not loaded and are reported in
`LoadReport.undeclared`. Only the declared columns that a SQL model or a contract rule uses are read
(`loaded_columns`, one projection in the Parquet scan / the CSV parser); the others stay NULL. Identifiers stay
text; a value that does not fit its contract type stops the load with the file, the line (CSV: line in the file, header = 1; Parquet: data row number, from 1) and the column.

The file names carry no edition: the source's `fixed_millesime` is a conventional label, and the stock date seen
in the data (latest `dateDernierTraitement*`) is recorded in the report notes. When both formats of the same
stock are given, the Parquet file is read and the zip is skipped (said in the notes).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines import settings
from pipelines.checks import rule_counts
from pipelines.checks.quarantine import relation_kind
from pipelines.contracts.model import Column, Contract
from pipelines.contracts.registry import Source
from pipelines.contracts.sql import ident as quote_ident
from pipelines.contracts.sql import literal as quote_literal
from pipelines.paths import SQL_DIR
from pipelines.sources import stocks
from pipelines.sources.loaders import LoadReport, register
from pipelines.sources.loaders.zipsafe import GIB, member_label, open_archive, open_member
from pipelines.sources.parsing import (
    ColumnMatch,
    InputError,
    SourceFile,
    column_label,
    first_line,
    match_columns,
    not_of_type,
)

# Text of the CSV read per block: bounds the memory of the zip path (a block is one Arrow table of strings,
# a few times this size at most). 16 MB is ~60,000 StockEtablissement rows.
CSV_BLOCK_BYTES = 16 << 20
# Largest decompressed size accepted for a SIRENE zip (the national StockEtablissement CSV is under 10 GB).
MAX_EXPANDED_BYTES = 64 * GIB
# DuckDB's own memory (buffer cache included) is capped at this while a stock loads, unless the warehouse is
# already configured lower: with the Python side (one CSV block, the libraries), a load stays within 4 GB.
# Measured on 35 M synthetic rows (see `memory_cap`): peak RSS 2.3 GB from Parquet, 2.6 GB from the CSV zip.
LOAD_MEMORY_LIMIT = 2 * GIB
# `toutes`: load every column the contract describes, not only those the models and rules use (loaded_columns).
ALL_COLUMNS_ENV = settings.SIRENE_COLUMNS
# `table`: copy a Parquet stock into the DuckDB file, as a CSV zip is, instead of a view over the stock store.
STORAGE_ENV = settings.SIRENE_STORAGE
SQL_TYPES = {"string": "varchar", "number": "double", "integer": "bigint"}
# Thousands separators, as the Python path reads them (pipelines/sources/parsing.py): U+202F, U+00A0, space, tab.
_BLANKS = "[\u202f\u00a0 \t]"
_THOUSANDS_SQL = f"'{_BLANKS}'"
# A cell with a blank is a number only when the blanks group its digits by three after a first group of 1 to 3
# (`1 234 567,5`), as `_GROUPED` in parsing.py says: `1 2 3 4 5` or `12 34` stays unreadable (a type error naming
# the file, line and column), never 12345 or 1234.
_GROUPED_SQL = f"'^{_BLANKS}*[+-]?[0-9]{{1,3}}({_BLANKS}[0-9]{{3}})+([.,][0-9]*)?{_BLANKS}*$'"
_BLOCK_VIEW = "sirene_csv_block"


# --- Columns: file header -> contract -------------------------------------------------------------------


@functools.cache
def _sql_words() -> frozenset[str]:
    """Every identifier-like word of the SQL models (comments stripped): the columns the models can read."""
    words: set[str] = set()
    for path in SQL_DIR.glob("*/*.sql"):
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    return frozenset(words)


def loaded_columns(contract: Contract) -> set[str]:
    """The contract columns worth reading from a national stock: those a SQL model names, the key, and every
    column a rule of the contract looks at (checks, quarantine, integrity, stock date). The others (addresses,
    names, signs, Lambert coordinates...) are declared but not read: their raw column is NULL
    (`columns_not_loaded` in the asset metadata), which no rule and no model sees: 55 of the 106 SIRENE columns
    are read, and no personal name reaches the warehouse. `QPV_SIRENE_COLONNES=toutes` reads every column."""
    if settings.sirene_all_columns():
        return {c.name for c in contract.columns}
    words = _sql_words()
    needed = set(contract.key) | set(contract.exclude_from_rules)
    for col in contract.columns:
        ruled = (
            col.required
            or not col.nullable
            or col.minimum is not None
            or col.maximum is not None
            or col.pattern is not None
            or col.allowed_values is not None
            or col.name.startswith("dateDernierTraitement")
        )
        if ruled or col.name in words:
            needed.add(col.name)
    for rule in contract.compare_rules:
        needed |= {rule.left, rule.right}
    for box in contract.bounding_boxes:
        needed |= {box.longitude, box.latitude}
    for rule in contract.sum_rules:
        needed |= set(rule.columns) | ({rule.total} if rule.total else set())
    needed |= {ref.column for ref in contract.references}
    return needed


# --- Typing in SQL --------------------------------------------------------------------------------------


def _trimmed(ref: str, plain: bool) -> str:
    """`trim(<cell as text>)`. DuckDB's trim strips the Unicode space separators (category Zs) at both ends and
    copies every string it is given, even one with nothing to strip: over a column stored plain (no dictionary:
    SIRET, SIREN, coordinates) that copy is most of the cost of reading it (0.86 s -> 0.41 s for SIRET and SIREN
    on 10 M rows). So a plain column is trimmed only where trim could change it: an ASCII text whose first or
    last character is a space, or any text with a non-ASCII character (the other Zs characters are non-ASCII);
    every other text is returned as is, which is what trim returns for it. A dictionary-encoded column keeps
    the bare trim, which DuckDB applies to the dictionary (the test is slower there)."""
    text = f"cast({ref} as varchar)"
    if not plain:
        return f"trim({text})"
    return (
        f"(case when ascii({text}) = 32 or ends_with({text}, ' ') or strlen({text}) <> length({text}) "
        f"then trim({text}) else {text} end)"
    )


def _text_expr(ref: str, contract: Contract, plain: bool = False) -> str:
    """A cell as trimmed text, blank and the contract's null markers (e.g. `[ND]`) -> NULL. `plain`: the
    file stores the column without a dictionary (`_trimmed`)."""
    text = f"nullif({_trimmed(ref, plain)}, '')"
    # one nullif per marker, not `case when <text> in (markers) then null else <text> end`, which trims each
    # cell twice (10 % of the typing of a national stock, read at every check and model)
    for marker in contract.null_values:
        text = f"nullif({text}, {quote_literal(marker)})"
    return text


def _number_text(ref: str, decimal_comma: bool) -> str:
    """The text of a number with a decimal point and without its thousands separators; NULL (not a number) when
    blanks do not group the digits by three. Without the decimal comma, no blank is stripped at all."""
    if not decimal_comma:
        return ref
    ungrouped = (
        f"(case when not regexp_matches({ref}, {_THOUSANDS_SQL}) then {ref} "
        f"when regexp_full_match({ref}, {_GROUPED_SQL}) then regexp_replace({ref}, {_THOUSANDS_SQL}, '', 'g') end)"
    )
    return f"replace({ungrouped}, ',', '.')"


def _bad_expr(col: Column, decimal_comma: bool) -> str:
    ref = quote_ident(col.name)
    parsed = f"try_cast({_number_text(ref, decimal_comma)} as double)"
    bad = f"{ref} is not null and ({parsed} is null or not isfinite({parsed})"
    if col.logical_type == "integer":
        bad += f" or {parsed} <> round({parsed})"
    return bad + ")"


def _typed_expr(col: Column, present: set[str], decimal_comma: bool) -> str:
    ref = quote_ident(col.name)
    if col.name not in present:
        return f"cast(null as {SQL_TYPES[col.logical_type]}) as {ref}"
    if col.logical_type == "string":
        return ref
    number = f"cast({_number_text(ref, decimal_comma)} as double)"
    if col.logical_type == "integer":
        number = f"cast({number} as bigint)"
    return f"{number} as {ref}"


@dataclass(frozen=True)
class TextRelation:
    """`select _ligne, <contract columns as text> from <relation>`: what the checks and the insert read."""

    sql: str
    matches: list[ColumnMatch]

    @property
    def present(self) -> set[str]:
        return {m.canonical for m in self.matches}


def text_relation(
    relation: str,
    line_expr: str,
    refs: dict[str, str],
    matches,
    contract,
    plain: frozenset[str] = frozenset(),
) -> TextRelation:
    """refs: canonical name -> SQL reference of the file column in `relation`; plain: the canonical names of
    the text columns the file stores without a dictionary (`_trimmed`)."""
    cells = [f"{line_expr} as _ligne"]
    cells += [
        f"{_text_expr(refs[m.canonical], contract, m.canonical in plain)} as {quote_ident(m.canonical)}"
        for m in matches
    ]
    return TextRelation(f"(select {', '.join(cells)} from {relation}) as src", list(matches))  # noqa: S608


def check_values(
    con: duckdb.DuckDBPyConnection,
    src: TextRelation,
    contract: Contract,
    decimal_comma: bool,
    label: str,
    params: dict,
    count_in_message: bool,
) -> None:
    """Raise InputError at the first value (lowest line) that does not fit its numeric contract type."""
    numeric = _numeric(contract, src)
    if not numeric:
        return
    aggregates = _bad_aggregates(numeric, decimal_comma)
    result = con.execute(f"select {', '.join(aggregates)} from {src.sql}", params).fetchone()  # noqa: S608
    _raise_first_bad(con, src, numeric, result, label, params, count_in_message)


def _numeric(contract: Contract, src: TextRelation) -> list[Column]:
    return [c for c in contract.columns if c.logical_type != "string" and c.name in src.present]


def _bad_aggregates(numeric: list[Column], decimal_comma: bool, refs: list[str] | None = None) -> list[str]:
    """Per numeric column, the lowest line and the number of its values that are not numbers (`refs`: a
    boolean column per numeric column holding `_bad_expr`, instead of the expression itself)."""
    aggregates = []
    for i, col in enumerate(numeric):
        bad = refs[i] if refs is not None else _bad_expr(col, decimal_comma)
        aggregates += [f"min(_ligne) filter (where {bad})", f"count(*) filter (where {bad})"]
    return aggregates


def _raise_first_bad(
    con: duckdb.DuckDBPyConnection,
    src: TextRelation,
    numeric: list[Column],
    result: tuple,
    label: str,
    params: dict,
    count_in_message: bool,
) -> None:
    """`result`: the values of `_bad_aggregates(numeric)`. Raise InputError at the lowest offending line."""
    offending = [
        (result[2 * i], col, result[2 * i + 1]) for i, col in enumerate(numeric) if result[2 * i] is not None
    ]
    if not offending:
        return
    line, col, count = min(offending, key=lambda item: item[0])
    [(value,)] = con.execute(
        f"select {quote_ident(col.name)} from {src.sql} where _ligne = $line",  # noqa: S608
        {**params, "line": line},
    ).fetchall()
    match = next(m for m in src.matches if m.canonical == col.name)
    raise InputError(
        label,
        not_of_type(value, col.logical_type, count if count_in_message else None),
        line=line,
        column=column_label(match.header, match.position),
    )


def create_table(con: duckdb.DuckDBPyConnection, table: str, contract: Contract) -> None:
    columns = ["millesime integer", "_fichier varchar", "_sha256 varchar", "_ligne bigint"]
    columns += [f"{quote_ident(c.name)} {SQL_TYPES[c.logical_type]}" for c in contract.columns]
    # `table` is built by the raw asset (`raw.<source>__incoming`), never user input.
    if relation_kind(con, table) == "view":  # an earlier load read the stock in place
        con.execute(f"drop view {table}")
    con.execute(f"create or replace table {table} ({', '.join(columns)})")


def typed_select(
    src: TextRelation,
    contract: Contract,
    decimal_comma: bool,
    lineage: tuple[str, str, str],
    extra: tuple[str, ...] | list[str] = (),
) -> str:
    """The raw table's rows from `src`: lineage (millesime, _fichier, _sha256 as SQL expressions), _ligne, and
    every contract column typed (NULL when not read); `extra`: more columns, computed from `src`'s text."""
    typed = [_typed_expr(c, src.present, decimal_comma) for c in contract.columns] + list(extra)
    millesime, fichier, sha256 = lineage
    return (
        f"select cast({millesime} as integer) as millesime, {fichier} as _fichier, {sha256} as _sha256, "  # noqa: S608
        f"_ligne, {', '.join(typed)} from {src.sql}"
    )


def insert_typed(
    con: duckdb.DuckDBPyConnection,
    table: str,
    src: TextRelation,
    contract: Contract,
    decimal_comma: bool,
    params: dict,
) -> None:
    select = typed_select(src, contract, decimal_comma, ("$millesime", "$fichier", "$sha256"))
    con.execute(f"insert into {table} {select}", params)  # noqa: S608


# --- Formats --------------------------------------------------------------------------------------------


def sniff_format(path: Path, label: str) -> str:
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PAR1":
        return "parquet"
    if magic[:2] == b"PK":
        return "zip"
    raise InputError(label, f"ni un fichier Parquet ni un zip (premiers octets {magic!r})")


def choose_files(files: list[SourceFile]) -> tuple[list[SourceFile], list[str]]:
    """One file per stock: the Parquet file when the same stock (same name stem) is also given as a zip."""
    groups: dict[tuple[int, str], list[SourceFile]] = {}
    for sf in files:
        groups.setdefault((sf.millesime, sf.path.stem), []).append(sf)
    chosen, skipped = [], []
    for group in groups.values():
        group = sorted(group, key=lambda f: (f.path.suffix.lower() != ".parquet", f.relative))
        chosen.append(group[0])
        skipped += [
            f"{f.relative}: same stock as {group[0].relative}, which is read (Parquet preferred)"
            for f in group[1:]
        ]
    return chosen, skipped


def _parquet_source(
    path: Path, sf: SourceFile, contract: Contract, in_sql: str
) -> tuple[TextRelation, list[str]]:
    try:
        parquet = pq.ParquetFile(path)
        schema, metadata = parquet.schema_arrow, parquet.metadata
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(sf.relative, f"illisible comme fichier Parquet : {first_line(exc)}") from exc
    matches, unknown = match_columns(list(schema.names), contract, sf.relative, None)
    keep = loaded_columns(contract)
    matches = [m for m in matches if m.canonical in keep]
    refs = {m.canonical: quote_ident(m.header) for m in matches}
    src = text_relation(
        f"read_parquet({in_sql}, file_row_number = true)",
        "file_row_number + 1",
        refs,
        matches,
        contract,
        _plain_text_columns(metadata, matches),
    )
    return src, unknown


def _plain_text_columns(metadata: pq.FileMetaData, matches: list[ColumnMatch]) -> frozenset[str]:
    """The matched text columns with no dictionary page in any row group of the file (how it is stored only
    changes the speed of reading it, never the values read)."""
    if metadata.num_row_groups == 0:
        return frozenset()
    first = metadata.row_group(0)
    position = {first.column(j).path_in_schema: j for j in range(first.num_columns)}
    plain = set()
    for match in matches:
        j = position.get(match.header)
        if j is None or first.column(j).physical_type != "BYTE_ARRAY":
            continue
        if not any(
            metadata.row_group(i).column(j).has_dictionary_page for i in range(metadata.num_row_groups)
        ):
            plain.add(match.canonical)
    return frozenset(plain)


def parquet_view_select(
    con: duckdb.DuckDBPyConnection, source: Source, sf: SourceFile, stored: Path, conditions: list[str]
) -> tuple[str, list[str], dict[str, int]]:
    """The typed rows of the store's copy of a Parquet stock, as the SELECT of the raw view (the file's path
    and lineage are literals: a view has no parameters), its unknown columns, and the rows satisfying each of
    `conditions` (SQL over the typed columns: the contract check's and the quarantine's, pipelines/checks/rule_counts.py).

    One scan of the stock checks its values, as for a copy, and counts the conditions: the typed rows with, per
    numeric column, whether its text is a number. A text the cast cannot read stops that scan; the values are
    then checked on their own, which names the file, line and column."""
    contract = source.load_contract()
    decimal_comma = source.read.decimal_comma
    src, unknown = _parquet_source(stored, sf, contract, quote_literal(str(stored)))
    lineage = (str(int(sf.millesime)), quote_literal(sf.relative), quote_literal(sf.sha256))
    select = typed_select(src, contract, decimal_comma, lineage)
    numeric = _numeric(contract, src)
    flags = [f"_non_nombre_{i}" for i in range(len(numeric))]
    checked = typed_select(
        src,
        contract,
        decimal_comma,
        lineage,
        extra=[
            f"({_bad_expr(col, decimal_comma)}) as {flag}" for col, flag in zip(numeric, flags, strict=True)
        ],
    )
    aggregates = _bad_aggregates(numeric, decimal_comma, flags)
    aggregates += [f"count(*) filter (where {cond})" for cond in conditions]
    try:
        try:
            result = con.execute(f"select {', '.join(aggregates)} from ({checked})").fetchone()  # noqa: S608
        except duckdb.ConversionException:
            check_values(con, src, contract, decimal_comma, sf.relative, {}, count_in_message=True)
            raise
    except duckdb.Error as exc:
        raise InputError(sf.relative, f"lecture du fichier Parquet impossible : {first_line(exc)}") from exc
    _raise_first_bad(con, src, numeric, result, sf.relative, {}, count_in_message=True)
    counted = result[2 * len(numeric) :]
    return select, unknown, dict(zip(conditions, (int(n) for n in counted), strict=True))


def load_parquet(
    con: duckdb.DuckDBPyConnection, table: str, source: Source, sf: SourceFile
) -> tuple[list[str], dict]:
    contract = source.load_contract()
    src, unknown = _parquet_source(sf.path, sf, contract, "$path")
    params = {"path": str(sf.path)}
    try:
        check_values(
            con, src, contract, source.read.decimal_comma, sf.relative, params, count_in_message=True
        )
        insert_typed(
            con,
            table,
            src,
            contract,
            source.read.decimal_comma,
            {**params, "millesime": sf.millesime, "fichier": sf.relative, "sha256": sf.sha256},
        )
    except duckdb.Error as exc:
        raise InputError(
            sf.relative, f"chargement du fichier Parquet impossible : {first_line(exc)}"
        ) from exc
    return unknown, {}


def _read_header(archive, info, label: str, preferred: str) -> tuple[list[str], str]:
    with open_member(archive, info, label, MAX_EXPANDED_BYTES) as handle:
        first = handle.readline(4 << 20)
    text = first.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    if not text.strip():
        raise InputError(label, "fichier vide (pas de ligne d'en-tête)", line=1)

    def fields(sep: str) -> list[str]:
        return next(csv.reader(io.StringIO(text), delimiter=sep))

    # The stocks are `,`-separated, the geolocation file `;`: trust the source's separator unless the header
    # clearly says otherwise.
    separator = max([preferred, ",", ";", "\t"], key=lambda sep: (len(fields(sep)), sep == preferred))
    return fields(separator), separator


def load_csv_zip(
    con: duckdb.DuckDBPyConnection, table: str, source: Source, sf: SourceFile
) -> tuple[list[str], dict]:
    contract = source.load_contract()
    archive, infos = open_archive(sf.path, sf.relative, MAX_EXPANDED_BYTES)
    with archive:
        members = [i for i in infos if i.filename.lower().endswith(".csv")]
        if len(members) != 1:
            raise InputError(
                sf.relative,
                f"le zip doit contenir un seul fichier CSV, il contient {[i.filename for i in infos]}",
            )
        info = members[0]
        label = member_label(sf.relative, info.filename)
        header, separator = _read_header(archive, info, label, source.read.separator)
        matches, unknown = match_columns(header, contract, label, 1)
        keep = loaded_columns(contract)
        matches = [m for m in matches if m.canonical in keep]
        names = [f"_c{i}" for i in range(len(header))]
        refs = {m.canonical: names[m.position - 1] for m in matches}
        src = text_relation(_BLOCK_VIEW, "_ligne", refs, matches, contract)
        read_options = pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=CSV_BLOCK_BYTES)
        parse_options = pacsv.ParseOptions(
            delimiter=separator, quote_char=source.read.quote_char, newlines_in_values=True
        )
        convert_options = pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            include_columns=[names[m.position - 1] for m in matches],
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        )
        params = {"millesime": sf.millesime, "fichier": sf.relative, "sha256": sf.sha256}
        rows = blocks = max_rows = max_bytes = 0
        with open_member(archive, info, label, MAX_EXPANDED_BYTES) as handle:
            try:
                reader = pacsv.open_csv(
                    handle,
                    read_options=read_options,
                    parse_options=parse_options,
                    convert_options=convert_options,
                )
                for batch in reader:
                    if batch.num_rows == 0:
                        continue
                    first_line = rows + 2  # the header is line 1
                    block = pa.Table.from_batches([batch]).append_column(
                        "_ligne", pa.array(range(first_line, first_line + batch.num_rows), pa.int64())
                    )
                    con.register(_BLOCK_VIEW, block)
                    try:
                        check_values(
                            con, src, contract, source.read.decimal_comma, label, {}, count_in_message=False
                        )
                        insert_typed(con, table, src, contract, source.read.decimal_comma, params)
                    finally:
                        con.unregister(_BLOCK_VIEW)
                    rows += batch.num_rows
                    blocks += 1
                    max_rows = max(max_rows, batch.num_rows)
                    max_bytes = max(max_bytes, block.nbytes)
                    del block, batch
            except pa.ArrowInvalid as exc:
                raise InputError(
                    label, f"illisible comme CSV après la ligne {rows + 1} : {first_line(exc)}"
                ) from exc
    notes = {
        "csv_separator": separator,
        "csv_blocks": blocks,
        "csv_max_rows_per_block": max_rows,
        "csv_max_block_bytes": max_bytes,
    }
    return unknown, notes


def _stock_date(con: duckdb.DuckDBPyConnection, table: str, contract: Contract, relative: str) -> str | None:
    """The latest processing date in the stock: the closest thing to its date that the file holds."""
    columns = [c.name for c in contract.columns if c.name.startswith("dateDernierTraitement")]
    if not columns:
        return None
    [(latest,)] = con.execute(
        f"select max({quote_ident(columns[0])}) from {table} where _fichier = $f",  # noqa: S608
        {"f": relative},
    ).fetchall()
    return latest


_SIZE_UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
_SIZE_UNITS.update({"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12})


def _size_in_bytes(text: str) -> float | None:
    number, _, unit = text.strip().partition(" ")
    try:
        return float(number) * _SIZE_UNITS[unit]
    except (ValueError, KeyError):
        return None


@contextlib.contextmanager
def memory_cap(con: duckdb.DuckDBPyConnection, limit: int) -> Iterator[None]:
    """DuckDB settings for a bounded load, restored afterwards:
    - memory_limit lowered to `limit` bytes (never raised; restored to the precision DuckDB prints it with);
    - preserve_insertion_order off: an order-preserving INSERT from Parquet buffers row groups past the memory
      limit (measured: 5.5 GB instead of 2.3 GB for 35 M rows in 122,880-row groups). Order is not needed: every
      row carries its `_ligne`.
    """
    [(previous_limit,)] = con.execute("select current_setting('memory_limit')").fetchall()
    [(previous_order,)] = con.execute("select current_setting('preserve_insertion_order')").fetchall()
    current = _size_in_bytes(previous_limit)
    lower = current is None or current > limit
    if lower:
        con.execute(f"set memory_limit = '{limit >> 20} MiB'")
    con.execute("set preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if previous_order else 'false'}")
        if lower:
            con.execute(f"set memory_limit = {quote_literal(previous_limit)}")


@register("sirene")
def load_sirene(
    source: Source, files: list[SourceFile], con: duckdb.DuckDBPyConnection, table: str
) -> LoadReport:
    contract = source.load_contract()
    chosen, skipped = choose_files(files)
    kinds = {sf.relative: sniff_format(sf.path, sf.relative) for sf in chosen}
    store = stocks.store_for(con)
    in_place = (
        store is not None
        and all(kind == "parquet" for kind in kinds.values())
        and settings.sirene_storage() != "table"
    )
    if not in_place:
        create_table(con, table, contract)
    undeclared: dict[str, list[str]] = {}
    notes: dict = {"formats_read": {}}
    if source.fixed_millesime is not None:
        notes["millesime_label"] = (
            f"{source.fixed_millesime} is a conventional label: the file names carry no date (see the contract)"
        )
    if skipped:
        notes["files_skipped"] = skipped
    not_loaded = [c.name for c in contract.columns if c.name not in loaded_columns(contract)]
    if not_loaded:
        notes["columns_not_loaded"] = not_loaded
    counted: dict[int, dict[str, int]] | None = (
        None  # the raw view's rule counts (pipelines/checks/rule_counts.py)
    )
    if in_place:
        # Parquet only: a view over the store's immutable copies, typed when read (pipelines/sources/stocks.py)
        selects = []
        conditions = rule_counts.load_conditions(contract)
        counted = {}
        for sf in chosen:
            stored = stocks.store_stock(sf, store)
            select, unknown, counts = parquet_view_select(con, source, sf, stored, conditions)
            selects.append(select)
            edition = counted.setdefault(int(sf.millesime), dict.fromkeys(conditions, 0))
            for condition, n in counts.items():
                edition[condition] += n
            notes["formats_read"][sf.relative] = "parquet"
            notes.setdefault("stock_files", {})[sf.relative] = str(stored)
            if unknown:
                undeclared[sf.relative] = unknown
        if previous := relation_kind(con, table):
            con.execute(f"drop {previous} {table}")
        view = " union all ".join(selects)
        con.execute(f"create view {table} as {view}")
        rule_counts.mark_view(con, table, view)  # what its rule counts are keyed by
        notes["raw_storage"] = "view over the stock store (Parquet read in place, typed when read)"
    for sf in chosen:
        kind = kinds[sf.relative]
        if not in_place:
            with memory_cap(con, LOAD_MEMORY_LIMIT):
                if kind == "parquet":
                    unknown, extra = load_parquet(con, table, source, sf)
                else:
                    unknown, extra = load_csv_zip(con, table, source, sf)
            notes["formats_read"][sf.relative] = "parquet" if kind == "parquet" else "csv in zip (streamed)"
            notes.update(extra)
            if unknown:
                undeclared[sf.relative] = unknown
        stock_date = _stock_date(con, table, contract, sf.relative)
        notes.setdefault("stock_date_observed", {})[sf.relative] = (
            stock_date or "unknown: the file has no dateDernierTraitement column"
        )
    rows = con.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608
    return LoadReport(rows=rows, undeclared=undeclared, notes=notes, counted=counted)
