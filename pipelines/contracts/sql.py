"""The data contracts as DuckDB SQL: quoting, and every rule of a contract as a condition or an expression.

The one place where a contract becomes SQL text. The checks only run what is built here and report on it:
the contract check over a large table (`pipelines/checks/validation.py`, `validate_relation`), the quarantine
(`pipelines/checks/quarantine.py`), the integrity rules (`pipelines/checks/integrity.py`) and the rule counts of
a raw view's load (`pipelines/checks/rule_counts.py`). Identifiers and literals come from the contracts and the
code, never from a data file or the user; they are quoted all the same (`ident`, `literal`).

The text of a condition is part of what is stored: the load of a raw view records its counts under the SHA-256
of the condition's SQL (`meta.comptes_regles.condition_sha256`). Changing the text here is not wrong, but the
counts recorded before are then no longer found and the check counts by itself again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pipelines.contracts.model import (
    BoundingBoxRule,
    Box,
    Column,
    CompareRule,
    Contract,
    GeometryBoxRule,
    GeometryTypeRule,
    Reference,
    SumRule,
)

# --- Quoting ---------------------------------------------------------------------------------------------------


def ident(name: str) -> str:
    """A quoted identifier: `a"b` -> `"a""b"`."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A quoted string literal of `str(value)`: `it's` -> `'it''s'`."""
    return "'" + str(value).replace("'", "''") + "'"


def number(value: float) -> str:
    """A numeric literal of `float(value)`: `3` -> `3.0`."""
    return repr(float(value))


def as_text(expression: str) -> str:
    """The SQL expression as text (varchar)."""
    return f"cast({expression} as varchar)"


# --- Row rules -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSQL:
    """One row rule of a contract in SQL."""

    rule: str  # not_null | range | pattern | allowed_values | compare | bounding_box (the contract check's names)
    column: str  # the column the rule is on; the columns, comma-separated, for a rule on two columns
    violation: str  # condition true when the row violates the rule (never null)
    value: str  # expression: the offending value as text

    @property
    def label(self) -> str:
        return f"{self.rule} {self.column}"

    @property
    def columns(self) -> list[str]:
        return self.column.split(",")


Rule = TypeVar("Rule", bound=RuleSQL)


def _pair(first: str, second: str) -> str:
    return f"{as_text(first)} || ', ' || {as_text(second)}"


def column_rules(col: Column) -> list[RuleSQL]:
    """The rules of a column's constraints: blank, range, pattern, allowed values (in that order)."""
    c = ident(col.name)
    text = as_text(c)
    rules = []
    if not col.nullable:
        rules.append(RuleSQL("not_null", col.name, f"{c} is null", "null"))
    if col.minimum is not None or col.maximum is not None:
        parts = []
        if col.minimum is not None:
            parts.append(f"{c} < {number(col.minimum)}")
        if col.maximum is not None:
            parts.append(f"{c} > {number(col.maximum)}")
        rules.append(RuleSQL("range", col.name, f"coalesce({' or '.join(parts)}, false)", text))
    if col.pattern:
        violation = f"coalesce(not regexp_matches({text}, {literal(col.pattern)}), false)"
        rules.append(RuleSQL("pattern", col.name, violation, text))
    if col.allowed_values is not None:
        if col.logical_type == "string":
            test = f"{text} not in ({', '.join(literal(v) for v in col.allowed_values)})"
        else:
            test = f"{c} not in ({', '.join(number(v) for v in col.allowed_values)})"
        rules.append(RuleSQL("allowed_values", col.name, f"coalesce({test}, false)", text))
    return rules


def compare_rule(rule: CompareRule) -> RuleSQL:
    """`left >= right` (or `>`), not checked where either is null."""
    left, right = ident(rule.left), ident(rule.right)
    op = ">=" if rule.operator == ">=" else ">"
    return RuleSQL(
        "compare",
        f"{rule.left},{rule.right}",
        f"coalesce(not ({left} {op} {right}), false)",
        _pair(left, right),
    )


def bounding_box_rule(rule: BoundingBoxRule) -> RuleSQL:
    """The point lies in one of the boxes, not checked where a coordinate is null."""
    lon, lat = ident(rule.longitude), ident(rule.latitude)
    inside = " or ".join(
        f"({lon} between {number(b.longitude[0])} and {number(b.longitude[1])} "
        f"and {lat} between {number(b.latitude[0])} and {number(b.latitude[1])})"
        for b in rule.boxes
    )
    return RuleSQL(
        "bounding_box",
        f"{rule.longitude},{rule.latitude}",
        f"({lon} is not null and {lat} is not null and not ({inside}))",
        _pair(lon, lat),
    )


# --- Geometry rules (blocking, checked by the spatial loader: pipelines/sources/loaders/spatial.py) --------------


def geometry_type_rule(rule: GeometryTypeRule) -> RuleSQL:
    """The geometry is present, not empty and of one of the types; the value: its type, `EMPTY` appended when
    empty, 'null' when absent."""
    g = ident(rule.column)
    kind = f"cast(ST_GeometryType({g}) as varchar)"
    return RuleSQL(
        "geometry_type",
        rule.column,
        f"({g} is null or ST_IsEmpty({g}) or {kind} not in ({', '.join(literal(t) for t in rule.types)}))",
        f"case when {g} is null then 'null' when ST_IsEmpty({g}) then {kind} || ' EMPTY' else {kind} end",
    )


def _envelope_inside(geometry: str, box: Box) -> str:
    (west, east), (south, north) = box.longitude, box.latitude
    return (
        f"(ST_XMin({geometry}) >= {number(west)} and ST_XMax({geometry}) <= {number(east)} "
        f"and ST_YMin({geometry}) >= {number(south)} and ST_YMax({geometry}) <= {number(north)})"
    )


def geometry_box_rule(rule: GeometryBoxRule) -> RuleSQL:
    """The geometry's envelope lies inside one of the boxes meant for the row (`GeometryBoxRule.boxes_for`, the
    same choice in SQL); not checked where the geometry is blank or empty (the type rule's business). The value:
    the envelope, `lon [xmin, xmax], lat [ymin, ymax]`."""
    g = ident(rule.geometry)
    anywhere = " or ".join(_envelope_inside(g, b) for b in rule.boxes)
    inside = anywhere
    if rule.by is not None and any(b.codes is not None for b in rule.boxes):
        by = as_text(ident(rule.by))
        coded = [b for b in rule.boxes if b.codes is not None]
        matched = " or ".join(f"coalesce(regexp_matches({by}, {literal(b.codes)}), false)" for b in coded)
        mine = " or ".join(
            _envelope_inside(g, b)
            if b.codes is None
            else f"(coalesce(regexp_matches({by}, {literal(b.codes)}), false) and {_envelope_inside(g, b)})"
            for b in rule.boxes
        )
        inside = f"(({matched}) and ({mine})) or (not ({matched}) and ({anywhere}))"
    envelope = f"printf('lon [%.5f, %.5f], lat [%.5f, %.5f]', ST_XMin({g}), ST_XMax({g}), ST_YMin({g}), ST_YMax({g}))"
    columns = rule.geometry if rule.by is None else f"{rule.geometry},{rule.by}"
    return RuleSQL(
        "geometry_box",
        columns,
        f"({g} is not null and not ST_IsEmpty({g}) and not ({inside}))",
        envelope,
    )


def geometry_rules(contract: Contract) -> list[RuleSQL]:
    """The blocking geometry rules of the contract, in the order the loader checks them: types, then boxes."""
    return [geometry_type_rule(r) for r in contract.geometry_types] + [
        geometry_box_rule(r) for r in contract.geometry_boxes
    ]


def checked_rules(contract: Contract) -> list[RuleSQL]:
    """The row rules of the contract check (the Great Expectations suite's, counted in DuckDB on large tables):
    every column's constraints, then the comparisons."""
    rules = [r for col in contract.columns for r in column_rules(col)]
    return rules + [compare_rule(r) for r in contract.compare_rules]


def droppable_rules(contract: Contract) -> list[RuleSQL]:
    """The rules whose offending rows move to quarantine: the constraints of the columns with `onFail:
    quarantine`, then the bounding boxes."""
    rules = [r for col in contract.columns if col.on_fail == "quarantine" for r in column_rules(col)]
    return rules + [bounding_box_rule(b) for b in contract.bounding_boxes]


def excluded(contract: Contract) -> str:
    """Condition true for the rows the contract keeps out of its rules (`excludeRows`), never null."""
    parts = [
        f"coalesce({ident(col)} in ({', '.join(literal(v) for v in values)}), false)"
        for col, values in contract.exclude_from_rules.items()
    ]
    return " or ".join(parts) if parts else "false"


def not_excluded(contract: Contract) -> str:
    """Condition true for the rows the contract's rules apply to."""
    return f"not ({excluded(contract)})"


def counted_conditions(contract: Contract) -> list[str]:
    """What the contract check counts over a large table, per edition: the rows kept, the rows excluded, and the
    offending rows of every rule of `checked_rules` (kept rows only), in that order. The load of a raw view counts
    the same conditions in its own scan (`pipelines/checks/rule_counts.py`)."""
    out = excluded(contract)
    return [f"not ({out})", out] + [f"not ({out}) and ({r.violation})" for r in checked_rules(contract)]


def present_rules(rules: Iterable[Rule], present: set[str]) -> list[Rule]:
    """The rules whose columns are all in `present`."""
    return [r for r in rules if all(c in present for c in r.columns)]


def offending_condition(contract: Contract, present: set[str]) -> str | None:
    """Condition true for a row the quarantine moves out of a table with the columns `present`: a droppable rule
    violated, the row not excluded (None: no droppable rule on these columns)."""
    rules = present_rules(droppable_rules(contract), present)
    if not rules:
        return None
    any_violation = " or ".join(f"({r.violation})" for r in rules)
    return f"({any_violation}) and not ({excluded(contract)})"


# --- Expressions over a raw table ------------------------------------------------------------------------------


def key(columns: Iterable[str]) -> str:
    """The key of a row as text (`a|b`), null without key columns."""
    names = list(columns)
    if not names:
        return "null"
    return f"concat_ws('|', {', '.join(ident(c) for c in names)})"


def row_json(columns: Iterable[str]) -> str:
    """The row's `columns` as a JSON object."""
    return "to_json(struct_pack(" + ", ".join(f"{ident(c)} := {ident(c)}" for c in columns) + "))"


def check_select(contract: Contract, relation: str) -> str:
    """What the contract check reads from `relation`: the lineage and the contract's columns, geometries
    summarised as their type ('INVALID' if not valid)."""
    columns = ["millesime", "_fichier", "_sha256", "_ligne"]
    for col in contract.columns:
        if col.logical_type == "geometry":
            columns.append(
                f"case when {col.name} is null then null when ST_IsValid({col.name}) "
                f"then cast(ST_GeometryType({col.name}) as varchar) else 'INVALID' end as {col.name}"
            )
        else:
            columns.append(col.name)
    return f"select {', '.join(columns)} from {relation}"  # noqa: S608


# --- Rules across rows and tables (pipelines/checks/integrity.py) ------------------------------------------------


def reference_sql(contract: Contract, ref: Reference, schema: str = "raw") -> str:
    """Rows of `<schema>.<dataset>` whose code is absent from the referenced column (one row per missing code):
    millesime, fichier, ligne, cle, valeur."""
    col = ident(ref.column)
    value = f"trim(unnest(string_split({col}, {literal(ref.separator)})))" if ref.separator else as_text(col)
    ignored = ["valeur <> ''"]
    if ref.ignore_values:
        ignored.append(f"valeur not in ({', '.join(literal(v) for v in ref.ignore_values)})")
    if ref.ignore_pattern:
        ignored.append(f"not regexp_matches(valeur, {literal(ref.ignore_pattern)})")
    referenced = ident(ref.referenced_column)
    return f"""
with codes as (
    select millesime, _fichier as fichier, _ligne as ligne, {key(contract.key)} as cle, {value} as valeur
    from {schema}.{contract.name}
    where {col} is not null and {not_excluded(contract)}
),

reference as (
    select distinct {as_text(referenced)} as valeur
    from {schema}.{ref.dataset}
    where {referenced} is not null
),

final as (
    select codes.*
    from codes
    anti join reference on reference.valeur = codes.valeur
    where {" and ".join(ignored)}
)

select * from final
"""  # noqa: S608 - identifiers come from the contracts, not from user input


def sum_sql(contract: Contract, rule: SumRule, schema: str = "raw") -> str:
    """Rows of `<schema>.<dataset>` whose terms do not add up to the total (every term and the total present):
    millesime, fichier, ligne, cle, the columns, somme, total."""
    terms = " + ".join(ident(c) for c in rule.columns)
    total = ident(rule.total) if rule.total else repr(rule.value)
    total_column = [rule.total] if rule.total else []
    present = " and ".join(f"{ident(c)} is not null" for c in (*rule.columns, *total_column))
    shown = ", ".join(ident(c) for c in (*total_column, *rule.columns))
    return f"""
with lignes as (
    select millesime, _fichier as fichier, _ligne as ligne, {key(contract.key)} as cle, {shown},
        round({terms}, 6) as somme, {total} as total
    from {schema}.{contract.name}
    where {present} and {not_excluded(contract)}
),

final as (
    select * from lignes where abs(somme - total) > {rule.tolerance!r} + 1e-9
)

select * from final
"""  # noqa: S608
