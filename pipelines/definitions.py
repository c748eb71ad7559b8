"""The Dagster code location (named in workspace.yaml). Thin: it gathers what the packages declare.

`QPV_SOURCE_MODE=live` (read once, when the code location loads: it decides the resource's class) makes the
sensors and runs use the official URLs (raw archive `QPV_ARCHIVE_DIR`, local `QPV_DATA_DIR` for the sources
without a file URL); otherwise everything reads the data folder `QPV_DATA_DIR`.
"""

from __future__ import annotations

from dagster import Definitions, EnvVar, define_asset_job

from assets import all_assets, all_checks, all_sources
from pipelines import settings
from pipelines.orchestration.freshness import freshness_checks
from pipelines.orchestration.hooks import alerte_echec
from pipelines.orchestration.schedules import build_refresh_jobs_and_schedules
from pipelines.orchestration.sensors import LiveOrLocalSourceClient, build_source_sensors
from pipelines.resources import resources_from_env

ALL_JOB = "tout_materialiser"


def build_definitions(resources: dict, loggers: dict | None = None) -> Definitions:
    sources = all_sources()
    refresh_jobs, schedules = build_refresh_jobs_and_schedules(sources)
    return Definitions(
        loggers=loggers,
        assets=all_assets(),
        asset_checks=all_checks() + freshness_checks(sources),
        jobs=[
            define_asset_job(
                ALL_JOB, selection="*", description="Every asset and check, in order.", hooks={alerte_echec}
            ),
            *refresh_jobs,
        ],
        schedules=schedules,
        sensors=build_source_sensors(sources, ALL_JOB),
        resources=resources,
    )


def code_location_resources(mode: str | None) -> dict:
    """The resources from the environment; in live mode the source client fetches the official files."""
    resources = resources_from_env()
    if (mode or "local").strip().lower() == "live":
        resources["source_client"] = LiveOrLocalSourceClient(
            archive_root=EnvVar("QPV_ARCHIVE_DIR"), data_dir=EnvVar("QPV_DATA_DIR")
        )
    elif (mode or "local").strip().lower() != "local":
        raise ValueError(f"QPV_SOURCE_MODE={mode!r}: expected local or live")
    return resources


defs = build_definitions(code_location_resources(settings.source_mode()))
