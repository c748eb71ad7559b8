"""The one implementation of zip safety, shared by the live client and the loaders.

Rules:
- member names that are absolute (`/x`, `\\x`, `C:x`), climb out of the archive (`..`) or hold a NUL byte are
  refused, whatever member is actually read: such an archive was not produced by the producer's tools;
- encrypted members are refused;
- the declared uncompressed size of the archive must stay under a limit, and so must the bytes actually read
  from a member (declared sizes can lie): a zip bomb stops with an error instead of filling memory or disk;
- nothing is ever extracted to disk: members are decompressed as they are read.

Every function takes `error`, the exception class raised (called as `error(label, message)`): the live client
passes `LiveSourceError` (pipelines/sources/live/content.py), the loaders `InputError` (pipelines/sources/loaders/zipsafe.py).
These two thin fronts are all that differs; the checks and the messages (French, one line) are these.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from pipelines.sources.parsing import grouped

ErrorFactory = Callable[[str, str], Exception]

_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_reason(name: str) -> str | None:
    """Why a member name is unsafe to honour (absolute, drive letter, `..`, NUL), or None."""
    normal = name.replace("\\", "/")
    if "\x00" in normal:
        return "contient un octet NUL"
    if normal.startswith("/") or _DRIVE.match(normal):
        return "est un chemin absolu"
    if ".." in PurePosixPath(normal).parts:
        return "contient '..'"
    return None


def is_junk(name: str) -> bool:
    """macOS resource forks that zips made on a Mac carry beside the real files."""
    posix = PurePosixPath(name.replace("\\", "/"))
    return posix.parts[:1] == ("__MACOSX",) or posix.name.startswith("._")


def check_members(
    infos: list[zipfile.ZipInfo], label: str, max_uncompressed: int, error: ErrorFactory
) -> list[zipfile.ZipInfo]:
    """The file members of an archive, after refusing unsafe names, encryption and a declared total too big."""
    for info in infos:
        why = unsafe_reason(info.filename)
        if why:
            raise error(
                label, f"nom d'entrée dangereux : l'entrée zip {info.filename!r} {why} : archive refusée"
            )
    encrypted = [info.filename for info in infos if info.flag_bits & 0x1]
    if encrypted:
        raise error(label, f"entrées zip chiffrées {encrypted[:5]} : archive refusée")
    declared = sum(info.file_size for info in infos)
    if declared > max_uncompressed:
        raise error(
            label,
            f"l'archive décompressée ferait {grouped(declared)} octets, au-delà de la limite de "
            f"{grouped(max_uncompressed)} : refusée",
        )
    return [info for info in infos if not info.is_dir()]


def open_checked(
    source: Path | str | BinaryIO, label: str, max_uncompressed: int, error: ErrorFactory
) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The archive (a path or a seekable binary stream, e.g. an XLSX read from a zip) and its file members,
    after the checks. The caller closes the archive."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise error(label, f"archive zip illisible : {exc}") from exc
    try:
        infos = check_members(archive.infolist(), label, max_uncompressed, error)
    except Exception:
        archive.close()
        raise
    return archive, infos


def select_member(
    infos: list[zipfile.ZipInfo], pattern: str, label: str, error: ErrorFactory
) -> zipfile.ZipInfo:
    """The one member whose base name fully matches `pattern` (regex, junk ignored); an error if none or several."""
    regex = re.compile(pattern)
    found = [i for i in infos if not is_junk(i.filename) and regex.fullmatch(PurePosixPath(i.filename).name)]
    if len(found) != 1:
        names = [i.filename for i in (found or infos)][:20]
        what = (
            "aucune entrée du zip ne correspond"
            if not found
            else f"{len(found)} entrées du zip correspondent"
        )
        raise error(label, f"{what} à {pattern!r} : {names}")
    return found[0]


class BoundedReader(io.RawIOBase):
    """A member's decompressed stream that raises once more than `limit` bytes came out of it, and turns
    decompression errors (bad CRC, corrupt data) into `error`."""

    def __init__(self, raw: BinaryIO, limit: int, label: str, error: ErrorFactory):
        super().__init__()
        self._raw, self._limit, self._label, self._error, self._count = raw, limit, label, error, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._raw.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise self._error(self._label, f"entrée zip corrompue : {exc}") from exc
        self._count += len(data)
        if self._count > self._limit:
            raise self._error(
                self._label,
                f"l'entrée décompressée dépasse la limite de {grouped(self._limit)} octets : lecture arrêtée "
                "(bombe zip ?)",
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    label: str,
    limit: int,
    error: ErrorFactory,
    buffer_size: int = 1 << 20,
) -> io.BufferedReader:
    """A buffered binary stream over one member, decompressed as it is read, bounded to `limit` bytes."""
    try:
        raw = archive.open(info)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise error(label, f"impossible d'ouvrir l'entrée zip : {exc}") from exc
    return io.BufferedReader(BoundedReader(raw, limit, label, error), buffer_size=buffer_size)


def read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, limit: int, error: ErrorFactory
) -> bytes:
    """A member read whole into memory (never to disk), bounded to `limit` bytes."""
    with open_member(archive, info, label, limit, error) as handle:
        return handle.read()
