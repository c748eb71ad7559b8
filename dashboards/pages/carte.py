"""Carte: choropleth of the QPV 2024 perimeters, an indicator and an edition chosen in the page, zoom to an EPCI or
a commune. Offline: one copy of the perimeters in the page, an empty world topojson (no CDN), a small inline script
swaps the selection with Plotly.restyle. 2015-geography indicators have no perimeters and are not drawn."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd

from dashboards import figures_carte, queries
from dashboards.site import Page, SiteContext, esc, figure_div, write_csv, write_page

ORDER = 10
DIV_ID = "carte"
# Preferred default: a rate of the 2024 geography; otherwise the first indicator that has values.
DEFAULTS = ("indicateur_chomage_abc", "part_emplois_ess", "part_demandeurs_longue_duree", "emplois_ess")
MARGIN = 0.01  # degrees around a zoomed territory


def _json(value: object) -> str:
    """JSON safe inside <script>: no `<` can close the script element."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _bounds(part: pd.DataFrame) -> list[float]:
    return [
        round(float(part["lon_min"].min()) - MARGIN, 5),
        round(float(part["lon_max"].max()) + MARGIN, 5),
        round(float(part["lat_min"].min()) - MARGIN, 5),
        round(float(part["lat_max"].max()) + MARGIN, 5),
    ]


def _zooms(perimetres: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    epci, communes = [], []
    for (code, lib), part in perimetres.dropna(subset=["code_epci"]).groupby(
        ["code_epci", "lib_epci"], dropna=False
    ):
        epci.append({"code": code, "lib": f"{lib or code} ({len(part)} QPV)", "b": _bounds(part)})
    for (code, lib), part in perimetres.dropna(subset=["code_commune"]).groupby(
        ["code_commune", "lib_commune"]
    ):
        communes.append({"code": code, "lib": f"{lib} ({code}, {len(part)} QPV)", "b": _bounds(part)})
    return sorted(epci, key=lambda z: z["lib"]), sorted(communes, key=lambda z: z["lib"])


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


_SCRIPT = """<script>
(function () {
  var perimetres = %(geojson)s, noms = %(noms)s, codes = %(codes)s, selections = %(selections)s;
  var fig = %(figure)s;
  fig.data.forEach(function (t) { t.geojson = perimetres; });
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
    Plotly.restyle("%(div)s", {locations: [pub.l], z: [pub.z], text: [pub.t],
                               "colorbar.title.text": sel.unite}, [0]);
    Plotly.restyle("%(div)s", {locations: [sec.l, abs.l], z: [sec.l.map(function () { return 1; }),
                               abs.l.map(function () { return 1; })], text: [sec.t, abs.t]}, [1, 2]);
    Plotly.relayout("%(div)s", {"title.text": sel.libelle + " — millésime " + sel.millesime});
    document.getElementById("carte-source").textContent = sel.source;
  }
  function zoom(value) {
    if (!value) { Plotly.relayout("%(div)s", {"geo.fitbounds": "locations"}); return; }
    var b = JSON.parse(value);
    Plotly.relayout("%(div)s", {"geo.fitbounds": false, "geo.lonaxis.range": [b[0], b[1]],
                                "geo.lataxis.range": [b[2], b[3]],
                                "geo.center": {lon: (b[0] + b[1]) / 2, lat: (b[2] + b[3]) / 2}});
  }
  Plotly.newPlot("%(div)s", fig.data, fig.layout, {locale: "fr", responsive: true}).then(function () {
    var choix = document.getElementById("carte-indicateur"), zone = document.getElementById("carte-zoom");
    choix.addEventListener("change", function () { show(choix.value); });
    zone.addEventListener("change", function () { zoom(zone.value); });
    show(choix.value);
  });
})();
</script>"""


def _perimetres_only(ctx: SiteContext, page: Page, perimetres: pd.DataFrame) -> Page:
    """No indicator of the 2024 geography for these QPV: the map still draws their perimeters, zoomed on them."""
    page = replace(page, summary=f"Les {len(perimetres)} périmètres QPV 2024 (aucun indicateur calculé dans cette "
                   "géographie pour l'instant).")  # fmt: skip
    fig = figures_carte.perimetres_seuls(perimetres)
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
            "<p>Aucun indicateur n'est encore calculé dans la géographie 2024 pour ces quartiers : la carte montre "
            "leurs périmètres seuls. Les indicateurs de la géographie 2015 sont dans les fiches quartier et les "
            "pages thématiques.</p>",
            f"<figure>{figure_div(fig, DIV_ID)}<figcaption>Source : ANCT, périmètres des QPV 2024 — "
            f'<span class="telechargements">{" · ".join(links)}</span></figcaption></figure>',
        ]
    )
    write_page(ctx, page, body, "ANCT (périmètres des QPV 2024)", head=figures_carte.GEO_ASSETS_SCRIPT)
    return page


def render(ctx: SiteContext) -> list[Page]:
    con = ctx.con
    perimetres = queries.perimetres_qpv(con)
    if ctx.territoire is not None:
        perimetres = perimetres[perimetres["code_qp"].isin(ctx.territoire)]
    perimetres = perimetres[perimetres["geometry"].notna()].reset_index(drop=True)
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
    fig = figures_carte.carte(
        perimetres, default_values, default["libelle"], default["unite"], default["millesime"]
    )
    name = "carte_qpv2024"
    if ctx.png:
        ctx.png_queue.append((fig, f"images/{name}.png"))
    layout_only = json.loads(fig.to_json())
    for trace in layout_only["data"]:
        trace.pop("geojson", None)

    options = "".join(
        f'<option value="{esc(s["key"])}"{" selected" if s["key"] == default["key"] else ""}>'
        f"{esc(s['libelle'])} — {s['millesime']}</option>"
        for s in selections
    )
    epci, communes = _zooms(perimetres)

    def zoom_options(zones: list[dict]) -> str:
        return "".join(f'<option value="{esc(_json(z["b"]))}">{esc(z["lib"])}</option>' for z in zones)

    controls = (
        '<p><label for="carte-indicateur">Indicateur et millésime : </label>'
        f'<select id="carte-indicateur">{options}</select> '
        '<label for="carte-zoom">Zoom : </label><select id="carte-zoom">'
        '<option value="">Tous les quartiers</option>'
        f'<optgroup label="EPCI">{zoom_options(epci)}</optgroup>'
        f'<optgroup label="Communes">{zoom_options(communes)}</optgroup></select></p>'
    )
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
    script = _SCRIPT % {
        "geojson": _json(figures_carte.feature_collection(perimetres)),
        "noms": _json([esc(n) for n in perimetres["lib_qp"]]),
        "codes": _json(list(perimetres["code_qp"])),
        "selections": _json(selections),
        "figure": _json(layout_only),
        "div": DIV_ID,
    }
    body = "\n".join(
        [
            f"<p>{esc(page.summary)}</p>",
            note_2015,
            controls,
            f'<figure><div id="{DIV_ID}" style="height:650px"></div>'
            f'<figcaption><span id="carte-source">{esc(default["source"])}</span> — '
            f'<span class="telechargements">{" · ".join(links)}</span></figcaption></figure>',
            script,
        ]
    )
    sources = sorted(
        {str(dico.loc[s["indicateur"], "source"]) for s in selections if s["indicateur"] in dico.index}
    )
    write_page(ctx, page, body, ", ".join(["ANCT (périmètres des QPV 2024)", *sources]),
               head=figures_carte.GEO_ASSETS_SCRIPT)  # fmt: skip
    return [page]
