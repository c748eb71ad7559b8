"""Thin queries over the marts: the only way dashboards read the warehouse (never raw or staging)."""

from __future__ import annotations

import duckdb
import pandas as pd

INDICATEURS_PAUVRETE = ("taux_pauvrete_60", "revenu_median_uc")


def pauvrete_par_qpv(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per QPV and edition, with the poverty indicators as columns (null when secret) and the year of the
    data of the poverty rate (annee_reference: Filosofi year)."""
    return con.execute(
        """
        select
            code_qp, lib_qp, geographie, millesime,
            max(valeur) filter (where indicateur = ?) as taux_pauvrete_60,
            max(valeur) filter (where indicateur = ?) as revenu_median_uc,
            max(annee_reference) filter (where indicateur = ?) as annee_reference
        from marts.indicateurs_qpv
        where indicateur in (?, ?)
        group by all
        order by millesime, code_qp
        """,
        [*INDICATEURS_PAUVRETE, INDICATEURS_PAUVRETE[0], *INDICATEURS_PAUVRETE],
    ).df()


def dictionnaire(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("select * from marts.ref_indicateurs order by code").df()


def couverture(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per edition: the years of its data, number of QPV, of published values, of secret values."""
    return con.execute(
        """
        select millesime, indicateur,
               list(distinct annee_reference order by annee_reference)
                   filter (where annee_reference is not null) as annees_reference,
               count(distinct code_qp) as quartiers,
               count(*) filter (where not secret) as valeurs_publiees,
               count(*) filter (where secret) as valeurs_secretes
        from marts.indicateurs_qpv
        group by all
        order by millesime, indicateur
        """
    ).df()


def perimetres_qpv(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The QPV 2024 perimeters drawn by the map (simplified GeoJSON text), with their commune, EPCI and bounds."""
    return con.execute(
        """
        select code_qp, lib_qp, code_commune, lib_commune, code_epci, lib_epci, geometry,
               lon_min, lon_max, lat_min, lat_max
        from marts.qpv_perimetres
        order by code_qp
        """
    ).df()


def valeurs_qpv2024(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every indicator value of the 2024 geography (the one with perimeters): null `valeur` when secret."""
    return con.execute(
        """
        select code_qp, lib_qp, indicateur, millesime, annee_reference, valeur, secret, unite
        from marts.indicateurs_qpv
        where geographie = 'qpv2024'
        order by indicateur, millesime, code_qp
        """
    ).df()


def editions_chargees(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per theme and geography: the editions (millésimes) loaded, the indicators and QPV they cover, the sources."""
    return con.execute(
        """
        with editions as (
            select
                coalesce(ref.theme, 'autre') as theme,
                ind.geographie,
                list(distinct ind.millesime order by ind.millesime) as millesimes,
                count(distinct ind.indicateur) as indicateurs,
                count(distinct ind.code_qp) as quartiers,
                string_agg(distinct coalesce(ref.source, ind.source), ' ; ') as sources
            from marts.indicateurs_qpv as ind
            left join marts.ref_indicateurs as ref on ref.code = ind.indicateur
            group by all
        )

        select * from editions
        order by
            list_position(['base', 'chomage', 'pauvrete', 'non_recours', 'ess', 'entrepreneuriat'], theme) nulls last,
            theme, geographie
        """
    ).df()
