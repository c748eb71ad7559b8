"""All assets and checks, generated from the producers' source registries and the SQL files.

Adding a producer = a package under assets/ with a SOURCES list, added to PRODUCERS below.
"""

from __future__ import annotations

import importlib
import pkgutil

from assets import anct, caf, france_travail, insee, sirene, terrain
from assets.dashboards import dashboard_pages
from assets.factory import contract_check, integrity_check, raw_asset, sql_asset
from assets.publication import publication
from assets.secret import int_secret_editions
from pipelines.contracts.registry import Source
from pipelines.warehouse.models import discover_models

PRODUCERS = (anct, insee, caf, france_travail, sirene, terrain)


def _producer_sources(package) -> list[Source]:
    """SOURCES of a producer package and of its modules (a producer may split its declarations by theme)."""
    sources = list(getattr(package, "SOURCES", []))
    for module in pkgutil.iter_modules(package.__path__):
        sources += getattr(importlib.import_module(f"{package.__name__}.{module.name}"), "SOURCES", [])
    return sources


def all_sources() -> list[Source]:
    sources = [s for producer in PRODUCERS for s in _producer_sources(producer)]
    names = [s.name for s in sources]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"source names declared twice: {sorted(duplicates)}")
    return sources


def all_assets() -> list:
    return (
        [raw_asset(s) for s in all_sources()]
        + [sql_asset(m) for m in discover_models()]
        + [int_secret_editions, publication, dashboard_pages]
    )


def all_checks() -> list:
    sources = all_sources()
    names = {s.name for s in sources}
    for source in sources:
        for ref in source.load_contract().references:
            if ref.dataset not in names:
                raise ValueError(f"{source.contract}: references unknown dataset {ref.dataset!r}")
    integrity = [check for check in (integrity_check(s) for s in sources) if check is not None]
    return [contract_check(s) for s in sources] + integrity
