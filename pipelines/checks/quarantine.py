"""Quarantine: the rows a contract allows to drop, moved out of the raw table before it is published.

A contract marks a rule as droppable with `onFail: quarantine` (a column's constraints: pattern, range, allowed
values, blank; or a `boundingBox` row rule). Before `raw.<dataset>` is published, the rows violating such a rule
are copied to `quarantine.<dataset>` (one row per violated rule: edition, file, line, key, column, value, rule,
French reason, the whole record as JSON, run id and time) and deleted from the incoming table. Everything is
evaluated in DuckDB, in two statements per dataset. The quarantine table is swapped in with the raw table, in
the same transaction (`publish`). Nothing is silently dropped: the raw asset's metadata and log give the counts
per rule and the first rows. Rules without `onFail: quarantine` stay with the contract check, which stops the run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from pipelines.contracts.model import Contract
from pipelines.contracts.sql import (
    RuleSQL,
    droppable_rules,
    key,
    literal,
    not_excluded,
    offending_condition,
    present_rules,
    row_json,
)
from pipelines.warehouse.connection import transaction

MAX_EXAMPLES = 10

QUARANTINE_COLUMNS = (
    ("millesime", "integer"),
    ("fichier", "varchar"),
    ("ligne", "bigint"),
    ("cle", "varchar"),
    ("colonne", "varchar"),
    ("valeur", "varchar"),
    ("regle", "varchar"),
    ("raison", "varchar"),
    ("enregistrement", "json"),
    ("run_id", "varchar"),
    ("horodatage", "timestamp with time zone"),
)


@dataclass(frozen=True)
class QuarantineRule(RuleSQL):
    """A droppable rule (pipelines/contracts/sql.py, `droppable_rules`) with the reason shown in the table."""

    reason: str  # French, shown in the quarantine table


@dataclass
class QuarantineReport:
    dataset: str
    rows_quarantined: int = 0  # distinct rows removed from the raw table
    by_rule: dict[str, int] = field(default_factory=dict)  # "rule column" -> violations
    examples: list[dict[str, Any]] = field(default_factory=list)
    rules: int = 0  # droppable rules declared

    def one_line(self) -> str:
        if not self.rows_quarantined:
            return f"{self.dataset} : aucune ligne mise en quarantaine ({self.rules} règle(s) à quarantaine)"
        detail = ", ".join(f"{rule} : {n}" for rule, n in self.by_rule.items())
        first = self.examples[0] if self.examples else {}
        return (
            f"{self.dataset} : {self.rows_quarantined} ligne(s) mise(s) en quarantaine dans "
            f"quarantine.{self.dataset} ({detail}) ; première : fichier {first.get('fichier')}, "
            f"ligne {first.get('ligne')}, colonne {first.get('colonne')}, valeur {first.get('valeur')!r}"
        )

    def to_metadata(self) -> dict[str, Any]:
        return {
            "quarantined_rows": self.rows_quarantined,
            "quarantine_by_rule": self.by_rule,
            "quarantine_first_rows": self.examples,
            "quarantine_table": f"quarantine.{self.dataset}",
        }


def _reason(contract: Contract, rule: RuleSQL) -> str:
    """The French reason a row is quarantined under `rule` (one of `droppable_rules(contract)`)."""
    if rule.rule == "bounding_box":
        [box_rule] = [b for b in contract.bounding_boxes if f"{b.longitude},{b.latitude}" == rule.column]
        return f"coordonnées hors des emprises de la France ({', '.join(b.name for b in box_rule.boxes)})"
    col = contract.column(rule.column)
    if rule.rule == "not_null":
        return "valeur manquante (vide interdit)"
    if rule.rule == "range":
        unit = f" {col.unit}" if col.unit else ""
        return f"valeur hors de l'intervalle [{col.minimum}, {col.maximum}]{unit}"
    if rule.rule == "pattern":
        return f"valeur au format invalide (attendu : {col.pattern})"
    return f"valeur hors de la liste autorisée {list(col.allowed_values or ())}"


def quarantine_rules(contract: Contract) -> list[QuarantineRule]:
    """The contract's droppable rules, as SQL conditions on the raw table's columns (pipelines/contracts/sql.py)."""
    return [
        QuarantineRule(r.rule, r.column, r.violation, r.value, _reason(contract, r))
        for r in droppable_rules(contract)
    ]


def _select_violations(rule: QuarantineRule, incoming: str, cle: str, record: str, kept: str) -> str:
    values = f"{cle}, {literal(rule.column)}, {rule.value}, {literal(rule.rule)}, {literal(rule.reason)}"
    where = f"{rule.violation} and {kept}"
    return f"select millesime, _fichier, _ligne, {values}, {record}, $run_id, $horodatage from {incoming} where {where}"  # noqa: S608


def create_quarantine_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in QUARANTINE_COLUMNS)
    con.execute(f"create or replace table {table} ({columns})")


def quarantine_rows(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    incoming: str,
    target: str,
    run_id: str,
    timestamp: datetime,
    counted: dict[int, dict[str, int]] | None = None,
) -> QuarantineReport:
    """Create `target` (the dataset's next quarantine table) and move into it the rows of `incoming` that
    violate a droppable rule. `incoming` and `target` are qualified table names built by the caller.
    `counted`: conditions the load already counted over `incoming` (edition -> condition SQL -> rows): when
    `offending_condition` is among them, its count is not taken again."""
    create_quarantine_table(con, target)
    report = QuarantineReport(contract.name)
    present = {r[0] for r in con.execute(f"describe {incoming}").fetchall()}
    rules = present_rules(quarantine_rules(contract), present)
    report.rules = len(rules)
    if not rules:
        return report

    cle = key(c for c in contract.key if c in present)
    record_columns = [c.name for c in contract.columns if c.name in present and c.logical_type != "geometry"]
    record = row_json(record_columns)
    kept = not_excluded(contract)  # rows kept out of the rules (excludeRows) are never quarantined
    condition = offending_condition(contract, present)  # any droppable rule violated, row not excluded
    # One scan of the rule columns first: on a national stock nothing is usually dropped, and the per-rule
    # copy (one scan per rule) and the delete are then skipped. An aggregate FILTER, not a WHERE: over a raw
    # view (pipelines/sources/stocks.py) a WHERE is pushed into the view and every reference to a column repeats its
    # cast from text (24 casts per row for the bounding boxes: 3.7 s instead of 2.0 s on 10 M rows). The load
    # of a raw view counts it in its own scan (pipelines/checks/rule_counts.py).
    if counted and all(condition in by_condition for by_condition in counted.values()):
        offending = sum(by_condition[condition] for by_condition in counted.values())
    else:
        [(offending,)] = con.execute(
            f"select count(*) filter (where {condition}) from {incoming}"  # noqa: S608
        ).fetchall()
    if not offending:
        return report
    # a raw view over a Parquet stock (pipelines/sources/stocks.py) becomes a table to have rows deleted from it
    materialize_view(con, incoming)
    # Identifiers and literals come from the contracts (quoted), never from the data or the user.
    selects = [_select_violations(r, incoming, cle, record, kept) for r in rules]
    con.execute(
        f"insert into {target} {' union all '.join(selects)}",
        {"run_id": run_id, "horodatage": timestamp},
    )
    report.rows_quarantined = con.execute(
        f"delete from {incoming} where {condition}"  # noqa: S608
    ).fetchone()[0]
    for regle, colonne, n in con.execute(
        f"select regle, colonne, count(*) from {target} group by all order by regle, colonne"  # noqa: S608
    ).fetchall():
        report.by_rule[f"{regle} {colonne}"] = n
    columns = "millesime, fichier, ligne, cle, colonne, valeur, regle, raison"
    order = "fichier, ligne, regle, colonne"
    cursor = con.execute(f"select {columns} from {target} order by {order} limit {MAX_EXAMPLES}")  # noqa: S608
    names = [d[0] for d in cursor.description]
    report.examples = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return report


def relation_kind(con: duckdb.DuckDBPyConnection, qualified: str) -> str | None:
    """'table', 'view' or None for `schema.name` (names built by the pipeline, never user input)."""
    schema, _, name = qualified.rpartition(".")
    [(tables, views)] = con.execute(
        "select (select count(*) from duckdb_tables() where schema_name = $s and table_name = $n), "
        "(select count(*) from duckdb_views() where schema_name = $s and view_name = $n)",
        {"s": schema, "n": name},
    ).fetchall()
    return "table" if tables else "view" if views else None


def materialize_view(con: duckdb.DuckDBPyConnection, qualified: str) -> None:
    """Replace the view `schema.name` by a table of its rows (nothing to do for a table)."""
    if relation_kind(con, qualified) != "view":
        return
    name = qualified.rpartition(".")[2]
    with transaction(con):
        con.execute(f"create or replace table {qualified}__rows as select * from {qualified}")  # noqa: S608
        con.execute(f"drop view {qualified}")
        con.execute(f"alter table {qualified}__rows rename to {name}")


def publish(
    con: duckdb.DuckDBPyConnection, name: str, incoming: str, quarantine_incoming: str | None
) -> None:
    """Swap `incoming` (a table, or a view over a Parquet stock) in as `raw.<name>` and `quarantine_incoming` as
    `quarantine.<name>`, in one transaction: readers see the old pair or the new pair, never a raw table with
    another run's quarantine."""
    incoming_kind = relation_kind(con, incoming) or "table"
    with transaction(con):
        if previous := relation_kind(con, f"raw.{name}"):
            con.execute(f"drop {previous} raw.{name}")
        con.execute(f"alter {incoming_kind} {incoming} rename to {name}")
        if quarantine_incoming is not None:
            con.execute(f"drop table if exists quarantine.{name}")
            con.execute(f"alter table {quarantine_incoming} rename to {name}")


def incoming_names(name: str) -> tuple[str, str]:
    """The names under which a load stages the dataset's next raw table and its next quarantine table."""
    return f"raw.{name}__incoming", f"quarantine.{name}__incoming"


@contextlib.contextmanager
def quarantine_and_swap(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    name: str,
    run_id: str,
    counted: dict[int, dict[str, int]] | None = None,
) -> Iterator[QuarantineReport]:
    """The end of every load of a dataset (the raw asset, `qpv contracts check`, `qpv terrain import`), once its
    rows are in `raw.<name>__incoming` (`incoming_names`): the rows violating a droppable rule move to
    `quarantine.<name>__incoming` (`quarantine_rows`); the block runs (the caller adjusts the incoming pair if it
    needs to: held-back editions, the rows of other files kept); then both are swapped in as `raw.<name>` and
    `quarantine.<name>` in one transaction (`publish`). An error in the block swaps nothing.

        with quarantine_and_swap(con, contract, name, run_id) as report:
            ...
    """
    incoming, quarantine_incoming = incoming_names(name)
    report = quarantine_rows(con, contract, incoming, quarantine_incoming, run_id, datetime.now(UTC), counted)
    yield report
    publish(con, name, incoming, quarantine_incoming)
