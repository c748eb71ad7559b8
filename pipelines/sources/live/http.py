"""HTTP fetching from the official hosts, with requests.

HTTPS only, to an allow-list of hosts (every redirect hop is checked too); connect/read timeouts; bounded
retries with exponential backoff on 5xx, 429, network errors and truncated bodies; conditional requests
(If-None-Match / If-Modified-Since → 304); downloads streamed to a `.part` file and resumed with
`Range: bytes=N-` when the server supports it (also across runs: a sidecar `.part.json` keeps the validator);
a size limit checked on Content-Length and while streaming; a low-speed limit (a server that drips bytes just
fast enough to dodge the read timeout is abandoned); HTML pages refused where data is expected.
Plain HTTP (`allow_http`) exists for the test harness only: it is accepted for loopback hosts and nothing else.
"""

from __future__ import annotations

import fcntl
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import requests
import urllib3

from pipelines.sources.live.content import HEAD_BYTES, check_kind, sniff_file, sniff_kind
from pipelines.sources.live.errors import LiveSourceError

log = logging.getLogger(__name__)

DEFAULT_ALLOWED_HOSTS: tuple[str, ...] = (
    "www.insee.fr",
    "www.data.gouv.fr",
    "static.data.gouv.fr",
    "object.files.data.gouv.fr",
    "data.caf.fr",
    "sig.ville.gouv.fr",
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})  # the only hosts plain HTTP may reach (tests)
RETRY_STATUSES = frozenset({408, 425, 429})  # plus every 5xx
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")

# Progress callback: (url, bytes received so far, total bytes or None when the server did not say).
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class HttpPolicy:
    """Limits and manners of the fetcher. Tests shorten the delays and allow 127.0.0.1 over plain HTTP."""

    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    allow_http: bool = False
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5
    backoff_base: float = 1.0  # seconds before the 2nd attempt, doubled at each further attempt
    backoff_max: float = 60.0  # also caps a server's Retry-After
    max_bytes: int = 8 * 1024**3
    max_json_bytes: int = 64 * 1024**2
    max_redirects: int = 5
    # low-speed limit (like curl's --speed-limit/--speed-time): fewer than low_speed_bytes received in
    # low_speed_time seconds of a body is a transient failure (the part is kept for a resumption)
    low_speed_bytes: int = 1024
    low_speed_time: float = 60.0
    chunk_size: int = 1024**2
    retry_403_hosts: tuple[str, ...] = ("www.insee.fr",)  # insee.fr sometimes answers 403 to scripts
    user_agent: str = "qpv-observatoire/0.1 (observatoire des QPV; python-requests)"


@dataclass(frozen=True)
class Validators:
    """What the server said about the archived copy of a URL, sent back as a conditional request."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class Download:
    """The outcome of `HttpFetcher.download`: a complete body in `path`, or a 304 (path None)."""

    url: str
    final_url: str  # after redirects
    status: int  # 200, 206 (completed by resumption) or 304
    path: Path | None
    size: int
    etag: str | None
    last_modified: str | None
    content_type: str | None
    file_name: str | None  # Content-Disposition, else the last segment of the final URL, else of the URL
    kind: str | None  # sniffed: zip, parquet, json, text, ...


class _Transient(Exception):
    """A failure worth another attempt (network error, 5xx, 429, truncated body)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class _RangeRefused(_Transient):
    """HTTP 416 to a Range request: the part cannot be completed, download again from the start."""


class _Partial:
    """The `.part` file of a URL and its sidecar (URL + validator), so a broken download can be resumed."""

    def __init__(self, part: Path, url: str):
        self.part, self.meta, self.url = part, part.with_name(part.name + ".json"), url
        self.validator: str | None = None
        self.resumable = False

    @property
    def offset(self) -> int:
        return self.part.stat().st_size if self.part.exists() else 0

    def load(self) -> None:
        """Keep a part left by an earlier run only if it is for this URL and has a validator for If-Range."""
        try:
            meta = json.loads(self.meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        if meta.get("url") == self.url and meta.get("validator") and self.part.exists():
            self.validator, self.resumable = meta["validator"], True
        else:
            self.discard()

    def begin(self, response: requests.Response) -> None:
        """Record how this response can be resumed (byte ranges + a validator for If-Range)."""
        self.validator = _validator_of(response)
        ranges = response.headers.get("Accept-Ranges", "").lower() == "bytes" or response.status_code == 206
        self.resumable = ranges and not _encoded(response)  # byte ranges count compressed bytes
        self.meta.write_text(json.dumps({"url": self.url, "validator": self.validator}), encoding="utf-8")

    def worth_keeping(self) -> bool:
        return self.resumable and bool(self.validator) and self.offset > 0

    def finish(self) -> None:
        self.meta.unlink(missing_ok=True)

    def discard(self) -> None:
        self.part.unlink(missing_ok=True)
        self.meta.unlink(missing_ok=True)
        self.validator, self.resumable = None, False


@contextmanager
def _exclusive(part: Path, url: str) -> Iterator[None]:
    """One download of a URL at a time (other processes share the archive)."""
    lock_path = part.with_name(part.name + ".lock")
    with lock_path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LiveSourceError(url, "un autre processus télécharge cette URL en ce moment") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def file_name_of(response: requests.Response, final_url: str, url: str) -> str | None:
    """The producer's file name: Content-Disposition, else the last path segment of the final URL or URL."""
    disposition = response.headers.get("Content-Disposition")
    if disposition:
        message = Message()
        message["Content-Disposition"] = disposition
        name = _clean_name(message.get_filename() or "")
        if name:
            return name
    for candidate in (final_url, url):
        name = _clean_name(unquote(urlsplit(candidate).path))
        if name:
            return name
    return None


def _clean_name(raw: str) -> str | None:
    """A bare file name (no folder, no control character), or None if nothing usable is left."""
    name = PurePosixPath(raw.replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name if name not in ("", ".", "..") else None


def _validator_of(response: requests.Response) -> str | None:
    """The validator sent back in If-Range: the strong ETag, else Last-Modified (weak ETags cannot be used)."""
    strong_etag = response.headers.get("ETag")
    if strong_etag and strong_etag.startswith("W/"):
        strong_etag = None
    return strong_etag or response.headers.get("Last-Modified")


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


def _encoded(response: requests.Response) -> bool:
    """Whether the server compressed the body despite `Accept-Encoding: identity`."""
    return response.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity")


def _body_chunks(response: requests.Response, size: int) -> Iterator[bytes]:
    """The body, chunk by chunk, as it arrives.

    `raw.read1` hands over the bytes received before a connection breaks (a plain `read(size)` would drop
    them with the IncompleteRead), so a resumed download starts where the bytes really stop. Read errors
    become `_Transient`; the caller's write errors are not caught here.
    """
    decode = _encoded(response)
    while True:
        try:
            chunk = response.raw.read1(size, decode_content=decode)
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            raise _Transient(f"connexion interrompue : {exc}") from exc
        if not chunk:
            return
        yield chunk


class HttpFetcher:
    """Fetches official files under an `HttpPolicy`. `sleep` is injectable so tests do not wait."""

    def __init__(self, policy: HttpPolicy | None = None, sleep: Callable[[float], None] = time.sleep):
        self.policy = policy or HttpPolicy()
        self._sleep = sleep
        self._session = requests.Session()
        # identity: byte counts, Content-Length and Range all refer to the bytes that are stored
        self._session.headers.update({"User-Agent": self.policy.user_agent, "Accept-Encoding": "identity"})

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def check_url(self, url: str) -> None:
        """Refuse, before any request, a URL that is not HTTPS (unless allowed) to an allow-listed host."""
        parts = urlsplit(url)
        schemes = ("https", "http") if self.policy.allow_http else ("https",)
        if parts.scheme not in schemes:
            raise LiveSourceError(
                url, f"seules les URL {'/'.join(schemes)} sont téléchargées, pas {parts.scheme!r}"
            )
        if parts.username or parts.password:
            raise LiveSourceError(url, "identifiants dans l'URL refusés")
        host = (parts.hostname or "").lower()
        if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
            raise LiveSourceError(
                url, "http simple n'est permis que pour le serveur de test local (loopback) : https requis"
            )
        if host not in {h.lower() for h in self.policy.allowed_hosts}:
            raise LiveSourceError(
                url,
                f"l'hôte {host!r} n'est pas dans la liste des hôtes officiels autorisés "
                f"{list(self.policy.allowed_hosts)}",
            )

    # --- requests and retries -------------------------------------------------------------------------

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff, at least the server's Retry-After, capped by backoff_max."""
        delay = self.policy.backoff_base * 2 ** (attempt - 1)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.policy.backoff_max)

    def _with_retries(self, url: str, attempt: Callable[[], Any]) -> Any:
        """Run `attempt` until it succeeds or max_attempts transient failures; then a LiveSourceError."""
        attempts = max(1, self.policy.max_attempts)
        for number in range(1, attempts + 1):
            try:
                return attempt()
            except _Transient as exc:
                if number == attempts:
                    raise LiveSourceError(url, f"échec après {attempts} tentative(s) : {exc}") from None
                delay = self._delay(number, exc.retry_after)
                log.warning("%s: %s; attempt %d/%d, next in %.2fs", url, exc, number, attempts, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _should_retry(self, url: str, status: int) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return (
            status >= 500
            or status in RETRY_STATUSES
            or (status == 403 and host in self.policy.retry_403_hosts)
        )

    def _open(self, url: str, headers: dict[str, str]) -> tuple[requests.Response, str]:
        """GET `url` (streamed), following redirects by hand so every hop is checked against the allow-list."""
        current = url
        for _ in range(self.policy.max_redirects + 1):
            self.check_url(current)
            try:
                response = self._session.get(
                    current,
                    headers=headers,
                    stream=True,
                    allow_redirects=False,
                    timeout=(self.policy.connect_timeout, self.policy.read_timeout),
                )
            except requests.exceptions.SSLError as exc:
                raise LiveSourceError(url, f"erreur TLS : {exc}") from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise _Transient(f"erreur réseau ({type(exc).__name__}) : {exc}") from exc
            except requests.RequestException as exc:
                raise LiveSourceError(url, f"requête en échec : {exc}") from exc
            if response.status_code in REDIRECT_STATUSES and response.headers.get("Location"):
                current = urljoin(current, response.headers["Location"])
                response.close()
                continue
            self._raise_for_status(url, current, response, ranged="Range" in headers)
            return response, current
        raise LiveSourceError(url, f"plus de {self.policy.max_redirects} redirections")

    def _raise_for_status(self, url: str, current: str, response: requests.Response, ranged: bool) -> None:
        """Transient for 5xx/429/... and a 416 to a Range request, LiveSourceError for other errors."""
        status = response.status_code
        if status < 400:
            return
        response.close()
        via = f" (à {current})" if current != url else ""
        if status == 416 and ranged:
            raise _RangeRefused(f"HTTP 416 à une requête Range{via}")
        if self._should_retry(current, status):
            raise _Transient(f"HTTP {status} {response.reason}{via}", _retry_after(response))
        raise LiveSourceError(url, f"HTTP {status} {response.reason}{via}")

    @staticmethod
    def _refuse_html_type(url: str, response: requests.Response) -> None:
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type in ("text/html", "application/xhtml+xml"):
            response.close()
            raise LiveSourceError(
                url,
                f"une page HTML ({content_type}) a été servie au lieu des données (page de connexion ou "
                "d'erreur ?) : refusée",
            )

    # --- JSON (API calls) -------------------------------------------------------------------------------

    def get_json(self, url: str) -> Any:
        """GET a JSON document (the data.gouv.fr API), with the same checks and retries as downloads."""

        def attempt() -> Any:
            response, _ = self._open(url, {"Accept": "application/json"})
            with response:
                self._refuse_html_type(url, response)
                body = self._read_small(url, response)
            check_kind(url, sniff_kind(body[:HEAD_BYTES]), frozenset({"json"}))
            try:
                return json.loads(body)
            except ValueError as exc:
                raise LiveSourceError(url, f"JSON invalide : {exc}") from exc

        return self._with_retries(url, attempt)

    def _read_small(self, url: str, response: requests.Response) -> bytes:
        """The whole body in memory, refused over max_json_bytes; truncated or broken bodies are transient."""
        limit = self.policy.max_json_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise LiveSourceError(url, f"réponse de {declared} octets, au-delà de la limite de {limit}")
        chunks, size = [], 0
        for chunk in _body_chunks(response, self.policy.chunk_size):
            size += len(chunk)
            if size > limit:
                raise LiveSourceError(url, f"réponse au-delà de la limite de {limit} octets")
            chunks.append(chunk)
        if declared and declared.isdigit() and size < int(declared) and not _encoded(response):
            raise _Transient(f"corps tronqué : {size} octets sur {declared}")
        return b"".join(chunks)

    # --- file downloads -----------------------------------------------------------------------------------

    def download(
        self,
        url: str,
        part: Path,
        validators: Validators | None = None,
        expected: frozenset[str] | None = None,
        progress: Progress | None = None,
    ) -> Download:
        """Download `url` into the file `part` (complete on return) or get a 304 for `validators`.

        `expected`: the kinds of content accepted (see content.EXPECTED_KINDS); HTML is always refused.
        On failure the part is deleted, unless a transient failure left a resumable part for the next run.
        """
        self.check_url(url)
        part.parent.mkdir(parents=True, exist_ok=True)
        with _exclusive(part, url):
            state = _Partial(part, url)
            state.load()
            try:
                result = self._with_retries(url, lambda: self._attempt(url, state, validators, progress))
            except LiveSourceError:
                if not state.worth_keeping():
                    state.discard()
                raise
            state.finish()
            if result.path is not None:
                try:
                    check_kind(url, result.kind or "text", expected)
                except LiveSourceError:
                    state.discard()
                    raise
            return result

    def _attempt(
        self, url: str, state: _Partial, validators: Validators | None, progress: Progress | None
    ) -> Download:
        """One GET: resume the part if possible, else a (conditional) full download."""
        resuming = state.resumable and state.offset > 0
        headers = {}
        if resuming:
            headers["Range"] = f"bytes={state.offset}-"
            if state.validator:
                headers["If-Range"] = state.validator
        elif validators:
            headers.update(validators.headers())
        try:
            response, final_url = self._open(url, headers)
        except _RangeRefused:
            state.discard()
            raise
        with response:
            if response.status_code == 304:
                if resuming or not validators:
                    raise LiveSourceError(url, "HTTP 304 à une requête qui n'était pas conditionnelle")
                return self._result(url, final_url, response, None, 0, None)
            try:
                start, total = self._body_range(url, response, state.offset if resuming else 0, state)
                self._refuse_html_type(url, response)
                if total is not None and total > self.policy.max_bytes:
                    raise LiveSourceError(
                        url,
                        f"taille de {total} octets, au-delà de la limite de {self.policy.max_bytes} : "
                        "non téléchargé",
                    )
                state.begin(response)
                size = self._stream(url, response, state, start, total, progress)
            except LiveSourceError:
                state.discard()
                raise
        return self._result(url, final_url, response, state.part, size, sniff_file(state.part))

    def _body_range(
        self, url: str, response: requests.Response, offset: int, state: _Partial
    ) -> tuple[int, int | None]:
        """Where this body starts in the file and the file's total size (None if unknown)."""
        if response.status_code == 206:
            match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
            if not offset or not match or int(match.group(1)) != offset:
                state.discard()  # not the range asked for: start again from scratch
                raise _Transient(
                    f"réponse partielle inattendue (Content-Range {response.headers.get('Content-Range')!r})"
                )
            validator = _validator_of(response)
            if state.validator and validator and validator != state.validator:
                state.discard()  # the file changed on the server (If-Range ignored): start again from scratch
                raise _Transient(
                    f"le fichier a changé pendant le téléchargement ({state.validator} → {validator})"
                )
            return offset, None if match.group(3) == "*" else int(match.group(3))
        if response.status_code != 200:
            raise LiveSourceError(url, f"réponse inattendue : HTTP {response.status_code} {response.reason}")
        declared = response.headers.get("Content-Length", "")
        return 0, int(declared) if declared.isdigit() else None

    def _stream(
        self,
        url: str,
        response: requests.Response,
        state: _Partial,
        start: int,
        total: int | None,
        progress: Progress | None,
    ) -> int:
        """Write the body to the part from `start`; returns the final size. Broken/short bodies are transient."""
        done = start
        limit = self.policy.max_bytes
        window_start, window_bytes = time.monotonic(), 0
        with state.part.open("r+b" if start else "wb") as out:
            out.seek(start)
            out.truncate()
            if progress:
                progress(url, done, total)
            try:
                for chunk in _body_chunks(response, self.policy.chunk_size):
                    done += len(chunk)
                    if done > limit:
                        raise LiveSourceError(
                            url, f"corps au-delà de la limite de {limit} octets : téléchargement abandonné"
                        )
                    out.write(chunk)
                    if progress:
                        progress(url, done, total)
                    window_bytes += len(chunk)
                    elapsed = time.monotonic() - window_start
                    if elapsed >= self.policy.low_speed_time:
                        if window_bytes < self.policy.low_speed_bytes:
                            raise _Transient(
                                f"serveur trop lent : {window_bytes} octets en {elapsed:.1f} s "
                                f"(limite basse : {self.policy.low_speed_bytes} octets en "
                                f"{self.policy.low_speed_time:g} s)"
                            )
                        window_start, window_bytes = time.monotonic(), 0
            except _Transient as exc:
                if total is not None and done < total:
                    raise _Transient(f"corps tronqué : {done} octets reçus sur {total} ({exc})") from exc
                raise _Transient(f"{exc} (après {done} octets)") from exc
        if _encoded(response):
            return done  # Content-Length counted the compressed bytes
        if total is not None and done < total:
            raise _Transient(f"corps tronqué : {done} octets reçus sur {total}")
        if total is not None and done > total:
            raise LiveSourceError(url, f"corps plus long qu'annoncé : {done} octets pour {total} annoncés")
        return done

    @staticmethod
    def _result(
        url: str, final_url: str, response: requests.Response, path: Path | None, size: int, kind: str | None
    ) -> Download:
        return Download(
            url=url,
            final_url=final_url,
            status=response.status_code,
            path=path,
            size=size,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            content_type=response.headers.get("Content-Type"),
            file_name=file_name_of(response, final_url, url),
            kind=kind,
        )
