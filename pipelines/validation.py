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


def build_suite(contract: Contract, context=None):
    """The Great Expectations suite of a contract. Each expectation's `meta` says which rule it enforces."""
    import great_expectations as gx

    context = context or _quiet_context()  # GX 1.x builds suites inside an active data context

    suite = context.suites.add(gx.ExpectationSuite(name=f"{contract.name}_{contract.version}"))
    e = gx.expectations

    def add(expectation, rule: str, column: str | None, description: str, severity: str = "error") -> None:
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
            e.ExpectCompoundColumnsToBeUnique(column_list=list(contract.key))
            if len(contract.key) > 1
            else e.ExpectColumnValuesToBeUnique(column=contract.key[0]),
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


def validate_frame(
    frame: pd.DataFrame, contract: Contract, edition_column: str = "millesime"
) -> ValidationReport:
    """Validate a pandas frame (raw table with lineage columns) against its contract, edition by edition."""
    context = _quiet_context()
    suite = build_suite(contract, context)
    batch_definition = (
        context.data_sources.add_pandas("contracts")
        .add_dataframe_asset(contract.name)
        .add_batch_definition_whole_dataframe("edition")
    )

    mask = pd.Series(False, index=frame.index)
    for column, values in contract.exclude_from_rules.items():
        mask |= frame[column].isin(values)
    checked = frame[~mask]

    failures: list[RuleFailure] = []
    editions = sorted(checked[edition_column].dropna().unique()) if edition_column in checked else [None]
    for edition in editions:
        part = checked if edition is None else checked[checked[edition_column] == edition]
        batch = batch_definition.get_batch(batch_parameters={"dataframe": part})
        result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
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
            failures.append(
                RuleFailure(
                    rule=meta.get("rule", res.expectation_config.type),
                    column=meta.get("column"),
                    description=meta.get("description", ""),
                    millesime=_py(edition),
                    unexpected_count=int(count),
                    examples=_examples(part, list(indexes), contract, columns),
                    severity=meta.get("severity", "error"),
                )
            )
    return ValidationReport(
        contract=contract.name,
        version=contract.version,
        rows=len(checked),
        expectations=len(suite.expectations),
        failures=failures,
        excluded_rows=int(mask.sum()),
    )
