"""The typed source registry: every dataset is declared once, as data.

Producers declare their sources in `assets/<producer>/__init__.py` (a `SOURCES` list); the asset factory
(`assets/factory.py`) turns each entry into a raw asset plus its blocking contract check. Adding a source
never edits `pipelines/definitions.py`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Literal

from pipelines.contracts.model import Contract, contract_path, load_contract


@dataclass(frozen=True)
class ReadOptions:
    """How the producer writes its delimited files."""

    separator: str = ";"
    decimal_comma: bool = True  # "44,6"; thousands separators (U+202F, U+00A0, space) are always stripped
    quote_char: str = '"'
    # Spreadsheets (an XLSX, possibly inside a zip): the sheet read and the title rows above its header.
    sheet: str | None = None
    skip_rows: int = 0


@dataclass(frozen=True)
class LiveSpec:
    """Where the live client finds the official files of a source.

    kind "direct": `urls` maps an edition to its official file URL.
    kind "datagouv": `dataset` is a data.gouv.fr dataset id; `resource_title` a regex on resource titles, with
    an optional `(?P<millesime>...)` group (else the edition is the resource's last_modified year).
    kind "page": no file URL is confirmed (a frozen series, or a file URL not yet checked [à vérifier]):
    `page` is the official page and `reason` says why, in French. Such a source is read from the local data
    folder, unless an operator supplies file URLs without code change (`pipelines.sources.live.overrides`: the
    environment variable `QPV_LIVE_URL_<SOURCE NAME IN UPPER CASE>`, checked against the host allow-list).
    """

    kind: Literal["direct", "datagouv", "page"]
    urls: tuple[tuple[int, str], ...] = ()
    dataset: str | None = None
    resource_title: str | None = None
    resource_format: str | None = None
    page: str | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "page" and not (self.page and self.reason):
            raise ValueError(
                "a page LiveSpec needs the official page and the reason why no file URL is given"
            )


@dataclass(frozen=True)
class Source:
    name: str  # raw table `raw.<name>` = Dagster asset key `raw/<name>`
    producer: str  # package under assets/ and folder under data_contracts/
    title: str  # French, shown in the Dagster UI and the docs
    folder: str  # folder of the data directory holding the producer's files, laid out as published
    file_pattern: str  # regex on the file name; its `millesime` group gives the edition
    official_url: str  # the producer's page or file (the live client fetches from there)
    contract: str  # contract file, relative to data_contracts/
    geographie: str  # qpv2015 | qpv2024 | commune | iris | ...
    # The official format (what the live client must receive); loaders also read the local copies' formats.
    format: Literal["csv", "csv_zip", "xlsx_zip", "geojson", "parquet"] = "csv"
    read: ReadOptions = field(default_factory=ReadOptions)
    loader: str = "delimited"  # key in pipelines.sources.loaders.LOADERS
    # Edition of files whose name carries none (a reference table published once, a monthly stock): a fixed
    # label, documented in the contract. At least one of `millesime` group / fixed_millesime must be given;
    # with both, the group must be optional (an official name with a year, a local copy without) and
    # fixed_millesime labels the files whose name gives none (`millesime_of`).
    fixed_millesime: int | None = None
    required: bool = False  # a data folder without this source's files is an error (else: empty raw table)
    # The same edition published in several formats (same file stem): the first suffix present is read.
    prefer_suffixes: tuple[str, ...] = ()
    # Several files per edition, all read (observation files sent by several structures); else one per edition.
    many_files: bool = False
    live: LiveSpec | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"source name {self.name!r} must be a lower-case identifier")
        has_group = "(?P<millesime>" in self.file_pattern
        if not has_group and self.fixed_millesime is None:
            raise ValueError(
                f"source {self.name}: give the edition by a (?P<millesime>...) group in file_pattern "
                "or by fixed_millesime"
            )

    @property
    def file_regex(self) -> re.Pattern[str]:
        return re.compile(self.file_pattern)

    def millesime_of(self, file_name: str) -> int | None:
        """The edition of a file of this source: its name's `millesime` group, else fixed_millesime; None if the
        name does not match file_pattern."""
        match = self.file_regex.fullmatch(file_name)
        if match is None:
            return None
        group = match.groupdict().get("millesime")
        return int(group) if group else self.fixed_millesime

    def load_contract(self) -> Contract:
        return _cached_contract(self.contract)


@functools.cache
def _cached_contract(relative: str) -> Contract:
    return load_contract(contract_path(relative))
