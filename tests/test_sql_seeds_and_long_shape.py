"""The two macros of the SQL models (pipelines/warehouse/models.py), on small inputs (no warehouse needed).

- Reference lists are data: every `sql/staging/ref_<name>.sql` reads its seed `sql/seeds/<name>.csv` through
  `{{ seed('<name>') }}` (no `values` list in SQL), every seed file has exactly the columns declared in `SEEDS`, and
  the staging model fails the run on a duplicated key or a blank column.
- Every theme `sql/intermediate/int_indicateurs_qpv_<theme>.sql` ends with `{{ long_shape('<cte>') }}`: the same
  columns and types for all, the values emptied where secret; the columns of a file become rows one way only,
  `unpivot include nulls (… for indicateur in (…))`.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.paths import SQL_DIR
from pipelines.warehouse.models import LONG_SHAPE, SEEDS, SqlModel, discover_models, long_shape_relation

MODELS = {(m.schema, m.name): m for m in discover_models()}
REFERENCE_MODELS = sorted(name for schema, name in MODELS if schema == "staging" and name.startswith("ref_"))
THEMES = sorted(
    name for schema, name in MODELS if schema == "intermediate" and name.startswith("int_indicateurs_qpv_")
)


def _sql_code(text: str) -> str:
    """The SQL without its `--` comments and string literals."""
    return re.sub(r"--[^\n]*", "", re.sub(r"'(?:[^']|'')*'", "''", text))


# --- seeds ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REFERENCE_MODELS)
def test_every_reference_model_reads_its_seed_and_writes_no_rows_in_sql(name):
    model = MODELS[("staging", name)]
    assert model.seeds() == [name.removeprefix("ref_")]
    assert not re.search(r"\bvalues\b", _sql_code(model.file_text), re.IGNORECASE), (
        f"{name}: rows written in SQL"
    )
    assert (
        model.description.startswith("Grain:")
        and f"sql/seeds/{name.removeprefix('ref_')}.csv" in model.description
    )


def test_every_seed_file_is_declared_with_its_exact_header():
    files = {path.stem for path in (SQL_DIR / "seeds").glob("*.csv")}
    assert files == set(SEEDS)
    for name, columns in SEEDS.items():
        with (SQL_DIR / "seeds" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == list(columns), name
        assert all(len(row) == len(columns) for row in rows[1:]), (
            f"{name}: a row has another number of fields"
        )


def _run(tmp_path: Path, name: str, edit) -> list[tuple]:
    """The staging model `name` run on a copy of its seed changed by `edit(rows) -> rows`."""
    seed = name.removeprefix("ref_")
    (tmp_path / "staging").mkdir(exist_ok=True)
    (tmp_path / "seeds").mkdir(exist_ok=True)
    shutil.copy(MODELS[("staging", name)].path, tmp_path / "staging" / f"{name}.sql")
    with (SQL_DIR / "seeds" / f"{seed}.csv").open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    with (tmp_path / "seeds" / f"{seed}.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *edit(rows)])
    model = SqlModel("staging", name, tmp_path / "staging" / f"{name}.sql")
    return duckdb.connect().execute(model.text).fetchall()


# (model, a row made blank by this change, the error expected for a duplicated first row)
CHECKS = [
    ("ref_ess_familles", lambda row: ["", *row[1:]], "en double"),
    ("ref_ess_categories_juridiques", lambda row: [*row[:4], ""], "deux plages"),
    ("ref_ess_naf_exclus", lambda row: [row[0], ""], "en double"),
    ("ref_ess_sections_naf", lambda row: [row[0], "", *row[2:]], "deux sections"),
    ("ref_tranches_effectifs", lambda row: [row[0], "", *row[2:]], "en double"),
    ("ref_non_recours_drees", lambda row: [*row[:2], "", *row[3:]], "en double"),
    ("ref_regles_secret", lambda row: [row[0], "", *row[2:]], "en double"),
    ("ref_relations_additives", lambda row: [*row[:2], "", *row[3:]], "en double"),
]


@pytest.mark.parametrize(("name", "blank", "duplicate_error"), CHECKS, ids=[c[0] for c in CHECKS])
def test_a_reference_seed_with_a_duplicate_or_a_blank_fails_the_run(tmp_path, name, blank, duplicate_error):
    assert {c[0] for c in CHECKS} == set(REFERENCE_MODELS) - {
        "ref_annees_reference",
        "ref_familles_indicateurs",
    }
    assert _run(tmp_path, name, lambda rows: rows)  # the seed as it is: rows, no error
    with pytest.raises(duckdb.Error, match=duplicate_error):
        _run(tmp_path, name, lambda rows: [*rows, rows[0]])
    with pytest.raises(duckdb.Error, match="vide"):
        _run(tmp_path, name, lambda rows: [blank(rows[0]), *rows[1:]])


# --- the long shape of the themes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", THEMES)
def test_every_theme_ends_with_the_long_shape_and_unpivots_one_way(name):
    model = MODELS[("intermediate", name)]
    assert re.search(
        r"final as \(\s*select \* from \{\{ long_shape\('[a-z_]+'\) \}\}\s*\)", model.file_text
    ), name
    code = _sql_code(model.file_text)
    unpivots = re.findall(r"\bunpivot\b[^(]*\(", code, re.IGNORECASE)
    assert all(re.fullmatch(r"unpivot include nulls \(", u, re.IGNORECASE) for u in unpivots), (
        name,
        unpivots,
    )


def test_the_long_shape_types_every_column_and_empties_the_secret_values():
    con = duckdb.connect()
    relation = con.sql(
        "with lignes as (select * from (values "
        "(1, 'Q', 'qpv2015', 2021, null, 'x', 5, 5, 100, 4, 6, true, 'S', 'h'), "
        "(2, 'R', 'qpv2015', 2021, 2020, 'x', 50, 50, 100, 40, 60, false, 'S', 'h')) "
        "as t (code_qp, lib_qp, geographie, millesime, annee_reference, indicateur, valeur, numerateur, "
        "denominateur, borne_basse, borne_haute, secret, source, fichier_sha256)) "
        f"select * from {long_shape_relation('lignes')} order by code_qp"
    )
    assert dict(zip(relation.columns, map(str, relation.types), strict=True)) == LONG_SHAPE
    assert relation.fetchall() == [
        ("1", "Q", "qpv2015", 2021, None, "x", None, None, None, None, None, True, "S", "h"),
        ("2", "R", "qpv2015", 2021, 2020, "x", 50.0, 50.0, 100.0, 40.0, 60.0, False, "S", "h"),
    ]
