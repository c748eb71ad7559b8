"""What a downloaded file is, and reading zips safely without extracting them to disk.

`sniff_kind` looks at the first bytes (an HTML login/error page served instead of data, ZIP vs JSON for the
QPV perimeters); `safe_members` / `open_zip_member` refuse unsafe entry names and zip bombs. Plain functions:
loaders use them on archived files as well.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from pipelines.live.errors import LiveSourceError

HEAD_BYTES = 1024
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"
_DRIVE = re.compile(r"^[A-Za-z]:")

# What each `Source.format` accepts (see `sniff_kind`). GeoJSON: the QPV 2024 perimeters resource switched
# from plain GeoJSON to a ZIP holding the GeoJSON, so both are data.
EXPECTED_KINDS: dict[str, frozenset[str]] = {
    "csv": frozenset({"text"}),
    "csv_zip": frozenset({"zip"}),
    "geojson": frozenset({"json", "zip"}),
    "parquet": frozenset({"parquet"}),
}


def sniff_kind(head: bytes) -> str:
    """The kind of a file from its first bytes: zip, parquet, gzip, html, json or text."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    text = _as_ascii(head).lstrip()
    lowered = text[:HEAD_BYTES].lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "html"
    if lowered.startswith(b"<?xml") and (b"<html" in lowered or b"<!doctype html" in lowered):
        return "html"
    if text[:1] in (b"{", b"["):
        return "json"
    return "text"


def _as_ascii(head: bytes) -> bytes:
    """The head without its byte-order mark, UTF-16 re-encoded so that markup can be recognised."""
    if head.startswith(_UTF8_BOM):
        return head[len(_UTF8_BOM) :]
    if head.startswith(_UTF16_BOMS):
        usable = head[: len(head) - len(head) % 2]
        text = usable.decode("utf-16", errors="ignore").lstrip("\ufeff")
        return text.encode("utf-8", errors="ignore")
    return head


def sniff_file(path: Path) -> str:
    """`sniff_kind` of the first bytes of a file."""
    with path.open("rb") as handle:
        return sniff_kind(handle.read(HEAD_BYTES))


def check_kind(url: str, kind: str, expected: frozenset[str] | None) -> None:
    """Refuse an HTML page always, and any kind outside `expected` (None: anything but HTML)."""
    if kind == "html":
        raise LiveSourceError(
            url, "an HTML page was served instead of data (login, error or maintenance page?): refused"
        )
    if expected is not None and kind not in expected:
        raise LiveSourceError(url, f"expected {' or '.join(sorted(expected))} content, got {kind}: refused")


def _unsafe_name(name: str) -> str | None:
    """Why a zip entry name is unsafe to honour (absolute, drive letter, `..`, NUL), or None."""
    normal = name.replace("\\", "/")
    if "\x00" in normal:
        return "contains a NUL byte"
    if normal.startswith("/") or _DRIVE.match(normal):
        return "is an absolute path"
    if ".." in PurePosixPath(normal).parts:
        return "contains '..'"
    return None


def safe_members(path: Path, max_uncompressed: int, label: str | None = None) -> list[zipfile.ZipInfo]:
    """The file entries of a zip, after refusing unsafe names and a declared total size over the limit.

    Raises LiveSourceError naming `label` (default: the path) for a corrupt zip, an entry named with `..` or
    an absolute path, an encrypted entry, or a declared uncompressed total above `max_uncompressed` bytes.
    """
    label = label or str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise LiveSourceError(label, f"not a readable zip archive: {exc}") from exc
    for info in infos:
        why = _unsafe_name(info.filename)
        if why:
            raise LiveSourceError(label, f"zip entry {info.filename!r} {why}: archive refused")
    encrypted = [info.filename for info in infos if info.flag_bits & 0x1]
    if encrypted:
        raise LiveSourceError(label, f"encrypted zip entries {encrypted[:5]}: archive refused")
    total = sum(info.file_size for info in infos)
    if total > max_uncompressed:
        raise LiveSourceError(
            label,
            f"zip declares {total} uncompressed bytes, over the limit of {max_uncompressed}: archive refused",
        )
    return [info for info in infos if not info.is_dir()]


def _is_junk(name: str) -> bool:
    """macOS resource forks that zips made on a Mac carry beside the real files."""
    posix = PurePosixPath(name.replace("\\", "/"))
    return posix.parts[:1] == ("__MACOSX",) or posix.name.startswith("._")


def select_member(path: Path, infos: list[zipfile.ZipInfo], pattern: str) -> zipfile.ZipInfo:
    """The one entry whose base name fully matches `pattern` (regex); an error if none or several do."""
    regex = re.compile(pattern)
    found = [i for i in infos if not _is_junk(i.filename) and regex.fullmatch(PurePosixPath(i.filename).name)]
    if len(found) != 1:
        names = [i.filename for i in (found or infos)][:20]
        what = "no entry" if not found else f"{len(found)} entries"
        raise LiveSourceError(str(path), f"{what} of the zip match {pattern!r}: {names}")
    return found[0]


class _BoundedReader(io.RawIOBase):
    """A zip member stream that stops at `limit` bytes and turns decompression errors into LiveSourceError."""

    def __init__(self, raw: BinaryIO, limit: int, label: str):
        super().__init__()
        self._raw, self._limit, self._label, self._count = raw, limit, label, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._raw.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise LiveSourceError(self._label, f"corrupt zip member: {exc}") from exc
        self._count += len(data)
        if self._count > self._limit:
            raise LiveSourceError(
                self._label, f"member expands beyond {self._limit} bytes: reading stopped (zip bomb?)"
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


@contextmanager
def open_zip_member(path: Path, pattern: str, max_uncompressed: int) -> Iterator[BinaryIO]:
    """A binary stream over the one entry of the zip at `path` whose base name fully matches `pattern`.

    Nothing is extracted to disk. The archive is refused as `safe_members` does; reading stops with a
    LiveSourceError once the member yields more than its declared size or `max_uncompressed` bytes, and a
    bad CRC (a member longer than declared is cut at its declared size, then fails its CRC) raises too.
    """
    path = Path(path)
    infos = safe_members(path, max_uncompressed)
    info = select_member(path, infos, pattern)
    label = f"{path}!{info.filename}"
    limit = min(info.file_size, max_uncompressed)
    with zipfile.ZipFile(path) as archive:
        try:
            member = archive.open(info)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise LiveSourceError(label, f"cannot open zip member: {exc}") from exc
        with io.BufferedReader(_BoundedReader(member, limit, label)) as stream:
            yield stream
