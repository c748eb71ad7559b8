"""Dagster resources. The only place where environment variables are read (through `EnvVar`, at run time)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
from dagster import ConfigurableResource, EnvVar, InitResourceContext
from pydantic import PrivateAttr

from pipelines import settings
from pipelines.contracts.registry import Source
from pipelines.sources.parsing import SourceFile, discover_files
from pipelines.warehouse import connection as warehouse


class SourceClient(ConfigurableResource):
    """Where the raw assets get a source's files: `files(source)` -> one SourceFile per edition.

    `strict` (`qpv run --strict`): any problem stops everything; else a file that breaks its contract is held
    back alone and the rest is published (pipelines/checks/holdback.py)."""

    strict: bool = False

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
    """The DuckDB warehouse file (schemas raw, staging, intermediate, marts, meta; spatial loaded).

    `path` is the published file. With `atomic` (the code location and `qpv run/demo/refresh`), a run never
    writes it: `connect()` and `build_path` point to the run's build file `<dir>/.builds/<stem>-<run_id>.duckdb`
    (a copy of the published file made at the run's first connection), which the asset `entrepot/publication`
    swaps in atomically (pipelines/warehouse/publication.py). Without `atomic` (assets materialized directly, e.g. in
    tests), the run writes `path` itself. Outside a run, the build is named after the process id.
    """

    path: str
    atomic: bool = False
    keep_versions: int | None = None  # None: QPV_KEEP_VERSIONS, else 3
    _run_id: str | None = PrivateAttr(default=None)
    _instance: Any = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._run_id = context.run_id
        self._instance = context.instance

    @property
    def run_id(self) -> str:
        return self._run_id or f"local-{os.getpid()}"

    @property
    def build_path(self) -> str:
        """The file this run reads and writes (the published file itself when not `atomic`)."""
        if not self.atomic:
            return self.path
        from pipelines.warehouse.publication import build_path_for

        return str(build_path_for(self.path, self.run_id))

    def versions_to_keep(self) -> int:
        return self.keep_versions if self.keep_versions is not None else versions_to_keep()

    def connect(self, read_only: bool = False, spatial: bool = True) -> duckdb.DuckDBPyConnection:
        """The run's warehouse; `spatial=False` for a step that calls no spatial function (see
        `warehouse.connect`)."""
        from pipelines.warehouse import publication

        if self.atomic:
            publication.ensure_build(
                Path(self.path), Path(self.build_path), publication.instance_is_running(self._instance)
            )
            return publication.connect_retrying(self.build_path, read_only=read_only, spatial=spatial)
        return warehouse.connect(self.path, read_only=read_only, spatial=spatial)


def versions_to_keep() -> int:
    """QPV_KEEP_VERSIONS (3 by default): the versions a publication keeps (runs, `qpv terrain import`)."""
    value = settings.keep_versions()
    if not value:
        return 3
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"QPV_KEEP_VERSIONS={value!r}: expected a whole number >= 1")
    return int(value)


class AlertWebhook(ConfigurableResource):
    """Where the failure alerts are posted (JSON): `url`, or QPV_ALERT_WEBHOOK read at run time when `url` is
    None; empty = disabled. A webhook error is logged, never raised over the run's own error."""

    url: str | None = None
    timeout_s: float = 5.0

    def target(self) -> str:
        return (self.url if self.url is not None else settings.alert_webhook()).strip()

    def post(self, payload: dict) -> bool:
        """POST the payload; True when sent (2xx), False when disabled. Raises OSError on a webhook error."""
        import json
        import urllib.request

        url = self.target()
        if not url:
            return False
        if not url.startswith(("http://", "https://")):
            raise OSError(f"QPV_ALERT_WEBHOOK={url!r}: expected an http(s) URL")
        request = urllib.request.Request(
            url,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 - checked above
            return 200 <= response.status < 300


class DashboardOutput(ConfigurableResource):
    """Where the offline HTML dashboards are written."""

    out_dir: str


class DataDocsOutput(ConfigurableResource):
    """Where the Great Expectations Data Docs of the contract checks are published (rebuilt after each check)."""

    out_dir: str

    def publish(self, records: list[dict]) -> Path:
        from pipelines.checks.data_docs import publish

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
    atomic: bool = False,
    strict: bool = False,
) -> dict:
    """Resources bound to explicit paths (CLI, tests); the local client on `data_dir` unless one is given.

    The Data Docs go to `data_docs_dir`, by default beside the dashboards (`<dashboards>/../data_docs`).
    `atomic`: runs write a build file published by `entrepot/publication` (the runner sets it); without it
    assets write the warehouse file directly (a few assets materialized in a test).
    """
    docs = data_docs_dir if data_docs_dir is not None else default_data_docs_dir(dashboards_dir)
    client = source_client or LocalSourceClient(data_dir=str(data_dir), strict=strict)
    if strict and not client.strict:  # built anew: Dagster reads a resource's config from its constructor
        client = type(client)(**{**client.model_dump(), "strict": True})
    return {
        "source_client": client,
        "warehouse": DuckDBWarehouse(path=str(warehouse_path), atomic=atomic),
        "dashboards": DashboardOutput(out_dir=str(dashboards_dir)),
        "data_docs": DataDocsOutput(out_dir=str(docs)),
        "alerts": AlertWebhook(),
    }


def resources_from_env() -> dict:
    """Resources for the Dagster code location: QPV_DATA_DIR, QPV_WAREHOUSE, QPV_DASHBOARDS_DIR,
    QPV_DATA_DOCS_DIR (read at run time); QPV_ALERT_WEBHOOK and QPV_KEEP_VERSIONS (optional, read at run time)."""
    return {
        "source_client": LocalSourceClient(data_dir=EnvVar("QPV_DATA_DIR")),
        "warehouse": DuckDBWarehouse(path=EnvVar("QPV_WAREHOUSE"), atomic=True),
        "alerts": AlertWebhook(),
        "dashboards": DashboardOutput(out_dir=EnvVar("QPV_DASHBOARDS_DIR")),
        "data_docs": DataDocsOutput(out_dir=EnvVar("QPV_DATA_DOCS_DIR")),
    }
