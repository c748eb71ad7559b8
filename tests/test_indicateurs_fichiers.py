"""Issue 25: what the ANCT/ONPV files hold is published — insertion (IPRO), demography (DEMO), income distribution
(REVN) — each value equal to the file, on the real extracts of ../shared/data.

The files are read here with the csv module (not the project's reader): every cell of every QPV of every edition
is compared with marts.indicateurs_qpv. A few cells are also literals read off the files by hand (file and line in
the comments), so that a wrong mapping of both sides cannot pass.
"""

from __future__ import annotations

import csv
import math

import pytest

from tests.conftest import query

FOLDER = "anct_onpv_qpv2015"

# indicator -> (file prefix, column(s) tried in order: a later edition's alias after the first name)
RATES = {
    # IPRO: census rates and the producer's one-year changes at Q4
    "part_emplois_precaires": ("IPRO", ("TX_TOT_EPREC", "TX_TOT_EDLIM")),
    "part_emplois_precaires_femmes": ("IPRO", ("TX_F_EPREC", "TX_F_EDLIM")),
    "part_emplois_precaires_etrangers": ("IPRO", ("TX_ET_EPREC", "TX_ET_EDLIM")),
    "evolution_demandeurs_emploi_abc_t4": ("IPRO", ("EVOL_ABC_T4",)),
    "evolution_demandeurs_emploi_abc_t4_femmes": ("IPRO", ("EVOL_ABC_F_T4",)),
    "evolution_demandeurs_emploi_abc_t4_hommes": ("IPRO", ("EVOL_ABC_H_T4",)),
    "evolution_demandeurs_emploi_a_t4": ("IPRO", ("EVOL_A_T4",)),
    "evolution_demandeurs_emploi_a_t4_femmes": ("IPRO", ("EVOL_A_F_T4",)),
    "evolution_demandeurs_emploi_a_t4_hommes": ("IPRO", ("EVOL_A_H_T4",)),
    # DEMO: age, sex, household and nationality structure
    "part_femmes": ("DEMO", ("TX_F",)),
    "part_0_24_ans": ("DEMO", ("TX_TOT_0A24",)),
    "part_0_24_ans_femmes": ("DEMO", ("TX_F_0A24",)),
    "part_60_ans_plus": ("DEMO", ("TX_TOT_60ETPLUS",)),
    "part_60_ans_plus_femmes": ("DEMO", ("TX_F_60ETPLUS",)),
    "indice_jeunesse": ("DEMO", ("IND_JEUNE",)),
    "part_menages_1_personne": ("DEMO", ("TX_TOT_MEN1",)),
    "part_menages_6_personnes_plus": ("DEMO", ("TX_TOT_MEN6",)),
    "part_etrangers": ("DEMO", ("TX_TOT_ET",)),
    "part_etrangers_femmes": ("DEMO", ("TX_F_ET",)),
    # REVN: income distribution and composition
    "revenu_q1_uc": ("REVN", ("DISP_Q1",)),
    "revenu_q3_uc": ("REVN", ("DISP_Q3",)),
    "revenu_d1_uc": ("REVN", ("DISP_D1",)),
    "revenu_d9_uc": ("REVN", ("DISP_D9",)),
    "revenu_declare_median_uc": ("REVN", ("DECUC_Q2",)),
    "revenu_declare_q1_uc": ("REVN", ("DECUC_Q1",)),
    "revenu_declare_q3_uc": ("REVN", ("DECUC_Q3",)),
    "revenu_declare_d1_uc": ("REVN", ("DECUC_D1",)),
    "revenu_declare_d9_uc": ("REVN", ("DECUC_D9",)),
    "part_menages_imposes": ("REVN", ("PMIMP",)),
    "part_menages_chomage_principal": ("REVN", ("PART_CHOMPRINC",)),
    "taux_bas_revenus": ("REVN", ("BREV",)),
    "part_revenus_activite": ("REVN", ("PACT",)),
    "part_pensions_revenu": ("REVN", ("PPEN",)),
    "part_impots_revenu": ("REVN", ("PIMPOT",)),
    "part_patrimoine_revenu": ("REVN", ("PPAT",)),
}
COUNTS = {
    **{
        f"demandeurs_emploi_abc_{niveau}{suffixe}": ("IPRO", (f"ABC_{col}{sexe}",))
        for niveau, col in (
            ("infra_cap_bep", "INFCAPBEP"),
            ("cap_bep", "CAPBEP"),
            ("bac", "BAC"),
            ("superieur_bac", "SUPBAC"),
        )  # fmt: skip
        for suffixe, sexe in (("", ""), ("_femmes", "_F"), ("_hommes", "_H"))
    },
    "demandeurs_emploi_abcde_femmes": ("IPRO", ("ABCDE_F",)),
    "demandeurs_emploi_abcde_hommes": ("IPRO", ("ABCDE_H",)),
    "demandeurs_emploi_abc_rsa_femmes": ("IPRO", ("ABC_RSA_F",)),
    "demandeurs_emploi_abc_rsa_hommes": ("IPRO", ("ABC_RSA_H",)),
    "demandeurs_emploi_abc_francais": ("IPRO", ("ABC_FR",)),
    "demandeurs_emploi_a_t4": ("IPRO", ("A_N_T4",)),
    "demandeurs_emploi_a_t4_annee_precedente": ("IPRO", ("A_N1_T4",)),
    "contrats_aides": ("IPRO", ("CA",)),
    "contrats_aides_femmes": ("IPRO", ("CA_F",)),
    "contrats_aides_hommes": ("IPRO", ("CA_H",)),
    "allocataires_monoparents": ("DEMO", ("AM",)),
    "allocataires_isoles": ("DEMO", ("AI",)),
    "allocataires_couples_sans_enfant": ("DEMO", ("ACSSENF",)),
    "allocataires_couples_avec_enfants": ("DEMO", ("ACAVENF",)),
    "allocataires_3_enfants_plus": ("DEMO", ("AC3ENF",)),
    "allocataires_moins_25_non_etudiants": ("DEMO", ("A_NETUD_24",)),
    "allocataires_etudiants": ("DEMO", ("A_ETUD",)),
    "enfants_couverts_caf": ("DEMO", ("ENF",)),
    "enfants_couverts_caf_0_2_ans": ("DEMO", ("ENF_2",)),
    "enfants_couverts_caf_3_5_ans": ("DEMO", ("ENF_3_5",)),
    "enfants_couverts_caf_6_10_ans": ("DEMO", ("ENF_6_10",)),
    "enfants_couverts_caf_11_14_ans": ("DEMO", ("ENF_11_14",)),
    "enfants_couverts_caf_15_17_ans": ("DEMO", ("ENF_15_17",)),
    "enfants_couverts_caf_18_24_ans": ("DEMO", ("ENF_18_24",)),
    "allocataires_rsa": ("REVN", ("ARSA",)),
}

# Read by hand: (indicator, edition, QPV) -> value (None = blank cell of the producer: published as secret).
BY_HAND = {
    # IPRO_2017.csv line 652, QP059077 Les Oliveaux: ABC_INFCAPBEP 117, ABC_BAC_F 63, ABC_SUPBAC_H 14, CA 45,
    # CA_F 26, A_N_T4 325, A_N1_T4 362, TX_TOT_EPREC 21,6
    ("demandeurs_emploi_abc_infra_cap_bep", 2017, "QP059077"): 117,
    ("demandeurs_emploi_abc_bac_femmes", 2017, "QP059077"): 63,
    ("demandeurs_emploi_abc_superieur_bac_hommes", 2017, "QP059077"): 14,
    ("contrats_aides", 2017, "QP059077"): 45,
    ("contrats_aides_femmes", 2017, "QP059077"): 26,
    ("demandeurs_emploi_a_t4", 2017, "QP059077"): 325,
    ("demandeurs_emploi_a_t4_annee_precedente", 2017, "QP059077"): 362,
    ("part_emplois_precaires", 2017, "QP059077"): 21.6,
    # IPRO_2021.csv line 651: TX_TOT_EDLIM 23,4 (the 2021 name of TX_TOT_EPREC), TX_F_EDLIM 23,9; EVOL_ABC_T4 blank
    ("part_emplois_precaires", 2021, "QP059077"): 23.4,
    ("part_emplois_precaires_femmes", 2021, "QP059077"): 23.9,
    ("evolution_demandeurs_emploi_abc_t4", 2021, "QP059077"): None,
    # IPRO_2019.csv line 652: EVOL_ABC_T4 -11,2, EVOL_A_H_T4 -5,8, TX_ET_EPREC 27,1
    ("evolution_demandeurs_emploi_abc_t4", 2019, "QP059077"): -11.2,
    ("evolution_demandeurs_emploi_a_t4_hommes", 2019, "QP059077"): -5.8,
    ("part_emplois_precaires_etrangers", 2019, "QP059077"): 27.1,
    # DEMO_2021.csv line 651: TX_F 55,2, TX_TOT_0A24 37,8, TX_TOT_60ETPLUS 17,4, IND_JEUNE 1,7, TX_TOT_MEN1 48,8,
    # TX_TOT_MEN6 2,8, TX_TOT_ET 9,9, AM 238, AC3ENF 86, ENF_3_5 176
    ("part_femmes", 2021, "QP059077"): 55.2,
    ("part_0_24_ans", 2021, "QP059077"): 37.8,
    ("part_60_ans_plus", 2021, "QP059077"): 17.4,
    ("indice_jeunesse", 2021, "QP059077"): 1.7,
    ("part_menages_1_personne", 2021, "QP059077"): 48.8,
    ("part_menages_6_personnes_plus", 2021, "QP059077"): 2.8,
    ("part_etrangers", 2021, "QP059077"): 9.9,
    ("allocataires_monoparents", 2021, "QP059077"): 238,
    ("allocataires_3_enfants_plus", 2021, "QP059077"): 86,
    ("enfants_couverts_caf_3_5_ans", 2021, "QP059077"): 176,
    # data_DEMO_2020_V1_QP.csv line 651 (the only 2020 DEMO file): TX_F 55,5, IND_JEUNE 1,9, AM 226, ENF_18_24 70
    ("part_femmes", 2020, "QP059077"): 55.5,
    ("indice_jeunesse", 2020, "QP059077"): 1.9,
    ("allocataires_monoparents", 2020, "QP059077"): 226,
    ("enfants_couverts_caf_18_24_ans", 2020, "QP059077"): 70,
    # REVN_2018.csv line 652: DISP_Q1 "10 398", DISP_D1 "8 383", DISP_D9 "20 256", DECUC_Q2 "10 320",
    # DECUC_D1 "1 196", DECUC_D9 "20 864", PMIMP 26, PART_CHOMPRINC 11, BREV 59,0, PPEN 19,4, PIMPOT -8,5
    ("revenu_q1_uc", 2018, "QP059077"): 10398,
    ("revenu_d1_uc", 2018, "QP059077"): 8383,
    ("revenu_d9_uc", 2018, "QP059077"): 20256,
    ("rapport_interdecile", 2018, "QP059077"): 2.4,  # 20 256 / 8 383 = 2.416, one decimal as the producer
    ("revenu_declare_median_uc", 2018, "QP059077"): 10320,
    ("rapport_interdecile_declare", 2018, "QP059077"): 17.4,  # 20 864 / 1 196 = 17.445
    ("part_menages_imposes", 2018, "QP059077"): 26,
    ("part_menages_chomage_principal", 2018, "QP059077"): 11,
    ("taux_bas_revenus", 2018, "QP059077"): 59.0,
    ("part_pensions_revenu", 2018, "QP059077"): 19.4,
    ("part_impots_revenu", 2018, "QP059077"): -8.5,
    # REVN_2021.csv line 651: DISP_D1D9 2,3, DECUC_D1D9 73,8 (the producer's ratios), DISP_Q3 "16 920",
    # DECUC_Q1 "4 700", PPAT 1,5, PACT 58,4
    ("rapport_interdecile", 2021, "QP059077"): 2.3,
    ("rapport_interdecile_declare", 2021, "QP059077"): 73.8,
    ("revenu_q3_uc", 2021, "QP059077"): 16920,
    ("revenu_declare_q1_uc", 2021, "QP059077"): 4700,
    ("part_patrimoine_revenu", 2021, "QP059077"): 1.5,
    ("part_revenus_activite", 2021, "QP059077"): 58.4,
    # REVN_2017.csv line 652: ARSA 365 (RSA total, 2017 only)
    ("allocataires_rsa", 2017, "QP059077"): 365,
}


def _number(text: str) -> float | None:
    text = text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
    return float(text) if text else None


def _files(shared_data, prefix: str) -> dict[int, object]:
    """Edition -> file of `prefix`, as the project picks them (DEMO: the data_DEMO_<year>_V1_QP file for an edition
    without DEMO_<year>.csv)."""
    folder = shared_data / FOLDER
    found = {int(p.stem.split("_")[1]): p for p in folder.glob(f"{prefix}_*.csv")}
    if prefix == "DEMO":
        for p in folder.glob("data_DEMO_*_V1_QP.csv"):
            found.setdefault(int(p.stem.split("_")[2]), p)
    return found


def _cells(path, columns: tuple[str, ...]) -> dict[str, float | None] | None:
    """QPV code -> value of the first of `columns` the file has (None: blank); None when it has none of them."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        header = [name.strip() for name in reader.fieldnames or []]
        column = next((c for c in columns if c in header), None)
        if column is None:
            return None
        raw = reader.fieldnames[header.index(column)]
        return {row["CODGEO"]: _number(row[raw]) for row in reader if row["CODGEO"].startswith("QP")}


@pytest.fixture(scope="module")
def published(real_warehouse):
    rows = query(
        real_warehouse,
        "select indicateur, millesime, code_qp, valeur, secret from marts.indicateurs_qpv where geographie = 'qpv2015'",
    )
    return {(r[0], r[1], r[2]): (r[3], r[4]) for r in rows}


@pytest.mark.parametrize("indicateur", sorted(RATES))
def test_every_rate_of_every_edition_equals_the_file(indicateur, shared_data, published):
    prefix, columns = RATES[indicateur]
    compared = 0
    for edition, path in sorted(_files(shared_data, prefix).items()):
        cells = _cells(path, columns)
        if cells is None:
            assert not any(k[0] == indicateur and k[1] == edition for k in published), (indicateur, edition)
            continue
        if all(v is None for v in cells.values()):
            continue
        for code, value in cells.items():
            assert (indicateur, edition, code) in published, (indicateur, edition, code, path.name)
            valeur, secret = published[(indicateur, edition, code)]
            if value is None:
                assert secret and valeur is None, (indicateur, edition, code)
            else:
                assert not secret and math.isclose(valeur, value, abs_tol=1e-9), (
                    indicateur,
                    edition,
                    code,
                    valeur,
                    value,
                )
                compared += 1
    assert compared > 1000, (indicateur, compared)


@pytest.mark.parametrize("indicateur", sorted(COUNTS))
def test_every_count_of_every_edition_equals_the_file_or_is_secret(indicateur, shared_data, published):
    prefix, columns = COUNTS[indicateur]
    compared = at_least_11 = 0
    for edition, path in sorted(_files(shared_data, prefix).items()):
        cells = _cells(path, columns)
        if cells is None or all(v is None for v in cells.values()):
            assert not any(k[0] == indicateur and k[1] == edition for k in published), (indicateur, edition)
            continue
        for code, value in cells.items():
            valeur, secret = published[(indicateur, edition, code)]
            if value is None or value < 11:
                assert secret and valeur is None, (indicateur, edition, code, value)
                continue
            at_least_11 += 1
            if not secret:  # else withheld by the secondary suppression (a few per commune)
                assert valeur == value, (indicateur, edition, code, valeur, value)
                compared += 1
    assert compared > 0.9 * at_least_11 > 0, (indicateur, compared, at_least_11)


def test_values_read_by_hand_off_the_files(published):
    for (indicateur, edition, code), value in BY_HAND.items():
        valeur, secret = published[(indicateur, edition, code)]
        if value is None:
            assert secret and valeur is None, (indicateur, edition, code)
        else:
            assert not secret and valeur == pytest.approx(value, abs=1e-9), (
                indicateur,
                edition,
                code,
                valeur,
            )


def test_inter_decile_ratios_are_the_producers_or_d9_over_d1(shared_data, published):
    """2021 carries the producer's DISP_D1D9 and DECUC_D1D9; earlier editions D9 / D1 rounded to one decimal (DuckDB
    rounds half away from zero, Python half to even: one tenth of tolerance)."""
    for edition, path in sorted(_files(shared_data, "REVN").items()):
        for code_rapport, d1, d9, publie in (("rapport_interdecile", "DISP_D1", "DISP_D9", "DISP_D1D9"),
                                             ("rapport_interdecile_declare", "DECUC_D1", "DECUC_D9", "DECUC_D1D9")):  # fmt: skip
            bas, haut, producteur = _cells(path, (d1,)), _cells(path, (d9,)), _cells(path, (publie,))
            for code in bas:
                valeur, secret = published[(code_rapport, edition, code)]
                if producteur is not None:
                    attendu = producteur[code]
                elif bas[code] and haut[code] is not None:
                    attendu = round(haut[code] / bas[code], 1)
                else:
                    attendu = None
                if attendu is None:
                    assert secret and valeur is None
                else:
                    assert valeur == pytest.approx(attendu, abs=0.1001), (
                        code_rapport,
                        edition,
                        code,
                        valeur,
                        attendu,
                    )


def test_shares_by_level_of_education_are_count_over_abc(real_warehouse):
    rows = query(
        real_warehouse,
        """
        select p.indicateur, p.valeur, p.numerateur, p.denominateur, n.valeur, d.valeur
        from marts.indicateurs_qpv as p
        join marts.indicateurs_qpv as n
            on n.geographie = p.geographie and n.millesime = p.millesime and n.code_qp = p.code_qp
            and n.indicateur = replace(p.indicateur, 'part_demandeurs_', 'demandeurs_emploi_abc_')
        join marts.indicateurs_qpv as d
            on d.geographie = p.geographie and d.millesime = p.millesime and d.code_qp = p.code_qp
            and d.indicateur = 'demandeurs_emploi_abc'
        where p.indicateur in ('part_demandeurs_infra_cap_bep', 'part_demandeurs_cap_bep', 'part_demandeurs_bac',
                               'part_demandeurs_superieur_bac')
          and p.geographie = 'qpv2015' and not p.secret
        """,
    )
    assert len(rows) > 4000
    for indicateur, valeur, numerateur, denominateur, compte, abc in rows:
        assert numerateur == compte and denominateur == abc >= 50, indicateur
        assert valeur == pytest.approx(100 * compte / abc)


def test_every_new_indicator_has_a_year_of_reference_and_a_producers_rule(real_warehouse):
    codes = sorted(set(RATES) | set(COUNTS))
    missing = query(
        real_warehouse,
        "select distinct indicateur, millesime from marts.indicateurs_qpv "
        "where geographie = 'qpv2015' and annee_reference is null",
    )
    assert missing == []
    rules = dict(
        query(
            real_warehouse,
            f"select code, producteur from marts.ref_indicateurs where code in ({', '.join('?' * len(codes))})",
            codes,
        )
    )
    assert sorted(rules) == codes
    assert rules["contrats_aides"] == "asp" and rules["part_femmes"] == "insee_rp"
    assert rules["revenu_declare_median_uc"] == "insee_filosofi" and rules["taux_bas_revenus"] == "cnaf"
