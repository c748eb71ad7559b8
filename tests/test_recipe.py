"""docs/development.md § "Adding a source", executed: the recipe cannot drift from the code.

The steps are read from the page's machine-readable markers, each followed by one fenced block:

    <!-- recipe: write PATH -->   create PATH with the block (`$DATA/...` = the data folder of the run)
    <!-- recipe: append PATH -->  add the block at the end of PATH
    <!-- recipe: edit PATH -->    a diff: each hunk (split on `@@` lines) replaces its ` `/`-` lines, found exactly
                                  once in PATH, by its ` `/`+` lines
    <!-- recipe: run -->          bash commands, run from the project root with DATA and WAREHOUSE set

They are applied literally to a temporary copy of the project (the files `git ls-files` lists, without .venv and
build outputs), whose code runs with this virtualenv's Python: `.venv/bin/qpv`, `.venv/bin/python` and
`.venv/bin/pytest` of the copy are small wrappers that put the copy first on sys.path (the `qpv` entry point is
read from pyproject.toml). The data folder holds one real REVN file (anct_revn is required by every run) beside
the toy file the recipe writes. Then the toy rows must be in the raw table, the staging table and the marts.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tests.conftest import require_shared_data

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "development.md"
MARKER = re.compile(r"<!--\s*recipe:\s*(?P<action>[a-z]+)(?:\s+(?P<target>\S+))?\s*-->")
FENCE = re.compile(r"\s*\n(?P<fence>`{3,})[^\n]*\n(?P<body>.*?)\n(?P=fence)[ \t]*(?:\n|$)", re.S)
NOT_COPIED = (".venv/", "build/", "warehouse/", ".dagster_home/")


@dataclass(frozen=True)
class Step:
    action: str  # write | edit | run
    target: str | None
    body: str
    line: int  # of the marker in docs/development.md


def recipe_steps(text: str) -> list[Step]:
    steps = []
    for marker in MARKER.finditer(text):
        line = text.count("\n", 0, marker.start()) + 1
        block = FENCE.match(text, marker.end())
        assert block, f"docs/development.md:{line}: a recipe marker must be followed by a fenced block"
        action, target = marker["action"], marker["target"]
        assert action in {"write", "append", "edit", "run"}, (
            f"docs/development.md:{line}: unknown recipe action {action}"
        )
        assert (target is None) == (action == "run"), f"docs/development.md:{line}: {action} takes a path"
        steps.append(Step(action, target, block["body"] + "\n", line))
    return steps


def apply_edit(path: Path, diff: str, where: str) -> None:
    text = path.read_text(encoding="utf-8")
    hunks: list[list[str]] = [[]]
    for line in diff.splitlines():
        if line.startswith("@@"):
            hunks.append([])
        elif line:
            assert line[0] in " +-", f"{where}: a diff line starts with ' ', '+' or '-': {line!r}"
            hunks[-1].append(line)
    for hunk in (h for h in hunks if h):
        old = "".join(line[1:] + "\n" for line in hunk if line[0] in " -")
        new = "".join(line[1:] + "\n" for line in hunk if line[0] in " +")
        found = text.count(old)
        assert found == 1, f"{where}: the lines to replace are found {found} times in {path.name}:\n{old}"
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def copy_project(dest: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if name.startswith(NOT_COPIED) or not source.is_file():  # deleted in the working tree
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest / name)


def install_wrappers(copy: Path) -> None:
    """`.venv/bin/{qpv,python,pytest}` in the copy: this interpreter, the copy's code first on sys.path."""
    scripts = tomllib.loads((copy / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    module, function = scripts["qpv"].split(":")
    qpv = f"import sys; sys.argv[0] = 'qpv'; from {module} import {function} as main; sys.exit(main())"
    commands = {
        "qpv": f'exec "{sys.executable}" -c "{qpv}" "$@"',
        "python": f'exec "{sys.executable}" "$@"',
        "pytest": f'exec "{sys.executable}" -m pytest "$@"',
    }
    bin_dir = copy / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, command in commands.items():
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexport PYTHONPATH="{copy}"\n{command}\n', encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_the_recipe_has_steps_for_every_file_it_names():
    steps = recipe_steps(DOC.read_text(encoding="utf-8"))
    actions = [s.action for s in steps]
    assert {"write", "edit", "run"} <= set(actions)
    written = {s.target for s in steps if s.action == "write"}
    assert any(t.startswith("data_contracts/") for t in written), "the contract"
    assert any(t.startswith("assets/") for t in written), "the Source(...) declaration"
    assert any(t.startswith("sql/staging/") for t in written), "the staging model"
    assert any(t.startswith("$DATA/") for t in written), "a file in the data folder"
    run = "\n".join(s.body for s in steps if s.action == "run")
    assert "qpv contracts docs" in run and "qpv run" in run


def test_the_recipe_runs_on_a_toy_source(tmp_path):
    shared = require_shared_data()
    steps = recipe_steps(DOC.read_text(encoding="utf-8"))
    copy, data, warehouse = tmp_path / "projet", tmp_path / "data", tmp_path / "toy.duckdb"
    copy_project(copy)
    install_wrappers(copy)
    revn = data / "anct_onpv_qpv2015" / "REVN_2019.csv"  # anct_revn is required by every run
    revn.parent.mkdir(parents=True)
    shutil.copyfile(shared / revn.relative_to(data), revn)

    env = {**os.environ, "DATA": str(data), "WAREHOUSE": str(warehouse), "PYTHONPATH": str(copy)}
    probe = "import assets, pipelines; print(pipelines.__file__, assets.__file__)"
    imported = subprocess.run(
        [copy / ".venv" / "bin" / "python", "-c", probe], cwd=copy, env=env, capture_output=True, text=True
    ).stdout.split()
    assert imported and all(Path(f).is_relative_to(copy) for f in imported), (
        f"not the copy's code: {imported}"
    )

    toy_files: dict[str, str] = {}
    for step in steps:
        where = f"docs/development.md:{step.line} ({step.action} {step.target or ''})"
        if step.action == "run":
            begin = time.monotonic()
            command = ["bash", "-euo", "pipefail", "-c", step.body]
            result = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=600)
            output = f"{result.stdout}\n{result.stderr}"
            assert result.returncode == 0, f"{where} exited {result.returncode}:\n{output}"
            print(f"{where}: {time.monotonic() - begin:.0f} s")
            continue
        in_data = step.target.startswith("$DATA/")
        target = data / step.target.removeprefix("$DATA/") if in_data else copy / step.target
        if step.action == "write":
            assert not target.exists(), f"{where}: {step.target} already exists"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.body, encoding="utf-8")
            if in_data:
                toy_files[target.name] = step.body
        elif step.action == "append":
            assert target.is_file(), f"{where}: no file {step.target} to append to"
            text = target.read_text(encoding="utf-8")
            target.write_text(text + ("" if text.endswith("\n") else "\n") + step.body, encoding="utf-8")
        else:
            assert target.is_file(), f"{where}: no file {step.target} to edit"
            apply_edit(target, step.body, where)

    # every project file the page names exists (names with placeholders aside)
    named = re.findall(r"`([\w./-]+/[\w.-]+\.(?:py|sql|yaml|csv|md|json))`", DOC.read_text(encoding="utf-8"))
    for name in set(named):
        assert (copy / name).exists(), f"docs/development.md names {name}, absent from the project"

    # the toy rows, loaded, renamed and published
    assert len(toy_files) == 1, "one toy data file"
    [(file_name, text)] = toy_files.items()
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    codes = sorted(r["CODGEO"] for r in rows)
    assert codes
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute("select table_name from information_schema.tables where table_schema = 'raw'")
        holding = [
            table
            for (table,) in tables.fetchall()
            if con.execute(
                f'select count(*) from raw."{table}" where _fichier like ?', [f"%{file_name}"]
            ).fetchone()[0]
        ]
        assert len(holding) == 1, f"one raw table holds {file_name}: {holding}"
        [name] = holding
        assert sorted(c for (c,) in con.execute(f'select CODGEO from raw."{name}"').fetchall()) == codes
        staged = sorted(c for (c,) in con.execute(f'select code_qp from staging."stg_{name}"').fetchall())
        assert staged == codes, "the staging table holds the toy rows"
        # the indicators computed from the toy file (lineage: its sha256), defined in the dictionary
        published = con.execute(
            f"""select indicateur, count(distinct code_qp) from marts.indicateurs_qpv
                where fichier_sha256 in (select _sha256 from raw."{name}") group by indicateur"""
        ).fetchall()
        assert published and all(n == len(codes) for _, n in published), f"toy indicators: {published}"
        defined = {c for (c,) in con.execute("select code from marts.ref_indicateurs").fetchall()}
        assert {i for i, _ in published} <= defined
    assert (copy / "docs" / "donnees" / f"{name}.md").is_file(), "the dataset page was generated"
