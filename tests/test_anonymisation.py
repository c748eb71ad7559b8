"""The anonymisation detectors (pipelines/domain/anonymisation.py): exact spans on planted personal data, and ordinary
French sentences about a quartier that must pass (false positives must stay rare)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.domain.anonymisation import KINDS, first_names, iban_valid, redact, scan, scan_structure
from pipelines.domain.terrain import _check_row

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def kinds_and_texts(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scan(text)]


def planted(template: str, value: str, kind: str) -> None:
    """`value` put into `template` is found exactly: one finding, its span, its kind."""
    text = template.format(value)
    start = text.index(value)
    findings = scan(text)
    assert [(f.start, f.end, f.kind) for f in findings] == [(start, start + len(value), kind)], (
        text,
        findings,
    )
    assert value not in redact(text, findings)


# ----------------------------------------------------------------------------------------------- structured kinds


@pytest.mark.parametrize(
    "value",
    [
        "jean.dupont@example.fr",
        "a_b-c+tag@sous.domaine.org",
        "CONTACT@ASSO-QUARTIER.FR",
    ],
)
def test_email(value):
    planted("Écrire à {} pour le suivi.", value, "courriel")


@pytest.mark.parametrize(
    "value",
    [
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "0612345678",
        "+33 6 12 34 56 78",
        "+33612345678",
        "0033 6 12 34 56 78",
        "+33 (0)1 45 67 89 10",
        "03\u00a020\u00a012\u00a034\u00a056",
    ],
)
def test_phone(value):
    planted("Joindre la personne au {} le matin.", value, "telephone")


def nir_with_key(body: str) -> str:
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return f"{body}{97 - number % 97:02d}"


@given(
    sex=st.sampled_from("12"),
    year=st.integers(0, 99),
    month=st.integers(1, 12),
    dep=st.sampled_from(["01", "13", "59", "62", "75", "93", "2A", "2B", "97"]),
    commune=st.integers(1, 999),
    order=st.integers(1, 999),
    spaced=st.booleans(),
)
@SETTINGS
def test_nir_with_valid_key(sex, year, month, dep, commune, order, spaced):
    body = f"{sex}{year:02d}{month:02d}{dep}{commune:03d}{order:03d}"
    nir = nir_with_key(body)
    if spaced:
        nir = " ".join([nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]])
    planted("Numéro de sécurité sociale {} noté par erreur.", nir, "nir")
    wrong = nir[:-2] + f"{(int(nir[-2:]) + 1) % 100:02d}"
    assert all(f.kind != "nir" for f in scan(f"Numéro {wrong} sans clé valide."))


@pytest.mark.parametrize(
    "value", ["1 85 05 78 006 084", "2850578006084", "1 62 11 2A 004 123", "2 99 12 97 411 001"]
)
def test_nir_without_its_key(value):
    planted("Son numéro de sécurité sociale, {}, figure dans le dossier.", value, "nir")


@pytest.mark.parametrize(
    "text",
    [
        "Référence 1851378006084 du dossier.",  # month 13: not a NIR's shape
        "Code 3850578006084 interne.",  # sex 3 without key: too loose to flag
        "Numéro 18505780060841 à 14 chiffres.",  # 14 digits: neither a NIR nor a NIR without key
    ],
)
def test_thirteen_digit_numbers_that_are_not_nir_shaped_pass(text):
    assert all(f.kind != "nir" for f in scan(text)), kinds_and_texts(text)


def iban_fr(bban: str) -> str:
    digits = "".join(str(int(ch, 36)) for ch in bban + "FR00")
    return f"FR{98 - int(digits) % 97:02d}{bban}"


@given(bban=st.text(alphabet="0123456789", min_size=23, max_size=23), spaced=st.booleans())
@SETTINGS
def test_iban(bban, spaced):
    iban = iban_fr(bban)
    assert iban_valid(iban)
    if spaced:
        iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    planted("Virement sur le compte {} demandé.", iban, "iban")


def test_iban_with_a_wrong_digit_is_not_flagged():
    iban = iban_fr("30006000011234567890189")
    broken = iban[:-1] + str((int(iban[-1]) + 1) % 10)
    assert not iban_valid(broken)
    assert all(f.kind != "iban" for f in scan(f"Compte {broken}."))


@pytest.mark.parametrize(
    "value",
    [
        "12 rue des Lilas",
        "3 bis avenue Jean Jaurès",
        "5 place de la République",
        "145, boulevard Victor Hugo",
        "8 impasse du Moulin",
        "21 allée des Peupliers",
        "7 chemin de la Croix Blanche",
        "2 bd Gambetta",
    ],
)
def test_address(value):
    planted("La réunion a eu lieu au {} samedi dernier.", value, "adresse")


# ------------------------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Karim Benali est venu à la permanence.", "Karim Benali"),
        ("Selon Mme Durand, les démarches sont trop longues.", "Mme Durand"),
        ("M. Martin a témoigné.", "M. Martin"),
        ("La famille de Madame Traoré attend une réponse.", "Madame Traoré"),
        ("Nous avons rencontré Fatoumata au marché.", "Fatoumata"),
        ("Un échange avec Jean-Pierre DUPONT sur son projet.", "Jean-Pierre DUPONT"),
        ("Le témoignage de Éric montre la difficulté.", "Éric"),
        ("Hier, Claire Moreau a demandé la prime.", "Claire Moreau"),
    ],
)
def test_names(text, expected):
    assert kinds_and_texts(text) == [("nom", expected)]


def test_name_list_comes_from_gender_guesser_without_common_words():
    names = first_names()
    assert len(names) > 30_000
    assert {"karim", "fatima", "nadia", "eric", "mohamed"} <= names
    assert not {"les", "des", "plusieurs", "mars", "france", "mai"} & names


# ---------------------------------------------------------------------------------- sentences that must pass

REALISTIC = [
    "Plusieurs familles du quartier renoncent à demander la prime d'activité par peur de devoir rembourser.",
    "Les habitants organisent de l'entraide pour la garde d'enfants le mercredi au centre social Louise Michel.",
    "Trois jeunes ont formalisé un projet de food-truck avec la CAF et France Travail en mars 2025.",
    "2 cours de français par semaine, 3 places en crèche, 12 personnes reçues à la permanence France Services.",
    "Des mères isolées évitent les frais de cantine ; l'association intervient à l'école Jules Ferry.",
    "Le RSA n'est pas demandé par méconnaissance ; 15 ménages concernés, 20 % des personnes reçues.",
    "Vente de repas à domicile pendant le ramadan et coiffure à domicile, sans déclaration.",
    "Les commerçants du marché de la place Saint-Pierre signalent une baisse de fréquentation depuis avril.",
    "Au 1er trimestre 2025, 35 demandes d'aide alimentaire ; loyer moyen de 450 € et factures d'énergie en hausse.",
    "La Mission locale et Pôle emploi constatent que les jeunes de 16 à 25 ans ne s'inscrivent pas.",
    "Rencontre le 12/03/2025 au collège Victor Hugo avec les parents d'élèves sur les bourses.",
    "Réparation de vélos et petits travaux entre voisins du quartier des Lilas, le samedi matin.",
    "Une couturière souhaite passer en micro-entreprise ; le SIRET et l'URSSAF lui font peur.",
    "Les allocataires de l'AAH et de l'APL craignent les contrôles ; 8 dossiers en attente depuis 6 mois.",
    "Le groupe de travail du 3 juin réunissait la Régie de quartier, le CCAS et la Maison de santé.",
    "Beaucoup de personnes âgées n'ont pas internet et abandonnent la demande de complémentaire santé.",
    "Échanges de services (garde, cuisine, bricolage) via le réseau d'entraide Rose des vents.",
    "Depuis la fermeture de l'agence CAF de la rue principale, les démarches se font en ligne.",
]


@pytest.mark.parametrize("text", REALISTIC)
def test_realistic_summaries_pass(text):
    assert scan(text) == [], kinds_and_texts(text)


WORDS = (
    "les familles du quartier renoncent à la prime d'activité par peur de rembourser ; entraide pour la garde "
    "d'enfants au centre social avec la CAF et France Travail projet de food-truck commerce informel vente de repas "
    "jeunes femmes seniors allocataires droits démarches en ligne permanence atelier Mission locale marché "
    "association habitants mercredi samedi mars juin Lille Roubaix école collège CCAS logement loyer énergie"
).split()


@given(
    st.lists(
        st.one_of(
            st.sampled_from(WORDS),
            st.integers(0, 2030).map(str),
            st.integers(1, 99).map(lambda n: f"{n} %"),
            st.integers(1, 5000).map(lambda n: f"{n} €"),
            st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
        ),
        min_size=3,
        max_size=30,
    )
)
@SETTINGS
def test_ordinary_sentences_are_not_flagged(words):
    text = " ".join(words).capitalize() + "."
    assert scan(text) == [], kinds_and_texts(text)


def test_redact_keeps_the_rest_and_spans_are_exact():
    text = "Karim Benali (karim.b@exemple.fr, 06 11 22 33 44) habite 4 rue de la Paix."
    findings = scan(text)
    assert [f.kind for f in findings] == ["nom", "courriel", "telephone", "adresse"]
    assert [text[f.start : f.end] for f in findings] == [
        "Karim Benali",
        "karim.b@exemple.fr",
        "06 11 22 33 44",
        "4 rue de la Paix",
    ]
    assert redact(text, findings) == "[nom] ([courriel], [telephone]) habite [adresse]."


# ------------------------------------------------------------------------------- issue 26: the French corpus

# (template, planted value, kind): each value put into its template is found exactly, once, with its kind.
POSITIVES = [
    # phones: international with spaces in any grouping, dots, dashes, other countries
    ("Joindre la mère au {} après 18 h.", "+33 612 345 678", "telephone"),
    ("Joindre la mère au {} après 18 h.", "+33 6 12 34 56 78", "telephone"),
    ("Joindre la mère au {} après 18 h.", "0033 6 12 34 56 78", "telephone"),
    ("Joindre la mère au {} après 18 h.", "06.12.34.56.78", "telephone"),
    ("Joindre la mère au {} après 18 h.", "06-12-34-56-78", "telephone"),
    ("Joindre la mère au {} après 18 h.", "+33 06 12 34 56 78", "telephone"),
    ("Son frère au Maroc, {}, envoie de l'argent.", "+212 6 12 34 56 78", "telephone"),
    ("Numéro belge {} laissé à l'accueil.", "0032 470 12 34 56", "telephone"),
    # obfuscated e-mails
    ("Elle a laissé {} pour les convocations.", "jean point dupont arobase gmail point com", "courriel"),
    ("Elle a laissé {} pour les convocations.", "jean.dupont [at] gmail [dot] com", "courriel"),
    ("Elle a laissé {} pour les convocations.", "jean (at) gmail.com", "courriel"),
    ("Elle a laissé {} pour les convocations.", "jean @ gmail . com", "courriel"),
    ("Elle a laissé {} pour les convocations.", "jean.dupont(at)gmail(point)com", "courriel"),
    ("Elle a laissé {} pour les convocations.", "JEAN.DUPONT [AT] GMAIL [DOT] COM", "courriel"),
    ("Elle a laissé {} pour les convocations.", "jean.dupont@gmail point com", "courriel"),
    # names in lower case: after a civility, a common first name and a surname
    ("Selon {}, les démarches sont trop longues.", "mme dupont", "nom"),
    ("Selon {}, les démarches sont trop longues.", "monsieur martin", "nom"),
    ("Selon {}, les démarches sont trop longues.", "madame traoré", "nom"),
    ("Selon {}, les démarches sont trop longues.", "mlle benali", "nom"),
    ("Selon {}, les démarches sont trop longues.", "monsieur el amrani", "nom"),
    ("Selon {}, les démarches sont trop longues.", "MADAME TRAORE", "nom"),
    ("Nous avons reçu {} à la permanence.", "karim benali", "nom"),
    ("Nous avons reçu {} à la permanence.", "fatou diallo", "nom"),
    ("Nous avons reçu {} à la permanence.", "jean-pierre durand", "nom"),
    ("Nous avons reçu {} à la permanence.", "mehdi zerrouki", "nom"),
    # NIR with spaces, dots or dashes (key checked), or its 13 characters without the key
    ("Numéro de sécurité sociale {} noté par erreur.", "1.85.05.78.006.084.91", "nir"),
    ("Numéro de sécurité sociale {} noté par erreur.", "1-85-05-78-006-084-91", "nir"),
    ("Numéro de sécurité sociale {} noté par erreur.", "1 85 05 78 006 084 91", "nir"),
    ("Numéro de sécurité sociale {} noté par erreur.", "2.62.11.2A.004.123", "nir"),
    ("Numéro de sécurité sociale {} noté par erreur.", "2-99-12-2B-411-001-" + "{key}", "nir"),
    # IBAN in lower case or with dashes (mod 97)
    ("Virement sur {} demandé par le bailleur.", "fr76-3000-6000-0112-3456-7890-189", "iban"),
    ("Virement sur {} demandé par le bailleur.", "fr76 3000 6000 0112 3456 7890 189", "iban"),
    ("Virement sur {} demandé par le bailleur.", "fr7630006000011234567890189", "iban"),
    ("Virement sur {} pour le loyer.", "BE68 5390 0754 7034", "iban"),
    ("Virement sur {} pour le loyer.", "be68-5390-0754-7034", "iban"),
    # dates of birth, only after a birth context (the span is the date)
    ("Le fils est né le {} à Lille.", "12/03/1985", "naissance"),
    ("Sa mère, née le {}, vit seule.", "3 mars 1985", "naissance"),
    ("Fiche : date de naissance : {}.", "12-03-1985", "naissance"),
    ("Fiche : DDN {} selon le dossier.", "12/03/85", "naissance"),
    ("Elle est née à Roubaix le {} et vit seule.", "1er avril 1990", "naissance"),
    ("Demandeur né(e) le {} sans ressources.", "01.02.1990", "naissance"),
    ("Formulaire : date de naissance le {}.", "1985-03-12", "naissance"),
    # car plates: SIV and FNI
    ("Le véhicule {} stationne devant l'école.", "AB-123-CD", "immatriculation"),
    ("Le véhicule {} stationne devant l'école.", "AB 123 CD", "immatriculation"),
    ("Le véhicule {} stationne devant l'école.", "ab123cd", "immatriculation"),
    ("Le véhicule {} stationne devant l'école.", "ab-123-cd", "immatriculation"),
    ("Le véhicule {} stationne devant l'école.", "1234 AB 75", "immatriculation"),
    ("Le véhicule {} stationne devant l'école.", "123-ABC-2A", "immatriculation"),
]


def with_nir_key(value: str) -> str:
    """'2-99-12-2B-411-001-{key}' with its valid key."""
    if "{key}" not in value:
        return value
    body = re.sub(r"[^0-9AB]", "", value.replace("{key}", ""))
    return value.replace("{key}", nir_with_key(body)[-2:])


@pytest.mark.parametrize(("template", "value", "kind"), POSITIVES, ids=[p[1] for p in POSITIVES])
def test_french_corpus_personal_data_is_found(template, value, kind):
    planted(template, with_nir_key(value), kind)


# French sentences that hold no personal data: places, amounts, event dates, counts, codes of every kind.
NEGATIVES = [
    # places without a street, places and structures named after a person
    "Rencontre aux Oliveaux avec les habitants du bâtiment C.",
    "Permanence dans le quartier Jean Moulin le mardi matin.",
    "Réunion place de la République avec le collectif.",
    "Atelier au centre social jean moulin, en minuscules dans la fiche.",
    "le centre social louise michel organise l'entraide.",
    "Le centre social Louise Michel organise l'entraide.",
    "L'association rencontre le collège Victor Hugo.",
    "Le marché de la place Saint-Pierre a lieu le samedi.",
    # amounts, counts, years, percentages
    "Le programme représente 1 250 000 € d'investissement.",
    "Budget de 12 345,67 euros pour l'atelier.",
    "Le quartier compte 2 345 habitants en 2021.",
    "Taux de pauvreté de 45,3 % contre 14,5 % dans la commune.",
    "Entre 2019 et 2023, 1 234 ménages accompagnés.",
    "Hausse de +12 % des demandes et +2 345 678 901 € de budget.",
    "3 CDD de 12 mois et 2 ETP 35 heures financés.",
    # dates of events, never of a birth
    "Réunion le 12/03/2024 au centre social.",
    "Atelier prévu le 3 mars 2024 à la médiathèque.",
    "Réunion du 05/06/2024 à 18h00 dans la grande salle.",
    "Les jeunes nés en 2005 sont éligibles à la garantie.",
    "Les femmes nées le même jour ont été reçues ensemble.",
    # codes: QPV, SIREN/SIRET, postal, INSEE, IRIS, laws, times
    "Le QPV QP059077 et le QN05901M sont concernés.",
    "La structure (SIREN 123 456 789, SIRET 123 456 789 00012) porte le projet.",
    "SIRET 12345678900012 de l'association.",
    "Code postal 59000, commune de Lille.",
    "Commune INSEE 59350 et commune corse 2A004.",
    "Rendez-vous à 14h30 puis à 9h au guichet.",
    "L'IRIS 593500101 regroupe le secteur nord.",
    "Application du décret 2023-1314 du 29 décembre 2023.",
    "Selon la loi n° 2014-173 du 21 février 2014 de programmation pour la ville.",
    "Référence de l'arrêté 2022-45-AB du préfet.",
    "Numéro de dossier 2024-00123 transmis à la CAF.",
    "La CAF du 59 et la CPAM 62 sont partenaires.",
    # civilities and first names that are ordinary words here
    "Madame explique qu'elle ne demande plus la prime d'activité.",
    "Monsieur le maire a reçu le collectif des habitants.",
    "MONSIEUR LE MAIRE A REÇU LE COLLECTIF DES HABITANTS.",
    "Une madame du quartier tient la buvette du marché.",
    "Il a acheté un jean neuf au marché du dimanche.",
    # obfuscation look-alikes, IBAN and NIR that fail their check
    "Rendez-vous @ la mairie. Puis visite du jardin partagé.",
    "Le point de vente arobase n'existe plus depuis janvier.",
    "Compte fr76-3000-6000-0112-3456-7890-188 refusé par la banque.",
    "Numéro 1.85.05.78.006.084.36 sans clé valide.",
    "Atelier n° 12 AB, salle 3, le jeudi.",
    "La ligne 12 du bus dessert le quartier depuis 2022.",
    "Téléphone de la mairie non communiqué, 15 dossiers traités.",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_french_corpus_without_personal_data_passes(text):
    assert scan(text) == [], kinds_and_texts(text)


def test_corpus_sizes_and_kinds():
    assert len(POSITIVES) >= 40 and len(NEGATIVES) >= 40
    assert {kind for *_, kind in POSITIVES} == set(KINDS) - {"adresse"}
    assert {"naissance", "immatriculation"} <= set(KINDS)


def test_redacted_obfuscated_text_keeps_its_context():
    text = "Née le 3 mars 1985, joignable au +33 612 345 678 ou jean (at) gmail.com, véhicule AB-123-CD."
    assert redact(text, scan(text)) == (
        "Née le [naissance], joignable au [telephone] ou [courriel], véhicule [immatriculation]."
    )


# ---------------------------------------------------------------- the structure and identifiant of an observation


@pytest.mark.parametrize(
    "structure",
    [
        "Association Les Amis du Quartier",
        "Centre social Jean Moulin",
        "Association Louise Michel",
        "Collectif Rosa Parks",
        "Fondation Abbé Pierre",
        "Maison de quartier Victor Hugo",
        "Épicerie solidaire Chez Fatima",
        "Centre social des Tisserands, 12 rue des Lilas",  # the premises of a structure
    ],
)
def test_structure_names_pass(structure):
    assert scan_structure(structure) == []
    reasons, stored = _check_row({"structure": structure, "identifiant": "OBS-2024-0012"})
    assert reasons == [] and stored["structure"] == structure


@pytest.mark.parametrize(
    ("structure", "kind"),
    [
        ("Karim Benali", "nom"),  # a person, not a structure
        ("karim benali", "nom"),
        ("Cabinet de Mme Durand", "nom"),
        ("Association du quartier (contact@asso-quartier.fr)", "courriel"),
        ("Permanence 06 12 34 56 78", "telephone"),
    ],
)
def test_structure_with_personal_data_is_refused(structure, kind):
    reasons, stored = _check_row({"structure": structure})
    assert [r.split(" : ")[0] for r in reasons] == ["structure"]
    assert f"données personnelles : {kind} " in reasons[0]
    assert stored["structure"] != structure and f"[{kind}]" in stored["structure"]


@pytest.mark.parametrize(
    "identifiant", ["OBS-2024-0012", "T-001", "QN05901M-03", "2025-03-12-01", "PERM-0042"]
)
def test_identifiants_pass(identifiant):
    reasons, stored = _check_row({"identifiant": identifiant})
    assert reasons == [] and stored["identifiant"] == identifiant


@pytest.mark.parametrize(
    ("identifiant", "found", "kind"),
    [
        ("jean.dupont@example.fr", "jean.dupont@example.fr", "courriel"),
        ("06 12 34 56 78", "06 12 34 56 78", "telephone"),
        ("Karim Benali", "Karim Benali", "nom"),
        ("mme dupont 3", "mme dupont", "nom"),
        ("AB-123-CD", "AB-123-CD", "immatriculation"),
    ],
)
def test_identifiant_with_personal_data_is_refused(identifiant, found, kind):
    reasons, stored = _check_row({"identifiant": identifiant})
    assert reasons == [f"identifiant : données personnelles : {kind} 0-{len(found)} ({KINDS[kind]})"]
    assert stored["identifiant"] == f"[{kind}]" + identifiant[len(found) :]
