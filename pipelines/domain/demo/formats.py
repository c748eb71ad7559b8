"""Byte-level writers: French number formatting, deterministic files, zips and Parquet."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

NNBSP = "\u202f"  # narrow no-break space: the ANCT thousands separator
BOM = "\ufeff"
ZIP_TIMESTAMP = (2024, 1, 1, 0, 0, 0)


def group_thousands(digits: str, sep: str) -> str:
    """'1234567' -> '1<sep>234<sep>567' (digits only, no sign)."""
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return sep.join(groups)


def fr_number(
    value: float | int | None, decimals: int = 0, thousands: str = "", drop_zero: bool = False
) -> str:
    """French-style number: decimal comma, optional thousands separator; None -> '' (blank cell).

    drop_zero: write a whole number without its decimals (`35` instead of `35,0`).
    """
    if value is None:
        return ""
    text = f"{value:.{decimals}f}" if decimals else str(int(round(value)))
    if decimals and drop_zero and float(text) == int(float(text)):
        text = str(int(float(text)))
    if text in ("-0", "-0.0", "-0.00"):
        text = text[1:]
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    whole, _, frac = body.partition(".")
    if thousands:
        whole = group_thousands(whole, thousands)
    return sign + whole + ("," + frac if frac else "")


def write_bytes(path: Path, data: bytes) -> None:
    """Writes `data` to `path` atomically (temporary file then rename), creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def delimited_text(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    sep: str,
    newline: str = "\n",
    quoting: int = csv.QUOTE_MINIMAL,
) -> str:
    """CSV text through the csv module (quotes only where needed unless `quoting` says otherwise)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator=newline, quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def zip_bytes(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A deflated zip whose bytes depend only on the members (fixed timestamps and attributes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compresslevel=6)
    return buffer.getvalue()


def parquet_bytes(columns: Sequence[str], rows: Sequence[Sequence[str | None]]) -> bytes:
    """A Parquet file with every column as a nullable string, like the SIRENE stocks."""
    table = pa.table(
        {name: pa.array([row[i] for row in rows], type=pa.string()) for i, name in enumerate(columns)}
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy", row_group_size=100_000)
    return buffer.getvalue()
