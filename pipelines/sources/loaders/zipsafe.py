"""Zip safety for the loaders: the shared checks of `zipcore`, raising `InputError` (file named as the
data folder names it, member in parentheses). The live client has the same front raising LiveSourceError
(`pipelines.sources.live.content`)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import BinaryIO

from pipelines.sources.loaders import zipcore
from pipelines.sources.parsing import InputError

GIB = 1 << 30


def _input_error(label: str, message: str) -> InputError:
    return InputError(label, message)


def unsafe_member_name(name: str) -> bool:
    return zipcore.unsafe_reason(name) is not None


def open_archive(
    path: Path | BinaryIO, label: str, max_expanded_bytes: int
) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The archive and its file members, after the safety checks. The caller closes the archive."""
    return zipcore.open_checked(path, label, max_expanded_bytes, _input_error)


def open_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, limit: int, buffer_size: int = 1 << 20
) -> io.BufferedReader:
    """A buffered binary stream over one member, decompressed as it is read, bounded to `limit` bytes."""
    return zipcore.open_member(archive, info, label, limit, _input_error, buffer_size)


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, limit: int) -> bytes:
    """A small member (metadata, a per-QPV table, a workbook) read whole into memory, bounded to `limit` bytes."""
    return zipcore.read_member(archive, info, label, limit, _input_error)


def member_label(relative: str, member: str) -> str:
    """How errors name a member: `folder/archive.zip (member data.csv)`."""
    return f"{relative} (member {member})"
