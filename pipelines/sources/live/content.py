"""What a downloaded file is, and reading zips safely without extracting them to disk.

`sniff_kind` looks at the first bytes (an HTML login/error page served instead of data, ZIP vs JSON for the
QPV perimeters); `safe_members` / `open_zip_member` refuse unsafe entry names and zip bombs: they are the live
client's front (raising LiveSourceError) on the checks of `pipelines.sources.loaders.zipcore`, which the loaders share.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pipelines.sources.live.errors import LiveSourceError
from pipelines.sources.loaders import zipcore

HEAD_BYTES = 1024
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"

# What each `Source.format` accepts (see `sniff_kind`). GeoJSON: the QPV 2024 perimeters resource switched
# from plain GeoJSON to a ZIP holding the GeoJSON, so both are data.
EXPECTED_KINDS: dict[str, frozenset[str]] = {
    "csv": frozenset({"text"}),
    "csv_zip": frozenset({"zip"}),
    "xlsx_zip": frozenset({"zip"}),
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
            url,
            "une page HTML a été servie au lieu des données (page de connexion, d'erreur ou de maintenance ?) : "
            "refusée",
        )
    if expected is not None and kind not in expected:
        raise LiveSourceError(url, f"contenu {' ou '.join(sorted(expected))} attendu, reçu {kind} : refusé")


def safe_members(path: Path, max_uncompressed: int, label: str | None = None) -> list[zipfile.ZipInfo]:
    """The file entries of a zip, after refusing unsafe names and a declared total size over the limit.

    Raises LiveSourceError naming `label` (default: the path) for a corrupt zip, an entry named with `..` or
    an absolute path, an encrypted entry, or a declared uncompressed total above `max_uncompressed` bytes.
    """
    archive, infos = zipcore.open_checked(path, label or str(path), max_uncompressed, LiveSourceError)
    archive.close()
    return infos


def select_member(path: Path, infos: list[zipfile.ZipInfo], pattern: str) -> zipfile.ZipInfo:
    """The one entry whose base name fully matches `pattern` (regex); an error if none or several do."""
    return zipcore.select_member(infos, pattern, str(path), LiveSourceError)


@contextmanager
def open_zip_member(path: Path, pattern: str, max_uncompressed: int) -> Iterator[BinaryIO]:
    """A binary stream over the one entry of the zip at `path` whose base name fully matches `pattern`.

    Nothing is extracted to disk. The archive is refused as `safe_members` does; reading stops with a
    LiveSourceError once the member yields more than its declared size or `max_uncompressed` bytes, and a
    bad CRC (a member longer than declared is cut at its declared size, then fails its CRC) raises too.
    """
    path = Path(path)
    archive, infos = zipcore.open_checked(path, str(path), max_uncompressed, LiveSourceError)
    with archive:
        info = select_member(path, infos, pattern)
        label = f"{path}!{info.filename}"
        limit = min(info.file_size, max_uncompressed)
        with zipcore.open_member(archive, info, label, limit, LiveSourceError) as stream:
            yield stream
