"""`qpv refresh`: the dry run lists each source's official URL and editions; a live source fetched from a real
HTTP server on 127.0.0.1 lands in the raw archive and is loaded from there like a local file."""

from __future__ import annotations

import dataclasses

from assets import all_sources
from pipelines.contracts.registry import LiveSpec
from pipelines.sources.live import LiveSourceClient, RefreshedSourceClient
from pipelines.sources.loaders import get_loader
from pipelines.warehouse.connection import connection
from tests.conftest import run_cli
from tests.http_fixture import Reply, ScriptedServer


def test_dry_run_lists_urls_and_editions_without_network(shared_data, tmp_path):
    result = run_cli("refresh", "--dry-run", "--data-dir", str(shared_data), "--archive", str(tmp_path / "a"))
    assert result.returncode == 0, result.stderr
    lines = {line.split("\t")[0]: line.split("\t") for line in result.stdout.splitlines() if "\t" in line}
    assert lines["anct_revn"][1] == "2017,2018,2019,2021"
    assert (
        lines["insee_cog_communes"][2]
        == "https://www.insee.fr/fr/statistiques/fichier/7766585/v_commune_2024.csv"
    )
    assert "942d4ee8-8142-4556-8ea1-335537ce1119" in lines["anct_qpv2024_perimetres"][2]
    assert {s.name for s in all_sources()} <= set(lines)  # every source is listed
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").rglob("*.csv"))  # nothing downloaded


def test_live_file_goes_through_the_archive_into_the_raw_table(shared_data, tmp_path):
    body = (shared_data / "cog_insee" / "departements_france.csv").read_bytes()
    source = next(s for s in all_sources() if s.name == "insee_departements")
    with ScriptedServer() as server:
        server.script("/departements_france.csv", Reply(body=body, headers={"Content-Type": "text/csv"}))
        live = dataclasses.replace(
            source, live=LiveSpec(kind="direct", urls=((2024, server.url + "/departements_france.csv"),))
        )
        client = LiveSourceClient(
            archive_root=str(tmp_path / "archive"), allowed_hosts=["127.0.0.1"], allow_http=True
        )
        [retrieval] = client.refresh(live)
        assert retrieval.outcome == "new" and retrieval.size == len(body)

    files = RefreshedSourceClient(archive_root=str(tmp_path / "archive")).files(live)
    assert [(f.relative, f.millesime) for f in files] == [("cog_insee/departements_france.csv", 2024)]
    assert files[0].path.read_bytes() == body and "archive" in str(files[0].path)
    with connection(tmp_path / "w.duckdb") as con:
        report = get_loader(live.loader)(live, files, con, "raw.insee_departements")
        assert report.rows == 101
        assert con.execute(
            "select nom_departement, _sha256 = ? from raw.insee_departements where code_departement = '2A'",
            [files[0].sha256],
        ).fetchall() == [("Corse-du-Sud", True)]
