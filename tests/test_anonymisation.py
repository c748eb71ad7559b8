"""The anonymisation detectors (pipelines/domain/anonymisation.py): exact spans on planted personal data, and ordinary
French sentences about a quartier that must pass (false positives must stay rare)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.domain.anonymisation import first_names, iban_valid, redact, scan

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
