"""Fiche quartier: one page per QPV (`fiches/<code_qp>.html`) and their index (`fiches/index.html`).

Built for the QPV of `ctx.territoire` (all of them when None). One query per mart for all the QPV, grouped in
pandas: no per-QPV SQL (the real data has ~2,900 fiches). A QPV of the 2015 geography and one of 2024 are different
QPV: a fiche is per code_qp; the 2015 QPV overlapping a 2024 QPV are listed through the establishment-weighted
correspondence (marts.passage_qpv2015_qpv2024), labelled as an approximation.

Three groups of indicators are drawn as one compact chart each (démographie; insertion under the unemployment
theme; distribution des revenus under the poverty theme), for the latest edition where the quartier has a published
value of the group, with the source and the year of the data in the caption; a one-line note when it has none.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import re
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboards import fiche_terrain
from dashboards import figures_fiche as ff
from dashboards import queries_fiche as q
from dashboards.site import Page, SiteContext, esc, figure_block, table, write_page

ORDER = 70

GEOGRAPHIES = {
    "qpv2024": "géographie prioritaire 2024",
    "qpv2015": "géographie prioritaire 2015 (contrats de ville 2015–2023)",
}
METHODE_MD = Path(__file__).resolve().parents[2] / "docs" / "methodes" / "non_recours.md"
METHODE_PAGE = "methodes/non_recours.html"
SERIES = {  # the time series drawn per theme: the rates and shares (%) of the theme
    "chomage": (
        "indicateur_chomage_abc",
        "part_demandeurs_longue_duree",
        "part_jeunes_demandeurs",
        "taux_emploi_15_64",
    ),
    "pauvrete": (
        "taux_pauvrete_60",
        "part_allocataires_rsa",
        "part_prestations_revenu",
        "taux_couverture_c2s",
    ),
}


def fiche_file(code_qp: str) -> str:
    """fiches/<code_qp>.html — a code that is not a plain QPV code cannot write outside the folder."""
    return f"fiches/{re.sub(r'[^A-Za-z0-9_-]', '_', str(code_qp))}.html"


def _groups(frame: pd.DataFrame, key: str = "code_qp") -> dict[str, pd.DataFrame]:
    return {code: part for code, part in frame.groupby(key, sort=False)}


# one row of marts.indicateurs_qpv as a plain tuple (an absent value is None): the fiches read thousands of them
IndicatorRow = namedtuple(
    "IndicatorRow",
    "code_qp lib_qp geographie millesime annee_reference indicateur valeur unite borne_basse borne_haute secret "
    "rupture source",
)


def _source_line(meta: dict[str, dict], codes: list[str], editions: list[tuple[object, object]]) -> str:
    """Source and editions of a chart, each edition with the year of its data (marts.indicateurs_qpv.annee_reference
    in `editions`, (millesime, annee_reference) pairs; the dictionary's text, marts.ref_indicateurs, when no row has
    one)."""
    present = [c for c in codes if c in meta]
    sources = list(
        dict.fromkeys(part.strip() for c in present for part in str(meta[c]["source"]).split(" ; "))
    )
    line = f"Source : {' ; '.join(sources)}. Millésime(s) : {ff.editions_text(editions)}"
    if any(not ff._missing(annee) for _, annee in editions):
        return line  # each edition carries the year(s) of its data: "2021 (données 2017)"
    reference = str(meta[present[0]]["annee_reference"]) if present else "non renseignée"
    return f"{line}. Année de référence : {reference}"


NO_VALUE = {
    "qpv2024": "Pas de valeur publiée pour ce quartier de la géographie 2024 (ce thème n'existe encore qu'en "
    "géographie 2015 : voir les quartiers 2015 correspondants en bas de page).",
    "qpv2015": "Pas de valeur publiée pour ce quartier.",
}


def _reference_cells(
    code_qp: str, code: str, millesime: int, unite: str, references: dict, seul: dict[str, bool]
) -> list[str]:
    """The cells of one edition: the whole territories (with the year of their data), then the QPV aggregates. A
    quartier alone in its commune or EPCI is never compared with itself: « seul quartier » (`seul` is empty for the
    indicators that are not aggregated over QPV: counts, medians, producers' rates)."""
    cells = []
    for type_reference, _ in q.ENSEMBLE:
        ref = references.get((code_qp, code, millesime, "ensemble", type_reference))
        if ref is None:
            cells.append("—")
            continue
        value, secret, annee = ref
        cells.append(
            ff.fr_value(value, unite, bool(secret)) + ("" if pd.isna(annee) else f" (données {int(annee)})")
        )
    for type_reference, _ in q.QUARTIERS:
        ref = references.get((code_qp, code, millesime, "qpv", type_reference))
        if ref is not None:
            cells.append(ff.fr_value(ref[0], unite, bool(ref[1])))
        else:
            cells.append("seul quartier" if seul.get(type_reference) else "—")
    return cells


def _key_table(
    code_qp: str,
    codes: list[str],
    meta: dict[str, dict],
    latest: dict,
    references: dict,
    comparables: dict,
    rows: list[IndicatorRow],
    head: str,
    geographie: str,
    seul: dict[str, bool],
) -> str:
    """The latest value of each key indicator next to its whole commune, EPCI and France métropolitaine (same year of
    data), then next to the QPV of its commune, of its EPCI and of France; when the latest edition has no
    whole-commune reference, a second row gives the latest edition that has one (else the latest with any
    whole-territory reference)."""
    lines = []
    for code in codes:
        last = latest.get((code_qp, code))
        if last is None:
            continue
        unite = meta[code]["unite"]
        ratio = meta[code]["agregation"] == "ratio"  # the only indicators aggregated over the QPV
        editions = [last]
        comparable = comparables.get((code_qp, code))
        whole_commune = (code_qp, code, last.millesime, "ensemble", "commune") in references
        if comparable is not None and comparable != last.millesime and not whole_commune:
            older = next((r for r in rows if r.indicateur == code and r.millesime == comparable), None)
            if older is not None:
                editions.append(older)
        for i, row in enumerate(editions):
            secret = bool(row.secret)
            if (
                row.borne_basse is not None and row.borne_haute is not None
            ):  # an estimate: shown with its range
                value = ff.fr_range(row.valeur, row.borne_basse, row.borne_haute, unite, secret)
            else:
                value = ff.fr_value(row.valeur, unite, secret)
            cells = _reference_cells(code_qp, code, row.millesime, unite, references, seul if ratio else {})
            remarks = ["rupture de série"] if row.rupture else []
            if i:
                remarks.append("dernière année de données comparable au territoire entier")
            edition = ff.edition_label(row.millesime, [row.annee_reference])
            lines.append([meta[code]["libelle"], edition, value, *cells, " ; ".join(remarks)])
    if not lines:
        return f"<p>{esc(NO_VALUE.get(geographie, NO_VALUE['qpv2015']))}</p>"
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in line) + "</tr>" for line in lines)
    return (  # wider than a phone, the table scrolls in its wrapper: focusable, to scroll with the keyboard
        '<div class="defile" tabindex="0" role="group" aria-label="Valeurs et références (tableau défilant)">'
        f'<table class="references">{head}<tbody>{body}</tbody></table></div>'
    )


def _head(commune: str | None, epci: str | None) -> str:
    """The two header rows of the key tables: the whole territories first, the QPV aggregates second."""
    names = {"commune": commune, "epci": epci}

    def named(groups: tuple[tuple[str, str], ...]) -> str:
        return "".join(
            f"<th>{esc(label + (f' ({names[kind]})' if names.get(kind) else ''))}</th>"
            for kind, label in groups
        )

    return (
        "<thead><tr>"
        '<th rowspan="2">Indicateur</th><th rowspan="2">Millésime</th><th rowspan="2">Quartier</th>'
        f'<th colspan="{len(q.ENSEMBLE)}">Territoire entier (tous ses ménages)</th>'
        f'<th colspan="{len(q.QUARTIERS)}">Quartiers prioritaires du territoire (le quartier compris)</th>'
        '<th rowspan="2">Remarque</th>'
        f"</tr><tr>{named(q.ENSEMBLE)}{named(q.QUARTIERS)}</tr></thead>"
    )


# the CSV of a fiche's time series (one row per QPV or all-QPV value)
SERIE_COLUMNS = ["indicateur", "millesime", "valeur", "secret", "rupture", "serie", "libelle"]
NON_RECOURS_COLUMNS = [
    "indicateur",
    "millesime",
    "valeur",
    "borne_basse",
    "borne_haute",
    "secret",
    "serie",
    "libelle",
]
FranceRow = namedtuple("FranceRow", "geographie millesime indicateur valeur secret nb_qpv")


# one point of a fiche's time series: the QPV's value (serie 'quartier') or all the QPV's (serie 'france')
SerieRow = namedtuple(
    "SerieRow",
    "indicateur libelle serie millesime annee_reference valeur borne_basse borne_haute secret rupture",
)


def _serie_rows(
    codes: tuple[str, ...], meta: dict[str, dict], rows: list[IndicatorRow], france: list[FranceRow]
) -> list[SerieRow]:
    """The QPV's rows of `codes`, then the all-QPV rows (of the QPV's geography) of the same editions."""
    mine = [
        SerieRow(r.indicateur, meta[r.indicateur]["libelle"], "quartier", r.millesime, r.annee_reference, r.valeur,
                 r.borne_basse, r.borne_haute, r.secret, r.rupture)
        for r in rows
        if r.indicateur in codes
    ]  # fmt: skip
    editions = {r.millesime for r in mine}
    ref = [
        SerieRow(f.indicateur, meta[f.indicateur]["libelle"], "france", f.millesime, None, f.valeur, None, None,
                 f.secret, False)
        for f in france
        if f.indicateur in codes and f.millesime in editions
    ]  # fmt: skip
    return mine + ref


def _ess_table(detail: pd.DataFrame) -> str:
    rows = [
        [
            r.libelle_famille,
            f"{r.section_naf} – {r.libelle_section}",
            ff.fr_value(r.etablissements_ess, "nombre", bool(r.secret)),
            ff.fr_value(r.emplois_ess_central, "emplois", bool(r.secret)),
            "secret"
            if r.secret
            else f"{ff.fr_value(r.emplois_ess_bas, 'emplois')} à {ff.fr_value(r.emplois_ess_haut, 'emplois')}",
        ]
        for r in detail.itertuples(index=False)
    ]
    return table(
        [
            "Famille de l'ESS",
            "Section NAF",
            "Établissements",
            "Emplois (valeur centrale)",
            "Fourchette d'emplois",
        ],
        rows,
    )


def _passage_block(
    info: pd.Series, passage: pd.DataFrame, key_rows: dict[str, list[IndicatorRow]], built: set[str]
) -> str:
    """The QPV of the other geography overlapping this one, by establishments (approximation)."""
    if passage.empty:
        return ""
    if info["geographie"] == "qpv2024":
        links = passage[passage["code_qp2024"] == info["code_qp"]]
        other, other_lib, share = "code_qp2015", "lib_qp2015", "part_etablissements_qp2024"
        intro = "Quartiers de la géographie 2015 dont les établissements sont situés dans ce quartier"
    else:
        links = passage[passage["code_qp2015"] == info["code_qp"]]
        other, other_lib, share = "code_qp2024", "lib_qp2024", "part_etablissements_qp2015"
        intro = "Quartiers de la géographie 2024 où se trouvent les établissements de ce quartier"
    if links.empty:
        return ""
    items = []
    for r in links.itertuples(index=False):
        code = getattr(r, other)
        name = f"{esc(getattr(r, other_lib))} ({esc(code)})"
        href = Path(fiche_file(code)).name
        line = (
            (f'<a href="{esc(href)}">{name}</a>' if code in built else name)
            + " — "
            + esc(f"{ff.fr_value(100 * getattr(r, share), '%')} des établissements")
        )
        rows = key_rows.get(code)
        if info["geographie"] == "qpv2024" and rows is not None:
            facts = []
            for indicateur, unite in (("taux_pauvrete_60", "%"), ("indicateur_chomage_abc", "%")):
                part = [r for r in rows if r.indicateur == indicateur]
                if part:
                    last = max(part, key=lambda r: r.millesime)
                    facts.append(
                        f"{'pauvreté' if indicateur == 'taux_pauvrete_60' else 'indicateur de chômage'} "
                        f"{ff.fr_value(last.valeur, unite, bool(last.secret))} ({int(last.millesime)})"
                    )
            if facts:
                line += esc(" ; " + ", ".join(facts))
        items.append(f"<li>{line}</li>")
    return (
        "<h2>Correspondance entre géographies (approximation)</h2>"
        f"<p>{esc(intro)} (correspondance pondérée par les établissements SIRENE du dernier stock, "
        "pas par les habitants : une approximation, pas une conversion des chiffres).</p>"
        f"<ul>{''.join(items)}</ul>"
    )


SVG_SIZE = 320  # the perimeter drawing's larger side, in CSS pixels


def _rings(geometry: dict) -> list[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        return list(geometry.get("coordinates") or [])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry.get("coordinates") or [] for ring in polygon]
    return []


def perimetre_svg(geojson: str | None, name: str) -> str:
    """The quartier's perimeter as an inline SVG path (the simplified geometry of marts.qpv_perimetres, projected
    equirectangularly at its own latitude, north up): light — no chart library — so ~1,600 fiches render fast.
    Empty when the quartier has no perimeter."""
    if not geojson:
        return ""
    try:
        rings = _rings(json.loads(geojson))
    except (ValueError, AttributeError):
        return ""
    points = [pt for ring in rings for pt in ring if len(pt) >= 2]
    if not points:
        return ""
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    scale_x = math.cos(math.radians((min(lats) + max(lats)) / 2))
    width, height = (max(lons) - min(lons)) * scale_x, max(lats) - min(lats)
    span = max(width, height) or 1e-6
    unit = (SVG_SIZE - 20) / span
    w, h = round(width * unit) + 20, round(height * unit) + 20
    x0, y1 = min(lons), max(lats)
    parts = []
    for ring in rings:
        coords = [
            f"{(p[0] - x0) * scale_x * unit + 10:.1f} {(y1 - p[1]) * unit + 10:.1f}"
            for p in ring
            if len(p) >= 2
        ]
        if coords:
            parts.append("M" + "L".join(coords) + "Z")
    title = f"Périmètre du quartier {name} (géographie 2024, contour simplifié)"
    return (
        f'<figure class="perimetre"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
        f'height="{h}" role="img" aria-label="{esc(title)}"><path fill-rule="evenodd" d="{"".join(parts)}"/>'
        f"</svg><figcaption>Périmètre du quartier (contour simplifié). Source : ANCT, périmètres des quartiers "
        "prioritaires 2024 ; la carte de tous les quartiers est sur la page "
        '<a href="../carte.html">Carte</a>.</figcaption></figure>'
    )


def _meme_commune(info: pd.Series, by_commune: dict[tuple[str, str], list[tuple[str, str]]]) -> str:
    """When the establishment-weighted correspondence does not know this quartier: the quartiers of the other
    geography attached to the same main commune (not necessarily overlapping: said so), each linked to its fiche."""
    other = "qpv2015" if info["geographie"] == "qpv2024" else "qpv2024"
    if pd.isna(info.get("code_commune")):
        return ""
    found = by_commune.get((other, str(info["code_commune"])), [])
    if not found:
        return ""
    year = "2015" if other == "qpv2015" else "2024"
    links = "".join(
        f'<li><a href="{esc(Path(fiche_file(code)).name)}">{esc(lib)} ({esc(code)})</a></li>'
        for code, lib in found
    )
    return (
        f"<h2>Quartiers de la géographie {year} de la même commune</h2>"
        f"<p>La correspondance entre géographies par les établissements n'est pas connue pour ce quartier : voici les "
        f"quartiers de la géographie {year} rattachés à la même commune principale "
        f"({esc(info['lib_commune'])}), qui ne se superposent pas forcément à celui-ci.</p><ul>{links}</ul>"
    )


# --- the compact charts of the indicator groups (insertion, démographie, distribution des revenus) ----------------

NO_GROUP_VALUE = {
    "qpv2024": "Pas de valeur publiée pour ce quartier : ces indicateurs ne sont publiés qu'en géographie 2015 (voir "
    "les quartiers 2015 correspondants en bas de page).",
    "qpv2015": "Pas de valeur publiée pour ce quartier.",
}
ALL_SECRET = "Toutes les valeurs de ce quartier sont couvertes par le secret statistique (non diffusées)."
CSV_COLUMNS = ["serie", "indicateur", "millesime", "annee_reference", "valeur", "secret"]
# a value of a chart: (valeur, secret, annee_reference); valeur is None when secret
Value = tuple[object, bool, object]


@dataclass
class GroupData:
    """Everything the group charts of the fiches need, computed once for all the QPV (one query per group, then
    plain dicts; the per-fiche work is pure Python): for each group and QPV, the latest edition where the QPV has a
    published value of the chart's indicators and its values (`editions[group][code_qp] = (millesime, values)`),
    the QPV whose values are all secret, the whole-territory references of the income distribution
    (`revenus_references[(code_qp, millesime, type_reference)]`), the all-QPV aggregates
    (`france[(geographie, millesime, indicateur)]`) and the sources of each indicator."""

    editions: dict[str, dict[str, tuple[int, dict[str, Value]]]]
    all_secret: dict[str, set[str]]
    revenus_references: dict[tuple[str, int, str], dict[str, Value]]
    france: dict[tuple[str, int, str], float]
    sources: dict[str, list[str]]


def _records(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """Rows as plain Python tuples (NaN → None), column by column: far faster than itertuples on arrow strings."""
    values = []
    for c in columns:
        column = frame[c]
        missing = column.isna().tolist()
        values.append([None if m else v for v, m in zip(column.tolist(), missing, strict=True)])
    return list(zip(*values, strict=True))


def group_data(con, dico: pd.DataFrame, selected: set[str] | None) -> GroupData:
    editions: dict[str, dict[str, tuple[int, dict[str, Value]]]] = {}
    all_secret: dict[str, set[str]] = {}
    for key, groupe in q.GROUPES.items():
        codes = [c for c in q.groupe_codes(groupe) if c in dico.index]
        main = [c for c, _ in groupe.principaux if c in dico.index]
        editions[key], all_secret[key] = {}, set()
        if not main:
            continue
        frame = q.indicateurs_qpv(con, codes)
        if selected is not None:
            frame = frame[frame["code_qp"].isin(selected)]
        is_main = frame["indicateur"].isin(main)
        published = frame[is_main & ~frame["secret"].astype(bool) & frame["valeur"].notna()]
        latest = published.groupby("code_qp")["millesime"].max()
        all_secret[key] = set(frame.loc[is_main, "code_qp"]) - set(latest.index)
        chosen = frame[frame["millesime"] == frame["code_qp"].map(latest)]
        records = _records(
            chosen, ["code_qp", "millesime", "indicateur", "valeur", "secret", "annee_reference"]
        )
        for code_qp, millesime, indicateur, valeur, secret, annee in records:
            entry = editions[key].setdefault(code_qp, (int(millesime), {}))
            entry[1][indicateur] = (
                None if secret else valeur,
                bool(secret),
                None if annee is None else int(annee),
            )
    revenus = [c for c, _ in q.GROUPES["revenus"].principaux if c in dico.index]
    references: dict[tuple[str, int, str], dict[str, Value]] = {}
    if revenus:
        frame = q.references_ensemble(con, revenus, q.ENSEMBLE_REVENUS)
        if selected is not None:
            frame = frame[frame["code_qp"].isin(selected)]
        columns = ["code_qp", "millesime", "type_reference", "indicateur", "valeur_reference", "secret_reference",
                   "annee_reference"]  # fmt: skip
        for code_qp, millesime, kind, indicateur, valeur, secret, annee in _records(frame, columns):
            references.setdefault((code_qp, int(millesime), kind), {})[indicateur] = (
                None if secret else valeur,
                bool(secret),
                None if annee is None else int(annee),
            )
    ratios = [
        c
        for key in ("insertion", "demographie")
        for c, _ in q.GROUPES[key].principaux
        if c in dico.index and dico.loc[c, "agregation"] == "ratio"
    ]
    france = {}
    if ratios:
        frame = q.france(con, ratios)
        for geographie, millesime, indicateur, valeur, secret in _records(
            frame, ["geographie", "millesime", "indicateur", "valeur", "secret"]
        ):
            if not secret and valeur is not None:
                france[(geographie, int(millesime), indicateur)] = float(valeur)
    sources = {
        code: [part.strip() for part in str(source).split(" ; ")]
        for code, source in zip(dico.index, dico["source"], strict=True)
    }
    return GroupData(editions, all_secret, references, france, sources)


def _group_caption(sources: dict[str, list[str]], values: dict[str, Value], millesime: int) -> str:
    """Source of each producer with the year(s) of its data in the chart (annee_reference): « données 2017 »."""
    years: dict[str, set[int]] = {}
    for code, (_, _, annee) in values.items():
        for part in sources.get(code, []):
            found = years.setdefault(part, set())
            if annee is not None:
                found.add(int(annee))  # type: ignore[call-overload]
    text = " ; ".join(
        f"{source} (données {ff.fr_years(list(found))})" if found else source
        for source, found in years.items()
    )
    return f"Source : {text}. Millésime {millesime} (publication ANCT/ONPV)"


def _annee(values: dict[str, Value], codes: list[str]) -> str:
    return ff.fr_years([int(values[c][2]) for c in codes if c in values and values[c][2] is not None])  # type: ignore[call-overload]


def _france_references(
    data: GroupData, geographie: str, millesime: int, codes: list[str], labels: dict[str, str]
) -> list[tuple[str, object, str]]:
    name = f"Ensemble des quartiers prioritaires (millésime {millesime})"
    return [
        (labels[c], data.france[(geographie, millesime, c)], name)
        for c in codes
        if (geographie, millesime, c) in data.france
    ]


def _insertion(values: dict[str, Value], data: GroupData, geographie: str, millesime: int):
    groupe = q.GROUPES["insertion"]
    labels = dict(groupe.principaux)
    codes = [c for c in labels if c in values]
    serie = f"Quartier (données {_annee(values, codes)})"
    barres = [(labels[c], values[c][0], values[c][1], serie) for c in codes]
    references = _france_references(data, geographie, millesime, codes, labels)
    lines = []
    if "part_emplois_precaires" in values:
        valeur, secret, _ = values["part_emplois_precaires"]
        details = [
            f"{who} {ff.fr_value(values[c][0], '%', values[c][1])}"
            for c, who in (
                ("part_emplois_precaires_femmes", "femmes"),
                ("part_emplois_precaires_etrangers", "étrangers"),
            )
            if c in values
        ]
        lines.append(
            f"Emplois précaires : {ff.fr_value(valeur, '%', secret)} des emplois"
            + (f" ({', '.join(details)})" if details else "")
            + f", données {_annee(values, ['part_emplois_precaires'])}"
        )
    evolution = ("evolution_demandeurs_emploi_abc_t4", "evolution_demandeurs_emploi_a_t4")
    changes = [
        f"{who} {ff.fr_signed(values[c][0], '%', values[c][1])}"
        for c, who in zip(evolution, ("A, B, C", "A"), strict=True)
        if c in values
    ]
    if changes:
        lines.append(
            f"Demandeurs d'emploi, évolution sur un an au 4e trimestre : {', '.join(changes)} "
            f"(données {_annee(values, list(evolution))})"
        )
    return barres, references, "<br>".join(lines)


def _demographie(values: dict[str, Value], data: GroupData, geographie: str, millesime: int):
    labels = dict(q.GROUPES["demographie"].principaux)
    recensement = [c for c, _ in q.PARTS_RECENSEMENT if c in values]
    caf = [c for c, _ in q.PARTS_CAF if c in values]
    series = {
        **{c: f"Recensement (données {_annee(values, recensement)})" for c in recensement},
        **{c: f"Allocataires CAF (données {_annee(values, caf)})" for c in caf},
    }
    barres = [(labels[c], values[c][0], values[c][1], series[c]) for c in labels if c in values]
    references = _france_references(data, geographie, millesime, caf, labels)
    jeunesse = ""
    if "indice_jeunesse" in values:
        valeur, secret, _ = values["indice_jeunesse"]
        jeunesse = (
            "Indice de jeunesse (habitants de moins de 20 ans pour un habitant de 60 ans ou plus) : "
            f"{ff.fr_value(valeur, 'indice', secret)} (données {_annee(values, ['indice_jeunesse'])})"
        )
    return barres, references, jeunesse


REVENUS_NAMES = {
    "commune": ("Commune entière", "ensemble de la commune"),
    "epci": ("EPCI entier", "ensemble de l'EPCI"),
    "departement": ("Département entier", "ensemble du département"),
    "france_metropolitaine": ("France métropolitaine", "France métropolitaine"),
}


def _revenus(values: dict[str, Value], data: GroupData, code: str, millesime: int):
    """The series of the income chart: the quartier, its whole commune of the same year of data (its whole EPCI,
    else its département, when the commune has none), France métropolitaine; and the line saying which reference is
    missing."""
    labels = dict(q.GROUPES["revenus"].principaux)
    codes = [c for c in labels if c in values]
    annee = _annee(values, codes)
    series = [("Quartier", f"quartier (données {annee})", {labels[c]: values[c][:2] for c in codes})]
    references = []
    local = next(
        (k for k in q.ENSEMBLE_REVENUS_LOCAL if data.revenus_references.get((code, millesime, k))), None
    )
    missing = [] if local == "commune" else [REVENUS_NAMES["commune"][1]]
    for kind in (*([local] if local else []), "france_metropolitaine"):
        ref = data.revenus_references.get((code, millesime, kind))
        if not ref:
            missing.append(REVENUS_NAMES[kind][1])
            continue
        name = f"{REVENUS_NAMES[kind][1]} (données {_annee(ref, list(ref))})"
        series.append(
            (REVENUS_NAMES[kind][0], name, {labels[c]: v[:2] for c, v in ref.items() if c in labels})
        )
        references.append((REVENUS_NAMES[kind][1], ref))
    lines = []
    if "rapport_interdecile" in values:
        valeur, secret, _ = values["rapport_interdecile"]
        lines.append(f"Rapport interdécile D9/D1 du quartier : {ff.fr_value(valeur, 'ratio', secret)}")
    if missing:
        lines.append(f"pas de référence publiée pour les données {annee} : {' ni '.join(missing)}")
    return series, references, " ; ".join(lines)


def _group_block(
    ctx: SiteContext,
    page: Page,
    key: str,
    code: str,
    geographie: str,
    data: GroupData,
    level: str,
) -> str:
    """The chart of one group for the latest edition where the quartier has a published value of it, with its
    source and years of data in the caption; a one-line note (nothing drawn) when the quartier has none."""
    groupe = q.GROUPES[key]
    head = f"<{level}>{esc(groupe.titre)}</{level}>"
    found = data.editions[key].get(code)
    if found is None:
        note = (
            ALL_SECRET
            if code in data.all_secret[key]
            else NO_GROUP_VALUE.get(geographie, NO_GROUP_VALUE["qpv2015"])
        )
        return f'{head}<p class="sans-valeur">{esc(note)}</p>'
    millesime, values = found
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", code)
    csv = [("quartier", c, millesime, a, v, s) for c, (v, s, a) in values.items()]
    caption = _group_caption(data.sources, values, millesime)
    titre = f"{groupe.titre} (millésime {millesime})"
    if key == "revenus":
        series, references, sous_titre = _revenus(values, data, code, millesime)
        labels = dict(groupe.principaux)
        fig = ff.distribution_revenus(
            series,
            [labels[c] for c, _ in q.QUANTILES_REVENU],
            [labels[c] for c, _ in q.COMPOSITION_REVENU],
            titre,
            sous_titre,
            validate=False,
        )
        csv.extend((name, c, millesime, a, v, s) for name, ref in references for c, (v, s, a) in ref.items())
    else:
        build = _insertion if key == "insertion" else _demographie
        barres, bar_references, sous_titre = build(values, data, geographie, millesime)
        if key == "demographie" and sous_titre:
            caption = f"{caption}. {sous_titre}"
        fig = ff.parts_barres(barres, bar_references, titre, sous_titre, validate=False)
        codes = {label: c for c, label in groupe.principaux}
        csv.extend((name, codes[label], millesime, None, v, False) for label, v, name in bar_references)
    return head + figure_block(
        ctx, page, fig, f"groupe-{key}", (CSV_COLUMNS, csv), f"fiche_{stem}_{key}", caption
    )


NOTHING_PUBLISHED = {
    "qpv2024": "Aucun indicateur n'est publié pour ce quartier de la géographie 2024 dans les données chargées : les "
    "indicateurs des fichiers ANCT/ONPV (population, chômage, pauvreté, non-recours) sont publiés dans la géographie "
    "2015. Voir les quartiers 2015 liés ci-dessous.",
    "qpv2015": "Aucun indicateur n'est publié pour ce quartier dans les données chargées.",
}


def _has_group_values(code: str, groupes: GroupData | None) -> bool:
    if groupes is None:
        return False
    return any(code in groupes.editions[k] or code in groupes.all_secret[k] for k in groupes.editions)


def _fiche(
    ctx: SiteContext,
    info: pd.Series,
    meta: dict[str, dict],
    rows: list[IndicatorRow],
    latest: dict,
    references: dict,
    comparables: dict,
    seul: dict[str, bool],
    france: list[FranceRow],
    detail: pd.DataFrame,
    passage_html: str,
    methode_href: str | None,
    groupes: GroupData | None = None,
    perimetre_html: str = "",
) -> Page:
    code = str(info["code_qp"])
    page = Page(fiche_file(code), f"{info['lib_qp']} ({code})", f"Fiche du quartier {code}", in_index=False)
    geographie = str(info["geographie"])
    commune = info["lib_commune"] if pd.notna(info["lib_commune"]) else None
    epci = info["lib_epci"] if pd.notna(info["lib_epci"]) else None
    population = [r for r in rows if r.indicateur == "population"]
    body = ['<p><a href="index.html">← Toutes les fiches quartier</a></p>']
    facts = [f"Code {code}, {GEOGRAPHIES.get(geographie, geographie)}"]
    if commune:
        facts.append(f"commune principale : {commune}")
    if epci:
        facts.append(f"EPCI : {epci}")
    if pd.notna(info.get("lib_departement")):
        facts.append(f"département : {info['lib_departement']}")
    if population:
        last = max(population, key=lambda r: r.millesime)
        facts.append(
            f"population municipale {ff.fr_value(last.valeur, 'habitants', bool(last.secret))} "
            f"(millésime {ff.edition_label(last.millesime, [last.annee_reference])})"
        )
    body.append(f"<p>{esc(' · '.join(facts))}.</p>")
    body.append(perimetre_html)
    if not rows and detail.empty and not _has_group_values(code, groupes):
        # nothing published for this quartier (a 2024 QPV of the real extracts): one note, then the quartiers of the
        # other geography, where its indicators are
        body.append(f'<p class="note">{esc(NOTHING_PUBLISHED.get(geographie, NO_VALUE["qpv2015"]))}</p>')
        body.append(passage_html)
        write_page(ctx, page, "\n".join(body), "ANCT (quartiers prioritaires et leurs périmètres)",
                   annees="aucune valeur publiée pour ce quartier")  # fmt: skip
        return page
    head = _head(commune, epci)
    body.append(
        '<p class="note">Deux références, jamais mêlées. D\'abord le territoire entier : tous les ménages de la '
        "commune, de l'EPCI ou de la France métropolitaine (INSEE Filosofi, allocataires CAF sommés à la commune), "
        "pour la même année de données que le quartier (« données 2017 »). Ensuite les quartiers prioritaires du "
        "territoire : somme des numérateurs sur somme des dénominateurs de ses quartiers, le quartier compris. "
        "« seul quartier » : le quartier est le seul quartier prioritaire de sa commune ou de son EPCI, il n'est pas "
        "comparé à lui-même. « — » : sans objet (effectif, médiane ou taux du producteur, non agrégeables) ou non "
        "disponible ; « secret » : valeur non diffusée (secret statistique).</p>"
    )
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", code)
    if groupes is not None:
        body.append(_group_block(ctx, page, "demographie", code, geographie, groupes, "h2"))
    for theme, (label, theme_codes) in q.THEMES.items():
        codes = [c for c in theme_codes if c in meta]
        body.append(f"<h2>{esc(label)}</h2>")
        body.append(
            _key_table(code, codes, meta, latest, references, comparables, rows, head, geographie, seul)
        )
        if theme in SERIES:
            series_codes = tuple(c for c in SERIES[theme] if c in meta)
            serie = _serie_rows(series_codes, meta, rows, france)
            if any(r.serie == "quartier" for r in serie):
                points = [(r.libelle, r.serie, r.millesime, r.valeur, r.secret, r.rupture) for r in serie]
                fig = ff.serie_temporelle_points(
                    points, f"{label} : évolution par millésime", "%", validate=False
                )
                csv = [
                    (r.indicateur, r.millesime, r.valeur, r.secret, r.rupture, r.serie, r.libelle)
                    for r in serie
                ]
                body.append(
                    figure_block(
                        ctx,
                        page,
                        fig,
                        f"serie-{theme}",
                        (SERIE_COLUMNS, csv),
                        f"fiche_{stem}_{theme}",
                        _source_line(
                            meta, list(series_codes), [(r.millesime, r.annee_reference) for r in serie]
                        ),
                    )
                )
            if groupes is not None:
                key = "insertion" if theme == "chomage" else "revenus"
                body.append(_group_block(ctx, page, key, code, geographie, groupes, "h3"))
        elif theme == "non_recours":
            codes_nr = tuple(c for c in q.NON_RECOURS_ESTIMES if c in meta)
            serie = _serie_rows(codes_nr, meta, rows, france)
            mine = [r for r in serie if r.serie == "quartier"]
            if mine:
                csv = [
                    (
                        r.indicateur,
                        r.millesime,
                        r.valeur,
                        r.borne_basse,
                        r.borne_haute,
                        r.secret,
                        r.serie,
                        r.libelle,
                    )
                    for r in serie
                ]
                fig = ff.non_recours_points(
                    [
                        (r.libelle, r.serie, r.millesime, r.valeur, r.borne_basse, r.borne_haute, r.secret)
                        for r in serie
                    ],
                    "Non-recours estimé, avec sa fourchette",
                    validate=False,
                )
                body.append(
                    figure_block(
                        ctx,
                        page,
                        fig,
                        "non-recours",
                        (NON_RECOURS_COLUMNS, csv),
                        f"fiche_{stem}_non_recours",
                        _source_line(meta, list(codes_nr), [(r.millesime, r.annee_reference) for r in mine]),
                    )
                )
                caveat = meta[codes_nr[0]]["precautions"]
                link = (
                    f'<a href="{esc(methode_href)}">méthode d\'estimation du non-recours</a>'
                    if methode_href
                    else "méthode d'estimation du non-recours (docs/methodes/non_recours.md du projet)"
                )
                body.append(f'<p class="note">Estimation, pas une mesure : {esc(caveat)} Voir la {link}.</p>')
        elif theme == "ess":
            mine = detail
            if not mine.empty:
                latest = mine[mine["millesime"] == mine["millesime"].max()]
                fig = ff.ess_familles_sections(
                    latest,
                    f"Emplois de l'ESS par famille et section NAF (stock SIRENE {int(latest['millesime'].max())})",
                )
                body.append(
                    figure_block(
                        ctx,
                        page,
                        fig,
                        "ess-detail",
                        latest.drop(columns=["code_qp"]),
                        f"fiche_{stem}_ess",
                        _source_line(meta, ["emplois_ess", "etablissements_ess"], ff.edition_pairs(latest)),
                    )
                )
                body.append(_ess_table(latest))
    body.append(passage_html)
    sources = (
        "; ".join(dict.fromkeys(str(r.source) for r in rows if r.source is not None))
        or "ANCT/ONPV, INSEE, France Travail"
    )
    years = [int(r.annee_reference) for r in rows if r.annee_reference is not None]
    annees = ff.fr_years(years) if years else "aucune valeur publiée pour ce quartier"
    write_page(ctx, page, "\n".join(body), sources, annees=annees)
    return page


def _index(ctx: SiteContext, infos: pd.DataFrame) -> Page:
    page = Page(
        "fiches/index.html",
        "Fiches quartier",
        f"Une fiche par quartier prioritaire ({len(infos)} quartiers) : démographie, chômage et insertion, pauvreté "
        "et distribution des revenus, non-recours et ESS face à sa commune, son EPCI et la France métropolitaine "
        "entiers, puis aux autres quartiers prioritaires.",
    )
    body = [f"<p>{esc(page.summary)}</p>"]
    for geographie, label in GEOGRAPHIES.items():
        part = infos[infos["geographie"] == geographie]
        if part.empty:
            continue
        body.append(f"<h2>Quartiers de la {esc(label)} ({len(part)})</h2>")
        tree: dict[str, dict[str, list[tuple[str, str]]]] = {}  # EPCI → commune → (name, code)
        for code_qp, lib_qp, lib_epci, lib_commune in _records(
            part, ["code_qp", "lib_qp", "lib_epci", "lib_commune"]
        ):
            communes = tree.setdefault(lib_epci or "Sans EPCI connu", {})
            communes.setdefault(lib_commune or "Sans commune connue", []).append((str(lib_qp), str(code_qp)))
        for epci in sorted(tree):
            body.append(f"<h3>{esc(epci)}</h3><ul>")
            for commune in sorted(tree[epci]):
                links = ", ".join(
                    f'<a href="{esc(Path(fiche_file(code_qp)).name)}">{esc(lib_qp)} ({esc(code_qp)})</a>'
                    for lib_qp, code_qp in sorted(tree[epci][commune])
                )
                body.append(f"<li>{esc(commune)} : {links}</li>")
            body.append("</ul>")
    write_page(ctx, page, "\n".join(body), "ANCT/ONPV, INSEE, France Travail, CNAF")
    return page


def _markdown_html(text: str) -> str:
    """A minimal Markdown → HTML converter for the method note (headings, paragraphs, lists, tables, code blocks,
    **bold** and `code`); everything is escaped first."""

    def inline(line: str) -> str:
        parts = re.split(r"(`[^`]+`)", line)  # code spans are kept verbatim (no emphasis inside them)
        html_parts = []
        for part in parts:
            if part.startswith("`") and part.endswith("`") and len(part) > 1:
                html_parts.append(f"<code>{esc(part[1:-1])}</code>")
                continue
            text = esc(part)
            text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
            text = re.sub(r"\*([^*]+)\*", r"<em>\1</em>", text)
            html_parts.append(re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text))  # repo links: not in the site
        return "".join(html_parts)

    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")), 6)  # the page's title is its <h1>: `##` is an <h2>
            out.append(f"<h{level}>{inline(line.lstrip('#').strip())}</h{level}>")
            i += 1
        elif line.startswith("    "):
            block = []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                block.append(lines[i][4:])
                i += 1
            out.append(f"<pre>{esc(chr(10).join(block).strip())}</pre>")
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            head = "".join(f"<th>{inline(c)}</th>" for c in rows[0])
            body = "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif re.match(r"^\s*[-*] ", line):
            items = []
            while i < len(lines) and lines[i].strip() and not lines[i].startswith("#"):
                if re.match(r"^\s*[-*] ", lines[i]):
                    items.append(re.sub(r"^\s*[-*] ", "", lines[i]))
                else:
                    items[-1] += " " + lines[i].strip()
                i += 1
            out.append("<ul>" + "".join(f"<li>{inline(it)}</li>" for it in items) + "</ul>")
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not lines[i].startswith(("#", "|", "    ")):
                if re.match(r"^\s*[-*] ", lines[i]):
                    break
                para.append(lines[i].strip())
                i += 1
            out.append(f"<p>{inline(' '.join(para))}</p>")
    return "\n".join(out)


def _methode(ctx: SiteContext) -> Page | None:
    """The non-recours method note as a page of the site (rendered from docs/methodes/non_recours.md)."""
    if not METHODE_MD.exists():
        return None
    page = Page(
        METHODE_PAGE,
        "Méthode : estimation du non-recours",
        "Comment le non-recours au RSA et à la prime d'activité est estimé par quartier, et ses limites.",
        in_index=False,
    )
    text = METHODE_MD.read_text(encoding="utf-8")
    text = "\n".join(text.splitlines()[1:]) if text.startswith("# ") else text  # the title is the page's <h1>
    write_page(ctx, page, _markdown_html(text), "DREES, ANCT/ONPV, CNAF, INSEE")
    return page


def quartiers(con, territoire: list[str] | None) -> list[tuple[str, str, str, str | None, str | None]]:
    """The quartiers that get a fiche — every QPV of both geographies with anything to show (queries_fiche.qpv),
    those of `territoire` when given —, as the search index lists them: (code, name, geography, commune, EPCI)."""
    infos = q.qpv(con).drop_duplicates("code_qp")
    if territoire is not None:
        infos = infos[infos["code_qp"].isin(set(territoire))]
    return [
        (code, lib, geographie, commune, epci)
        for code, lib, geographie, commune, epci in _records(
            infos, ["code_qp", "lib_qp", "geographie", "lib_commune", "lib_epci"]
        )
    ]


# forces the number of processes (benchmarks/pages.py: 1 for its baseline)
PROCESSES_ENV = "QPV_FICHES_PROCESSUS"
FORK_MIN_FICHES = 200  # below this, one process: forking costs more than it saves
# the fiche builder the forked workers inherit (set by _map_fiches)
_BUILD: Callable[[int], Page] | None = None


def _build_chunk(chunk: list[int]) -> list[Page]:
    assert _BUILD is not None
    return [_BUILD(i) for i in chunk]


def fiche_processes(count: int) -> int:
    """How many processes write the fiches: the CPUs this process may use (at most 4), one when there are few
    fiches or when `fork` is not available (the workers inherit the data read once, they never open the warehouse)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    forced = os.environ.get(PROCESSES_ENV, "").strip()
    if forced.isdigit() and int(forced) > 0:
        return int(forced)  # the pages benchmark's one-process baseline; the tests' forced workers
    if count < FORK_MIN_FICHES:
        return 1
    return max(
        1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    )


def _map_fiches(build: Callable[[int], Page], count: int) -> list[Page]:
    """build(0..count-1) in order, over fiche_processes(count) forked workers: the fiches are independent files,
    pure Python once the marts are read (all pages of the real extracts: ~3,000 fiches)."""
    workers = fiche_processes(count)
    if workers == 1:
        return [build(i) for i in range(count)]
    global _BUILD
    chunks = [list(range(start, count, workers)) for start in range(workers)]  # interleaved: balanced
    _BUILD = build
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_build_chunk, chunks)
    finally:
        _BUILD = None
    pages: list[Page | None] = [None] * count
    for chunk, built in zip(chunks, results, strict=True):
        for i, page in zip(chunk, built, strict=True):
            pages[i] = page
    return pages  # type: ignore[return-value]


def render(ctx: SiteContext) -> list[Page]:
    if not ctx.fiches:
        return []
    con = ctx.con
    dico = q.dictionnaire(con).set_index("code")
    meta = dico.to_dict("index")
    codes = [c for c in q.fiche_indicateurs() if c in meta]
    infos = q.qpv(con)
    rows = q.indicateurs_qpv(con, codes)
    ecarts = q.ecarts(con, codes)
    detail = q.ess_detail(con)
    france_by_geography: dict[str, list[FranceRow]] = {}
    for record in _records(q.france(con, codes), list(FranceRow._fields)):
        france_by_geography.setdefault(record[0], []).append(FranceRow(*record))
    passage = q.passage(con)
    terrain_obs, terrain_crois = (
        _groups(fiche_terrain.observations(con)),
        _groups(fiche_terrain.croisement(con)),
    )
    # a QPV alone in its commune (or EPCI) of its geography: its QPV aggregate would be itself
    seuls = {}
    for kind in ("commune", "epci"):
        attached = infos.drop_duplicates(["code_qp", "geographie"]).dropna(subset=[f"code_{kind}"])
        sizes = attached.groupby(["geographie", f"code_{kind}"])["code_qp"].transform("size")
        seuls[kind] = set(attached.loc[sizes == 1, "code_qp"])
    groupes = group_data(con, dico, None if ctx.territoire is None else set(ctx.territoire))
    if ctx.territoire is not None:
        selected = set(ctx.territoire)
        infos = infos[infos["code_qp"].isin(selected)]
        rows = rows[rows["code_qp"].isin(selected)]
        ecarts = ecarts[ecarts["code_qp"].isin(selected)]
        detail = detail[detail["code_qp"].isin(selected)]
    infos = infos.drop_duplicates("code_qp")
    key_rows: dict[str, list[IndicatorRow]] = {}
    # the latest edition of each (QPV, indicator) and the references of each (QPV, indicator, edition): dict lookups
    latest: dict[tuple[str, str], IndicatorRow] = {}
    for record in _records(rows, list(IndicatorRow._fields)):
        row = IndicatorRow(*record)
        key_rows.setdefault(row.code_qp, []).append(row)
        known = latest.get((row.code_qp, row.indicateur))
        if known is None or row.millesime >= known.millesime:
            latest[(row.code_qp, row.indicateur)] = row
    key_detail = _groups(detail)
    empty_detail = detail.iloc[0:0]
    # one key per reference: (QPV, indicator, edition, perimeter, territory); a commune has two (whole, its QPV)
    columns = ["code_qp", "indicateur", "millesime", "perimetre_reference", "type_reference", "valeur_reference",
               "secret_reference", "annee_reference"]  # fmt: skip
    references = {tuple(r[:5]): tuple(r[5:]) for r in _records(ecarts, columns)}
    # the latest edition of each (QPV, indicator) with a whole-territory reference: with the whole commune if any
    ensemble = ecarts[ecarts["perimetre_reference"] == "ensemble"]
    ensemble = ensemble.assign(commune=ensemble["type_reference"] == "commune").sort_values(
        ["commune", "millesime"]
    )
    comparables = {
        (code_qp, indicateur): int(millesime)
        for (code_qp, indicateur), millesime in ensemble.groupby(["code_qp", "indicateur"])["millesime"]
        .last()
        .items()
    }
    built = set(infos["code_qp"])
    perimetres = q.perimetres(con)
    by_commune: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for code_qp, lib_qp, geographie, code_commune in _records(
        infos.sort_values("lib_qp"), ["code_qp", "lib_qp", "geographie", "code_commune"]
    ):
        if code_commune is not None:
            by_commune.setdefault((geographie, str(code_commune)), []).append((code_qp, lib_qp))
    methode = _methode(ctx)
    fiches = [info for _, info in infos.iterrows()]

    def build(i: int) -> Page:
        info = fiches[i]
        code = info["code_qp"]
        terrain_html = fiche_terrain.section(  # the Terrain section, placed before the correspondence block
            terrain_obs.get(code, pd.DataFrame()),
            terrain_crois.get(code, pd.DataFrame()),
            geographie_2015=code.startswith("QP"),
        )
        correspondance = _passage_block(info, passage, key_rows, built) or _meme_commune(info, by_commune)
        passage_html = terrain_html + correspondance
        return _fiche(
            ctx,
            info,
            meta,
            key_rows.get(code, []),
            latest,
            references,
            comparables,
            {kind: code in seuls[kind] for kind in seuls},
            france_by_geography.get(info["geographie"], []),
            key_detail.get(code, empty_detail),
            passage_html,
            f"../{METHODE_PAGE}" if methode else None,
            groupes,
            perimetre_svg(perimetres.get((code, info["geographie"])), str(info["lib_qp"])),
        )

    pages = _map_fiches(build, len(fiches))
    index = _index(ctx, infos)
    return [index, *pages, *([methode] if methode else [])]
