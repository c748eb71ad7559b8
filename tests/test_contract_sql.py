"""pipelines/contracts/sql.py: the one translation of the contracts into SQL, and the checks that use it.

The texts pinned here are those the checks wrote before the translation moved into one module: the load of a raw
view records its counts under the SHA-256 of each condition's text (pipelines/checks/rule_counts.py), so a change
of text must be deliberate. The conditions are also evaluated in DuckDB, on rows chosen to hit each branch.
"""

from __future__ import annotations

import dataclasses
import hashlib
from types import SimpleNamespace

import duckdb
import pytest

from assets import all_sources
from pipelines.checks import integrity, quarantine, rule_counts, validation
from pipelines.contracts import sql
from pipelines.contracts.model import (
    BoundingBoxRule,
    Box,
    Column,
    CompareRule,
    Contract,
    Reference,
    SumRule,
)
from pipelines.contracts.registry import ReadOptions
from pipelines.sources.parsing import LINEAGE_COLUMNS, InputError, header_columns, match_columns


def _contract(**fields) -> Contract:
    base = dict(
        name="essai",
        version="1.0.0",
        title="",
        description="",
        producer="",
        license="",
        official_url="",
        cadence="",
        freshness="",
        columns=(),
        key=(),
    )
    return Contract(**{**base, **fields})


SYNTHETIC = _contract(
    columns=(
        Column(
            'a"b',
            "string",
            "",
            nullable=False,
            pattern="^x'y$",
            allowed_values=("o'k", "z"),
            on_fail="quarantine",
        ),
        Column(
            "n", "number", "", minimum=0, maximum=1.5, unit="%", allowed_values=(1, 2.5), on_fail="quarantine"
        ),
        Column("m", "integer", "", minimum=3),
        Column("g", "geometry", ""),
        Column("lon", "number", ""),
        Column("lat", "number", ""),
    ),
    key=('a"b', "m"),
    exclude_from_rules={"m": ("1", "it's")},
    compare_rules=(CompareRule("n", ">=", "m", ""), CompareRule("m", ">", "n", "")),
    bounding_boxes=(
        BoundingBoxRule(
            "lon", "lat", (Box("fr", (-5.0, 10.0), (41.0, 51.5)), Box("re", (55, 56), (-21.5, -20.8))), ""
        ),
    ),
)

EXCLUDED = "coalesce(\"m\" in ('1', 'it''s'), false)"
# As the checks wrote them before pipelines/contracts/sql.py (quarantine._column_rules, validation._sql_rules).
PINNED_COUNTED = [
    f"not ({EXCLUDED})",
    EXCLUDED,
    f'not ({EXCLUDED}) and ("a""b" is null)',
    f"not ({EXCLUDED}) and (coalesce(not regexp_matches(cast(\"a\"\"b\" as varchar), '^x''y$'), false))",
    f"not ({EXCLUDED}) and (coalesce(cast(\"a\"\"b\" as varchar) not in ('o''k', 'z'), false))",
    f'not ({EXCLUDED}) and (coalesce("n" < 0.0 or "n" > 1.5, false))',
    f'not ({EXCLUDED}) and (coalesce("n" not in (1.0, 2.5), false))',
    f'not ({EXCLUDED}) and (coalesce("m" < 3.0, false))',
    f'not ({EXCLUDED}) and (coalesce(not ("n" >= "m"), false))',
    f'not ({EXCLUDED}) and (coalesce(not ("m" > "n"), false))',
]
BOX = (
    '("lon" is not null and "lat" is not null and not (("lon" between -5.0 and 10.0 and "lat" between 41.0 '
    'and 51.5) or ("lon" between 55.0 and 56.0 and "lat" between -21.5 and -20.8)))'
)
PINNED_QUARANTINE = [
    ("not_null", 'a"b', '"a""b" is null', "null", "valeur manquante (vide interdit)"),
    (
        "pattern",
        'a"b',
        "coalesce(not regexp_matches(cast(\"a\"\"b\" as varchar), '^x''y$'), false)",
        'cast("a""b" as varchar)',
        "valeur au format invalide (attendu : ^x'y$)",
    ),
    (
        "allowed_values",
        'a"b',
        "coalesce(cast(\"a\"\"b\" as varchar) not in ('o''k', 'z'), false)",
        'cast("a""b" as varchar)',
        "valeur hors de la liste autorisée [\"o'k\", 'z']",
    ),
    (
        "range",
        "n",
        'coalesce("n" < 0.0 or "n" > 1.5, false)',
        'cast("n" as varchar)',
        "valeur hors de l'intervalle [0, 1.5] %",
    ),
    (
        "allowed_values",
        "n",
        'coalesce("n" not in (1.0, 2.5), false)',
        'cast("n" as varchar)',
        "valeur hors de la liste autorisée [1, 2.5]",
    ),
    (
        "bounding_box",
        "lon,lat",
        BOX,
        'cast("lon" as varchar) || \', \' || cast("lat" as varchar)',
        "coordonnées hors des emprises de la France (fr, re)",
    ),
]


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        yield connection


# --- quoting -----------------------------------------------------------------------------------------------


def test_quoting_doubles_the_quote_characters():
    assert sql.ident("code_qp") == '"code_qp"'
    assert sql.ident('a"b') == '"a""b"'
    assert sql.ident('"; drop table x; --') == '"""; drop table x; --"'
    assert sql.literal("it's") == "'it''s'"
    assert sql.literal("''") == "''''''"
    assert sql.literal(2024) == "'2024'"
    assert sql.number(3) == "3.0" and sql.number(-21.5) == "-21.5"


@pytest.mark.parametrize("text", ["plain", "it's", "'; drop table t; --", 'a"b', "", "é\u202f%"])
def test_quoted_names_and_literals_come_back_unchanged(con, text):
    assert con.execute(f"select {sql.literal(text)}").fetchone()[0] == text
    if text:
        con.execute(f"create table t ({sql.ident(text)} integer)")
        con.execute(f"insert into t ({sql.ident(text)}) values (7)")
        assert con.execute(f"select {sql.ident(text)} from t").fetchone()[0] == 7
        assert [d[0] for d in con.execute("select * from t").description] == [text]


def test_every_quoting_site_uses_the_contracts_module():
    from pipelines.sources.loaders import sirene
    from pipelines.warehouse import export

    assert sirene.quote_ident is sql.ident and sirene.quote_literal is sql.literal
    assert export.ident is sql.ident
    for module in (quarantine, validation, integrity):
        assert not hasattr(module, "_ident") and not hasattr(module, "_sql_ident")


# --- the rule texts, as the checks wrote them ------------------------------------------------------------------


def test_the_counted_conditions_keep_their_text():
    assert sql.counted_conditions(SYNTHETIC) == PINNED_COUNTED
    # the SHA-256 the load records (meta.comptes_regles.condition_sha256) is that of this text
    digest = hashlib.sha256(PINNED_COUNTED[2].encode("utf-8")).hexdigest()
    assert rule_counts._sha256(sql.counted_conditions(SYNTHETIC)[2]) == digest


def test_the_quarantine_rules_keep_their_text_and_reasons():
    rules = quarantine.quarantine_rules(SYNTHETIC)
    assert [(r.rule, r.column, r.violation, r.value, r.reason) for r in rules] == PINNED_QUARANTINE
    assert [r.label for r in rules][-1] == "bounding_box lon,lat"
    assert [r.violation for r in rules] == [r.violation for r in sql.droppable_rules(SYNTHETIC)]


def test_the_offending_condition_keeps_its_text_and_follows_the_columns_present():
    present = {c.name for c in SYNTHETIC.columns}
    violations = [r[2] for r in PINNED_QUARANTINE]
    expected = "(" + " or ".join(f"({v})" for v in violations) + f") and not ({EXCLUDED})"
    assert sql.offending_condition(SYNTHETIC, present) == expected
    # without the latitude, the bounding box cannot be evaluated: left out
    partial = sql.offending_condition(SYNTHETIC, present - {"lat"})
    assert partial is not None and '"lat"' not in partial and '"n" not in' in partial
    assert sql.offending_condition(SYNTHETIC, {"m", "g"}) is None
    assert sql.offending_condition(_contract(columns=(Column("x", "string", ""),)), {"x"}) is None


def test_the_check_and_the_load_count_the_same_conditions():
    assert validation.counted_conditions is sql.counted_conditions
    for source in all_sources():
        contract = source.load_contract()
        if any(c.logical_type == "geometry" and c.allowed_values for c in contract.columns):
            continue  # a geometry's type is checked on the summarised frame, never counted in SQL
        counted = sql.counted_conditions(contract)
        assert len(counted) == 2 + len(sql.checked_rules(contract))
        loaded = rule_counts.load_conditions(contract)
        assert loaded[: len(counted)] == counted
        offending = sql.offending_condition(contract, set(LINEAGE_COLUMNS) | set(contract.column_names))
        assert loaded[len(counted) :] == ([offending] if offending and offending not in counted else [])


# --- the conditions, evaluated ---------------------------------------------------------------------------------


def _values(con, columns: str, rows: list[tuple], expression: str) -> list:
    placeholders = ", ".join("?" for _ in rows[0])
    con.execute(f"create or replace table r ({columns})")
    con.executemany(f"insert into r values ({placeholders})", rows)
    return [v for (v,) in con.execute(f"select {expression} from r order by rowid").fetchall()]


def test_column_rules_flag_exactly_the_offending_values(con):
    code = Column(
        "code", "string", "", nullable=False, pattern="^QN[0-9]{3}$", allowed_values=("QN001", "QN9")
    )
    rate = Column("taux", "number", "", minimum=0, maximum=100)
    kind = Column("kind", "integer", "", allowed_values=(1, 2))
    rules = {r.rule: r for r in sql.column_rules(code)}
    assert list(rules) == ["not_null", "pattern", "allowed_values"]
    codes = [("QN001",), ("QN002",), ("XX",), (None,)]
    assert _values(con, "code varchar", codes, rules["not_null"].violation) == [False, False, False, True]
    assert _values(con, "code varchar", codes, rules["pattern"].violation) == [False, False, True, False]
    assert _values(con, "code varchar", codes, rules["allowed_values"].violation) == [
        False,
        True,
        True,
        False,
    ]
    assert _values(con, "code varchar", codes, rules["pattern"].value) == ["QN001", "QN002", "XX", None]
    [(rate_rule)] = sql.column_rules(rate)
    rates = [(0.0,), (100.0,), (-0.1,), (100.5,), (None,)]
    assert rate_rule.rule == "range"
    assert _values(con, "taux double", rates, rate_rule.violation) == [False, False, True, True, False]
    [(kind_rule)] = sql.column_rules(kind)
    kinds = [(1,), (2,), (3,), (None,)]
    assert _values(con, "kind bigint", kinds, kind_rule.violation) == [False, False, True, False]
    assert sql.column_rules(Column("free", "string", "")) == []


def test_row_rules_compare_and_bounding_box(con):
    compare = sql.compare_rule(CompareRule("a", ">=", "b", ""))
    strict = sql.compare_rule(CompareRule("a", ">", "b", ""))
    rows = [(2.0, 1.0), (1.0, 1.0), (0.0, 1.0), (None, 1.0)]
    assert _values(con, "a double, b double", rows, compare.violation) == [False, False, True, False]
    assert _values(con, "a double, b double", rows, strict.violation) == [False, True, True, False]
    assert compare.rule == "compare" and compare.columns == ["a", "b"]
    box = sql.bounding_box_rule(BoundingBoxRule("x", "y", (Box("fr", (-5, 10), (41, 52)),), ""))
    points = [(2.35, 48.85), (0.0, 0.0), (None, 0.0), (2.0, None)]
    assert _values(con, "x double, y double", points, box.violation) == [False, True, False, False]
    assert _values(con, "x double, y double", points, box.value)[:2] == ["2.35, 48.85", "0.0, 0.0"]


def test_excluded_rows_are_kept_out_and_the_predicates_are_never_null(con):
    contract = _contract(exclude_from_rules={"code": ("Ensemble", "it's"), "dep": ("97",)})
    rows = [("Ensemble", "75"), ("it's", None), ("QN001", "97"), ("QN001", "75"), (None, None)]
    excluded = _values(con, "code varchar, dep varchar", rows, sql.excluded(contract))
    kept = _values(con, "code varchar, dep varchar", rows, sql.not_excluded(contract))
    assert excluded == [True, True, True, False, False]
    assert kept == [not e for e in excluded]
    # the form integrity.py wrote before: the same rows
    before = " and ".join(
        f"coalesce({col} not in ({', '.join(sql.literal(v) for v in values)}), true)"
        for col, values in contract.exclude_from_rules.items()
    )
    assert _values(con, "code varchar, dep varchar", rows, before) == kept
    assert sql.excluded(_contract()) == "false" and sql.not_excluded(_contract()) == "not (false)"


def test_key_record_and_check_select(con):
    assert sql.key([]) == "null"
    assert sql.key(iter(["a", 'b"c'])) == 'concat_ws(\'|\', "a", "b""c")'
    rows = [("x", 1, 2.5)]
    assert _values(con, 'a varchar, "b""c" integer, d double', rows, sql.key(["a", 'b"c'])) == ["x|1"]
    assert _values(con, 'a varchar, "b""c" integer, d double', rows, sql.row_json(["a", "d"])) == [
        '{"a":"x","d":2.5}'
    ]
    select = sql.check_select(SYNTHETIC, "raw.essai")
    assert select.startswith('select millesime, _fichier, _sha256, _ligne, a"b, n, m, case when g is null')
    assert select.endswith("else 'INVALID' end as g, lon, lat from raw.essai")
    assert validation.check_query("essai", SYNTHETIC) == select
    assert validation.check_query("essai", SYNTHETIC, "x.y").endswith(" from x.y")


# --- integrity: references and sums ----------------------------------------------------------------------------


def _integrity_tables(con) -> Contract:
    con.execute("create schema raw")
    con.execute(
        "create table raw.essai (millesime integer, _fichier varchar, _ligne bigint, code varchar, "
        "communes varchar, a double, b double, total double)"
    )
    con.executemany(
        "insert into raw.essai values (2024, 'f.csv', ?, ?, ?, ?, ?, ?)",
        [
            (2, "QN001", "75056, 13055", 1, 2, 3),
            (3, "QN002", "75056,99999", 1, 2, 4),  # one unknown commune; 1 + 2 != 4
            (4, "Ensemble", "00000", 5, 5, 1),  # excluded from the rules
            (5, "QN003", None, None, 2, 9),  # nothing to check
            (6, "QN004", "HZ, 97501", 0.1, 0.2, 0.3),  # ignored codes; sum within tolerance
        ],
    )
    con.execute('create table raw.communes ("COM\'" varchar)')
    con.executemany("insert into raw.communes values (?)", [("75056",), ("13055",)])
    return _contract(
        columns=tuple(Column(n, "string", "") for n in ("code", "communes", "a", "b", "total")),
        key=("code",),
        exclude_from_rules={"code": ("Ensemble",)},
    )


def test_reference_sql_reports_each_missing_code_once(con):
    contract = _integrity_tables(con)
    ref = Reference(
        "communes", "communes", "COM'", "", separator=",", ignore_values=("HZ",), ignore_pattern="^975"
    )
    found = con.execute(f"select ligne, cle, valeur from ({sql.reference_sql(contract, ref)}) order by all")
    assert found.fetchall() == [(3, "QN002", "99999")]
    assert integrity.reference_sql is sql.reference_sql


def test_sum_sql_reports_the_rows_that_do_not_add_up(con):
    contract = _integrity_tables(con)
    rule = SumRule(("a", "b"), "total", None, 0.0, "")
    found = con.execute(f"select ligne, cle, somme, total from ({sql.sum_sql(contract, rule)}) order by all")
    assert found.fetchall() == [(3, "QN002", 3.0, 4.0)]
    fixed = SumRule(("a", "b"), None, 0.3, 0.01, "")
    found = con.execute(f"select ligne from ({sql.sum_sql(contract, fixed)}) order by all")
    assert [r[0] for r in found.fetchall()] == [2, 3]
    report = integrity.check_integrity(con, dataclasses.replace(contract, sum_rules=(rule,)))
    assert [(f.rule, f.unexpected_count, f.examples[0]["code"]) for f in report.failures] == [
        ("sum", 1, "QN002")
    ]


# --- file headers: one matching for the loads and `qpv contracts diff` ----------------------------------------


def test_header_columns_matches_aliases_and_collects_every_clash():
    contract = _contract(
        columns=(
            Column("CODGEO", "string", "", aliases=("CODE_QP",), required=True),
            Column("POP", "integer", "", aliases=("POPULATION",)),
        )
    )
    header = ["code_qp", " NOUVELLE ", "", "POP", "population", "codgeo"]
    matches, unknown, clashes = header_columns(header, contract)
    assert [(m.canonical, m.header, m.position) for m in matches] == [
        ("CODGEO", "code_qp", 1),
        ("POP", "POP", 4),
    ]
    assert unknown == ["NOUVELLE"]
    assert len(clashes) == 2 and "'POP'" in clashes[0] and "'population'" in clashes[0]
    with pytest.raises(InputError) as error:
        match_columns(header, contract, "f.csv", 1)
    assert clashes[0] in str(error.value)
    assert match_columns(["CODE_QP", "X"], contract, "f.csv", 1)[1] == ["X"]


def test_contracts_diff_reports_what_the_loads_match(tmp_path):
    contract = _contract(
        columns=(
            Column("CODGEO", "string", "", aliases=("CODE_QP",), required=True),
            Column("POP", "integer", "", required=True),
            Column("TAUX", "number", ""),
        )
    )
    source = SimpleNamespace(
        name="essai",
        loader="delimited",
        read=ReadOptions(separator=";"),
        load_contract=lambda: contract,
        millesime_of=lambda name: 2024,
    )
    path = tmp_path / "ESSAI_2024.csv"
    path.write_text("code_qp;pop;CODGEO;NOUVELLE\nQN001;12;QN001;3\nQN002;1,5;QN002;4\n", encoding="utf-8")
    diff = validation.diff_file(path, source)
    header = path.read_text(encoding="utf-8").splitlines()[0].split(";")
    matches, unknown, clashes = header_columns(header, contract)
    assert diff.added == unknown == ["NOUVELLE"] and diff.added_types == {"NOUVELLE": "integer"}
    assert diff.duplicates == clashes and len(clashes) == 1 and "'CODGEO'" in clashes[0]
    assert diff.renamed == [("code_qp", "CODGEO")]  # `pop` differs only by case: not a rename
    assert diff.removed_required == [] and diff.removed_optional == ["TAUX"]
    assert [(r.column, r.header, r.count, r.line, r.value) for r in diff.retyped] == [
        ("POP", "pop", 1, 3, "1,5")
    ]
