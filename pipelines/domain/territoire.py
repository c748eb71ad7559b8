"""The YAML of an EPCI's observatory (`territoires/<slug>.yaml`): written by `qpv territoire init`, read by
`qpv territoire build`.

The file is small and meant to be edited by hand (indicators followed, thresholds of attention); it is written with
French comments by `to_yaml()` and read back by `load()`, which names the file, the line and the key of every
error. `from_warehouse()` fills it from the marts: the EPCI's QPV of the 2024 geography (with their commune), their
2015 predecessors through marts.passage_qpv2015_qpv2024, the reference territories and the default indicators.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

FORMAT_VERSION = 1
SIREN = re.compile(r"^\d{9}$")
QPV_CODE = re.compile(r"^Q[A-Z0-9]{7}$")
COMMUNE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}
# The main indicators of each theme followed by default (those absent from marts.ref_indicateurs are skipped; a
# theme none of whose preferred codes exists contributes its first two ratio indicators of the dictionary).
DEFAULT_INDICATEURS: dict[str, tuple[str, ...]] = {
    "base": ("population",),
    "chomage": (
        "indicateur_chomage_abc",
        "demandeurs_emploi_abc",
        "part_demandeurs_longue_duree",
        "part_jeunes_demandeurs",
    ),
    "pauvrete": ("taux_pauvrete_60", "revenu_median_uc", "part_allocataires_rsa", "taux_couverture_c2s"),
    "non_recours": ("non_recours_rsa_estime", "non_recours_prime_activite_estime"),
    "ess": ("part_emplois_ess", "emplois_ess"),
    "entrepreneuriat": ("creations_etablissements", "taux_creation"),
}
DEFAULT_SEUILS = {
    "ecart_commune_points": 5.0,
    "evolution_points": 2.0,
    "evolution_relative_pct": 10.0,
}
SEUILS_COMMENTS = {
    "ecart_commune_points": "écart d'un quartier à l'ensemble des quartiers de sa commune, en points (taux et parts) "
    "au-delà duquel il est signalé",
    "evolution_points": "évolution d'un taux ou d'une part entre deux millésimes, en points, au-delà de laquelle "
    "elle est signalée",
    "evolution_relative_pct": "évolution d'un effectif ou d'un montant (€) entre deux millésimes, en % de la "
    "valeur précédente, au-delà de laquelle elle est signalée",
}


class TerritoireConfigError(ValueError):
    """A territory YAML that cannot be read or does not validate (message names the file, line and key)."""


@dataclass(frozen=True)
class Lieu:
    code: str
    nom: str


@dataclass(frozen=True)
class Predecesseur:
    code: str
    nom: str
    part: float | None  # share of the 2024 QPV's establishments that lie in this 2015 QPV (approximation)


@dataclass(frozen=True)
class Quartier:
    code: str
    nom: str
    commune: Lieu
    predecesseurs_2015: tuple[Predecesseur, ...] = ()


@dataclass(frozen=True)
class Quartier2015:
    code: str
    nom: str
    commune: Lieu | None


@dataclass
class TerritoireConfig:
    siren: str
    nom: str
    departement: Lieu | None
    quartiers: list[Quartier]
    quartiers_2015: list[Quartier2015]
    communes: list[Lieu]
    indicateurs: list[str]
    seuils: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SEUILS))
    genere_le: str = ""
    path: Path | None = field(default=None, compare=False)
    # French labels of the indicators, for the comments only (not part of the file's data)
    libelles: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def slug(self) -> str:
        return slugify(self.nom)

    @property
    def codes_2024(self) -> list[str]:
        return [q.code for q in self.quartiers]

    @property
    def codes_2015(self) -> list[str]:
        return [q.code for q in self.quartiers_2015]

    @property
    def codes(self) -> list[str]:
        """Every QPV of the observatory, both geographies (what render_all's `territoire` takes)."""
        return sorted({*self.codes_2024, *self.codes_2015})


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug or "territoire"


# --------------------------------------------------------------------------------------------------- writing


def _q(value: object) -> str:
    """A YAML scalar: JSON strings and numbers are valid YAML flow scalars (quotes and escapes included)."""
    if isinstance(value, float):
        return repr(round(value, 4))
    if isinstance(value, str) and PLAIN.match(value) and value.lower() not in YAML_WORDS:
        return value  # codes (QN05901M, taux_pauvrete_60) stay unquoted
    return json.dumps(value, ensure_ascii=False)


def _lieu(lieu: Lieu | None) -> str:
    return "null" if lieu is None else f"{{code: {_q(lieu.code)}, nom: {_q(lieu.nom)}}}"


def to_yaml(config: TerritoireConfig) -> str:
    """The file's text, commented in French; `load()` of it gives back an equal config."""
    lines = [
        f"# Observatoire des quartiers prioritaires — {config.nom} (EPCI {config.siren})",
        "# Généré par `qpv territoire init` ; modifiable à la main (indicateurs suivis, seuils d'attention).",
        f"# Produire le paquet : qpv territoire build territoires/{config.slug}.yaml --out DOSSIER",
        f"version: {FORMAT_VERSION}",
        f"genere_le: {_q(config.genere_le)}",
        "",
        "# L'EPCI (SIREN, nom tel que dans l'entrepôt) et son département",
        "epci:",
        f"  siren: {_q(config.siren)}",
        f"  nom: {_q(config.nom)}",
        f"  departement: {_lieu(config.departement)}",
        "",
        "# Quartiers prioritaires de la géographie 2024 rattachés à l'EPCI (par leur commune principale),",
        "# avec leurs prédécesseurs de la géographie 2015 : table de passage pondérée par les établissements",
        "# SIRENE (marts.passage_qpv2015_qpv2024), une approximation ; part = part des établissements du quartier",
        "# 2024 situés dans le quartier 2015.",
    ]
    if config.quartiers and not any(q.predecesseurs_2015 for q in config.quartiers):
        lines.append(
            "# Table de passage vide pour ces quartiers (pas d'établissements SIRENE localisés dans l'entrepôt)."
        )
    lines.append("quartiers:" + ("" if config.quartiers else " []"))
    for q in config.quartiers:
        lines += [
            f"  - code: {_q(q.code)}",
            f"    nom: {_q(q.nom)}",
            f"    commune: {_lieu(q.commune)}",
            "    predecesseurs_2015:" + ("" if q.predecesseurs_2015 else " []"),
        ]
        lines += [
            f"      - {{code: {_q(p.code)}, nom: {_q(p.nom)}, part: {'null' if p.part is None else _q(p.part)}}}"
            for p in q.predecesseurs_2015
        ]
    lines += [
        "",
        "# Quartiers de la géographie 2015 suivis (indicateurs publiés dans cette géographie : pauvreté, revenus,",
        "# CAF, non-recours) : ceux rattachés à l'EPCI et les prédécesseurs ci-dessus.",
        "quartiers_2015:" + ("" if config.quartiers_2015 else " []"),
    ]
    lines += [
        f"  - {{code: {_q(q.code)}, nom: {_q(q.nom)}, commune: {_lieu(q.commune)}}}"
        for q in config.quartiers_2015
    ]
    lines += [
        "",
        "# Territoires de référence : les quartiers de chaque commune, de l'EPCI, du département et l'ensemble des",
        "# quartiers prioritaires de France (agrégats de marts.indicateurs_territoire, jamais une moyenne de taux).",
        "references:",
        "  communes:" + ("" if config.communes else " []"),
        *(f"    - {_lieu(c)}" for c in config.communes),
        "  epci: true",
        "  departement: true",
        "  france_ensemble_qpv: true",
        "",
        "# Indicateurs suivis (codes de marts.ref_indicateurs ; libellé en commentaire). Retirer ou ajouter des",
        '# lignes ; `qpv sql "select code, libelle from marts.ref_indicateurs"` liste les codes.',
        "indicateurs:" + ("" if config.indicateurs else " []"),
    ]
    for code in config.indicateurs:
        label = config.libelles.get(code)
        lines.append(f"  - {_q(code)}" + (f"  # {label}" if label else ""))
    lines += [
        "",
        "# Seuils d'attention de la synthèse (ce qui a bougé depuis le millésime précédent)",
        "seuils:",
    ]
    for key, value in config.seuils.items():
        lines.append(f"  # {SEUILS_COMMENTS.get(key, key)}")
        lines.append(f"  {key}: {_q(float(value))}")
    return "\n".join(lines) + "\n"


def write(config: TerritoireConfig, directory: str | Path) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{config.slug}.yaml"
    path.write_text(to_yaml(config), encoding="utf-8")
    config.path = path
    return path


# --------------------------------------------------------------------------------------------------- reading


def _lines(node: yaml.Node, prefix: tuple = ()) -> dict[tuple, int]:
    """Line (1-based) of every key and list item of a composed YAML document, by path."""
    found = {prefix: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, key.value)
            found[path] = key.start_mark.line + 1
            for sub, line in _lines(value, path).items():
                found.setdefault(sub, line)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            for sub, line in _lines(item, (*prefix, i)).items():
                found.setdefault(sub, line)
    return found


class _Reader:
    def __init__(self, path: Path, lines: dict[tuple, int]):
        self.path, self.lines = path, lines

    def fail(self, key_path: tuple, message: str, line_path: tuple | None = None) -> None:
        probe = key_path if line_path is None else line_path
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe, 1)
        key = ".".join(str(k) if not isinstance(k, int) else f"[{k}]" for k in key_path).replace(".[", "[")
        raise TerritoireConfigError(f"{self.path}, ligne {line}, clé {key or '(racine)'} : {message}")

    def get(self, data: dict, key_path: tuple, kind: type | tuple, required: bool = True):
        node = data
        for key in key_path:
            if isinstance(key, int):
                node = node[key]  # list items are reached by enumerating a list read with get()
                continue
            if not isinstance(node, dict):
                self.fail(key_path[: key_path.index(key)], "attendu une table (clé: valeur)")
            if key not in node:
                if required:
                    self.fail(key_path, "clé obligatoire absente", line_path=key_path[: key_path.index(key)])
                return None
            node = node[key]
        if node is None and not required:
            return None
        if not isinstance(node, kind) or (kind is not bool and isinstance(node, bool)):
            names = {
                str: "un texte",
                dict: "une table (clé: valeur)",
                list: "une liste",
                bool: "true ou false",
            }
            expected = names.get(kind, "un nombre") if isinstance(kind, type) else "un nombre"
            self.fail(key_path, f"attendu {expected}, trouvé {node!r}")
        return node

    def code(self, data: dict, key_path: tuple, pattern: re.Pattern, what: str) -> str:
        value = self.get(data, key_path, (str, int))
        value = str(value)
        if not pattern.match(value):
            self.fail(key_path, f"{what} mal formé : {value!r}")
        return value

    def lieu(self, data: dict, key_path: tuple, pattern: re.Pattern, what: str, required: bool = True):
        node = self.get(data, key_path, dict, required=required)
        if node is None:
            return None
        return Lieu(
            self.code(data, (*key_path, "code"), pattern, what),
            self.get(data, (*key_path, "nom"), str),
        )


KNOWN_KEYS = {
    "version",
    "genere_le",
    "epci",
    "quartiers",
    "quartiers_2015",
    "references",
    "indicateurs",
    "seuils",
}


def load(path: str | Path) -> TerritoireConfig:
    """Read and validate a territory YAML; every error names the file, the line and the key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TerritoireConfigError(f"{path} : fichier introuvable") from None
    except UnicodeDecodeError as exc:
        raise TerritoireConfigError(f"{path} : le fichier n'est pas en UTF-8 ({exc.reason})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f", ligne {mark.line + 1}, colonne {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TerritoireConfigError(f"{path}{where} : YAML invalide ({problem})") from None
    reader = _Reader(path, _lines(node) if node is not None else {})
    if not isinstance(data, dict):
        reader.fail((), "le fichier doit être une table YAML (epci, quartiers, indicateurs, seuils…)")
    unknown = sorted(set(map(str, data)) - KNOWN_KEYS)
    if unknown:
        reader.fail((unknown[0],), f"clé inconnue (clés admises : {', '.join(sorted(KNOWN_KEYS))})")
    version = reader.get(data, ("version",), int)
    if version != FORMAT_VERSION:
        reader.fail(("version",), f"version {version} non prise en charge (attendu {FORMAT_VERSION})")
    genere_le = reader.get(data, ("genere_le",), str, required=False) or ""
    siren = reader.code(data, ("epci", "siren"), SIREN, "SIREN (9 chiffres)")
    nom = reader.get(data, ("epci", "nom"), str)
    if not nom.strip():
        reader.fail(("epci", "nom"), "nom vide")
    departement = reader.lieu(data, ("epci", "departement"), re.compile(r"^[0-9][0-9AB]{1,2}$"), "code département",
                              required=False)  # fmt: skip

    quartiers = []
    for i, _ in enumerate(reader.get(data, ("quartiers",), list)):
        base = ("quartiers", i)
        preds = []
        for j, _ in enumerate(reader.get(data, (*base, "predecesseurs_2015"), list, required=False) or []):
            pbase = (*base, "predecesseurs_2015", j)
            part = reader.get(data, (*pbase, "part"), (int, float), required=False)
            if part is not None and not 0 <= part <= 1:
                reader.fail((*pbase, "part"), f"part attendue entre 0 et 1, trouvé {part!r}")
            preds.append(
                Predecesseur(
                    reader.code(data, (*pbase, "code"), QPV_CODE, "code QPV"),
                    reader.get(data, (*pbase, "nom"), str),
                    None if part is None else float(part),
                )
            )
        quartiers.append(
            Quartier(
                reader.code(data, (*base, "code"), QPV_CODE, "code QPV"),
                reader.get(data, (*base, "nom"), str),
                reader.lieu(data, (*base, "commune"), COMMUNE_CODE, "code commune"),
                tuple(preds),
            )
        )
    if not quartiers:
        reader.fail(("quartiers",), "aucun quartier : l'observatoire doit en suivre au moins un")
    seen: set[str] = set()
    for i, q in enumerate(quartiers):
        if q.code in seen:
            reader.fail(("quartiers", i, "code"), f"quartier en double : {q.code}")
        seen.add(q.code)

    quartiers_2015 = []
    for i, _ in enumerate(reader.get(data, ("quartiers_2015",), list, required=False) or []):
        base = ("quartiers_2015", i)
        quartiers_2015.append(
            Quartier2015(
                reader.code(data, (*base, "code"), QPV_CODE, "code QPV"),
                reader.get(data, (*base, "nom"), str),
                reader.lieu(data, (*base, "commune"), COMMUNE_CODE, "code commune", required=False),
            )
        )
    communes = [
        reader.lieu(data, ("references", "communes", i), COMMUNE_CODE, "code commune")
        for i, _ in enumerate(reader.get(data, ("references", "communes"), list, required=False) or [])
    ]
    for key in ("epci", "departement", "france_ensemble_qpv"):
        reader.get(data, ("references", key), bool, required=False)

    indicateurs = []
    for i, code in enumerate(reader.get(data, ("indicateurs",), list)):
        if not isinstance(code, str) or not re.match(r"^[a-z0-9_]+$", code):
            reader.fail(
                ("indicateurs", i), f"code d'indicateur attendu (ex. taux_pauvrete_60), trouvé {code!r}"
            )
        if code in indicateurs:
            reader.fail(("indicateurs", i), f"indicateur en double : {code}")
        indicateurs.append(code)
    if not indicateurs:
        reader.fail(("indicateurs",), "aucun indicateur suivi")

    seuils = dict(DEFAULT_SEUILS)
    given = reader.get(data, ("seuils",), dict, required=False) or {}
    for key in given:
        if key not in DEFAULT_SEUILS:
            reader.fail(("seuils", key), f"seuil inconnu (seuils admis : {', '.join(DEFAULT_SEUILS)})")
        value = reader.get(data, ("seuils", key), (int, float))
        if value < 0:
            reader.fail(("seuils", key), f"seuil négatif : {value}")
        seuils[key] = float(value)
    return TerritoireConfig(
        siren=siren,
        nom=nom,
        departement=departement,
        quartiers=quartiers,
        quartiers_2015=quartiers_2015,
        communes=communes,
        indicateurs=indicateurs,
        seuils=seuils,
        genere_le=genere_le,
        path=path,
    )


# ------------------------------------------------------------------------------------------ from the warehouse


class EpciInconnu(TerritoireConfigError):
    """The SIREN has no QPV in the warehouse (message lists near matches)."""


_EPCI_CONNUS = """
    select code_epci, any_value(lib_epci) as lib_epci, count(distinct code_qp) as nb_qpv
    from marts.qpv_perimetres
    where code_epci is not null
    group by code_epci
    union all
    select code_territoire, any_value(lib_territoire), max(nb_qpv)
    from marts.indicateurs_territoire
    where type_territoire = 'epci' and code_territoire not in (
        select code_epci from marts.qpv_perimetres where code_epci is not null
    )
    group by code_territoire
    order by 1
"""


def _near(siren: str, nom: str | None, known: list[tuple]) -> list[tuple]:
    """Known EPCI closest to the SIREN given (digits) or to the name given (--nom)."""
    by_code = difflib.get_close_matches(siren, [k[0] for k in known], n=5, cutoff=0.6)
    picked = [k for code in by_code for k in known if k[0] == code]
    if nom:
        names = {slugify(str(k[1] or "")): k for k in known}
        for name in difflib.get_close_matches(slugify(nom), list(names), n=5, cutoff=0.5):
            if names[name] not in picked:
                picked.append(names[name])
        words = [w for w in slugify(nom).split("-") if len(w) > 3]
        picked += [k for k in known if k not in picked and any(w in slugify(str(k[1] or "")) for w in words)][
            :5
        ]
    return picked[:8]


def libelles(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("select code, libelle from marts.ref_indicateurs").fetchall())


def default_indicateurs(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select code, theme, agregation from marts.ref_indicateurs order by theme, code"
    ).fetchall()
    known = {code for code, _, _ in rows}
    chosen: list[str] = []
    for theme, preferred in DEFAULT_INDICATEURS.items():
        picked = [code for code in preferred if code in known]
        if not picked:
            picked = [code for code, t, agregation in rows if t == theme and agregation == "ratio"][:2]
        chosen += picked
    themes = {t for _, t, _ in rows}
    for theme in sorted(themes - set(DEFAULT_INDICATEURS)):  # a theme added later still gets followed
        chosen += [code for code, t, agregation in rows if t == theme and agregation == "ratio"][:2]
    return chosen


def from_warehouse(con: duckdb.DuckDBPyConnection, siren: str, nom: str | None = None) -> TerritoireConfig:
    """The observatory of an EPCI from the marts; raises EpciInconnu (with near matches) when the SIREN has no
    QPV in the warehouse."""
    siren = (siren or "").strip()
    known = con.execute(_EPCI_CONNUS).fetchall()
    if not SIREN.match(siren) or siren not in {k[0] for k in known}:
        near = _near(siren, nom, known)
        what = (
            "SIREN mal formé (9 chiffres attendus)"
            if not SIREN.match(siren)
            else "aucun quartier prioritaire rattaché à ce SIREN dans l'entrepôt"
        )
        hint = (
            " ; EPCI proches : " + ", ".join(f"{k[0]} {k[1]} ({k[2]} QPV)" for k in near)
            if near
            else f" ; {len(known)} EPCI connus dans l'entrepôt (colonne code_epci de marts.qpv_perimetres)"
        )
        raise EpciInconnu(f"EPCI {siren!r} : {what}{hint}")

    qpv2024 = con.execute(
        """
        with rattaches as (
            select code_qp from marts.qpv_perimetres where code_epci = ?
            union
            select code_qp from marts.ecarts_qpv
            where geographie = 'qpv2024' and type_reference = 'epci' and code_reference = ?
        ),
        noms as (
            select code_qp, any_value(lib_qp) as lib_qp from marts.indicateurs_qpv
            where geographie = 'qpv2024' group by code_qp
        ),
        communes as (
            select code_qp, code_reference as code_commune, any_value(lib_reference) as lib_commune
            from marts.ecarts_qpv where geographie = 'qpv2024' and type_reference = 'commune'
            group by all
        )
        select r.code_qp, coalesce(p.lib_qp, n.lib_qp, r.code_qp),
               coalesce(p.code_commune, c.code_commune), coalesce(p.lib_commune, c.lib_commune),
               p.code_departement, p.lib_departement, p.lib_epci
        from rattaches r
        left join marts.qpv_perimetres p using (code_qp)
        left join noms n using (code_qp)
        left join communes c using (code_qp)
        order by r.code_qp
        """,
        [siren, siren],
    ).fetchall()
    codes_2024 = [r[0] for r in qpv2024]
    passage = con.execute(
        """
        select code_qp2024, code_qp2015, lib_qp2015, part_etablissements_qp2024
        from marts.passage_qpv2015_qpv2024
        where list_contains(?::varchar[], code_qp2024)
          and millesime = (select max(millesime) from marts.passage_qpv2015_qpv2024)
          and part_etablissements_qp2024 > 0
        order by code_qp2024, part_etablissements_qp2024 desc, code_qp2015
        """,
        [codes_2024],
    ).fetchall()
    predecesseurs: dict[str, list[Predecesseur]] = {}
    for code24, code15, lib15, part in passage:
        predecesseurs.setdefault(code24, []).append(
            Predecesseur(code15, lib15 or code15, None if part is None else round(float(part), 4))
        )
    codes_pred = sorted({p.code for preds in predecesseurs.values() for p in preds})
    qpv2015 = con.execute(
        """
        with rattaches as (
            select distinct code_qp from marts.ecarts_qpv
            where geographie = 'qpv2015' and type_reference = 'epci' and code_reference = ?
            union
            select unnest(?::varchar[])
        ),
        noms as (
            select code_qp, any_value(lib_qp) as lib_qp from marts.indicateurs_qpv
            where geographie = 'qpv2015' group by code_qp
        ),
        communes as (
            select code_qp, any_value(code_reference) as code_commune, any_value(lib_reference) as lib_commune
            from marts.ecarts_qpv where geographie = 'qpv2015' and type_reference = 'commune'
            group by code_qp
        )
        select r.code_qp, coalesce(n.lib_qp, r.code_qp), c.code_commune, c.lib_commune
        from rattaches r left join noms n using (code_qp) left join communes c using (code_qp)
        order by r.code_qp
        """,
        [siren, codes_pred],
    ).fetchall()
    lib_epci = next((r[6] for r in qpv2024 if r[6]), None) or next(
        (k[1] for k in known if k[0] == siren and k[1]), siren
    )
    departement = next((Lieu(r[4], r[5] or r[4]) for r in qpv2024 if r[4]), None)
    if departement is None:
        row = con.execute(
            """
            select t.code_territoire, any_value(t.lib_territoire) from marts.indicateurs_territoire t
            where t.type_territoire = 'departement' and t.code_territoire = (
                select any_value(code_reference) from marts.ecarts_qpv
                where type_reference = 'commune' and code_qp in (
                    select code_qp from marts.ecarts_qpv where type_reference = 'epci' and code_reference = ?
                )
            )
            group by 1
            """,
            [siren],
        ).fetchone()
        departement = Lieu(row[0], row[1]) if row else None
    quartiers = [
        Quartier(
            code=code,
            nom=str(lib),
            commune=Lieu(str(cc), str(lc or cc)) if cc else Lieu("00000", "commune inconnue"),
            predecesseurs_2015=tuple(predecesseurs.get(code, ())),
        )
        for code, lib, cc, lc, *_ in qpv2024
    ]
    quartiers_2015 = [
        Quartier2015(code, str(lib), Lieu(str(cc), str(lc or cc)) if cc else None)
        for code, lib, cc, lc in qpv2015
    ]
    communes = {q.commune.code: q.commune for q in quartiers if q.commune.code != "00000"}
    for q in quartiers_2015:
        if q.commune is not None:
            communes.setdefault(q.commune.code, q.commune)
    labels = libelles(con)
    return TerritoireConfig(
        siren=siren,
        nom=nom or str(lib_epci),
        departement=departement,
        quartiers=quartiers,
        quartiers_2015=quartiers_2015,
        communes=sorted(communes.values(), key=lambda c: c.code),
        indicateurs=default_indicateurs(con),
        seuils=dict(DEFAULT_SEUILS),
        genere_le=dt.date.today().isoformat(),
        libelles=labels,
    )


def check_against_warehouse(con: duckdb.DuckDBPyConnection, config: TerritoireConfig) -> list[str]:
    """Errors (file, line, key) for indicator codes absent from the dictionary and QPV codes absent from the
    warehouse; returns warnings (none today) — raises TerritoireConfigError on the first error."""
    path = config.path or Path("territoire.yaml")
    text = path.read_text(encoding="utf-8") if config.path else ""
    lines = _lines(yaml.compose(text, Loader=yaml.SafeLoader)) if text else {}
    reader = _Reader(path, lines)
    known = set(libelles(con))
    for i, code in enumerate(config.indicateurs):
        if code not in known:
            near = difflib.get_close_matches(code, sorted(known), n=3)
            hint = f" ; proches : {', '.join(near)}" if near else ""
            reader.fail(("indicateurs", i), f"indicateur inconnu de marts.ref_indicateurs : {code!r}{hint}")
    present = {
        r[0]
        for r in con.execute(
            "select distinct code_qp from marts.indicateurs_qpv where list_contains(?::varchar[], code_qp) "
            "union select code_qp from marts.qpv_perimetres where list_contains(?::varchar[], code_qp)",
            [config.codes, config.codes],
        ).fetchall()
    }
    for i, q in enumerate(config.quartiers):
        if q.code not in present:
            reader.fail(("quartiers", i, "code"), f"quartier inconnu de l'entrepôt : {q.code}")
    for i, q in enumerate(config.quartiers_2015):
        if q.code not in present:
            reader.fail(("quartiers_2015", i, "code"), f"quartier inconnu de l'entrepôt : {q.code}")
    return []
