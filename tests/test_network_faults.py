"""Network faults and download security of the live client, against real servers on 127.0.0.1
(tests/http_fixture.py): connection reset mid-download, slow servers, files altered on disk, redirects."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

import pytest

from pipelines.contracts.registry import LiveSpec, Source
from pipelines.sources.live import HttpFetcher, HttpPolicy, LiveSourceClient, LiveSourceError
from tests.http_fixture import Reply, ScriptedServer, ranged

FOLDER = "demo_folder"
BODY = b"code_qp;population\n" + b"".join(b"QN%05d;%d\n" % (i, i * 7) for i in range(30_000))  # ~400 kB
SHA256 = hashlib.sha256(BODY).hexdigest()


@pytest.fixture
def server():
    with ScriptedServer() as srv:
        yield srv


def make_client(tmp_path: Path, server: ScriptedServer, **overrides) -> LiveSourceClient:
    config = dict(
        archive_root=str(tmp_path / "archive"),
        datagouv_api=server.url + "/api/1",
        allowed_hosts=["127.0.0.1"],
        allow_http=True,
        connect_timeout=2.0,
        read_timeout=0.5,
        max_attempts=3,
        backoff_base=0.01,
        backoff_max=0.05,
    )
    config.update(overrides)
    return LiveSourceClient(**config)


def make_source(live: LiveSpec) -> Source:
    return Source(
        name="demo",
        producer="demo",
        title="Démo",
        folder=FOLDER,
        file_pattern=r"demo_(?P<millesime>\d{4})\.csv",
        official_url="https://www.insee.fr/fr/statistiques/0000000",
        contract="demo/demo.yaml",
        geographie="qpv2024",
        format="csv",
        live=live,
    )


def direct(url: str) -> Source:
    return make_source(LiveSpec(kind="direct", urls=((2023, url),)))


def archive_state(tmp_path: Path) -> tuple[list[Path], list[Path]]:
    """(archived files, files left in .partial other than locks)."""
    root = tmp_path / "archive"
    files = sorted(p for p in (root / FOLDER).rglob("*") if p.is_file()) if (root / FOLDER).exists() else []
    partial = root / ".partial"
    left = sorted(p for p in partial.iterdir() if not p.name.endswith(".lock")) if partial.exists() else []
    return files, left


def manifest(tmp_path: Path) -> list[dict]:
    path = tmp_path / "archive" / "manifest.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# --- connection reset mid-download → resumption -----------------------------------------------------------


def test_a_connection_reset_mid_download_resumes_with_a_range_request(tmp_path, server):
    cut = 150_000
    url = server.script("/files/demo_2023.csv", ranged(BODY, etag='"r1"', cut_first=cut, reset=True))
    [sf] = make_client(tmp_path, server).files(direct(url))
    assert sf.path.read_bytes() == BODY and sf.sha256 == SHA256
    first, resumed = server.requests_to("/files/demo_2023.csv")
    assert "range" not in first.headers
    # a reset drops what the kernel had received but not yet handed over: resume where the bytes really stop
    offset = int(resumed.headers["range"].removeprefix("bytes=").removesuffix("-"))
    assert 0 < offset <= cut and resumed.headers["if-range"] == '"r1"'
    assert [line["http_status"] for line in manifest(tmp_path)] == [206]
    assert archive_state(tmp_path)[1] == []


def test_a_server_ignoring_range_sends_the_whole_file_again_from_zero(tmp_path, server):
    headers = {"Accept-Ranges": "bytes", "ETag": '"r1"', "Content-Type": "text/csv"}
    url = server.script(
        "/files/demo_2023.csv",
        Reply(body=BODY, headers=headers, send_bytes=100_000, reset=True),
        Reply(body=BODY, headers=headers),  # a 200 with the whole body, whatever the Range header says
    )
    [sf] = make_client(tmp_path, server).files(direct(url))
    assert sf.path.read_bytes() == BODY
    assert server.requests_to("/files/demo_2023.csv")[1].headers["range"].startswith("bytes=")
    assert manifest(tmp_path)[0]["http_status"] == 200


def test_a_file_changed_on_the_server_during_the_download_restarts_from_zero(tmp_path, server):
    """A server that ignores If-Range and answers 206 with another validator: the part is not completed."""
    new_body = BODY.replace(b";7\n", b";8\n")

    def partial_of_the_new_file(request):
        start = int(request.headers["range"].removeprefix("bytes=").removesuffix("-"))
        content_range = f"bytes {start}-{len(new_body) - 1}/{len(new_body)}"
        return Reply(206, new_body[start:], {"ETag": '"v2"', "Content-Range": content_range})

    replies = iter(
        [
            lambda request: Reply(
                body=BODY, headers={"Accept-Ranges": "bytes", "ETag": '"v1"'}, send_bytes=50_000, reset=True
            ),
            partial_of_the_new_file,
            lambda request: Reply(body=new_body, headers={"Accept-Ranges": "bytes", "ETag": '"v2"'}),
        ]
    )
    url = server.script("/files/demo_2023.csv", lambda request: next(replies)(request))
    [sf] = make_client(tmp_path, server).files(direct(url))
    assert sf.path.read_bytes() == new_body
    ranges = [r.headers.get("range") for r in server.requests_to("/files/demo_2023.csv")]
    assert ranges[0] is None and ranges[1].startswith("bytes=") and ranges[2] is None and len(ranges) == 3


def test_a_resumed_download_failing_the_declared_checksum_is_downloaded_again_from_zero(tmp_path, server):
    """The part kept from an earlier run was altered on disk: the resumed file fails data.gouv.fr's sha256,
    so it is downloaded once more from the start and the archive gets the right bytes."""
    resource = {
        "id": "r-2023",
        "title": "Données QPV 2023",
        "format": "csv",
        "url": server.url + "/files/demo_2023.csv",
        "last_modified": "2024-03-01T00:00:00",
        "filetype": "file",
        "checksum": {"type": "sha256", "value": SHA256},
    }
    server.script("/api/1/datasets/ds1/", Reply(body=json.dumps({"resources": [resource]}).encode()))
    server.script("/files/demo_2023.csv", ranged(BODY, etag='"r1"', cut_first=120_000, reset=True))
    source = make_source(
        LiveSpec(kind="datagouv", dataset="ds1", resource_title=r"Données QPV (?P<millesime>\d{4})")
    )
    with pytest.raises(LiveSourceError, match="corps tronqué|connexion interrompue"):
        make_client(tmp_path, server, max_attempts=1).files(source)
    [part] = [p for p in archive_state(tmp_path)[1] if p.suffix == ".part"]
    part_size = part.stat().st_size
    assert 0 < part_size <= 120_000
    part.write_bytes(b"X" * part_size)  # bit rot in the kept part

    [sf] = make_client(tmp_path, server).files(source)
    assert sf.path.read_bytes() == BODY
    ranges = [r.headers.get("range") for r in server.requests_to("/files/demo_2023.csv")]
    assert ranges == [None, f"bytes={part_size}-", None]
    assert archive_state(tmp_path)[1] == []


# --- slow servers → timeouts naming the URL, nothing archived ------------------------------------------------


def test_a_server_that_never_answers_times_out_naming_the_url_and_archives_nothing(tmp_path, server):
    url = server.script("/files/demo_2023.csv", Reply(body=BODY, delay=10))
    started = time.monotonic()
    with pytest.raises(LiveSourceError) as info:
        make_client(tmp_path, server, read_timeout=0.3, max_attempts=2).files(direct(url))
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert message.startswith(url) and "timed out" in message.lower() and "2 tentative" in message
    assert archive_state(tmp_path) == ([], []) and manifest(tmp_path) == []


def test_a_server_dripping_bytes_is_abandoned_by_the_low_speed_limit(tmp_path, server):
    """Each piece arrives within the read timeout, so only the low-speed limit stops it."""
    url = server.script("/files/demo_2023.csv", Reply(body=BODY, drip=(10, 0.05)))
    started = time.monotonic()
    with pytest.raises(LiveSourceError) as info:
        make_client(
            tmp_path, server, read_timeout=1.0, max_attempts=2, low_speed_bytes=10_000, low_speed_time=0.5
        ).files(direct(url))
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert message.startswith(url) and "serveur trop lent" in message and "échec après 2 tentative" in message
    assert archive_state(tmp_path) == ([], []) and manifest(tmp_path) == []


# --- archived file altered on disk → detected, downloaded again -------------------------------------------------


def _tamper(path: Path) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01  # one bit, same size
    path.write_bytes(bytes(data))
    os.chmod(path, 0o444)


def test_an_archived_file_altered_on_disk_is_detected_and_downloaded_again(tmp_path, server):
    headers = {"ETag": '"v1"', "Content-Type": "text/csv"}

    def reply(request):  # a 304 would keep the altered copy: the client must not ask conditionally
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers=headers)
        return Reply(body=BODY, headers=headers)

    url = server.script("/files/demo_2023.csv", reply)
    source = direct(url)
    [sf] = make_client(tmp_path, server).files(source)
    _tamper(sf.path)

    with pytest.raises(LiveSourceError, match="fichier archivé modifié sur le disque") as info:
        make_client(tmp_path, server, offline=True).files(source)
    assert str(sf.path) in str(info.value) and "qpv refresh" in str(info.value)

    [again] = make_client(tmp_path, server).files(source)
    assert again.path == sf.path and again.path.read_bytes() == BODY
    second = server.requests_to("/files/demo_2023.csv")[1]
    assert "if-none-match" not in second.headers
    assert [line["outcome"] for line in manifest(tmp_path)] == ["new", "new"]
    [third] = make_client(tmp_path, server).files(source)  # intact again: conditional, 304
    assert third.path.read_bytes() == BODY
    assert server.requests_to("/files/demo_2023.csv")[2].headers["if-none-match"] == '"v1"'
    assert manifest(tmp_path)[-1]["outcome"] == "not_modified"


# --- download security: HTTPS, allow-list, redirects ------------------------------------------------------------


@pytest.fixture
def tls_server(monkeypatch):
    with ScriptedServer(tls=True) as srv:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", srv.ca_file)
        yield srv


def https_client(tmp_path: Path, server: ScriptedServer) -> LiveSourceClient:
    return make_client(tmp_path, server, allow_http=False)


def test_https_to_an_allow_listed_host_is_downloaded(tmp_path, tls_server):
    url = tls_server.script("/files/demo_2023.csv", Reply(body=BODY, headers={"Content-Type": "text/csv"}))
    assert url.startswith("https://127.0.0.1:")
    [sf] = https_client(tmp_path, tls_server).files(direct(url))
    assert sf.path.read_bytes() == BODY


def test_a_redirect_from_https_to_plain_http_is_refused(tmp_path, tls_server, server):
    plain = server.script("/files/demo_2023.csv", Reply(body=BODY))
    url = tls_server.script("/r/abc", Reply(302, headers={"Location": plain}))
    with pytest.raises(LiveSourceError) as info:
        https_client(tmp_path, tls_server).files(direct(url))
    assert str(info.value) == f"{plain} : seules les URL https sont téléchargées, pas 'http'"
    assert server.requests == [] and archive_state(tmp_path) == ([], [])


def test_a_redirect_to_another_host_is_refused(tmp_path, tls_server):
    port = tls_server.url.rsplit(":", 1)[1]
    elsewhere = f"https://localhost:{port}/files/demo_2023.csv"
    tls_server.script("/files/demo_2023.csv", Reply(body=BODY))
    url = tls_server.script("/r/abc", Reply(301, headers={"Location": elsewhere}))
    with pytest.raises(
        LiveSourceError, match="l'hôte 'localhost' n'est pas dans la liste des hôtes officiels autorisés"
    ):
        https_client(tmp_path, tls_server).files(direct(url))
    assert [r.path for r in tls_server.requests] == ["/r/abc"]
    assert archive_state(tmp_path) == ([], [])


def test_an_untrusted_certificate_is_refused(tmp_path, tls_server, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    url = tls_server.script("/files/demo_2023.csv", Reply(body=BODY))
    with pytest.raises(LiveSourceError, match="erreur TLS"):
        https_client(tmp_path, tls_server).files(direct(url))


def test_the_default_policy_allows_only_the_official_hosts_over_https():
    fetcher = HttpFetcher()
    fetcher.check_url("https://www.insee.fr/fr/statistiques/fichier/1/a.zip")
    fetcher.check_url("https://static.data.gouv.fr/resources/x/a.csv")
    refused = {
        "http://www.insee.fr/a.zip": "seules les URL https sont téléchargées, pas 'http'",
        "https://www.insee.fr.evil.example/a.zip": "n'est pas dans la liste des hôtes officiels",
        "https://user:pw@www.insee.fr/a.zip": "identifiants dans l'URL refusés",
        "ftp://www.insee.fr/a.zip": "seules les URL https",
        "file:///etc/passwd": "seules les URL https",
    }
    for url, reason in refused.items():
        with pytest.raises(LiveSourceError, match=reason):
            fetcher.check_url(url)


def test_plain_http_of_the_test_harness_reaches_loopback_only():
    fetcher = HttpFetcher(HttpPolicy(allowed_hosts=("127.0.0.1", "www.insee.fr"), allow_http=True))
    fetcher.check_url("http://127.0.0.1:8000/a.csv")
    with pytest.raises(LiveSourceError, match="http simple n'est permis que pour le serveur de test local"):
        fetcher.check_url("http://www.insee.fr/a.zip")


# --- SIGKILL during downloads → no half-written file in the raw archive (issue #10) ------------------------------

KILL_SEED = 20261124
DOWNLOAD_KILLS = 10
DRIP = (16_384, 0.04)  # a first download takes about 1 s: the window the kill points are spread over


def body_of(name: str) -> bytes:
    """A distinct body per URL, so that every killed download would archive a file of its own."""
    return BODY + f"QN99999;{name}\n".encode()


def slow_resumable(body: bytes, etag: str):
    """200 dripped (slow enough to be killed mid-download); `Range` requests get the rest at once (206)."""

    def respond(request):
        headers = {"Accept-Ranges": "bytes", "ETag": etag, "Content-Type": "text/csv"}
        match = re.fullmatch(r"bytes=(\d+)-", request.headers.get("range", ""))
        if match and request.headers.get("if-range", etag) == etag:
            start = int(match.group(1))
            headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
            return Reply(206, body[start:], headers)
        return Reply(200, body, headers, drip=DRIP)

    return respond


def archive_problems(root: Path, names: list[str]) -> list[str]:
    """What would make the raw archive unsafe: a file outside the manifest, the folder and `.partial/`; an
    archived file that is not one of the complete bodies, or is writable; a manifest line whose file is absent
    or has other bytes."""
    from pipelines.sources.live.archive import RawArchive

    complete = {hashlib.sha256(body_of(n)).hexdigest() for n in names}
    problems = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if relative.parts[0] == ".partial" or str(relative) == "manifest.jsonl":
            continue
        if relative.parts[0] != FOLDER:
            problems.append(f"stray file {relative}")
        elif hashlib.sha256(path.read_bytes()).hexdigest() not in complete:
            problems.append(f"half-written or foreign file {relative} ({path.stat().st_size} bytes)")
        elif path.stat().st_mode & 0o222:
            problems.append(f"archived file {relative} is writable")
    for entry in RawArchive(root).entries():
        path = root / entry.path
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != entry.sha256:
            problems.append(f"manifest line for {entry.url} points to a missing or different file")
    return problems


# argv: archive root, server URL, JSON list of kill fractions. One import, then one fork per download.
DOWNLOAD_KILLER_SCRIPT = """
import json, os, signal, sys, time
from pathlib import Path
from pipelines.sources.live import LiveSourceClient
from pipelines.sources.live.archive import RawArchive
from tests.test_network_faults import archive_problems, direct

root, base, fractions = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
archive = RawArchive(root)

def url(name):
    return f"{base}/{name}/demo_2023.csv"

def fetch(name):
    pid = os.fork()
    if pid == 0:
        client = LiveSourceClient(archive_root=str(root), allowed_hosts=["127.0.0.1"], allow_http=True,
                                  connect_timeout=5.0, read_timeout=5.0, max_attempts=1)
        try:
            client.files(direct(url(name)))
        except BaseException:
            os._exit(1)
        os._exit(0)
    part = archive.partial_path(url(name))
    while not (part.exists() and part.stat().st_size > 0):  # the marker: bytes are being written
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            raise SystemExit(f"{name}: the download ended before its first bytes")
        time.sleep(0.002)
    return pid

# one download without a kill, timed from its first bytes to its end: the window the kills are spread over
pid = fetch("fenetre")
marker = time.monotonic()
_, status = os.waitpid(pid, 0)
window = time.monotonic() - marker
if status != 0:
    raise SystemExit(f"the timing download failed: {status}")
names, points = ["fenetre"], []
for i, fraction in enumerate(fractions):
    for attempt in range(5):  # a loaded machine may finish before the kill point: retried earlier, on a new URL
        name = f"k{i}a{attempt}"
        names.append(name)
        pid = fetch(name)
        delay = fraction * window / 2**attempt
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            break
    part = archive.partial_path(url(name))
    points.append({"name": name, "delay_s": round(delay, 3), "killed": os.WIFSIGNALED(status),
                   "part_bytes": part.stat().st_size if part.exists() else 0,
                   "problems": archive_problems(root, names)})
print(json.dumps({"window_s": window, "points": points}))
"""


def test_sigkill_during_downloads_leaves_no_half_written_file_in_the_archive(tmp_path):
    """10 seeded kill points during live downloads: after each SIGKILL the archive holds complete read-only
    files only (a broken download stays in `.partial/`), the manifest points to intact files, and the next run
    completes every killed download (resuming the part kept) with the exact bytes."""
    import random
    import subprocess
    import sys

    from tests.conftest import ROOT

    rng = random.Random(KILL_SEED)
    fractions = sorted(round(rng.uniform(0.05, 0.95), 3) for _ in range(DOWNLOAD_KILLS))
    root = tmp_path / "archive"
    with ScriptedServer() as server:
        names = ["fenetre"] + [f"k{i}a{a}" for i in range(DOWNLOAD_KILLS) for a in range(5)]
        for name in names:
            server.script(f"/{name}/demo_2023.csv", slow_resumable(body_of(name), f'"{name}"'))
        out = subprocess.run(
            [sys.executable, "-c", DOWNLOAD_KILLER_SCRIPT, str(root), server.url, json.dumps(fractions)],
            capture_output=True, text=True, timeout=300, cwd=ROOT,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr[-3000:]
        report = json.loads(out.stdout.strip().splitlines()[-1])
        points = report["points"]
        assert len(points) == DOWNLOAD_KILLS and all(p["killed"] for p in points), report
        assert [p["problems"] for p in points] == [[]] * DOWNLOAD_KILLS, report
        assert any(p["part_bytes"] for p in points), report  # some kills did land mid-body
        killed = [p["name"] for p in points]
        archived = [e for e in manifest(tmp_path) if e["url"].split("/")[-2] in killed]
        assert archived == [], "a killed download reached the manifest"

        # the next run completes every killed download, resuming what was kept
        client = LiveSourceClient(
            archive_root=str(root), allowed_hosts=["127.0.0.1"], allow_http=True, max_attempts=2
        )
        for name in killed:
            [sf] = client.files(direct(f"{server.url}/{name}/demo_2023.csv"))
            assert sf.path.read_bytes() == body_of(name)
        resumed = [
            name for name in killed if "range" in server.requests_to(f"/{name}/demo_2023.csv")[-1].headers
        ]
    print(f"\n{DOWNLOAD_KILLS} downloads killed (window {report['window_s']:.2f} s), {len(resumed)} resumed")
    assert archive_problems(root, names) == []
    assert archive_state(tmp_path)[1] == []  # no part left behind
    assert len([e for e in manifest(tmp_path) if e["url"].split("/")[-2] in killed]) == DOWNLOAD_KILLS


def test_the_archive_check_finds_a_half_written_file(tmp_path):
    root = tmp_path / "archive"
    (root / FOLDER / "ab").mkdir(parents=True)
    (root / FOLDER / "ab" / "demo_2023.csv").write_bytes(body_of("x")[:1000])
    (root / "demo_2023.csv.tmp").write_bytes(b"x")
    problems = archive_problems(root, ["x"])
    assert any("half-written" in p for p in problems) and any("stray file" in p for p in problems), problems
