"""Schedules: one per producer, on the producer's publication calendar (Europe/Paris), each running the refresh
of that producer's sources (their raw assets and everything downstream) with the code location's source client
(the data folder, or the official URLs in live mode). Stopped by default: an operator turns them on in the UI
(`make ui`) or with `dagster schedule start`.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import AssetKey, AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from pipelines.contracts.registry import Source
from pipelines.orchestration.hooks import alerte_echec

TIMEZONE = "Europe/Paris"


@dataclass(frozen=True)
class Cadence:
    producer: str  # package under assets/
    cron: str
    description: str  # French, shown in the Dagster UI


CADENCES = (
    Cadence(
        "sirene",
        "0 6 22 * *",
        "SIRENE, mensuel : le stock paraît le 1er du mois et la géolocalisation vers le 21 ; "
        "rafraîchissement le 22 de chaque mois à 6 h.",
    ),
    Cadence(
        "anct",
        "0 6 15 3 *",
        "ANCT / ONPV, annuel : nouveaux millésimes et périmètres QPV ; rafraîchissement le 15 mars à 6 h.",
    ),
    Cadence(
        "insee",
        "0 6 1 4 *",
        "INSEE, annuel : COG au 1er janvier (publié avant fin mars), Filosofi ; rafraîchissement le 1er avril à 6 h.",
    ),
    Cadence(
        "france_travail",
        "0 6 15 2,5,8,11 *",
        "France Travail, trimestriel : demandeurs d'emploi par QPV ; rafraîchissement le 15 du mois suivant "
        "chaque trimestre (février, mai, août, novembre) à 6 h.",
    ),
    Cadence(
        "caf",
        "0 6 1 7 *",
        "CAF, annuel : allocataires au 31 décembre par IRIS ; rafraîchissement le 1er juillet à 6 h.",
    ),
)


def job_name(producer: str) -> str:
    return f"rafraichir_{producer}"


def schedule_name(producer: str) -> str:
    return f"rafraichissement_{producer}"


def producer_selection(sources: list[Source], producer: str) -> AssetSelection:
    keys = [AssetKey(["raw", s.name]) for s in sources if s.producer == producer]
    if not keys:
        raise ValueError(f"no source declared for producer {producer!r}")
    return AssetSelection.assets(*keys).downstream()


def build_refresh_jobs_and_schedules(sources: list[Source]) -> tuple[list, list]:
    """One asset job and one schedule per producer of CADENCES that has sources. A producer without a
    publication calendar (the terrain observations, collected locally) gets none: its sensor starts its runs."""
    producers = {s.producer for s in sources}
    jobs, schedules = [], []
    for cadence in CADENCES:
        if cadence.producer not in producers:
            continue
        job = define_asset_job(
            job_name(cadence.producer),
            selection=producer_selection(sources, cadence.producer),
            description=f"Rafraîchit les sources {cadence.producer} et tout ce qui en dépend.",
            hooks={alerte_echec},  # a failed scheduled refresh posts to QPV_ALERT_WEBHOOK, like the full job
        )
        jobs.append(job)
        schedules.append(
            ScheduleDefinition(
                name=schedule_name(cadence.producer),
                job=job,
                cron_schedule=cadence.cron,
                execution_timezone=TIMEZONE,
                default_status=DefaultScheduleStatus.STOPPED,
                description=cadence.description,
            )
        )
    return jobs, schedules
