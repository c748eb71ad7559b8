"""The live client against a real HTTP server on 127.0.0.1 (tests/http_fixture.py): no other network."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import struct
import time
import zipfile
from pathlib import Path

import pytest
from dagster import asset, materialize

from pipelines.contracts.registry import LiveSpec, Source
from pipelines.sources.live import (
    LiveSourceClient,
    LiveSourceError,
    RawArchive,
    open_zip_member,
    safe_members,
    sniff_kind,
)
from tests.http_fixture import Reply, ScriptedServer, ranged

CSV = b"code_qp;population\nQN05901M;1234\nQN97401N;987\n"
FOLDER = "demo_folder"
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"


@pytest.fixture
def server():
    with ScriptedServer() as srv:
        yield srv


def make_client(tmp_path: Path, server: ScriptedServer, **overrides) -> LiveSourceClient:
    """A client allowed to reach the test server over plain HTTP, with short timeouts and delays."""
    config = dict(
        archive_root=str(tmp_path / "archive"),
        datagouv_api=server.url + "/api/1",
        allowed_hosts=["127.0.0.1"],
        allow_http=True,
        connect_timeout=2.0,
        read_timeout=0.4,
        max_attempts=3,
        backoff_base=0.01,
        backoff_max=0.05,
    )
    config.update(overrides)
    return LiveSourceClient(**config)


def make_source(
    live: LiveSpec | None,
    pattern: str = r"demo_(?P<millesime>\d{4})\.csv",
    fmt: str = "csv",
    fixed: int | None = None,
) -> Source:
    return Source(
        name="demo",
        producer="demo",
        title="Démo",
        folder=FOLDER,
        file_pattern=pattern,
        official_url="https://www.insee.fr/fr/statistiques/0000000",
        contract="demo/demo.yaml",
        geographie="qpv2024",
        format=fmt,
        fixed_millesime=fixed,
        live=live,
    )


def direct(*pairs: tuple[int, str]) -> Source:
    return make_source(LiveSpec(kind="direct", urls=tuple(pairs)))


def manifest(tmp_path: Path) -> list[dict]:
    path = tmp_path / "archive" / "manifest.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def archived_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "archive" / FOLDER
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def leftovers(tmp_path: Path) -> list[Path]:
    partial = tmp_path / "archive" / ".partial"
    return sorted(partial.glob("*.part")) + sorted(partial.glob("*.part.json")) if partial.exists() else []


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# --- 200, 304, same bytes -------------------------------------------------------------------------------


def test_200_archives_the_file_read_only_with_a_manifest_line(tmp_path, server):
    headers = {"ETag": '"v1"', "Last-Modified": LAST_MODIFIED, "Content-Type": "text/csv"}
    url = server.script("/files/demo_2023.csv", Reply(body=CSV, headers=headers))
    source = direct((2023, url))

    [sf] = make_client(tmp_path, server).files(source)

    sha = hashlib.sha256(CSV).hexdigest()
    assert sf.millesime == 2023 and sf.sha256 == sha
    assert sf.relative == f"{FOLDER}/demo_2023.csv"
    assert sf.path == tmp_path / "archive" / FOLDER / sha[:2] / sha / "demo_2023.csv"
    assert sf.path.read_bytes() == CSV
    assert stat.S_IMODE(sf.path.stat().st_mode) == 0o444
    assert source.file_regex.fullmatch(sf.path.name)
    [line] = manifest(tmp_path)
    assert line["source"] == "demo" and line["edition"] == 2023 and line["url"] == url
    assert line["sha256"] == sha and line["size"] == len(CSV) and line["http_status"] == 200
    assert line["etag"] == '"v1"' and line["last_modified"] == LAST_MODIFIED
    assert line["outcome"] == "new" and line["retrieved_at"].endswith("+00:00")
    assert leftovers(tmp_path) == []


def test_304_on_the_second_fetch_reuses_the_archived_file(tmp_path, server):
    headers = {"ETag": '"v1"', "Last-Modified": LAST_MODIFIED}

    def second(request):
        fresh = request.headers.get("if-none-match") == '"v1"'
        return Reply(304, headers=headers) if fresh else Reply(body=b"other", headers=headers)

    url = server.script("/files/demo_2023.csv", Reply(body=CSV, headers=headers), second)
    client = make_client(tmp_path, server)
    source = direct((2023, url))

    first = client.files(source)
    again = client.files(source)

    assert again == first
    [_, conditional] = server.requests_to("/files/demo_2023.csv")
    assert conditional.headers["if-none-match"] == '"v1"'
    assert conditional.headers["if-modified-since"] == LAST_MODIFIED
    assert archived_files(tmp_path) == [first[0].path]
    assert [(m["outcome"], m["http_status"]) for m in manifest(tmp_path)] == [
        ("new", 200),
        ("not_modified", 304),
    ]
    assert manifest(tmp_path)[1]["sha256"] == first[0].sha256


def test_same_bytes_on_a_refresh_write_no_new_file_and_new_bytes_do(tmp_path, server):
    url = server.script(
        "/files/demo_2023.csv", Reply(body=CSV), Reply(body=CSV), Reply(body=CSV + b"QN01301A;5\n")
    )
    client = make_client(tmp_path, server)
    source = direct((2023, url))

    [first] = client.files(source)
    [same] = client.files(source)
    assert same == first and archived_files(tmp_path) == [first.path]
    assert "if-none-match" not in server.requests_to("/files/demo_2023.csv")[1].headers  # no validator known

    [changed] = client.files(source)
    assert changed.path != first.path and changed.path.read_bytes().endswith(b"QN01301A;5\n")
    assert first.path.read_bytes() == CSV  # the earlier retrieval stays archived, untouched
    assert [m["outcome"] for m in manifest(tmp_path)] == ["new", "unchanged", "new"]


# --- errors and retries -----------------------------------------------------------------------------------


def test_404_is_a_clear_error_naming_the_url_and_is_not_retried(tmp_path, server):
    url = server.url + "/files/demo_2023.csv"
    with pytest.raises(LiveSourceError, match="HTTP 404") as info:
        make_client(tmp_path, server).files(direct((2023, url)))
    assert url in str(info.value)
    assert len(server.requests_to("/files/demo_2023.csv")) == 1
    assert archived_files(tmp_path) == [] and manifest(tmp_path) == []


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_transient_status_is_retried_then_succeeds(tmp_path, server, status):
    url = server.script("/files/demo_2023.csv", Reply(status, b"busy", {"Retry-After": "0"}), Reply(body=CSV))
    [sf] = make_client(tmp_path, server).files(direct((2023, url)))
    assert sf.path.read_bytes() == CSV
    assert len(server.requests_to("/files/demo_2023.csv")) == 2


def test_a_persistent_500_gives_up_after_max_attempts(tmp_path, server):
    url = server.script("/files/demo_2023.csv", Reply(500, b"down"))
    with pytest.raises(LiveSourceError, match=r"échec après 3 tentative\(s\) : HTTP 500") as info:
        make_client(tmp_path, server).files(direct((2023, url)))
    assert url in str(info.value)
    assert len(server.requests_to("/files/demo_2023.csv")) == 3


def test_a_stalled_connection_times_out_and_is_retried(tmp_path, server):
    url = server.script("/files/demo_2023.csv", Reply(body=CSV, delay=5), Reply(body=CSV))
    started = time.monotonic()
    [sf] = make_client(tmp_path, server, read_timeout=0.3).files(direct((2023, url)))
    assert time.monotonic() - started < 3
    assert sf.path.read_bytes() == CSV
    assert len(server.requests_to("/files/demo_2023.csv")) == 2


def test_a_server_that_always_stalls_is_an_error_within_seconds(tmp_path, server):
    url = server.script("/files/demo_2023.csv", Reply(body=CSV, delay=5))
    started = time.monotonic()
    with pytest.raises(LiveSourceError, match="échec après 2 tentative") as info:
        make_client(tmp_path, server, read_timeout=0.3, max_attempts=2).files(direct((2023, url)))
    assert time.monotonic() - started < 3
    assert url in str(info.value) and "timed out" in str(info.value).lower()


def test_a_truncated_body_is_retried_and_then_refused(tmp_path, server):
    url = server.script("/files/demo_2023.csv", Reply(body=CSV * 50, send_bytes=100))
    with pytest.raises(LiveSourceError) as info:
        make_client(tmp_path, server).files(direct((2023, url)))
    message = str(info.value)
    assert url in message and f"corps tronqué : 100 octets reçus sur {len(CSV) * 50}" in message
    assert len(server.requests_to("/files/demo_2023.csv")) == 3
    assert archived_files(tmp_path) == [] and leftovers(tmp_path) == []


def test_a_truncated_body_without_byte_ranges_is_downloaded_again_from_the_start(tmp_path, server):
    body = CSV * 50
    url = server.script("/files/demo_2023.csv", Reply(body=body, send_bytes=100), Reply(body=body))
    [sf] = make_client(tmp_path, server).files(direct((2023, url)))
    assert sf.path.read_bytes() == body
    assert "range" not in server.requests_to("/files/demo_2023.csv")[1].headers


def test_a_broken_download_resumes_with_a_range_request(tmp_path, server):
    body = b"".join(b"QN%05d;%d\n" % (i, i * 7) for i in range(30_000))  # ~400 kB
    cut = 100_000
    url = server.script("/files/demo_2023.csv", ranged(body, etag='"r1"', cut_first=cut))
    seen: list[tuple[int, int | None]] = []

    [sf] = make_client(tmp_path, server).files(
        direct((2023, url)), progress=lambda u, done, total: seen.append((done, total))
    )

    assert sf.path.read_bytes() == body and sf.sha256 == hashlib.sha256(body).hexdigest()
    first, resumed = server.requests_to("/files/demo_2023.csv")
    assert "range" not in first.headers
    assert resumed.headers["range"] == f"bytes={cut}-" and resumed.headers["if-range"] == '"r1"'
    assert manifest(tmp_path)[0]["http_status"] == 206
    assert seen[-1] == (len(body), len(body)) and (cut, len(body)) in seen


def test_a_download_broken_in_an_earlier_run_resumes_in_the_next(tmp_path, server):
    body = b"x;y\n" + b"1;2\n" * 20_000
    url = server.script("/files/demo_2023.csv", ranged(body, cut_first=30_000))
    with pytest.raises(LiveSourceError):
        make_client(tmp_path, server, max_attempts=1).files(direct((2023, url)))
    assert [p.suffix for p in leftovers(tmp_path)] == [".part", ".json"]

    [sf] = make_client(tmp_path, server).files(direct((2023, url)))
    assert sf.path.read_bytes() == body
    assert server.requests_to("/files/demo_2023.csv")[1].headers["range"] == "bytes=30000-"
    assert leftovers(tmp_path) == []


def test_a_416_to_the_range_request_downloads_again_from_the_start(tmp_path, server):
    body = CSV * 50
    headers = {"Accept-Ranges": "bytes", "ETag": '"r1"'}
    replies = iter(
        [Reply(body=body, headers=headers, send_bytes=100), Reply(416), Reply(body=body, headers=headers)]
    )
    url = server.script("/files/demo_2023.csv", lambda request: next(replies))
    [sf] = make_client(tmp_path, server).files(direct((2023, url)))
    assert sf.path.read_bytes() == body
    ranges = [r.headers.get("range") for r in server.requests_to("/files/demo_2023.csv")]
    assert ranges == [None, "bytes=100-", None]


# --- refusing what is not data ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        Reply(
            body=b"<html><body>Connexion</body></html>", headers={"Content-Type": "text/html; charset=utf-8"}
        ),
        Reply(
            body=b"\xef\xbb\xbf \n<!DOCTYPE html>\n<html>Erreur</html>", headers={"Content-Type": "text/csv"}
        ),
    ],
    ids=["content-type", "sniffed-body"],
)
def test_an_html_page_instead_of_a_csv_is_refused(tmp_path, server, reply):
    url = server.script("/files/demo_2023.csv", reply)
    with pytest.raises(LiveSourceError, match="page HTML") as info:
        make_client(tmp_path, server).files(direct((2023, url)))
    assert url in str(info.value)
    assert archived_files(tmp_path) == [] and manifest(tmp_path) == [] and leftovers(tmp_path) == []


def test_a_declared_size_over_the_limit_is_refused_before_downloading(tmp_path, server):
    url = server.script("/files/demo_2023.csv", Reply(body=CSV * 100))
    with pytest.raises(LiveSourceError, match="au-delà de la limite de 1000 : non téléchargé") as info:
        make_client(tmp_path, server, max_bytes=1000).files(direct((2023, url)))
    assert url in str(info.value)
    assert len(server.requests_to("/files/demo_2023.csv")) == 1 and leftovers(tmp_path) == []


def test_a_body_growing_past_the_limit_is_aborted(tmp_path, server):
    url = server.script("/files/demo_2023.csv", Reply(body=CSV * 100, content_length=False))
    with pytest.raises(LiveSourceError, match="corps au-delà de la limite de 1000 octets"):
        make_client(tmp_path, server, max_bytes=1000).files(direct((2023, url)))
    assert archived_files(tmp_path) == [] and leftovers(tmp_path) == []


def zip_source(url: str) -> Source:
    return make_source(
        LiveSpec(kind="direct", urls=((2023, url),)), pattern=r"demo_(?P<millesime>\d{4})\.zip", fmt="csv_zip"
    )


def test_a_zip_that_expands_past_the_limit_is_refused(tmp_path, server):
    bomb = zip_bytes({"demo_2023.csv": b"0" * 2_000_000})
    assert len(bomb) < 10_000
    url = server.script("/files/demo_2023.zip", Reply(body=bomb))
    with pytest.raises(
        LiveSourceError, match="ferait 2 000 000 octets, au-delà de la limite de 1 000 000"
    ) as info:
        make_client(tmp_path, server, max_uncompressed_bytes=1_000_000).files(zip_source(url))
    assert url in str(info.value)
    assert archived_files(tmp_path) == [] and manifest(tmp_path) == [] and leftovers(tmp_path) == []


def test_a_zip_entry_climbing_out_with_dotdot_is_refused(tmp_path, server):
    url = server.script("/files/demo_2023.zip", Reply(body=zip_bytes({"data/../../evil.csv": CSV})))
    with pytest.raises(LiveSourceError, match=r"l'entrée zip 'data/../../evil.csv' contient '\.\.'"):
        make_client(tmp_path, server).files(zip_source(url))
    assert archived_files(tmp_path) == []


def test_a_csv_zip_source_served_a_csv_is_refused(tmp_path, server):
    url = server.script("/files/demo_2023.zip", Reply(body=CSV))
    with pytest.raises(LiveSourceError, match="contenu zip attendu, reçu text"):
        make_client(tmp_path, server).files(zip_source(url))


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (
            zip_bytes(
                {"GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson": b'{"type": "FeatureCollection"}'}
            ),
            "zip",
        ),
        (b'\n{"type": "FeatureCollection", "features": []}', "json"),
    ],
    ids=["zip", "plain-geojson"],
)
def test_qpv_perimeters_are_accepted_as_zip_or_plain_geojson(tmp_path, server, body, kind):
    url = server.script(
        "/files/qp2024.bin",
        Reply(body=body, headers={"Content-Disposition": 'attachment; filename="qp2024.geojson"'}),
    )
    source = make_source(
        LiveSpec(kind="direct", urls=((2024, url),)), pattern=r"qp2024\.geojson", fmt="geojson", fixed=2024
    )
    [sf] = make_client(tmp_path, server).files(source)
    assert sf.relative == f"{FOLDER}/qp2024.geojson" and sf.path.read_bytes() == body
    assert manifest(tmp_path)[0]["content_kind"] == kind


# --- the allow-list -------------------------------------------------------------------------------------------


def test_a_host_outside_the_allow_list_is_refused_without_any_request(tmp_path, server):
    url = server.script("/files/demo_2023.csv", Reply(body=CSV))
    with pytest.raises(
        LiveSourceError, match="n'est pas dans la liste des hôtes officiels autorisés"
    ) as info:
        make_client(tmp_path, server, allowed_hosts=["www.insee.fr"]).files(direct((2023, url)))
    assert url in str(info.value)
    with pytest.raises(LiveSourceError, match="seules les URL https sont téléchargées"):
        make_client(tmp_path, server, allow_http=False).files(direct((2023, url)))
    assert server.requests == []


def test_a_redirect_to_a_host_outside_the_allow_list_is_not_followed(tmp_path, server):
    port = server.url.rsplit(":", 1)[1]
    elsewhere = f"http://localhost:{port}/files/demo_2023.csv"
    url = server.script("/r/abc", Reply(302, headers={"Location": elsewhere}))
    server.script("/files/demo_2023.csv", Reply(body=CSV))
    with pytest.raises(LiveSourceError, match="'localhost' n'est pas dans la liste des hôtes officiels"):
        make_client(tmp_path, server).files(direct((2023, url)))
    assert [r.path for r in server.requests] == ["/r/abc"]


# --- naming --------------------------------------------------------------------------------------------------------


def test_the_content_disposition_name_is_kept_and_must_match_the_file_pattern(tmp_path, server):
    disposition = {"Content-Disposition": "attachment; filename*=UTF-8''demo_2023.csv"}
    url = server.script("/api/explore/exports/csv?delimiter=%3B", Reply(body=CSV, headers=disposition))
    [sf] = make_client(tmp_path, server).files(direct((2023, url)))
    assert sf.relative == f"{FOLDER}/demo_2023.csv"

    other = server.script("/files/demo_2024.csv", Reply(body=CSV))
    with pytest.raises(LiveSourceError, match="est l'édition 2024 mais a été téléchargé comme édition 2023"):
        make_client(tmp_path, server).files(direct((2023, other)))
    renamed = server.script("/files/QPV_2023.csv", Reply(body=CSV))
    with pytest.raises(LiveSourceError, match="ne correspond pas au file_pattern"):
        make_client(tmp_path, server).files(direct((2023, renamed)))


# --- data.gouv.fr ----------------------------------------------------------------------------------------------------


def dataset_json(server: ScriptedServer, **checksum) -> bytes:
    base = server.url
    resources = [
        {
            "id": "r-2023",
            "title": "Données QPV 2023",
            "format": "csv",
            "url": f"{base}/api/1/datasets/r/r-2023",  # data.gouv's stable URL: a 302 to the file
            "last_modified": "2024-02-01T10:00:00+00:00",
            "filetype": "file",
            "checksum": checksum or None,
        },
        {
            "id": "r-2024",
            "title": "Données QPV 2024",
            "format": "CSV",
            "url": f"{base}/files/demo_2024.csv",
            "last_modified": "2025-02-01T10:00:00+00:00",
            "filetype": "remote",
        },
        {"id": "doc", "title": "Documentation QPV 2024", "format": "pdf", "url": f"{base}/files/doc.pdf"},
    ]
    return json.dumps({"id": "ds1", "resources": resources}).encode()


def datagouv_source(title: str = r"Données QPV (?P<millesime>\d{4})") -> Source:
    return make_source(LiveSpec(kind="datagouv", dataset="ds1", resource_title=title, resource_format="csv"))


def test_the_datagouv_flow_picks_resources_by_title_and_format(tmp_path, server):
    server.script(
        "/api/1/datasets/ds1/",
        Reply(body=dataset_json(server, type="sha1", value=hashlib.sha1(CSV).hexdigest())),
    )
    server.script("/api/1/datasets/r/r-2023", Reply(302, headers={"Location": "/files/demo_2023.csv"}))
    server.script("/files/demo_2023.csv", Reply(body=CSV))
    server.script("/files/demo_2024.csv", Reply(body=CSV + b"QN01301A;5\n"))

    files = make_client(tmp_path, server).files(datagouv_source())

    assert [(f.millesime, f.relative) for f in files] == [
        (2023, f"{FOLDER}/demo_2023.csv"),
        (2024, f"{FOLDER}/demo_2024.csv"),
    ]
    assert files[0].path.read_bytes() == CSV
    assert not server.requests_to("/files/doc.pdf")
    lines = manifest(tmp_path)
    assert lines[0]["extra"]["resource_id"] == "r-2023" and lines[0]["extra"]["dataset"] == "ds1"
    assert lines[0]["final_url"].endswith("/files/demo_2023.csv")


def test_a_datagouv_edition_without_millesime_group_is_the_last_modified_year(tmp_path, server):
    resource = {
        "id": "r1",
        "title": "Base communale",
        "format": "csv",
        "url": f"{server.url}/files/demo_2025.csv",
        "last_modified": "2025-03-04T05:06:07.123000+00:00",
    }
    server.script("/api/1/datasets/ds1/", Reply(body=json.dumps({"resources": [resource]}).encode()))
    server.script("/files/demo_2025.csv", Reply(body=CSV))
    [sf] = make_client(tmp_path, server).files(datagouv_source(r"^Base communale$"))
    assert sf.millesime == 2025 and sf.relative == f"{FOLDER}/demo_2025.csv"


def test_a_datagouv_checksum_mismatch_is_refused(tmp_path, server):
    server.script("/api/1/datasets/ds1/", Reply(body=dataset_json(server, type="sha1", value="0" * 40)))
    server.script("/api/1/datasets/r/r-2023", Reply(302, headers={"Location": "/files/demo_2023.csv"}))
    server.script("/files/demo_2023.csv", Reply(body=CSV))
    with pytest.raises(LiveSourceError, match="somme de contrôle sha1 différente"):
        make_client(tmp_path, server).files(datagouv_source(r"Données QPV (?P<millesime>2023)"))
    assert archived_files(tmp_path) == []


def test_a_datagouv_dataset_without_a_matching_resource_is_an_error(tmp_path, server):
    server.script("/api/1/datasets/ds1/", Reply(body=dataset_json(server)))
    with pytest.raises(LiveSourceError, match="aucune ressource ne correspond au titre") as info:
        make_client(tmp_path, server).files(datagouv_source(r"Base IRIS (?P<millesime>\d{4})"))
    assert f"{server.url}/api/1/datasets/ds1/" in str(info.value)


# --- plan, offline, no LiveSpec, Dagster ------------------------------------------------------------------------------


def test_a_source_without_live_spec_is_a_clear_error(tmp_path, server):
    with pytest.raises(LiveSourceError, match="aucun client en ligne déclaré pour demo"):
        make_client(tmp_path, server).files(make_source(None))


def test_plan_lists_urls_and_archived_editions_without_any_request(tmp_path, server):
    url_2023 = server.script("/files/demo_2023.csv", Reply(body=CSV, headers={"ETag": '"v1"'}))
    url_2024 = server.url + "/files/demo_2024.csv"
    client = make_client(tmp_path, server)
    client.files(direct((2023, url_2023)))
    before = len(server.requests)

    rows = client.plan(direct((2023, url_2023), (2024, url_2024)))
    assert [
        (r["action"], r["edition"], r["conditional"], r["archived_sha256"] is not None) for r in rows
    ] == [
        ("fetch", 2023, True, True),
        ("fetch", 2024, False, False),
    ]
    listing, archived = client.plan(datagouv_source())  # the same source name: its archived edition too
    assert listing["action"] == "list-resources" and listing["url"] == f"{server.url}/api/1/datasets/ds1/"
    assert (archived["action"], archived["edition"], archived["url"]) == ("archived", 2023, url_2023)
    refused = make_client(tmp_path, server, allowed_hosts=["www.insee.fr"]).plan(direct((2023, url_2023)))
    assert "liste des hôtes officiels" in refused[0]["refused"]
    assert len(server.requests) == before


def test_offline_serves_the_archive_without_any_request(tmp_path, server):
    url = server.script("/files/demo_2023.csv", Reply(body=CSV))
    source = direct((2023, url))
    online = make_client(tmp_path, server).files(source)
    before = len(server.requests)
    assert make_client(tmp_path, server, offline=True).files(source) == online
    assert len(server.requests) == before


def test_the_client_works_as_the_dagster_source_client_resource(tmp_path, server):
    url = server.script("/files/demo_2023.csv", Reply(body=CSV))
    source = direct((2023, url))

    @asset
    def raw_demo(source_client: LiveSourceClient) -> None:
        [sf] = source_client.files(source)
        assert sf.path.read_bytes() == CSV

    assert materialize([raw_demo], resources={"source_client": make_client(tmp_path, server)}).success


# --- zip helper and sniffing (no server) ------------------------------------------------------------------------------


def test_open_zip_member_reads_one_entry_without_extracting(tmp_path):
    path = tmp_path / "a.zip"
    path.write_bytes(
        zip_bytes({"doc/meta.txt": b"m", "data/demo_2023.csv": CSV, "__MACOSX/data/._demo_2023.csv": b"x"})
    )
    with open_zip_member(path, r"demo_\d{4}\.csv", max_uncompressed=10_000) as stream:
        assert stream.read() == CSV
    with pytest.raises(LiveSourceError, match=r"aucune entrée du zip ne correspond"):
        with open_zip_member(path, r".*\.parquet", max_uncompressed=10_000):
            pass


def _patch_central_directory(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Rewrite one field of the central directory header of the (single) entry."""
    at = data.rindex(b"PK\x01\x02") + offset
    size = struct.calcsize(fmt)
    return data[:at] + struct.pack(fmt, value) + data[at + size :]


def test_open_zip_member_stops_a_member_expanding_beyond_its_declared_size(tmp_path):
    path = tmp_path / "liar.zip"
    liar = _patch_central_directory(zip_bytes({"demo_2023.csv": b"1;2\n" * 50_000}), 24, "<I", 1000)
    path.write_bytes(liar)
    assert [i.file_size for i in safe_members(path, 10_000)] == [1000]  # looks small
    with pytest.raises(LiveSourceError, match="entrée zip corrompue|dépasse la limite"):
        with open_zip_member(path, r"demo_2023\.csv", max_uncompressed=10_000) as stream:
            stream.read()


def test_safe_members_refuses_encrypted_entries(tmp_path):
    path = tmp_path / "locked.zip"
    path.write_bytes(_patch_central_directory(zip_bytes({"demo_2023.csv": CSV}), 8, "<H", 0x1))
    with pytest.raises(LiveSourceError, match="entrées zip chiffrées"):
        safe_members(path, 10_000)


@pytest.mark.parametrize("name", ["/etc/passwd", "C:/x.csv", "a\\..\\b.csv"])
def test_safe_members_refuses_absolute_and_climbing_names(tmp_path, name):
    path = tmp_path / "bad.zip"
    path.write_bytes(zip_bytes({name: b"x"}))
    with pytest.raises(LiveSourceError, match="chemin absolu|contient '..'"):
        safe_members(path, 10_000)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"PK\x03\x04rest", "zip"),
        (b"PAR1\x15\x04", "parquet"),
        (b'  \n{"type":', "json"),
        (b"\xef\xbb\xbf<!doctype HTML><html>", "html"),
        ("\ufeff<html>".encode("utf-16"), "html"),
        (b"<?xml version='1.0'?><!DOCTYPE html PUBLIC><html>", "html"),
        (b"\xef\xbb\xbfCODGEO;P22_ACT1564\n", "text"),
    ],
)
def test_sniff_kind(head, kind):
    assert sniff_kind(head) == kind


def test_the_manifest_ignores_a_last_line_cut_by_a_crash(tmp_path):
    archive = RawArchive(tmp_path)
    archive.manifest_path.write_text('{"source": "demo"', encoding="utf-8")
    assert archive.entries() == []
