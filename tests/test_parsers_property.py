"""Property-based tests (hypothesis) of the number parser and of the QPV code parser."""

from __future__ import annotations

import math
import re

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.sources.parsing import QPV_CODE_PATTERNS, InputError, clean_number, parse_qpv_code

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEPARATORS = ["\u202f", "\u00a0", " ", ""]  # narrow no-break space, no-break space, space, none
MARKERS = ["s", "nd", "ns", "n.d.", "*", "-", "NA", "[ND]"]


def parse_all(cells: list[str | None], decimal_comma: bool = True) -> list[float | None]:
    """The parser as the loader applies it: a whole column at once."""
    frame = pl.DataFrame({"v": cells}, schema={"v": pl.String})
    return frame.select(clean_number(pl.col("v"), decimal_comma))["v"].to_list()


def french(value: float | int, decimals: int, thousands: str) -> str:
    """How the producers write a number: thousands grouped, decimal comma, minus sign in front."""
    text = f"{abs(value):,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", thousands)
    return ("-" if value < 0 else "") + text


@FAST
@given(
    st.lists(
        st.tuples(st.integers(-(10**12), 10**12), st.sampled_from(SEPARATORS)),
        min_size=1,
        max_size=20,
    )
)
def test_integers_written_the_french_way_round_trip(pairs):
    cells = [french(n, 0, sep) for n, sep in pairs]
    assert parse_all(cells) == [float(n) for n, _ in pairs]


@FAST
@given(
    st.lists(
        st.tuples(
            st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),
            st.integers(0, 4),
            st.sampled_from(SEPARATORS),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_decimals_with_a_comma_and_thousands_separators_round_trip(triples):
    cells = [french(x, d, sep) for x, d, sep in triples]
    parsed = parse_all(cells)
    for (x, d, _), cell, value in zip(triples, cells, parsed, strict=True):
        assert value is not None, cell
        assert math.isclose(value, round(x, d), rel_tol=1e-12, abs_tol=10 ** -(d + 1)), (cell, value)


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_repr_of_any_float_reads_back_exactly_with_a_comma(x):
    text = repr(x)
    assert parse_all([text.replace(".", ",")]) == [x]
    assert parse_all([text], decimal_comma=False) == [x]


@FAST
@given(
    st.lists(st.sampled_from(MARKERS) | st.text(alphabet="abcxyz*/-?", min_size=1, max_size=6), max_size=10)
)
def test_secret_markers_and_words_are_never_read_as_numbers(cells):
    # The parser turns them into null; type_columns then refuses them unless the contract's nullValues lists
    # them (tests/corpus: marker cases).
    assert parse_all(cells) == [None] * len(cells)


@FAST
@given(st.lists(st.none() | st.just(""), max_size=5))
def test_blank_cells_stay_null(cells):
    assert parse_all(cells) == [None] * len(cells)


# --- QPV codes ---------------------------------------------------------------------------------------------------

DEPARTEMENT = st.one_of(
    st.integers(0, 99).map(lambda n: f"0{n:02d}"),
    st.sampled_from(["02A", "02B"]),
    st.integers(0, 99).map(lambda n: f"9{n:02d}"),
)
CODE_2015 = st.builds(lambda d, n: f"QP{d}{n:03d}", DEPARTEMENT, st.integers(0, 999))
CODE_2024 = st.builds(
    lambda d, n, letter: f"QN{d}{n:02d}{letter}", DEPARTEMENT, st.integers(0, 99), st.sampled_from("MINABZ")
)
BLANKS = st.text(alphabet=" \t\u00a0\u202f", max_size=3)


@FAST
@given(
    st.one_of(CODE_2015.map(lambda c: ("qpv2015", c)), CODE_2024.map(lambda c: ("qpv2024", c))),
    BLANKS,
    BLANKS,
)
def test_valid_codes_round_trip_with_surrounding_blanks_removed(geo_code, before, after):
    geographie, code = geo_code
    assert parse_qpv_code(code) == code
    assert parse_qpv_code(before + code + after, geographie) == code


def is_valid(text: str) -> bool:
    return any(re.fullmatch(p, text.strip()) for p in QPV_CODE_PATTERNS.values())


MUTATED = st.one_of(
    CODE_2015.map(str.lower),  # qp059077
    CODE_2015.map(lambda c: c[:-1]),  # QP59077-like: a digit short
    CODE_2015.map(lambda c: c + "0"),
    CODE_2015.map(lambda c: c.replace("QP", "QV")),
    CODE_2024.map(lambda c: c[:-1]),
    st.builds(
        lambda c, i, ch: c[:i] + ch + c[i + 1 :], CODE_2015, st.integers(2, 7), st.sampled_from("O-_ xé")
    ),
    st.text(max_size=12),
)


@FAST
@given(MUTATED)
def test_malformed_codes_always_raise_with_the_value_in_the_message(text):
    if is_valid(text):
        assert parse_qpv_code(text) == text.strip()
        return
    with pytest.raises(InputError) as info:
        parse_qpv_code(text, label="REVN_2019.csv, ligne 4")
    assert repr(text) in str(info.value)
    assert str(info.value).startswith("REVN_2019.csv, ligne 4 : code QPV mal formé ")
    assert "\n" not in str(info.value).replace(repr(text), "")


@pytest.mark.parametrize(
    ("value", "geographie"),
    [("QP59077", None), ("qp059077 ", None), ("QN05901M", "qpv2015"), ("QP059077", "qpv2024"), (None, None)],
)
def test_the_corpus_codes_are_refused(value, geographie):
    with pytest.raises(InputError, match="code QPV mal formé"):
        parse_qpv_code(value, geographie)


def test_codes_of_the_wrong_geography_and_unknown_geographies():
    assert parse_qpv_code(" QP02A001", "qpv2015") == "QP02A001"
    with pytest.raises(ValueError, match="unknown geography"):
        parse_qpv_code("QP059077", "qpv2030")


# --- SIRENE text cells: the trim of a column stored plain is only skipped where it changes nothing ----------

ZS = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
EDGES = st.sampled_from([*ZS, "\t", "\n", "é", "𝄞", "a", "0", ""])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(EDGES, st.text(max_size=12), EDGES), min_size=1, max_size=40))
def test_conditional_trim_of_a_plain_column_is_trim(cells):
    import duckdb

    from pipelines.sources.loaders.sirene import _trimmed

    values = [start + middle + end for start, middle, end in cells] + [None, "", " ", "\u00a0"]
    with duckdb.connect() as con:
        con.execute("create table t (v varchar)")
        con.executemany("insert into t values (?)", [[v] for v in values])
        rows = con.execute(f"select v, trim(v), {_trimmed('v', plain=True)} from t").fetchall()
    assert all(expected == got for _, expected, got in rows), [r for r in rows if r[1] != r[2]]
