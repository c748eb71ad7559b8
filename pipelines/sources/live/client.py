"""The live source client: official URLs → raw archive → `SourceFile`s, like `LocalSourceClient.files()`.

`LiveSourceClient` is the Dagster resource (configuration only); `Refresher` does the work with a plain
`HttpFetcher` and `RawArchive`, so the CLI can use it without Dagster.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.contracts.registry import LiveSpec, Source
from pipelines.resources import SourceClient
from pipelines.sources.live.archive import RawArchive, Retrieval, utc_now
from pipelines.sources.live.content import EXPECTED_KINDS, safe_members
from pipelines.sources.live.errors import ChecksumMismatch, LiveSourceError
from pipelines.sources.live.http import (
    DEFAULT_ALLOWED_HOSTS,
    Download,
    HttpFetcher,
    HttpPolicy,
    Progress,
    Validators,
)
from pipelines.sources.live.overrides import environment, override_urls, variable_name
from pipelines.sources.parsing import SourceFile, sha256_of

log = logging.getLogger(__name__)

DATAGOUV_API = "https://www.data.gouv.fr/api/1"


@dataclass(frozen=True)
class Target:
    """One file to fetch for one edition of a source."""

    edition: int
    url: str
    extra: dict[str, Any] = field(default_factory=dict)  # data.gouv.fr resource facts, kept in the manifest


def live_spec(source: Source) -> LiveSpec:
    """The source's LiveSpec, or a clear error if it declares none."""
    if source.live is None:
        raise LiveSourceError(source.official_url, f"aucun client en ligne déclaré pour {source.name}")
    spec = source.live
    if spec.kind == "datagouv" and not (spec.dataset and spec.resource_title):
        raise LiveSourceError(
            source.official_url, f"{source.name} : une LiveSpec datagouv demande dataset et resource_title"
        )
    if spec.kind == "direct" and not spec.urls:
        raise LiveSourceError(source.official_url, f"{source.name} : une LiveSpec direct demande urls")
    if spec.kind == "page" and not (spec.page and spec.reason):
        raise LiveSourceError(
            source.official_url, f"{source.name} : une LiveSpec page demande page et reason"
        )
    return spec


def _year_of(timestamp: str | None) -> int | None:
    """The year of an ISO timestamp such as data.gouv.fr's `last_modified`."""
    if not timestamp:
        return None
    try:
        return datetime.fromisoformat(timestamp).year
    except ValueError:
        match = re.match(r"(\d{4})-", timestamp)
        return int(match.group(1)) if match else None


def _file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Refresher:
    """Fetches the files of sources into the raw archive and answers which archived file serves each edition."""

    def __init__(
        self,
        archive: RawArchive,
        fetcher: HttpFetcher,
        datagouv_api: str = DATAGOUV_API,
        max_uncompressed: int = 64 * 1024**3,
        verify_checksums: bool = True,
        environ: Mapping[str, str] | None = None,
    ):
        self.archive, self.fetcher = archive, fetcher
        self.datagouv_api = datagouv_api.rstrip("/")
        self.max_uncompressed, self.verify_checksums = max_uncompressed, verify_checksums
        self.environ = environment() if environ is None else environ  # QPV_LIVE_URL_* overrides

    def __enter__(self) -> Refresher:
        return self

    def __exit__(self, *exc) -> None:
        self.fetcher.close()

    # --- what to fetch ------------------------------------------------------------------------------------

    def dataset_url(self, spec: LiveSpec) -> str:
        return f"{self.datagouv_api}/datasets/{spec.dataset}/"

    def override(self, source: Source, check: bool = True) -> tuple[tuple[int, str], ...] | None:
        """The operator's (edition, URL) pairs for `source` (QPV_LIVE_URL_<NAME>); None if unset. The URLs are
        checked against the fetcher's rules unless `check` is False (serving files already archived)."""
        return override_urls(source, self.environ, self.fetcher.check_url if check else None)

    def fetches(self, source: Source) -> bool:
        """Whether a refresh downloads this source: a declared file URL or catalogue, or an operator's URL.
        A "page" source without an override is read from the local data folder instead."""
        if source.live is None:
            return False
        return live_spec(source).kind != "page" or self.override(source, check=False) is not None

    def targets(self, source: Source) -> list[Target]:
        """The (edition, URL) pairs to fetch now: the operator's override, the LiveSpec's URLs, or the
        data.gouv.fr dataset's resources. A "page" source without an override is an error naming the page."""
        spec = live_spec(source)
        overridden = self.override(source)
        if overridden is not None:
            return [Target(edition, url, {"override": variable_name(source)}) for edition, url in overridden]
        if spec.kind == "direct":
            return [Target(edition, url) for edition, url in spec.urls]
        if spec.kind == "page":
            raise LiveSourceError(
                spec.page or source.official_url,
                f"{source.name} : aucune URL de fichier à télécharger ({spec.reason}) ; donner l'URL du fichier "
                f"dans {variable_name(source)}, ou lire cette source depuis un dossier de données local",
            )
        return self._datagouv_targets(source, spec)

    def _datagouv_targets(self, source: Source, spec: LiveSpec) -> list[Target]:
        """Resources whose title matches `resource_title` (re.search) and format; the latest per edition."""
        api_url = self.dataset_url(spec)
        dataset = self.fetcher.get_json(api_url)
        resources = dataset.get("resources") if isinstance(dataset, dict) else None
        if not isinstance(resources, list):
            raise LiveSourceError(
                api_url, "la réponse n'a pas de liste 'resources' : pas un jeu de données data.gouv.fr"
            )
        title_re = re.compile(spec.resource_title or "")
        chosen: dict[int, dict] = {}
        for resource in resources:
            match = title_re.search(str(resource.get("title") or ""))
            if not match or not self._format_ok(spec, resource) or not resource.get("url"):
                continue
            edition = self._edition(source, match, resource, api_url)
            best = chosen.get(edition)
            if best is None or str(resource.get("last_modified") or "") > str(
                best.get("last_modified") or ""
            ):
                chosen[edition] = resource
        if not chosen:
            titles = [r.get("title") for r in resources][:20]
            raise LiveSourceError(
                api_url,
                f"aucune ressource ne correspond au titre {spec.resource_title!r}"
                + (f" et au format {spec.resource_format!r}" if spec.resource_format else "")
                + f" (titres : {titles})",
            )
        return [self._target(spec, edition, chosen[edition]) for edition in sorted(chosen)]

    @staticmethod
    def _format_ok(spec: LiveSpec, resource: dict) -> bool:
        wanted = spec.resource_format
        return not wanted or str(resource.get("format") or "").lower() == wanted.lower()

    @staticmethod
    def _edition(source: Source, match: re.Match, resource: dict, api_url: str) -> int:
        """fixed_millesime, else the title's `millesime` group, else the resource's last_modified year."""
        if source.fixed_millesime is not None:
            return source.fixed_millesime
        group = match.groupdict().get("millesime")
        if group:
            return int(group)
        year = _year_of(resource.get("last_modified"))
        if year is None:
            raise LiveSourceError(
                api_url,
                f"ressource {resource.get('title')!r} : aucune édition dans le titre ni dans last_modified",
            )
        return year

    @staticmethod
    def _target(spec: LiveSpec, edition: int, resource: dict) -> Target:
        return Target(
            edition=edition,
            url=str(resource["url"]),
            extra={
                "dataset": spec.dataset,
                "resource_id": resource.get("id"),
                "resource_title": resource.get("title"),
                "resource_last_modified": resource.get("last_modified"),
                "resource_filetype": resource.get("filetype"),
                "checksum": resource.get("checksum"),
            },
        )

    # --- fetching -------------------------------------------------------------------------------------------

    def refresh(self, source: Source, progress: Progress | None = None) -> list[Retrieval]:
        """Fetch every target of `source` into the archive; one manifest line each, returned in order."""
        return [self.retrieve(source, target, progress) for target in self.targets(source)]

    def retrieve(self, source: Source, target: Target, progress: Progress | None = None) -> Retrieval:
        """Fetch one target (conditionally, if it was archived before) and record the retrieval.

        An archived copy whose bytes no longer match its manifest sha256 (altered on disk) is not trusted: no
        conditional request, the file is downloaded again and repairs the archive. A resumed download (206)
        that fails the producer's checksum is downloaded once more from the start.
        """
        previous = self.archive.last_for_url(target.url)
        if previous is not None and not self.archive.intact(previous):
            log.warning(
                "%s: archived file %s does not match its sha256 %s (altered on disk): downloading it again",
                target.url,
                previous.path,
                previous.sha256,
            )
            previous = None
        validators = Validators(previous.etag, previous.last_modified) if previous else None
        download = self._download(source, target, validators, progress)
        if download.status == 304 and previous is not None:
            self._check_name(source, target, previous.file_name)
            entry = self._entry(source, target, download, previous.path, previous.sha256, "not_modified")
            entry = replace(
                entry,
                size=previous.size,
                content_kind=previous.content_kind,
                etag=download.etag or previous.etag,  # a 304 need not repeat the validators
                last_modified=download.last_modified or previous.last_modified,
            )
        else:
            try:
                entry = self._archive_download(source, target, download)
            except ChecksumMismatch as exc:
                if download.status != 206:
                    raise
                log.warning("%s; the download was resumed: downloading it again from the start", exc)
                download = self._download(source, target, None, progress)
                entry = self._archive_download(source, target, download)
        self.archive.append(entry)
        log.info("%s %s: %s (%s)", source.name, target.edition, entry.outcome, entry.path)
        return entry

    def _download(
        self, source: Source, target: Target, validators: Validators | None, progress: Progress | None
    ) -> Download:
        return self.fetcher.download(
            target.url,
            self.archive.partial_path(target.url),
            validators=validators if validators and validators.headers() else None,
            expected=EXPECTED_KINDS.get(source.format),
            progress=progress,
        )

    def _archive_download(self, source: Source, target: Target, download: Download) -> Retrieval:
        """Check the complete download (name, zip safety, checksum) and move it into the archive."""
        assert download.path is not None
        try:
            name = download.file_name or ""
            self._check_name(source, target, name)
            if download.kind == "zip":
                safe_members(download.path, self.max_uncompressed, label=target.url)
            self._check_checksum(target, download.path)
            sha256 = sha256_of(download.path)
            relative, new = self.archive.store(source.folder, name, download.path, sha256)
        finally:
            download.path.unlink(missing_ok=True)  # refused, or already archived
        return self._entry(source, target, download, relative, sha256, "new" if new else "unchanged")

    @staticmethod
    def _check_name(source: Source, target: Target, name: str) -> None:
        """The archived name must match the source's file_pattern (and its millesime group the edition)."""
        match = source.file_regex.fullmatch(name)
        if not match:
            raise LiveSourceError(
                target.url,
                f"le fichier s'appelle {name!r}, ce qui ne correspond pas au file_pattern {source.file_pattern!r} "
                f"de la source {source.name} : renommé par le producteur ? (mettre à jour la déclaration Source)",
            )
        group = match.groupdict().get("millesime")
        if group and int(group) != target.edition:
            raise LiveSourceError(
                target.url,
                f"le fichier {name!r} est l'édition {group} mais a été téléchargé comme édition {target.edition}",
            )

    def _check_checksum(self, target: Target, path: Path) -> None:
        """data.gouv.fr checksums of files it hosts (filetype 'file'); remote resources' may lag: not checked."""
        checksum = target.extra.get("checksum")
        if (
            not self.verify_checksums
            or not isinstance(checksum, dict)
            or target.extra.get("resource_filetype") != "file"
        ):
            return
        algorithm, expected = (
            str(checksum.get("type") or "").lower(),
            str(checksum.get("value") or "").lower(),
        )
        if algorithm not in ("md5", "sha1", "sha256") or not expected:
            return
        actual = _file_digest(path, algorithm)
        if actual != expected:
            raise ChecksumMismatch(
                target.url,
                f"somme de contrôle {algorithm} différente : data.gouv.fr déclare {expected}, le fichier a {actual}",
            )

    @staticmethod
    def _entry(
        source: Source, target: Target, download: Download, relative: str, sha256: str, outcome: str
    ) -> Retrieval:
        return Retrieval(
            source=source.name,
            edition=target.edition,
            url=target.url,
            retrieved_at=utc_now(),
            size=download.size,
            sha256=sha256,
            etag=download.etag,
            last_modified=download.last_modified,
            http_status=download.status,
            outcome=outcome,
            path=relative,
            file_name=relative.rsplit("/", 1)[-1],
            final_url=download.final_url,
            content_kind=download.kind,
            extra=target.extra,
        )

    # --- answers --------------------------------------------------------------------------------------------

    def archived_files(self, source: Source) -> list[SourceFile]:
        """The latest archived retrieval of each edition, as SourceFiles (direct or overridden: the declared
        editions only)."""
        spec = live_spec(source)
        latest = self.archive.latest_by_edition(source.name)
        overridden = self.override(source, check=False)
        urls = overridden if overridden is not None else spec.urls if spec.kind == "direct" else None
        if urls is not None:
            declared = {edition for edition, _ in urls}
            missing = sorted(declared - set(latest))
            if missing:
                log.warning("%s: edition(s) %s not in the raw archive", source.name, missing)
            latest = {e: r for e, r in latest.items() if e in declared}
        for entry in latest.values():
            if not self.archive.intact(entry):
                raise LiveSourceError(
                    str(self.archive.absolute(entry)),
                    f"fichier archivé modifié sur le disque : son sha256 n'est plus {entry.sha256} du manifeste ; "
                    "lancer `qpv refresh` pour le télécharger à nouveau",
                )
        return [
            SourceFile(
                path=self.archive.absolute(entry),
                relative=f"{source.folder}/{entry.file_name}",
                millesime=edition,
                sha256=entry.sha256,
            )
            for edition, entry in sorted(latest.items())
        ]

    def plan(self, source: Source) -> list[dict[str, Any]]:
        """What a refresh would fetch and which editions are archived, without any network call."""
        spec = live_spec(source)
        latest = self.archive.latest_by_edition(source.name)
        rows: list[dict[str, Any]] = []
        try:
            overridden = self.override(source)
        except LiveSourceError as exc:
            row = self._plan_row(source, "override-refused", None, "", None)
            row.update(refused=exc.reason, note=str(exc))
            return [row]
        if overridden is not None:
            for edition, url in overridden:
                row = self._plan_row(source, "fetch", edition, url, latest.get(edition))
                row["note"] = f"URL fournie par {variable_name(source)}"
                rows.append(row)
        elif spec.kind == "direct":
            for edition, url in spec.urls:
                rows.append(self._plan_row(source, "fetch", edition, url, latest.get(edition)))
        elif spec.kind == "page":
            row = self._plan_row(source, "page", None, spec.page or source.official_url, None)
            row["note"] = f"{spec.reason} ; URL du fichier à fournir par {variable_name(source)}"
            rows.append(row)
        else:
            row = self._plan_row(source, "list-resources", None, self.dataset_url(spec), None)
            row.update(resource_title=spec.resource_title, resource_format=spec.resource_format)
            rows.append(row)
        listed = {row["edition"] for row in rows}
        for edition, entry in latest.items():
            if edition not in listed:
                rows.append(self._plan_row(source, "archived", edition, entry.url, entry))
        return rows

    def _plan_row(
        self, source: Source, action: str, edition: int | None, url: str, entry: Retrieval | None
    ) -> dict[str, Any]:
        try:
            self.fetcher.check_url(url)
            refused = None
        except LiveSourceError as exc:
            refused = exc.reason
        previous = self.archive.last_for_url(url) if action == "fetch" else None
        return {
            "source": source.name,
            "kind": source.live.kind if source.live else None,
            "action": action,  # fetch | list-resources | page | archived | override-refused
            "edition": edition,
            "url": url,
            "refused": refused,  # why the URL would be refused (allow-list, scheme), or None
            "conditional": bool(previous and (previous.etag or previous.last_modified)),
            "archived_path": str(self.archive.absolute(entry)) if entry else None,
            "archived_sha256": entry.sha256 if entry else None,
            "retrieved_at": entry.retrieved_at if entry else None,
            "note": None,
        }


class LiveSourceClient(SourceClient):
    """The live client: fetches each source's official files into a raw archive and serves them from there.

    Same `files(source)` as `LocalSourceClient`: SourceFiles whose path is the archived (read-only) file and
    whose `relative` is `<folder>/<file name>`, one per edition. `offline=True` serves the archive only.
    """

    archive_root: str
    datagouv_api: str = DATAGOUV_API
    allowed_hosts: list[str] = list(DEFAULT_ALLOWED_HOSTS)
    allow_http: bool = False  # tests only
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    low_speed_bytes: int = 1024  # fewer bytes than this in low_speed_time seconds: too slow, abandoned
    low_speed_time: float = 60.0
    max_bytes: int = 8 * 1024**3  # one download; SIRENE's largest file is ~3 GB
    max_uncompressed_bytes: int = 64 * 1024**3  # declared total of a zip
    verify_checksums: bool = True
    offline: bool = False
    # QPV_LIVE_URL_<NAME> -> "[EDITION=]URL ..." (see pipelines.sources.live.overrides); None: the process environment.
    url_overrides: dict[str, str] | None = None

    @property
    def root(self) -> str:
        """The archive root (named like LocalSourceClient.root, for messages)."""
        return self.archive_root

    def refresher(self) -> Refresher:
        """The plain-Python worker configured from this resource."""
        policy = HttpPolicy(
            allowed_hosts=tuple(self.allowed_hosts),
            allow_http=self.allow_http,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_attempts=self.max_attempts,
            backoff_base=self.backoff_base,
            backoff_max=self.backoff_max,
            low_speed_bytes=self.low_speed_bytes,
            low_speed_time=self.low_speed_time,
            max_bytes=self.max_bytes,
        )
        return Refresher(
            RawArchive(self.archive_root),
            HttpFetcher(policy),
            datagouv_api=self.datagouv_api,
            max_uncompressed=self.max_uncompressed_bytes,
            verify_checksums=self.verify_checksums,
            environ=self.url_overrides,
        )

    def refresh(self, source: Source, progress: Progress | None = None) -> list[Retrieval]:
        """Fetch the source's official files now; the manifest lines written (outcome new/unchanged/304)."""
        with self.refresher() as refresher:
            return refresher.refresh(source, progress)

    def files(self, source: Source, progress: Progress | None = None) -> list[SourceFile]:
        """Refresh (unless offline), then the latest archived file of each edition, oldest first."""
        live_spec(source)
        with self.refresher() as refresher:
            if not self.offline:
                refresher.refresh(source, progress)
            return refresher.archived_files(source)

    def plan(self, source: Source) -> list[dict[str, Any]]:
        """For `qpv refresh --dry-run`: URLs to fetch and editions archived, with no network call."""
        with self.refresher() as refresher:
            return refresher.plan(source)

    def fetches(self, source: Source) -> bool:
        """Whether `refresh` downloads this source (else it is read from a local data folder)."""
        with self.refresher() as refresher:
            return refresher.fetches(source)


class RefreshedSourceClient(SourceClient):
    """After `qpv refresh`: the archived files of the sources it downloads, the local data folder for the
    others (a "page" source whose file URL nobody supplied, a source with no LiveSpec)."""

    archive_root: str
    data_dir: str | None = None
    url_overrides: dict[str, str] | None = None

    @property
    def root(self) -> str:
        return self.archive_root

    def files(self, source: Source) -> list[SourceFile]:
        from pipelines.resources import LocalSourceClient

        live = LiveSourceClient(
            archive_root=self.archive_root, offline=True, url_overrides=self.url_overrides
        )
        if live.fetches(source):
            return live.files(source)
        if self.data_dir is None:
            return []
        return LocalSourceClient(data_dir=self.data_dir).files(source)
