"""Rule counts of a raw SIRENE view, counted once, in the load's own scan (`meta.comptes_regles`).

The contract check of a national stock counts in DuckDB, per edition, the rows each rule of the contract rejects
(`pipelines/checks/validation.py`, `validate_relation`). Over a raw view (`pipelines/sources/stocks.py`: the Parquet stock read in
place, typed when read) that scan reads and types every row again, after the load has already read them once to
check the numeric values and count the rows to quarantine. So the load counts the check's conditions in that same
scan and records them here, one row per (source, edition, condition), with two keys:

- `vue_sha256`: the SHA-256 of the SELECT the view was created with, kept as the view's comment (`mark_view`;
  DuckDB's own rendering of a definition changes when the file is reopened, and `create or replace view` drops
  the comment). The SELECT names the immutable, checksummed, read-only copy of the stock the view reads
  (`stocks/<sha256>.parquet`) and says how each column is typed, so two views with it give the same rows;
- `condition_sha256`: the SHA-256 of the condition's SQL, as `pipelines/contracts/sql.py` writes it from the
  contract (`counted_conditions`, `offending_condition`).

The check uses the counts only when `raw.<source>` is still a view with that definition and every condition it
would count is recorded; otherwise (a table, rows moved to quarantine, a contract or loader that changed, the view
redefined by hand) it counts them by itself, as before. What the check reports does not depend on who counted.
"""

from __future__ import annotations

import hashlib
import re

import duckdb

from pipelines.checks.quarantine import relation_kind
from pipelines.contracts.model import Contract
from pipelines.contracts.sql import counted_conditions, offending_condition
from pipelines.sources.parsing import LINEAGE_COLUMNS
from pipelines.warehouse.connection import transaction

CREATE = (
    "create table if not exists meta.comptes_regles (source varchar, millesime integer, vue_sha256 varchar, "
    "condition_sha256 varchar, condition varchar, lignes bigint)"
)


def load_conditions(contract: Contract) -> list[str]:
    """What the load of a raw view counts: the contract check's conditions and the quarantine's."""
    conditions = counted_conditions(contract)
    present = set(LINEAGE_COLUMNS) | {c.name for c in contract.columns}  # the columns of a raw view
    offending = offending_condition(contract, present)
    if offending is not None and offending not in conditions:
        conditions.append(offending)
    return conditions


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


def mark_view(con: duckdb.DuckDBPyConnection, qualified: str, select: str) -> None:
    """Comment the view `qualified` (created by the code as `select`) with the SHA-256 of `select`."""
    # COMMENT takes no bind parameter: the comment is 64 hexadecimal digits, the name comes from the code
    con.execute(f"comment on view {qualified} is '{_sha256(select)}'")


def view_fingerprint(con: duckdb.DuckDBPyConnection, source: str) -> str | None:
    """The fingerprint `mark_view` left on the view `raw.<source>`; None for a table or an unmarked view."""
    rows = con.execute(
        "select comment from duckdb_views() where schema_name = 'raw' and view_name = $n", {"n": source}
    ).fetchall()
    comment = rows[0][0] if rows else None
    return comment if isinstance(comment, str) and _FINGERPRINT.fullmatch(comment) else None


def record(con: duckdb.DuckDBPyConnection, source: str, counts: dict[int, dict[str, int]] | None) -> None:
    """Replace the source's counts by `counts` (edition -> condition SQL -> rows), keyed by the definition of the
    view `raw.<source>` as published; only the source's old counts are removed when `counts` is None or the raw
    relation is not a view."""
    fingerprint = view_fingerprint(con, source)
    rows = [
        (source, int(edition), fingerprint, _sha256(condition), condition, int(n))
        for edition, by_condition in (counts or {}).items()
        for condition, n in by_condition.items()
    ]
    if fingerprint is None:
        rows = []
    if not rows and relation_kind(con, "meta.comptes_regles") != "table":
        return
    con.execute("create schema if not exists meta")
    with transaction(con):
        con.execute(CREATE)
        con.execute("delete from meta.comptes_regles where source = $s", {"s": source})
        if rows:
            con.executemany("insert into meta.comptes_regles values (?, ?, ?, ?, ?, ?)", rows)


def lookup(con: duckdb.DuckDBPyConnection, source: str, contract: Contract) -> dict[int, list[int]] | None:
    """The recorded counts of `counted_conditions(contract)` per edition (in their order), or None
    unless `raw.<source>` is the view they were counted on and every condition is recorded for every edition."""
    fingerprint = view_fingerprint(con, source)
    if fingerprint is None or relation_kind(con, "meta.comptes_regles") != "table":
        return None
    wanted = [_sha256(c) for c in counted_conditions(contract)]
    found: dict[int, dict[str, int]] = {}
    for edition, condition, n in con.execute(
        "select millesime, condition_sha256, lignes from meta.comptes_regles where source = $s and vue_sha256 = $v",
        {"s": source, "v": fingerprint},
    ).fetchall():
        found.setdefault(edition, {})[condition] = n
    if not found or any(sha not in by for by in found.values() for sha in wanted):
        return None
    return {edition: [by[sha] for sha in wanted] for edition, by in found.items()}
