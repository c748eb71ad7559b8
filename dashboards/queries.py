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
                string_agg(distinct coalesce(ref.source, ind.source), ' ; ' order by coalesce(ref.source, ind.source)) as sources
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


# The key figures of the home page: (theme, indicator) in the order shown. The QPV side is the aggregate of all the
# QPV (marts.indicateurs_territoire, type_territoire 'france'), the poverty rate (not additive) excepted: Σ poor
# population estimated / Σ population of the QPV where both are published (marts.indicateurs_qpv).
CHIFFRES_CLES = (
    ("base", "population"),
    ("chomage", "demandeurs_emploi_abc"),
    ("chomage", "indicateur_chomage_abc"),
    ("pauvrete", "taux_pauvrete_60"),
    ("non_recours", "non_recours_rsa_estime"),
    ("non_recours", "non_recours_prime_activite_estime"),
    ("ess", "emplois_ess"),
    ("ess", "part_emplois_ess"),
)
# whole-territory references shown beside them when the warehouse has no France métropolitaine value of the same
# indicator (Filosofi gives France métropolitaine its income, not its poverty rate in every extract)
REFERENCES_PAUVRETE = ("taux_pauvrete_60", "revenu_median_uc")


def chiffres_cles(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """For each key indicator and geography, its latest edition with a published value for all the QPV: value,
    number of QPV, the years of the data (annee_reference of the QPV rows of that edition), the dictionary's label,
    unit and source. Secret aggregates are never returned."""
    codes = [code for _, code in CHIFFRES_CLES]
    return con.execute(
        """
        with agregats as (
            select geographie, millesime, indicateur, valeur, nb_qpv
            from marts.indicateurs_territoire
            where type_territoire = 'france' and perimetre = 'qpv' and not secret and valeur is not null
              and list_contains(?::varchar[], indicateur)
        ),
        pauvrete as (  -- the poverty rate of all the QPV: poor population estimated / population, same QPV
            select p.geographie, p.millesime, 'taux_pauvrete_60' as indicateur,
                   100 * sum(p.valeur) / sum(pop.valeur) as valeur, count(*) as nb_qpv
            from marts.indicateurs_qpv as p
            join marts.indicateurs_qpv as pop
              on pop.code_qp = p.code_qp and pop.geographie = p.geographie and pop.millesime = p.millesime
             and pop.indicateur = 'population' and not pop.secret and pop.valeur > 0
            join marts.indicateurs_qpv as t
              on t.code_qp = p.code_qp and t.geographie = p.geographie and t.millesime = p.millesime
             and t.indicateur = 'taux_pauvrete_60' and not t.secret and t.valeur is not null
            where p.indicateur = 'population_pauvre_estimee' and not p.secret and p.valeur is not null
            group by all
        ),
        toutes as (
            select * from agregats
            union all
            select * from pauvrete where not exists (select 1 from agregats where indicateur = 'taux_pauvrete_60')
        ),
        dernieres as (
            select * from toutes
            qualify millesime = max(millesime) over (partition by geographie, indicateur)
        ),
        annees as (
            select geographie, millesime, indicateur,
                   list(distinct annee_reference order by annee_reference)
                       filter (where annee_reference is not null) as annees_reference
            from marts.indicateurs_qpv
            where list_contains(?::varchar[], indicateur)
            group by all
        )
        select d.geographie, d.millesime, d.indicateur, d.valeur, d.nb_qpv, a.annees_reference,
               r.libelle, r.unite, r.source, r.theme
        from dernieres as d
        left join annees as a using (geographie, millesime, indicateur)
        left join marts.ref_indicateurs as r on r.code = d.indicateur
        order by d.indicateur, d.geographie desc
        """,
        [codes, codes],
    ).df()


def references_france_metropolitaine(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The whole France métropolitaine (all its households, marts.references_territoire) of the key indicators:
    every published data year."""
    return con.execute(
        """
        select indicateur, annee_reference, valeur, unite, source
        from marts.references_territoire
        where type_territoire = 'france_metropolitaine' and not secret and valeur is not null
          and list_contains(?::varchar[], indicateur)
        order by indicateur, annee_reference
        """,
        [[*(code for _, code in CHIFFRES_CLES), *REFERENCES_PAUVRETE]],
    ).df()


def nombre_qpv(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The number of QPV of each geography the warehouse knows (indicators, perimeters or attachments)."""
    rows = con.execute(
        """
        select geographie, count(distinct code_qp) from (
            select code_qp, geographie from marts.indicateurs_qpv
            union all select code_qp, geographie from marts.qpv_territoires
            union all select code_qp, geographie from marts.qpv_perimetres
        ) group by all
        """
    ).fetchall()
    return {geographie: int(n) for geographie, n in rows}


def annees_donnees(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The years of the data of every published QPV value (annee_reference), for the site's footer."""
    rows = con.execute(
        "select distinct annee_reference from marts.indicateurs_qpv where annee_reference is not null order by 1"
    ).fetchall()
    return [int(r[0]) for r in rows]
