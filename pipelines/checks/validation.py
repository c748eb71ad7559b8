"""Great Expectations suites generated from the data contracts, and their results as evidence.

No suite is written by hand: `build_suite(contract)` derives every expectation from the contract. Validation
runs on pandas (GX 1.x has no Polars source and its DuckDB dialect is unreliable, see STACK.md), one batch per
edition, so that row counts and key uniqueness hold per edition. Great Expectations is imported lazily: it takes
seconds to import and the code location must load fast.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipelines.contracts.model import Contract, edition_ranges
from pipelines.contracts.sql import check_select, checked_rules, counted_conditions, ident, not_excluded

MAX_EXAMPLES = 10
DOCS_LIST_LIMIT = 20  # values kept per unexpected list in the Data Docs payload


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
    # For the Data Docs: the suite (row and per-edition table expectations) and this validation's results, as
    # Great Expectations JSON (unexpected lists trimmed); None when nothing was validated.
    gx_suite: dict[str, Any] | None = None
    gx_result: dict[str, Any] | None = None
    # who counted the rules over the whole table (large tables only): "check" (validate_relation's own scan) or
    # "load" (the load's scan of a raw view, pipelines/checks/rule_counts.py); None when every row went through GX
    rules_counted_by: str | None = None

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
            **({"rules_counted_by": self.rules_counted_by} if self.rules_counted_by else {}),
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

    # Expectations are collected first and the suite added to the context once: adding them one by one to a suite
    # already in the context re-saves the whole suite each time (quadratic; ~20 s per run for the 14 contracts).
    expectations: list = []
    e = gx.expectations

    def add(expectation, rule: str, column: str | None, description: str, severity: str = "error") -> None:
        if (part == "rows" and rule in TABLE_RULES) or (part == "table" and rule not in TABLE_RULES):
            return
        expectation.meta = {"rule": rule, "column": column, "description": description, "severity": severity}
        expectations.append(expectation)

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
    return context.suites.add(
        gx.ExpectationSuite(
            name=name or f"{contract.name}_{contract.version}_{part}", expectations=expectations
        )
    )


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
    frame: pd.DataFrame,
    contract: Contract,
    edition_column: str = "millesime",
    *,
    sql_counts: dict[tuple[str, str | None], int] | None = None,
    edition_rows: dict[Any, int] | None = None,
    excluded_rows: int | None = None,
) -> ValidationReport:
    """Validate a pandas frame (raw table with lineage columns) against its contract.

    Row rules run once over every edition (the key is unique per edition); row counts run edition by edition.

    `validate_relation` passes a bounded sample of a large table here, with what it measured in DuckDB over the
    whole table: `sql_counts` ((rule, column) -> offending rows), `edition_rows` (rows per edition, for the
    row-count rules) and `excluded_rows`.
    """
    mask = pd.Series(False, index=frame.index)
    for column, values in contract.exclude_from_rules.items():
        mask |= frame[column].isin(values)
    checked = frame[~mask]
    excluded = int(mask.sum()) if excluded_rows is None else excluded_rows
    if checked.empty and not edition_rows:  # a source absent from the data folder: nothing to check
        return ValidationReport(contract.name, contract.version, 0, 0, [], excluded)

    context, row_suite, table_suite, batch_definition = _validation_setup(contract, edition_column)
    docs_results: list[dict[str, Any]] = []

    def run(suite, data: pd.DataFrame, edition) -> list[RuleFailure]:
        if not suite.expectations:
            return []
        table_edition = edition  # None for the row rules (every edition at once)
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
        docs_results.extend(_docs_results(result, table_edition))  # after the evidence: it trims the lists
        return found

    failures = run(row_suite, checked, None) if not checked.empty else []
    if sql_counts is not None:
        failures = _with_sql_counts(failures, sql_counts, checked, contract)
    if edition_rows is not None:
        # a frame of the right length per edition and no column: GX counts the rows, without the table in
        # memory (GX fingerprints every batch it is given: hashing a 10 M-row column took 1.6 s, the index 0.3 s)
        for edition in sorted(edition_rows):
            failures += run(table_suite, pd.DataFrame(index=pd.RangeIndex(edition_rows[edition])), edition)
    elif edition_column in checked:
        editions = checked[edition_column]
        for edition in sorted(editions.dropna().unique()):
            failures += run(table_suite, checked.loc[editions == edition, [edition_column]], edition)
    expectations = len(row_suite.expectations) + len(table_suite.expectations)
    return ValidationReport(
        contract=contract.name,
        version=contract.version,
        rows=sum(edition_rows.values()) if edition_rows is not None else len(checked),
        expectations=expectations,
        failures=failures,
        excluded_rows=excluded,
        gx_suite=_docs_suite(contract, row_suite, table_suite),
        gx_result=_docs_result(contract, docs_results),
    )


# --- Large tables: the rules evaluated in DuckDB, Great Expectations on a bounded sample ---------------------

# Up to this many rows, the table is validated as a pandas frame (every row through Great Expectations). Above it
# (the national SIRENE stocks: tens of millions of rows), `validate_relation` counts every rule's offending rows
# in DuckDB in one scan, and Great Expectations validates a bounded sample: the first offending rows of each
# failing rule (lowest file and line), the first row of each file, and a few random rows. The counts reported
# are DuckDB's over the whole table; the evidence (file, line, key, value) comes from the sample.
# All SQL here is built from the code: `relation` from check_query, conditions and identifiers from the contract
# (pipelines/contracts/sql.py), never from a data file's content.
FRAME_MAX_ROWS = 500_000
SAMPLE_ROWS = 1_000


# --- What the contract check reads ---------------------------------------------------------------------------


def uses_spatial(source, contract) -> bool:
    """Whether loading or checking this source calls spatial functions (ST_Read, ST_IsValid…): a spatial
    loader or a geometry column. The other steps skip loading the extension."""
    return source.loader == "spatial" or any(col.logical_type == "geometry" for col in contract.columns)


def check_query(name: str, contract, relation: str | None = None) -> str:
    """What the contract check reads: the raw table (or `relation`), geometries summarised as their type
    ('INVALID' if not valid)."""
    return check_select(contract, relation or f"raw.{name}")


# --- A validation reused by the contract check -----------------------------------------------------------
# The raw asset validates what it loaded before publishing it (pipelines/checks/holdback.py: a failing edition is held
# back); when nothing failed, the blocking check of the same run would validate the same rows again. The result
# is remembered in the process, keyed by the run, the source and a fingerprint of the rows (count and a hash of
# every row's file and line); the check uses it only when the published table still has that fingerprint. Steps
# run in another process (the Dagster UI's executor) simply validate again.
_REMEMBERED: dict[tuple[str, str], tuple[tuple, ValidationReport, pd.DataFrame]] = {}


def rows_fingerprint(con, relation: str) -> tuple:
    """(rows, hash of every row's lineage) of a SELECT with the lineage columns (built by the code)."""
    [row] = con.execute(
        f"select count(*), coalesce(sum(hash(millesime, _fichier, _sha256, _ligne)), 0) from ({relation})"  # noqa: S608
    ).fetchall()
    return tuple(int(v) for v in row)


def remember(
    run_id: str, name: str, fingerprint: tuple, report: ValidationReport, frame: pd.DataFrame
) -> None:
    _REMEMBERED.clear()  # one at a time: the frames are whole tables
    _REMEMBERED[(run_id, name)] = (fingerprint, report, frame)


def recall(
    run_id: str, name: str, fingerprint: Callable[[], tuple]
) -> tuple[ValidationReport, pd.DataFrame] | None:
    """The remembered validation of these rows, once (it is forgotten when read). `fingerprint` computes the rows'
    fingerprint, only when a validation was remembered (a national stock is never scanned for nothing)."""
    found = _REMEMBERED.pop((run_id, name), None)
    if found is None or found[0] != fingerprint():
        return None
    return found[1], found[2]


def _with_sql_counts(
    failures: list[RuleFailure], sql_counts: dict[tuple[str, str | None], int], sample: pd.DataFrame, contract
) -> list[RuleFailure]:
    """Failures found by GX on the sample, with DuckDB's counts over the whole table; a rule DuckDB found
    failing that the sample missed is reported from DuckDB."""
    out = []
    seen = set()
    for failure in failures:
        key = (failure.rule, failure.column)
        seen.add(key)
        if key in sql_counts:
            failure.unexpected_count = sql_counts[key]
        out.append(failure)
    severities = {c.name: c.severity for c in contract.columns}
    for (rule, column), count in sql_counts.items():
        if count and (rule, column) not in seen:
            out.append(
                RuleFailure(
                    rule=rule,
                    column=column,
                    description="counted in DuckDB over the whole table",
                    millesime=None,
                    unexpected_count=count,
                    severity=severities.get(column or "", "error"),
                )
            )
    return out


def validate_relation(
    con,
    relation: str,
    contract: Contract,
    edition_column: str = "millesime",
    frame_max_rows: int = FRAME_MAX_ROWS,
    sample_rows: int = SAMPLE_ROWS,
    counts: dict[Any, list[int]] | None = None,
) -> tuple[ValidationReport, pd.DataFrame]:
    """Validate the rows of `relation` (a SELECT over a raw table, built by the code: `check_query`) against
    the contract. Returns the report and the frame Great Expectations saw (the whole table when it has at most
    `frame_max_rows` rows, else the bounded sample; the Data Docs list the files from it).

    `counts`: edition -> the counts of `counted_conditions(contract)` over `relation`, already counted (by the
    load of a raw view, `pipelines/checks/rule_counts.py`); None to count them here."""
    [(total,)] = con.execute(f"select count(*) from ({relation})").fetchall()  # noqa: S608
    if total <= frame_max_rows:
        frame = con.sql(relation).df()
        return validate_frame(frame, contract, edition_column), frame

    src = f"({relation}) as src"
    kept = not_excluded(contract)  # the rows the rules apply to
    rules = checked_rules(contract)
    edition = ident(edition_column)
    # One scan: per edition, the rows kept, the excluded rows and the offending rows of every rule (unless the
    # load counted them in its own scan).
    conditions = counted_conditions(contract)
    if counts is not None and sum(values[0] + values[1] for values in counts.values()) != total:
        counts = None  # not counted on these rows (kept + excluded must be every row): count them here
    if counts is not None:
        per_edition = [(key, *values) for key, values in counts.items()]
    else:
        aggregates = [f"count(*) filter (where {cond})" for cond in conditions]
        per_edition = con.execute(
            f"select {edition}, {', '.join(aggregates)} from {src} group by {edition}"  # noqa: S608
        ).fetchall()
    edition_rows = {row[0]: int(row[1]) for row in per_edition if row[0] is not None}
    totals = [sum(int(row[i]) for row in per_edition) for i in range(2, len(conditions) + 1)]
    excluded_rows = totals[0]
    sql_counts: dict[tuple[str, str | None], int] = {}
    failing = []
    for rule, count in zip(rules, totals[1:], strict=True):
        sql_counts[(rule.rule, rule.column)] = sql_counts.get((rule.rule, rule.column), 0) + int(count)
        if count:
            failing.append(rule.violation)
    # The first row of each file (the Data Docs list the files) and a few rows at random: chosen by their
    # (file, line) first, two columns only, then read whole in one pass (reading every column of every row to
    # keep 1,000 of them cost as much as the rule counts on a national stock).
    picked = con.execute(
        f"select _fichier, min(_ligne) from {src} group by _fichier union "  # noqa: S608
        f"select _fichier, _ligne from {src} using sample reservoir({int(sample_rows)} rows) repeatable (7)"
    ).fetchall()
    # The lines also as a literal IN list (integers read from the table above): DuckDB filters on it right after
    # the scan, before the columns are typed, where the semi join alone typed every row of a raw view first
    # (2.7 s -> 0.8 s on a 10 M-row stock).
    lines = ", ".join(str(int(row[1])) for row in picked if row[1] is not None) or "null"
    parts = [
        f"select a.* from ({relation}) as a semi join (select unnest($f) as f, unnest($l) as l) as k "  # noqa: S608
        f"on a._fichier = k.f and a._ligne = k.l where a._ligne in ({lines})"
    ]
    parts += [
        f"(select * from {src} where {kept} and ({cond}) order by _fichier, _ligne limit {MAX_EXAMPLES})"  # noqa: S608
        for cond in failing
    ]
    if contract.key:
        keys = ", ".join(ident(k) for k in [edition_column, *contract.key])
        [(duplicated,)] = con.execute(
            f"select coalesce(sum(n), 0) from (select count(*) as n from {src} where {kept} "  # noqa: S608
            f"group by {keys} having count(*) > 1)"
        ).fetchall()
        sql_counts[("unique_key", ",".join(contract.key))] = int(duplicated)
        if duplicated:
            on = " and ".join(
                f"a.{ident(k)} is not distinct from d.{ident(k)}" for k in [edition_column, *contract.key]
            )
            parts.append(
                f"(select a.* from ({relation}) as a semi join (select {keys} from {src} where {kept} "  # noqa: S608
                f"group by {keys} having count(*) > 1 order by min(_fichier), min(_ligne) limit {MAX_EXAMPLES}) "
                f"as d on {on} order by a._fichier, a._ligne limit {2 * MAX_EXAMPLES})"
            )
    union = " union ".join(f"select * from ({part})" for part in parts)  # noqa: S608
    sample = con.execute(
        f"select * from ({union}) order by _fichier, _ligne",  # noqa: S608
        {"f": [row[0] for row in picked], "l": [row[1] for row in picked]},
    ).df()
    sample = sample.reset_index(drop=True)
    report = validate_frame(
        sample,
        contract,
        edition_column,
        sql_counts=sql_counts,
        edition_rows=edition_rows,
        excluded_rows=excluded_rows,
    )
    report.rules_counted_by = "check" if counts is None else "load"
    return report, sample


def _docs_results(result, edition) -> list[dict[str, Any]]:
    """One GX validation result as JSON records for the Data Docs: unexpected lists cut to DOCS_LIST_LIMIT
    values, and the edition noted on per-edition (table) expectations."""
    out = []
    for res in result.results:
        details = res.result or {}
        for name, value in list(details.items()):
            if isinstance(value, list) and len(value) > DOCS_LIST_LIMIT:
                details[name] = value[:DOCS_LIST_LIMIT]
        record = res.to_json_dict()
        if edition is not None:
            meta = dict(record["expectation_config"].get("meta") or {})
            meta["millesime"] = _py(edition)
            meta["notes"] = f"édition {_py(edition)}"
            record["expectation_config"]["meta"] = meta
        out.append(record)
    return out


def _docs_suite(contract: Contract, row_suite, table_suite) -> dict[str, Any]:
    """The contract's whole suite (rows and per-edition table expectations), named after the dataset."""
    expectations = [
        e.configuration.to_json_dict() for e in (*row_suite.expectations, *table_suite.expectations)
    ]
    return {
        "name": contract.name,
        "expectations": expectations,
        "meta": {"contract": f"{contract.name} {contract.version}"},
        "notes": f"Généré depuis le contrat data_contracts/{_contract_relative(contract)} "
        f"({contract.name} {contract.version}) ; aucune attente n'est écrite à la main.",
    }


def _docs_result(contract: Contract, results: list[dict[str, Any]]) -> dict[str, Any]:
    """All results of this validation (row rules over every edition, table rules per edition) as one suite
    validation result; blocking success ignores the warn-level rules, as the check does."""
    evaluated = len(results)
    successful = sum(1 for r in results if r["success"])
    blocking_failed = any(
        not r["success"] and (r["expectation_config"].get("meta") or {}).get("severity", "error") == "error"
        for r in results
    )
    return {
        "success": not blocking_failed,
        "results": results,
        "suite_name": contract.name,
        "statistics": {
            "evaluated_expectations": evaluated,
            "successful_expectations": successful,
            "unsuccessful_expectations": evaluated - successful,
            "success_percent": 100.0 * successful / evaluated if evaluated else None,
        },
    }


def _contract_relative(contract: Contract) -> str:
    if contract.path is None:
        return contract.name
    parts = contract.path.parts
    return (
        "/".join(parts[parts.index("data_contracts") + 1 :]) if "data_contracts" in parts else contract.name
    )


# --- A single file checked against its contract, outside the pipeline (`qpv contracts check|diff`) ---


@dataclass
class FileCheck:
    """`qpv contracts check`: the file loaded as the pipeline loads it, then validated by the suite."""

    report: ValidationReport
    rows_loaded: int
    millesime: int
    undeclared: list[str] = field(default_factory=list)
    quarantine: str | None = None  # one line on the rows the contract moves to quarantine, if any


def source_file_for(path, source, millesime: int | None = None):
    """The SourceFile of one file given on the command line (edition from its name, unless given)."""
    from pathlib import Path

    from pipelines.sources.parsing import InputError, SourceFile, sha256_of

    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "no such file")
    if millesime is None:
        match = source.file_regex.fullmatch(path.name)
        if source.fixed_millesime is not None:
            millesime = source.fixed_millesime
        elif match:
            millesime = int(match.group("millesime"))
        else:
            raise InputError(
                str(path),
                f"the file name does not match {source.file_pattern} (dataset {source.name}): "
                "give the edition with --millesime",
            )
    return SourceFile(path=path, relative=str(path), millesime=millesime, sha256=sha256_of(path))


def check_file(path, source, millesime: int | None = None) -> FileCheck:
    """Load `path` with the source's loader, typed by its contract, into a temporary DuckDB (quarantine rules
    applied as in the pipeline), then validate it with the suite generated from the contract.

    Raises pipelines.sources.parsing.InputError for what stops the loader (unparseable value, schema drift)."""
    import tempfile
    from pathlib import Path

    from pipelines.checks.quarantine import incoming_names, quarantine_and_swap
    from pipelines.sources.loaders import get_loader
    from pipelines.warehouse import connection as warehouse

    contract = source.load_contract()
    sf = source_file_for(path, source, millesime)
    incoming, _ = incoming_names(source.name)
    with tempfile.TemporaryDirectory(prefix="qpv-check-") as tmp:
        with warehouse.connection(Path(tmp) / "check.duckdb") as con:
            load = get_loader(source.loader)(source, [sf], con, incoming)
            # quarantine rules applied and the tables swapped in as in the pipeline (pipelines/checks/quarantine.py)
            with quarantine_and_swap(con, contract, source.name, "qpv-contracts-check") as moved:
                quarantine = moved.one_line() if moved.rows_quarantined else None
            report, _ = validate_relation(con, check_query(source.name, contract), contract)
    return FileCheck(
        report=report,
        rows_loaded=load.rows,
        millesime=sf.millesime,
        undeclared=[c for cols in load.undeclared.values() for c in cols],
        quarantine=quarantine,
    )


@dataclass
class Retyped:
    column: str
    header: str
    position: int
    expected: str
    count: int
    line: int
    value: str


@dataclass
class ContractDiff:
    """`qpv contracts diff`: the file's columns compared with the contract's."""

    added: list[str]  # headers the contract does not know (neither a name nor an alias)
    removed_required: list[str]
    removed_optional: list[str]
    renamed: list[tuple[str, str]]  # (header in the file, contract column) matched through an alias
    retyped: list[Retyped]
    duplicates: list[str]  # several headers for one contract column
    unknown_columns_policy: str
    millesime: int | None = None  # the file's edition (from its name), when known
    added_types: dict[str, str] = field(default_factory=dict)  # added column -> logicalType its cells fit
    outside_editions: list[str] = field(default_factory=list)  # in the file, declared for other editions only

    @property
    def blocking(self) -> list[str]:
        """What would hold the file back (or, with `qpv run --strict`, stop the run). Columns the contract does
        not know are recorded and not loaded: they block only with --strict on a contract that rejects them."""
        out = []
        if self.removed_required:
            out.append(f"required columns absent: {self.removed_required}")
        out += [f"{r.header}: {r.count} value(s) not {r.expected}" for r in self.retyped]
        out += self.duplicates
        return out

    def yaml_change(self, contract: Contract) -> str:
        """The change to `data_contracts/<contract>.yaml` that would describe the file, as YAML to paste: the new
        columns (type read from their cells, declared from this edition on) and the `editions:` of the declared
        columns this edition lacks or has outside their editions. Empty when the contract already describes it."""
        m = self.millesime
        lines: list[str] = []
        for name in self.added:
            lines += [
                f"  - name: {name}",
                f"    logicalType: {self.added_types.get(name, 'string')}",
                "    description: À décrire (colonne apparue"
                + (f" dans l'édition {m})." if m is not None else ").")
                + " Que signifie une case vide ?",
                "    blank: secret",
            ]
            if m is not None:
                lines.append(f"    editions: {m}-")
        for name in [*self.removed_required, *self.removed_optional, *self.outside_editions]:
            column = contract.column(name)
            label = _editions_label(_editions_toggled(column, m)) if m is not None else ""
            note = "absente" if name not in self.outside_editions else "présente"
            lines += [
                f"  - name: {name}  # {note} dans l'édition {m} : changer editions",
                f"    editions: {label}",
            ]
        if not lines:
            return ""
        path = contract.path.as_posix().split("data_contracts/")[-1] if contract.path else contract.name
        return f"# data_contracts/{path}, schema[0].properties\n" + "\n".join(lines)


def _editions_toggled(column, millesime: int) -> tuple[tuple[int | None, int | None], ...]:
    """The column's editions with `millesime` removed (if it had it) or added (if it had not)."""
    ranges = list(column.editions) or [(None, None)]
    if column.in_edition(millesime):
        out = []
        for low, high in ranges:
            inside = (low is None or millesime >= low) and (high is None or millesime <= high)
            if not inside:
                out.append((low, high))
                continue
            if low is None or low < millesime:
                out.append((low, millesime - 1))
            if high is None or high > millesime:
                out.append((millesime + 1, high))
        return tuple(out)
    return tuple(sorted([*ranges, (millesime, millesime)], key=lambda r: (r[0] or 0, r[1] or 9999)))


def _editions_label(ranges) -> str:
    parts = edition_ranges(ranges)
    if not parts:
        return "[]  # plus aucune édition : retirer la colonne ?"
    return parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"


def diff_file(path, source) -> ContractDiff:
    """Compare the header (and the cells' types) of a delimited file or the schema of a Parquet file with
    the contract. Other file families: InputError."""
    from pathlib import Path

    import polars as pl

    from pipelines.sources.parsing import (
        InputError,
        clean_number,
        header_columns,
        read_header,
        read_text_table,
    )

    contract = source.load_contract()
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        header, table = list(pq.read_schema(path).names), None
    elif source.loader == "delimited":
        header = read_header(path, source.read)
        table = read_text_table(path, source.read, label=str(path))
    else:
        raise InputError(
            str(path),
            f"`contracts diff` reads delimited and Parquet files; dataset {source.name} uses the "
            f"{source.loader!r} loader (use `qpv contracts check`, which names the drifted columns)",
        )
    matches, added, duplicates = header_columns(header, contract)
    seen = {m.canonical: m.header for m in matches}
    renamed = [(m.header, m.canonical) for m in matches if m.header.upper() != m.canonical.upper()]
    millesime = source.millesime_of(path.name)
    absent = [c for c in contract.columns if c.name not in seen and c.in_edition(millesime)]
    outside = [
        c.name for c in contract.columns if c.name in seen and c.editions and not c.in_edition(millesime)
    ]
    added_types: dict[str, str] = {}
    if table is not None:
        for name in added:
            cells = table.frame.get_column(name).drop_nulls()
            parsed = (
                cells.to_frame().select(clean_number(pl.col(name), source.read.decimal_comma)).to_series()
            )
            if cells.len() and parsed.null_count() == 0:
                added_types[name] = "integer" if (parsed == parsed.round(0)).all() else "number"
            else:
                added_types[name] = "string"
    retyped: list[Retyped] = []
    if table is not None:
        frame = table.frame
        for col in contract.columns:
            header_name = seen.get(col.name)
            if header_name is None or col.logical_type not in ("number", "integer"):
                continue
            text = pl.col(header_name)
            if contract.null_values:
                text = pl.when(text.is_in(list(contract.null_values))).then(None).otherwise(text)
            cells = frame.select(pl.col("_ligne"), text.alias("text"))
            parsed = clean_number(pl.col("text"), source.read.decimal_comma)
            bad = cells.filter(pl.col("text").is_not_null() & parsed.is_null())
            expected = "a number"
            if col.logical_type == "integer":
                expected = "an integer"
                bad = cells.filter(
                    pl.col("text").is_not_null() & (parsed.is_null() | (parsed != parsed.round(0)))
                )
            if bad.height:
                first = bad.row(0, named=True)
                retyped.append(
                    Retyped(
                        col.name,
                        header_name,
                        table.positions[header_name],
                        expected,
                        bad.height,
                        int(first["_ligne"]),
                        str(first["text"]),
                    )
                )
    return ContractDiff(
        added=added,
        removed_required=[c.name for c in absent if c.required],
        removed_optional=[c.name for c in absent if not c.required],
        renamed=renamed,
        retyped=retyped,
        duplicates=duplicates,
        unknown_columns_policy=contract.unknown_columns,
        millesime=millesime,
        added_types=added_types,
        outside_editions=outside,
    )
