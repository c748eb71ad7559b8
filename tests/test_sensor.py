"""The per-source sensors: a later edition dropped into the data folder yields exactly one run request, for that
source's raw asset and its downstream; nothing new yields none. Live mode: a conditional request on the official
URL (a real HTTP server on 127.0.0.1), a 304 yields none, new validators yield one."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from dagster import AssetKey, RunRequest, SkipReason, build_sensor_context

from pipelines.definitions import build_definitions
from pipelines.orchestration.sensors import sensor_name
from pipelines.resources import resources_for
from pipelines.sources.live.client import LiveSourceClient
from tests.http_fixture import Reply, ScriptedServer


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    base = tmp_path_factory.mktemp("defs")
    return build_definitions(resources_for(base / "data", base / "w.duckdb", base / "dash"))


def _evaluate(defs, name, cursor, resources):
    sensor_def = defs.resolve_sensor_def(sensor_name_of(name))
    context = build_sensor_context(
        cursor=cursor, resources=resources, repository_def=defs.get_repository_def()
    )
    return sensor_def(context), context.cursor


def sensor_name_of(source_name: str) -> str:
    from assets import all_sources

    return sensor_name(next(s for s in all_sources() if s.name == source_name))


def test_one_sensor_per_source(defs):
    from assets import all_sources

    names = {s.name for s in defs.get_repository_def().sensor_defs}
    assert names == {f"nouveaux_fichiers_{s.name}" for s in all_sources()}


def test_new_edition_yields_one_run_request_then_none(defs, shared_data, tmp_path):
    folder = tmp_path / "data" / "anct_onpv_qpv2015"
    folder.mkdir(parents=True)
    for year in (2017, 2018):
        shutil.copy(shared_data / "anct_onpv_qpv2015" / f"REVN_{year}.csv", folder)
    resources = resources_for(tmp_path / "data", tmp_path / "w.duckdb", tmp_path / "dash")

    first, cursor = _evaluate(defs, "anct_revn", None, resources)
    assert isinstance(first, RunRequest) and first.run_key.startswith("anct_revn:")
    assert AssetKey(["raw", "anct_revn"]) in first.asset_selection
    assert AssetKey(["marts", "indicateurs_qpv"]) in first.asset_selection  # downstream included
    assert AssetKey(["marts", "ref_indicateurs"]) not in first.asset_selection  # not downstream of REVN
    assert AssetKey(["raw", "anct_demo"]) not in first.asset_selection  # another source of the folder

    # the other sources of the same folder see nothing of theirs
    other, _ = _evaluate(defs, "anct_demo", None, resources)
    assert isinstance(other, SkipReason)

    nothing, cursor = _evaluate(defs, "anct_revn", cursor, resources)
    assert isinstance(nothing, SkipReason) and "inchangées" in nothing.skip_message  # stat only, no hashing

    shutil.copy(shared_data / "anct_onpv_qpv2015" / "REVN_2019.csv", folder)
    (folder / "notes.txt").write_text("not a source file")
    (folder / "DEMO_2019.csv").write_bytes((shared_data / "anct_onpv_qpv2015" / "DEMO_2019.csv").read_bytes())
    again, cursor = _evaluate(defs, "anct_revn", cursor, resources)
    assert isinstance(again, RunRequest)
    assert again.tags["qpv/fichiers"] == "anct_onpv_qpv2015/REVN_2019.csv"
    assert again.tags["qpv/source"] == "anct_revn"
    assert again.run_key != first.run_key
    assert sorted(json.loads(cursor)["fichiers"]) == [
        f"anct_onpv_qpv2015/REVN_{y}.csv" for y in (2017, 2018, 2019)
    ]

    assert isinstance(_evaluate(defs, "anct_revn", cursor, resources)[0], SkipReason)

    # touched but same bytes: hashed again, still nothing new; the cursor learns the new mtime
    stat = (folder / "REVN_2019.csv").stat()
    os.utime(folder / "REVN_2019.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    touched, cursor = _evaluate(defs, "anct_revn", cursor, resources)
    assert isinstance(touched, SkipReason) and "sha256" in touched.skip_message
    assert "inchangées" in _evaluate(defs, "anct_revn", cursor, resources)[0].skip_message

    # changed bytes of an existing edition: one request naming that file
    with (folder / "REVN_2018.csv").open("a", encoding="utf-8") as handle:
        handle.write("\n")
    changed, cursor = _evaluate(defs, "anct_revn", cursor, resources)
    assert (
        isinstance(changed, RunRequest) and changed.tags["qpv/fichiers"] == "anct_onpv_qpv2015/REVN_2018.csv"
    )


def test_a_format_not_served_does_not_force_hashing(defs, tmp_path):
    folder = tmp_path / "data" / "sirene"
    folder.mkdir(parents=True)
    (folder / "StockUniteLegale_utf8.parquet").write_bytes(b"PAR1 not really")
    (folder / "StockUniteLegale_utf8.zip").write_bytes(b"PK not really")
    resources = resources_for(tmp_path / "data", tmp_path / "w.duckdb", tmp_path / "dash")
    first, cursor = _evaluate(defs, "sirene_unites_legales", None, resources)
    assert (
        isinstance(first, RunRequest) and first.tags["qpv/fichiers"] == "sirene/StockUniteLegale_utf8.parquet"
    )
    second, _ = _evaluate(defs, "sirene_unites_legales", cursor, resources)
    assert isinstance(second, SkipReason) and "inchangées" in second.skip_message


def test_live_mode_conditional_request(defs, tmp_path):
    with ScriptedServer() as server:
        state = {"etag": '"v1"'}

        def respond(request):
            if request.headers.get("if-none-match") == state["etag"]:
                return Reply(304, headers={"ETag": state["etag"]})
            return Reply(200, b"x" * 10_000_000, {"ETag": state["etag"], "Content-Type": "text/csv"})

        url = server.script("/cog_2024.csv", respond)
        client = LiveSourceClient(
            archive_root=str(tmp_path / "archive"),
            allowed_hosts=["127.0.0.1"],
            allow_http=True,
            max_attempts=1,
            url_overrides={"QPV_LIVE_URL_INSEE_COG_COMMUNES": f"2024={url}"},
        )
        resources = {
            **resources_for(tmp_path / "data", tmp_path / "w.duckdb", tmp_path / "d"),
            "source_client": client,
        }

        first, cursor = _evaluate(defs, "insee_cog_communes", None, resources)
        assert isinstance(first, RunRequest) and first.tags["qpv/urls"] == url
        assert AssetKey(["raw", "insee_cog_communes"]) in first.asset_selection
        assert AssetKey(["raw", "anct_revn"]) not in first.asset_selection
        assert json.loads(cursor)[url]["etag"] == '"v1"'

        nothing, cursor = _evaluate(defs, "insee_cog_communes", cursor, resources)
        assert isinstance(nothing, SkipReason)
        assert server.requests_to("/cog_2024.csv")[-1].headers["if-none-match"] == '"v1"'

        state["etag"] = '"v2"'  # the producer republished
        again, cursor = _evaluate(defs, "insee_cog_communes", cursor, resources)
        assert isinstance(again, RunRequest) and again.run_key != first.run_key
        assert not (tmp_path / "archive").exists() or not any(
            (tmp_path / "archive").rglob("*.csv")
        )  # no download


def test_a_new_edition_dropped_in_is_ingested_and_published_in_one_step(demo_warehouse, tmp_path):
    """Acceptance of the operations issue: a later REVN edition dropped into the data folder is seen by the sensor
    (one run request, no manual step), the requested run ingests it, and the published warehouse switches to it
    in one step (a new version, the previous one kept)."""
    from dagster import DagsterInstance

    from pipelines.definitions import ALL_JOB
    from pipelines.warehouse.connection import connection

    data = tmp_path / "data"
    shutil.copytree(demo_warehouse.parent / "data", data)
    published = tmp_path / "w" / "qpv.duckdb"
    published.parent.mkdir()
    shutil.copyfile(demo_warehouse, published)
    resources = resources_for(data, published, tmp_path / "dash", atomic=True)
    defs = build_definitions(resources)
    # the sensor has seen the folder as it is (its first tick), then an edition 2022 is dropped in
    _, cursor = _evaluate(defs, "anct_revn", None, resources)
    folder = data / "anct_onpv_qpv2015"
    text = (folder / "REVN_2021.csv").read_bytes().decode("utf-8")
    (folder / "REVN_2022.csv").write_bytes(text.encode("utf-8"))
    request, cursor = _evaluate(defs, "anct_revn", cursor, resources)
    assert (
        isinstance(request, RunRequest) and request.tags["qpv/fichiers"] == "anct_onpv_qpv2015/REVN_2022.csv"
    )
    assert AssetKey(["entrepot", "publication"]) in request.asset_selection

    def state():
        with connection(published, read_only=True) as con:
            version = con.execute("select version from meta.publication").fetchone()[0]
            editions = con.execute(
                "select list(distinct millesime order by millesime) from marts.indicateurs_qpv "
                "where indicateur = 'taux_pauvrete_60' and geographie = 'qpv2015'"
            ).fetchone()[0]
        return version, editions

    old_version, old_editions = state()
    assert 2022 not in old_editions
    result = defs.resolve_job_def(ALL_JOB).execute_in_process(
        instance=DagsterInstance.ephemeral(), asset_selection=request.asset_selection, raise_on_error=False
    )
    assert result.success
    new_version, new_editions = state()
    assert new_version != old_version and new_editions == [*old_editions, 2022]
    assert isinstance(_evaluate(defs, "anct_revn", cursor, resources)[0], SkipReason)  # seen: nothing new
