"""Breaking drift holds back one file, not the world.

A file that cannot be read as its contract says (a used column missing or retyped, the key changed, a value that
is not of its type) or whose rows break a blocking contract rule is *held back*: the other files of its source,
and every other source, are loaded and published; for the held-back edition, the rows of the last published
version stay as they were (copied from the run's build, itself a copy of the published warehouse). The run then
publishes and `qpv run` exits with status 3, naming each held-back file, the reason and the command to inspect
it. `qpv run --strict` restores "any problem stops everything" (the loader's error or the blocking check stops
the run, nothing is published).

Checked here before publication: what the loader refuses, and the contract's row rules and per-edition table
rules (the Great Expectations suite, on tables of at most `validation.FRAME_MAX_ROWS` rows). The cross-table
rules (`references`, `sum`: the `integrite` check) still block the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import duckdb

from pipelines.contracts.model import Contract
from pipelines.contracts.registry import Source
from pipelines.sources.parsing import InputError, SourceFile


@dataclass
class HeldBack:
    file: str  # as stored in `_fichier` (relative to the data folder)
    millesime: int
    reason: str  # the loader's error or the failed rules, one line each
    kept_rows: int = 0  # rows of the last published version kept for that edition (0: none was published)
    dataset: str = ""

    @property
    def inspect(self) -> str:
        return f"qpv contracts check <dossier de données>/{self.file} --dataset {self.dataset}"

    def to_metadata(self) -> dict:
        return asdict(self) | {"inspect": self.inspect}


def owner_of(error: InputError, files: list[SourceFile]) -> SourceFile | None:
    """The file an input error names (`folder/file.csv` or `folder/archive.zip (member x.csv)`), if any."""
    for sf in files:
        if error.file in (sf.relative, str(sf.path)) or error.file.startswith(f"{sf.relative} (member "):
            return sf
    return None


def load_holding_back(
    load: Callable, source: Source, files: list[SourceFile], con: duckdb.DuckDBPyConnection, table: str
):
    """Load `files` into `table`; a file the loader refuses is left out (and the others loaded again).

    Returns (the load report, the files loaded, the files held back). An error that names no file of the list
    (a problem of the source as a whole) is raised."""
    held: list[HeldBack] = []
    remaining = list(files)
    while True:
        try:
            return load(source, remaining, con, table), remaining, held
        except InputError as error:
            sf = owner_of(error, remaining)
            if sf is None:
                raise
            held.append(HeldBack(sf.relative, sf.millesime, str(error), dataset=source.name))
            remaining = [f for f in remaining if f is not sf]
            if not remaining:
                return None, remaining, held


def failing_editions(
    con: duckdb.DuckDBPyConnection, relation: str, contract: Contract, remember: Callable | None = None
) -> dict[int, str]:
    """The editions of `relation` (a SELECT over a loaded table) whose rows break a blocking rule of the
    contract: edition -> the failed rules, one line each. The whole table is validated once; only when it fails
    is each edition validated alone, to know which ones hold the failures. `remember(report, frame)` receives
    the validation of the whole table when it passed (the contract check reuses it on the same rows)."""
    from pipelines.checks.validation import validate_relation

    report, frame = validate_relation(con, relation, contract)
    if report.passed:
        if remember is not None:
            remember(report, frame)
        return {}
    query = f"select distinct millesime from ({relation}) order by 1"  # noqa: S608 - built by the code
    editions = [row[0] for row in con.execute(query).fetchall()]
    failing = {}
    for edition in editions:
        query = f"select * from ({relation}) where millesime = {int(edition)}"  # noqa: S608 - built by the code
        alone, _ = validate_relation(con, query, contract)
        if alone.errors:
            failing[int(edition)] = "\n".join(f.one_line() for f in alone.errors)
    # empty when no edition fails alone (a rule across editions): the check then blocks the run
    return failing


def keep_published_rows(
    con: duckdb.DuckDBPyConnection, name: str, incoming: str, held: list[HeldBack], by_file: bool
) -> None:
    """Copy into `incoming` the rows of `raw.<name>` (the last published version, in the run's build) of each
    held-back edition (of the held-back file only, for sources with several files per edition), and count them
    in `kept_rows`. Columns the published table lacks are NULL; columns the contract dropped are not copied."""
    from pipelines.checks.quarantine import relation_kind

    def where(item: HeldBack) -> tuple[str, list]:
        if by_file:
            return "millesime = ? and _fichier = ?", [item.millesime, item.file]
        return "millesime = ?", [item.millesime]

    for item in held:  # the rows loaded from a held-back edition (rules failed) leave the incoming table
        condition, params = where(item)
        con.execute(f"delete from {incoming} where {condition}", params)  # noqa: S608 - built by the code
    if relation_kind(con, f"raw.{name}") is None:  # nothing published yet
        return
    published = {r[0] for r in con.execute(f"describe raw.{name}").fetchall()}
    columns = [r[0] for r in con.execute(f"describe {incoming}").fetchall() if r[0] in published]
    names = ", ".join(f'"{c}"' for c in columns)
    for item in held:
        condition, params = where(item)
        con.execute(
            f"insert into {incoming} ({names}) select {names} from raw.{name} where {condition}",  # noqa: S608
            params,
        )
        [(item.kept_rows,)] = con.execute(
            f"select count(*) from {incoming} where {condition}",  # noqa: S608
            params,
        ).fetchall()
