"""Anonymisation of the terrain observations: personal data is found in a free text, with exact spans.

`scan(text)` returns every finding as (start, end, kind), `end` exclusive (Python slice), kinds:
- `courriel`: an e-mail address;
- `telephone`: a French phone number (0X XX XX XX XX with spaces, dots or dashes, +33 / 0033, +33 (0)…);
- `nir`: a social security number (NIR, 13 digits + 2-digit key, spaces allowed; flagged only when the key is
  valid: 97 − (number mod 97), Corsica 2A/2B counted as 19/18), or its 13 characters without the key when their
  shape is strict (sex 1/2, month 01–12, a département);
- `iban`: an IBAN whose mod-97 check holds (ISO 13616);
- `adresse`: a street address, a number (bis, ter…) followed by a type of voie (rue, avenue, bd, allée,
  impasse, chemin, place…) and its name;
- `nom`: a personal name: a civility (M., Mme, Monsieur, Madame…) followed by a capitalised word, or a first name
  of the `gender_guesser` package's offline list (its data file `nam_dict.txt`, read directly) that is not a
  common French word, optionally followed by a capitalised surname.

`redact(text, findings)` replaces each span by `[kind]`: what may be kept of a refused text (never the personal data).
Detectors favour recall on the structured kinds (they are checked by a checksum or a strict shape) and precision
on names: ordinary French sentences about a quartier must pass (tests/test_anonymisation.py).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

KINDS = {
    "courriel": "adresse électronique",
    "telephone": "numéro de téléphone",
    "nir": "numéro de sécurité sociale (NIR)",
    "iban": "IBAN",
    "adresse": "adresse postale",
    "nom": "nom de personne",
}


@dataclass(frozen=True, order=True)
class Finding:
    start: int
    end: int  # exclusive
    kind: str

    def label(self) -> str:
        """`nom 12-24`: what the quarantine keeps (positions in characters, end exclusive)."""
        return f"{self.kind} {self.start}-{self.end}"


# --- e-mail, phone, NIR, IBAN ---------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")
_SEP = r"[ .\-\u00a0\u202f]?"
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    rf"(?:\+|00){_SEP}33{_SEP}(?:\(0\){_SEP})?[1-9](?:{_SEP}\d{{2}}){{4}}"  # +33 6 12 34 56 78, 0033…, +33 (0)6…
    rf"|0[1-9](?:{_SEP}\d{{2}}){{4}}"  # 06 12 34 56 78, 06.12.34.56.78, 0612345678
    r")(?![\d])"
)
_NIR = re.compile(
    r"(?<![\w])([1-478])[ ]?(\d{2})[ ]?(\d{2})[ ]?(\d{2}|2[AB])[ ]?(\d{3})[ ]?(\d{3})[ ]?(\d{2})(?![\w])",
    re.IGNORECASE,
)
_IBAN = re.compile(r"(?<![\w])([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?)(?![\w])")


# A NIR written without its key (13 characters, the way it is often copied): flagged on its strict shape alone —
# sex 1 or 2, a calendar month, a département, and no digit after it (a 15-digit number goes through the key check).
_NIR_SANS_CLE = re.compile(
    r"(?<![\w])[12][ ]?\d{2}[ ]?(?:0[1-9]|1[0-2])[ ]?(?:\d{2}|2[AB])[ ]?\d{3}[ ]?\d{3}(?![ ]?\d)(?![\w])",
    re.IGNORECASE,
)


def nir_key_valid(match: re.Match[str]) -> bool:
    sex, year, month, dep, commune, order, key = match.groups()
    dep_value = {"2A": "19", "2B": "18"}.get(dep.upper(), dep)
    number = int(sex + year + month + dep_value + commune + order)
    return 97 - number % 97 == int(key)


def iban_valid(text: str) -> bool:
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


# --- street addresses ---------------------------------------------------------------------------------------

# Types of voie always followed by the street's name in a text; the others ("place", "cours", "chemin"…) are
# ordinary words too ("3 places en crèche", "2 cours de français"): they count only before a capitalised name.
_VOIES_SURES = r"rue|avenue|av\.?|boulevard|bd|bld|allée|allee|impasse|quai|faubourg|fbg|ruelle|venelle"
_VOIES_AMBIGUES = (
    r"place|pl\.|chemin|ch\.|square|cours|route|rte|passage|résidence|residence|cité|cite|sentier|voie|"
    r"rond-point|esplanade|promenade|lotissement|hameau|chaussée|villa|parvis|mail|clos|domaine|montée|traverse"
)
_NUMERO = r"(?<![\w,.])\d{1,4}(?:[ ]?(?:bis|ter|quater|[a-dA-D]))?,?[ ]+"
_PARTICULE = r"(?:(?:de[ ]la|de[ ]l'|de[ ]l’|du|des|de|d'|d’|la|le|les|l'|l’)[ ]?)?"
_NOM_VOIE = r"[\w'’-]+(?:[ ](?:de[ ]la|de|du|des|d'|d’|la|le|les|l'|l’|et)?[ ]?[A-ZÀ-Ý][\w'’-]*)*"
_ADDRESS = re.compile(
    rf"{_NUMERO}(?:(?i:{_VOIES_SURES})[ ]+{_PARTICULE}{_NOM_VOIE}"
    rf"|(?i:{_VOIES_AMBIGUES})[ ]+{_PARTICULE}[A-ZÀ-Ý][\w'’-]*(?:[ ](?:de|du|des|la|le|et)?[ ]?[A-ZÀ-Ý][\w'’-]*)*)"
)

# --- personal names -------------------------------------------------------------------------------------------

_CIVILITY = re.compile(
    r"(?<![\w])(?:M\.|MM\.|Mme|Mmes|Mlle|Mr|Monsieur|Madame|Mademoiselle|Dr\.?|Docteur)"
    r"[ \u00a0]+(?:[A-ZÀ-Ý][\w'’-]*)(?:[ ][A-ZÀ-Ý][\w'’-]+)*"
)
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][\w'’-]*")
_SENTENCE_END = re.compile(r"[.!?:;«»\"(\n]\s*$")

# Capitalised words of French texts that the name list also holds: never a name here. Lower-case, no accents.
_NEVER_NAMES = frozenset(
    """
    le la les un une des du de au aux ce cet cette ces son sa ses leur leurs mon ma mes ton ta tes notre nos votre
    vos il elle ils elles on nous vous je tu qui que quoi dont ou et mais donc or ni car si sans avec pour par sur
    sous dans entre vers chez depuis pendant avant apres selon contre parmi plus moins tres trop peu tout tous toute
    toutes aucun aucune plusieurs certains certaines chaque autre autres meme deux trois quatre cinq six sept huit
    neuf dix cent mille premier premiere dernier derniere janvier fevrier mars avril mai juin juillet aout septembre
    octobre novembre decembre lundi mardi mercredi jeudi vendredi samedi dimanche printemps ete automne hiver noel
    paques toussaint ramadan aid famille mere pere enfant femme homme jeune personne menage habitant voisin voisine
    ami amie amis quartier ville cite centre marche place rue parc ecole college lycee mairie caf cpam france travail
    mission locale pole emploi sante aide dette non bon bonne bien mal beau belle jolie bas long haut grand grande
    petit petite nouveau nouvelle dieu ange paris lille lyon marseille roubaix tourcoing nord sud est ouest val mont
    saint sainte pont gare port porte bois foret plaine colline cote pre ferme bourg fontaine moulin eglise mosquee
    europe afrique asie amerique maroc algerie tunisie senegal mali turquie espagne italie portugal belgique
    ainsi alors apres aussi deja encore enfin ensuite souvent parfois toujours jamais surtout notamment environ
    oui cela ceci celui celle ceux celles chacun chacune lorsque quand comme comment pourquoi combien
    selon via lors faute hors malgre voici voila merci bravo bonjour
    association structure permanence atelier reunion groupe entretien accueil projet commerce marche epicerie
    juste vrai rien sur sure ville-centre metropole region departement commune etat republique
    """.split()
)
# Names that are also common words ("Rose", "Pierre", "Claire", "Marine"…): a name only inside a sentence (not
# its first word) or before a capitalised surname.
_AMBIGUOUS = frozenset(
    """
    rose blanche brun brune dore doree claire clair marin marine pierre fleur olive violette constance prudence
    patience victoire justice fidele felicite aurore oceane perle ambre jade cristal desire desiree angele celeste
    sauveur noe esperance modeste innocent clement aime aimee rene renee fortune fortunee parfait iris capucine
    paquerette myrtille cannelle prune cerise pomme colombe ali ben sam tom max leo noa lina adam mia ines ella
    eva emma anna hugo nina sara lea lou amine hassan ahmed salut grace gloire joie espoir paix soleil
    """.split()
)
# A name right after these words names a place or a building ("école Jules Ferry", "centre social Louise
# Michel", "rue Victor Hugo", "quartier Saint-Pierre"), not a person.
_PLACE_WORDS = frozenset(
    """
    ecole college lycee centre social centres maison mediatheque bibliotheque gymnase stade parc square jardin
    residence cite quartier rue avenue boulevard place allee impasse chemin quai cours espace salle pole foyer
    creche hopital clinique dispensaire gare station arret metro tram ligne pont faubourg groupe scolaire
    marche halle piscine complexe eglise mosquee temple association fondation institut universite campus
    avenue bd hameau tour tours batiment immeuble barre bloc ilot reseau collectif club equipe
    """.split()
)
_PARTICLES = frozenset({"de", "des", "du", "la", "le", "les", "d", "l", "aux", "au"})
# Common first names of the quartiers that the list lacks (checked against nam_dict.txt).
_EXTRA_FIRST_NAMES = ("Aïcha", "Fatoumata", "Amadou", "Aminata", "Kadiatou", "Mariam", "Oumou", "Djibril")


def _fold(word: str) -> str:
    """Lower case without accents: 'Éric' -> 'eric'."""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").lower()


def name_list_path() -> Path:
    """The offline first-name list shipped by `gender_guesser` (its detector's data file)."""
    import gender_guesser.detector  # the package ships the list; nothing is downloaded

    return Path(gender_guesser.detector.__file__).parent / "data" / "nam_dict.txt"


@functools.cache
def first_names() -> frozenset[str]:
    """The list's first names (folded: lower case, no accents), minus the common French words, 3 letters or more."""
    names: set[str] = set()
    with name_list_path().open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip() or line[0] in "#=":
                continue
            parts = line.split()
            if len(parts) < 2:
                continue
            raw = parts[1]
            for joined in (
                raw.replace("+", ""),
                raw.replace("+", "-"),
            ):  # "Jean+Pierre": Jeanpierre, Jean-Pierre
                names.add(_fold(joined))
    names.update(_fold(n) for n in _EXTRA_FIRST_NAMES)
    return frozenset(n for n in names if len(n) >= 3 and n not in _NEVER_NAMES)


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper() and (len(word) == 1 or not word.isupper() or len(word) > 3)


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start]
    return not before.strip() or bool(_SENTENCE_END.search(before))


def _names(text: str) -> list[Finding]:
    found = [Finding(m.start(), m.end(), "nom") for m in _CIVILITY.finditer(text)]
    names = first_names()
    words = list(_WORD.finditer(text))
    i = 0
    while i < len(words):
        match = words[i]
        word = match.group()
        # a hyphenated first name (Jean-Pierre) or a plain one, in Title case (not an acronym such as CAF)
        if not (word[:1].isupper() and not word.isupper()) or word[-1] in "'’":
            i += 1
            continue
        folded = _fold(word)
        parts = folded.split("-")
        is_name = folded in names or (len(parts) > 1 and all(p in names for p in parts))
        if not is_name or folded.startswith(("saint-", "sainte-")):
            i += 1
            continue
        # the word before, skipping articles ("quartier des Lilas", "rue de la Paix", "l'école Jules Ferry")
        k, previous = i - 1, ""
        while k >= 0 and text[words[k].end() : words[k + 1].start()].strip() == "":
            word_before = words[k].group()
            previous = _fold(re.split(r"['’]", word_before)[-1])
            if previous in _PARTICLES and "'" not in word_before and "’" not in word_before:
                k -= 1
                continue
            break
        adjacent = bool(previous)
        end, j = match.end(), i + 1
        surname = False
        while (
            j < len(words)
            and text[end : words[j].start()] in (" ", "\u00a0")
            and _is_capitalised(words[j].group())
        ):
            if _fold(words[j].group()) in _NEVER_NAMES:
                break
            end, j, surname = words[j].end(), j + 1, True
        if adjacent and previous in _PLACE_WORDS:
            i = j  # the whole name of the place ("centre social Louise Michel")
            continue
        followed_by_particle = (
            j < len(words) and _fold(words[j].group()) in _PARTICLES and text[end : words[j].start()] == " "
        )
        if (
            folded in _AMBIGUOUS
            and not surname
            and (_sentence_start(text, match.start()) or followed_by_particle)
        ):
            i += 1
            continue
        found.append(Finding(match.start(), end, "nom"))
        i = j
    return found


def scan(text: str | None) -> list[Finding]:
    """Every piece of personal data found in `text`, sorted, overlapping findings merged (the first kind kept)."""
    if not text:
        return []
    found = [Finding(m.start(), m.end(), "courriel") for m in _EMAIL.finditer(text)]
    found += [Finding(m.start(), m.end(), "telephone") for m in _PHONE.finditer(text)]
    found += [Finding(m.start(), m.end(), "nir") for m in _NIR.finditer(text) if nir_key_valid(m)]
    found += [Finding(m.start(), m.end(), "nir") for m in _NIR_SANS_CLE.finditer(text)]
    found += [Finding(m.start(), m.end(), "iban") for m in _IBAN.finditer(text) if iban_valid(m.group())]
    found += [Finding(m.start(), m.end(), "adresse") for m in _ADDRESS.finditer(text)]
    found += _names(text)
    priority = {kind: rank for rank, kind in enumerate(KINDS)}
    merged: list[Finding] = []
    for f in sorted(found, key=lambda f: (f.start, priority[f.kind], -f.end)):
        if merged and f.start < merged[-1].end:
            last = merged[-1]
            if f.end > last.end:
                merged[-1] = Finding(last.start, f.end, last.kind)
            continue
        merged.append(f)
    return merged


def redact(text: str, findings: list[Finding]) -> str:
    """`text` with each finding replaced by `[kind]` (what a refused row keeps of its text)."""
    pieces, position = [], 0
    for f in sorted(findings):
        pieces.append(text[position : f.start])
        pieces.append(f"[{f.kind}]")
        position = max(position, f.end)
    pieces.append(text[position:])
    return "".join(pieces)


def describe(findings: list[Finding]) -> str:
    """One line in French: `données personnelles : courriel 10-27 (adresse électronique), nom 40-52 (…)`."""
    return "données personnelles : " + ", ".join(f"{f.label()} ({KINDS[f.kind]})" for f in findings)
