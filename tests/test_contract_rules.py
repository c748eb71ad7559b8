"""Every contract, every rule kind: the real files pass, a dirty copy fails (or is quarantined) with evidence.

The raw tables are built once per module with the real loaders (the raw asset's steps without Dagster: loader,
quarantine, publish) from ../shared/data, and from the synthetic demo for the sources absent from it (SIRENE,
DEFM). For each contract, a dirty copy of its raw table gets one violation of each rule kind the contract
declares, on distinct rows (range, pattern, allowed values, blank, key duplicate, compare, sum, reference,
quarantine); the contract check (Great Expectations, pipelines.checks.validation), the integrity check
(pipelines.checks.integrity) and the quarantine (pipelines.checks.quarantine) must each name the rule, the column, the file line
and the key of the row we edited. Row counts and missing required columns get their own dirty copies (a table with
an edition repeated; a file without the column).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from assets import all_sources
from assets.factory import check_query
from pipelines.checks.integrity import check_integrity
from pipelines.checks.quarantine import publish, quarantine_rows, quarantine_rules
from pipelines.checks.validation import validate_frame
from pipelines.sources.loaders import get_loader
from pipelines.sources.parsing import discover_files
from pipelines.warehouse.connection import connect

# The terrain observations are left to tests/test_terrain.py and tests/test_anonymisation.py: their demo files hold
# rows that MUST be refused (personal data), and their rows are screened by the anonymisation gate before the contract.
SOURCES = {s.name: s for s in all_sources() if s.name != "terrain_observations"}
UNKNOWN_CODE = {"anct_demo": "QP099999", "anct_qpv2024_perimetres": "QN09999M", "insee_cog_communes": "00000"}


def load_raw(con: duckdb.DuckDBPyConnection, source, files) -> None:
    """What the raw asset does, without Dagster: load, quarantine, publish."""
    contract = source.load_contract()
    incoming = f"raw.{source.name}__incoming"
    get_loader(source.loader)(source, files, con, incoming)
    quarantine_rows(con, contract, incoming, f"quarantine.{source.name}__incoming", "test", datetime.now(UTC))
    publish(con, source.name, incoming, f"quarantine.{source.name}__incoming")


@pytest.fixture(scope="module")
def roots(shared_data: Path, tmp_path_factory) -> dict[str, Path]:
    from pipelines.domain.demo.generator import generate_demo_data

    demo = tmp_path_factory.mktemp("demo_files") / "data"
    generate_demo_data(demo)
    return {"real": shared_data, "demo": demo}


def origin(name: str, roots: dict[str, Path]) -> str:
    """Real files when ../shared/data has them, else the demo (SIRENE, DEFM)."""
    return "real" if discover_files(SOURCES[name], roots["real"]) else "demo"


@pytest.fixture(scope="module")
def warehouses(roots, tmp_path_factory) -> dict[str, Path]:
    """One DuckDB file per origin, every source loaded (references resolve within one origin)."""
    out = {}
    for kind, root in roots.items():
        path = tmp_path_factory.mktemp(f"raw_{kind}") / "w.duckdb"
        con = connect(path)
        try:
            for source in SOURCES.values():
                files = discover_files(source, root)
                if files:
                    load_raw(con, source, files)
        finally:
            con.close()
        out[kind] = path
    return out


def copy_of(warehouses, roots, name: str) -> tuple[duckdb.DuckDBPyConnection, str]:
    """An in-memory copy of the raw table of `name` and of the tables its references read."""
    kind = origin(name, roots)
    con = connect(None)
    con.execute(f"attach '{warehouses[kind]}' as src (read_only)")
    contract = SOURCES[name].load_contract()
    for table in {name, *(r.dataset for r in contract.references)}:
        con.execute(f"create table raw.{table} as select * from src.raw.{table}")
    con.execute("detach src")
    return con, kind


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_real_or_demo_files_pass(name, warehouses, roots):
    contract = SOURCES[name].load_contract()
    kind = origin(name, roots)
    con = connect(warehouses[kind], read_only=True)
    try:
        frame = con.sql(check_query(name, contract)).df()
        quarantined = con.execute(f"select count(*) from quarantine.{name}").fetchone()[0]
        integrity = check_integrity(con, contract)
    finally:
        con.close()
    assert len(frame) > 0, f"{name}: no {kind} file loaded"
    report = validate_frame(frame, contract)
    assert report.passed, report.summary()
    assert not integrity.errors, integrity.summary()
    assert not [f for f in integrity.failures if f.rule == "reference_absente"]
    assert quarantined == 0, f"{name}: the {kind} files must not lose rows to quarantine"


def test_demo_passes_every_integrity_rule(warehouses):
    con = connect(warehouses["demo"], read_only=True)
    try:
        for name, source in SOURCES.items():
            report = check_integrity(con, source.load_contract())
            assert not report.failures, report.summary()
            assert con.execute(f"select count(*) from quarantine.{name}").fetchone()[0] == 0
    finally:
        con.close()


# --- dirty copies ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Violation:
    check: str  # contract | integrity | quarantine
    rule: str
    column: str
    fichier: str
    ligne: int
    key: str | None  # key value of the edited row, as the evidence shows it


class Editor:
    def __init__(self, con, contract):
        self.con, self.contract, self.table = con, contract, f"raw.{contract.name}"
        self.used: set[tuple[str, int]] = set()
        self.violations: list[Violation] = []

    def _eligible(self) -> str:
        parts = ["true"]
        for col, values in self.contract.exclude_from_rules.items():
            quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
            parts.append(f"coalesce({col} not in ({quoted}), true)")
        return " and ".join(parts)

    def row(self, condition: str = "true", millesime: int | None = None) -> tuple[str, int, int]:
        where = f"{self._eligible()} and {condition}"
        if millesime is not None:
            where += f" and millesime = {millesime}"
        for fichier, ligne, edition in self.con.execute(
            f"select _fichier, _ligne, millesime from {self.table} where {where} order by millesime desc, _ligne"
        ).fetchall():
            if (fichier, ligne) not in self.used:
                self.used.add((fichier, ligne))
                return fichier, ligne, edition
        pytest.fail(f"{self.contract.name}: no row left for {condition}")

    def set(self, fichier: str, ligne: int, assignments: str) -> None:
        self.con.execute(
            f"update {self.table} set {assignments} where _fichier = ? and _ligne = ?", [fichier, ligne]
        )

    def key(self, fichier: str, ligne: int) -> str | None:
        if not self.contract.key:
            return None
        cols = ", ".join(f"cast({c} as varchar)" for c in self.contract.key)
        return self.con.execute(
            f"select concat_ws('|', {cols}) from {self.table} where _fichier = ? and _ligne = ?",
            [fichier, ligne],
        ).fetchone()[0]

    def add(self, check, rule, column, fichier, ligne) -> None:
        self.violations.append(Violation(check, rule, column, fichier, ligne, self.key(fichier, ligne)))


def quarantined_columns(contract) -> set[str]:
    return {c for r in quarantine_rules(contract) for c in r.column.split(",")}


def referenced_columns(contract) -> set[str]:
    return {r.column for r in contract.references}


def pick(contract, test, avoid: set[str]):
    """The first column passing `test`, preferring columns outside `avoid`."""
    # severity warn marks known producer defects, already present in the real files: not a clean place to inject
    candidates = [
        c
        for c in contract.columns
        if test(c) and c.name not in quarantined_columns(contract) and c.severity == "error"
    ]
    candidates.sort(key=lambda c: c.name in avoid)
    return candidates[0] if candidates else None


def make_dirty(con, contract) -> Editor:
    ed = Editor(con, contract)
    key = set(contract.key)
    avoid = key | referenced_columns(contract)
    ranged = pick(contract, lambda c: c.maximum is not None or c.minimum is not None, avoid)
    if ranged:
        f, line, _ = ed.row()
        bad = ranged.maximum + 1 if ranged.maximum is not None else ranged.minimum - 1
        ed.set(f, line, f"{ranged.name} = {bad}")
        ed.add("contract", "range", ranged.name, f, line)
    patterned = pick(contract, lambda c: c.pattern is not None, avoid)
    if patterned:
        f, line, _ = ed.row()
        ed.set(f, line, f"{patterned.name} = '#invalide'")
        ed.add("contract", "pattern", patterned.name, f, line)
    listed = pick(contract, lambda c: c.allowed_values is not None, avoid)
    if listed:
        f, line, _ = ed.row()
        value = {"string": "'#inconnu'", "geometry": "ST_GeomFromText('POINT (0 0)')"}.get(
            listed.logical_type, "987654"
        )
        ed.set(f, line, f"{listed.name} = {value}")
        ed.add("contract", "allowed_values", listed.name, f, line)
    required = pick(contract, lambda c: not c.nullable and c.name not in key, avoid)
    if required:
        f, line, _ = ed.row()
        ed.set(f, line, f"{required.name} = null")
        ed.add("contract", "not_null", required.name, f, line)
    # a key is duplicated within an edition that has two rows (France métropolitaine's file has one per edition)
    largest = con.execute(
        f"select max(n) from (select count(*) as n from {ed.table} group by millesime)"
    ).fetchone()[0]
    if contract.key and largest >= 2:
        f, line, edition = ed.row(
            f"millesime in (select millesime from {ed.table} group by 1 having count(*) >= 2)"
        )
        f2, line2, _ = ed.row(millesime=edition)
        source_key = con.execute(
            f"select {', '.join(contract.key)} from {ed.table} where _fichier = ? and _ligne = ?", [f2, line2]
        ).fetchone()
        con.execute(
            f"update {ed.table} set {', '.join(f'{c} = ?' for c in contract.key)} where _fichier = ? and _ligne = ?",
            [*source_key, f, line],
        )
        ed.add("contract", "unique_key", ",".join(contract.key), f, line)
    for rule in contract.compare_rules[:1]:
        f, line, _ = ed.row(f"{rule.right} >= 1 and {rule.left} is not null")
        ed.set(f, line, f"{rule.left} = {rule.right} - 1")
        ed.add("contract", "compare", f"{rule.left},{rule.right}", f, line)
    for rule in contract.sum_rules[:1]:
        terms = [*rule.columns, *([rule.total] if rule.total else [])]
        f, line, _ = ed.row(" and ".join(f"{c} is not null" for c in terms))
        target = rule.total or rule.columns[0]
        ed.set(f, line, f"{target} = {target} + 37")
        ed.add("integrity", "sum", ",".join([*([rule.total] if rule.total else []), *rule.columns]), f, line)
    # the evidence lists the first offending rows by edition and line: a reference that already warns about
    # real rows (Filosofi 2017's communes merged since, absent from the COG) must not push the injected row out
    # of it, so the row is taken first in the oldest edition
    oldest = con.execute(f"select min(millesime) from {ed.table}").fetchone()[0]
    for ref in contract.references:
        f, line, _ = ed.row(f"{ref.column} is not null", millesime=oldest)
        ed.set(f, line, f"{ref.column} = '{UNKNOWN_CODE[ref.dataset]}'")
        ed.add("integrity", "reference", ref.column, f, line)
    for qrule in quarantine_rules(contract):
        column = qrule.column.split(",")[0]
        f, line, _ = ed.row()
        if qrule.rule == "bounding_box":
            lon, lat = qrule.column.split(",")
            ed.set(f, line, f"{lon} = 0, {lat} = 0")
        elif qrule.rule == "not_null":
            ed.set(f, line, f"{column} = null")
        elif qrule.rule == "pattern":
            ed.set(f, line, f"{column} = '#invalide'")
        else:
            ed.set(f, line, f"{column} = '#inconnu'")
        ed.violations.append(Violation("quarantine", qrule.rule, qrule.column, f, line, None))
    return ed


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_dirty_copy_fails_with_evidence(name, warehouses, roots):
    contract = SOURCES[name].load_contract()
    con, _ = copy_of(warehouses, roots, name)
    try:
        ed = make_dirty(con, contract)
        assert ed.violations, f"{name}: the contract declares no rule"
        moved = quarantine_rows(
            con, contract, f"raw.{name}", "quarantine.dirty", "run-dirty", datetime.now(UTC)
        )
        quarantine = con.execute(
            "select fichier, ligne, colonne, regle, raison, valeur, run_id from quarantine.dirty"
        ).fetchall()
        left = {tuple(r) for r in con.execute(f"select _fichier, _ligne from raw.{name}").fetchall()}
        # only the editions we edited (GX on every real edition is the clean test's job, and slow)
        editions = {
            e
            for (e,) in con.execute(
                f"select distinct millesime from raw.{name} where (_fichier, _ligne) in "
                f"(select unnest(?), unnest(?))",
                [[v.fichier for v in ed.violations], [v.ligne for v in ed.violations]],
            ).fetchall()
        }
        frame = con.sql(check_query(name, contract)).df()
        report = validate_frame(frame[frame["millesime"].isin(editions)], contract)
        integrity = check_integrity(con, contract)
    finally:
        con.close()

    expected_quarantine = [v for v in ed.violations if v.check == "quarantine"]
    assert moved.rows_quarantined == len({(v.fichier, v.ligne) for v in expected_quarantine})
    for v in ed.violations:
        if v.check == "quarantine":
            rows = [q for q in quarantine if (q[0], q[1]) == (v.fichier, v.ligne) and q[3] == v.rule]
            assert rows, f"{name}: {v} not quarantined"
            assert rows[0][2] == v.column and rows[0][4] and rows[0][6] == "run-dirty"
            assert (v.fichier, v.ligne) not in left, "a quarantined row stays out of the raw table"
            assert f"{v.rule} {v.column}" in moved.by_rule
            continue
        failures = report.failures if v.check == "contract" else integrity.failures
        found = [f for f in failures if f.rule == v.rule and f.column == v.column]
        assert found, (
            f"{name}: {v.rule} on {v.column} not reported:\n{report.summary()}\n{integrity.summary()}"
        )
        examples = found[0].examples
        hit = [e for e in examples if e.get("file") == v.fichier and e.get("line") == v.ligne] or [
            e for e in examples if e.get("fichier") == v.fichier and e.get("ligne") == v.ligne
        ]
        assert hit, f"{name}: {v.rule} {v.column}: line {v.ligne} not in the evidence {examples}"
        if v.key is not None:
            key_name = ",".join(contract.key) if v.check == "integrity" else contract.key[0]
            shown = str(hit[0].get(key_name))
            assert shown == (v.key if v.check == "integrity" else v.key.split("|")[0]), (hit[0], v)
        column_in_evidence = v.column.split(",")[0]
        assert column_in_evidence in hit[0] or v.rule == "unique_key", hit[0]
    # the rows we did not touch stay clean: every blocking failure is one we injected
    injected = {(v.rule, v.column) for v in ed.violations}
    unexpected = [
        f
        for f in [*report.errors, *integrity.errors]
        if (f.rule, f.column) not in injected
        and f.rule not in ("range", "compare", "sum", "pattern", "reference", "unique_key")
    ]
    assert not unexpected, [f.one_line() for f in unexpected]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_row_count_violation(name, warehouses, roots):
    contract = SOURCES[name].load_contract()
    if contract.row_count_max is None:
        pytest.skip("no row count rule")
    con, _ = copy_of(warehouses, roots, name)
    try:
        edition, rows = con.execute(
            f"select millesime, count(*) from raw.{name} group by 1 order by 2 desc limit 1"
        ).fetchone()
        if contract.row_count_max <= 200_000:
            # dirty copy: the edition repeated until it exceeds the bound
            copies = contract.row_count_max // rows + 1
            con.execute(
                f"insert into raw.{name} select t.* from raw.{name} t, range({copies}) where t.millesime = {edition}"
            )
        else:
            # tens of millions of rows (SIRENE): the bound of the contract is lowered instead
            contract = dataclasses.replace(contract, row_count_max=rows - 1)
        frame = con.sql(check_query(name, contract)).df()
    finally:
        con.close()
    report = validate_frame(frame, contract)
    failure = next(f for f in report.failures if f.rule == "row_count")
    assert failure.millesime == edition and failure.unexpected_count > contract.row_count_max
    assert str(contract.row_count_max) in failure.description


def _drop_csv_column(text: str, sep: str, quote: str, names: set[str]) -> tuple[str, str]:
    newline = "\r\n" if "\r\n" in text else "\n"
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar=quote))
    header = [h.strip().lstrip("\ufeff").upper() for h in rows[0]]
    index = next(i for i, h in enumerate(header) if h in names)
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=sep, quotechar=quote, lineterminator=newline)
    for row in rows:
        writer.writerow(row[:index] + row[index + 1 :])
    return out.getvalue(), rows[0][index]


def _drop_column(source, file: Path, target: Path, column) -> None:
    names = {h.upper() for h in (column.name, *column.aliases)}
    if file.suffix == ".csv":
        raw = file.read_bytes()
        bom = raw.startswith(b"\xef\xbb\xbf")
        text, _ = _drop_csv_column(
            raw.decode("utf-8-sig"), source.read.separator, source.read.quote_char, names
        )
        target.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    elif file.suffix == ".geojson":
        doc = json.loads(file.read_text(encoding="utf-8"))
        for feature in doc["features"]:
            for prop in list(feature["properties"]):
                if prop.upper() in names:
                    del feature["properties"][prop]
        target.write_text(json.dumps(doc), encoding="utf-8")
    elif file.suffix == ".parquet":
        con = duckdb.connect()
        cols = [r[0] for r in con.execute(f"describe select * from read_parquet('{file}')").fetchall()]
        dropped = next(c for c in cols if c.upper() in names)
        con.execute(
            f"copy (select * exclude (\"{dropped}\") from read_parquet('{file}')) to '{target}' (format parquet)"
        )
        con.close()
    elif file.suffix == ".zip":
        with zipfile.ZipFile(file) as zin, zipfile.ZipFile(target, "w") as zout:
            for info in zin.infolist():
                text = zin.read(info).decode("utf-8")
                if info.filename.startswith("meta_"):
                    lines = text.splitlines(keepends=True)
                    text = "".join(ln for ln in lines if ln.split(";")[0].upper() not in names)
                else:
                    text, _ = _drop_csv_column(text, ";", '"', names)
                zout.writestr(info, text)
    else:
        raise AssertionError(f"no dirty-copy writer for {file}")


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_required_column_missing(name, roots, tmp_path):
    source = SOURCES[name]
    contract = source.load_contract()
    files = discover_files(source, roots[origin(name, roots)])
    required = [c for c in contract.columns if c.required and c.logical_type != "geometry"]
    column = next((c for c in required if c.name not in contract.key), required[0])
    first = files[-1]
    target = tmp_path / "data" / first.relative
    target.parent.mkdir(parents=True)
    _drop_column(source, first.path, target, column)
    dirty = discover_files(source, tmp_path / "data")
    con = connect(None)
    try:
        with pytest.raises(ValueError) as excinfo:
            get_loader(source.loader)(source, dirty, con, "main.incoming")
    finally:
        con.close()
    message = str(excinfo.value)
    assert column.name in message and Path(first.relative).name in message, message
