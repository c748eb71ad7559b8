"""The year of the data behind each figure (annee_reference) and the breaks of series where the source changed.

The facts are data: sql/seeds/annees_reference.csv (file × variable family × edition → year, certainty, evidence)
and sql/seeds/familles_indicateurs.csv (indicator → file and family), read through the `{{ seed('…') }}` macro of
pipelines/warehouse/models.py. The real-extract tests check the 2015 geography's marts: every ANCT/ONPV value has a year, the
known years, and the census-base break of the employment rate at the 2019 edition.
"""

from __future__ import annotations

import csv
from html import unescape
from pathlib import Path

import duckdb
import pytest

from dashboards.pages import comparaison, fiches
from dashboards.site import SiteContext
from pipelines.paths import SQL_DIR
from pipelines.warehouse.connection import connection
from pipelines.warehouse.models import SEEDS, SqlModel, discover_models, seed_relation

SEEDS_DIR = SQL_DIR / "seeds"
FAMILLES = {
    "REVN": {"filosofi", "caf", "cnam"},
    "DEMO": {"rp_population", "rp_structure", "caf"},
    "IPRO": {"defm", "rp_emploi", "asp"},
}
EDITIONS = range(2017, 2023)


def _seed(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with connection(warehouse, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# --- the seeds ----------------------------------------------------------------------------------------------------


def test_every_fact_has_evidence_an_allowed_certainty_and_a_year_before_its_edition():
    rows = _seed("annees_reference")
    assert list(rows[0]) == list(SEEDS["annees_reference"])
    for row in rows:
        where = f"{row['fichier']} {row['famille']} {row['millesime']}"
        assert row["preuve"].strip() and row["donnees"].strip(), where
        assert row["certitude"] in {"etablie", "probable", "hypothese"}, where
        assert int(row["annee_reference"]) <= int(row["millesime"]), where
        assert row["rupture_si_changement"] in {"true", "false"}, where
        assert (row["rupture_si_changement"] == "true") == row["famille"].startswith("rp_"), where
        if row["certitude"] == "hypothese":
            assert any(w in row["preuve"] for w in ("suppos", "non vérifi")), (
                f"{where}: an assumption says so"
            )


def test_every_family_of_every_file_covers_the_editions_2017_to_2022_once():
    keys = [(r["fichier"], r["famille"], int(r["millesime"])) for r in _seed("annees_reference")]
    assert len(keys) == len(set(keys))
    expected = {(f, fam, m) for f, families in FAMILLES.items() for fam in families for m in EDITIONS}
    assert set(keys) == expected


def test_the_facts_given_as_established():
    facts = {(r["fichier"], r["famille"], int(r["millesime"])): r for r in _seed("annees_reference")}

    def year(*key) -> int:
        return int(facts[key]["annee_reference"])

    assert [year("DEMO", "rp_population", m) for m in EDITIONS] == [2013, 2013, 2013, 2013, 2018, 2018]
    assert [year("REVN", "filosofi", m) for m in EDITIONS] == [2013, 2014, 2015, 2016, 2017, 2018]
    assert facts[("REVN", "filosofi", 2021)]["certitude"] == "etablie"
    assert "13 790" in facts[("REVN", "filosofi", 2021)]["preuve"]
    assert [year("REVN", "caf", m) for m in EDITIONS] == [m - 2 for m in EDITIONS]
    assert [year("IPRO", "defm", m) for m in EDITIONS] == [m - 1 for m in EDITIONS]
    assert [year("IPRO", "rp_emploi", m) for m in EDITIONS] == [2013, 2013, 2015, 2016, 2017, 2018]
    assert year("REVN", "cnam", 2021) == 2021


def test_every_indicator_maps_to_a_family_of_the_seed():
    families = {(r["fichier"], r["famille"]) for r in _seed("annees_reference")}
    rows = _seed("familles_indicateurs")
    assert list(rows[0]) == list(SEEDS["familles_indicateurs"])
    keys = [(r["indicateur"], r["source"]) for r in rows]
    assert len(keys) == len(set(keys))
    for row in rows:
        assert (row["fichier"], row["famille"]) in families, row
        assert row["source"].startswith("ANCT/ONPV"), row


# --- the seed macro -----------------------------------------------------------------------------------------------


def test_the_seed_macro_becomes_a_typed_read_csv_and_is_not_a_dependency():
    model = next(m for m in discover_models() if m.name == "ref_annees_reference")
    assert "{{ seed('annees_reference') }}" in model.file_text
    assert "{{" not in model.text and str((SEEDS_DIR / "annees_reference.csv").resolve()) in model.text
    assert model.seeds() == ["annees_reference"] and model.references() == []
    con = duckdb.connect()
    types = dict(con.execute(f"describe select * from {seed_relation('annees_reference')}").fetchall()[i][:2]
                 for i in range(len(SEEDS["annees_reference"])))  # fmt: skip
    assert types == SEEDS["annees_reference"]
    assert (
        con.execute(f"select count(*) from {seed_relation('annees_reference', SEEDS_DIR)}").fetchone()[0]
        == 54
    )


def test_an_unknown_seed_or_a_changed_header_fails(tmp_path):
    (tmp_path / "staging").mkdir()
    (tmp_path / "seeds").mkdir()
    model = SqlModel("staging", "ref_x", tmp_path / "staging" / "ref_x.sql")
    model.path.write_text("select * from {{ seed('inconnue') }}\n", encoding="utf-8")
    with pytest.raises(KeyError, match="inconnue"):
        _ = model.text
    model.path.write_text("select * from {{ seed('familles_indicateurs') }}\n", encoding="utf-8")
    (tmp_path / "seeds" / "familles_indicateurs.csv").write_text(
        "indicateur,fichier,source,famille,note\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="colonnes"):
        _ = model.text


# --- the marts, on the real extracts -------------------------------------------------------------------------------


def test_every_value_of_the_2015_geography_carries_the_year_of_its_data(real_warehouse):
    missing = _rows(
        real_warehouse,
        "select distinct indicateur, millesime from marts.indicateurs_qpv "
        "where geographie = 'qpv2015' and annee_reference is null order by 1, 2",
    )
    assert missing == []
    assert _rows(
        real_warehouse,
        "select count(*) from marts.indicateurs_qpv where annee_reference > millesime",
    ) == [(0,)]


@pytest.mark.parametrize(
    ("indicateur", "millesime", "annee"),
    [
        ("taux_pauvrete_60", 2021, 2017),
        ("revenu_median_uc", 2019, 2015),
        ("population", 2019, 2013),
        ("population", 2021, 2018),
        ("demandeurs_emploi_abc", 2019, 2018),
        ("indicateur_chomage_abc", 2019, 2018),  # a ratio: the year of its numerator (DEFM)
        ("taux_emploi_15_64", 2018, 2013),
        ("part_allocataires_rsa", 2017, 2015),
        ("non_recours_rsa_estime", 2021, 2019),  # non-recours: the year of the CAF claimants
        ("taux_couverture_c2s", 2021, 2021),
    ],
)
def test_known_years(real_warehouse, indicateur, millesime, annee):
    assert _rows(
        real_warehouse,
        "select distinct annee_reference from marts.indicateurs_qpv "
        "where geographie = 'qpv2015' and indicateur = ? and millesime = ?",
        [indicateur, millesime],
    ) == [(annee,)]


def test_the_employment_rate_breaks_at_2019_when_the_census_changes(real_warehouse, shared_data):
    by_edition = dict(
        (m, (flagged, n))
        for m, flagged, n in _rows(
            real_warehouse,
            "select millesime, count(*) filter (where rupture), count(*) from marts.indicateurs_qpv "
            "where geographie = 'qpv2015' and indicateur = 'taux_emploi_15_64' group by 1",
        )
    )
    flagged, n = by_edition[2019]
    assert n > 1300 and flagged >= 0.95 * n
    assert all(
        by_edition[m][0] == 0 for m in (2017, 2018, 2020, 2021)
    )  # census kept or moving with the edition
    # the producer's all-QPV figure (the "Ensemble" row of the file; a rate without counts: no aggregate in the marts)
    ensemble = {}
    for m in (2018, 2019):
        with (shared_data / "anct_onpv_qpv2015" / f"IPRO_{m}.csv").open(
            encoding="utf-8-sig", newline=""
        ) as handle:
            rows = list(csv.reader(handle, delimiter=";"))
        row = next(r for r in rows[1:] if r and r[0] == "Ensemble")
        ensemble[m] = float(row[rows[0].index("TX_TOT_EMPL")].replace(",", "."))
    assert ensemble == {2018: 47.4, 2019: 44.6}
    assert _rows(
        real_warehouse,
        "select count(*) from marts.indicateurs_territoire where indicateur = 'taux_emploi_15_64'",
    ) == [(0,)]
    [(median_2018, median_2019)] = _rows(
        real_warehouse,
        "select median(valeur) filter (where millesime = 2018), median(valeur) filter (where millesime = 2019) "
        "from marts.indicateurs_qpv where indicateur = 'taux_emploi_15_64' and geographie = 'qpv2015'",
    )
    assert median_2018 == pytest.approx(47.4) and median_2019 < median_2018 - 2


def test_the_population_breaks_at_the_new_census_and_yearly_sources_never_break_on_their_year(real_warehouse):
    [(flagged, n)] = _rows(
        real_warehouse,
        "select count(*) filter (where rupture), count(*) from marts.indicateurs_qpv "
        "where geographie = 'qpv2015' and indicateur = 'population' and millesime = 2021",
    )
    assert n > 1300 and flagged == n  # RP 2013 -> RP 2018
    # Filosofi, CAF, DEFM: a one-year step is the series; only a change of source file breaks (foyers_allocataires)
    assert _rows(
        real_warehouse,
        "select count(*) from marts.indicateurs_qpv where geographie = 'qpv2015' and rupture "
        "and indicateur in ('taux_pauvrete_60', 'demandeurs_emploi_abc', 'part_allocataires_rsa', "
        "'indicateur_chomage_abc', 'beneficiaires_cmu_c')",
    ) == [(0,)]


def test_the_dictionary_and_the_facts_table_say_it(real_warehouse):
    texts = dict(
        _rows(
            real_warehouse,
            "select code, annee_reference || ' | ' || regle_rupture from marts.ref_indicateurs",
        )
    )
    assert "2021 : Filosofi 2017 (établie)" in texts["taux_pauvrete_60"]
    assert "2019 (RP 2013 → RP 2015)" in texts["taux_emploi_15_64"]
    assert "rupture_si_changement" in texts["demandeurs_emploi_abc"]
    assert "numérateur" in texts["indicateur_chomage_abc"]
    assert not [c for c, t in texts.items() if "non renseignée" in t]
    [(n, sans_preuve)] = _rows(
        real_warehouse,
        "select count(*), count(*) filter (where coalesce(trim(preuve), '') = '') from marts.annees_reference",
    )
    assert n == 54 and sans_preuve == 0


def test_pages_show_the_year_of_the_data_beside_the_edition(real_warehouse, tmp_path):
    with connection(real_warehouse, read_only=True) as con:
        ctx = SiteContext(con=con, out_dir=tmp_path, territoire=["QP001001"], png=False)
        fiches.render(ctx)
        comparaison.render(ctx)
    fiche = unescape((tmp_path / "fiches" / "QP001001.html").read_text(encoding="utf-8"))
    assert "2021 (données 2017)" in fiche  # the poverty rate of the latest REVN edition (Filosofi 2017)
    assert "2019 (données 2015 et 2018)" in fiche  # series caption: census (employment rate) and DEFM
    assert (
        "rupture de s\\u00e9rie" in fiche
    )  # the chart's mark (figure JSON): the employment rate breaks in 2019
    assert "2021 (données 2017)" in unescape((tmp_path / "comparaison.html").read_text(encoding="utf-8"))
    pauvrete = unescape((real_warehouse.parent / "dashboards" / "pauvrete.html").read_text(encoding="utf-8"))
    assert "2019 (données 2015)" in pauvrete
