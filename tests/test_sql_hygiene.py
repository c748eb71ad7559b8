"""SQL hygiene: no SQL built by string formatting from user or file input.

The Python code (pipelines/, assets/, dashboards/, benchmarks/) is parsed with `ast`: every `execute`,
`executemany`, `sql` or `query` call whose SQL argument is an f-string, a `.format()` call or a `%`/`+`
concatenation (directly, or through a local variable bound to one) interpolating anything but a literal or a
module constant (UPPER_CASE name) is a finding. A finding is accepted only if its (file, function) is listed in
ALLOWED with the reason why the interpolated parts are identifiers or values from the code, never from input;
values from input go through bind parameters (`?`, `$name`). The SQL files under sql/ carry no template or format
placeholder (Jinja, `{name}`, `%s`): they are run as written, except the two macros of pipelines.warehouse.models.MACRO,
`{{ seed('<identifier>') }}` (the typed `read_csv` of the project's file sql/seeds/<identifier>.csv) and
`{{ long_shape('<identifier>') }}` (the typed columns of the themes' long shape, selected from a CTE of the model).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.warehouse.models import MACRO

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("pipelines", "assets", "dashboards", "benchmarks")
SQL_METHODS = frozenset({"execute", "executemany", "sql", "query"})

# Reasons, each naming where the interpolated identifiers or literals come from.
TABLE_FROM_CODE = (
    "table/schema names from the code (registry Source declarations, layer constants), never input"
)
SQL_FILES = "the SQL text of a file under sql/ (or a fixed query of the code) wrapped by a fixed clause"
EXTENSION = "the path of the DuckDB extension found in site-packages (LOAD takes no bind parameter)"
SETTINGS = "a DuckDB setting computed by the code (int/bool): SET takes no bind parameter"
COLUMNS = "column lists built from the data contracts / loader column declarations of the code"
PLACEHOLDERS = "only `?` placeholders or code-side identifiers are interpolated; values are bound parameters"

CONTRACT_IDENTIFIERS = (
    "column names and key of the data contract (YAML of the code), table names from the code"
)
CONTRACT_RULES = "rule conditions generated from the data contract, identifiers quoted by _sql_ident"
MART_COLUMNS = "mart column names read from information_schema, quoted by _quote; the file path is bound"
BENCHMARK = "benchmark generator: paths quoted by _literal, separators and source names of the code"

# (path, enclosing function) -> why the interpolated parts are identifiers or literals of the code. Audited one by
# one; a new site fails the test until it is reviewed and listed here (or rewritten with bind parameters).
ALLOWED: dict[tuple[str, str], str] = {
    ("assets/factory.py", "_published_rows"): TABLE_FROM_CODE,
    ("pipelines/checks/integrity.py", "_rows"): SQL_FILES,
    ("pipelines/checks/integrity.py", "_count_rows"): TABLE_FROM_CODE,
    ("pipelines/checks/integrity.py", "check_integrity"): SQL_FILES,
    ("pipelines/sources/loaders/__init__.py", "create_empty_table"): COLUMNS,
    ("pipelines/sources/loaders/__init__.py", "write_frame"): TABLE_FROM_CODE,
    ("pipelines/sources/loaders/sirene.py", "check_values"): COLUMNS,
    ("pipelines/sources/loaders/sirene.py", "_raise_first_bad"): COLUMNS,
    ("pipelines/sources/loaders/sirene.py", "parquet_view_select"): COLUMNS
    + "; the stock path, file name and sha256 as literals quoted by quote_literal; the counted conditions "
    "generated from the data contract (validation.counted_conditions, quarantine.offending_condition)",
    ("pipelines/sources/loaders/sirene.py", "create_table"): COLUMNS,
    ("pipelines/sources/loaders/sirene.py", "insert_typed"): COLUMNS,
    ("pipelines/sources/loaders/sirene.py", "_stock_date"): COLUMNS,
    ("pipelines/sources/loaders/sirene.py", "memory_cap"): SETTINGS,
    ("pipelines/sources/loaders/sirene.py", "load_sirene"): TABLE_FROM_CODE
    + "; the raw view's SELECT (parquet_view_select): contract columns, and the stock path, file name and sha256 "
    "as literals quoted by quote_literal (a view takes no bind parameter)",
    ("pipelines/sources/loaders/spatial.py", "load_spatial"): CONTRACT_IDENTIFIERS,
    ("pipelines/sources/loaders/spatial.py", "check_coordinates"): CONTRACT_IDENTIFIERS,
    ("pipelines/checks/rule_counts.py", "mark_view"): TABLE_FROM_CODE
    + "; the comment is a SHA-256 in hexadecimal computed by the code (COMMENT takes no bind parameter)",
    ("pipelines/checks/quarantine.py", "create_quarantine_table"): COLUMNS,
    ("pipelines/checks/quarantine.py", "quarantine_rows"): CONTRACT_IDENTIFIERS,
    ("pipelines/checks/quarantine.py", "publish"): TABLE_FROM_CODE,
    ("pipelines/checks/quarantine.py", "materialize_view"): TABLE_FROM_CODE,
    (
        "pipelines/cli/app.py",
        "demo",
    ): "raw view names read from the catalogue (duckdb_views) of the schema the code builds",
    ("pipelines/domain/terrain.py", "rebuild_marts"): SQL_FILES,
    ("pipelines/domain/terrain.py", "_import_into"): PLACEHOLDERS,
    ("pipelines/checks/validation.py", "validate_relation"): CONTRACT_RULES,
    ("pipelines/warehouse/export.py", "_write_csv"): MART_COLUMNS,
    (
        "pipelines/warehouse/connection.py",
        "connect",
    ): "schema names of the layers (constant tuple); the memory limit "
    "matched by _memory_limit's pattern (digits and a unit: SET takes no bind parameter)",
    ("pipelines/warehouse/connection.py", "load_spatial"): EXTENSION,
    ("assets/factory.py", "materialize"): SQL_FILES + "; table or view (from the model's header)",
    ("assets/factory.py", "sql_asset._table"): SQL_FILES,
    ("assets/factory.py", "raw_asset._raw"): TABLE_FROM_CODE
    + "; held-back editions are integers of the file names",
    ("pipelines/checks/holdback.py", "failing_editions"): SQL_FILES
    + " (check_query); the edition an integer from the table",
    ("pipelines/checks/holdback.py", "keep_published_rows"): TABLE_FROM_CODE
    + "; columns read from the catalogue (describe), quoted; edition and file are bound parameters",
    ("pipelines/checks/validation.py", "rows_fingerprint"): SQL_FILES + " (check_query)",
    ("benchmarks/sirene.py", "generate"): BENCHMARK,
    ("benchmarks/sirene.py", "noop_refresh"): BENCHMARK,
}


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the scanned root, posix
    function: str  # enclosing qualified name, "<module>" at top level
    line: int
    parts: tuple[str, ...]  # source of the interpolated expressions

    def __str__(self) -> str:
        return f"{self.path}:{self.line} in {self.function}: SQL built with {', '.join(self.parts)}"


def _trusted(node: ast.expr) -> bool:
    """A literal, or a module constant (UPPER_CASE name, attribute of one)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id.isupper() or (node.id.strip("_").isupper() and "_" in node.id)
    if isinstance(node, ast.Attribute):
        return node.attr.isupper()
    return False


class _Scanner(ast.NodeVisitor):
    def __init__(self, source: str, path: str):
        self.source, self.path = source, path
        self.stack: list[str] = []
        self.assignments: list[dict[str, list[ast.expr]]] = [{}]
        self.findings: list[Finding] = []

    # --- scopes ----------------------------------------------------------------------------------------
    def _scope(self, node: ast.AST) -> None:
        self.stack.append(node.name)  # type: ignore[attr-defined]
        bound: dict[str, list[ast.expr]] = {}
        for child in ast.walk(node):
            targets: list[ast.expr] = []
            if isinstance(child, ast.Assign):
                targets = child.targets
            elif isinstance(child, ast.AnnAssign | ast.AugAssign) and child.value is not None:
                targets = [child.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    value = child.value  # type: ignore[attr-defined]
                    if isinstance(child, ast.AugAssign):
                        value = ast.BinOp(left=ast.Name(id="<previous>"), op=child.op, right=child.value)
                    bound.setdefault(target.id, []).append(value)
        self.assignments.append(bound)
        self.generic_visit(node)
        self.assignments.pop()
        self.stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scope  # noqa: N815

    # --- calls ---------------------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:  # noqa: N802
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in SQL_METHODS:
            argument = node.args[0] if node.args else None
            for keyword in node.keywords:
                if keyword.arg in ("query", "sql"):
                    argument = keyword.value
            if argument is not None:
                parts = self._dynamic_parts(argument, depth=0)
                if parts:
                    self.findings.append(
                        Finding(self.path, ".".join(self.stack) or "<module>", node.lineno, tuple(parts))
                    )
        self.generic_visit(node)

    def _segment(self, node: ast.expr) -> str:
        return ast.get_source_segment(self.source, node) or ast.dump(node)

    def _dynamic_parts(self, node: ast.expr, depth: int) -> list[str]:
        """The interpolated expressions that are not trusted; empty for a string not built by formatting."""
        if depth > 4:
            return []
        if isinstance(node, ast.JoinedStr):
            return [
                self._segment(v.value)
                for v in node.values
                if isinstance(v, ast.FormattedValue) and not _trusted(v.value)
            ]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
            if isinstance(node.op, ast.Mod) and self._is_text(node.left, depth):
                values = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
                return self._dynamic_parts(node.left, depth + 1) + [
                    self._segment(v) for v in values if not _trusted(v)
                ]
            parts: list[str] = []
            for side in (node.left, node.right):
                nested = self._dynamic_parts(side, depth + 1)
                if nested or self._is_text(side, depth) or _trusted(side):
                    parts += nested
                else:
                    parts.append(self._segment(side))
            return parts if self._is_text(node, depth) else []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            values = list(node.args) + [k.value for k in node.keywords]
            return self._dynamic_parts(node.func.value, depth + 1) + [
                self._segment(v) for v in values if not _trusted(v)
            ]
        if isinstance(node, ast.Name) and node.id != "<previous>":
            parts = []
            for value in self._bound(node.id):
                parts += self._dynamic_parts(value, depth + 1)
            return parts
        return []

    def _bound(self, name: str) -> list[ast.expr]:
        for scope in reversed(self.assignments):
            if name in scope:
                return scope[name]
        return []

    def _is_text(self, node: ast.expr, depth: int) -> bool:
        """Whether `node` is (statically) a string: literal, f-string, concatenation or format of one."""
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.JoinedStr):
            return True
        if isinstance(node, ast.BinOp):
            return self._is_text(node.left, depth) or self._is_text(node.right, depth)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            return True
        if isinstance(node, ast.Name) and depth < 4:
            return any(self._is_text(v, depth + 1) for v in self._bound(node.id))
        return False


def scan_source(source: str, path: str) -> list[Finding]:
    scanner = _Scanner(source, path)
    scanner.visit(ast.parse(source, filename=path))
    return scanner.findings


def scan_tree(root: Path) -> list[Finding]:
    findings: list[Finding] = []
    for folder in SCANNED:
        for file in sorted((root / folder).rglob("*.py")) if (root / folder).is_dir() else []:
            findings += scan_source(file.read_text(encoding="utf-8"), file.relative_to(root).as_posix())
    return findings


# --- the scanner itself, on planted examples ---------------------------------------------------------------------

PLANTED = """
TABLE = "marts.indicateurs_qpv"

def fstring(con, code):
    return con.execute(f"select * from t where code_qp = '{code}'")

def percent(con, code):
    return con.sql("select * from t where code_qp = '%s'" % code)

def plus(con, code):
    return con.execute("select * from t where code_qp = '" + code + "'")

def formatted(con, code):
    return con.query("select * from t where code_qp = '{}'".format(code))

def through_a_variable(con, code):
    query = "select * from t where code_qp = " + repr(code)
    return con.execute(query)

def augmented(con, code):
    query = "select * from t"
    query += f" where code_qp = '{code}'"
    return con.execute(query)

def keyword(con, code):
    return con.execute(query=f"select * from t where code_qp = '{code}'")

def safe_bound(con, code):
    return con.execute("select * from t where code_qp = ?", [code])

def safe_constant(con):
    return con.execute(f"select count(*) from {TABLE}")

def safe_literal_concatenation(con):
    return con.execute("select 1 " + "from t")

def safe_parameter_text(con, sql):
    return con.execute(sql)
"""


def test_the_scanner_finds_every_planted_formatting():
    findings = {f.function: f for f in scan_source(PLANTED, "planted.py")}
    assert set(findings) == {
        "fstring", "percent", "plus", "formatted", "through_a_variable", "augmented", "keyword",
    }  # fmt: skip
    assert findings["fstring"].parts == ("code",)
    assert findings["percent"].parts == ("code",)
    assert findings["plus"].parts == ("code",)
    assert findings["formatted"].parts == ("code",)
    assert findings["through_a_variable"].parts == ("repr(code)",)
    assert "code" in findings["augmented"].parts
    assert str(findings["fstring"]).startswith("planted.py:5 in fstring: SQL built with code")


def test_a_planted_module_in_the_scanned_tree_fails_the_check(tmp_path):
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "planted.py").write_text(PLANTED, encoding="utf-8")
    unexplained = [f for f in scan_tree(tmp_path) if (f.path, f.function) not in ALLOWED]
    assert len(unexplained) == 7 and {f.path for f in unexplained} == {"pipelines/planted.py"}


# --- the code base ---------------------------------------------------------------------------------------------


def test_no_sql_is_built_by_formatting_except_the_listed_identifier_sites():
    findings = scan_tree(ROOT)
    unexplained = [str(f) for f in findings if (f.path, f.function) not in ALLOWED]
    assert not unexplained, (
        "SQL built by string formatting (use bind parameters, or list the site in ALLOWED with the reason "
        "the parts are identifiers from the code):\n" + "\n".join(unexplained)
    )


def test_every_allowed_site_still_exists():
    """The list does not keep stale exemptions."""
    present = {(f.path, f.function) for f in scan_tree(ROOT)}
    stale = sorted(set(ALLOWED) - present)
    assert not stale, f"ALLOWED lists sites that no longer build SQL: {stale}"


PLACEHOLDER = re.compile(
    r"\{\{|\{%|\{#"  # Jinja
    r"|\{[A-Za-z_][A-Za-z0-9_]*(?:![rsa])?(?::[^}]*)?\}"  # str.format / f-string field
    r"|%\([A-Za-z_]\w*\)[sd]|(?<!%)%[sd]\b"  # printf style
)


def _sql_code(text: str) -> str:
    """The SQL without its `--` comments and string literals (placeholders would be there as text only)."""
    text = re.sub(r"'(?:[^']|'')*'", "''", text)
    return re.sub(r"--[^\n]*", "", text)


def sql_placeholders(root: Path) -> list[str]:
    found = []
    for file in sorted((root / "sql").rglob("*.sql")):
        text = MACRO.sub("macro", file.read_text(encoding="utf-8"))  # the two sanctioned macros
        for number, line in enumerate(_sql_code(text).splitlines(), start=1):
            for match in PLACEHOLDER.finditer(line):
                found.append(f"{file.relative_to(root).as_posix()}:{number}: {match.group(0)!r}")
    return found


def test_sql_files_carry_no_template_or_format_placeholder():
    assert sql_placeholders(ROOT) == []


@pytest.mark.parametrize(
    "line",
    [
        "select * from {{ ref('x') }}",
        "where code = {code}",
        "where code = %s",
        "where code = %(code)s",
        "select * from {{ seed(name) }}",
        "select * from {{ seed('../x') }}",
        "select * from {{ seed('x') }} where a = {a}",
    ],
)
def test_the_placeholder_check_finds_planted_templates(tmp_path, line):
    (tmp_path / "sql" / "marts").mkdir(parents=True)
    (tmp_path / "sql" / "marts" / "planted.sql").write_text(
        f"-- header\nselect 1\n{line}\n", encoding="utf-8"
    )
    [found] = sql_placeholders(tmp_path)
    assert found.startswith("sql/marts/planted.sql:3: ")


def test_the_seed_and_long_shape_macros_are_the_accepted_templates(tmp_path):
    (tmp_path / "sql" / "staging").mkdir(parents=True)
    (tmp_path / "sql" / "staging" / "ref_x.sql").write_text(
        "-- header\nselect * from {{ seed('annees_reference') }}\nselect * from {{ long_shape('lignes') }}\n",
        encoding="utf-8",
    )
    assert sql_placeholders(tmp_path) == []
