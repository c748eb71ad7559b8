"""The new-files sensor: a later edition dropped into the data folder yields exactly one run request."""

from __future__ import annotations

import json
import shutil

from dagster import AssetKey, SkipReason, build_sensor_context

from pipelines.definitions import build_definitions
from pipelines.resources import resources_for


def _evaluate(defs, cursor, paths):
    sensor_def = defs.resolve_sensor_def("nouveaux_fichiers")
    context = build_sensor_context(
        cursor=cursor, resources=resources_for(*paths), repository_def=defs.get_repository_def()
    )
    return sensor_def(context), context.cursor


def test_new_edition_yields_one_run_request_then_none(shared_data, tmp_path):
    folder = tmp_path / "data" / "anct_onpv_qpv2015"
    folder.mkdir(parents=True)
    for year in (2017, 2018):
        shutil.copy(shared_data / "anct_onpv_qpv2015" / f"REVN_{year}.csv", folder)
    paths = (tmp_path / "data", tmp_path / "w.duckdb", tmp_path / "dash")
    defs = build_definitions(resources_for(*paths))

    first, cursor = _evaluate(defs, None, paths)
    assert first.run_key and AssetKey(["raw", "anct_revn"]) in first.asset_selection
    assert AssetKey(["marts", "indicateurs_qpv"]) in first.asset_selection  # downstream included
    assert AssetKey(["marts", "ref_indicateurs"]) not in first.asset_selection  # not downstream of REVN

    nothing, cursor = _evaluate(defs, cursor, paths)
    assert isinstance(nothing, SkipReason)

    shutil.copy(shared_data / "anct_onpv_qpv2015" / "REVN_2019.csv", folder)
    (folder / "notes.txt").write_text("not a source file")
    again, cursor = _evaluate(defs, cursor, paths)
    assert again.tags["qpv/fichiers"] == "anct_onpv_qpv2015/REVN_2019.csv"
    assert again.run_key != first.run_key
    assert sorted(json.loads(cursor)) == [f"anct_onpv_qpv2015/REVN_{y}.csv" for y in (2017, 2018, 2019)]

    assert isinstance(_evaluate(defs, cursor, paths)[0], SkipReason)
