"""The layers of the code: no import cycle among the project's modules, few modules directly in pipelines/.

Every import is read from the source (module level and inside functions alike): a cycle dodged by an import inside
a function is still a cycle. pipelines/ holds the entry points (definitions, runner, resources, paths) and the
layers as packages: contracts/, sources/, checks/, warehouse/, orchestration/, cli/, domain/ (README, "How it fits
together").
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipelines", "assets", "dashboards", "benchmarks")
MAX_TOP_MODULES = 8


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (`import a.b`, `from a import b` where b is a module or a name)."""
    known = modules()

    def resolve(dotted: str) -> str | None:
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in known:
                return candidate
        return None

    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps |= {r for alias in node.names if (r := resolve(alias.name))}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                for alias in node.names:
                    target = resolve(f"{base}.{alias.name}") or resolve(base)
                    if target:
                        deps.add(target)
        deps.discard(name)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_planted_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = import_graph()  # imports inside functions are read too
    assert "pipelines.checks.validation" in graph["assets.factory"]
    assert "pipelines.warehouse.publication" in graph["pipelines.resources"]


def test_few_modules_directly_in_pipelines():
    top = sorted(p.name for p in (ROOT / "pipelines").glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top


def test_no_private_dagster_import_in_tests():
    private = ("from dagster." + "_", "import dagster." + "_")
    offenders = [
        path.name
        for path in (ROOT / "tests").rglob("*.py")
        if any(marker in path.read_text(encoding="utf-8") for marker in private)
    ]
    assert offenders == [], offenders
