"""Anonymisation of the terrain observations: personal data is found in a free text, with exact spans.

`scan(text)` returns every finding as (start, end, kind), `end` exclusive (Python slice), kinds:
- `courriel`: an e-mail address, plain or obfuscated (`jean point dupont arobase gmail point com`,
  `jean.dupont [at] gmail [dot] com`, `jean (at) gmail.com`, `jean @ gmail . com`; a common top-level domain then);
- `telephone`: a French phone number (0X XX XX XX XX with spaces, dots or dashes; +33 / 0033 then 9 digits in any
  grouping, +33 (0)…), or an international one (+ or 00, a country code, 8 to 11 digits; not an amount);
- `nir`: a social security number (NIR, 13 digits + 2-digit key, spaces, dots or dashes allowed; flagged only when
  the key is valid: 97 − (number mod 97), Corsica 2A/2B counted as 19/18), or its 13 characters without the key
  when their shape is strict (sex 1/2, month 01–12, a département);
- `iban`: an IBAN, any case, spaces or dashes, whose mod-97 check holds (ISO 13616);
- `naissance`: a date of birth, only after a birth context (`né le`, `née à Lille le`, `date de naissance :`,
  `DDN`): the span is the date alone, an event's date is never flagged;
- `immatriculation`: a French car plate (SIV `AB-123-CD`, `AB 123 CD`, `ab123cd`; FNI `1234 AB 75`);
- `adresse`: a street address, a number (bis, ter…) followed by a type of voie (rue, avenue, bd, allée,
  impasse, chemin, place…) and its name;
- `nom`: a personal name: a civility (M., Mme, Monsieur, madame…) followed by a capitalised word or by a
  lower-case word that is not a common French word (`mme dupont`); a first name of the `gender_guesser` package's
  offline list (its data file `nam_dict.txt`, read directly) that is not a common French word, optionally followed
  by a capitalised surname; in lower case, a first name common in France, Belgium or the Maghreb (the same list's
  frequencies) followed by a surname (`karim benali`).

`redact(text, findings)` replaces each span by `[kind]`: what may be kept of a refused text (never the personal data).
`scan_structure(text)` screens a structure's name (what a row's `structure` column holds).
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
    "naissance": "date de naissance",
    "immatriculation": "plaque d'immatriculation",
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
# Obfuscated: the "@" written out or bracketed ("arobase", "(at)", "[at]", " @ "), the dots too ("point", "[dot]",
# " . "). Spaced or spelled-out dots end on a common top-level domain, so that "rendez-vous @ la mairie. Puis" passes.
_OBF_DOT = r"(?:[ ]*[\[({<][ ]*(?i:dot|point|\.)[ ]*[\])}>][ ]*|[ ]+(?i:point|dot)[ ]+)"
_OBF_AT = (
    r"(?:[ ]*[\[({<][ ]*(?i:at|arobase|arobas|@)[ ]*[\])}>][ ]*|[ ]+(?i:arobase|arobas|at)[ ]+|[ ]*@[ ]*)"
)
_TLD = (
    r"(?i:com|fr|net|org|eu|info|biz|io|me|be|ch|ca|lu|de|es|it|pt|uk|co|ma|dz|tn|sn|ci|cm|ml|re|gp|mq|gf|yt|nc|"
    r"pf|asso|gouv|edu|pro|tv|app|dev|online|live|email|mail)"
)
_EMAIL_OBFUSCATED = re.compile(
    rf"(?<![\w.+-])[\w+-]+(?:(?:\.|{_OBF_DOT})[\w+-]+)*{_OBF_AT}[\w-]+(?:(?:[ ]*\.[ ]*|{_OBF_DOT})[\w-]+)*?"
    rf"(?:[ ]*\.[ ]*|{_OBF_DOT}){_TLD}(?![\w-])"
)
_SEP = r"[ .\-\u00a0\u202f]?"
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    rf"(?:\+|00)[ ]?33{_SEP}(?:\(0\){_SEP})?0?[1-9](?:{_SEP}\d){{8}}"  # +33 6 12 34 56 78, +33 612 345 678, 0033…
    rf"|0[1-9](?:{_SEP}\d{{2}}){{4}}"  # 06 12 34 56 78, 06.12.34.56.78, 0612345678
    # another country (+212 6 12 34 56 78, 0032 470 12 34 56), never an amount or a percentage (+2 345 678 901 €)
    rf"|(?:\+|00)(?!33)[1-9]\d{{0,2}}{_SEP}(?:\(0\){_SEP})?\d(?:{_SEP}\d){{7,10}}"
    r"(?![ \u00a0\u202f]?(?:€|%|euros?\b|EUR\b|M€|k€))"
    r")(?![\d])"
)
_NIR_SEP = r"[ .\-\u00a0]?"
_NIR = re.compile(
    rf"(?<![\w.-])([1-478]){_NIR_SEP}(\d{{2}}){_NIR_SEP}(\d{{2}}){_NIR_SEP}(\d{{2}}|2[AB]){_NIR_SEP}(\d{{3}})"
    rf"{_NIR_SEP}(\d{{3}}){_NIR_SEP}(\d{{2}})(?![\w]|[.-]\d)",
    re.IGNORECASE,
)
_IBAN = re.compile(
    r"(?<![\w-])([A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]{4}){2,7}(?:[ \-]?[A-Za-z0-9]{1,3})?)(?![\w-])"
)


# A NIR written without its key (13 characters, the way it is often copied): flagged on its strict shape alone —
# sex 1 or 2, a calendar month, a département, and no digit after it (a 15-digit number goes through the key check).
_NIR_SANS_CLE = re.compile(
    rf"(?<![\w.-])[12]{_NIR_SEP}\d{{2}}{_NIR_SEP}(?:0[1-9]|1[0-2]){_NIR_SEP}(?:\d{{2}}|2[AB]){_NIR_SEP}\d{{3}}"
    rf"{_NIR_SEP}\d{{3}}(?!{_NIR_SEP}\d)(?![\w])",
    re.IGNORECASE,
)


def nir_key_valid(match: re.Match[str]) -> bool:
    sex, year, month, dep, commune, order, key = match.groups()
    dep_value = {"2A": "19", "2B": "18"}.get(dep.upper(), dep)
    number = int(sex + year + month + dep_value + commune + order)
    return 97 - number % 97 == int(key)


def iban_valid(text: str) -> bool:
    compact = re.sub(r"[ \-]", "", text).upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum() or not compact.isascii():
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def _ibans(text: str) -> list[Finding]:
    """IBANs whose check holds; a match that swallowed the next word ("BE68 5390 0754 7034 pour") is cut back
    group by group until it does."""
    found = []
    for match in _IBAN.finditer(text):
        value = match.group()
        ends = [len(value)] + [i for i in range(len(value) - 1, 14, -1) if value[i] in " -"]
        for end in ends:
            if iban_valid(value[:end]):
                found.append(Finding(match.start(), match.start() + end, "iban"))
                break
    return found


# --- dates of birth and car plates ----------------------------------------------------------------------------

_MONTHS = (
    r"janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre"
    r"|janv\.|f[ée]vr?\.|avr\.|juil\.|sept\.|oct\.|nov\.|d[ée]c\."
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_YEAR = r"(?:19|20)?\d{2}"
_DATE = (
    rf"{_DAY}(?P<sep>[/.\-])(?:0?[1-9]|1[0-2])(?P=sep){_YEAR}"  # 12/03/1985, 12-03-1985, 12.03.85
    rf"|{_DAY}(?:er)?[ \u00a0]+(?:{_MONTHS})(?:[ \u00a0]+{_YEAR})?"  # 3 mars 1985, 1er avril 85, 3 mars
    r"|(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"  # 1985-03-12
)
# A date is a date of birth only after a birth context: "né le", "née à Lille le", "né(e) :", "date de naissance :",
# "naissance le", "DDN". The span is the date alone.
_BIRTH = re.compile(
    r"(?<![\w])(?:"
    r"n[ée](?:e|\(e\))?s?[ ]*(?::[ ]*|(?:[àa][ ]+[\w'’ -]{1,40}?[ ]+)?le[ ]+)"
    r"|date[ ]+de[ ]+naissance[ ]*:?[ ]*(?:le[ ]+)?"
    r"|naissance[ ]*(?::[ ]*|le[ ]+)"
    r"|(?:ddn|d\.d\.n\.)[ ]*:?[ ]*"
    rf")(?P<date>{_DATE})(?![\d/])",
    re.IGNORECASE,
)

# Plates: SIV (since 2009, letters I, O and U never used): AB-123-CD, AB 123 CD (capitals), ab123cd, ab-123-cd;
# FNI (before): 1 to 4 digits, 2 or 3 capitals, a département (1234 AB 75, 123-ABC-2A), never a count of some
# acronym followed by a unit ("3 CDD 12 mois").
_SIV = r"[A-HJ-NP-TV-Z]"
_PLATE_SIV = re.compile(
    rf"(?<![\w-])(?:{_SIV}{{2}}([ -]?)\d{{3}}\1{_SIV}{{2}}|(?i:{_SIV.lower()}{{2}}(-?)\d{{3}}\2{_SIV.lower()}{{2}}))"
    r"(?![\w-])"
)
_PLATE_FNI = re.compile(
    r"(?<![\w,.-])\d{1,4}([ -]?)(?P<letters>[A-HJ-NP-Z]{2,3})\1(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])"
    r"(?![\w-]|[,.]\d)(?![ \u00a0]+(?:mois|ans?|années?|heures?|h|jours?|semaines?|min|minutes?|km|m|%|€|euros?)\b)"
)
# Acronyms of the field that a count may precede ("2 ETP 35 heures"): never an FNI plate's letters.
_ACRONYMS = frozenset(
    """
    AAH AME APL ALF ALS APA ARE ASF ASS ASV CAF CAE CAP CDD CEJ CMU CSS ESS ETP HLM PLH PME TPE QPV RSA SDF
    BEP BTS BTP DUT TTC HT KM EUR PAJ PPA PCH MSA ZFU ZUS ZRU NPR ANR PLU PSE TVA URS DSP FSE FSL CSP RAM MJC
    """.split()
)


def _plates(text: str) -> list[Finding]:
    found = [Finding(m.start(), m.end(), "immatriculation") for m in _PLATE_SIV.finditer(text)]
    found += [
        Finding(m.start(), m.end(), "immatriculation")
        for m in _PLATE_FNI.finditer(text)
        if m.group("letters") not in _ACRONYMS
    ]
    return found


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

# A civility in any case ("M." only in capitals: "m." is a metre), then the name (see _civility_names).
_CIVILITY = re.compile(
    r"(?<![\w.])(?:M\.|MM\.|(?i:mmes?|mlles?|melle|mr\.?|monsieur|messieurs|madame|mesdames|mademoiselle|"
    r"mesdemoiselles|docteur|dr\.?))[ \u00a0]+(?=[A-Za-zÀ-ÖØ-öø-ÿ])"
)
_CAPITALISED_NAME = re.compile(r"[A-ZÀ-Ý][\w'’-]*(?:[ ][A-ZÀ-Ý][\w'’-]+)*")
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
# Lower-case words that never are a name after a civility ("madame explique que…", "monsieur le maire") nor a
# surname after a lower-case first name ("karim est venu"): function words and the verbs of field notes. Folded.
_STOP_WORDS = frozenset(
    """
    a ai as au aux avait avaient avec aura aurait auraient aussi alors ainsi apres assez attend attendent
    beaucoup bien ca car ce ceci cela celle celui ces cet cette chez cherche cherchent comme comment confie
    confirme constate contre craint craignent dans de deja demande demandent depuis des deux dit disent doit
    doivent dont du elle elles en encore ensuite entre est et etait etaient ete etre eu evoque explique
    expliquent fait font fut garde gardent habite habitent ici il ils indique indiquent ignore ignorent j je
    jamais l la le les leur leurs lui m ma mais mal me meme mes moi mon n ne ni non nos note notre nous on ont ou
    par parce parle parlent pas pendant pense pensent percoit peu peut peuvent plus pour pourrait precise prefere
    puis qu quand que quel quelle qui quoi raconte rapporte recoit refuse refusent renonce renoncent repond
    rappelle s sa sait savent se selon semble semblent sera serait ses seul seule seuls seules si signale son
    sont souhaite souhaitent souvent sous sur t ta te temoigne tes toi ton touche tous tout toute toutes tres
    trop tu un une va vend vendent vers veut veulent vient viennent vit vivent vos votre vous y agee age ages
    enceinte isolee isole veuve veuf travaille travaillent estime declare affirme ajoute explique rencontre
    rencontree venu venue venus venues partie parti arrive arrivee malade absente absent presente present
    """.split()
)
# Particles that start a surname ("el amrani", "ben salah", "van damme"): the next word belongs to the name.
_SURNAME_PARTICLES = frozenset(
    "el al ben bou ait ibn ould abou abu van von da di del della dos das mac mc".split()
)
# The words before a lower-case noun that is also a first name: "un jean", "la mine", "l'olivier".
_DETERMINERS = frozenset(
    "un une le la les l des du au aux ce cet cette ces son sa ses mon ma mes ton ta tes leur leurs notre nos "
    "votre vos quel quelle quels quelles chaque tout toute".split()
)
# First names of the frequency list that are also French nouns or places in lower case.
_LOWER_EXCLUDED = frozenset(
    """
    mine romain mercedes nada said sultan gloria pascal julienne marguerite olivier marc serge sylvain dolores
    lourdes florence nancy santiago salvador victoria constant maxime may elif can mar paz luz nur jesus islam
    mari lama slim buse tuba loulou salam sari pari rami noria lamine
    """.split()
)
# Common first names of the quartiers that the list lacks (checked against nam_dict.txt).
_EXTRA_FIRST_NAMES = (
    *("Aïcha", "Fatoumata", "Amadou", "Aminata", "Kadiatou", "Mariam", "Oumou", "Djibril"),
    *("Fatou", "Ousmane", "Ibrahima", "Souleymane", "Yanis", "Rayan"),
)


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


# Columns of nam_dict.txt (fixed format) holding a first name's frequency (hexadecimal, 1 = rare, D = very
# common): France and Belgium count from 5 (about 0.06 % of the people), Italy, Portugal and Spain from 6, Turkey
# from 5, the other countries from 4, and Arabia/Persia from 2 (the Maghreb's first names, frequent in the
# quartiers, are rated low there: Mehdi 5, Sofiane 3, Djamel 2).
_FREQUENCY_COLUMNS = {37: 5, 38: 5, 33: 6, 35: 6, 36: 6, 76: 5, 77: 2, 84: 4}


@functools.cache
def common_first_names() -> frozenset[str]:
    """First names common in France, Belgium or the countries of its largest immigrations (folded), 4 letters or
    more, none of them a French word: what a lower-case word must be to start a name ("karim benali")."""
    names: set[str] = set()
    with name_list_path().open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip() or line[0] in "#=" or len(line.split()) < 2:
                continue
            for column, threshold in _FREQUENCY_COLUMNS.items():
                value = line[column : column + 1].strip()
                if value and value in "0123456789ABCDEF" and int(value, 16) >= threshold:
                    names.add(_fold(line.split()[1].replace("+", "-")))
                    break
    names.update(_fold(n) for n in _EXTRA_FIRST_NAMES)
    excluded = _NEVER_NAMES | _AMBIGUOUS | _LOWER_EXCLUDED | _STOP_WORDS
    return frozenset(n for n in names if len(n) >= 4 and n not in excluded)


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper() and (len(word) == 1 or not word.isupper() or len(word) > 3)


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start]
    return not before.strip() or bool(_SENTENCE_END.search(before))


def _next_word(text: str, end: int) -> re.Match[str] | None:
    """The word right after `end`, one space (or no-break space) between, else None."""
    if text[end : end + 1] not in (" ", "\u00a0"):
        return None
    return _WORD.match(text, end + 1)


def _surname_like(word: str) -> bool:
    """A lower-case word that may be a surname: not a function word, a verb of field notes, a number or an elision."""
    folded = _fold(word)
    return (
        len(folded) >= 2
        and not any(ch.isdigit() or ch in "'’" for ch in word)
        and folded not in _STOP_WORDS
        and folded not in _NEVER_NAMES
        and folded not in _PLACE_WORDS
    )


def _civility_names(text: str) -> list[Finding]:
    """A civility and the name after it: capitalised words ("Mme Durand", "M. Jean Martin"), or one lower-case (or
    all capitals) word that may be a surname ("mme dupont", "monsieur martin", "MADAME TRAORE"; "madame explique
    que…" and "MONSIEUR LE MAIRE" pass), with a second one after a first name or a particle ("madame fatou diallo",
    "monsieur el amrani")."""
    found = []
    for match in _CIVILITY.finditer(text):
        first = _WORD.match(text, match.end())
        if first is None:
            continue
        capitals = first.group().isupper() and len(first.group()) > 1
        capitalised = None if capitals else _CAPITALISED_NAME.match(text, match.end())
        if capitalised:
            found.append(Finding(match.start(), capitalised.end(), "nom"))
            continue
        if not (capitals or first.group().islower()) or not _surname_like(first.group()):
            continue
        following = _next_word(text, first.end())
        if _fold(first.group()).endswith(("ait", "aient")) or (
            following is not None and re.match(r"qu(?:e|'|’)", following.group())
        ):
            continue  # a verb: "madame travaillait", "madame pense que…"
        end = first.end()
        folded = _fold(first.group())
        if (
            (folded in first_names() or folded in _SURNAME_PARTICLES)
            and following is not None
            and _surname_like(following.group())
        ):
            end = following.end()
        found.append(Finding(match.start(), end, "nom"))
    return found


def _lower_case_name(text: str, words: list[re.Match[str]], i: int) -> tuple[int, bool] | None:
    """A lower-case name starting at `words[i]` (a common first name, then a surname: "karim benali", "jean-pierre
    durand"): (index of its last word, True); a place named after a person ("centre social louise michel"): (index
    of the last first name, False), none of it a name; None if `words[i]` starts neither. A noun after a
    determiner ("un jean neuf") is not a name."""
    word = words[i].group()
    folded = _fold(word)
    common = common_first_names()
    if folded not in common and not ("-" in folded and all(p in common for p in folded.split("-"))):
        return None
    if i > 0 and text[words[i - 1].end() : words[i].start()].strip() == "":
        previous = _fold(re.split(r"['’]", words[i - 1].group())[-1])
        if previous in _DETERMINERS or _fold(words[i - 1].group()).endswith(("'", "’")):
            return None
        k = i - 1
        while k > 0 and previous in _PARTICLES and text[words[k - 1].end() : words[k].start()].strip() == "":
            k -= 1
            previous = _fold(re.split(r"['’]", words[k].group())[-1])
        if previous in _PLACE_WORDS:
            last = i
            while last + 1 < len(words) and _fold(words[last + 1].group()) in first_names():
                last += 1
            return last, False
    last = i
    while last - i < 3 and last + 1 < len(words):
        following = words[last + 1]
        if words[last].end() + 1 != following.start() or text[words[last].end()] not in (" ", "\u00a0"):
            break
        if not _surname_like(following.group()):
            break
        last += 1
        folded = _fold(following.group())
        if folded not in first_names() and folded not in _SURNAME_PARTICLES:
            break  # the surname ends the name; a second first name ("jean pierre durand") goes on
    return (last, True) if last > i else None


def _names(text: str) -> list[Finding]:
    found = _civility_names(text)
    names = first_names()
    words = list(_WORD.finditer(text))
    i = 0
    while i < len(words):
        match = words[i]
        word = match.group()
        if word.islower() and not word.endswith(("'", "’")):
            lower_case = _lower_case_name(text, words, i)
            if lower_case is not None:
                last, is_name = lower_case
                if is_name:
                    found.append(Finding(match.start(), words[last].end(), "nom"))
                i = last + 1
                continue
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
    found += [Finding(m.start(), m.end(), "courriel") for m in _EMAIL_OBFUSCATED.finditer(text)]
    found += [Finding(m.start(), m.end(), "telephone") for m in _PHONE.finditer(text)]
    found += [Finding(m.start(), m.end(), "nir") for m in _NIR.finditer(text) if nir_key_valid(m)]
    found += [Finding(m.start(), m.end(), "nir") for m in _NIR_SANS_CLE.finditer(text)]
    found += _ibans(text)
    found += [Finding(m.start("date"), m.end("date"), "naissance") for m in _BIRTH.finditer(text)]
    found += _plates(text)
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


def scan_structure(text: str | None) -> list[Finding]:
    """The personal data of a structure's name (a row's `structure` column): every kind but `adresse` (the premises
    of a structure are not personal data), and a `nom` only after a civility ("Cabinet de Mme Durand") or when the
    name is the whole value (a person, not a structure: "Karim Benali"). "Centre social Jean Moulin", "Association
    Louise Michel" or "Collectif Rosa Parks" name a structure after a person: accepted."""
    if not text:
        return []
    kept = []
    for f in scan(text):
        if f.kind == "adresse":
            continue
        if f.kind == "nom":
            whole = not text[: f.start].strip() and not text[f.end :].strip(" .")
            if not whole and _CIVILITY.match(text, f.start) is None:
                continue
        kept.append(f)
    return kept


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
