"""The raw archive: every downloaded file kept immutable, content-addressed, with an append-only manifest.

Layout under the archive root:
    <folder>/<sha256[:2]>/<sha256>/<producer's file name>   read-only (0o444), written by os.replace
    manifest.jsonl                                           one JSON object per retrieval, appended
    .partial/                                                downloads in progress (`.part` + sidecars)
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from pipelines.sources.live.errors import LiveSourceError
from pipelines.sources.parsing import sha256_of

MANIFEST = "manifest.jsonl"
PARTIAL_DIR = ".partial"
OUTCOMES = ("new", "unchanged", "not_modified")  # new file written / same bytes already archived / HTTP 304


def utc_now() -> str:
    """The current time, ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Retrieval:
    """One line of the manifest: one retrieval of one URL for one edition of one source."""

    source: str
    edition: int  # millésime
    url: str
    retrieved_at: str  # ISO 8601, UTC
    size: int
    sha256: str
    etag: str | None
    last_modified: str | None
    http_status: int  # 200, 206 (completed by resumption) or 304
    outcome: str  # one of OUTCOMES
    path: str  # archived file, relative to the archive root (posix)
    file_name: str
    final_url: str | None = None
    content_kind: str | None = None  # sniffed: zip, json, parquet, text
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the data.gouv.fr resource id, checksum

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> Retrieval:
        data = json.loads(line)
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


class RawArchive:
    """The archive under `root`: storing files, appending and reading the manifest."""

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self._verified: set[tuple[str, str, int, int]] = set()

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def partial_path(self, url: str) -> Path:
        """Where a download of `url` in progress is written (same file system as the archive)."""
        return self.root / PARTIAL_DIR / f"{hashlib.sha256(url.encode()).hexdigest()[:40]}.part"

    def absolute(self, entry: Retrieval) -> Path:
        return self.root / entry.path

    def store(self, folder: str, file_name: str, complete: Path, sha256: str) -> tuple[str, bool]:
        """Move the complete download into `<folder>/<sha[:2]>/<sha>/<file_name>`, read-only.

        Returns the path relative to the root and whether a new file was written; same bytes already
        archived under that name: the download is deleted and nothing is written.
        """
        self._check_relative(folder)
        if PurePosixPath(file_name).name != file_name or file_name in ("", ".", ".."):
            raise LiveSourceError(file_name, "pas un simple nom de fichier : refusé dans l'archive")
        relative = f"{folder}/{sha256[:2]}/{sha256}/{file_name}"
        target = self.root / relative
        if target.exists():
            if target.stat().st_size == complete.stat().st_size and sha256_of(target) == sha256:
                complete.unlink()
                return relative, False
            # altered on disk since it was archived: the verified download takes its place (os.replace)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(complete, 0o444)
        os.replace(complete, target)
        return relative, True

    @staticmethod
    def _check_relative(folder: str) -> None:
        parts = PurePosixPath(folder).parts
        if not parts or PurePosixPath(folder).is_absolute() or ".." in parts or parts[0] == PARTIAL_DIR:
            raise LiveSourceError(folder, "pas un nom de dossier relatif : refusé dans l'archive")

    def append(self, entry: Retrieval) -> None:
        """Append one line to the manifest, in a single write (O_APPEND: concurrent writers do not mix)."""
        self.root.mkdir(parents=True, exist_ok=True)
        line = (entry.to_json() + "\n").encode("utf-8")
        fd = os.open(self.manifest_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self) -> list[Retrieval]:
        """Every manifest line, oldest first. A last line cut by a crash (no newline) is ignored."""
        if not self.manifest_path.exists():
            return []
        text = self.manifest_path.read_text(encoding="utf-8")
        lines = text.split("\n")
        if lines and lines[-1]:
            lines = lines[:-1]  # incomplete last write
        out = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                out.append(Retrieval.from_json(line))
            except (ValueError, TypeError) as exc:
                raise LiveSourceError(
                    str(self.manifest_path), f"ligne {number} : pas une récupération lisible ({exc})"
                ) from exc
        return out

    def intact(self, entry: Retrieval) -> bool:
        """Whether the archived file of `entry` still has the bytes the manifest records (its sha256).
        Verified once per file state (path, size, mtime) for the life of this object."""
        path = self.absolute(entry)
        try:
            status = path.stat()
        except OSError:
            return False
        key = (str(path), entry.sha256, status.st_size, status.st_mtime_ns)
        if key in self._verified:
            return True
        if sha256_of(path) != entry.sha256:
            return False
        self._verified.add(key)
        return True

    def _present(self, entries: list[Retrieval]) -> list[Retrieval]:
        return [e for e in entries if self.absolute(e).is_file()]

    def last_for_url(self, url: str) -> Retrieval | None:
        """The latest retrieval of `url` whose archived file is still present."""
        found = self._present([e for e in self.entries() if e.url == url])
        return found[-1] if found else None

    def latest_by_edition(self, source: str) -> dict[int, Retrieval]:
        """For each edition of `source`, its latest retrieval whose archived file is present."""
        latest: dict[int, Retrieval] = {}
        for entry in self._present([e for e in self.entries() if e.source == source]):
            latest[entry.edition] = entry
        return dict(sorted(latest.items()))
