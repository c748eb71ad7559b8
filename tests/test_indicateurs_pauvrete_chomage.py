"""Base counts, chômage/emploi and pauvreté/CAF indicators per QPV (issue #6), against values computed here from the
producer's CSV files with the csv module (never from the project's own parsing), on the real extracts and the demo."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from pipelines.warehouse.connection import connection

THEMES = ("base", "chomage", "pauvrete")
LONG_COLUMNS = [
    ("code_qp", "VARCHAR"), ("lib_qp", "VARCHAR"), ("geographie", "VARCHAR"), ("millesime", "INTEGER"),
    ("annee_reference", "INTEGER"), ("indicateur", "VARCHAR"), ("valeur", "DOUBLE"), ("numerateur", "DOUBLE"),
    ("denominateur", "DOUBLE"), ("borne_basse", "DOUBLE"), ("borne_haute", "DOUBLE"), ("secret", "BOOLEAN"),
    ("source", "VARCHAR"), ("fichier_sha256", "VARCHAR"),
]  # fmt: skip
DICTIONARY_COLUMNS = [
    "code", "theme", "libelle", "definition", "formule", "unite", "facteur", "agregation", "numerateur_code",
    "denominateur_code", "source", "geographie", "annee_reference", "precautions", "producteur", "seuil_secret",
    "regle_producteur",
]  # fmt: skip
COUNT_THRESHOLD, RATIO_THRESHOLD = 11, 50  # DOMAIN.md §5 project rules
# 15-64 estimate (dictionary row population_15_64_estimee): share of 15-24 in 0-24 and of 60-64 in 60+.
K1, K2 = {"centrale": 0.40, "basse": 0.35, "haute": 0.45}, {"centrale": 0.28, "basse": 0.20, "haute": 0.36}


# --- reading the producer's files by hand ------------------------------------------------------------------------


def _number(cell: str) -> float | None:
    text = (
        cell.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace('"', "").replace(",", ".")
    )
    return float(text) if text else None


def _read_anct(path: Path) -> dict[str, dict[str, str]]:
    """One ANCT/ONPV CSV: {CODGEO: {column: raw cell}} (BOM, `;`, trailing empty columns dropped)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header = [h.strip() for h in rows[0]]
    out = {}
    for row in rows[1:]:
        if row and row[0]:
            out[row[0]] = {h: c for h, c in zip(header, row, strict=False) if h}
    return out


def _anct(folder: Path, family: str, millesime: int) -> dict[str, dict[str, str]]:
    return _read_anct(folder / "anct_onpv_qpv2015" / f"{family}_{millesime}.csv")


def _query(warehouse: Path, sql: str, params=()):
    with connection(warehouse, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def _indicators(warehouse: Path, theme: str, geographie: str = "qpv2015"):
    rows = _query(
        warehouse,
        f"select code_qp, millesime, indicateur, valeur, numerateur, denominateur, borne_basse, borne_haute, secret "
        f"from intermediate.int_indicateurs_qpv_{theme} where geographie = ?",  # noqa: S608
        [geographie],
    )
    return {(r[0], r[1], r[2]): r[3:] for r in rows}


def _expected_ratio(numerator: float | None, denominator: float | None):
    """(valeur, secret) for a share under the project's rules, computed independently of the SQL."""
    if (
        numerator is None
        or denominator is None
        or denominator < RATIO_THRESHOLD
        or numerator < COUNT_THRESHOLD
    ):
        return None, True
    return 100 * numerator / denominator, False


def _expected_count(value: float | None):
    if value is None or value < COUNT_THRESHOLD:
        return None, True
    return value, False


def _population_15_64(demo_row: dict[str, str], key: str = "centrale") -> float:
    pop = _number(demo_row["POP_MUN"])
    young, old = _number(demo_row["TX_TOT_0A24"]) / 100, _number(demo_row["TX_TOT_60ETPLUS"]) / 100
    return round(pop * (1 - young - old) + pop * young * K1[key] + pop * old * K2[key])


# --- shape and dictionary ----------------------------------------------------------------------------------------


def test_long_shape_and_one_dictionary_row_per_code(real_warehouse):
    codes_by_theme = {}
    for theme in THEMES:
        columns = _query(
            real_warehouse,
            "select column_name, data_type from information_schema.columns where table_schema = 'intermediate' "
            "and table_name = ? order by ordinal_position",
            [f"int_indicateurs_qpv_{theme}"],
        )
        assert columns == LONG_COLUMNS, theme
        dictionary_columns = _query(
            real_warehouse,
            "select column_name from information_schema.columns where table_schema = 'intermediate' "
            "and table_name = 'int_ref_indicateurs' order by ordinal_position",
        )
        assert [c for (c,) in dictionary_columns] == DICTIONARY_COLUMNS
        codes_by_theme[theme] = {
            c
            for (c,) in _query(
                real_warehouse, f"select distinct indicateur from intermediate.int_indicateurs_qpv_{theme}"
            )  # noqa: S608
        }
    dictionary = _query(
        real_warehouse,
        "select code, theme, agregation, numerateur_code, denominateur_code, seuil_secret, facteur, unite "
        "from intermediate.int_ref_indicateurs where list_contains(?, theme)",
        [list(THEMES)],
    )
    codes = [r[0] for r in dictionary]
    assert len(codes) == len(set(codes)), "a code defined twice"
    by_code = {r[0]: r for r in dictionary}
    for theme, emitted in codes_by_theme.items():
        assert emitted <= set(by_code), f"{theme}: codes without dictionary row {emitted - set(by_code)}"
        assert all(by_code[c][1] == theme for c in emitted)
    for code, _, agregation, num, den, seuil, facteur, unite in dictionary:
        assert agregation in {"somme", "ratio", "non_additif"}
        if agregation == "ratio":
            assert num in by_code and den in by_code and seuil == RATIO_THRESHOLD, code
        if agregation == "somme":
            assert num is None and den is None and seuil == COUNT_THRESHOLD, code
        assert (unite == "%") == (facteur == 100.0), code
    for code in ("population", "foyers_allocataires", "personnes_couvertes_caf", "demandeurs_emploi_abc",
                 "demandeurs_emploi_a", "indicateur_chomage_abc", "taux_emploi_15_64", "part_demandeurs_longue_duree",
                 "part_jeunes_demandeurs", "taux_pauvrete_60", "revenu_median_uc", "part_prestations_revenu",
                 "part_allocataires_dependants_50", "part_allocataires_dependants_100", "part_allocataires_rsa",
                 "part_allocataires_prime_activite", "part_allocataires_aah", "taux_couverture_c2s"):  # fmt: skip
        assert code in set().union(*codes_by_theme.values()), code


# --- real extracts: hand-computed values -------------------------------------------------------------------------

# QPV of several départements, with and without blanks (QP059077 Les Oliveaux is the README example).
REAL_QPV = ("QP059077", "QP093001", "QP013001", "QP974001", "QP069001")


@pytest.mark.parametrize("millesime", [2017, 2019, 2021])
def test_pauvrete_hand_computed_from_revn(real_warehouse, shared_data, millesime):
    revn = _anct(shared_data, "REVN", millesime)
    got = _indicators(real_warehouse, "pauvrete")
    checked = 0
    for code in REAL_QPV:
        if code not in revn:
            continue
        row = revn[code]
        for column, indicateur in (("TP60", "taux_pauvrete_60"), ("DISP_Q2", "revenu_median_uc"),
                                   ("PPSOC", "part_prestations_revenu")):  # fmt: skip
            value = _number(row[column])
            assert got[(code, millesime, indicateur)][0] == (
                pytest.approx(value) if value is not None else None
            )
            assert got[(code, millesime, indicateur)][-1] is (value is None)
        shares = {"part_allocataires_rsa": "ARSAS", "part_allocataires_aah": "AAAH"}
        if millesime < 2021:  # APRES50 and APRES100 are not in the 2021 file
            shares["part_allocataires_dependants_50"] = "APRES50"
            shares["part_allocataires_dependants_100"] = "APRES100"
        if millesime > 2017:
            shares["part_allocataires_prime_activite"] = "APPA"
        for indicateur, column in shares.items():
            valeur, secret = _expected_ratio(_number(row[column]), _number(row["A"]))
            got_valeur, num, den, *_, got_secret = got[(code, millesime, indicateur)]
            assert got_secret is secret, (code, indicateur)
            assert got_valeur == (pytest.approx(valeur) if valeur is not None else None), (code, indicateur)
            if not secret:
                assert (num, den) == (_number(row[column]), _number(row["A"]))
            checked += 1
        if millesime == 2021:
            valeur, secret = _expected_ratio(_number(row["CC2S"]), _number(row["C"]))
            assert got[(code, millesime, "taux_couverture_c2s")][0] == pytest.approx(valeur)
    assert checked >= 10
    # Les Oliveaux 2019 read off the file by hand: APRES50 527 / A 1000 foyers.
    if millesime == 2019:
        assert got[("QP059077", 2019, "part_allocataires_dependants_50")][:3] == (
            pytest.approx(100 * _number(revn["QP059077"]["APRES50"]) / 1000),
            _number(revn["QP059077"]["APRES50"]),
            1000.0,
        )


def test_absent_columns_give_no_rows_and_blank_cells_give_secret_rows(real_warehouse, shared_data):
    editions = {
        (m, i)
        for m, i in _query(
            real_warehouse,
            "select distinct millesime, indicateur from intermediate.int_indicateurs_qpv_pauvrete",
        )
    }
    assert (2017, "part_allocataires_prime_activite") not in editions  # APPA starts with the 2018 file
    assert (2019, "taux_couverture_c2s") not in editions and (2021, "taux_couverture_c2s") in editions
    assert (2021, "beneficiaires_cmu_c") not in editions and (2019, "beneficiaires_cmu_c") in editions
    revn = _anct(shared_data, "REVN", 2019)
    blank = [c for c, r in revn.items() if c.startswith("QP") and not r["APRES50"].strip()]
    assert blank, "REVN_2019 has blank APRES50 cells"
    got = _indicators(real_warehouse, "pauvrete")
    for code in blank:
        for indicateur in ("allocataires_dependants_50", "part_allocataires_dependants_50"):
            valeur, num, den, _, _, secret = got[(code, 2019, indicateur)]
            assert secret and valeur is None and num is None and den is None


def test_no_published_count_or_ratio_under_its_threshold(real_warehouse):
    for theme in THEMES:
        bad = _query(
            real_warehouse,
            f"""select i.indicateur, count(*)
                from intermediate.int_indicateurs_qpv_{theme} as i
                join intermediate.int_ref_indicateurs as d on d.code = i.indicateur
                where not i.secret and (
                    (d.agregation = 'somme' and i.valeur < d.seuil_secret)
                    or (d.agregation = 'ratio' and i.denominateur < d.seuil_secret)
                    or (d.agregation = 'ratio' and i.numerateur < {COUNT_THRESHOLD})
                    or i.valeur is null)
                group by 1""",  # noqa: S608
        )
        assert bad == [], theme
        leaked = _query(
            real_warehouse,
            f"select count(*) from intermediate.int_indicateurs_qpv_{theme} "  # noqa: S608
            "where secret and (valeur is not null or numerateur is not null or denominateur is not null)",
        )
        assert leaked == [(0,)]


@pytest.mark.parametrize("millesime", [2017, 2019, 2021])
def test_chomage_hand_computed_from_ipro_and_demo(real_warehouse, shared_data, millesime):
    ipro = _anct(shared_data, "IPRO", millesime)
    demo = _anct(shared_data, "DEMO", millesime)
    got = _indicators(real_warehouse, "chomage")
    base = _indicators(real_warehouse, "base")
    assert all(code in ipro and code in demo for code in REAL_QPV)
    for code in REAL_QPV:
        row = ipro[code]
        abc = _number(row["ABC"])
        for column, indicateur in (("ABC", "demandeurs_emploi_abc"), ("A", "demandeurs_emploi_a"),
                                   ("ABC_F", "demandeurs_emploi_abc_femmes"),
                                   ("ABC_25", "demandeurs_emploi_abc_moins_26_ans")):  # fmt: skip
            assert got[(code, millesime, indicateur)][0] == _expected_count(_number(row[column]))[0]
        durations = [_number(row[f"ABC_DUR{i}"]) for i in (3, 4)]
        long_term = None if None in durations else sum(durations)
        assert got[(code, millesime, "part_demandeurs_longue_duree")][0] == pytest.approx(
            _expected_ratio(long_term, abc)[0]
        )
        assert got[(code, millesime, "part_jeunes_demandeurs")][0] == pytest.approx(
            _expected_ratio(_number(row["ABC_25"]), abc)[0]
        )
        employment = _number(row["TX_TOT_EMPL"])
        assert got[(code, millesime, "taux_emploi_15_64")][0] == (
            pytest.approx(employment) if employment is not None else None
        )
        d = demo[code]
        assert base[(code, millesime, "population")][0] == _number(d["POP_MUN"])
        if d["TX_TOT_0A24"].strip() and d["TX_TOT_60ETPLUS"].strip() and abc is not None:
            central, low, high = (_population_15_64(d, k) for k in ("centrale", "basse", "haute"))
            assert base[(code, millesime, "population_15_64_estimee")][0] == central
            assert base[(code, millesime, "population_15_64_estimee")][3:5] == (low, high)
            valeur, _, den, borne_basse, borne_haute, secret = got[
                (code, millesime, "indicateur_chomage_abc")
            ]
            assert not secret and den == central
            assert valeur == pytest.approx(100 * abc / central)
            assert (borne_basse, borne_haute) == (
                pytest.approx(100 * abc / high),
                pytest.approx(100 * abc / low),
            )


def test_indicateur_chomage_abc_all_qpv_is_near_the_onpv_figures(real_warehouse, shared_data):
    # IPRO_2019 "Ensemble": 794,200 ABC; DEMO_2019: 5.02 M inhabitants. The 15-64 estimate sums to 61-70 % of them.
    ((abc, pop1564, low, high),) = _query(
        real_warehouse,
        "select sum(c.numerateur), sum(b.valeur), sum(b.borne_basse), sum(b.borne_haute) "
        "from intermediate.int_indicateurs_qpv_chomage as c join intermediate.int_indicateurs_qpv_base as b "
        "using (code_qp, geographie, millesime) where c.indicateur = 'indicateur_chomage_abc' "
        "and b.indicateur = 'population_15_64_estimee' and c.millesime = 2019 and not c.secret",
    )
    demo = _anct(shared_data, "DEMO", 2019)["Ensemble"]
    assert 0.6 < pop1564 / _number(demo["POP_MUN"]) < 0.7 and low < pop1564 < high
    assert 22 < 100 * abc / pop1564 < 27


# --- the producer's "Ensemble des QPV" rows ----------------------------------------------------------------------

# Columns of the 2017-2019 files whose Ensemble value is the all-QPV sum (rounded to the hundred, except POP_MUN
# which is exact); the rates and medians of the Ensemble row (TP60, DISP_Q2, PPSOC, TX_*) are not sums.
COUNT_COLUMNS = {
    "REVN": ("A", "APRES50", "APRES100", "ARSAS", "AAAH", "CCMUC"),
    "DEMO": ("POP_MUN", "A", "PERCOU", "AM", "AI", "ENF"),
    "IPRO": ("ABCDE", "ABC", "A", "ABC_F", "ABC_25", "ABC_RSA"),
}


@pytest.mark.parametrize("millesime", [2017, 2018, 2019])
@pytest.mark.parametrize("family", sorted(COUNT_COLUMNS))
def test_ensemble_row_is_the_all_qpv_sum_of_the_counts(shared_data, family, millesime):
    rows = _anct(shared_data, family, millesime)
    ensemble = rows.pop("Ensemble")
    for column in COUNT_COLUMNS[family]:
        values = [_number(r[column]) for r in rows.values()]
        published = [v for v in values if v is not None]
        blanks = len(values) - len(published)
        total, expected = sum(published), _number(ensemble[column])
        if column == "POP_MUN":
            assert blanks == 0 and total == expected
            continue
        assert expected % 100 == 0, "the Ensemble counts are rounded to the hundred"
        # Rounding to the hundred: ±50; each blank QPV cell is missing from the sum, at most the largest value.
        assert -50 <= expected - total <= 50 + blanks * max(published), (family, column)
        if blanks == 0:
            assert abs(expected - total) <= 50, (family, column)
        if blanks < 0.03 * len(values):  # few withheld cells: the sum is within 2 % of the producer's total
            assert abs(expected - total) / expected < 0.02, (family, column)


def test_ensemble_shares_match_the_aggregate_of_the_intermediate_counts(real_warehouse, shared_data):
    """Shares re-aggregated by summing numerators and denominators (never averaging rates) ≈ the producer's."""
    for millesime in (2017, 2018, 2019):
        ensemble = _anct(shared_data, "REVN", millesime)["Ensemble"]
        for indicateur, column in (("part_allocataires_dependants_50", "APRES50"),
                                   ("part_allocataires_dependants_100", "APRES100"),
                                   ("part_allocataires_rsa", "ARSAS"), ("part_allocataires_aah", "AAAH")):  # fmt: skip
            ((num, den),) = _query(
                real_warehouse,
                "select sum(numerateur), sum(denominateur) from intermediate.int_indicateurs_qpv_pauvrete "
                "where millesime = ? and indicateur = ? and not secret",
                [millesime, indicateur],
            )
            producer = 100 * _number(ensemble[column]) / _number(ensemble["A"])
            assert 100 * num / den == pytest.approx(producer, abs=0.2), (millesime, indicateur)
    # DOMAIN.md §4: REVN_2019 Ensemble APRES50/A = 42.7 %, APRES100/A = 26.2 %.
    ensemble = _anct(shared_data, "REVN", 2019)["Ensemble"]
    assert round(100 * _number(ensemble["APRES50"]) / _number(ensemble["A"]), 1) == 42.7
    assert _query(
        real_warehouse,
        "select foyers_allocataires, allocataires_dependants_50, allocataires_rsa_socle, allocataires_aah "
        "from staging.stg_anct_revn_ensemble where millesime = 2019",
    ) == [tuple(int(_number(ensemble[c])) for c in ("A", "APRES50", "ARSAS", "AAAH"))]


# --- demo: values equal what the generator wrote -----------------------------------------------------------------


def test_demo_pauvrete_and_chomage_equal_the_generator_files(demo_warehouse):
    data = demo_warehouse.parent / "data"
    truth = json.loads((data / "truth.json").read_text())
    pauvrete = _indicators(demo_warehouse, "pauvrete")
    chomage = _indicators(demo_warehouse, "chomage")
    base = _indicators(demo_warehouse, "base")
    for code, editions in truth["qpv2015"].items():
        for millesime, values in editions.items():
            m = int(millesime)
            for column, indicateur in (("TP60", "taux_pauvrete_60"), ("DISP_Q2", "revenu_median_uc")):
                valeur, *_, secret = pauvrete[(code, m, indicateur)]
                revn_cell = _anct(data, "REVN", m)[code][column]
                if revn_cell.strip():
                    assert valeur == pytest.approx(values[column]) and not secret
                else:
                    assert valeur is None and secret
    for millesime in (2017, 2019, 2021):
        revn, ipro, demo = (_anct(data, f, millesime) for f in ("REVN", "IPRO", "DEMO"))
        for code, row in revn.items():
            if code == "Ensemble" or "APRES50" not in row:
                continue
            valeur, secret = _expected_ratio(_number(row["APRES50"]), _number(row["A"]))
            got = pauvrete[(code, millesime, "part_allocataires_dependants_50")]
            assert got[-1] is secret and got[0] == (pytest.approx(valeur) if valeur is not None else None)
        for code, row in ipro.items():
            if code == "Ensemble":
                continue
            assert (
                chomage[(code, millesime, "demandeurs_emploi_abc")][0]
                == _expected_count(_number(row["ABC"]))[0]
            )
            d = demo[code]
            if d["TX_TOT_0A24"].strip() and d["TX_TOT_60ETPLUS"].strip() and row["ABC"].strip():
                central = _population_15_64(d)
                assert base[(code, millesime, "population_15_64_estimee")][0] == central
                assert chomage[(code, millesime, "indicateur_chomage_abc")][0] == pytest.approx(
                    100 * _number(row["ABC"]) / central
                )
    # Every demo QPV 2015 has chômage and pauvreté values in the latest edition.
    for code in truth["qpv2015"]:
        assert chomage[(code, 2021, "demandeurs_emploi_abc")][0] is not None
        assert any(v[0] is not None for (c, m, _), v in pauvrete.items() if c == code and m == 2021), code


def test_demo_defm_qpv2024_counts_and_shares(demo_warehouse):
    data = demo_warehouse.parent / "data"
    with zipfile.ZipFile(data / "france_travail" / "DEFM_QPV2024_2024.zip") as archive:
        member = next(n for n in archive.namelist() if not n.startswith("meta"))
        rows = list(csv.DictReader(io.StringIO(archive.read(member).decode("utf-8")), delimiter=";"))
    got = _indicators(demo_warehouse, "chomage", "qpv2024")
    annees = _query(
        demo_warehouse,
        "select distinct millesime, annee_reference from intermediate.int_indicateurs_qpv_chomage "
        "where geographie = 'qpv2024'",
    )
    assert annees == [(2024, 2024)]  # DEFM at the end of the year of the file
    assert {c for c, _, _ in got} == {r["CODGEO"] for r in rows}
    for row in rows:
        code = row["CODGEO"]
        for column, indicateur in (("DEFM_ABC", "demandeurs_emploi_abc"), ("DEFM_A", "demandeurs_emploi_a"),
                                   ("DEFM_ABC_M25", "demandeurs_emploi_abc_moins_25_ans"),
                                   ("DEFM_ABC_DUR1AN", "demandeurs_emploi_abc_longue_duree"),
                                   ("DEFM_ABC_RSA", "demandeurs_emploi_abc_rsa")):  # fmt: skip
            value = _number(row[column])
            valeur, secret = _expected_count(value)
            assert got[(code, 2024, indicateur)][0] == valeur and got[(code, 2024, indicateur)][-1] is secret
        for column, indicateur in (("DEFM_ABC_DUR1AN", "part_demandeurs_longue_duree"),
                                   ("DEFM_ABC_M25", "part_jeunes_demandeurs")):  # fmt: skip
            valeur, secret = _expected_ratio(_number(row[column]), _number(row["DEFM_ABC"]))
            got_row = got[(code, 2024, indicateur)]
            assert got_row[-1] is secret
            assert got_row[0] == (pytest.approx(valeur) if valeur is not None else None)
    assert "indicateur_chomage_abc" not in {i for _, _, i in got}  # no 15-64 population in the 2024 files
