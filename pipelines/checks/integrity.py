"""Rules that span rows or tables, declared in the contracts and evaluated in DuckDB on the raw tables.

- `references:` referential integrity: every code of a column exists in another dataset's column (every QPV code
  of a data file in the QPV list of its geography, every commune code in the COG).
- `sum` quality rules: a partition adds up to its total (age bands = all job seekers; income shares = 100 %).

Run by the blocking `raw/<dataset>:integrite` asset check (assets/factory.py), after the raw tables it reads.
Evidence: per rule, the count and the first offending rows (edition, file, line, key, value).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipelines.contracts.model import Contract
from pipelines.contracts.sql import reference_sql, sum_sql

MAX_EXAMPLES = 10


@dataclass
class IntegrityFailure:
    rule: str  # reference | sum | reference_absente
    column: str
    description: str
    severity: str
    unexpected_count: int
    examples: list[dict[str, Any]] = field(default_factory=list)

    def one_line(self) -> str:
        level = "" if self.severity == "error" else f"{self.severity}: "
        text = (
            f"{level}[{self.rule}] column {self.column}: {self.description}; {self.unexpected_count} row(s)"
        )
        if self.examples:
            text += "; first: " + ", ".join(f"{k} {v}" for k, v in self.examples[0].items() if v is not None)
        return text


@dataclass
class IntegrityReport:
    dataset: str
    rules: list[str] = field(default_factory=list)  # every rule evaluated, as a label
    failures: list[IntegrityFailure] = field(default_factory=list)

    @property
    def errors(self) -> list[IntegrityFailure]:
        return [f for f in self.failures if f.severity == "error"]

    def summary(self) -> str:
        if not self.failures:
            return f"{self.dataset}: {len(self.rules)} integrity rule(s) passed"
        lines = [
            f"{self.dataset}: {len(self.errors)} integrity rule(s) failed, {len(self.failures)} finding(s)"
        ]
        return "\n".join(lines + [f"  - {f.one_line()}" for f in self.failures])

    def to_metadata(self) -> dict[str, Any]:
        return {
            "rules_evaluated": self.rules,
            "rules_failed": len(self.errors),
            "warnings": len(self.failures) - len(self.errors),
            "failures": [
                {
                    "rule": f.rule,
                    "severity": f.severity,
                    "column": f.column,
                    "description": f.description,
                    "unexpected_count": f.unexpected_count,
                    "first_offending_rows": f.examples,
                }
                for f in self.failures
            ],
        }


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, contract: Contract, value_name: str | None = None
) -> list[dict[str, Any]]:
    """First offending rows, the key and the value under their column names."""
    cursor = con.execute(f"select * from ({sql}) order by millesime, fichier, ligne limit {MAX_EXAMPLES}")  # noqa: S608
    rename = {"cle": ",".join(contract.key) or "cle", "valeur": value_name or "valeur"}
    names = [rename.get(d[0], d[0]) for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows of `table`; 0 when it does not exist (a raw asset never materialized in this warehouse)."""
    try:
        return con.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608
    except duckdb.CatalogException:
        return 0


def check_integrity(
    con: duckdb.DuckDBPyConnection, contract: Contract, schema: str = "raw"
) -> IntegrityReport:
    """Evaluate the contract's references and sum rules on `<schema>.<dataset>`."""
    report = IntegrityReport(contract.name)
    if _count_rows(con, f"{schema}.{contract.name}") == 0:
        return report  # source absent from the data folder: nothing to check
    for ref in contract.references:
        label = f"reference {ref.column} -> {ref.dataset}.{ref.referenced_column}"
        report.rules.append(label)
        if _count_rows(con, f"{schema}.{ref.dataset}") == 0:
            report.failures.append(
                IntegrityFailure(
                    "reference_absente",
                    ref.column,
                    f"{schema}.{ref.dataset} is empty or absent (no file): reference not checked",
                    "warn",
                    0,
                )
            )
            continue
        sql = reference_sql(contract, ref, schema)
        count = con.execute(f"select count(*) from ({sql})").fetchone()[0]  # noqa: S608
        if count:
            report.failures.append(
                IntegrityFailure(
                    "reference",
                    ref.column,
                    f"every {ref.column} exists in {ref.dataset}.{ref.referenced_column} ({ref.description})",
                    ref.severity,
                    count,
                    _rows(con, sql, contract, ref.column),
                )
            )
    for rule in contract.sum_rules:
        report.rules.append(f"sum {rule.label}")
        sql = sum_sql(contract, rule, schema)
        count = con.execute(f"select count(*) from ({sql})").fetchone()[0]  # noqa: S608
        if count:
            report.failures.append(
                IntegrityFailure(
                    "sum",
                    ",".join((*([rule.total] if rule.total else []), *rule.columns)),
                    rule.label + (f" ({rule.description})" if rule.description else ""),
                    "error",
                    count,
                    _rows(con, sql, contract),
                )
            )
    return report
