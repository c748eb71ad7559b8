"""All assets and checks, generated from the producers' source registries and the SQL files.

Adding a producer = a package under assets/ with a SOURCES list, added to PRODUCERS below.
"""

from __future__ import annotations

from assets import anct, caf, france_travail, insee, sirene
from assets.factory import contract_check, raw_asset, sql_asset
from dashboards.asset import dashboard_pages
from pipelines.registry import Source
from pipelines.sql import discover_models

PRODUCERS = (anct, insee, caf, france_travail, sirene)


def all_sources() -> list[Source]:
    sources = [s for producer in PRODUCERS for s in producer.SOURCES]
    names = [s.name for s in sources]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"source names declared twice: {sorted(duplicates)}")
    return sources


def all_assets() -> list:
    return (
        [raw_asset(s) for s in all_sources()] + [sql_asset(m) for m in discover_models()] + [dashboard_pages]
    )


def all_checks() -> list:
    return [contract_check(s) for s in all_sources()]
