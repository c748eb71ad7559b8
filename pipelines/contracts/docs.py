"""The documentation pages of the datasets (Markdown, in French), generated from the data contracts.

`qpv contracts docs --out docs/donnees` writes one page per source of the registry and an index. The pages are
committed; a test regenerates them and compares, so they cannot drift from the contracts (edit the contract,
then rerun the command).
"""

from __future__ import annotations

from pathlib import Path

from pipelines.contracts.model import Column, Contract
from pipelines.contracts.registry import Source

INDEX = "README.md"

_TYPES = {"string": "texte", "number": "nombre", "integer": "entier", "geometry": "géométrie"}
_BLANKS = {
    "secret": "secret statistique (valeur non diffusée, jamais un zéro)",
    "absent": "valeur non produite (absente)",
    "interdit": "aucune case vide permise",
}
_HEADER = "<!-- Généré par `qpv contracts docs` depuis data_contracts/ : ne pas modifier à la main. -->\n\n"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}".replace(".", ",")


def _range(col: Column) -> str:
    parts = []
    if col.minimum is not None and col.maximum is not None:
        parts.append(f"[{_number(col.minimum)} ; {_number(col.maximum)}]")
    elif col.minimum is not None:
        parts.append(f"≥ {_number(col.minimum)}")
    elif col.maximum is not None:
        parts.append(f"≤ {_number(col.maximum)}")
    if col.allowed_values is not None:
        parts.append("valeurs : " + ", ".join(f"`{v}`" for v in col.allowed_values))
    if col.pattern:
        parts.append(f"motif `{col.pattern}`")
    return " ; ".join(parts)


def _blank(col: Column) -> str:
    if not col.nullable:
        return "non (obligatoire)"
    return f"oui : {_BLANKS.get(col.blank, col.blank)}"


def _enforcement(col: Column) -> str:
    notes = []
    if col.severity == "warn":
        notes.append("avertissement seulement")
    if getattr(col, "on_fail", "stop") == "quarantine":
        notes.append("ligne mise en quarantaine")
    if col.required:
        notes.append(
            "présente dans chaque édition déclarée, sinon fichier retenu"
            if col.editions
            else "présente dans chaque édition, sinon fichier retenu"
        )
    return ", ".join(notes)


def _rules(contract: Contract) -> list[str]:
    rules = []
    if contract.key:
        rules.append(f"Clé : ({', '.join(contract.key)}) unique au sein d'une édition.")
    if contract.row_count_min is not None or contract.row_count_max is not None:
        rules.append(
            f"Nombre de lignes par édition entre {contract.row_count_min} et {contract.row_count_max}."
        )
    for rule in contract.compare_rules:
        text = f"`{rule.left} {rule.operator} {rule.right}` sur chaque ligne où les deux sont renseignés"
        rules.append(text + (f" ({rule.description})." if rule.description else "."))
    for rule in getattr(contract, "sum_rules", ()):
        rules.append(f"Somme : `{rule.label}`" + (f" ({rule.description})." if rule.description else "."))
    for ref in getattr(contract, "references", ()):
        rules.append(
            f"Intégrité référentielle : chaque valeur de `{ref.column}` existe dans "
            f"`raw.{ref.dataset}.{ref.referenced_column}`"
            + (f" ({ref.description})" if ref.description else "")
            + (" — avertissement seulement." if ref.severity == "warn" else ".")
        )
    for box in getattr(contract, "bounding_boxes", ()):
        names = ", ".join(b.name for b in box.boxes)
        rules.append(
            f"Coordonnées (`{box.longitude}`, `{box.latitude}`) dans l'une des zones {names}"
            + (f" ({box.description})" if box.description else "")
            + " ; sinon la ligne est mise en quarantaine."
        )
    for rule in getattr(contract, "geometry_types", ()):
        rules.append(
            f"Géométrie `{rule.column}` présente, non vide et de type {' ou '.join(f'`{t}`' for t in rule.types)}"
            + (f" ({rule.description})" if rule.description else "")
            + " — bloquant : le fichier est refusé au chargement."
        )
    for rule in getattr(contract, "geometry_boxes", ()):
        zones = "; ".join(
            f"{b.name} : longitude [{_number(b.longitude[0])} ; {_number(b.longitude[1])}], latitude "
            f"[{_number(b.latitude[0])} ; {_number(b.latitude[1])}]"
            + (f", `{rule.by}` ~ `{b.codes}`" if rule.by and b.codes else "")
            for b in rule.boxes
        )
        rules.append(
            f"Emprise de `{rule.geometry}` (ST_XMin, ST_XMax, ST_YMin, ST_YMax) dans l'une des zones"
            + (f" de son `{rule.by}`" if rule.by else "")
            + f" ({zones})"
            + (f" ({rule.description})" if rule.description else "")
            + " — bloquant : le fichier est refusé au chargement."
        )
    for column, values in contract.exclude_from_rules.items():
        rules.append(
            f"Lignes exclues des règles de colonnes : `{column}` ∈ {', '.join(f'`{v}`' for v in values)}"
            " (conservées dans la table brute)."
        )
    if contract.null_values:
        rules.append(
            "Marqueurs lus comme une case vide : " + ", ".join(f"`{v}`" for v in contract.null_values) + "."
        )
    rules.append(
        "Colonne du contrat absente d'un fichier : vide pour cette édition (notée dans les métadonnées), sauf si "
        "elle est obligatoire pour une édition où le contrat la déclare (colonne « Éditions ») : le fichier est "
        "alors retenu et l'édition garde sa dernière version publiée."
    )
    rules.append(
        "Colonne inconnue dans un fichier : "
        + (
            "non chargée, nommée dans un avertissement, le rapport du run et les Data Docs ; avec `qpv run "
            "--strict`, erreur (dérive de schéma, le run s'arrête en nommant les colonnes nouvelles et absentes)."
            if contract.unknown_columns == "reject"
            else "non chargée, nommée dans un avertissement, le rapport du run et les Data Docs."
        )
    )
    return rules


def render_page(source: Source, contract: Contract) -> str:
    lines = [
        _HEADER + f"# {contract.title}",
        "",
        contract.description,
        "",
        "| | |",
        "|---|---|",
        f"| Table brute | `raw.{source.name}` |",
        f"| Contrat | `data_contracts/{source.contract}` (version {contract.version}) |",
        f"| Producteur | {_cell(contract.producer)} |",
        f"| Licence | {_cell(contract.license)} |",
        f"| Adresse officielle | {_cell(contract.official_url or source.official_url)} |",
        f"| Rythme de publication | {_cell(contract.cadence) or '—'} |",
        f"| Fraîcheur attendue | {_cell(contract.freshness) or '—'} |",
        f"| Fichiers | `{source.folder}/` motif `{_cell(source.file_pattern)}` |",
        f"| Géographie | {source.geographie} |",
        "",
        "## Colonnes",
        "",
        "| Colonne | Autres noms (éditions) | Éditions | Type | Unité | Description | Case vide permise ? | "
        "Bornes / valeurs | Clé | Contrôle |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for col in contract.columns:
        lines.append(
            "| "
            + " | ".join(
                [
                    f"`{col.name}`",
                    ", ".join(f"`{a}`" for a in col.aliases),
                    col.editions_label or "toutes",
                    _TYPES.get(col.logical_type, col.logical_type),
                    _cell(col.unit or ""),
                    _cell(col.description),
                    _blank(col),
                    _cell(_range(col)),
                    "oui" if col.name in contract.key else "",
                    _enforcement(col),
                ]
            )
            + " |"
        )
    lines += ["", "## Règles du jeu de données", ""]
    lines += [f"- {rule}" for rule in _rules(contract)]
    lines += [
        "",
        "Vérifier un fichier avant de le livrer : "
        f"`qpv contracts check FICHIER --dataset {source.name}` ; "
        f"comparer ses colonnes au contrat : `qpv contracts diff FICHIER --dataset {source.name}`.",
        "",
    ]
    return "\n".join(lines)


def render_index(sources: list[Source]) -> str:
    lines = [
        _HEADER + "# Jeux de données de l'observatoire",
        "",
        "Une page par jeu de données, générée depuis son contrat (`data_contracts/`), seule source de vérité : "
        "les suites Great Expectations et ces pages en sont dérivées.",
        "",
        "| Jeu de données | Titre | Producteur | Version du contrat |",
        "|---|---|---|---|",
    ]
    for source in sorted(sources, key=lambda s: s.name):
        contract = source.load_contract()
        lines.append(
            f"| [`{source.name}`]({source.name}.md) | {_cell(contract.title)} | {_cell(contract.producer)} | "
            f"{contract.version} |"
        )
    lines.append("")
    return "\n".join(lines)


def generate(sources: list[Source]) -> dict[str, str]:
    """File name -> Markdown text, for every source and the index."""
    pages = {f"{s.name}.md": render_page(s, s.load_contract()) for s in sources}
    pages[INDEX] = render_index(sources)
    return pages


def write(out_dir: str | Path, sources: list[Source]) -> list[Path]:
    """Write the pages; Markdown pages of datasets no longer in the registry are removed."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pages = generate(sources)
    for stale in out.glob("*.md"):
        if stale.name not in pages:
            stale.unlink()
    written = []
    for name, text in sorted(pages.items()):
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
