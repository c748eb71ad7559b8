"""Run the whole asset graph in process (what `qpv run` and `make demo` do), with a progress callback.

The same definitions as the code location are used, bound to explicit paths instead of environment variables.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import AssetCheckSeverity, DagsterInstance, logger

from pipelines.definitions import ALL_JOB, build_definitions
from pipelines.resources import SourceClient, resources_for
from pipelines.warehouse import publication

StepCallback = Callable[[str, str], None]  # (step key, "STEP_SUCCESS" | "STEP_FAILURE" | ...)


def without_class_path(message: str) -> str:
    """An error as a person reads it: without the exception's module and class (`pipelines.sources.parsing.InputError: `),
    which Dagster writes before the message."""
    return re.sub(r"^(?:[A-Za-z_][\w]*\.)+[A-Za-z_]\w*(?:Error|Exception): ", "", message, count=1)


class PipelineError(RuntimeError):
    """The run failed: the message says which step or check, and why, in one readable block."""


@dataclass
class RunSummary:
    success: bool
    steps_succeeded: list[str] = field(default_factory=list)
    steps_failed: list[str] = field(default_factory=list)
    steps_skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed_checks: list[dict[str, Any]] = field(default_factory=list)
    run_id: str | None = None
    report_path: Path | None = None
    # files held back (published with the edition's last published rows): `qpv run` exits with status 3
    held_back: list[dict[str, Any]] = field(default_factory=list)
    # columns the contracts do not know, not loaded: source -> file -> columns
    undeclared: dict[str, dict[str, list[str]]] = field(default_factory=dict)


class _StepHandler(logging.Handler):
    def __init__(self, callback: StepCallback):
        super().__init__(level=logging.DEBUG)
        self.callback = callback

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is not None and event.step_key and event.event_type_value.startswith("STEP_"):
            self.callback(event.step_key, event.event_type_value)


def _progress_logger(callback: StepCallback | None):
    @logger(description="Forwards step events to the CLI progress bar; prints nothing.")
    def progress(_init_context):
        log = logging.getLogger("qpv.run")
        log.handlers.clear()
        log.addHandler(logging.NullHandler())  # else Python's last-resort handler echoes warnings to stderr
        log.propagate = False
        log.setLevel(logging.DEBUG)
        if callback is not None:
            log.addHandler(_StepHandler(callback))
        return log

    return progress


def run_pipeline(
    data_dir: str | Path | None,
    warehouse_path: str | Path,
    dashboards_dir: str | Path,
    on_step: StepCallback | None = None,
    source_client: SourceClient | None = None,
    data_docs_dir: str | Path | None = None,
    strict: bool = False,
    on_total: Callable[[int], None] | None = None,
) -> RunSummary:
    """Materialize every asset and run every check. Raises PipelineError when anything failed.

    Files come from the local folder `data_dir`, or from `source_client` when given (e.g. the raw archive).
    The contract checks publish the Great Expectations Data Docs into `data_docs_dir` (default: `data_docs`
    beside the dashboards folder), also when the run fails. A file that breaks its contract is held back alone
    (`summary.held_back`); `strict`: any problem fails the run.
    """
    if source_client is None:
        data_dir = Path(data_dir)
        if not data_dir.is_dir():
            raise PipelineError(f"{data_dir} : dossier de données introuvable")
        data_dir = data_dir.resolve()
    warehouse_path = Path(warehouse_path).resolve()
    defs = build_definitions(
        resources_for(
            data_dir, warehouse_path, dashboards_dir, source_client, data_docs_dir, atomic=True, strict=strict
        ),
        loggers={"qpv_progress": _progress_logger(on_step)},
    )
    job = defs.resolve_job_def(ALL_JOB)
    if on_total is not None:  # the number of steps, for a progress bar (the definitions are built once)
        on_total(len(job.nodes_in_topological_order))
    instance = DagsterInstance.ephemeral()
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"qpv_progress": {}}},  # only ours: no console spew
    )
    # The build of this run: published (moved into versions/) on success; a failed run's build goes now.
    build = publication.build_path_for(warehouse_path, result.run_id)
    publication.remove_build(build)
    summary = RunSummary(success=result.success, run_id=result.run_id)
    try:
        summary.report_path = publication.write_report(
            warehouse_path, publication.build_report(instance, result.run_id)
        )
    except Exception as exc:  # noqa: BLE001 - a report that cannot be written never masks the run's outcome
        summary.errors.append(f"rapport de run non écrit : {exc}")
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            mat = event.event_specific_data.materialization
            if mat.asset_key.path[0] == "raw":
                meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
                summary.held_back += meta.get("held_back") or []
                if meta.get("undeclared_columns"):
                    summary.undeclared[mat.asset_key.path[-1]] = meta["undeclared_columns"]
        if event.event_type_value == "STEP_SUCCESS":
            summary.steps_succeeded.append(event.step_key)
        elif event.event_type_value == "STEP_SKIPPED":
            summary.steps_skipped.append(event.step_key)
        elif event.event_type_value == "STEP_FAILURE":
            summary.steps_failed.append(event.step_key)
            error = event.event_specific_data.error
            if error.cls_name == "DagsterAssetCheckFailedError":
                continue  # reported below with the check's own evidence
            cause = error
            while cause.cause is not None and "Error occurred while executing" in cause.message:
                cause = cause.cause
            summary.errors.append(f"{event.step_key} : {without_class_path(cause.message.strip())}")
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
            summary.failed_checks.append(
                {
                    "asset": evaluation.asset_key.to_user_string(),
                    "check": evaluation.check_name,
                    "description": evaluation.description,
                }
            )
    if summary.failed_checks or summary.steps_failed or not summary.success:
        lines = ["le run a échoué ; rien en aval de l'échec n'a été écrit"]
        lines += [
            f"contrôle {c['asset']}:{c['check']} en échec : {c['description']}" for c in summary.failed_checks
        ]
        lines += summary.errors
        if summary.steps_skipped:
            lines.append(f"étapes non exécutées : {', '.join(sorted(summary.steps_skipped))}")
        if "entrepot__publication" in summary.steps_succeeded:
            lines.append(f"entrepôt publié (avant l'échec) : {warehouse_path}")
        else:
            lines.append(f"entrepôt publié inchangé : {warehouse_path}")
        if summary.report_path is not None:
            lines.append(f"rapport : {summary.report_path}")
        raise PipelineError("\n".join(lines))
    return summary
