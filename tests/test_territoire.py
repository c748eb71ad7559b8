"""`qpv territoire init|build`: the EPCI's YAML (round trip, errors with file and line), its bundle for a demo EPCI
(in process, on the `demo_warehouse` fixture) and for the Métropole Européenne de Lille (the `qpv` command, on the
`real_warehouse` fixture): dashboards, workbook, one-page summary in HTML and PDF, pages opened in headless
Chromium (no request outside file://, no console message). Fixture warehouses are only read; outputs go to tmp."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dashboards import bundle, summary
from pipelines.domain import territoire as tc
from pipelines.warehouse.connection import connection
from tests.conftest import run_cli

MEL = "200093201"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CONSOLE = re.compile(r":CONSOLE[:(]\d+\)?\] \"(?P<message>.*)\", source: (?P<source>\S*)")
SHEETS = ["Lisez-moi", "Quartiers", "Quartiers 2015", "Indicateurs QPV", "Territoires de référence", "Évolutions",
          "Dictionnaire"]  # fmt: skip


def open_in_chromium(tmp: Path, page: Path) -> tuple[str, list[str], list[str]]:
    """The page's DOM after its scripts ran, its console messages and the URLs it requested (net-log)."""
    netlog = tmp / f"{page.stem}.netlog.json"
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
         f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr", "--v=0", f"--log-net-log={netlog}",
         "--virtual-time-budget=8000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    log = json.loads(netlog.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = [  # requests made for the page (Chromium's own background requests have no file:// top frame)
        e["params"]["url"]
        for e in log["events"]
        if e["type"] == start_job and e["params"].get("network_isolation_key", "").startswith("file://")
    ]
    return run.stdout, [m["message"] for m in CONSOLE.finditer(run.stderr)], urls


@pytest.fixture(scope="module")
def demo_config(demo_warehouse, tmp_path_factory) -> Path:
    """`qpv territoire init` for the demo EPCI with the most QPV."""
    with connection(demo_warehouse, read_only=True) as con:
        siren = con.execute(
            "select code_epci from marts.qpv_perimetres group by 1 order by count(*) desc, 1 limit 1"
        ).fetchone()[0]
    folder = tmp_path_factory.mktemp("territoires")
    result = run_cli("territoire", "init", "--epci", siren, "--warehouse", str(demo_warehouse), "--dir", str(folder),
                     check=True)  # fmt: skip
    written = sorted(folder.glob("*.yaml"))
    assert len(written) == 1 and str(written[0]) in result.stdout
    return written[0]


@pytest.fixture(scope="module")
def demo_bundle(demo_warehouse, demo_config, tmp_path_factory):
    """The demo bundle built in process, as on a machine without Chromium (no PDF, a note says so)."""
    out = tmp_path_factory.mktemp("bundle_demo") / "paquet"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(summary, "chromium", lambda: None)
        built = bundle.build(demo_config, demo_warehouse, out, pdf=None, png=False)
    return built


def test_init_yaml_round_trips_and_lists_the_epci(demo_config, demo_warehouse):
    config = tc.load(demo_config)
    text = demo_config.read_text(encoding="utf-8")
    assert text.startswith("# Observatoire des quartiers prioritaires — ") and "# Seuils d'attention" in text
    assert tc.load(demo_config) == config
    again = demo_config.with_name("copie.yaml")
    again.write_text(tc.to_yaml(config), encoding="utf-8")
    assert tc.load(again) == config
    with connection(demo_warehouse, read_only=True) as con:
        expected = [r[0] for r in con.execute(
            "select code_qp from marts.qpv_perimetres where code_epci = ? order by 1", [config.siren]).fetchall()]  # fmt: skip
        libelles = tc.libelles(con)
    assert config.codes_2024 == expected and len(expected) >= 5
    assert any(q.predecesseurs_2015 for q in config.quartiers), "demo SIRENE gives the 2015 predecessors"
    assert {p.code for q in config.quartiers for p in q.predecesseurs_2015} <= set(config.codes_2015)
    assert "taux_pauvrete_60" in config.indicateurs and all(code in libelles for code in config.indicateurs)
    assert config.seuils == tc.DEFAULT_SEUILS and config.departement is not None
    # commented in French: each indicator carries its label
    assert f"  - taux_pauvrete_60  # {libelles['taux_pauvrete_60']}" in text


def test_unknown_siren_lists_near_matches(demo_warehouse, demo_config, tmp_path):
    siren = tc.load(demo_config).siren
    near = siren[:-1] + str((int(siren[-1]) + 1) % 10)
    result = run_cli(
        "territoire", "init", "--epci", near, "--warehouse", str(demo_warehouse), "--dir", str(tmp_path)
    )
    assert result.returncode == 2
    assert f"EPCI '{near}'" in result.stderr and siren in result.stderr and "EPCI proches" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_nom_names_the_file_and_the_observatory(demo_warehouse, demo_config, tmp_path):
    siren = tc.load(demo_config).siren
    result = run_cli("territoire", "init", "--epci", siren, "--nom", "Agglo des Quartiers (essai)", "--warehouse",
                     str(demo_warehouse), "--dir", str(tmp_path), check=True)  # fmt: skip
    written = tmp_path / "agglo-des-quartiers-essai.yaml"
    assert [p.name for p in tmp_path.iterdir()] == [written.name] and str(written) in result.stdout
    config = tc.load(written)
    assert config.nom == "Agglo des Quartiers (essai)" and config.siren == siren
    assert config.codes_2024 == tc.load(demo_config).codes_2024


def test_malformed_yaml_names_file_line_and_key(demo_config, demo_warehouse, tmp_path):
    lines = demo_config.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if line.startswith("indicateurs:")) + 2
    broken = tmp_path / "casse.yaml"
    broken.write_text("\n".join(lines[: number - 1] + ["  - [taux_pauvrete_60", *lines[number:]]) + "\n")
    with pytest.raises(
        tc.TerritoireConfigError, match=rf"^{re.escape(str(broken))}, ligne \d+, colonne \d+ : YAML"
    ):
        tc.load(broken)
    wrong = tmp_path / "siren.yaml"
    wrong.write_text("\n".join(line.replace('siren: "', 'siren: "x') for line in lines) + "\n")
    siren_line = next(i for i, line in enumerate(lines, start=1) if line.strip().startswith("siren:"))
    with pytest.raises(tc.TerritoireConfigError) as caught:
        tc.load(wrong)
    assert str(caught.value).startswith(f"{wrong}, ligne {siren_line}, clé epci.siren : SIREN")
    seuil = tmp_path / "seuil.yaml"
    seuil.write_text(demo_config.read_text().replace("evolution_points: 2.0", "evolution_points: beaucoup"))
    with pytest.raises(
        tc.TerritoireConfigError, match=r"ligne \d+, clé seuils\.evolution_points : attendu un nombre"
    ):
        tc.load(seuil)
    result = run_cli("territoire", "build", str(broken), "--out", str(tmp_path / "out"), "--warehouse",
                     str(demo_warehouse))  # fmt: skip
    assert result.returncode == 2 and f"{broken}, ligne" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_demo_bundle_files_workbook_and_secret(demo_bundle, demo_config, demo_warehouse):
    config = tc.load(demo_config)
    out = demo_bundle.out
    assert demo_bundle.pdf is None and not (out / "synthese.pdf").exists()
    assert any("Chromium absent" in note for note in demo_bundle.notes)
    for name in ("index.html", "synthese.html", f"{config.slug}_indicateurs.xlsx", f"{config.slug}.yaml",
                 "tableaux/index.html", "tableaux/carte.html", "tableaux/comparaison.html"):  # fmt: skip
        assert (out / name).is_file(), name
    fiches = {p.stem for p in (out / "tableaux" / "fiches").glob("Q*.html")}
    assert set(config.codes_2024) <= fiches and set(config.codes_2015) <= fiches
    carte = (out / "tableaux" / "carte.html").read_text(encoding="utf-8")
    assert f"Les {len(config.codes_2024)} périmètres" in carte
    # the home page compares the EPCI's QPV with those of each of its communes, its département and all of France
    home = (out / "index.html").read_text(encoding="utf-8")
    comparison = home[home.index("Comparaison avec les territoires de référence") :]
    for territory in [
        f"{config.nom} (EPCI)",
        *(c.nom for c in config.communes),
        "Ensemble des QPV de France",
    ]:
        assert f"<td>{html.escape(territory)}</td>" in comparison, territory
    book = load_workbook(demo_bundle.workbook, read_only=True)
    assert book.sheetnames == SHEETS
    quartiers = list(book["Quartiers"].values)
    assert [r[0] for r in quartiers[1:]] == config.codes_2024
    rows = list(book["Indicateurs QPV"].values)
    head = rows[0]
    secret = [r for r in rows[1:] if r[head.index("secret")] == "secret"]
    assert secret, "the demo has secret values"
    assert all(r[head.index("valeur")] is None for r in secret)
    dico = list(book["Dictionnaire"].values)
    assert {r[0] for r in dico[1:]} == set(config.indicateurs) and "definition" in dico[0]
    # the summary shows no secret value: every number it prints for a QPV comes from a published cell
    with connection(demo_warehouse, read_only=True) as con:
        frame = summary.contenu(con, config)["frame"]
    assert not frame.loc[frame["secret"], "valeur"].notna().any()
    assert frame.loc[frame["secret"] | frame["secret_precedent"], "evolution"].isna().all()
    page = (out / "synthese.html").read_text(encoding="utf-8")
    assert "nan" not in re.sub(r"<[^>]+>", " ", page).split() and "Points d'attention" in page


def test_pdf_required_without_chromium_fails_after_writing_html(
    demo_warehouse, demo_config, tmp_path, monkeypatch
):
    monkeypatch.setattr(summary, "chromium", lambda: None)
    with pytest.raises(bundle.PdfRequiredError, match="Chromium absent"):
        bundle.build(demo_config, demo_warehouse, tmp_path / "p", pdf=True, png=False, fiches=False)
    assert (tmp_path / "p" / "synthese.html").is_file() and not (tmp_path / "p" / "synthese.pdf").exists()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_demo_pages_open_in_chromium(demo_bundle, demo_config, tmp_path):
    config = tc.load(demo_config)
    for page, expected in (
        (demo_bundle.out / "synthese.html", ["Synthèse — " + config.nom, "En bref", "Points d'attention"]),
        (
            demo_bundle.out / "index.html",
            [config.nom, "Comparaison avec les territoires de référence", config.quartiers[0].nom],
        ),  # fmt: skip
    ):
        dom, console, urls = open_in_chromium(tmp_path, page)
        for text in expected:
            assert text.replace("'", "&#x27;") in dom or text in dom, (page.name, text)
        assert console == [], (page.name, console)
        assert [u for u in urls if not u.startswith("file://")] == [], page.name


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_mel_bundle_with_its_26_qpv(real_warehouse, tmp_path):
    folder = tmp_path / "territoires"
    run_cli(
        "territoire",
        "init",
        "--epci",
        MEL,
        "--warehouse",
        str(real_warehouse),
        "--dir",
        str(folder),
        check=True,
    )
    yaml_file = folder / "metropole-europeenne-de-lille.yaml"
    config = tc.load(yaml_file)
    assert (
        config.siren == MEL and len(config.quartiers) == 26 and config.nom == "Métropole Européenne de Lille"
    )
    assert any(c.nom == "Lille" for c in config.communes) and config.departement.code == "59"
    out = tmp_path / "mel"
    result = run_cli("territoire", "build", str(yaml_file), "--warehouse", str(real_warehouse), "--out", str(out),
                     "--pdf")  # fmt: skip
    assert result.returncode == 0, result.stderr
    pdf = out / "synthese.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())) == 1, "the summary fits on one page"
    book = load_workbook(out / "metropole-europeenne-de-lille_indicateurs.xlsx", read_only=True)
    assert book.sheetnames == SHEETS
    quartiers = list(book["Quartiers"].values)[1:]
    assert len(quartiers) == 26 and {r[0] for r in quartiers} == set(config.codes_2024)
    assert all(r[0].startswith("QN059") for r in quartiers)
    # a fiche for every QPV of the territory that has indicators (the real extracts have none yet for the 2024
    # geography: no DEFM 2024 nor SIRENE in ../shared/data), linked from the home page
    with connection(real_warehouse, read_only=True) as con:
        with_data = {r[0] for r in con.execute(
            "select distinct code_qp from marts.indicateurs_qpv where list_contains(?::varchar[], code_qp)",
            [config.codes]).fetchall()}  # fmt: skip
    fiches = {p.stem for p in (out / "tableaux" / "fiches").glob("Q*.html")}
    assert len(with_data) >= 26 and with_data <= fiches <= set(config.codes)
    dom, console, urls = open_in_chromium(tmp_path, out / "index.html")
    assert "Métropole Européenne de Lille" in dom
    assert {code for code in fiches if f'href="tableaux/fiches/{code}.html"' in dom} == fiches
    assert all(q.code in dom for q in config.quartiers)
    assert console == [] and [u for u in urls if not u.startswith("file://")] == []
    dom, console, urls = open_in_chromium(tmp_path, out / "synthese.html")
    assert "26 quartiers de la géographie 2024" in dom and "En bref" in dom
    assert console == [] and [u for u in urls if not u.startswith("file://")] == []
    # the map draws the 26 perimeters zoomed on them, although no indicator exists yet in the 2024 geography
    dom, console, urls = open_in_chromium(tmp_path, out / "tableaux" / "carte.html")
    assert dom.count('class="choroplethlocation"') == 26, "one drawn perimeter per QPV of the MEL"
    assert "Périmètres des 26 quartiers prioritaires 2024" in dom
    assert console == [] and [u for u in urls if not u.startswith("file://")] == []


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_chromium_check_sees_a_request_and_a_console_message(tmp_path):
    probe = tmp_path / "sonde.html"
    probe.write_text('<html><body><script>fetch("http://127.0.0.1:9/x").catch(function () {});'
                     'console.error("sonde");</script></body></html>')  # fmt: skip
    _, console, urls = open_in_chromium(tmp_path, probe)
    assert console == ["sonde"] and urls == ["http://127.0.0.1:9/x"]
