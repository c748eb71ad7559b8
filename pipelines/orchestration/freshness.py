"""Freshness checks: warn (never block) when a source's newest file is older than its contract allows.

A contract may declare `freshnessMaxAgeDays` (beside the free-text `cadence` / `freshness`). The check
`fraicheur` on `raw/<source>` measures the age of the source's newest file:
- local folder: the file's modification time (when the producer's file was dropped in; nothing is hashed);
- live client (raw archive): the server's Last-Modified of the latest retrieval of each edition, else the
  archived copy's modification time (the first time these bytes were retrieved: a 304 does not rejuvenate it).

Why not Dagster's `build_last_update_freshness_checks`: it measures when the asset was last *materialized*,
so any run (a schedule re-reading the same old file) would make a stale source look fresh. The contract's
freshness is about the producer's data, so the check looks at the files themselves.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from pathlib import Path

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, asset_check

from pipelines.contracts.registry import Source

CHECK_NAME = "fraicheur"


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def file_dates(source: Source, client) -> dict[str, datetime]:
    """relative file name -> date of the bytes, for the files the client would serve (no network, no hashing)."""
    from pipelines.orchestration.sensors import LiveOrLocalSourceClient
    from pipelines.resources import LocalSourceClient
    from pipelines.sources.live.archive import RawArchive
    from pipelines.sources.live.client import LiveSourceClient

    if isinstance(client, LiveSourceClient) and client.fetches(source):
        archive = RawArchive(client.archive_root)
        out = {}
        for entry in archive.latest_by_edition(source.name).values():
            path = archive.absolute(entry)
            date = _http_date(entry.last_modified) or (_mtime(path) if path.exists() else None)
            if date is not None:
                out[f"{source.folder}/{entry.file_name}"] = date
        return out
    if isinstance(client, LiveOrLocalSourceClient) and client.data_dir:
        client = LocalSourceClient(data_dir=client.data_dir)
    if isinstance(client, LocalSourceClient):
        root = Path(client.data_dir)
        folder = root / source.folder
        if not folder.is_dir():
            return {}
        return {
            p.relative_to(root).as_posix(): _mtime(p)
            for p in folder.iterdir()
            if source.millesime_of(p.name) is not None and p.is_file()
        }
    return {sf.relative: _mtime(sf.path) for sf in client.files(source)}


def evaluate(source: Source, client, max_age_days: int, now: datetime | None = None) -> AssetCheckResult:
    now = now or datetime.now(UTC)
    contract = source.load_contract()
    dates = file_dates(source, client)
    meta = {"age_max_jours": max_age_days, "cadence": contract.cadence}
    if not dates:
        return AssetCheckResult(
            passed=False,
            severity=AssetCheckSeverity.WARN,
            description=f"{source.name} : aucun fichier, fraîcheur inconnue (attendu : moins de {max_age_days} jours)",
            metadata=meta,
        )
    newest, date = max(dates.items(), key=lambda item: item[1])
    age = (now - date).total_seconds() / 86400
    passed = age <= max_age_days
    verdict = "à jour" if passed else "trop ancien"
    return AssetCheckResult(
        passed=passed,
        severity=AssetCheckSeverity.WARN,
        description=f"{source.name} : fichier le plus récent {newest} daté du {date:%Y-%m-%d}, "
        f"{age:.0f} jour(s) (au plus {max_age_days} selon le contrat) : {verdict}",
        metadata={**meta, "fichier": newest, "date_fichier": date.isoformat(), "age_jours": round(age, 1)},
    )


def freshness_check(source: Source):
    """The non-blocking `fraicheur` check of a source, or None if its contract declares no maximum age."""
    max_age = source.load_contract().freshness_max_age_days
    if max_age is None:
        return None

    @asset_check(
        asset=AssetKey(["raw", source.name]),
        name=CHECK_NAME,
        blocking=False,
        required_resource_keys={"source_client"},
        description=f"Avertit si le fichier le plus récent de {source.name} a plus de {max_age} jours "
        "(freshnessMaxAgeDays du contrat). Non bloquant.",
    )
    def _check(context) -> AssetCheckResult:
        return evaluate(source, context.resources.source_client, max_age)

    return _check


def freshness_checks(sources: list[Source]) -> list:
    return [check for check in (freshness_check(s) for s in sources) if check is not None]
