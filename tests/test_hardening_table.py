"""The hardening table of tests/corpus/README.md (issue 26) is generated from tests/corpus/hardening.py and names only
tests that exist: each attack's test function is defined in its file, and a parametrized case's parameter is there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.corpus.hardening import HARDENING, README, counts, readme_section

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"^(tests/[a-z0-9_]+\.py)::([a-z0-9_]+)(?:\[(.+)\])?$")


def test_the_readme_holds_the_generated_table():
    assert readme_section() in README.read_text(encoding="utf-8"), (
        "tests/corpus/README.md is stale: run .venv/bin/python -m tests.corpus.hardening"
    )


def test_every_attack_names_a_test_that_exists():
    functions: dict[str, set[str]] = {}
    for attack in HARDENING:
        match = REFERENCE.match(attack.test)
        assert match, attack.test
        path, function, parameter = match.groups()
        text = (ROOT / path).read_text(encoding="utf-8")
        if path not in functions:
            functions[path] = {
                node.name
                for node in ast.walk(ast.parse(text))
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            }
        assert function in functions[path], attack.test
        assert function.startswith("test_"), attack.test
        if parameter:
            assert parameter in text, attack.test
        assert attack.outcome in ("refusé", "neutralisé", "protégé"), attack


def test_the_counts_add_up():
    c = counts()
    assert c["tentées"] == c["refusé"] + c["neutralisé"] + c["protégé"] >= 40
