"""The hardening cases (issue 26): every attack tried as an attacker or a careless user would, the test that runs it and
what the project does. The README's second table is generated from HARDENING (`python -m tests.corpus.hardening`
rewrites it); `tests/test_hardening_table.py` checks the table is verbatim and that every test named here exists
(and, for a parametrized case, that its parameter is in the test file), so the table cannot claim a test that is not
there.

Outcomes: `refusé` (the input is refused with one line naming the file, line and column, the rule or the statement;
nothing is published from it), `neutralisé` (the output is written harmless: text cells as text, markup escaped),
`protégé` (the guard holds: no data lost, no value recovered)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).with_name("README.md")
START = "<!-- hardening:start -->\n"
END = "<!-- hardening:end -->\n"


@dataclass(frozen=True)
class Attack:
    area: str
    attack: str
    outcome: str  # refusé | neutralisé | protégé
    test: str  # tests/<file>.py::<function>[<parameter substring>]
    behaviour: str


SQL = "`qpv sql` et entrepôt publié"
FILES = "fichiers sources"
TERRAIN = "observations de terrain"
OUTPUTS = "sorties"
SECRET = "secret statistique"

READONLY = "tests/test_sql_readonly.py::test_nothing_typed_changes_the_warehouse_or_its_versions"
PERIMETERS = "tests/test_perimetres_contrat.py::test_bad_geometry_refuses_the_file"
XML = "tests/test_spreadsheet_xml.py::test_entity_declarations_are_refused_before_parsing"
SAFETY = "tests/test_outputs_safety.py::"

HARDENING: tuple[Attack, ...] = (
    Attack(SQL, "`COPY (…) TO '<entrepôt publié>'` (écrasement du fichier publié et de sa version gardée)", "refusé",
           f"{READONLY}[COPY]", "instruction COPY refusée ; fichier publié et versions identiques octet pour octet"),
    Attack(SQL, "`SET memory_limit='10GB'`", "refusé", f"{READONLY}[memory_limit]",
           "instruction SET refusée ; réglages verrouillés (lock_configuration)"),
    Attack(SQL, "deux instructions en un appel (`select 1; drop table …`)", "refusé", f"{READONLY}[drop table]",
           "une seule requête par appel"),
    Attack(SQL, "`ATTACH` d'un autre fichier", "refusé", f"{READONLY}[attach]", "instruction ATTACH refusée"),
    Attack(SQL, "`read_csv('/etc/passwd')`", "refusé", f"{READONLY}[/etc/passwd]",
           "accès aux fichiers et au réseau interdit (enable_external_access = false)"),
    Attack(SQL, "`EXPORT DATABASE`", "refusé", f"{READONLY}[export database]", "instruction refusée"),
    Attack(SQL, "`CALL`", "refusé", f"{READONLY}[call pragma_version]", "instruction CALL refusée"),
    Attack(SQL, "`select …; set enable_external_access = true`", "refusé", f"{READONLY}[enable_external_access]",
           "une seule requête par appel"),
    Attack(SQL, "requête sans fin", "refusé", "tests/test_sql_readonly.py::test_a_query_that_runs_too_long_is_interrupted",
           "interrompue au bout de --timeout (60 s par défaut)"),
    Attack(SQL, "texte de données lu comme balisage du terminal (`[/x]`)", "neutralisé",
           "tests/test_sql_readonly.py::test_data_is_printed_as_data_and_settings_stay_locked",
           "affiché tel quel"),
    Attack(SQL, "version gardée liée au fichier publié (même inode)", "protégé",
           "tests/test_sql_readonly.py::test_kept_versions_are_independent_files",
           "chaque version est une copie indépendante"),
    Attack(FILES, "`NaN` / `inf` dans une colonne numérique bornée", "refusé",
           "tests/test_parsing.py::test_a_non_finite_number_is_refused_unless_the_contract_declares_it",
           "fichier, ligne, colonne ; accepté seulement si le contrat le déclare (nonFinite)"),
    Attack(FILES, "deux `\"` parasites dans un vrai REVN (trois lignes fusionnées)", "refusé",
           "tests/test_parsing_hardening.py::test_two_stray_quotes_in_a_copy_of_the_real_revn_2019_are_refused",
           "les lignes fusionnées sont nommées"),
    Attack(FILES, "noms presque conformes (`IPRO_2019.CSV`, `REVN_2020 (1).csv`, `REVN 2020.csv`)", "refusé",
           "tests/test_parsing.py::test_files_whose_names_almost_match_are_named_with_the_expected_name",
           "nommés dans un avertissement avec le nom attendu, non chargés"),
    Attack(FILES, "dossier d'une source vidé (le thème disparaîtrait des marts)", "protégé",
           "tests/test_pipeline_real.py::test_a_source_whose_files_vanished_is_not_emptied_without_allow_removal",
           "le run s'arrête, lignes publiées gardées, sauf --allow-removal"),
    Attack(FILES, "`REVN_9999.csv`", "refusé", "tests/test_parsing.py::test_an_implausible_edition_is_refused",
           "millésime hors de 2000 à l'an prochain"),
    Attack(FILES, "lien symbolique sortant du dossier de données (`/etc/passwd`)", "refusé",
           "tests/test_parsing.py::test_a_symlink_leading_out_of_the_data_folder_is_refused", "fichier nommé"),
    Attack(FILES, "contour QPV avec latitude et longitude inversées", "refusé", f"{PERIMETERS}[swapped_lat_lon]",
           "règle boundingBox du département, code_qp nommé"),
    Attack(FILES, "contour QPV déplacé sur un autre continent", "refusé", f"{PERIMETERS}[moved_to_asia]",
           "règle boundingBox"),
    Attack(FILES, "contour du Nord placé à La Réunion", "refusé",
           "tests/test_perimetres_contrat.py::test_perimeter_of_the_nord_placed_in_la_reunion_is_refused",
           "boîte du département 59"),
    Attack(FILES, "géométrie ponctuelle", "refusé", f"{PERIMETERS}[point]", "règle geometryType"),
    Attack(FILES, "géométrie linéaire", "refusé", f"{PERIMETERS}[linestring]", "règle geometryType"),
    Attack(FILES, "géométrie nulle", "refusé", f"{PERIMETERS}[null]", "règle geometryType"),
    Attack(FILES, "géométrie vide", "refusé", f"{PERIMETERS}[empty]", "règle geometryType"),
    Attack(FILES, "entier au-delà d'Int64", "refusé",
           "tests/test_parsing_hardening.py::test_an_integer_beyond_int64_is_one_french_line_with_line_and_column",
           "une ligne : fichier, ligne, colonne"),
    Attack(FILES, "`1 2 3 4 5` (lu 12345)", "refusé",
           "tests/test_parsing_hardening.py::test_digits_grouped_wrongly_are_refused_with_file_line_and_column",
           "séparateurs de milliers par groupes de trois seulement"),
    Attack(FILES, "`1 2 3 4 5` dans un stock SIRENE (chemin SQL)", "refusé",
           "tests/test_sirene_thousands.py::test_grouped_thousands_load_and_badly_grouped_ones_are_refused",
           "même règle que le lecteur Python"),
    Attack(FILES, "classeur à expansion d'entités (billion laughs)", "refusé", f"{XML}[laughs]",
           "partie du classeur nommée, avant tout analyseur XML"),
    Attack(FILES, "classeur à entité externe (XXE)", "refusé", f"{XML}[xxe]", "idem"),
    Attack(TERRAIN, "données personnelles sous 48 formes (`+33 612 345 678`, courriel masqué, nom en minuscules, "
           "NIR à points, IBAN à tirets, date de naissance, plaque…)", "refusé",
           "tests/test_anonymisation.py::test_french_corpus_personal_data_is_found",
           "ligne refusée avant stockage ; 44 exemples sans donnée personnelle acceptés"),
    Attack(TERRAIN, "donnée personnelle dans `structure`", "refusé",
           "tests/test_anonymisation.py::test_structure_with_personal_data_is_refused", "ligne refusée"),
    Attack(TERRAIN, "donnée personnelle dans `identifiant`", "refusé",
           "tests/test_anonymisation.py::test_identifiant_with_personal_data_is_refused", "ligne refusée"),
    Attack(TERRAIN, "`qpv run` ordinaire après un import", "protégé",
           "tests/test_terrain.py::test_a_run_after_an_import_re_reads_its_files",
           "les lignes importées sont relues à chaque run"),
    Attack(TERRAIN, "import pendant une publication", "protégé",
           "tests/test_terrain.py::test_import_waits_for_the_publication_lock", "l'import attend le verrou, rien n'est perdu"),
    Attack(TERRAIN, "import dont toutes les lignes sont refusées", "protégé",
           "tests/test_terrain.py::test_import_refusing_every_row_leaves_the_warehouse_unchanged",
           "entrepôt identique octet pour octet, aucun fichier gardé"),
    Attack(OUTPUTS, "`<img src=x onerror=…>` dans un CODGEO jusqu'aux pages Great Expectations", "neutralisé",
           "tests/test_data_docs.py::test_no_dialog_fires_when_the_pages_open_in_chromium",
           "valeurs échappées, pages assainies ; aucune alerte dans Chromium"),
    Attack(OUTPUTS, "formule (`=HYPERLINK(…)`) dans `qpv export --format xlsx`", "neutralisé",
           f"{SAFETY}test_xlsx_export_writes_text_as_text_and_numbers_as_numbers", "cellules texte, nombres nombres"),
    Attack(OUTPUTS, "formule dans l'export CSV", "neutralisé", f"{SAFETY}test_csv_export_quotes_formula_text_but_not_numbers",
           "préfixe apostrophe sur le texte"),
    Attack(OUTPUTS, "formule dans les `donnees/*.csv` des tableaux de bord", "neutralisé",
           f"{SAFETY}test_dashboard_csv_quotes_formula_text_but_not_numbers", "préfixe apostrophe"),
    Attack(OUTPUTS, "formule dans le classeur d'un EPCI", "neutralisé", f"{SAFETY}test_territory_workbook_cells_stay_text",
           "cellules texte"),
    Attack(OUTPUTS, "`qpv dashboards --out` un dossier de l'utilisateur", "refusé",
           f"{SAFETY}test_render_refuses_a_foreign_folder_and_keeps_its_files", "rien n'est écrit ni effacé"),
    Attack(OUTPUTS, "`qpv dashboards --out .`", "refusé", f"{SAFETY}test_render_refuses_the_current_folder",
           "rien n'est écrit ni effacé"),
    Attack(OUTPUTS, "fichier de l'utilisateur dans un sous-dossier des tableaux de bord", "refusé",
           f"{SAFETY}test_render_keeps_user_files_and_subfolders_below_the_top_level", "fichier nommé, gardé"),
    Attack(SECRET, "tranche d'âge ou d'ancienneté secrète = total − autres tranches", "protégé",
           "tests/test_disclosure.py::test_the_audit_suppresses_a_cell_when_a_relation_alone_reveals_another",
           "une cellule de plus masquée dans la relation (sql/seeds/relations_additives.csv)"),
    Attack(SECRET, "non-recours secret = foyers éligibles − allocataires (1 912 cellules réelles)", "protégé",
           "tests/test_disclosure.py::test_the_audit_is_what_protects_the_relations_of_the_real_extracts",
           "l'attaque, par édition et entre éditions, ne retrouve plus rien"),
)  # fmt: skip

TABLE_HEAD = "| # | domaine | attaque | résultat | test | comportement |\n|---|---|---|---|---|---|\n"


def counts() -> dict[str, int]:
    found = {"tentées": len(HARDENING)}
    for outcome in ("refusé", "neutralisé", "protégé"):
        found[outcome] = sum(a.outcome == outcome for a in HARDENING)
    return found


def readme_section() -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    rows = [
        "| "
        + " | ".join(cell(c) for c in (str(n), a.area, a.attack, a.outcome, f"`{a.test}`", a.behaviour))
        + " |\n"
        for n, a in enumerate(HARDENING, start=1)
    ]
    c = counts()
    summary = (
        f"\n{c['tentées']} attaques tentées : {c['refusé']} refusées, {c['neutralisé']} neutralisées, "
        f"{c['protégé']} protégées ; aucune ligne publiée perdue (les tests des cas qui touchent l'entrepôt publié le vérifient).\n"
    )
    return START + TABLE_HEAD + "".join(rows) + summary + END


def write_readme() -> None:
    text = README.read_text(encoding="utf-8")
    if START in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
    else:
        before, after = text.rstrip("\n") + "\n\n## Hardening (issue 26)\n\n", ""
    README.write_text(before + readme_section() + after, encoding="utf-8")


if __name__ == "__main__":
    write_readme()
