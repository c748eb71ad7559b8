"""The live client: official files fetched over HTTPS into an immutable raw archive.

- `client.LiveSourceClient` — the Dagster resource, same `files(source)` as `LocalSourceClient`.
- `http.HttpFetcher` — allow-listed, retried, conditional, resumable, size-limited downloads.
- `archive.RawArchive` — content-addressed read-only files plus the append-only `manifest.jsonl`.
- `content` — sniffing (HTML refused, ZIP vs JSON) and safe zip reading (`open_zip_member`), on the zip checks
  shared with the loaders (`pipelines.sources.loaders.zipcore`).
- `overrides` — file URLs an operator supplies without code change (`QPV_LIVE_URL_<SOURCE>`).
- `client.RefreshedSourceClient` — after `qpv refresh`: archived files, or the local folder for page-only sources.
Nothing here touches the network or the disk at import time.
"""

from pipelines.sources.live.archive import RawArchive, Retrieval
from pipelines.sources.live.client import (
    LiveSourceClient,
    RefreshedSourceClient,
    Refresher,
    Target,
    live_spec,
)
from pipelines.sources.live.content import (
    EXPECTED_KINDS,
    open_zip_member,
    safe_members,
    sniff_file,
    sniff_kind,
)
from pipelines.sources.live.errors import ChecksumMismatch, LiveSourceError
from pipelines.sources.live.http import (
    DEFAULT_ALLOWED_HOSTS,
    Download,
    HttpFetcher,
    HttpPolicy,
    Progress,
    Validators,
)
from pipelines.sources.live.overrides import override_urls, variable_name

__all__ = [
    "ChecksumMismatch",
    "DEFAULT_ALLOWED_HOSTS",
    "EXPECTED_KINDS",
    "Download",
    "HttpFetcher",
    "HttpPolicy",
    "LiveSourceClient",
    "LiveSourceError",
    "Progress",
    "RawArchive",
    "RefreshedSourceClient",
    "Refresher",
    "Retrieval",
    "Target",
    "Validators",
    "live_spec",
    "open_zip_member",
    "override_urls",
    "safe_members",
    "sniff_file",
    "sniff_kind",
    "variable_name",
]
