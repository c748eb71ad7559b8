"""The asset `entrepot/publication`: publishes the run's build of the warehouse (pipelines/warehouse/publication.py)."""
# No `from __future__ import annotations` here: Dagster reads the resource and context type hints at runtime.

import datetime as dt
import time
from pathlib import Path

import duckdb
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from pipelines.resources import AlertWebhook, DuckDBWarehouse
from pipelines.warehouse.publication import (
    MARTS,
    PUBLICATION,
    PublicationError,
    build_report,
    dir_lock,
    failed_steps,
    instance_is_running,
    publish_build,
    run_started_at,
    version_name,
    write_meta,
    write_report,
)


@asset(
    key=PUBLICATION,
    deps=MARTS,
    group_name="publication",
    kinds={"duckdb"},
    description=(
        "Publishes the run's build of the warehouse: runs only when every mart was built and every blocking check "
        "passed, writes meta.publication, checkpoints, moves the build into versions/ and replaces the published "
        "file atomically (rename), keeping the previous versions (QPV_KEEP_VERSIONS, 3 by default)."
    ),
)
def publication(
    context: AssetExecutionContext, warehouse: DuckDBWarehouse, alerts: AlertWebhook
) -> MaterializeResult:
    instance, run_id = context.instance, context.run_id
    failed = failed_steps(instance, run_id)
    if failed:
        raise PublicationError(f"not published: steps failed in this run: {', '.join(failed)}")
    started = run_started_at(instance, run_id)
    published = Path(warehouse.path)
    build = Path(warehouse.build_path)
    now = dt.datetime.now(dt.UTC)
    version = version_name(published, run_id, now)
    # Under the folder lock from the carry-over to the swap: no import publishes in between (pipelines/domain/terrain.py).
    with dir_lock(published):
        try:
            with warehouse.connect() as con:
                # imports published since this run's build was copied (their files kept beside the warehouse)
                from pipelines.domain.terrain import carry_over

                for line in carry_over(con, published, run_id):
                    context.log.warning(line)
                write_meta(con, version, run_id, now, round(time.time() - started, 3))
        except duckdb.Error as exc:  # e.g. disk full at the checkpoint: the published warehouse is untouched
            message = str(exc).strip().splitlines()[0]
            raise PublicationError(
                f"{build}: not published, the build cannot be checkpointed: {message}"
            ) from exc
        if warehouse.atomic:
            target = publish_build(
                published, build, version, warehouse.versions_to_keep(), instance_is_running(instance)
            )
        else:
            target = published
    context.log.info(f"publié : {published} = {target.name}")
    metadata = {
        "version": version,
        "published_at": now.isoformat(timespec="seconds"),
        "published": str(published),
        "version_file": MetadataValue.path(str(target)),
    }
    # The run's report as of its publication (the runner rewrites it at the end of the run, with the
    # dashboards' outcome; a later failure of the run is reported by the failure hook).
    try:
        info = {"version": version, "published_at": metadata["published_at"], "path": str(published)}
        content = build_report(instance, run_id, published=info)
        report = write_report(published, content)
        metadata["report"] = MetadataValue.path(str(report))
    except Exception as exc:  # noqa: BLE001 - never undo a publication for a report
        context.log.warning(f"rapport de run non écrit : {exc!r}")
        content, report = {}, None
    held = content.get("held_back") or []
    if held:
        # published, with files held back: the alert says which, as the report and `qpv run` (exit 3) do
        payload = {
            "event": "qpv.run.held_back",
            "run_id": run_id,
            "version": version,
            "held_back": [
                {k: item.get(k) for k in ("dataset", "file", "millesime", "reason", "kept_rows", "inspect")}
                for item in held
            ],
            "report": str(report) if report else None,
            "warehouse": str(published),
        }
        try:
            alerts.post(payload)
        except Exception as exc:  # noqa: BLE001
            context.log.warning(f"alerte webhook non envoyée : {exc}")
    return MaterializeResult(metadata=metadata)
