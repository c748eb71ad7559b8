"""Thin queries over the marts: the only way dashboards read the warehouse (never raw or staging)."""

from __future__ import annotations

import duckdb
import pandas as pd

INDICATEURS_PAUVRETE = ("taux_pauvrete_60", "revenu_median_uc")


def pauvrete_par_qpv(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per QPV and edition, with the poverty indicators as columns (null when secret)."""
    return con.execute(
        """
        select
            code_qp, lib_qp, geographie, millesime,
            max(valeur) filter (where indicateur = ?) as taux_pauvrete_60,
            max(valeur) filter (where indicateur = ?) as revenu_median_uc
        from marts.indicateurs_qpv
        where indicateur in (?, ?)
        group by all
        order by millesime, code_qp
        """,
        [*INDICATEURS_PAUVRETE, *INDICATEURS_PAUVRETE],
    ).df()


def dictionnaire(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("select * from marts.ref_indicateurs order by code").df()


def couverture(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per edition: number of QPV, of published values, of secret values."""
    return con.execute(
        """
        select millesime, indicateur,
               count(distinct code_qp) as quartiers,
               count(*) filter (where not secret) as valeurs_publiees,
               count(*) filter (where secret) as valeurs_secretes
        from marts.indicateurs_qpv
        group by all
        order by millesime, indicateur
        """
    ).df()
