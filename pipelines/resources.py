"""Dagster resources. The only place where environment variables are read (through `EnvVar`, at run time)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster import ConfigurableResource, EnvVar

from pipelines import warehouse
from pipelines.parsing import SourceFile, discover_files
from pipelines.registry import Source


class SourceClient(ConfigurableResource):
    """Where the raw assets get a source's files: `files(source)` -> one SourceFile per edition."""

    @property
    def root(self) -> str:
        raise NotImplementedError

    def files(self, source: Source) -> list[SourceFile]:
        raise NotImplementedError


class LocalSourceClient(SourceClient):
    """The local client: a folder laid out like the producers' official files (`../shared/data` is one)."""

    data_dir: str

    @property
    def root(self) -> str:
        return self.data_dir

    def files(self, source: Source) -> list[SourceFile]:
        root = Path(self.data_dir)
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: data directory not found")
        return discover_files(source, root)


class ArchiveOrLocalSourceClient(SourceClient):
    """After `qpv refresh` downloaded the live sources: their archived files, and the local folder for sources
    that declare no official URL (the frozen ANCT 2015-geography files)."""

    archive_root: str
    data_dir: str | None = None

    @property
    def root(self) -> str:
        return self.archive_root

    def files(self, source: Source) -> list[SourceFile]:
        from pipelines.live import LiveSourceClient

        if source.live is not None:
            return LiveSourceClient(archive_root=self.archive_root, offline=True).files(source)
        if self.data_dir is None:
            return []
        return LocalSourceClient(data_dir=self.data_dir).files(source)


class DuckDBWarehouse(ConfigurableResource):
    """The DuckDB warehouse file (schemas raw, staging, intermediate, marts; spatial loaded)."""

    path: str

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        return warehouse.connect(self.path, read_only=read_only)


class DashboardOutput(ConfigurableResource):
    """Where the offline HTML dashboards are written."""

    out_dir: str


def resources_for(
    data_dir: str | Path | None,
    warehouse_path: str | Path,
    dashboards_dir: str | Path,
    source_client: SourceClient | None = None,
) -> dict:
    """Resources bound to explicit paths (CLI, tests); the local client on `data_dir` unless one is given."""
    return {
        "source_client": source_client or LocalSourceClient(data_dir=str(data_dir)),
        "warehouse": DuckDBWarehouse(path=str(warehouse_path)),
        "dashboards": DashboardOutput(out_dir=str(dashboards_dir)),
    }


def resources_from_env() -> dict:
    """Resources for the Dagster code location: QPV_DATA_DIR, QPV_WAREHOUSE, QPV_DASHBOARDS_DIR (read at run time)."""
    return {
        "source_client": LocalSourceClient(data_dir=EnvVar("QPV_DATA_DIR")),
        "warehouse": DuckDBWarehouse(path=EnvVar("QPV_WAREHOUSE")),
        "dashboards": DashboardOutput(out_dir=EnvVar("QPV_DASHBOARDS_DIR")),
    }
