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

from pipelines.contracts.model import Column, Contract
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
class QuarantineRule:
    rule: str  # pattern | range | allowed_values | not_null | bounding_box (the names of the contract check)
    column: str  # column(s) named in the evidence, comma-separated for a row rule
    violation: str  # SQL condition, true when the row violates the rule (never null)
    value: str  # SQL expression: the offending value as text
    reason: str  # French, shown in the quarantine table

    @property
    def label(self) -> str:
        return f"{self.rule} {self.column}"


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


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _number(value: float) -> str:
    return repr(float(value))


def _column_rules(col: Column) -> list[QuarantineRule]:
    c = _ident(col.name)
    text = f"cast({c} as varchar)"
    rules = []
    if not col.nullable:
        rules.append(
            QuarantineRule("not_null", col.name, f"{c} is null", "null", "valeur manquante (vide interdit)")
        )
    if col.minimum is not None or col.maximum is not None:
        parts = []
        if col.minimum is not None:
            parts.append(f"{c} < {_number(col.minimum)}")
        if col.maximum is not None:
            parts.append(f"{c} > {_number(col.maximum)}")
        unit = f" {col.unit}" if col.unit else ""
        rules.append(
            QuarantineRule(
                "range",
                col.name,
                f"coalesce({' or '.join(parts)}, false)",
                text,
                f"valeur hors de l'intervalle [{col.minimum}, {col.maximum}]{unit}",
            )
        )
    if col.pattern:
        rules.append(
            QuarantineRule(
                "pattern",
                col.name,
                f"coalesce(not regexp_matches({text}, {_literal(col.pattern)}), false)",
                text,
                f"valeur au format invalide (attendu : {col.pattern})",
            )
        )
    if col.allowed_values is not None:
        if col.logical_type == "string":
            values = ", ".join(_literal(v) for v in col.allowed_values)
            test = f"{text} not in ({values})"
        else:
            values = ", ".join(_number(v) for v in col.allowed_values)
            test = f"{c} not in ({values})"
        rules.append(
            QuarantineRule(
                "allowed_values",
                col.name,
                f"coalesce({test}, false)",
                text,
                f"valeur hors de la liste autorisée {list(col.allowed_values)}",
            )
        )
    return rules


def quarantine_rules(contract: Contract) -> list[QuarantineRule]:
    """The contract's droppable rules, as SQL conditions on the raw table's columns."""
    rules: list[QuarantineRule] = []
    for col in contract.columns:
        if col.on_fail == "quarantine":
            rules += _column_rules(col)
    for box_rule in contract.bounding_boxes:
        lon, lat = _ident(box_rule.longitude), _ident(box_rule.latitude)
        inside = " or ".join(
            f"({lon} between {_number(b.longitude[0])} and {_number(b.longitude[1])} "
            f"and {lat} between {_number(b.latitude[0])} and {_number(b.latitude[1])})"
            for b in box_rule.boxes
        )
        names = ", ".join(b.name for b in box_rule.boxes)
        rules.append(
            QuarantineRule(
                "bounding_box",
                f"{box_rule.longitude},{box_rule.latitude}",
                f"({lon} is not null and {lat} is not null and not ({inside}))",
                f"cast({lon} as varchar) || ', ' || cast({lat} as varchar)",
                f"coordonnées hors des emprises de la France ({names})",
            )
        )
    return rules


def _excluded(contract: Contract) -> str:
    """Rows the contract keeps out of its rules (excludeRows) are never quarantined."""
    parts = [
        f"coalesce({_ident(col)} in ({', '.join(_literal(v) for v in values)}), false)"
        for col, values in contract.exclude_from_rules.items()
    ]
    return " or ".join(parts) if parts else "false"


def _select_violations(rule: QuarantineRule, incoming: str, cle: str, record: str, excluded: str) -> str:
    values = f"{cle}, {_literal(rule.column)}, {rule.value}, {_literal(rule.rule)}, {_literal(rule.reason)}"
    where = f"{rule.violation} and not ({excluded})"
    return f"select millesime, _fichier, _ligne, {values}, {record}, $run_id, $horodatage from {incoming} where {where}"  # noqa: S608


def create_quarantine_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in QUARANTINE_COLUMNS)
    con.execute(f"create or replace table {table} ({columns})")


def _present_rules(contract: Contract, present: set[str]) -> list[QuarantineRule]:
    return [r for r in quarantine_rules(contract) if all(c in present for c in r.column.split(","))]


def offending_condition(contract: Contract, present: set[str]) -> str | None:
    """SQL condition true for a row `quarantine_rows` moves out (None: no droppable rule on these columns)."""
    rules = _present_rules(contract, present)
    if not rules:
        return None
    any_violation = " or ".join(f"({r.violation})" for r in rules)
    return f"({any_violation}) and not ({_excluded(contract)})"


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
    rules = _present_rules(contract, present)
    report.rules = len(rules)
    if not rules:
        return report

    key = [c for c in contract.key if c in present]
    cle = f"concat_ws('|', {', '.join(_ident(c) for c in key)})" if key else "null"
    record_columns = [c.name for c in contract.columns if c.name in present and c.logical_type != "geometry"]
    record = "to_json(struct_pack(" + ", ".join(f"{_ident(c)} := {_ident(c)}" for c in record_columns) + "))"
    excluded = _excluded(contract)
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
    selects = [_select_violations(r, incoming, cle, record, excluded) for r in rules]
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
