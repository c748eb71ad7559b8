"""Reading members of a zip archive in place, safely: no extraction to disk, no unsafe names, bounded size.

Rules (the same as the live client's, kept local so that loaders do not depend on it):
- member names that are absolute (`/x`, `\\x`, `C:x`) or climb out of the archive (`..`) are refused, whatever
  member is actually read: such an archive was not produced by the producer's tools;
- encrypted members are refused;
- the declared uncompressed size of the archive must stay under a limit, and so must the bytes actually read
  from a member (the declared sizes can lie): a zip bomb stops with an error instead of filling memory or disk.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

from pipelines.parsing import InputError

GIB = 1 << 30


def unsafe_member_name(name: str) -> bool:
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        return True
    return ".." in PurePosixPath(normalized).parts


def open_archive(
    path: Path, label: str, max_expanded_bytes: int
) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The archive and its file members, after the safety checks. The caller closes the archive."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(label, f"not a readable zip archive: {exc}") from exc
    try:
        infos = archive.infolist()
        unsafe = [i.filename for i in infos if unsafe_member_name(i.filename)]
        if unsafe:
            raise InputError(label, f"unsafe member name(s) in the zip, archive refused: {unsafe}")
        encrypted = [i.filename for i in infos if i.flag_bits & 0x1]
        if encrypted:
            raise InputError(label, f"encrypted member(s) in the zip, archive refused: {encrypted}")
        declared = sum(i.file_size for i in infos)
        if declared > max_expanded_bytes:
            raise InputError(
                label,
                f"the archive would expand to {declared:,} bytes, over the limit of {max_expanded_bytes:,}: refused",
            )
    except Exception:
        archive.close()
        raise
    return archive, [i for i in infos if not i.is_dir()]


class _BoundedReader(io.RawIOBase):
    """A member's decompressed stream that raises once more than `limit` bytes came out of it."""

    def __init__(self, raw: io.BufferedIOBase, limit: int, label: str):
        self._raw, self._limit, self._label, self._count = raw, limit, label, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        self._count += len(data)
        if self._count > self._limit:
            raise InputError(self._label, f"member expands past the limit of {self._limit:,} bytes: refused")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, limit: int, buffer_size: int = 1 << 20
) -> io.BufferedReader:
    """A buffered binary stream over one member, decompressed as it is read, bounded to `limit` bytes."""
    return io.BufferedReader(_BoundedReader(archive.open(info), limit, label), buffer_size=buffer_size)


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, limit: int) -> bytes:
    """A small member (metadata, a per-QPV table) read whole, bounded to `limit` bytes."""
    with open_member(archive, info, label, limit) as handle:
        return handle.read()


def member_label(relative: str, member: str) -> str:
    """How errors name a member: `folder/archive.zip (member data.csv)`."""
    return f"{relative} (member {member})"
