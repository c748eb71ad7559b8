"""Dagster resources. The only place where environment variables are read (through `EnvVar`, at run time)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import ConfigurableResource, EnvVar

from pipelines import warehouse
from pipelines.parsing import SourceFile, discover_files
from pipelines.registry import Source


class LocalSourceClient(ConfigurableResource):
    """The local client: a folder laid out like the producers' official files (`../shared/data` is one).

    The live client (HTTP from the official URLs into a raw archive) will offer the same `files()` method.
    """

    root: str

    def files(self, source: Source) -> list[SourceFile]:
        root = Path(self.root)
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: data directory not found")
        return discover_files(source, root)


class DuckDBWarehouse(ConfigurableResource):
    """The DuckDB warehouse file (schemas raw, staging, intermediate, marts; spatial loaded)."""

    path: str

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        return warehouse.connect(self.path, read_only=read_only)


class DashboardOutput(ConfigurableResource):
    """Where the offline HTML dashboards are written."""

    out_dir: str


def resources_for(data_dir: str | Path, warehouse_path: str | Path, dashboards_dir: str | Path) -> dict:
    """Resources bound to explicit paths (CLI, tests)."""
    return {
        "source_client": LocalSourceClient(root=str(data_dir)),
        "warehouse": DuckDBWarehouse(path=str(warehouse_path)),
        "dashboards": DashboardOutput(out_dir=str(dashboards_dir)),
    }


def resources_from_env() -> dict:
    """Resources for the Dagster code location: QPV_DATA_DIR, QPV_WAREHOUSE, QPV_DASHBOARDS_DIR (read at run time)."""
    return {
        "source_client": LocalSourceClient(root=EnvVar("QPV_DATA_DIR")),
        "warehouse": DuckDBWarehouse(path=EnvVar("QPV_WAREHOUSE")),
        "dashboards": DashboardOutput(out_dir=EnvVar("QPV_DASHBOARDS_DIR")),
    }
