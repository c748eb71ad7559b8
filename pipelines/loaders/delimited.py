"""Delimited text files (the ANCT/ONPV exports, INSEE and CAF CSV): Polars, typed by the contract."""

from __future__ import annotations

import duckdb

from pipelines.loaders import LoadReport, register, write_frame
from pipelines.parsing import SourceFile, load_source
from pipelines.registry import Source


@register("delimited")
def load_delimited(
    source: Source, files: list[SourceFile], con: duckdb.DuckDBPyConnection, table: str
) -> LoadReport:
    frame, undeclared = load_source(source, files)
    return LoadReport(rows=write_frame(con, table, frame), undeclared=undeclared)
