"""Queries of the fiche quartier and comparison pages: one query per mart for ALL the QPV (the pages group the
result in pandas; no per-QPV SQL, the real data has ~2,900 fiches). Reads `marts.*` only."""

from __future__ import annotations

import duckdb
import pandas as pd

# The key indicators of the four themes shown on a fiche (those absent from the dictionary are ignored).
THEMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "chomage": (
        "Chômage et emploi",
        (
            "indicateur_chomage_abc",
            "demandeurs_emploi_abc",
            "part_demandeurs_longue_duree",
            "part_jeunes_demandeurs",
            "taux_emploi_15_64",
        ),
    ),
    "pauvrete": (
        "Pauvreté et revenus",
        (
            "taux_pauvrete_60",
            "revenu_median_uc",
            "part_allocataires_rsa",
            "part_prestations_revenu",
            "taux_couverture_c2s",
        ),
    ),
    "non_recours": (
        "Non-recours au RSA et à la prime d'activité (estimations)",
        (
            "non_recours_rsa_estime",
            "indice_couverture_rsa",
            "non_recours_prime_activite_estime",
            "indice_couverture_prime_activite",
        ),
    ),
    "ess": (
        "Économie sociale et solidaire",
        ("etablissements_ess", "emplois_ess", "part_emplois_ess", "emplois_ess_pour_1000_habitants"),
    ),
}
BASE = ("population",)
NON_RECOURS_ESTIMES = ("non_recours_rsa_estime", "non_recours_prime_activite_estime")
# main ratio indicators offered by the comparison page's selector
COMPARAISON = (
    "indicateur_chomage_abc",
    "part_demandeurs_longue_duree",
    "part_jeunes_demandeurs",
    "taux_pauvrete_60",
    "part_allocataires_rsa",
    "taux_couverture_c2s",
    "non_recours_rsa_estime",
    "non_recours_prime_activite_estime",
    "part_emplois_ess",
    "emplois_ess_pour_1000_habitants",
)


# The two perimeters of reference of marts.ecarts_qpv, in the order the pages show them, never mixed: the whole
# territory first (all its households: INSEE Filosofi, CAF summed to communes; same year of data as the quartier),
# then the aggregate of the QPV of the territory (the quartier included; none when it is alone in it).
ENSEMBLE = (
    ("commune", "Ensemble de la commune"),
    ("epci", "Ensemble de l'EPCI"),
    ("france_metropolitaine", "France métropolitaine"),
)
QUARTIERS = (
    ("commune", "Quartiers prioritaires de la commune"),
    ("epci", "Quartiers prioritaires de l'EPCI"),
    ("france", "Ensemble des quartiers prioritaires"),
)
# the indicators whose whole-territory reference the comparison page charts (besides COMPARAISON's ratios)
COMPARAISON_ENSEMBLE = ("revenu_median_uc", "part_prestations_revenu")


def fiche_indicateurs() -> list[str]:
    return [*BASE, *(code for _, codes in THEMES.values() for code in codes)]


def indicateurs_qpv(con: duckdb.DuckDBPyConnection, codes: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Every QPV × geography × edition row of the given indicators (valeur null when secret)."""
    return con.execute(
        """
        select code_qp, lib_qp, geographie, millesime, annee_reference, indicateur, valeur, unite,
               borne_basse, borne_haute, secret, rupture, source
        from marts.indicateurs_qpv
        where list_contains(?::varchar[], indicateur)
        order by geographie, code_qp, indicateur, millesime
        """,
        [list(codes)],
    ).df()


def qpv(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per QPV and geography with its name and, where known, its main commune and EPCI
    (marts.qpv_territoires; marts.qpv_perimetres for a 2024 QPV the attachment table lacks)."""
    return con.execute(
        """
        with noms as (
            select code_qp, geographie, max(lib_qp) as lib_qp
            from marts.indicateurs_qpv
            group by all
        )
        select noms.*,
               coalesce(r.code_commune, p.code_commune) as code_commune,
               coalesce(r.lib_commune, p.lib_commune) as lib_commune,
               coalesce(r.code_epci, p.code_epci) as code_epci,
               coalesce(r.lib_epci, p.lib_epci) as lib_epci
        from noms
        left join marts.qpv_territoires as r on r.code_qp = noms.code_qp and r.geographie = noms.geographie
        left join marts.qpv_perimetres as p on p.code_qp = noms.code_qp and p.geographie = noms.geographie
        order by noms.geographie desc, noms.code_qp
        """
    ).df()


def ecarts(con: duckdb.DuckDBPyConnection, codes: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Each QPV's value against its whole commune, EPCI, département, région and France métropolitaine
    (perimetre_reference 'ensemble': same year of data) and against the QPV of its commune, EPCI and France
    (perimetre_reference 'qpv'): one row per reference, never one per type_reference alone."""
    return con.execute(
        """
        select code_qp, lib_qp, geographie, millesime, annee_reference, indicateur, unite, valeur, secret,
               perimetre_reference, lib_perimetre_reference, type_reference, code_reference, lib_reference,
               valeur_reference, secret_reference, ecart, unite_ecart, rapport
        from marts.ecarts_qpv
        where list_contains(?::varchar[], indicateur)
        order by geographie, code_qp, indicateur, millesime, perimetre_reference, type_reference
        """,
        [list(codes)],
    ).df()


def france(con: duckdb.DuckDBPyConnection, codes: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """The indicators of all the QPV of France, per geography and edition."""
    return con.execute(
        """
        select geographie, millesime, indicateur, valeur, secret, nb_qpv
        from marts.indicateurs_territoire
        where type_territoire = 'france' and perimetre = 'qpv' and list_contains(?::varchar[], indicateur)
        order by geographie, indicateur, millesime
        """,
        [list(codes)],
    ).df()


def ess_detail(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        """
        select code_qp, geographie, millesime, famille_ess, libelle_famille, section_naf, libelle_section, secret,
               etablissements_ess, emplois_ess_bas, emplois_ess_central, emplois_ess_haut
        from marts.ess_qpv_detail
        order by geographie, code_qp, millesime, famille_ess, section_naf
        """
    ).df()


def passage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The establishment-weighted correspondence 2015 → 2024 (latest SIRENE edition only)."""
    return con.execute(
        """
        select code_qp2015, lib_qp2015, code_qp2024, lib_qp2024, millesime, etablissements_communs,
               part_etablissements_qp2015, part_etablissements_qp2024
        from marts.passage_qpv2015_qpv2024
        where millesime = (select max(millesime) from marts.passage_qpv2015_qpv2024)
          and code_qp2024 is not null
        order by code_qp2024, part_etablissements_qp2024 desc
        """
    ).df()


def dictionnaire(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "select code, theme, libelle, definition, unite, agregation, source, annee_reference, precautions "
        "from marts.ref_indicateurs order by code"
    ).df()
