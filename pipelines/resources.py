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


class DuckDBWarehouse(ConfigurableResource):
    """The DuckDB warehouse file (schemas raw, staging, intermediate, marts; spatial loaded)."""

    path: str

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        return warehouse.connect(self.path, read_only=read_only)


class DashboardOutput(ConfigurableResource):
    """Where the offline HTML dashboards are written."""

    out_dir: str


class DataDocsOutput(ConfigurableResource):
    """Where the Great Expectations Data Docs of the contract checks are published (rebuilt after each check)."""

    out_dir: str

    def publish(self, records: list[dict]) -> Path:
        from pipelines.data_docs import publish

        return publish(self.out_dir, records)


def default_data_docs_dir(dashboards_dir: str | Path) -> Path:
    """Beside the dashboards (`build/dashboards` -> `build/data_docs`): the dashboards index links there."""
    return Path(dashboards_dir).parent / "data_docs"


def resources_for(
    data_dir: str | Path | None,
    warehouse_path: str | Path,
    dashboards_dir: str | Path,
    source_client: SourceClient | None = None,
    data_docs_dir: str | Path | None = None,
) -> dict:
    """Resources bound to explicit paths (CLI, tests); the local client on `data_dir` unless one is given.

    The Data Docs go to `data_docs_dir`, by default beside the dashboards (`<dashboards>/../data_docs`).
    """
    docs = data_docs_dir if data_docs_dir is not None else default_data_docs_dir(dashboards_dir)
    return {
        "source_client": source_client or LocalSourceClient(data_dir=str(data_dir)),
        "warehouse": DuckDBWarehouse(path=str(warehouse_path)),
        "dashboards": DashboardOutput(out_dir=str(dashboards_dir)),
        "data_docs": DataDocsOutput(out_dir=str(docs)),
    }


def resources_from_env() -> dict:
    """Resources for the Dagster code location: QPV_DATA_DIR, QPV_WAREHOUSE, QPV_DASHBOARDS_DIR,
    QPV_DATA_DOCS_DIR (read at run time)."""
    return {
        "source_client": LocalSourceClient(data_dir=EnvVar("QPV_DATA_DIR")),
        "warehouse": DuckDBWarehouse(path=EnvVar("QPV_WAREHOUSE")),
        "dashboards": DashboardOutput(out_dir=EnvVar("QPV_DASHBOARDS_DIR")),
        "data_docs": DataDocsOutput(out_dir=EnvVar("QPV_DATA_DOCS_DIR")),
    }
