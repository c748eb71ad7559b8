"""Great Expectations suites generated from the data contracts, and their results as evidence.

No suite is written by hand: `build_suite(contract)` derives every expectation from the contract. Validation
runs on pandas (GX 1.x has no Polars source and its DuckDB dialect is unreliable, see STACK.md), one batch per
edition, so that row counts and key uniqueness hold per edition. Great Expectations is imported lazily: it takes
seconds to import and the code location must load fast.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipelines.contracts import Contract

MAX_EXAMPLES = 10


@dataclass
class RuleFailure:
    rule: str  # not_null | range | pattern | allowed_values | unique_key | compare | row_count
    column: str | None
    description: str
    millesime: int | None
    unexpected_count: int
    examples: list[dict[str, Any]] = field(default_factory=list)
    severity: str = "error"

    def one_line(self) -> str:
        where = f"column {self.column}" if self.column else "table"
        level = "" if self.severity == "error" else f"{self.severity}: "
        text = f"{level}[{self.rule}] {where}, edition {self.millesime}: {self.description}; {self.unexpected_count} row(s)"
        if self.examples:
            ex = self.examples[0]
            loc = ", ".join(f"{k} {v}" for k, v in ex.items() if v is not None)
            text += f"; first: {loc}"
        return text


@dataclass
class ValidationReport:
    contract: str
    version: str
    rows: int
    expectations: int
    failures: list[RuleFailure]
    excluded_rows: int = 0

    @property
    def errors(self) -> list[RuleFailure]:
        return [f for f in self.failures if f.severity == "error"]

    @property
    def warnings(self) -> list[RuleFailure]:
        return [f for f in self.failures if f.severity != "error"]

    @property
    def passed(self) -> bool:
        """No blocking rule failed (warnings may remain)."""
        return not self.errors

    def summary(self) -> str:
        if not self.failures:
            return (
                f"contract {self.contract} {self.version}: {self.expectations} expectations passed "
                f"on {self.rows} rows"
            )
        lines = [
            f"contract {self.contract} {self.version}: {len(self.errors)} rule(s) failed, "
            f"{len(self.warnings)} warning(s)"
        ]
        lines += [f"  - {f.one_line()}" for f in self.failures]
        return "\n".join(lines)

    def to_metadata(self) -> dict[str, Any]:
        return {
            "contract": f"{self.contract} {self.version}",
            "rows_checked": self.rows,
            "rows_excluded_from_rules": self.excluded_rows,
            "expectations_evaluated": self.expectations,
            "rules_failed": len(self.errors),
            "warnings": len(self.warnings),
            "failures": [
                {
                    "rule": f.rule,
                    "severity": f.severity,
                    "column": f.column,
                    "description": f.description,
                    "millesime": f.millesime,
                    "unexpected_count": f.unexpected_count,
                    "first_offending_rows": f.examples,
                }
                for f in self.failures
            ],
        }


TABLE_RULES = frozenset({"row_count"})  # evaluated per edition; every other rule on all editions at once


def build_suite(
    contract: Contract,
    context=None,
    part: str = "all",
    edition_column: str = "millesime",
    name: str | None = None,
):
    """The Great Expectations suite of a contract. Each expectation's `meta` says which rule it enforces.

    `part`: "all", "rows" (every rule but the per-edition table rules) or "table" (those only).
    """
    import great_expectations as gx

    context = context or _quiet_context()  # GX 1.x builds suites inside an active data context

    suite = context.suites.add(gx.ExpectationSuite(name=name or f"{contract.name}_{contract.version}_{part}"))
    e = gx.expectations

    def add(expectation, rule: str, column: str | None, description: str, severity: str = "error") -> None:
        if (part == "rows" and rule in TABLE_RULES) or (part == "table" and rule not in TABLE_RULES):
            return
        expectation.meta = {"rule": rule, "column": column, "description": description, "severity": severity}
        suite.add_expectation(expectation)

    if contract.row_count_min is not None or contract.row_count_max is not None:
        add(
            e.ExpectTableRowCountToBeBetween(
                min_value=contract.row_count_min, max_value=contract.row_count_max
            ),
            "row_count",
            None,
            f"row count per edition in [{contract.row_count_min}, {contract.row_count_max}]",
        )
    if contract.key:
        add(
            e.ExpectCompoundColumnsToBeUnique(column_list=[edition_column, *contract.key]),
            "unique_key",
            ",".join(contract.key),
            f"key ({', '.join(contract.key)}) unique within an edition",
        )
    for col in contract.columns:
        if not col.nullable:
            add(
                e.ExpectColumnValuesToNotBeNull(column=col.name),
                "not_null",
                col.name,
                "no blank allowed",
                col.severity,
            )
        if col.minimum is not None or col.maximum is not None:
            add(
                e.ExpectColumnValuesToBeBetween(
                    column=col.name, min_value=col.minimum, max_value=col.maximum
                ),
                "range",
                col.name,
                f"value in [{col.minimum}, {col.maximum}]" + (f" {col.unit}" if col.unit else ""),
                col.severity,
            )
        if col.pattern:
            add(
                e.ExpectColumnValuesToMatchRegex(column=col.name, regex=col.pattern),
                "pattern",
                col.name,
                f"matches {col.pattern}",
                col.severity,
            )
        if col.allowed_values is not None:
            add(
                e.ExpectColumnValuesToBeInSet(column=col.name, value_set=list(col.allowed_values)),
                "allowed_values",
                col.name,
                f"one of {list(col.allowed_values)}",
                col.severity,
            )
    for rule in contract.compare_rules:
        add(
            e.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=rule.left,
                column_B=rule.right,
                or_equal=rule.operator == ">=",
                ignore_row_if="either_value_is_missing",
            ),
            "compare",
            f"{rule.left},{rule.right}",
            f"{rule.left} {rule.operator} {rule.right}"
            + (f" ({rule.description})" if rule.description else ""),
        )
    return suite


def _quiet_context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _examples(
    frame: pd.DataFrame, indexes: list, contract: Contract, columns: list[str]
) -> list[dict[str, Any]]:
    out = []
    key = contract.key[0] if contract.key else None
    for idx in indexes[:MAX_EXAMPLES]:
        row = frame.loc[idx]
        example: dict[str, Any] = {"file": row.get("_fichier"), "line": _py(row.get("_ligne"))}
        if key:
            example[key] = _py(row.get(key))
        for col in columns:
            if col in frame.columns:
                example[col] = _py(row.get(col))
        out.append(example)
    return out


def _py(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


_CACHE: dict = {}


def _validation_setup(contract: Contract, edition_column: str):
    """One ephemeral GX context per process, and each contract's suites built once (building a large suite
    takes seconds; a process that validates the same contract again, as tests do, reuses it)."""
    if "context" not in _CACHE:
        context = _quiet_context()
        _CACHE.update(
            context=context, source=context.data_sources.add_pandas("contracts"), suites={}, batches={}
        )
    context = _CACHE["context"]
    key = (repr(contract), edition_column)
    if key not in _CACHE["suites"]:
        n = len(_CACHE["suites"])
        _CACHE["suites"][key] = tuple(
            build_suite(
                contract, context, part, edition_column, name=f"{contract.name}_{contract.version}_{part}_{n}"
            )
            for part in ("rows", "table")
        )
        _CACHE["batches"][key] = (
            _CACHE["source"]
            .add_dataframe_asset(f"{contract.name}_{n}")
            .add_batch_definition_whole_dataframe("batch")
        )
    row_suite, table_suite = _CACHE["suites"][key]
    return context, row_suite, table_suite, _CACHE["batches"][key]


def validate_frame(
    frame: pd.DataFrame, contract: Contract, edition_column: str = "millesime"
) -> ValidationReport:
    """Validate a pandas frame (raw table with lineage columns) against its contract.

    Row rules run once over every edition (the key is unique per edition); row counts run edition by edition.
    """
    mask = pd.Series(False, index=frame.index)
    for column, values in contract.exclude_from_rules.items():
        mask |= frame[column].isin(values)
    checked = frame[~mask]
    if checked.empty:  # a source absent from the data folder: nothing to check (row counts are per edition)
        return ValidationReport(contract.name, contract.version, 0, 0, [], int(mask.sum()))

    context, row_suite, table_suite, batch_definition = _validation_setup(contract, edition_column)

    def run(suite, data: pd.DataFrame, edition) -> list[RuleFailure]:
        if not suite.expectations:
            return []
        result = batch_definition.get_batch(batch_parameters={"dataframe": data}).validate(
            suite, result_format={"result_format": "COMPLETE"}
        )
        found = []
        for res in result.results:
            if res.success:
                continue
            meta = res.expectation_config.meta or {}
            details = res.result or {}
            columns = (meta.get("column") or "").split(",") if meta.get("column") else []
            indexes = details.get("unexpected_index_list") or []
            if indexes and isinstance(indexes[0], dict):  # GX may return {index-column: value} records
                indexes = [next(iter(i.values())) for i in indexes]
            count = details.get("unexpected_count")
            if count is None:  # table-level expectation (row count)
                count = int(details.get("observed_value") or 0)
            if edition is None and indexes and edition_column in data:
                edition = data.loc[indexes[0], edition_column]  # the edition of the first offending row
            found.append(
                RuleFailure(
                    rule=meta.get("rule", res.expectation_config.type),
                    column=meta.get("column"),
                    description=meta.get("description", ""),
                    millesime=_py(edition),
                    unexpected_count=int(count),
                    examples=_examples(data, list(indexes), contract, columns)
                    if edition_column in data
                    else [],
                    severity=meta.get("severity", "error"),
                )
            )
        return found

    failures = run(row_suite, checked, None)
    if edition_column in checked:
        editions = checked[edition_column]
        for edition in sorted(editions.dropna().unique()):
            failures += run(table_suite, checked.loc[editions == edition, [edition_column]], edition)
    return ValidationReport(
        contract=contract.name,
        version=contract.version,
        rows=len(checked),
        expectations=len(row_suite.expectations) + len(table_suite.expectations),
        failures=failures,
        excluded_rows=int(mask.sum()),
    )
