"""`qpv export`: every mart of the warehouse, with its dictionary, as Parquet, CSV or an Excel workbook.

The warehouse is opened read-only (an export never blocks or changes it). Each format carries the descriptions of
pipelines/warehouse/dictionary.py:
- parquet: one file per mart, written batch by batch from DuckDB's Arrow stream (memory stays bounded on large
  marts). Column descriptions go in the Arrow field metadata (key `description`, what pyarrow and Polars' Arrow
  schema show) and, since DuckDB's `parquet_schema()` has no per-column metadata, also in the file key/value
  metadata as `description.<colonne>` beside `description` (the table), which `parquet_kv_metadata()` and
  `polars.read_parquet_metadata()` show;
- csv: one file per mart, streamed by DuckDB `COPY ... TO`, plus `dictionnaire.csv`. Dialect for French Excel:
  UTF-8 with a byte-order mark (otherwise Excel reads accents as Windows-1252), `;` as separator and `,` as decimal
  separator (Excel in French reads `41.1` as text or a date, and `,` cannot separate fields once it is the decimal
  mark). Programs read it with `read_csv(sep=';', decimal=',', encoding='utf-8-sig')`; prefer Parquet for them;
- xlsx: one workbook, a `dictionnaire` sheet then one sheet per mart (openpyxl write-only mode, rows streamed).
Formula injection (pipelines/warehouse/cells.py): in CSV a text value starting with `=`, `+`, `-`, `@`, a tab or a
carriage return is written with a leading `'` (numbers untouched); in XLSX every text cell is a string cell, never
a formula.
Each export also writes `LISEZMOI.txt` (warehouse, version from `meta.publication` when present, date, rows per
mart, conventions) and the same as `manifeste.json`.

SQL safety: the output path is user input; it reaches `COPY ... TO ?` as a bound parameter, never inside the SQL
text. Table and column names come from the warehouse catalogue (information_schema), after the user's `--marts`
list has been matched against it, and are quoted as identifiers. Files are written under a temporary name and
renamed when complete, so an interrupted export leaves no half-written file under a final name.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.contracts.sql import ident
from pipelines.warehouse.cells import neutralise_sql, neutralise_value, xlsx_text
from pipelines.warehouse.connection import connection
from pipelines.warehouse.dictionary import (
    DICTIONARY_FIELDS,
    ColumnEntry,
    dictionary,
    mart_tables,
    table_description,
)

FORMATS = ("parquet", "csv", "xlsx")
BATCH_ROWS = 50_000
XLSX_MAX_ROWS = 1_048_576 - 1  # one header row
XLSX_MAX_CELL = 32_767
XLSX_TOO_LONG = "(texte trop long pour une cellule Excel : voir l'export parquet ou csv)"
CSV_BOM = "\ufeff".encode()


class ExportError(RuntimeError):
    """A bad export request (format, marts, output folder): one line naming the culprit."""


@dataclass
class ExportResult:
    out_dir: Path
    fmt: str
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    version: dict | None = None


def _select(table: str, columns: str = "*") -> str:
    """`select <columns> from marts."<table>"`. Only identifiers from the warehouse catalogue reach here (the table
    list of information_schema, the user's --marts matched against it; columns from information_schema), quoted."""
    return f"select {columns} from marts.{ident(table)}"  # noqa: S608 - catalogue identifiers, quoted


def parse_marts(spec: str | None) -> list[str] | None:
    """`a,b,marts.c` → ['a', 'b', 'c']; None or blank → None (every mart)."""
    if spec is None or not spec.strip():
        return None
    names = [name.strip().removeprefix("marts.") for name in spec.split(",")]
    return [name for name in names if name]


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ExportError(f"format inconnu {fmt!r} : choisir parquet, csv ou xlsx")
    return fmt


def _prepare_out_dir(out_dir: Path) -> Path:
    out_dir = out_dir.expanduser().absolute()
    if any(ord(ch) < 32 for ch in str(out_dir)):
        raise ExportError(f"{out_dir!r} : caractère de contrôle dans le chemin de sortie")
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} : existe et n'est pas un dossier")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".qpv-export-", delete=True):
            pass  # a real write: os.access says yes to root even on a read-only file system
    except OSError as exc:
        raise ExportError(
            f"{out_dir} : dossier de sortie impossible à créer ou non accessible en écriture "
            f"({exc.strerror or exc})"
        ) from exc
    return out_dir


def _select_marts(con: duckdb.DuckDBPyConnection, wanted: list[str] | None, warehouse: Path) -> list[str]:
    available = mart_tables(con)
    if not available:
        raise ExportError(f"{warehouse} : aucune table dans le schéma marts (lancez `qpv run` ou `qpv demo`)")
    if wanted is None:
        return available
    wanted = [name.removeprefix("marts.") for name in wanted]
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise ExportError(f"mart(s) inconnu(s) : {', '.join(unknown)} ; disponibles : {', '.join(available)}")
    return list(dict.fromkeys(wanted))


def _version(con: duckdb.DuckDBPyConnection) -> dict | None:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'meta' and table_name = 'publication'"
    ).fetchone()[0]
    if not exists:
        return None
    cursor = con.execute("select * from meta.publication")
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    return (
        {
            k: (v if isinstance(v, int | float | str | None) else str(v))
            for k, v in zip(names, rows[-1], strict=True)
        }
        if rows
        else None
    )


def _finalize(tmp: Path, final: Path) -> Path:
    os.replace(tmp, final)
    return final


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.partiel")


# --- parquet ----------------------------------------------------------------------------------------------------


def _write_parquet(
    con: duckdb.DuckDBPyConnection, table: str, entries: list[ColumnEntry], path: Path, extra: dict[str, str]
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    described = {e.colonne: e.description or "" for e in entries}
    reader = con.execute(_select(table)).to_arrow_reader(BATCH_ROWS)
    fields = [f.with_metadata({"description": described.get(f.name, "")}) for f in reader.schema]
    metadata = {"description": table_description(table) or "", "table": f"marts.{table}", **extra}
    metadata.update({f"description.{name}": text for name, text in described.items()})
    schema = pa.schema(fields, metadata=metadata)
    rows = 0
    tmp = _tmp(path)
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
            rows += batch.num_rows
    _finalize(tmp, path)
    return rows


# --- csv ----------------------------------------------------------------------------------------------------------


def _csv_select(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """`select` of the mart with decimal commas (floating columns as text, '.' → ','); text columns with the
    formula neutralisation of pipelines/warehouse/cells.py (`=x` → `'=x`)."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    parts = []
    for name, data_type in columns:
        q = ident(name)
        if data_type in ("DOUBLE", "FLOAT", "REAL") or data_type.startswith("DECIMAL"):
            parts.append(f"replace(cast({q} as varchar), '.', ',') as {q}")
        elif data_type == "VARCHAR":
            parts.append(f"{neutralise_sql(q)} as {q}")
        else:
            parts.append(q)
    return _select(table, ", ".join(parts))


def _with_bom(tmp: Path, path: Path) -> None:
    final_tmp = _tmp(path).with_suffix(".bom")
    with final_tmp.open("wb") as target, tmp.open("rb") as source:
        target.write(CSV_BOM)
        while chunk := source.read(1 << 20):
            target.write(chunk)
    tmp.unlink()
    _finalize(final_tmp, path)


def _write_csv(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> int:
    tmp = _tmp(path)
    # The path is a bound parameter; DuckDB streams the query into the file.
    query = f"copy ({_csv_select(con, table)}) to ? (format csv, header true, delimiter ';')"
    (rows,) = con.execute(query, [str(tmp)]).fetchone()  # COPY answers the number of rows written
    _with_bom(tmp, path)
    return rows


def _write_dictionary_csv(entries: list[ColumnEntry], path: Path) -> None:
    tmp = _tmp(path)
    with tmp.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=DICTIONARY_FIELDS, delimiter=";")
        writer.writeheader()
        writer.writerows({k: neutralise_value(v) for k, v in e.as_row().items()} for e in entries)
    _finalize(tmp, path)


# --- xlsx ---------------------------------------------------------------------------------------------------------


def _sheet_name(table: str, used: set[str]) -> str:
    base = table[:31]
    name, n = base, 1
    while name.lower() in used:
        n += 1
        name = f"{base[: 31 - len(str(n)) - 1]}~{n}"
    used.add(name.lower())
    return name


def _cell(value, sheet=None):
    """A value as openpyxl writes it; with `sheet`, a text value is a string cell (never a formula)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or isinstance(value, bool | int | float | dt.date | dt.datetime):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if not isinstance(value, str):
        value = str(value) if not isinstance(value, list | dict) else json.dumps(value, ensure_ascii=False)
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    value = XLSX_TOO_LONG if len(value) > XLSX_MAX_CELL else value
    # openpyxl stores a string starting with '=' as a formula: that one only needs an explicit text cell
    return xlsx_text(sheet, value) if sheet is not None and value.startswith("=") else value


def _write_xlsx(
    con: duckdb.DuckDBPyConnection, tables: list[str], entries: list[ColumnEntry], path: Path
) -> dict[str, int]:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    for table in tables:
        n = con.execute(_select(table, "count(*)")).fetchone()[0]
        if n > XLSX_MAX_ROWS:
            raise ExportError(
                f"marts.{table} : {n} lignes, plus qu'une feuille Excel n'en contient ({XLSX_MAX_ROWS}) ; "
                "exportez-la en parquet ou csv, ou excluez-la avec --marts"
            )
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def header(sheet, names):
        cells = []
        for name in names:
            cell = xlsx_text(sheet, str(name))  # a column name is text, never a formula
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    used: set[str] = {"dictionnaire", "tables"}
    sheet = workbook.create_sheet("dictionnaire")
    header(sheet, DICTIONARY_FIELDS)
    for entry in entries:
        sheet.append([_cell(v, sheet) for v in entry.as_row().values()])
    tables_sheet = workbook.create_sheet("tables")
    header(tables_sheet, ("table", "feuille", "lignes", "description"))
    rows: dict[str, int] = {}
    for table in tables:
        sheet = workbook.create_sheet(_sheet_name(table, used))
        cursor = con.execute(_select(table))
        header(sheet, [d[0] for d in cursor.description])
        n = 0
        while batch := cursor.fetchmany(BATCH_ROWS):
            for row in batch:
                sheet.append([_cell(v, sheet) for v in row])
            n += len(batch)
        rows[table] = n
        tables_sheet.append(
            [_cell(v, tables_sheet) for v in (f"marts.{table}", sheet.title, n, table_description(table))]
        )
    tmp = _tmp(path)
    workbook.save(tmp)
    _finalize(tmp, path)
    return rows


# --- manifest -----------------------------------------------------------------------------------------------------


def _write_manifest(result: ExportResult, warehouse: Path, tables: list[str], when: dt.datetime) -> None:
    version = result.version
    lines = [
        "Observatoire économique des quartiers prioritaires (QPV) : export des marts",
        "",
        f"Date de l'export : {when.isoformat(timespec='seconds')}",
        f"Entrepôt : {warehouse}",
        "Version publiée : "
        + (
            ", ".join(f"{k} = {v}" for k, v in version.items())
            if version
            else "non renseignée (pas de meta.publication)"
        ),
        f"Format : {result.fmt}",
        "",
        "Tables (schéma marts) :",
    ]
    names = {p.stem: p.name for p in result.files}
    for table in tables:
        where = names.get(table, f"feuille de {result.files[0].name}" if result.fmt == "xlsx" else "")
        lines.append(f"  - {table} : {result.rows[table]} lignes ({where})")
        lines.append(f"      {table_description(table) or ''}")
    lines += ["", "Dictionnaire des colonnes : "]
    if result.fmt == "parquet":
        lines.append(
            "  dans chaque fichier Parquet : métadonnée `description` de chaque champ (schéma Arrow), et "
            "`description` (la table) et `description.<colonne>` dans les métadonnées clé/valeur du fichier "
            "(DuckDB : select * from parquet_kv_metadata('fichier.parquet'))."
        )
    elif result.fmt == "csv":
        lines.append("  dictionnaire.csv (table, colonne, type, description, indicateur, unité, source).")
        lines.append(
            "  CSV pour Excel en français : UTF-8 avec BOM, séparateur « ; », décimales avec « , ». "
            "Autres logiciels : read_csv(sep=';', decimal=',', encoding='utf-8-sig') ou, mieux, l'export parquet."
        )
    else:
        lines.append(
            "  feuille « dictionnaire » du classeur ; feuille « tables » : description de chaque table."
        )
    lines += [
        "",
        "Secret statistique : une valeur secrète est vide (nulle), jamais 0 ; la colonne secret dit pourquoi.",
        "Définitions des indicateurs : table ref_indicateurs.",
    ]
    readme = result.out_dir / "LISEZMOI.txt"
    readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest = {
        "date": when.isoformat(timespec="seconds"),
        "entrepot": str(warehouse),
        "version": version,
        "format": result.fmt,
        "tables": [
            {"table": f"marts.{t}", "lignes": result.rows[t], "description": table_description(t)}
            for t in tables
        ],
        "fichiers": [p.name for p in result.files],
    }
    (result.out_dir / "manifeste.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def export_marts(warehouse: Path, out_dir: Path, fmt: str, marts: list[str] | None = None) -> ExportResult:
    """Write the marts (default: all) of `warehouse` into `out_dir` as `fmt`, with the dictionary and manifest."""
    fmt = _check_format(fmt)
    warehouse = Path(warehouse)
    with connection(warehouse, read_only=True) as con:
        tables = _select_marts(con, marts, warehouse)
        out_dir = _prepare_out_dir(Path(out_dir))
        when = dt.datetime.now(dt.UTC).astimezone()
        result = ExportResult(out_dir=out_dir, fmt=fmt, version=_version(con))
        entries = dictionary(con, tables)
        try:
            extra = {"entrepot_version": str(result.version.get("version", "")) if result.version else ""}
            if fmt == "parquet":
                for table in tables:
                    path = out_dir / f"{table}.parquet"
                    rows = _write_parquet(con, table, [e for e in entries if e.table == table], path, extra)
                    result.files.append(path)
                    result.rows[table] = rows
            elif fmt == "csv":
                for table in tables:
                    path = out_dir / f"{table}.csv"
                    result.rows[table] = _write_csv(con, table, path)
                    result.files.append(path)
                _write_dictionary_csv(entries, out_dir / "dictionnaire.csv")
                result.files.append(out_dir / "dictionnaire.csv")
            else:
                path = out_dir / "marts.xlsx"
                result.rows = _write_xlsx(con, tables, entries, path)
                result.files.append(path)
        except BaseException:
            for partial in out_dir.glob(".*.partiel*"):  # an interrupted export leaves no half-written file
                partial.unlink(missing_ok=True)
            raise
    _write_manifest(result, warehouse, tables, when)
    return result
