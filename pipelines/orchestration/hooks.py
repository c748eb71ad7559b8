"""The failure hook of the jobs: the run report (status "échec") and the webhook alert."""

from dagster import HookContext, failure_hook

from pipelines.warehouse.publication import build_report, write_report


def _error_summary(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:500]


@failure_hook(required_resource_keys={"warehouse", "alerts"}, name="alerte_echec")
def alerte_echec(context: HookContext) -> None:
    """On a failed step: the run report (status "échec", not published) and the webhook alert. Neither may
    mask the step's own error: their failures are logged."""
    warehouse = context.resources.warehouse
    report_path = None
    try:
        report = build_report(context.instance, context.run_id, status="échec")
        report_path = write_report(warehouse.path, report)
    except Exception as exc:  # noqa: BLE001
        context.log.warning(f"rapport de run non écrit : {exc!r}")
    payload = {
        "event": "qpv.run.failure",
        "run_id": context.run_id,
        "job": context.job_name,
        "failed_step": context.step_key,
        "error": _error_summary(context.op_exception),
        "report": str(report_path) if report_path else None,
        "warehouse": str(warehouse.path),
    }
    try:
        context.resources.alerts.post(payload)
    except Exception as exc:  # noqa: BLE001
        context.log.warning(f"alerte webhook non envoyée : {exc}")
