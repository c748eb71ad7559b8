"""Reading the producers' files: plain functions, no Dagster, testable on small inline inputs.

Files are read with Polars as text, then typed column by column from the contract. Every value that does not
fit its type is reported with the file, the line (as a text editor numbers it: the header is line 1) and the
column (name and position), and nothing is written. Messages are for people: in French, on one line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from pipelines import settings
from pipelines.contracts.model import Contract
from pipelines.contracts.registry import ReadOptions, Source

LINEAGE_COLUMNS = ("millesime", "_fichier", "_sha256", "_ligne")
# Thousands separators seen in the official files: U+202F (narrow no-break space), U+00A0, ordinary space.
_THOUSANDS = "[\u202f\u00a0 \t]"
# A cell with a blank in it is a number only when its digits are grouped by three after a first group of 1 to 3
# (`1 234 567,5`); `1 2 3 4 5` or `12 34` is not a number. Blanks around the cell are allowed.
_GROUPED = (
    f"^{_THOUSANDS}*(?:[^{_THOUSANDS[1:-1]}]*|[+-]?[0-9]{{1,3}}(?:{_THOUSANDS}[0-9]{{3}})+(?:[.,][0-9]*)?)"
    f"{_THOUSANDS}*$"
)


class InputError(ValueError):
    """Bad input data: the message (French, one line) names the file, the line and the column:
    `dossier/fichier.csv, ligne 5, colonne LIBGEO (n° 2) : …`."""

    def __init__(self, file: str, message: str, line: int | None = None, column: str | None = None):
        self.file, self.line, self.column = file, line, column
        where = file
        if line is not None:
            where += f", ligne {line}"
        if column is not None:
            where += f", colonne {column}"
        super().__init__(f"{where} : {message}")


def column_label(name: str, position: int) -> str:
    """How a message names a column: `LIBGEO (n° 2)`, or `n° 2` when the header gives it no name."""
    return f"{name} (n° {position})" if name else f"n° {position}"


def grouped(number: int) -> str:
    """An integer with its thousands separated by spaces, as French writes them: 1 048 576."""
    return f"{number:,}".replace(",", " ")


def first_line(exc: BaseException) -> str:
    """The first line of a library's error (DuckDB, Polars repeat the query or add hints on further lines)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def not_of_type(value: object, logical_type: str, count: int | None = None, marker_hint: bool = False) -> str:
    """The message for a value that does not fit its numeric contract type, with how many such values the
    column holds and, for a value without a digit, the hint to declare it as a "no value" marker."""
    kind = "un entier" if logical_type == "integer" else "un nombre"
    details = [f"{count} valeur(s) de ce type dans cette colonne"] if count is not None else []
    if marker_hint:
        details.append("un marqueur « pas de valeur » doit être déclaré dans les nullValues du contrat")
    return f"{value!r} n'est pas {kind}" + (f" ({' ; '.join(details)})" if details else "")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    relative: str  # path relative to the data directory, as stored in `_fichier`
    millesime: int
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- Checksum cache -------------------------------------------------------------------------------------
# Discovery runs on every sensor tick and every run: hashing a multi-GB SIRENE stock each time would re-read it.
# The sha256 of a file is remembered, keyed by (absolute path, size, mtime_ns, ctime_ns, inode): any write to the
# file (even one restoring its mtime) changes ctime, so a stale entry is never used. The cache is a small SQLite
# file, by default ~/.cache/qpv-observatoire/checksums.sqlite (the data folder may be read-only, like
# ../shared/data); QPV_CHECKSUM_CACHE=<file> moves it, QPV_CHECKSUM_CACHE=off disables it. A cache that cannot be
# read or written is ignored: the file is hashed, as without a cache.
CHECKSUM_CACHE_ENV = settings.CHECKSUM_CACHE


def checksum_cache_path() -> Path | None:
    setting = settings.checksum_cache()
    if setting.lower() in ("off", "0", "none", "false"):
        return None
    if setting:
        return Path(setting)
    return settings.cache_home() / "qpv-observatoire" / "checksums.sqlite"


def _file_identity(path: Path) -> tuple[str, int, int, int, int]:
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def _cache_connection(cache: Path):
    import sqlite3

    cache.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(cache, timeout=10)
    con.execute(
        "create table if not exists checksums (path text primary key, size integer, mtime_ns integer, "
        "ctime_ns integer, inode integer, sha256 text)"
    )
    return con


def cached_sha256(path: Path, cache: Path | None = None) -> str:
    """sha256 of `path`, read from the checksum cache when the file has not changed since it was hashed."""
    import sqlite3

    cache = cache if cache is not None else checksum_cache_path()
    if cache is None:
        return sha256_of(path)
    identity = _file_identity(path)
    try:
        con = _cache_connection(cache)
        try:
            row = con.execute(
                "select sha256 from checksums where path = ? and size = ? and mtime_ns = ? and ctime_ns = ? "
                "and inode = ?",
                identity,
            ).fetchone()
        finally:
            con.close()
    except (sqlite3.Error, OSError):
        return sha256_of(path)
    if row is not None:
        return row[0]
    digest = sha256_of(path)
    if _file_identity(path) != identity:  # changed while being hashed: do not remember it
        return digest
    try:
        con = _cache_connection(cache)
        try:
            with con:
                con.execute("insert or replace into checksums values (?, ?, ?, ?, ?, ?)", (*identity, digest))
        finally:
            con.close()
    except (sqlite3.Error, OSError):
        pass
    return digest


FIRST_EDITION = 2000  # the oldest year a file name of the sources can carry (the QPV date from 2014)


def plausible_edition(millesime: int) -> bool:
    """A year read from a file name that a producer can have published (REVN_9999.csv is a typo, not an edition)."""
    return FIRST_EDITION <= millesime <= date.today().year + 1


def inside(path: Path, root: Path) -> None:
    """Refuse a file or folder of the data folder that is a symbolic link leading out of it (a link to /etc/passwd
    must never reach a table or a report). Links inside the data folder are followed."""
    resolved, base = path.resolve(), root.resolve()
    if resolved != base and base not in resolved.parents:
        raise InputError(
            path.relative_to(root).as_posix(),
            "lien symbolique vers un fichier hors du dossier de données : refusé (copiez le fichier dans le dossier)",
        )


def unmatched_files(folder: Path, sources: list[Source], root: Path) -> list[tuple[str, str | None]]:
    """The files of a data folder that no source of that folder takes, each with the expected name it resembles
    (`IPRO_2019.CSV`, `REVN_2020 (1).csv`, `REVN 2020.csv` -> `REVN_2020.csv`), or None. Hidden files are skipped."""
    out = []
    if not folder.is_dir():
        return out
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if any(s.millesime_of(path.name) is not None for s in sources):
            continue
        out.append((path.relative_to(root).as_posix(), _resembles(path.name, sources)))
    return out


def _resembles(name: str, sources: list[Source]) -> str | None:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = re.sub(r"\s*\(\d+\)$", "", stem).strip().replace(" ", "_").replace("-", "_")
    for candidate in (f"{stem}.{suffix.lower()}", f"{stem.upper()}.{suffix.lower()}", f"{stem}.{suffix}"):
        if any(s.millesime_of(candidate) is not None for s in sources):
            return candidate
    return None


def discover_files(source: Source, root: Path) -> list[SourceFile]:
    """The files of `source` present under `root/<folder>`, one per edition, oldest first.

    Two files for one edition is an error, unless the source publishes the same data in several formats
    (`prefer_suffixes`, e.g. SIRENE's Parquet and CSV zip): then the preferred format is taken.
    """
    folder = root / source.folder
    if not folder.is_dir():
        return []
    inside(folder, root)
    candidates: dict[int, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        millesime = source.millesime_of(path.name)
        if millesime is None or not path.is_file():
            continue
        inside(path, root)
        if source.file_regex.fullmatch(path.name).groupdict().get("millesime") and not plausible_edition(
            millesime
        ):
            raise InputError(
                path.relative_to(root).as_posix(),
                f"édition {millesime} invraisemblable (attendue entre {FIRST_EDITION} et {date.today().year + 1}) : "
                "fichier refusé",
            )
        candidates.setdefault(millesime, []).append(path)
    found = []
    for millesime in sorted(candidates):
        paths = candidates[millesime]
        if len(paths) > 1 and source.many_files:
            found += [
                SourceFile(p, p.relative_to(root).as_posix(), millesime, cached_sha256(p)) for p in paths
            ]
            continue
        if len(paths) > 1:
            ranked = [p for suffix in source.prefer_suffixes for p in paths if p.name.endswith(suffix)]
            if len({p.name.rsplit(".", 1)[0] for p in paths}) > 1 or not ranked:
                others = ", ".join(p.relative_to(root).as_posix() for p in paths[1:])
                raise InputError(str(paths[0]), f"édition {millesime} fournie aussi par {others}")
            paths = ranked[:1]
        path = paths[0]
        found.append(
            SourceFile(
                path=path,
                relative=path.relative_to(root).as_posix(),
                millesime=millesime,
                sha256=cached_sha256(path),
            )
        )
    return found


def read_header(path: Path, options: ReadOptions, label: str | None = None) -> list[str]:
    """The header cells as written (BOM removed), including the empty trailing ones."""
    label = label or str(path)
    with path.open("rb") as handle:
        raw = handle.readline(MAX_LINE_BYTES + 1)
    if len(raw) > MAX_LINE_BYTES:
        raise InputError(
            label,
            f"ligne d'en-tête de plus de {grouped(MAX_LINE_BYTES)} octets : pas un fichier délimité ?",
            1,
        )
    try:
        first = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(raw, exc, options, label, None) from exc
    if not first.strip():
        raise InputError(label, "fichier vide (pas de ligne d'en-tête)", line=1)
    return next(csv.reader(io.StringIO(first), delimiter=options.separator, quotechar=options.quote_char))


# Longest line accepted in a delimited file (the widest official line, REVN 2021, is about 1.3 kB): a longer one
# is a broken quote, a missing end of line or not a data file, refused before it fills memory.
MAX_LINE_BYTES = 1 << 20
_OTHER_SEPARATORS = (";", ",", "\t", "|")


def _not_utf8(
    data: bytes, exc: UnicodeDecodeError, options: ReadOptions, label: str, header: list[str] | None
) -> InputError:
    """The error for bytes that are not UTF-8, at the line and column of the first bad byte."""
    start = exc.start
    line = data.count(b"\n", 0, start) + 1
    line_start = data.rfind(b"\n", 0, start) + 1
    field = data.count(options.separator.encode(), line_start, start) + 1
    name = header[field - 1].strip() if header and field <= len(header) else ""
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) > 3 and b"\x00" in data[:4])
    guess = (
        "le fichier est en UTF-16 (marque d'ordre des octets ou octets nuls entre les caractères)"
        if utf16
        else "le fichier est probablement en Latin-1 / Windows-1252"
    )
    return InputError(
        label,
        f"pas en UTF-8 : octet 0x{data[start]:02x} ({data[max(line_start, start - 12) : start + 4]!r}) ; "
        f"{guess} : le réencoder en UTF-8",
        line=line,
        column=column_label(name, field),
    )


def check_layout(data: bytes, header: list[str], options: ReadOptions, label: str) -> int:
    """Refuse what Polars would read wrongly or without saying where: bytes that are not UTF-8, the wrong
    separator, a line over MAX_LINE_BYTES, a stray quote (`check_quotes`: lines merged into one record), a line
    with more or fewer fields than the header (a truncated file, a broken line). Every official file has as many
    fields on every line as in its header, and one record per line. Returns the number of data lines (physical
    lines after the header, trailing empty lines excluded), which the records read must match."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data, exc, options, label, header) from exc
    sep = options.separator
    nul = data.find(b"\x00")
    if nul >= 0:
        line_start = data.rfind(b"\n", 0, nul) + 1
        field = data.count(sep.encode(), line_start, nul) + 1
        name = header[field - 1].strip() if field <= len(header) else ""
        raise InputError(
            label,
            "octet NUL (0x00) dans un fichier texte : données binaires, copie endommagée ou fichier dans un autre "
            "encodage",
            line=data.count(b"\n", 0, nul) + 1,
            column=column_label(name, field),
        )
    if len(header) == 1:
        for other in _OTHER_SEPARATORS:
            if other != sep and header[0].count(other) >= 1:
                raise InputError(
                    label,
                    f"l'en-tête n'a aucun séparateur {sep!r} mais {header[0].count(other)} {other!r} : "
                    f"le fichier est séparé par {other!r}, le contrat attend {sep!r}",
                    line=1,
                )
    lines = data.split(b"\n")
    while lines and not lines[-1].strip(b"\r"):
        lines.pop()  # the end of the last line
    longest = max(range(len(lines)), key=lambda i: len(lines[i]), default=None)
    if longest is not None and len(lines[longest]) > MAX_LINE_BYTES:
        raise InputError(
            label,
            f"ligne de {grouped(len(lines[longest]))} octets, au-delà de la limite de {grouped(MAX_LINE_BYTES)} : "
            "guillemet non refermé, fin de ligne manquante ou pas un fichier de données",
            line=longest + 1,
        )
    expected = len(header)
    if options.quote_char.encode() not in data:
        counts = ((i + 1, line.count(sep.encode()) + 1) for i, line in enumerate(lines))
    else:
        check_quotes(text.removeprefix("\ufeff").split("\n")[: len(lines)], header, options, label)
        reader = csv.reader(
            io.StringIO(text.removeprefix("\ufeff")), delimiter=sep, quotechar=options.quote_char
        )
        counts = ((reader.line_num, len(row)) for row in reader)
    for line, fields in counts:
        if fields != expected:
            raise InputError(
                label,
                f"{fields} champ(s) alors que l'en-tête en a {expected} : "
                + (
                    "fichier tronqué ou ligne coupée"
                    if fields < expected
                    else "un séparateur de trop dans une valeur"
                ),
                line=line,
            )
    return max(len(lines) - 1, 0)


def _shown(value: str, limit: int = 40) -> str:
    """A value quoted in a message, cut to `limit` characters."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _closing_quote(line: str, start: int, quote: str) -> int:
    """Where the quoted value open before `start` closes on `line` (a quote not doubled), or -1."""
    while True:
        found = line.find(quote, start)
        if found < 0 or not line.startswith(quote, found + len(quote)):
            return found
        start = found + 2 * len(quote)


def check_quotes(lines: list[str], header: list[str], options: ReadOptions, label: str) -> None:
    """Refuse a quote (`"`) that Polars would read wrongly. A value may be quoted only whole and on one line,
    a quote inside it doubled: `"QP001001"` in data_DEMO_2021_V1_QP.csv (every value of the file quoted), the
    EPCI name `CA de Blois "Agglopolys"` of the COG and Filosofi, between quotes with its own quotes doubled.
    A quote that opens a value closed on a later line (or never) merges those lines into one record: QPV
    vanish and another takes their values, silently when the field counts still match. A quote inside an
    unquoted value, or text after a closing quote, is refused too (Polars either fails without saying where
    or pairs it with the next quote of the file). `lines`: the file's lines, BOM removed, split on line feeds.
    """
    quote, sep = options.quote_char, options.separator
    q, s = re.escape(quote), re.escape(sep)
    value = rf"(?:{q}(?:[^{q}]|{q}{q})*{q}|[^{s}{q}]*)"
    well_quoted = re.compile(rf"{value}(?:{s}{value})*")
    for index, raw in enumerate(lines):
        if quote in raw and not well_quoted.fullmatch(raw.removesuffix("\r")):
            raise _quote_error(lines, index, header, options, label)


def _quote_error(
    lines: list[str], index: int, header: list[str], options: ReadOptions, label: str
) -> InputError:
    """The error for the first badly placed quote of line `index` (0-based), naming the lines it merges."""
    quote, sep = options.quote_char, options.separator
    line = lines[index].removesuffix("\r")
    number, pos, field = index + 1, 0, 1

    def where(message: str) -> InputError:
        name = header[field - 1].strip() if field <= len(header) else ""
        return InputError(label, message, line=number, column=column_label(name, field))

    while True:
        end = line.find(sep, pos)
        end = len(line) if end < 0 else end
        if line.startswith(quote, pos):
            close = _closing_quote(line, pos + 1, quote)
            if close < 0:  # the quoted value goes on over the following lines
                for later in range(index + 1, len(lines)):
                    if _closing_quote(lines[later].removesuffix("\r"), 0, quote) >= 0:
                        return where(
                            f"guillemet ({quote}) ouvrant une valeur refermé seulement ligne {later + 1} : "
                            f"les lignes {number} à {later + 1} seraient lues comme un seul enregistrement "
                            f"({later - index} ligne(s) perdue(s)) ; une valeur ne peut pas s'étendre sur "
                            "plusieurs lignes : guillemet parasite ?"
                        )
                return where(
                    f"guillemet ({quote}) ouvrant une valeur jamais refermé : les lignes {number} à {len(lines)} "
                    "(fin du fichier) seraient lues comme un seul enregistrement : guillemet parasite ?"
                )
            after = close + len(quote)
            if after < len(line) and not line.startswith(sep, after):
                end = line.find(sep, after)
                end = len(line) if end < 0 else end
                return where(
                    f"texte après le guillemet fermant de la valeur {_shown(line[pos:end])} : une valeur ne peut "
                    f"être entre guillemets qu'en entier ({quote}…{quote}, un guillemet intérieur doublé) : "
                    "guillemet parasite ?"
                )
            end = after
        elif 0 <= line.find(quote, pos) < end:
            inner = line.find(quote, pos)
            following = line.find(quote, inner + len(quote))
            later = index
            while following < 0 and later + 1 < len(lines):
                later += 1
                following = lines[later].find(quote)
            merged = (
                f" ; avec le guillemet suivant, ligne {later + 1}, les lignes {number} à {later + 1} risquent "
                "d'être lues comme un seul enregistrement"
                if later > index and following >= 0
                else ""
            )
            return where(
                f"guillemet ({quote}) au milieu de la valeur {_shown(line[pos:end])}{merged} ; une valeur ne peut "
                f"être entre guillemets qu'en entier ({quote}…{quote}, un guillemet intérieur doublé) : "
                "guillemet parasite ?"
            )
        if end >= len(line):
            return InputError(label, f"guillemet ({quote}) mal placé", line=number)  # not reached
        pos, field = end + len(sep), field + 1


@dataclass(frozen=True)
class TextTable:
    frame: pl.DataFrame  # `_ligne` (line number in the file) + every named column, as text
    positions: dict[str, int]  # column name -> its number in the file (1-based), for error messages


def read_text_table(path: Path, options: ReadOptions, label: str | None = None) -> TextTable:
    """Every named column as text (blank cell -> null), plus `_ligne`, the line number in the file.

    Unnamed columns (the ANCT exports end every line with hundreds of empty `;` cells) are dropped;
    header names are stripped of spaces (IPRO 2019 has `EVOL_CA_N_E `).
    """
    label = label or str(path)
    return text_table_from(path, read_header(path, options, label), options, label)


def text_table_from(
    source: Path | io.BytesIO,
    header: list[str],
    options: ReadOptions,
    label: str,
    header_only_is_empty: bool = False,
) -> TextTable:
    """The text table of a delimited file (a path, or UTF-8 bytes such as a zip member) whose header is given."""
    names = [h.strip() for h in header]
    positions = [i for i, n in enumerate(names) if n]
    duplicates = {n for n in names if n and names.count(n) > 1}
    if duplicates:
        raise InputError(label, f"noms de colonnes en double dans l'en-tête : {sorted(duplicates)}", line=1)
    columns = [n or f"__unnamed_{i}" for i, n in enumerate(names)]
    data = source.read_bytes() if isinstance(source, Path) else source.getvalue()
    data_lines = check_layout(data, header, options, label)
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            separator=options.separator,
            quote_char=options.quote_char,
            has_header=False,
            skip_rows=1,
            infer_schema=False,
            new_columns=columns,
            truncate_ragged_lines=False,
            encoding="utf8",
        )
    except pl.exceptions.NoDataError as exc:
        if not header_only_is_empty:
            raise InputError(label, "en-tête seul : aucune ligne de données après l'en-tête", line=1) from exc
        frame = pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    except pl.exceptions.ComputeError as exc:
        raise InputError(
            label, f"illisible comme fichier séparé par '{options.separator}' : {first_line(exc)}"
        ) from exc
    if frame.height != data_lines:
        raise _records_error(frame, columns, data_lines, label)
    frame = frame.select([pl.col(names[i]).str.strip_chars().replace("", None) for i in positions])
    frame = frame.with_row_index("_ligne", offset=2).with_columns(pl.col("_ligne").cast(pl.Int64))
    return TextTable(frame=frame, positions={names[i]: i + 1 for i in positions})


def _records_error(frame: pl.DataFrame, columns: list[str], data_lines: int, label: str) -> InputError:
    """Polars read another number of records than the file has data lines (check_layout should have refused
    the cause first): the error names the first record that holds a line break, i.e. the lines it merges."""
    counts = f"{grouped(frame.height)} enregistrement(s) lu(s) pour {grouped(data_lines)} ligne(s) de données"
    breaks = pl.sum_horizontal([pl.col(c).fill_null("").str.count_matches("\n") for c in columns])
    spans = frame.select(breaks.alias("n")).with_row_index("i").filter(pl.col("n") > 0)
    if spans.is_empty():
        return InputError(label, f"{counts} : ligne vide, fin de ligne ou guillemet mal placé ?")
    first = int(spans["i"][0]) + 2  # the records before it are one line each
    last = first + int(spans["n"][0])
    return InputError(
        label,
        f"{counts} : les lignes {first} à {last} sont lues comme un seul enregistrement (guillemet parasite ?)",
        line=first,
    )


@dataclass(frozen=True)
class ColumnMatch:
    canonical: str  # contract column name
    header: str  # as written in the file
    position: int  # 1-based position in the file, for error messages


def header_columns(
    header: list[str], contract: Contract, millesime: int | None = None
) -> tuple[list[ColumnMatch], list[str], list[str]]:
    """Contract columns found in `header` (case-insensitive, aliases accepted; an alias with the year `{aa}` stands
    for edition `millesime`'s year only, any year when it is not known), the headers the contract does not
    describe, and one message per further header for a contract column already found (the first one is kept)."""
    aliases = contract.alias_map(millesime)
    seen: dict[str, str] = {}
    matches: list[ColumnMatch] = []
    unknown: list[str] = []
    clashes: list[str] = []
    for position, raw in enumerate(header, start=1):
        name = raw.strip()
        if not name:
            continue
        canonical = aliases.get(name.upper())
        if canonical is None:
            unknown.append(name)
        elif canonical in seen:
            clashes.append(
                f"les colonnes {seen[canonical]!r} et {name!r} sont la même colonne du contrat : {canonical}"
            )
        else:
            seen[canonical] = name
            matches.append(ColumnMatch(canonical, name, position))
    return matches, unknown, clashes


def match_columns(
    header: list[str],
    contract: Contract,
    label: str,
    line: int | None,
    millesime: int | None = None,
) -> tuple[list[ColumnMatch], list[str]]:
    """Contract columns found in `header` (case-insensitive, aliases accepted) and the undeclared ones.

    A column the contract does not describe is returned (recorded by the load, not loaded), never an error here
    (`qpv run --strict` turns it into one for the contracts that say `unknownColumns: reject`: `drift_error`).
    Raises InputError on two headers for one contract column and on a required column missing from an edition
    the column is declared for (`editions:`).
    """
    matches, unknown, clashes = header_columns(header, contract, millesime)
    if clashes:
        raise InputError(label, clashes[0], line)
    present = {m.canonical for m in matches}
    missing = [
        c.name for c in contract.columns if c.required and c.in_edition(millesime) and c.name not in present
    ]
    if missing:
        raise InputError(
            label,
            f"colonne(s) obligatoire(s) absente(s) : {missing}"
            + (f" ; colonne(s) hors contrat : {unknown}" if unknown else "")
            + f" (contrat {contract.name} {contract.version})",
            line,
        )
    return matches, unknown


def drift_error(contract: Contract, label: str, unknown: list[str], absent: list[str]) -> InputError:
    """Schema drift as an error (`--strict`, contracts with `unknownColumns: reject`): the new and the absent
    columns of one file."""
    return InputError(
        label,
        f"dérive du schéma : colonne(s) hors contrat : {unknown} ; colonne(s) du contrat absente(s) de ce fichier : "
        f"{absent} (contrat {contract.name} {contract.version} : ajouter les nouveaux noms comme colonnes ou alias)",
        line=1,
    )


def absent_columns(contract: Contract, present: set[str], millesime: int | None) -> list[str]:
    """Contract columns declared for edition `millesime` (`editions:`) that the file does not have: NULL for
    that edition, with a note."""
    return [c.name for c in contract.columns if c.name not in present and c.in_edition(millesime)]


def header_notes(header: list[str], contract: Contract, millesime: int | None) -> dict[str, list[str]]:
    """What a file's header says against the contract, for the notes of a load: `absent` (declared for this
    edition, not in the file: NULL) and `outside_editions` (in the file, declared for other editions only)."""
    aliases = contract.alias_map()
    present = {aliases[h.strip().upper()] for h in header if h.strip() and h.strip().upper() in aliases}
    notes = {
        "absent": absent_columns(contract, present, millesime),
        "outside_editions": [
            c.name
            for c in contract.columns
            if c.name in present and c.editions and not c.in_edition(millesime)
        ],
    }
    return {k: v for k, v in notes.items() if v}


def _number_text(expr: pl.Expr, decimal_comma: bool) -> pl.Expr:
    """The text of a number without its thousands separators, with a decimal point; null when the separators
    do not group the digits by three (`1 2 3 4 5`, `12 34`)."""
    # (nested: the grouping is only looked at in the cells that have a blank, much faster than `|`)
    ungrouped = pl.when(expr.str.contains(_GROUPED)).then(expr.str.replace_all(_THOUSANDS, ""))
    text = pl.when(expr.str.contains(_THOUSANDS)).then(ungrouped).otherwise(expr)
    if decimal_comma:
        text = text.str.replace(",", ".", literal=True)
    return text


def clean_number(expr: pl.Expr, decimal_comma: bool = True) -> pl.Expr:
    """Text -> Float64: strips thousands separators (groups of three digits only), reads the decimal comma.
    Unparseable -> null."""
    return _number_text(expr, decimal_comma).cast(pl.Float64, strict=False)


# Largest integer an integer column holds (Int64), as French writes it in a message.
INT64_MAX = 2**63 - 1


def clean_integer(expr: pl.Expr, decimal_comma: bool = True) -> pl.Expr:
    """Text -> Int64. Plain digits are read exactly (`9007199254740993` is not rounded through a float); other
    numbers (`1 234`, `12,0`) through `clean_number`. Unparseable or beyond Int64 -> null (`type_columns`
    tells which, `clean_number` parses what is a number at all); a number with a fraction is truncated, so
    check wholeness first."""
    as_float = clean_number(expr, decimal_comma)
    return pl.coalesce(expr.cast(pl.Int64, strict=False), as_float.cast(pl.Int64, strict=False))


def type_columns(
    table: TextTable,
    contract: Contract,
    options: ReadOptions,
    label: str,
    millesime: int | None = None,
) -> tuple[pl.DataFrame, list[str]]:
    """Rename aliases to canonical names, check required columns, cast each column to its contract type.

    Raises InputError naming the file, line and column of the first value that is not of its type.
    Columns of the contract absent from this edition are added as nulls, so every edition has the same shape.
    Returns the typed frame and the columns of the file that the contract does not describe (dropped).
    """
    frame = table.frame
    matches, unknown = match_columns(
        [c for c in frame.columns if c != "_ligne"], contract, label, 1, millesime=millesime
    )
    renames = {m.header: m.canonical for m in matches}
    present = set(renames.values())
    frame = frame.drop(unknown).rename(renames)
    if contract.null_values:
        markers = list(contract.null_values)
        frame = frame.with_columns(
            [pl.when(pl.col(c).is_in(markers)).then(None).otherwise(pl.col(c)).alias(c) for c in present]
        )
    source_name = {v: k for k, v in renames.items()}

    def refuse(bad: pl.DataFrame, column: str, message) -> InputError:
        """The error naming the first row of `bad`: message(its cell) at its line and column."""
        row = bad.row(0, named=True)
        header = source_name[column]
        return InputError(
            label,
            message(row[column]),
            line=row["_ligne"],
            column=column_label(header, table.positions[header]),
        )

    casts = []
    for col in contract.columns:
        if col.name not in present:
            dtype = pl.String if col.logical_type == "string" else pl.Float64
            if col.logical_type == "integer":
                dtype = pl.Int64
            casts.append(pl.lit(None, dtype=dtype).alias(col.name))
            continue
        if col.logical_type == "string":
            continue
        parsed = clean_number(pl.col(col.name), options.decimal_comma)
        bad = frame.filter(pl.col(col.name).is_not_null() & parsed.is_null())
        if bad.is_empty() and not col.non_finite:
            bad = frame.filter(parsed.is_not_null() & (parsed.is_nan() | parsed.is_infinite()))
            if not bad.is_empty():
                raise refuse(
                    bad,
                    col.name,
                    lambda cell, n=bad.height: (
                        f"valeur non finie {cell!r} ({grouped(n)} cellule(s)) : NaN et infini "
                        "sont refusés, le contrat ne les déclare pas (logicalTypeOptions: {nonFinite: true})"
                    ),
                )
        integer = (
            clean_integer(pl.col(col.name), options.decimal_comma) if col.logical_type == "integer" else None
        )
        if integer is not None and bad.is_empty():
            bad = frame.filter(parsed.is_not_null() & (parsed != parsed.round(0)))
        if integer is not None and bad.is_empty():
            beyond = frame.filter(parsed.is_not_null() & integer.is_null())
            if not beyond.is_empty():
                raise refuse(
                    beyond,
                    col.name,
                    lambda cell, n=beyond.height: (
                        f"{cell!r} est hors de l'étendue des entiers (de "
                        f"-{grouped(INT64_MAX + 1)} à {grouped(INT64_MAX)}) ({grouped(n)} valeur(s) de ce type dans "
                        "cette colonne)"
                    ),
                )
        if not bad.is_empty():
            raise refuse(
                bad,
                col.name,
                lambda cell, n=bad.height, kind=col.logical_type: not_of_type(
                    cell, kind, n, marker_hint=not any(ch.isdigit() for ch in str(cell))
                ),
            )
        casts.append(integer.alias(col.name) if integer is not None else parsed)
    frame = frame.with_columns(casts)
    return frame.select(contract.column_names + ["_ligne"]), unknown


def load_source(source: Source, files: list[SourceFile]) -> tuple[pl.DataFrame, dict[str, list[str]]]:
    """All editions of a source as one typed frame with lineage columns; also the undeclared columns per file."""
    contract = source.load_contract()
    frames, undeclared = [], {}
    for sf in files:
        text = read_text_table(sf.path, source.read, label=sf.relative)
        typed, unknown = type_columns(text, contract, source.read, sf.relative, millesime=sf.millesime)
        if unknown:
            undeclared[sf.relative] = unknown
        frames.append(with_lineage(typed, sf))
    return combine(frames, contract), undeclared


# --- Lineage: every raw row says which file, edition and line it comes from -------------------------------------

POLARS_TYPES = {"string": pl.String, "number": pl.Float64, "integer": pl.Int64}


def with_lineage(frame: pl.DataFrame, sf: SourceFile) -> pl.DataFrame:
    """`frame` (the contract's columns and `_ligne`) stamped with the file it was read from: its edition
    (`millesime`), its path in the data folder (`_fichier`) and its sha256 (`_sha256`)."""
    return frame.with_columns(
        pl.lit(sf.millesime, dtype=pl.Int32).alias("millesime"),
        pl.lit(sf.relative).alias("_fichier"),
        pl.lit(sf.sha256).alias("_sha256"),
    )


def empty_frame(contract: Contract) -> pl.DataFrame:
    """A Polars frame of the raw table's shape with no row (contracts without geometry columns)."""
    schema = {"millesime": pl.Int32, "_fichier": pl.String, "_sha256": pl.String, "_ligne": pl.Int64}
    schema.update({c.name: POLARS_TYPES[c.logical_type] for c in contract.columns})
    return pl.DataFrame(schema=schema)


def combine(frames: list[pl.DataFrame], contract: Contract) -> pl.DataFrame:
    """The files' frames (each through `with_lineage`) as one raw table: the lineage columns, then the
    contract's, in that order; no frame at all: the same columns, no row."""
    if not frames:
        return empty_frame(contract)
    return pl.concat(frames, how="vertical").select(list(LINEAGE_COLUMNS) + contract.column_names)


# QPV codes: 2015 geography `QP` + département on 3 characters + 3 digits (QP059077, QP02A001, QP974049);
# 2024 geography `QN` + département on 3 characters + 2 digits + a letter (QN05901M). Same as the contracts.
QPV_CODE_PATTERNS = {
    "qpv2015": r"QP(?:0[0-9]{2}|02[AB]|9[0-9]{2})[0-9]{3}",
    "qpv2024": r"QN(?:0[0-9]{2}|02[AB]|9[0-9]{2})[0-9]{2}[A-Z]",
}


def parse_qpv_code(value: object, geographie: str | None = None, label: str = "code QPV") -> str:
    """A QPV code as written in a file or typed by a user: surrounding blanks removed (as the reader does for
    every cell), nothing else repaired. A malformed code raises InputError quoting the value."""
    import re

    if geographie is not None and geographie not in QPV_CODE_PATTERNS:
        raise ValueError(f"unknown geography {geographie!r} (known: {sorted(QPV_CODE_PATTERNS)})")
    patterns = [QPV_CODE_PATTERNS[geographie]] if geographie else list(QPV_CODE_PATTERNS.values())
    code = value.strip() if isinstance(value, str) else None
    if code is None or not any(re.fullmatch(p, code) for p in patterns):
        expected = {"qpv2015": "QP059077", "qpv2024": "QN05901M"}
        examples = " ou ".join(expected[g] for g in ([geographie] if geographie else expected))
        raise InputError(label, f"code QPV mal formé {value!r} (attendu par exemple {examples})")
    return code
