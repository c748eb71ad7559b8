"""The one-page summary of an EPCI's observatory: what moved since the previous edition ("aide à la décision").

Per followed indicator and QPV: the latest edition of the indicator against the previous one (in the geography where
it is published: 2024 QPV for DEFM, ESS…, 2015 QPV for the ANCT/CAF files), flagged against the thresholds of the
territory's YAML, and the gap of each QPV to the QPV of its commune (the whole commune, same year of data, quoted
first when the warehouse has it); written as plain French sentences. A value under the secret statistique (secret =
true, valeur null) is never shown, and no evolution or gap is computed from it: the summary only counts them. Reads
marts.indicateurs_qpv, marts.indicateurs_territoire, marts.references_territoire, marts.ecarts_qpv (both perimeters
of reference, never mixed) and marts.ref_indicateurs.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from dashboards import site
from dashboards.figures_fiche import NBSP, fr_number, fr_value, fr_years
from dashboards.site import PLOTLY_JS, PRINT_SCRIPT, STYLESHEET, SiteContext, esc
from pipelines.domain.territoire import TerritoireConfig

MAX_BREF = 3  # sentences per list on the one page; the workbook's sheet "Évolutions" has them all
MAX_EVOLUTIONS = 5
MAX_ECARTS = 4
GEOGRAPHIES = {"qpv2024": "géographie 2024", "qpv2015": "géographie 2015"}

_EVOLUTIONS = """
    with perimetre as (
        select unnest(?::varchar[]) as code_qp, 'qpv2024' as geographie
        union all
        select unnest(?::varchar[]), 'qpv2015'
    ),
    suivis as (select unnest(?::varchar[]) as indicateur),
    editions as (
        select indicateur, geographie, list(distinct millesime order by millesime desc) as eds
        from marts.indicateurs_qpv
        where indicateur in (select indicateur from suivis)
        group by all
    ),
    paires as (
        select p.code_qp, p.geographie, e.indicateur, e.eds[1] as millesime, e.eds[2] as millesime_precedent
        from perimetre p join editions e using (geographie)
    )
    select
        paires.code_qp, paires.geographie, paires.indicateur, paires.millesime, paires.millesime_precedent,
        coalesce(cur.lib_qp, prev.lib_qp) as lib_qp,
        coalesce(cur.unite, prev.unite) as unite,
        cur.valeur, coalesce(cur.secret, false) as secret,
        prev.valeur as valeur_precedente, coalesce(prev.secret, false) as secret_precedent,
        coalesce(cur.rupture, false) as rupture,
        cur.valeur is null and not coalesce(cur.secret, false) as absent,
        cur.annee_reference,
        coalesce(com.code_reference, ent.code_reference) as code_commune,
        coalesce(com.lib_reference, ent.lib_reference) as lib_commune,
        ent.valeur_reference as valeur_commune_entiere,
        coalesce(ent.secret_reference, false) as secret_commune_entiere,
        ent.ecart as ecart_commune_entiere,
        com.valeur_reference as valeur_commune, coalesce(com.secret_reference, false) as secret_commune,
        com.ecart as ecart_commune, coalesce(com.unite_ecart, ent.unite_ecart) as unite_ecart
    from paires
    left join marts.indicateurs_qpv cur
        on cur.code_qp = paires.code_qp and cur.geographie = paires.geographie
        and cur.indicateur = paires.indicateur and cur.millesime = paires.millesime
    left join marts.indicateurs_qpv prev
        on prev.code_qp = paires.code_qp and prev.geographie = paires.geographie
        and prev.indicateur = paires.indicateur and prev.millesime = paires.millesime_precedent
    -- the two references of the commune, never mixed: its QPV (the threshold's reference) and the whole commune
    left join marts.ecarts_qpv com
        on com.code_qp = paires.code_qp and com.geographie = paires.geographie
        and com.indicateur = paires.indicateur and com.millesime = paires.millesime
        and com.type_reference = 'commune' and com.perimetre_reference = 'qpv'
    left join marts.ecarts_qpv ent
        on ent.code_qp = paires.code_qp and ent.geographie = paires.geographie
        and ent.indicateur = paires.indicateur and ent.millesime = paires.millesime
        and ent.type_reference = 'commune' and ent.perimetre_reference = 'ensemble'
    order by paires.indicateur, paires.geographie, paires.code_qp
"""

_TERRITOIRES = """
    select type_territoire, code_territoire, lib_territoire, geographie, millesime, indicateur, valeur, unite,
           coalesce(secret, false) as secret, nb_qpv
    from marts.indicateurs_territoire
    where perimetre = 'qpv' and indicateur in (select unnest(?::varchar[]))
      and (
          (type_territoire = 'commune' and code_territoire in (select unnest(?::varchar[])))
          or (type_territoire = 'epci' and code_territoire = ?)
          or (type_territoire = 'departement' and code_territoire = ?)
          or type_territoire = 'france'
      )
    order by indicateur, geographie, type_territoire, code_territoire, millesime
"""


_ENSEMBLES = """
    select type_territoire, code_territoire, lib_territoire, annee_reference, indicateur, valeur, unite,
           coalesce(secret, false) as secret
    from marts.references_territoire
    where indicateur in (select unnest(?::varchar[]))
      and (
          (type_territoire = 'commune' and code_territoire in (select unnest(?::varchar[])))
          or (type_territoire = 'epci' and code_territoire = ?)
          or (type_territoire = 'departement' and code_territoire = ?)
          or (type_territoire = 'france_metropolitaine' and ?)
      )
    order by indicateur, type_territoire, code_territoire, annee_reference
"""

# the years of data at which a QPV of the territory is compared with a whole territory (marts.ecarts_qpv)
_ANNEES_COMPARABLES = """
    select indicateur, list(distinct annee_reference order by annee_reference) as annees
    from marts.ecarts_qpv
    where perimetre_reference = 'ensemble' and indicateur in (select unnest(?::varchar[]))
      and code_qp in (select unnest(?::varchar[]))
    group by indicateur
"""
# the whole territories (perimetre_reference 'ensemble' of marts.ecarts_qpv) as the pages name them
ENSEMBLES = {"commune": "Ensemble de la commune", "epci": "Ensemble de l'EPCI",
             "departement": "Ensemble du département", "france_metropolitaine": "France métropolitaine"}  # fmt: skip


def dictionnaire(con: duckdb.DuckDBPyConnection, codes: list[str]) -> pd.DataFrame:
    return con.execute(
        "select * from marts.ref_indicateurs where code in (select unnest(?::varchar[])) order by code",
        [codes],
    ).df()


def _territory_parameters(config: TerritoireConfig) -> list:
    """The parameters of the territory queries: followed indicators, communes, EPCI SIREN, département code."""
    return [
        config.indicateurs,
        [c.code for c in config.communes],
        config.siren,
        config.departement.code if config.departement else "",
    ]


def territoires(con: duckdb.DuckDBPyConnection, config: TerritoireConfig) -> pd.DataFrame:
    """The reference territories' aggregates (QPV of each commune, of the EPCI, of the département, all QPV of
    France) for the followed indicators, every edition."""
    return con.execute(_TERRITOIRES, _territory_parameters(config)).df()


def metropolitain(config: TerritoireConfig) -> bool:
    """France métropolitaine is a reference of the territory (not for an EPCI of an overseas département)."""
    return config.departement is None or not config.departement.code.startswith("97")


def ensembles(con: duckdb.DuckDBPyConnection, config: TerritoireConfig) -> pd.DataFrame:
    """The whole territories (all their households: INSEE Filosofi, CAF summed to communes) of the EPCI, its
    communes, its département and France métropolitaine, for the followed indicators, every year of data; empty
    when the warehouse has none (marts.references_territoire)."""
    return con.execute(_ENSEMBLES, [*_territory_parameters(config), metropolitain(config)]).df()


def annees_comparables(con: duckdb.DuckDBPyConnection, config: TerritoireConfig) -> dict[str, list[int]]:
    """Per followed indicator, the years of data (sorted) at which the territory's QPV have a whole-territory
    reference: the years the home page shows the whole territories at."""
    rows = con.execute(_ANNEES_COMPARABLES, [config.indicateurs, config.codes]).fetchall()
    return {code: [int(a) for a in annees if a is not None] for code, annees in rows if annees}


def _seuil(unite: str | None, config: TerritoireConfig) -> tuple[float, str]:
    if unite == "%":
        return config.seuils["evolution_points"], "points"
    return config.seuils["evolution_relative_pct"], "%"


def evolutions(con: duckdb.DuckDBPyConnection, config: TerritoireConfig) -> pd.DataFrame:
    """One row per followed indicator × QPV of the territory (in the indicator's geography): latest and previous
    edition, evolution (points for a %, relative % otherwise), gap to the QPV of the commune, the flags. Secret
    values are null here (valeur null, secret true) and never enter a computation."""
    frame = con.execute(_EVOLUTIONS, [config.codes_2024, config.codes_2015, config.indicateurs]).df()
    if frame.empty:
        return frame.assign(evolution=[], type_evolution=[], seuil=[], signale=[], signale_ecart=[])
    frame = frame[frame["lib_qp"].notna() | frame["valeur"].notna() | frame["secret"]].copy()
    # a value flagged secret is never carried, whatever the mart holds
    frame.loc[frame["secret"], "valeur"] = math.nan
    frame.loc[frame["secret_precedent"], "valeur_precedente"] = math.nan
    frame.loc[frame["secret_commune"] | frame["secret"], ["valeur_commune", "ecart_commune"]] = math.nan
    frame.loc[
        frame["secret_commune_entiere"] | frame["secret"], ["valeur_commune_entiere", "ecart_commune_entiere"]
    ] = math.nan
    evolution, kind, seuil = [], [], []
    for row in frame.itertuples():
        limit, unit = _seuil(row.unite, config)
        seuil.append(limit)
        kind.append(unit)
        now, before = row.valeur, row.valeur_precedente
        if pd.isna(row.millesime_precedent) or pd.isna(now) or pd.isna(before):
            evolution.append(math.nan)
        elif unit == "points":
            evolution.append(float(now) - float(before))
        else:
            evolution.append(
                math.nan if before == 0 else 100.0 * (float(now) - float(before)) / float(before)
            )
    frame["evolution"] = evolution
    frame["type_evolution"] = kind
    frame["seuil"] = seuil
    frame["signale"] = frame["evolution"].abs().ge(frame["seuil"]) & ~frame["rupture"].astype(bool)
    frame["signale_ecart"] = (frame["unite_ecart"] == "points") & frame["ecart_commune"].abs().ge(
        config.seuils["ecart_commune_points"]
    )
    commune = {q.code: q.commune for q in config.quartiers} | {
        q.code: q.commune for q in config.quartiers_2015 if q.commune
    }
    frame["lib_commune"] = [
        lc if isinstance(lc, str) else (commune[c].nom if c in commune else "")
        for lc, c in zip(frame["lib_commune"], frame["code_qp"], strict=True)
    ]
    return frame.reset_index(drop=True)


def _signed(value: float, unit: str) -> str:
    number = fr_number(abs(value), 1)
    if number == "0,0":
        return "stable"
    sign = "+" if value > 0 else "−"
    return (
        f"{sign}{number}{NBSP}point{'s' if abs(value) >= 2 else ''}"
        if unit == "points"
        else f"{sign}{number}{NBSP}%"
    )


def _seuil_text(value: float, unit: str) -> str:
    number = fr_number(value, 1).removesuffix(",0")
    return f"{number}{NBSP}point{'s' if value >= 2 else ''}" if unit == "points" else f"{number}{NBSP}%"


def phrase_evolution(row, libelle: str) -> str:
    return (
        f"{row.lib_qp} ({row.lib_commune}) — {libelle} : passe de {fr_value(row.valeur_precedente, row.unite)} en "
        f"{int(row.millesime_precedent)} à {fr_value(row.valeur, row.unite)} en {int(row.millesime)} "
        f"({_signed(row.evolution, row.type_evolution)})."
    )


def phrase_ecart(row, libelle: str) -> str:
    """The whole commune first (when the warehouse has it for that year of data), then the QPV of the commune."""
    position = "au-dessus" if row.ecart_commune > 0 else "en dessous"
    entiere = getattr(row, "valeur_commune_entiere", math.nan)
    ensemble = (
        ""
        if pd.isna(entiere)
        else f" ; ensemble de la commune : {fr_value(entiere, row.unite)}"
        + (
            ""
            if pd.isna(getattr(row, "annee_reference", math.nan))
            else f" (données {int(row.annee_reference)})"
        )
    )
    return (
        f"{row.lib_qp} ({row.lib_commune}) — {libelle} : {fr_value(row.valeur, row.unite)} en {int(row.millesime)}"
        f"{ensemble} ; {_signed(abs(row.ecart_commune), 'points').lstrip('+')} {position} des quartiers "
        f"prioritaires de la commune ({fr_value(row.valeur_commune, row.unite)})."
    )


def _territoire_value(terr: pd.DataFrame, kind: str, code: str | None, millesime) -> str | None:
    part = terr[(terr["type_territoire"] == kind) & (terr["millesime"] == millesime)]
    if code is not None:
        part = part[part["code_territoire"] == code]
    if part.empty:
        return None
    row = part.iloc[0]
    return fr_value(row["valeur"], row["unite"], bool(row["secret"]))


def _epci_row(
    part: pd.DataFrame,
    terr: pd.DataFrame,
    config: TerritoireConfig,
    libelle: str,
    ens: pd.DataFrame | None = None,
) -> dict | None:
    """One indicator in one geography, all its QPV together: the whole EPCI at the same year of data (`ens`:
    marts.references_territoire rows of the indicator), EPCI aggregate now and before, all QPV of France, the
    number of QPV flagged up and down, the number of comparisons not computable because of the secret."""
    if part.empty or pd.isna(part["millesime"].iloc[0]):
        return None
    millesime = int(part["millesime"].iloc[0])
    previous = (
        None if pd.isna(part["millesime_precedent"].iloc[0]) else int(part["millesime_precedent"].iloc[0])
    )
    epci = terr[(terr["type_territoire"] == "epci") & (terr["code_territoire"] == config.siren)]
    now = epci[epci["millesime"] == millesime]
    before = epci[epci["millesime"] == previous] if previous is not None else epci.iloc[0:0]
    france = terr[(terr["type_territoire"] == "france") & (terr["millesime"] == millesime)]
    unite = part["unite"].dropna().iloc[0] if part["unite"].notna().any() else None
    evolution = None
    if not now.empty and not before.empty and not now.iloc[0]["secret"] and not before.iloc[0]["secret"]:
        a, b = now.iloc[0]["valeur"], before.iloc[0]["valeur"]
        if not pd.isna(a) and not pd.isna(b):
            limit, unit = _seuil(unite, config)
            value = (
                float(a) - float(b)
                if unit == "points"
                else (100 * (float(a) - float(b)) / float(b) if b else None)
            )
            evolution = None if value is None else (value, unit, abs(value) >= limit)
    rupture = previous is not None and bool(part["rupture"].any())
    entier = None
    annees = (
        part.loc[part["millesime"] == millesime, "annee_reference"].dropna()
        if "annee_reference" in part
        else []
    )
    if ens is not None and not ens.empty and len(annees):
        annee = int(annees.max())
        whole = ens[
            (ens["type_territoire"] == "epci")
            & (ens["code_territoire"] == config.siren)
            & (ens["annee_reference"] == annee)
        ]
        if not whole.empty:
            entier = f"{fr_value(whole.iloc[0]['valeur'], unite, bool(whole.iloc[0]['secret']))} ({annee})"
    return {
        "libelle": libelle,
        "epci_entier": entier,
        "geographie": part["geographie"].iloc[0],
        "millesime": millesime,
        "precedent": previous,
        "epci": None if now.empty else fr_value(now.iloc[0]["valeur"], unite, bool(now.iloc[0]["secret"])),
        "epci_precedent": None
        if before.empty
        else fr_value(before.iloc[0]["valeur"], unite, bool(before.iloc[0]["secret"])),
        "evolution": evolution,
        "france": None
        if france.empty
        else fr_value(france.iloc[0]["valeur"], unite, bool(france.iloc[0]["secret"])),
        "hausse": int((part["signale"] & (part["evolution"] > 0)).sum()),
        "baisse": int((part["signale"] & (part["evolution"] < 0)).sum()),
        "compares": int(part["evolution"].notna().sum()),
        "secrets": int((part["secret"] | part["secret_precedent"]).sum()),
        "rupture": rupture,
    }


def phrase_bref(row: dict) -> str:
    """The sentence of an indicator that moved: the EPCI aggregate beyond the threshold, or QPV flagged."""
    text = f"{row['libelle']} : "
    if row["epci"] is not None and row["epci_precedent"] is not None:
        text += (
            f"{row['epci']} pour l'ensemble des quartiers en {row['millesime']} contre "
            f"{row['epci_precedent']} en {row['precedent']}"
        )
        if row["evolution"] is not None:
            text += f" ({_signed(row['evolution'][0], row['evolution'][1])})"
        text += " ; "
    moved = []
    if row["hausse"]:
        moved.append(f"{row['hausse']} quartier{'s' if row['hausse'] > 1 else ''} en hausse")
    if row["baisse"]:
        moved.append(f"{row['baisse']} en baisse")
    text += (
        (" et ".join(moved) + " au-delà du seuil d'attention") if moved else "aucun quartier au-delà du seuil"
    )
    text += f" (sur {row['compares']} comparable{'s' if row['compares'] > 1 else ''})"
    return text + "."


def _sans_doublons(evol: pd.DataFrame) -> pd.DataFrame:
    """An indicator whose latest edition exists in both geographies (SIRENE-based: ESS, creations) is the same data
    cut twice: keep the 2024 geography only."""
    if evol.empty:
        return evol
    latest = evol.groupby(["indicateur", "geographie"])["millesime"].max().unstack()
    if not {"qpv2024", "qpv2015"} <= set(latest.columns):
        return evol
    both = set(latest.index[latest["qpv2024"].notna() & (latest["qpv2024"] == latest["qpv2015"])])
    return evol[~((evol["geographie"] == "qpv2015") & evol["indicateur"].isin(both))].reset_index(drop=True)


def contenu(con: duckdb.DuckDBPyConnection, config: TerritoireConfig) -> dict:
    """Everything the page says, as data (the workbook reuses `frame`)."""
    evol = _sans_doublons(evolutions(con, config))
    terr = territoires(con, config)
    ens = ensembles(con, config)
    dico = dictionnaire(con, config.indicateurs).set_index("code")
    libelle = {
        code: str(dico.loc[code, "libelle"]) if code in dico.index else code for code in config.indicateurs
    }
    rows = []
    for code in config.indicateurs:
        for geographie in ("qpv2024", "qpv2015"):
            part = (
                evol[(evol["indicateur"] == code) & (evol["geographie"] == geographie)]
                if not evol.empty
                else evol
            )
            row = _epci_row(
                part,
                terr[(terr["indicateur"] == code) & (terr["geographie"] == geographie)],
                config,
                libelle[code],
                ens[ens["indicateur"] == code],
            )
            if row:
                rows.append(row)
    bref = [
        phrase_bref(r)
        for r in rows
        if r["precedent"] is not None
        and not r["rupture"]
        and (r["hausse"] or r["baisse"] or (r["evolution"] is not None and r["evolution"][2]))
    ]
    flagged = evol[evol["signale"]] if not evol.empty else evol
    flagged = flagged.assign(
        poids=(flagged["evolution"].abs() / flagged["seuil"].where(flagged["seuil"] > 0, 1))
    )
    flagged = flagged.sort_values(["poids", "code_qp"], ascending=[False, True])
    gaps = evol[evol["signale_ecart"]] if not evol.empty else evol
    # one sentence per QPV name and indicator (a QPV and its 2015 predecessor often carry the same name and value)
    gaps = gaps.sort_values("geographie").drop_duplicates(["lib_qp", "indicateur", "millesime"])
    gaps = gaps.assign(poids=gaps["ecart_commune"].abs()).sort_values(
        ["poids", "code_qp"], ascending=[False, True]
    )
    return {
        "tableau": rows,
        "bref": bref,
        "evolutions": [phrase_evolution(r, libelle[r.indicateur]) for r in flagged.itertuples()],
        "ecarts": [phrase_ecart(r, libelle[r.indicateur]) for r in gaps.itertuples()],
        "secrets": int((evol["secret"] | evol["secret_precedent"]).sum()) if not evol.empty else 0,
        "frame": evol,
    }


def _tableau(rows: list[dict]) -> str:
    head = [
        "Indicateur",
        "Géo.",
        "Millésime",
        "EPCI entier",
        "QPV de l'EPCI",
        "Évolution",
        "QPV de France",
        "↑",
        "↓",
        "Secret",
    ]
    body = []
    for r in rows:
        evolution = "—"
        if r["rupture"]:
            evolution = "rupture"
        elif r["evolution"] is not None:
            evolution = _signed(r["evolution"][0], r["evolution"][1]) + (" ⚠" if r["evolution"][2] else "")
        elif r["precedent"] is None:
            evolution = "—"
        cells = [
            r["libelle"],
            "2024" if r["geographie"] == "qpv2024" else "2015",
            (f"{r['precedent']}→" if r["precedent"] else "") + str(r["millesime"]),
            r.get("epci_entier") or "—",
            r["epci"] or "—",
            evolution,
            r["france"] or "—",
            str(r["hausse"]) if r["precedent"] else "",
            str(r["baisse"]) if r["precedent"] else "",
            str(r["secrets"]) if r["secrets"] else "",
        ]
        body.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    return (
        '<div class="defile"><table><thead><tr>' + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"
        + "".join(body) + "</tbody></table></div>"
    )  # fmt: skip


SOURCES = "ANCT/ONPV, INSEE, France Travail, CNAF, SIRENE"


@dataclass(frozen=True)
class Chrome:
    """The header and footer of the bundle's own pages (its home page and this summary), as every page of the site
    has them: the same template and stylesheet (style.css, written into the bundle's folder by bundle.build: the
    PDF of the summary is printed with its A4 print rules), the bundle's navigation, and a footer with the sources,
    the years of the data and the date of the last refresh."""

    nav: tuple[tuple[str, str], ...] = ()  # (link relative to the bundle's folder, label)
    refresh: str = "inconnue"  # the date of the last refresh, as the site's footer gives it
    annees: str = ""  # the years of the data
    # the template loads plotly.min.js on every page: the one copy of the bundle, in its dashboards' folder
    plotly_js: str = "tableaux/" + PLOTLY_JS


_ANNEES_DONNEES = """
    select distinct annee_reference from marts.indicateurs_qpv
    where annee_reference is not null and code_qp in (select unnest(?::varchar[]))
      and indicateur in (select unnest(?::varchar[]))
    order by 1
"""


def chrome(
    con: duckdb.DuckDBPyConnection, config: TerritoireConfig, nav: tuple[tuple[str, str], ...] = ()
) -> Chrome:
    """The territory's chrome: the date of the warehouse's last refresh (meta.publication, as the site's footer) and
    the years of the data of its QPV's followed indicators."""
    from dashboards.render import _last_refresh

    years = [int(r[0]) for r in con.execute(_ANNEES_DONNEES, [config.codes, config.indicateurs]).fetchall()]
    annees = f"{fr_years(years)} selon l'indicateur (chaque valeur donne la sienne)" if years else ""
    return Chrome(nav, _last_refresh(None, con), annees)


def write_page(out: Path, chrome: Chrome, title: str, body: str, sources: str = SOURCES) -> Path:
    """Write one page of the bundle's folder (`out`, a file at its top) in the site's template (site._PAGE): the
    shared stylesheet with its print rules, the skip link, a header of the site's classes with the bundle's
    navigation (the current page marked), the footer of site.footer. `body` is trusted HTML built with esc()."""
    current = ' aria-current="page"'
    links = "".join(
        f'<li><a href="{esc(href)}"{current if href == out.name else ""}>{esc(label)}</a></li>'
        for href, label in chrome.nav
    )
    header = (
        '<header class="site-entete">\n'
        '<a class="site-titre" href="index.html">Observatoire économique des quartiers prioritaires</a>\n'
        + (
            f'<nav class="site-nav" aria-label="Navigation principale"><ul>{links}</ul></nav>\n'
            if links
            else ""
        )
        + "</header>"
    )
    # site.footer reads the refresh date and the years of the data of its context, nothing else
    context = SiteContext(con=None, out_dir=out.parent, refresh=chrome.refresh, annees=chrome.annees)  # type: ignore[arg-type]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        site._PAGE.format(
            title=esc(title),
            body=body,
            plotly_js=chrome.plotly_js,
            stylesheet=STYLESHEET,
            root="",
            head=PRINT_SCRIPT,
            header=header,
            footer=site.footer(context, sources),
        ),
        encoding="utf-8",
    )
    return out


def _list(items: list[str], limit: int, empty: str, more: str) -> str:
    if not items:
        return f"<p>{esc(empty)}</p>"
    shown = "".join(f"<li>{esc(item)}</li>" for item in items[:limit])
    rest = len(items) - limit
    extra = f"<p>… et {rest} autre{'s' if rest > 1 else ''} : {esc(more)}</p>" if rest > 0 else ""
    return f"<ul>{shown}</ul>{extra}"


def render(
    con: duckdb.DuckDBPyConnection,
    config: TerritoireConfig,
    out: Path,
    links: dict[str, str] | None = None,
    content: dict | None = None,
    page: Chrome | None = None,
) -> Path:
    """Write the summary page (`out`, an .html file at the top of the bundle's folder) in the site's template
    (`page`: its header and footer; `chrome(con, config)` when None); `links` (label → relative URL) are listed at
    the bottom. Its PDF (print_pdf) is printed with the shared stylesheet's A4 print rules."""
    content = content if content is not None else contenu(con, config)
    page = page if page is not None else chrome(con, config)
    seuils = config.seuils
    nb15 = len(config.quartiers_2015)
    title = f"Synthèse — {config.nom}"
    body = [
        f'<p class="chapeau">Ce qui a bougé depuis le millésime précédent dans les quartiers prioritaires de '
        f"{esc(config.nom)} (EPCI {esc(config.siren)}) : {len(config.quartiers)} quartiers de la géographie 2024"
        + (f" et {nb15} de la géographie 2015" if nb15 else "")
        + f", {len(config.indicateurs)} indicateurs suivis. Seuils d'attention : évolution d'un taux de "
        f"{esc(_seuil_text(seuils['evolution_points'], 'points'))}, d'un effectif ou d'un montant de "
        f"{esc(_seuil_text(seuils['evolution_relative_pct'], '%'))}, écart aux quartiers de la commune de "
        f"{esc(_seuil_text(seuils['ecart_commune_points'], 'points'))}. Édition du "
        f"{dt.date.today().strftime('%d/%m/%Y')}.</p>",
        "<h2>En bref</h2>",
        _list(
            content["bref"],
            MAX_BREF,
            "Aucun indicateur suivi n'a bougé au-delà des seuils d'attention depuis son millésime précédent.",
            "voir le tableau ci-dessous.",
        ),
        "<h2>Indicateurs suivis : l'EPCI entier, puis l'ensemble des quartiers de l'EPCI et de France</h2>",
        _tableau(content["tableau"])
        if content["tableau"]
        else "<p>Aucun indicateur suivi n'a de valeur dans l'entrepôt.</p>",
        '<p class="legende">EPCI entier : tous les ménages de l\'EPCI (INSEE Filosofi), même année de données que les '
        "quartiers (entre parenthèses) ; QPV : somme de leurs quartiers prioritaires. ↑ / ↓ : quartiers en hausse / "
        "en baisse au-delà du seuil ; ⚠ : évolution de l'ensemble au-delà du seuil ; — : un seul millésime ; secret : valeurs non diffusées (aucune évolution calculée) ; "
        "géographie 2015 : les quartiers 2015 qui ont précédé ceux de 2024.</p>",
        "<h2>Points d'attention : quartiers dont l'indicateur a bougé au-delà du seuil</h2>",
        _list(
            content["evolutions"],
            MAX_EVOLUTIONS,
            "Aucune évolution ne dépasse les seuils d'attention.",
            "voir la feuille « Évolutions » du classeur.",
        ),
        "<h2>Quartiers éloignés des autres quartiers de leur commune</h2>",
        _list(
            content["ecarts"],
            MAX_ECARTS,
            "Aucun quartier ne s'écarte des quartiers de sa commune au-delà du seuil.",
            "voir la feuille « Évolutions » du classeur.",
        ),
    ]
    if links:
        body.append(
            "<p>Pour aller plus loin : "
            + " · ".join(f'<a href="{esc(href)}">{esc(label)}</a>' for label, href in links.items())
            + "</p>"
        )
    body.append(
        '<p class="note">Aide à la décision, à lire avec les fiches quartier. Deux références, jamais mêlées : le '
        "territoire entier (tous ses ménages, même année de données), puis l'ensemble des quartiers prioritaires de "
        "la commune, de l'EPCI ou de France (somme des numérateurs sur somme des dénominateurs) ; les seuils "
        "d'écart portent sur les quartiers prioritaires de la commune. Les valeurs soumises au secret statistique ne sont jamais affichées et n'entrent "
        f"dans aucune évolution ({content['secrets']} comparaison(s) non calculable(s) pour cette raison). "
        "Les estimations du non-recours sont des ordres de grandeur (voir la méthode).</p>"
    )
    text = "\n".join(body)
    return write_page(out, page, title, f'<div class="synthese">\n{text}\n</div>')


class PdfError(RuntimeError):
    """Chromium is absent or failed to print the page."""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def print_pdf(html: Path, pdf: Path, timeout: int = 120) -> Path:
    """Print the page to PDF with headless Chromium (`--print-to-pdf`, no header or footer, no network)."""
    browser = chromium()
    if browser is None:
        raise PdfError(
            "Chromium absent : PDF non produit (apt-get install chromium), la synthèse HTML est écrite"
        )
    with tempfile.TemporaryDirectory(prefix="qpv-pdf-") as profile:
        result = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
             f"--user-data-dir={profile}", "--no-pdf-header-footer", "--print-to-pdf-no-header",
             f"--print-to-pdf={pdf}", html.resolve().as_uri()],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
    if not pdf.exists() or pdf.stat().st_size == 0 or not pdf.read_bytes()[:4] == b"%PDF":
        detail = (result.stderr or "").strip().splitlines()[-1:] or [f"code {result.returncode}"]
        raise PdfError(f"{pdf} : Chromium n'a pas produit le PDF ({detail[0]})")
    return pdf
