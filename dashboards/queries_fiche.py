"""Queries of the fiche quartier and comparison pages: one query per mart for ALL the QPV (the pages group the
result in pandas; no per-QPV SQL, the real data has ~2,900 fiches). Reads `marts.*` only."""

from __future__ import annotations

from typing import NamedTuple

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
    """One row per QPV and geography that has anything to show — an indicator (marts.indicateurs_qpv), a perimeter
    (marts.qpv_perimetres) or an attachment to a commune (marts.qpv_territoires) —, with its name and, where known,
    its main commune, EPCI and département (marts.qpv_territoires, else marts.qpv_perimetres). Every QPV of both
    geographies: the 2024 QPV of the real extracts have no indicator but a perimeter and a commune."""
    return con.execute(
        """
        with noms as (
            select code_qp, geographie, max(lib_qp) as lib_qp
            from (
                select code_qp, geographie, lib_qp from marts.indicateurs_qpv
                union all
                select code_qp, geographie, lib_qp from marts.qpv_territoires
                union all
                select code_qp, geographie, lib_qp from marts.qpv_perimetres
            )
            group by all
        )
        select noms.*,
               coalesce(r.code_commune, p.code_commune) as code_commune,
               coalesce(r.lib_commune, p.lib_commune) as lib_commune,
               coalesce(r.code_epci, p.code_epci) as code_epci,
               coalesce(r.lib_epci, p.lib_epci) as lib_epci,
               coalesce(r.lib_departement, p.lib_departement) as lib_departement
        from noms
        left join marts.qpv_territoires as r on r.code_qp = noms.code_qp and r.geographie = noms.geographie
        left join marts.qpv_perimetres as p on p.code_qp = noms.code_qp and p.geographie = noms.geographie
        order by noms.geographie desc, noms.code_qp
        """
    ).df()


def perimetres(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """The simplified perimeter of each QPV that has one (GeoJSON text), by (code_qp, geographie)."""
    rows = con.execute(
        "select code_qp, geographie, geometry::varchar from marts.qpv_perimetres where geometry is not null"
    ).fetchall()
    return {(code, geographie): geometry for code, geographie, geometry in rows}


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


# The three groups of indicators drawn on a fiche as one compact chart each (issue 25): the indicators of the chart
# with their short label (bars top to bottom), then the indicators given as text next to it. Each group is read
# with one query for all the QPV and drawn for the latest edition where the quartier has a published value.
class Groupe(NamedTuple):
    titre: str
    principaux: tuple[tuple[str, str], ...]
    complements: tuple[str, ...]


NIVEAUX_FORMATION = (
    ("part_demandeurs_infra_cap_bep", "Inférieur au CAP-BEP"),
    ("part_demandeurs_cap_bep", "CAP-BEP"),
    ("part_demandeurs_bac", "Baccalauréat"),
    ("part_demandeurs_superieur_bac", "Supérieur au baccalauréat"),
)
PARTS_RECENSEMENT = (
    ("part_0_24_ans", "Moins de 25 ans"),
    ("part_60_ans_plus", "60 ans ou plus"),
    ("part_femmes", "Femmes"),
    ("part_etrangers", "Étrangers"),
    ("part_menages_1_personne", "Ménages d'une personne"),
    ("part_menages_6_personnes_plus", "Ménages de 6 personnes ou plus"),
)
PARTS_CAF = (
    ("part_allocataires_monoparents", "Allocataires : familles monoparentales"),
    ("part_allocataires_isoles", "Allocataires : isolés sans enfant"),
    ("part_allocataires_couples_avec_enfants", "Allocataires : couples avec enfant(s)"),
    ("part_allocataires_3_enfants_plus", "Allocataires : 3 enfants ou plus"),
)
QUANTILES_REVENU = (
    ("revenu_d1_uc", "D1"),
    ("revenu_q1_uc", "Q1"),
    ("revenu_median_uc", "Médiane"),
    ("revenu_q3_uc", "Q3"),
    ("revenu_d9_uc", "D9"),
)
COMPOSITION_REVENU = (
    ("part_revenus_activite", "Activité"),
    ("part_pensions_revenu", "Pensions, retraites"),
    ("part_prestations_revenu", "Prestations sociales"),
    ("part_patrimoine_revenu", "Patrimoine"),
    ("part_impots_revenu", "Impôts (négatif)"),
)
GROUPES = {
    "insertion": Groupe(
        "Insertion : niveau de formation des demandeurs d'emploi",
        NIVEAUX_FORMATION,
        (
            "part_emplois_precaires",
            "part_emplois_precaires_femmes",
            "part_emplois_precaires_etrangers",
            "evolution_demandeurs_emploi_abc_t4",
            "evolution_demandeurs_emploi_a_t4",
        ),
    ),
    "demographie": Groupe("Démographie", PARTS_RECENSEMENT + PARTS_CAF, ("indice_jeunesse",)),
    "revenus": Groupe(
        "Distribution des revenus", QUANTILES_REVENU + COMPOSITION_REVENU, ("rapport_interdecile",)
    ),
}
# the whole territories a quartier's income distribution is drawn next to (marts.ecarts_qpv, 'ensemble'): its
# commune, or when the commune has no reference for that year of data its EPCI, else its département; and France
# métropolitaine
ENSEMBLE_REVENUS_LOCAL = ("commune", "epci", "departement")
ENSEMBLE_REVENUS = (*ENSEMBLE_REVENUS_LOCAL, "france_metropolitaine")


def groupe_codes(groupe: Groupe) -> list[str]:
    return [*(code for code, _ in groupe.principaux), *groupe.complements]


def references_ensemble(
    con: duckdb.DuckDBPyConnection, codes: list[str] | tuple[str, ...], types: tuple[str, ...]
) -> pd.DataFrame:
    """Each QPV's whole-territory references (perimetre_reference 'ensemble': all the households of the territory,
    same year of data as the quartier) of the given territory types, for all the QPV at once."""
    return con.execute(
        """
        select code_qp, geographie, millesime, annee_reference, indicateur, type_reference, code_reference,
               lib_reference, valeur_reference, secret_reference
        from marts.ecarts_qpv
        where perimetre_reference = 'ensemble' and list_contains(?::varchar[], indicateur)
          and list_contains(?::varchar[], type_reference)
        order by geographie, code_qp, millesime, type_reference, indicateur
        """,
        [list(codes), list(types)],
    ).df()
