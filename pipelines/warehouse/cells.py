"""Spreadsheet formula injection: a text value never becomes a live formula in a file the project writes.

A QPV or commune name comes from open data; `=HYPERLINK("http://x","clic")` as a name would be a clickable link,
and `=WEBSERVICE(...)`/`=cmd|...` worse, in the Excel or LibreOffice of whoever opens an export. The rule (OWASP,
"CSV injection"), one place for every writer:
- CSV (`qpv export --format csv`, the dashboards' `donnees/*.csv`): a *text* value starting with `=`, `+`, `-`, `@`,
  a tab or a carriage return gets a leading single quote (`'=HYPERLINK(...)`), which spreadsheets show as text.
  Numbers are never touched: a number -3.5 stays -3.5 (only string-typed values are neutralised);
- XLSX (`qpv export --format xlsx`, the territory workbook): text cells are written with the string data type, so
  the text is kept exactly and is never a formula (openpyxl would otherwise store a string starting with `=` as one).

Imported by pipelines/warehouse/export.py and by dashboards/ (site.py, bundle.py); imports nothing of either.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise_formula(text: str) -> str:
    """`=SUM(A1)` → `'=SUM(A1)`; any other text unchanged. For text values only (numbers stay numbers)."""
    return QUOTE + text if text.startswith(FORMULA_TRIGGERS) else text


def neutralise_value(value: object) -> object:
    """A CSV cell: a string through neutralise_formula, anything else (numbers, dates, None) unchanged."""
    return neutralise_formula(value) if isinstance(value, str) else value


def neutralise_sql(expr: str) -> str:
    """The same rule as a DuckDB expression over a VARCHAR expression (for `COPY ... TO` exports). The trigger
    characters are written as chr(<code>), so no quoting of them is needed in the SQL text."""
    triggers = ", ".join(f"chr({ord(ch)})" for ch in FORMULA_TRIGGERS)
    return f"case when left({expr}, 1) in ({triggers}) then '{QUOTE * 2}' || {expr} else {expr} end"


def xlsx_text(sheet, value: str):
    """A write-only openpyxl cell holding `value` as text (data type 's'), never as a formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def keep_text(worksheet) -> int:
    """An openpyxl worksheet (normal mode, e.g. filled by pandas' to_excel): every string cell openpyxl took for a
    formula (it starts with `=`) is set back to text. Returns the number of cells changed."""
    changed = 0
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.data_type == "f" and isinstance(cell.value, str):
                cell.data_type = "s"
                changed += 1
    return changed
