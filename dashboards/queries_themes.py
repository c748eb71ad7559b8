"""Queries of the Non-recours and ESS theme pages: SQL on the marts only (marts.*), results as pandas frames.

Secret values stay null (the marts never publish a 0 for a secret): the pages show them as "secret".
"""

from __future__ import annotations

import duckdb
import pandas as pd

# Non-recours: (prestation code, label, estimate indicator, coverage index indicator)
PRESTATIONS = (
    ("rsa", "RSA socle", "non_recours_rsa_estime", "indice_couverture_rsa"),
    (
        "prime_activite",
        "prime d'activité",
        "non_recours_prime_activite_estime",
        "indice_couverture_prime_activite",
    ),
)
INDICATEURS_NON_RECOURS = tuple(code for p in PRESTATIONS for code in p[2:])
INDICATEURS_ESS = ("etablissements_ess", "emplois_ess", "part_emplois_ess")


def dictionnaire(con: duckdb.DuckDBPyConnection, theme: str) -> pd.DataFrame:
    """The dictionary rows of one theme (libelle, definition, formule, unite, source, annee_reference…)."""
    return con.execute("select * from marts.ref_indicateurs where theme = ? order by code", [theme]).df()


def non_recours_qpv(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per QPV × edition × non-recours indicator (estimates and coverage indices), with their range."""
    return con.execute(
        """
        select
            code_qp, lib_qp, geographie, millesime, indicateur, annee_reference,
            valeur, borne_basse, borne_haute, secret
        from marts.indicateurs_qpv
        where list_contains(?, indicateur)
        order by indicateur, millesime, code_qp
        """,
        [list(INDICATEURS_NON_RECOURS)],
    ).df()


def territoires(con: duckdb.DuckDBPyConnection, indicateurs: tuple[str, ...]) -> pd.DataFrame:
    """The same indicators for the territories (all QPV of France, and of each commune / EPCI)."""
    return con.execute(
        """
        select
            type_territoire, code_territoire, lib_territoire, geographie, millesime, indicateur,
            valeur, numerateur, denominateur, secret, nb_qpv
        from marts.indicateurs_territoire
        where list_contains(?, indicateur)
        order by type_territoire, code_territoire, geographie, millesime, indicateur
        """,
        [list(indicateurs)],
    ).df()


def ess_qpv(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per QPV × geography × SIRENE edition: ESS establishments, jobs and share with their range."""
    return con.execute(
        """
        select
            code_qp, lib_qp, geographie, millesime, annee_reference,
            etablissements_ess, emplois_ess, emplois_ess_borne_basse, emplois_ess_borne_haute,
            emplois_salaries_prives, part_emplois_ess, part_emplois_ess_borne_basse, part_emplois_ess_borne_haute
        from marts.qpv_ess
        order by geographie, millesime, code_qp
        """
    ).df()


def ess_detail(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """ESS establishments and jobs by QPV, ESS family and NAF section (secret cells: secret = true, null counts)."""
    return con.execute(
        """
        with noms as (
            select code_qp, geographie, millesime, any_value(lib_qp) as lib_qp
            from marts.qpv_ess
            group by all
        ),

        final as (
            select
                detail.code_qp, noms.lib_qp, detail.geographie, detail.millesime,
                detail.famille_ess, detail.libelle_famille, detail.section_naf, detail.libelle_section,
                detail.secret, detail.etablissements_ess,
                detail.emplois_ess_bas, detail.emplois_ess_central, detail.emplois_ess_haut
            from marts.ess_qpv_detail as detail
            left join noms using (code_qp, geographie, millesime)
        )

        select * from final
        order by geographie, millesime, code_qp, famille_ess, section_naf
        """
    ).df()


def passage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The establishment-weighted correspondence between the 2015 and 2024 QPV (to select a territory's QPV in
    both geographies)."""
    return con.execute(
        """
        select distinct code_qp2015, code_qp2024
        from marts.passage_qpv2015_qpv2024
        where code_qp2015 is not null and code_qp2024 is not null
        """
    ).df()


def indicateurs_qpv(con: duckdb.DuckDBPyConnection, indicateurs: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """One row per QPV × edition × indicator (valeur null when secret), with the year of its data."""
    return con.execute(
        """
        select code_qp, lib_qp, geographie, millesime, annee_reference, indicateur, valeur, secret
        from marts.indicateurs_qpv
        where list_contains(?::varchar[], indicateur)
        order by indicateur, geographie, millesime, code_qp
        """,
        [list(indicateurs)],
    ).df()


def france_qpv(con: duckdb.DuckDBPyConnection, indicateurs: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """The aggregate of all the QPV of France (sum of numerators over sum of denominators), per geography and
    edition; only the ratio indicators have one."""
    return con.execute(
        """
        select geographie, millesime, indicateur, valeur, secret, nb_qpv
        from marts.indicateurs_territoire
        where type_territoire = 'france' and perimetre = 'qpv' and list_contains(?::varchar[], indicateur)
        order by indicateur, geographie, millesime
        """,
        [list(indicateurs)],
    ).df()


def france_metropolitaine(
    con: duckdb.DuckDBPyConnection, indicateurs: tuple[str, ...] | list[str]
) -> pd.DataFrame:
    """Whole France métropolitaine (all its households, INSEE Filosofi) per year of data (marts.references_territoire)."""
    return con.execute(
        """
        select annee_reference, indicateur, valeur, secret
        from marts.references_territoire
        where type_territoire = 'france_metropolitaine' and list_contains(?::varchar[], indicateur)
        order by indicateur, annee_reference
        """,
        [list(indicateurs)],
    ).df()
