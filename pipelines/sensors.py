"""Sensor: a new or changed file in the data folder (a new edition, a corrected file) triggers a run.

The cursor holds the sha256 of every source file seen; a file whose name matches a source's pattern and whose
bytes are new asks for one run of that source's raw asset and everything downstream of it.
"""

from __future__ import annotations

import json

from dagster import AssetKey, AssetSelection, RunRequest, SensorEvaluationContext, SkipReason, sensor

from pipelines.resources import SourceClient


def build_new_files_sensor(sources: list, job_name: str):
    @sensor(
        name="nouveaux_fichiers",
        job_name=job_name,
        minimum_interval_seconds=300,
        description="Watches the data folder: a new edition or changed bytes of a source's file start a run of "
        "that source and everything downstream.",
    )
    def nouveaux_fichiers(context: SensorEvaluationContext, source_client: SourceClient):
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        current: dict[str, str] = {}
        changed_sources: dict[str, list[str]] = {}
        for source in sources:
            for sf in source_client.files(source):
                current[sf.relative] = sf.sha256
                if seen.get(sf.relative) != sf.sha256:
                    changed_sources.setdefault(source.name, []).append(sf.relative)
        context.update_cursor(json.dumps(current, sort_keys=True))
        if not changed_sources:
            return SkipReason("no new or changed file")
        keys = [AssetKey(["raw", name]) for name in sorted(changed_sources)]
        run_key = json.dumps({k: current[k] for f in changed_sources.values() for k in f}, sort_keys=True)
        return RunRequest(
            run_key=run_key,
            asset_selection=list(
                AssetSelection.assets(*keys).downstream().resolve(context.repository_def.asset_graph)
            )
            if context.repository_def is not None
            else keys,
            tags={
                "qpv/fichiers": ", ".join(sorted(f for files in changed_sources.values() for f in files))[
                    :2000
                ]
            },
        )

    return nouveaux_fichiers
