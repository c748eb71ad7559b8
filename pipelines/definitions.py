"""The Dagster code location (named in workspace.yaml). Thin: it gathers what the packages declare."""

from __future__ import annotations

from dagster import Definitions, define_asset_job

from assets import all_assets, all_checks, all_sources
from pipelines.resources import resources_from_env
from pipelines.sensors import build_new_files_sensor

ALL_JOB = "tout_materialiser"


def build_definitions(resources: dict, loggers: dict | None = None) -> Definitions:
    return Definitions(
        loggers=loggers,
        assets=all_assets(),
        asset_checks=all_checks(),
        jobs=[define_asset_job(ALL_JOB, selection="*", description="Every asset and check, in order.")],
        sensors=[build_new_files_sensor(all_sources(), ALL_JOB)],
        resources=resources,
    )


defs = build_definitions(resources_from_env())
