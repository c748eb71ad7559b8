"""Issue 26, `qpv sql` and the published warehouse: nothing an analyst types can change the warehouse or its kept
versions, lift the memory cap, read a file, run for ever, or be printed as terminal markup.

A real published warehouse (three tiny publications through pipelines/warehouse/publication.py) and the real
`qpv` command in a subprocess; the published file and every kept version are compared byte for byte after each
attempt."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from pipelines.warehouse import publication
from pipelines.warehouse.readonly import QueryRefused, read_query
from tests.conftest import run_cli


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def published(tmp_path):
    """A published warehouse with two kept versions, as `qpv run` leaves it."""
    target = tmp_path / "qpv.duckdb"
    for i in range(2):
        build = publication.build_path_for(target, f"run{i}")
        build.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(build)) as con:
            con.execute("create schema marts")
            con.execute(
                "create table marts.indicateurs_qpv as select * from (values ('QP000001', '[/x] [bold]gras', ?)) "
                "as t (code_qp, lib_qp, valeur)",
                [i],
            )
            publication.write_meta(
                con, f"qpv-v{i}", f"run{i}", publication.dt.datetime.now(publication.dt.UTC), 1.0
            )
        publication.publish_build(target, build, f"qpv-v{i}")
    return target


def _files(published):
    return {p.name: _digest(p) for p in [published, *publication.list_versions(published)]}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        # the attack of the issue: the published file overwritten through COPY (and its kept version with it)
        (
            "COPY (select 'x' as x) TO '{published}' (FORMAT csv, USE_TMP_FILE false)",
            "instruction COPY refusée",
        ),
        ("set memory_limit = '10GB'", "instruction SET refusée"),
        ("select 1; drop table marts.indicateurs_qpv", "une seule requête par appel"),
        ("attach '{tmp}/autre.duckdb' as autre", "instruction ATTACH refusée"),
        ("select * from read_csv('/etc/passwd')", "accès aux fichiers et au réseau interdit"),
        ("export database '{tmp}/dump'", "refusée"),
        ("call pragma_version()", "instruction CALL refusée"),
        (
            "select current_setting('memory_limit') as m; set enable_external_access = true",
            "une seule requête",
        ),
    ],
)
def test_nothing_typed_changes_the_warehouse_or_its_versions(published, tmp_path, query, message):
    before = _files(published)
    listing = sorted(p.name for p in published.parent.iterdir())
    with pytest.raises(QueryRefused, match=message):
        read_query(published, query.format(published=published, tmp=tmp_path))
    assert _files(published) == before
    assert sorted(p.name for p in published.parent.iterdir()) == listing  # no .wal, no new file beside it


def test_the_command_refuses_the_overwrite_in_one_french_line(published):
    """The attack of the issue through the real `qpv sql` command."""
    before = _files(published)
    query = f"COPY (select 'x' as x) TO '{published}' (FORMAT csv, USE_TMP_FILE false)"
    result = run_cli("sql", query, "--warehouse", str(published))
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("Erreur : instruction COPY refusée"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert _files(published) == before


def test_kept_versions_are_independent_files(published):
    """The published file is a copy of its version, not a hard link: damage to one cannot reach the other, and
    `qpv rollback` brings the published file back."""
    versions = publication.list_versions(published)
    assert len(versions) == 2
    assert all(v.stat().st_ino != published.stat().st_ino for v in versions)
    assert publication.current_version(published) == "qpv-v1"
    kept = _digest(versions[-1])
    published.write_bytes(b"x,\n")  # the damage a COPY TO used to do
    assert _digest(versions[-1]) == kept
    publication.rollback(published, "qpv-v1")  # what `qpv rollback qpv-v1` does
    assert _digest(published) == kept


def test_a_query_that_runs_too_long_is_interrupted(published):
    with pytest.raises(QueryRefused, match="requête interrompue après 2 s"):
        read_query(published, "select count(*) from range(100000000000) as a", timeout=2)


def test_data_is_printed_as_data_and_settings_stay_locked(published):
    result = run_cli("sql", "select lib_qp, current_setting('memory_limit') as m from marts.indicateurs_qpv",
                     "--warehouse", str(published))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "[/x] [bold]gras" in result.stdout  # the markup of a name is shown, not interpreted (nor a crash)
    assert "10GB" not in result.stdout
    for query in (
        "describe marts.indicateurs_qpv",
        "explain select 1",
        "pragma version",
        "from marts.indicateurs_qpv",
    ):
        assert len(read_query(published, query)) >= 1, query
