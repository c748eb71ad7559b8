"""Where the project's own files live (resolved from this file, never from the working directory)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"
CONTRACTS_DIR = PROJECT_ROOT / "data_contracts"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" / "qpv.duckdb"
DEFAULT_DASHBOARDS_DIR = PROJECT_ROOT / "build" / "dashboards"
DEFAULT_DEMO_DATA_DIR = PROJECT_ROOT / "build" / "demo_data"
DEFAULT_ARCHIVE_DIR = PROJECT_ROOT / "build" / "archive"
DEFAULT_DATA_DOCS_DIR = PROJECT_ROOT / "build" / "data_docs"
