"""Non-recours au RSA et à la prime d'activité: national view (the calibrated figure of all QPV, the distribution
of the QPV estimates with their ranges, per edition and prestation), territory view (the QPV of the territory
ranked with their range, the coverage index against 100) and the method notes (dictionary + summary of
docs/methodes/non_recours.md). Every number is an estimate and the page says so next to it."""

from __future__ import annotations

import pandas as pd

from dashboards import figures_themes as ft
from dashboards import queries_themes as qt
from dashboards.figures_fiche import editions_label
from dashboards.site import Page, SiteContext, esc, figure_block, table, write_page

ORDER = 50
FILE = "non_recours.html"
AVERTISSEMENT = (
    "Estimation, pas une mesure : aucune statistique publique ne compte le non-recours par quartier. Chaque "
    "chiffre de cette page est une estimation, donnée avec sa fourchette."
)

# Summary of docs/methodes/non_recours.md (the full note is in the repository).
RESUME_METHODE = [
    "<strong>Définition.</strong> Le non-recours est la part des foyers éligibles qui ne perçoivent pas la "
    "prestation (au sens de l'Odenore : non-connaissance, non-demande, non-réception, non-proposition — les "
    "données ne distinguent pas ces formes).",
    "<strong>Données.</strong> Taux de pauvreté au seuil de 60 % (Filosofi) et population municipale "
    "(recensement) des fichiers ANCT/ONPV REVN et DEMO, foyers allocataires du RSA socle (ARSAS) et de la prime "
    "d'activité (APPA, à partir du millésime 2018), en géographie 2015. Population pauvre estimée = TP60 × "
    "population.",
    "<strong>Indice de couverture.</strong> Allocataires par personne pauvre du quartier rapportés à ceux de "
    "l'ensemble des QPV publiables du même millésime, base 100 : il ne suppose rien sur le niveau national. "
    "Un indice de 80 signifie 20 % d'allocataires de moins qu'attendu au vu de la pauvreté du quartier.",
    "<strong>Non-recours estimé.</strong> Les foyers éligibles sont supposés proportionnels à la population "
    "pauvre (coefficient κ commun à tous les quartiers d'un millésime, jamais moins que les allocataires) ; κ est "
    "calé pour que l'ensemble des QPV reproduise le taux national publié par la DREES : 34 % pour le RSA "
    "(non-recours trimestriel 2018), 27 % pour la prime d'activité (évaluation 2016). L'estimation ne dit donc "
    "rien du niveau propre des QPV, seulement des écarts entre quartiers.",
    "<strong>Fourchette.</strong> Calages bas (RSA : 20 %, non-recours pérenne ; prime d'activité : 20 %, "
    "hypothèse du projet) et haut (RSA : 34 % ; prime d'activité : 30 %), élargis d'une marge d'échantillonnage "
    "binomiale à 95 %. Les bornes ne s'additionnent pas entre quartiers.",
    "<strong>Biais connus.</strong> Le seuil de pauvreté à 60 % est bien au-dessus du seuil du RSA (un quartier "
    "de pauvreté « peu profonde » a un indice bas et un non-recours surestimé ; l'inverse pour la prime "
    "d'activité) ; années de référence différentes (Filosofi, recensement, CAF au 31 décembre, DREES 2018 et "
    "2016) ; foyers CAF ≠ ménages fiscaux ; la DREES mesure la France métropolitaine ; un quartier plus couvert "
    "que κ a un non-recours estimé nul, limite du modèle et non mesure d'un recours complet.",
    "<strong>Secret.</strong> Pas d'estimation (« secret », jamais 0) pour un quartier de moins de 50 foyers "
    "allocataires, de moins de 11 allocataires de la prestation, de moins de 50 foyers éligibles estimés ou "
    "allocataires attendus, ou dont une entrée n'est pas diffusée ; ces quartiers n'entrent pas dans le calage.",
    "Méthode complète, hypothèses et vérification sur les données de démonstration : "
    "<code>docs/methodes/non_recours.md</code> du dépôt de l'observatoire.",
]


def selection_2015(ctx: SiteContext) -> set[str] | None:
    """The 2015 QPV of the territory: codes given directly, or matched to a given 2024 code by the passage mart."""
    if ctx.territoire is None:
        return None
    codes = set(ctx.territoire)
    passage = qt.passage(ctx.con)
    return codes | set(passage.loc[passage["code_qp2024"].isin(codes), "code_qp2015"])


def _source(ref: pd.Series, rows: pd.DataFrame) -> str:
    """Caption: each edition of `rows` with the year of its data (that of the CAF claimants, see the dictionary)."""
    line = (
        f"{ref['libelle']} — estimation. Source : {ref['source']}. Millésime(s) {editions_label(rows)} "
        "(publication ANCT/ONPV"
    )
    if "annee_reference" in rows and rows["annee_reference"].notna().any():
        return line + " ; données : allocataires CAF au 31 décembre de l'année indiquée)"
    return f"{line}). Année de référence : {ref['annee_reference']}"


def _calage(territoires: pd.DataFrame, indicateur: str) -> dict[int, float]:
    france = territoires[
        (territoires["type_territoire"] == "france") & (territoires["indicateur"] == indicateur)
    ]
    return {int(r.millesime): r.valeur for r in france.itertuples(index=False) if not pd.isna(r.valeur)}


def _table_nationale(data: pd.DataFrame, territoires: pd.DataFrame, dico: pd.DataFrame) -> str:
    rows = []
    for _, libelle, estime, _indice in qt.PRESTATIONS:
        calage = _calage(territoires, estime)
        part = data[data["indicateur"] == estime]
        for millesime, annee in part.groupby("millesime", sort=True):
            publies = annee.dropna(subset=["valeur"])
            rows.append(
                [
                    libelle,
                    int(millesime),
                    ft.valeur_fr(calage.get(int(millesime)), "%") + " (estimation calée)",
                    len(publies),
                    int(annee["valeur"].isna().sum()),
                    ft.valeur_fr(publies["valeur"].median() if len(publies) else None, "%") + " (estimation)",
                    ft.fourchette_fr(
                        publies["valeur"].quantile(0.1) if len(publies) else None,
                        publies["valeur"].quantile(0.9) if len(publies) else None,
                        "%",
                    ),
                ]
            )
    return table(
        [
            "Prestation",
            "Millésime",
            "Non-recours estimé, ensemble des QPV",
            "Quartiers estimés",
            "Quartiers secrets",
            "Médiane des quartiers",
            "1er à 9e décile des quartiers",
        ],
        rows,
    )


def _table_territoire(data: pd.DataFrame) -> str:
    """One row per QPV and edition: the estimates with their range and the coverage indices; 'secret' when
    withheld."""
    if data.empty:
        return "<p>Aucun quartier du territoire n'a d'estimation (géographie 2015).</p>"
    cles = data[["code_qp", "lib_qp", "millesime"]].drop_duplicates().sort_values(["code_qp", "millesime"])
    # a dict, not .loc on a MultiIndex: thousands of lookups (7 s on the real extracts)
    index: dict[tuple, tuple] = {}
    for key in zip(
        data["code_qp"], data["millesime"], data["indicateur"], data["valeur"], data["borne_basse"],
        data["borne_haute"], strict=True,
    ):  # fmt: skip
        index.setdefault(key[:3], key[3:])
    rows = []
    for r in cles.itertuples(index=False):
        row: list[object] = [r.lib_qp, r.code_qp, int(r.millesime)]
        for _, _, estime, indice in qt.PRESTATIONS:
            found = index.get((r.code_qp, r.millesime, estime))
            if found is not None:
                valeur, basse, haute = found
                texte = ft.valeur_fr(valeur, "%")
                if not pd.isna(valeur):
                    texte += f" ({ft.fourchette_fr(basse, haute, '%')})"
                row.append(texte)
            else:
                row.append("non publié pour ce millésime")
            found = index.get((r.code_qp, r.millesime, indice))
            row.append(ft.valeur_fr(found[0], "indice") if found is not None else "—")
        rows.append(row)
    return table(
        [
            "Quartier",
            "Code",
            "Millésime",
            "Non-recours estimé au RSA (fourchette)",
            "Indice de couverture RSA (base 100)",
            "Non-recours estimé à la prime d'activité (fourchette)",
            "Indice de couverture prime d'activité (base 100)",
        ],
        rows,
    )


def _notes_methode(dico: pd.DataFrame) -> str:
    blocs = []
    for _, _, estime, indice in qt.PRESTATIONS:
        for code in (estime, indice):
            if code not in dico.index:
                continue
            ref = dico.loc[code]
            blocs.append(
                f"<h3>{esc(ref['libelle'])} <small>(<code>{esc(code)}</code>, {esc(ref['unite'])})</small></h3>"
                f"<p><strong>Définition.</strong> {esc(ref['definition'])}</p>"
                f"<p><strong>Formule.</strong> {esc(ref['formule'])}</p>"
                f'<p class="note"><strong>Précautions.</strong> {esc(ref["precautions"])}</p>'
            )
    return "\n".join(blocs)


def render(ctx: SiteContext) -> list[Page]:
    con = ctx.con
    dico = qt.dictionnaire(con, "non_recours").set_index("code")
    data = qt.non_recours_qpv(con)
    territoires = qt.territoires(con, qt.INDICATEURS_NON_RECOURS)
    selection = selection_2015(ctx)
    locale = data if selection is None else data[data["code_qp"].isin(selection)]
    millesimes = sorted(int(m) for m in data["millesime"].unique())
    page = Page(
        FILE,
        "Non-recours au RSA et à la prime d'activité (estimations)",
        f"Non-recours estimé et indice de couverture de {data['code_qp'].nunique()} quartiers (géographie 2015), "
        f"millésimes {', '.join(str(m) for m in millesimes) or 'aucun'} — des estimations, avec leur fourchette.",
    )
    body = [
        f"<p>{esc(page.summary)}</p>",
        f'<p class="note"><strong>{esc(AVERTISSEMENT)}</strong> Voir la <a href="#methode">méthode</a>.</p>',
        "<h2>Vue nationale : ensemble des quartiers</h2>",
        "<p>Par construction, l'ensemble des QPV publiables reproduit le taux national de la DREES (calage) : "
        "le chiffre national n'est pas une observation des quartiers, ce sont les écarts entre quartiers que "
        "l'estimation renseigne.</p>",
        _table_nationale(data, territoires, dico),
    ]
    for code, _libelle, estime, _indice in qt.PRESTATIONS:
        part = data[data["indicateur"] == estime]
        if part.empty or estime not in dico.index:
            continue
        fig = ft.distribution_non_recours(part, dico.loc[estime, "libelle"], _calage(territoires, estime))
        body.append(
            figure_block(
                ctx,
                page,
                fig,
                f"distribution-{code}",
                part.drop(columns=["geographie"]),
                f"non_recours_distribution_{code}",
                _source(dico.loc[estime], part),
            )
        )
    titre_territoire = (
        "Vue territoire : tous les quartiers"
        if selection is None
        else f"Vue territoire : {locale['code_qp'].nunique()} quartier(s) sélectionné(s) (géographie 2015)"
    )
    body.append(f"<h2>{esc(titre_territoire)}</h2>")
    if selection is not None and locale.empty:
        body.append(
            "<p>Les quartiers sélectionnés n'ont pas d'estimation : le non-recours n'est calculé qu'en géographie "
            "2015 (fichiers REVN de l'ANCT/ONPV).</p>"
        )
    for code, _libelle, estime, indice in qt.PRESTATIONS:
        part = locale[locale["indicateur"] == estime]
        if part.empty:
            continue
        latest = int(part["millesime"].max())
        annee = part[part["millesime"] == latest]
        calage = _calage(territoires, estime).get(latest)
        fig = ft.classement_fourchette(
            annee,
            "valeur",
            "borne_basse",
            "borne_haute",
            f"{dico.loc[estime, 'libelle']} par quartier, millésime {latest} (estimation et fourchette)",
            f"{dico.loc[estime, 'libelle']} (% des foyers éligibles, estimation)",
            "%",
            reference=calage,
            libelle_reference="Ensemble des QPV (calage DREES)",
        )
        body.append(
            figure_block(
                ctx,
                page,
                fig,
                f"classement-{code}",
                annee.drop(columns=["geographie"]),
                f"non_recours_classement_{code}_{latest}",
                _source(dico.loc[estime], annee),
            )
        )
        couverture = locale[(locale["indicateur"] == indice) & (locale["millesime"] == latest)]
        if not couverture.empty and indice in dico.index:
            body.append(
                figure_block(
                    ctx,
                    page,
                    ft.indice_couverture(couverture, dico.loc[indice, "libelle"], latest),
                    f"couverture-{code}",
                    couverture.drop(columns=["geographie", "borne_basse", "borne_haute"]),
                    f"non_recours_indice_couverture_{code}_{latest}",
                    _source(dico.loc[indice], couverture),
                )
            )
    body.append(
        "<h3>Estimations par quartier et millésime</h3><p>Non-recours estimé (en % des foyers éligibles, "
        "estimation) avec sa fourchette, et indice de couverture (base 100 = ensemble des QPV du millésime).</p>"
    )
    body.append(_table_territoire(locale))
    body.append('<h2 id="methode">Méthode et précautions</h2>')
    body.append("<ul>" + "".join(f"<li>{item}</li>" for item in RESUME_METHODE) + "</ul>")
    body.append(_notes_methode(dico))
    sources = "; ".join(sorted(set(dico["source"].dropna()))) or "ANCT/ONPV, CNAF, INSEE, DREES"
    write_page(ctx, page, "\n".join(body), sources)
    return [page]
