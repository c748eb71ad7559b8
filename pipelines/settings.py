"""Settings read from the environment: the one place where the code reads `os.environ` (the Dagster code location's
paths are `EnvVar`s of pipelines/resources.py, read by Dagster at run time). Each function reads its variable when
it is called, never at import: a run picks up what the operator set, and the code location loads with no setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# Names of the variables (README and docs/operations.md document each).
KEEP_VERSIONS = "QPV_KEEP_VERSIONS"  # published versions kept (3 by default)
ALERT_WEBHOOK = "QPV_ALERT_WEBHOOK"  # URL the failure and held-back alerts are posted to
DUCKDB_MEMORY_LIMIT = (
    "QPV_DUCKDB_MEMORY_LIMIT"  # memory cap of each warehouse connection ('duckdb': DuckDB's own)
)
CHECKSUM_CACHE = "QPV_CHECKSUM_CACHE"  # checksum cache file, or off
SIRENE_COLUMNS = "QPV_SIRENE_COLONNES"  # 'toutes': read every declared SIRENE column
SIRENE_STORAGE = "QPV_SIRENE_STOCKAGE"  # 'table': copy the Parquet stocks into the warehouse instead of views
SOURCE_MODE = "QPV_SOURCE_MODE"  # code location: local (default) or live
PNG = "QPV_PNG"  # 0: no PNG export of the charts
FICHES = "QPV_FICHES"  # 0: no fiche pages
ALLOW_REMOVAL = (
    "QPV_ALLOW_REMOVAL"  # 1: a source with no file left may empty its published table (--allow-removal)
)


def _get(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def keep_versions() -> str:
    return _get(KEEP_VERSIONS)


def alert_webhook() -> str:
    return _get(ALERT_WEBHOOK)


def duckdb_memory_limit(default: str) -> str:
    return _get(DUCKDB_MEMORY_LIMIT, default)


def checksum_cache() -> str:
    return _get(CHECKSUM_CACHE)


def cache_home() -> Path:
    """XDG_CACHE_HOME, else ~/.cache."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def sirene_all_columns() -> bool:
    return _get(SIRENE_COLUMNS).lower() == "toutes"


def sirene_storage() -> str:
    return _get(SIRENE_STORAGE).lower()


def source_mode() -> str | None:
    return os.environ.get(SOURCE_MODE)


def png_disabled() -> bool:
    return os.environ.get(PNG) == "0"


def fiches_enabled() -> bool:
    return os.environ.get(FICHES) != "0"


def environment() -> Mapping[str, str]:
    """The whole process environment (the live client's URL overrides QPV_LIVE_URL_<SOURCE> are looked up in it)."""
    return os.environ


def removal_allowed() -> bool:
    return _get(ALLOW_REMOVAL) == "1"
