"""The "Terrain" section of the fiche quartier: anonymised terrain observations, aggregated, next to the statistics.

Reads `marts.observations_terrain` and `marts.terrain_croisement` only (one query each for all the QPV; pages group
in pandas). Never a single observation, never a structure's name nor a free text: those marts hold none.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboards import figures_fiche as ff
from dashboards.site import esc, table
from pipelines.domain.terrain import CATEGORIES, TERRAINS

NONE_TEXT = "Aucune observation de terrain publiée pour ce quartier."
NONE_TEXT_2015 = (
    "Les observations de terrain sont rattachées aux quartiers de la géographie 2024 : voir la fiche du quartier "
    "2024 qui lui a succédé."
)


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, name]
        ).fetchone()[0]
    )


def observations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every published yearly and half-yearly cell (empty frame if the warehouse predates the terrain marts)."""
    if not _has_table(con, "marts", "observations_terrain"):
        return pd.DataFrame(columns=["code_qp"])
    return con.execute(
        """
        select code_qp, terrain, categorie, type_periode, periode, annee, nb_observations, nb_concernes,
               nb_structures, secret, seuil_secret, seuil_observations
        from marts.observations_terrain
        order by code_qp, terrain, annee, type_periode, periode, categorie
        """
    ).df()


def croisement(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    if not _has_table(con, "marts", "terrain_croisement"):
        return pd.DataFrame(columns=["code_qp"])
    return con.execute(
        """
        select code_qp, terrain, annee, nb_observations, nb_concernes, secret_observations, ordre, indicateur,
               libelle_indicateur, unite, geographie_indicateur, millesime, valeur, borne_basse, borne_haute,
               secret_indicateur, correspondance
        from marts.terrain_croisement
        order by code_qp, terrain, annee, ordre
        """
    ).df()


def _categorie_label(terrain: str, categorie: str) -> str:
    return CATEGORIES.get(terrain, {}).get(categorie, (categorie, None))[0]


def section(obs: pd.DataFrame, crois: pd.DataFrame, geographie_2015: bool = False) -> str:
    """The HTML of the section for one QPV (its rows of both marts); a 2015 QPV has none (observations carry a
    2024 code)."""
    parts = ["<h2>Terrain : observations qualitatives anonymisées</h2>"]
    if obs.empty:
        parts.append(f"<p>{esc(NONE_TEXT_2015 if geographie_2015 else NONE_TEXT)}</p>")
        return "\n".join(parts)
    seuil = int(obs["seuil_secret"].max())
    seuil_obs = int(obs["seuil_observations"].max())
    parts.append(
        '<p class="note">Observations recueillies par les centres de ressources et les acteurs locaux (permanences, '
        "entretiens, groupes de travail), déclaratives et non représentatives, publiées seulement agrégées par "
        f"terrain, catégorie et période. « secret » : moins de {seuil_obs} observations ou moins de {seuil} "
        "personnes ou ménages concernés (ou secret secondaire), jamais un zéro. Les statistiques en regard sont "
        "celles du dernier millésime du quartier.</p>"
    )
    for terrain, label in TERRAINS.items():
        mine = obs[obs["terrain"] == terrain]
        if mine.empty:
            continue
        parts.append(f"<h3>{esc(label)}</h3>")
        rows = []
        for r in mine.sort_values(["annee", "type_periode", "periode", "categorie"]).itertuples(index=False):
            secret = bool(r.secret)
            rows.append(
                [
                    _categorie_label(terrain, r.categorie),
                    "année " + str(r.periode) if r.type_periode == "annee" else "semestre " + str(r.periode),
                    ff.fr_value(r.nb_observations, "nombre", secret),
                    ff.fr_value(r.nb_concernes, "personnes", secret),
                    ff.fr_value(r.nb_structures, "nombre", secret),
                ]
            )
        parts.append(
            table(
                ["Catégorie", "Période", "Observations", "Personnes ou ménages concernés", "Structures"], rows
            )
        )
        stats = crois[crois["terrain"] == terrain] if not crois.empty else crois
        if stats.empty:
            continue
        last = stats[stats["annee"] == stats["annee"].max()]
        first = last.iloc[0]
        total = ff.fr_value(first["nb_concernes"], "personnes", bool(first["secret_observations"]))
        lines = []
        for s in last.sort_values("ordre").itertuples(index=False):
            if pd.isna(s.millesime) and not bool(s.secret_indicateur):
                continue
            if pd.notna(s.borne_basse) and pd.notna(s.borne_haute):
                value = ff.fr_range(
                    s.valeur, s.borne_basse, s.borne_haute, s.unite, bool(s.secret_indicateur)
                )
            else:
                value = ff.fr_value(s.valeur, s.unite, bool(s.secret_indicateur))
            remark = s.correspondance if isinstance(s.correspondance, str) else ""
            lines.append([s.libelle_indicateur or s.indicateur, int(s.millesime), value, remark])
        parts.append(
            f"<p>En {int(first['annee'])}, {esc(total)} personne(s) ou ménage(s) concerné(s) par les observations "
            "de ce terrain ; en regard, les statistiques du quartier :</p>"
        )
        if lines:
            parts.append(table(["Indicateur", "Millésime", "Valeur", "Remarque"], lines))
        else:
            parts.append("<p>Pas de statistique publiée pour ce terrain dans ce quartier.</p>")
    return "\n".join(parts)
