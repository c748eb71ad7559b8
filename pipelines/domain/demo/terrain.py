"""Synthetic terrain observations of the demo: `terrain/permanences_2025.csv` and `terrain/ateliers_2025.xlsx`.

Written from the template of `qpv terrain template` (French headers, `;` CSV with its notice lines, XLSX with its
notice sheet and the example row, which the import skips). The observations concern a few 2024 QPV of the demo
territory, on the three terrains, over both semesters of 2025, with counts chosen so that some aggregates pass the
disclosure thresholds and others do not. A few rows must be refused by the anonymisation gate: their summaries
hold a planted e-mail address, phone number, personal name or street address (PLANTED, invented values).
Deterministic: same seed, same bytes.
"""

from __future__ import annotations

import csv
import io
import random

from pipelines.domain import terrain as t
from pipelines.domain.demo.territory import Territory

CSV_FILE = f"{t.FOLDER}/permanences_2025.csv"
XLSX_FILE = f"{t.FOLDER}/ateliers_2025.xlsx"

# Invented personal data planted in summaries that must be refused (kind -> text).
PLANTED = {
    "courriel": "Contact de la famille : sabrina.lefort@exemple.fr pour le suivi.",
    "telephone": "La personne peut être rappelée au 06 12 34 56 78 en fin de journée.",
    "nom": "Karim Benhaddou a expliqué qu'il ne demandait plus la prime d'activité.",
    "adresse": "Réunion chez une habitante au 14 rue des Glycines pour organiser la garde.",
}

SUMMARIES = {
    ("non_recours", "droit_non_demande"): (
        "Plusieurs allocataires potentiels ne demandent pas la prestation par crainte d'un indu à rembourser.",
        "Des ménages renoncent à la demande après un premier refus, sans recours.",
    ),
    ("non_recours", "non_connaissance"): (
        "Les familles arrivées récemment ne connaissent pas leurs droits ; l'information circule mal.",
        "Méconnaissance de la complémentaire santé solidaire chez les retraités du quartier.",
    ),
    ("non_recours", "strategie_evitement_couts"): (
        "Des mères isolées évitent les frais de cantine en gardant les enfants à midi.",
        "Les habitants renoncent aux soins dentaires faute de complémentaire.",
    ),
    ("non_recours", "renoncement_demarches_numeriques"): (
        "Abandon des démarches en ligne faute d'équipement ; la permanence numérique est saturée.",
    ),
    ("economie_informelle", "activite_informelle"): (
        "Vente de repas préparés à domicile lors des fêtes du quartier, sans déclaration.",
        "Petits travaux de réparation rémunérés entre voisins, le samedi.",
    ),
    ("economie_informelle", "entraide"): (
        "Les habitantes organisent de l'entraide pour la garde des enfants le mercredi au centre social.",
        "Covoiturage solidaire vers la zone d'activité pour les horaires décalés.",
    ),
    ("economie_informelle", "troc_echange"): ("Échanges de vêtements d'enfants et de services de couture.",),
    ("entrepreneuriat", "formalisation_projet"): (
        "Trois jeunes veulent formaliser un projet de food-truck et cherchent un accompagnement.",
        "Une couturière souhaite passer en micro-entreprise pour vendre au marché.",
    ),
    ("entrepreneuriat", "difficulte_financement"): (
        "Les porteurs de projet n'obtiennent pas de prêt bancaire ; le microcrédit est mal connu.",
    ),
    ("entrepreneuriat", "besoin_accompagnement"): (
        "Demandes d'aide pour les déclarations trimestrielles des auto-entrepreneurs.",
    ),
}
PRECISIONS = {
    "droit_non_demande": ("prime_activite", "rsa", "c2s"),
    "activite_informelle": ("restauration", "batiment", "commerce"),
    "formalisation_projet": ("restauration", "couture_artisanat", "commerce"),
}
STRUCTURES = (
    "Centre social des Tisserands",
    "Association Parole de femmes",
    "Maison France Services du quartier",
    "Régie de quartier",
)


def _observations(territory: Territory, rng: random.Random, count: int, start_id: int) -> list[dict]:
    qpv = [q.code for q in territory.qpv2024][:4]
    rows = []
    keys = list(SUMMARIES)
    for i in range(count):
        # the first QPV gets most observations (aggregates above the thresholds); the others a few (secret)
        code = qpv[0] if i % 3 else qpv[1 + i % len(qpv[1:])]
        terrain, categorie = keys[i % len(keys)]
        month = 1 + (i * 5) % 12
        rows.append(
            {
                "date_observation": f"2025-{month:02d}-{1 + (i * 7) % 28:02d}",
                "code_qp": code,
                "terrain": terrain,
                "categorie": categorie,
                "precision": PRECISIONS.get(categorie, (None,))[i % len(PRECISIONS.get(categorie, (None,)))],
                "nombre_concernes": rng.randint(2, 9),
                "type_source": ("permanence", "entretien", "groupe_de_travail", "atelier")[i % 4],
                "structure": STRUCTURES[i % len(STRUCTURES)],
                "resume": SUMMARIES[(terrain, categorie)][i % len(SUMMARIES[(terrain, categorie)])],
                "identifiant": f"OBS-{start_id + i:04d}",
            }
        )
    return rows


def _refused(rows: list[dict], kinds: tuple[str, ...], positions: tuple[int, ...]) -> None:
    for kind, position in zip(kinds, positions, strict=True):
        rows[position] = rows[position] | {"resume": PLANTED[kind]}


def _csv_bytes(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    for line in t.notice_lines():
        buffer.write(f"# {line}\n")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(t.HEADERS.values())
    writer.writerow([t.EXAMPLE_ROW[c] for c in t.HEADERS])
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in t.HEADERS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def terrain_files(territory: Territory, seed: int) -> tuple[dict[str, bytes], dict]:
    """The two observation files and their truth: rows written, and the refused ones (file, line, kind)."""
    rng = random.Random(seed * 7 + 11)
    csv_rows = _observations(territory, rng, 60, 1)
    _refused(csv_rows, ("courriel", "telephone"), (7, 21))
    xlsx_rows = _observations(territory, rng, 40, 101)
    _refused(xlsx_rows, ("nom", "adresse"), (4, 17))
    notice = len(t.notice_lines())
    refused = [
        {"fichier": CSV_FILE, "ligne": notice + 3 + 7, "type": "courriel"},
        {"fichier": CSV_FILE, "ligne": notice + 3 + 21, "type": "telephone"},
        {"fichier": XLSX_FILE, "ligne": 3 + 4, "type": "nom"},
        {"fichier": XLSX_FILE, "ligne": 3 + 17, "type": "adresse"},
    ]
    files = {
        CSV_FILE: _csv_bytes(csv_rows),
        XLSX_FILE: t.xlsx_bytes([t.EXAMPLE_ROW, *xlsx_rows]),
    }
    truth = {"observations": len(csv_rows) + len(xlsx_rows), "refusees": refused}
    return files, truth
