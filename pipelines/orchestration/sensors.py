"""Sensors, one per source (`nouveaux_fichiers_<source>`): a new edition or changed bytes start a run of that
source's raw asset and everything downstream of it — and nothing else.

Local mode (the code location's `source_client` reads a data folder): the cursor keeps, per file of the source,
its size, mtime and sha256. A file whose size and mtime are unchanged is not hashed again; when something moved,
`source_client.files(source)` lists (and hashes) the source's files and only new sha256 values count.

Live mode (`source_client` is a `LiveSourceClient`, e.g. `QPV_SOURCE_MODE=live`): for a source with a direct or
data.gouv.fr LiveSpec (or an operator's URL), one conditional request per official file URL (If-None-Match /
If-Modified-Since from the cursor, else from the raw archive's last retrieval); a 304 means nothing new. The body
is never read: the streamed response is closed after the status line and headers. A "page" source (no file URL)
falls back to the local folder when the client has one.

A change yields exactly one RunRequest (run_key from the checksums / validators, so the same state never runs
twice); nothing new yields a SkipReason.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from pipelines.contracts.registry import Source
from pipelines.resources import LocalSourceClient, SourceClient
from pipelines.sources.live.client import LiveSourceClient, Target
from pipelines.sources.live.http import HttpFetcher, Validators

SENSOR_PREFIX = "nouveaux_fichiers_"


def sensor_name(source: Source) -> str:
    return f"{SENSOR_PREFIX}{source.name}"


class LiveOrLocalSourceClient(LiveSourceClient):
    """Live mode of the code location: sources with an official file URL are fetched into the raw archive
    (LiveSourceClient), the others ("page" sources without an operator's URL) are read from `data_dir`."""

    data_dir: str | None = None

    def files(self, source: Source, progress=None):
        if self.fetches(source):
            return super().files(source, progress)
        if not self.data_dir:
            return []
        return LocalSourceClient(data_dir=self.data_dir).files(source)


# --- local mode ------------------------------------------------------------------------------------------


def _stat_listing(source: Source, root: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (size, mtime_ns) of the files of `source` in the folder; nothing is read."""
    folder = root / source.folder
    if not folder.is_dir():
        return {}
    out = {}
    for path in folder.iterdir():
        if source.millesime_of(path.name) is not None and path.is_file():
            stat = path.stat()
            out[path.relative_to(root).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return out


def _digest(state: dict) -> str:
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:24]


def evaluate_local(
    source: Source, client: SourceClient, cursor: str | None
) -> tuple[RunRequest | None, str, str]:
    """(a run request or None, the new cursor, a French reason when nothing is requested).

    Cursor: {"fichiers": {relative: sha256} of the files served, "stat": {relative: [size, mtime_ns]} of every
    file of the folder matching the source (also the formats not served, e.g. SIRENE's zip beside its Parquet)}.
    """
    state = json.loads(cursor) if cursor else {}
    seen: dict[str, str] = state.get("fichiers", {})
    listing = None
    if isinstance(client, LocalSourceClient):
        listing = {k: list(v) for k, v in _stat_listing(source, Path(client.data_dir)).items()}
        if cursor and listing == state.get("stat"):
            return None, cursor, "aucun fichier nouveau ou modifié (taille et date inchangées)"
    current = {sf.relative: sf.sha256 for sf in client.files(source)}
    changed = sorted(rel for rel, sha in current.items() if seen.get(rel) != sha)
    new_cursor = json.dumps({"fichiers": current, "stat": listing}, sort_keys=True)
    if not changed:
        return None, new_cursor, "aucun fichier nouveau ou modifié (mêmes sommes sha256)"
    request = RunRequest(
        run_key=f"{source.name}:{_digest(current)}",
        tags={"qpv/source": source.name, "qpv/fichiers": ", ".join(changed)[:2000]},
    )
    return request, new_cursor, ""


# --- live mode -------------------------------------------------------------------------------------------


def probe(
    fetcher: HttpFetcher, url: str, validators: Validators | None
) -> tuple[int, str | None, str | None]:
    """A conditional GET whose body is not read: (status, ETag, Last-Modified). Same allow-list, redirect
    checks and retries as the downloads (the HttpFetcher's own helpers)."""
    headers = validators.headers() if validators else {}

    def attempt() -> tuple[int, str | None, str | None]:
        response, _ = fetcher._open(url, headers)
        with response:
            return response.status_code, response.headers.get("ETag"), response.headers.get("Last-Modified")

    fetcher.check_url(url)
    return fetcher._with_retries(url, attempt)


def _target_state(target: Target, etag: str | None, last_modified: str | None) -> dict:
    return {
        "edition": target.edition,
        "etag": etag,
        "last_modified": last_modified,
        "checksum": target.extra.get("checksum"),
        "resource_last_modified": target.extra.get("resource_last_modified"),
    }


def evaluate_live(
    source: Source, client: LiveSourceClient, cursor: str | None
) -> tuple[RunRequest | None, str, str]:
    """Conditional requests on the official URLs of `source`; the cursor maps URL -> last known state."""
    seen: dict[str, dict] = json.loads(cursor) if cursor else {}
    current: dict[str, dict] = {}
    changed: list[str] = []
    with client.refresher() as refresher:
        for target in refresher.targets(source):
            previous = seen.get(target.url)
            if previous is None:
                archived = refresher.archive.last_for_url(target.url)
                previous = (
                    _target_state(target, archived.etag, archived.last_modified)
                    if archived is not None
                    else None
                )
            validators = Validators(previous.get("etag"), previous.get("last_modified")) if previous else None
            validators = validators if validators and validators.headers() else None
            status, etag, last_modified = probe(refresher.fetcher, target.url, validators)
            if status == 304 and previous is not None:
                state = {**previous, "edition": target.edition}
                state["etag"] = etag or previous.get("etag")
                state["last_modified"] = last_modified or previous.get("last_modified")
            else:
                state = _target_state(target, etag, last_modified)
            current[target.url] = state
            if previous is None or _changed(previous, state, status):
                changed.append(target.url)
    new_cursor = json.dumps(current, sort_keys=True)
    if not changed:
        return None, new_cursor, "rien de nouveau à l'URL officielle (réponse 304 ou mêmes validateurs)"
    run_key = f"{source.name}:{_digest(current)}"
    request = RunRequest(
        run_key=run_key, tags={"qpv/source": source.name, "qpv/urls": " ".join(sorted(changed))[:2000]}
    )
    return request, new_cursor, ""


def _changed(previous: dict, state: dict, status: int) -> bool:
    if status == 304:
        return False
    keys = ("etag", "last_modified", "checksum", "resource_last_modified")
    if not any(state.get(k) for k in keys):
        return True  # a 200 without any validator: a change cannot be ruled out
    return any(previous.get(k) != state.get(k) for k in keys)


# --- the sensors -----------------------------------------------------------------------------------------


def build_source_sensor(source: Source, job_name: str, minimum_interval_seconds: int = 300):
    raw_key = AssetKey(["raw", source.name])

    @sensor(
        name=sensor_name(source),
        job_name=job_name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.STOPPED,
        description=f"{source.title} : un nouveau millésime ou des octets modifiés (dossier de données, ou URL "
        f"officielle en mode live) lancent raw/{source.name} et tout ce qui en dépend.",
    )
    def _sensor(context: SensorEvaluationContext, source_client: SourceClient):
        live = isinstance(source_client, LiveSourceClient) and source_client.fetches(source)
        if live:
            request, cursor, reason = evaluate_live(source, source_client, context.cursor)
        else:
            client = source_client
            if isinstance(source_client, LiveOrLocalSourceClient) and source_client.data_dir:
                client = LocalSourceClient(data_dir=source_client.data_dir)
            elif isinstance(source_client, LiveSourceClient):
                return SkipReason(f"{source.name} : pas d'URL de fichier officielle ni de dossier local")
            request, cursor, reason = evaluate_local(source, client, context.cursor)
        context.update_cursor(cursor)
        if request is None:
            return SkipReason(reason)
        keys = [raw_key]
        if context.repository_def is not None:
            keys = list(
                AssetSelection.assets(raw_key).downstream().resolve(context.repository_def.asset_graph)
            )
        return RunRequest(run_key=request.run_key, asset_selection=keys, tags=request.tags)

    return _sensor


def build_source_sensors(sources: list[Source], job_name: str) -> list:
    return [build_source_sensor(source, job_name) for source in sources]
