"""Replace a deprecated term by the preferred one without breaking the sentence. Pure.

Glossary QA used to paste the preferred term as written over whatever form of the
deprecated one the engine wrote: "due batterie solide" became "due batteria allo stato
solido", "I vecchi mulini a vento" became "I vecchi turbina eolica". :func:`replacement`
gives the fix only when it cannot break agreement, else None (the caller then asks the
engine again, or flags):

- the matched form's grammar comes from the glossary (form tags, ``turbine eoliche[f pl]``)
  or, for a number the glossary does not state, from the plural rules of
  :mod:`syndicate.terms.forms` (a variant that is the rule's plural of the term is plural);
- the preferred term is used in the same number, in a form the glossary lists (never a
  generated one: a wrong plural would be printed); none listed, no fix;
- Italian: the two terms must have known genders. The determiner before the term
  (article, articulated preposition, demonstrative, quantifier), and one adjective of a
  short list between them (*nuovo*, *vecchio*, *ultimo*…), are inflected again for the new
  gender, number and first sound (*il nuovo mulino* → *la nuova turbina*, *gli* before a
  vowel); a determiner that does not agree with the old term is not trusted. When the
  gender changes, anything else that may agree makes the fix unsafe: any other word right
  before the term or right after it that may be an adjective, a gendered word before the
  determiner (*tutti i*), *stato* or the word after a form of *essere* or *venire* in the
  rest of the clause (*sono stati sostituiti*, *è cresciuta*). A complement coordinated
  after the term shares its noun (*batterie al litio e al sodio*): never fixed;
- English: *a*/*an* before the term follows the new term's first sound;
- the first letter keeps its case (sentence start); Japanese is replaced as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from syndicate.terms.forms import plurals, with_prepositions
from syndicate.terms.model import Gender, Grammar, Number, PartOfSpeech, Term
from syndicate.terms.normalize import fold_term

__all__ = ["Edit", "grammar_of", "replacement"]

#: languages whose terms inflect and agree (the rest are replaced as written)
INFLECTED = frozenset({"it", "en"})


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` by ``new`` (the term, and its determiner when adjusted)."""

    start: int
    end: int
    new: str


def grammar_of(term: Term, surface: str, lang: str) -> Grammar:
    """The grammar of ``surface``, a form of ``term`` as written in a text: its listed form
    (or that form's rule plural, or articulated-preposition variant), with what the glossary
    states and the rules tell; unknown parts None."""
    key = fold_term(surface, lang)
    for form in term.forms:
        folded = fold_term(form, lang)
        if key == folded or (lang == "it" and key in with_prepositions(folded)):
            return _form_grammar(term, form, lang)
    for form in term.forms:
        gender = _form_grammar(term, form, lang).gender
        for plural in plurals(form, lang):
            folded = fold_term(plural, lang)
            if key == folded or (lang == "it" and key in with_prepositions(folded)):
                return Grammar(Number.PLURAL, gender)
    return Grammar()


def _form_grammar(term: Term, form: str, lang: str) -> Grammar:
    stated = term.stated(form)
    gender = stated.gender or term.stated(term.text).gender
    number = stated.number
    if number is None and term.part_of_speech is PartOfSpeech.PROPER_NOUN:
        number = Number.SINGULAR  # a name: City of Valmora
    if number is None and lang in INFLECTED and term.part_of_speech in (None, PartOfSpeech.NOUN):
        others = [f for f in term.forms if f != form]
        if any(_is_plural_of(form, other, lang) for other in others):
            number = Number.PLURAL
        elif form == term.text or any(_is_plural_of(other, form, lang) for other in others):
            number = Number.SINGULAR
    return Grammar(number, gender)


def _is_plural_of(plural: str, singular: str, lang: str) -> bool:
    key = fold_term(plural, lang)
    return any(fold_term(p, lang) == key for p in plurals(singular, lang))


def _form_in(
    term: Term, number: Number, gender: Gender | None, lang: str
) -> tuple[str, Grammar] | None:
    """The listed form of ``term`` in ``number``, with its grammar: the first one of
    ``gender`` (*sindachessa* → *sindaca*), else the first one."""
    found = [
        (form, grammar)
        for form in term.forms
        if (grammar := _form_grammar(term, form, lang)).number is number
    ]
    same = [(form, grammar) for form, grammar in found if grammar.gender is gender]
    chosen = same or found
    return chosen[0] if chosen else None


def replacement(text: str, start: int, end: int, lang: str, old: Term, new: Term) -> Edit | None:
    """The edit that puts ``new`` where ``text[start:end]`` (a form of ``old``) is, with the
    words that agree with it adjusted; None when that cannot be done safely."""
    surface = text[start:end]
    if lang not in INFLECTED:
        return Edit(start, end, _cased(new.text, surface))
    was = grammar_of(old, surface, lang)
    if was.number is None:
        return None
    found = _form_in(new, was.number, was.gender, lang)
    if found is None:
        return None
    form, becomes = found
    if lang == "en":
        return _english(text, start, end, _cased(form, surface))
    if was.gender is None or becomes.gender is None:
        return None
    return _italian(text, start, end, _cased(form, surface), was, becomes)


def _cased(form: str, surface: str) -> str:
    """``form`` with a capital first letter where ``surface`` has one (sentence start)."""
    if surface[:1].isupper() and form[:1].islower():
        return form[:1].upper() + form[1:]
    return form


# -- English ----------------------------------------------------------------------------------

_WORD_CHAR = re.compile(r"\w")
# first letters read with a consonant sound, and those read with a vowel sound
_AN_EXCEPTIONS = re.compile(r"^(?:hour|honest|honou?r|heir)", re.IGNORECASE)
_A_EXCEPTIONS = re.compile(r"^(?:uni|use|usu|eu|one|once|ur[aeiou])", re.IGNORECASE)
_VOWEL_LETTER_NAMES = set("AEFHILMNORSX")  # initialisms read letter by letter: an EV, an LLM


def _english(text: str, start: int, end: int, form: str) -> Edit:
    # the word before the term and the spaces after it, read backwards from the term
    spaces = start
    while spaces and text[spaces - 1].isspace():
        spaces -= 1
    word = spaces
    while word and _WORD_CHAR.match(text[word - 1]):
        word -= 1
    written = text[word:spaces]
    if spaces == start or written.lower() not in {"a", "an"}:
        return Edit(start, end, form)
    article = "an" if _takes_an(form) else "a"
    if written[:1].isupper():
        article = article.capitalize()
    return Edit(word, end, article + text[spaces:start] + form)


def _takes_an(word: str) -> bool:
    first = word.split(" ")[0].split("-")[0]
    if len(first) > 1 and first.isupper():
        return first[0] in _VOWEL_LETTER_NAMES
    if _AN_EXCEPTIONS.match(first):
        return True
    if _A_EXCEPTIONS.match(first):
        return False
    return first[:1].lower() in "aeiou"


# -- Italian ----------------------------------------------------------------------------------

# How a word begins, for the article it takes: a vowel (l', gli), s + consonant, z, gn, ps,
# x, y or i + vowel (lo, gli), or any other consonant (il, i).
VOWEL, SPECIAL, CONSONANT = "vowel", "special", "consonant"
_SPECIAL_START = re.compile(r"^(?:s[^aeiouàèéìòù]|z|gn|ps|pn|x|y|i[aeiou])", re.IGNORECASE)


def _initial(word: str) -> str:
    lower = word.lower()
    if _SPECIAL_START.match(lower):
        return SPECIAL
    if lower[:1] in "aeiouàèéìòùh":
        return VOWEL
    return CONSONANT


_M, _F = Gender.MASCULINE, Gender.FEMININE
_SG, _PL = Number.SINGULAR, Number.PLURAL

# The definite article by gender, number and initial; articulated prepositions are a stem
# and this article's tail (de + llo = dello, a + gli = agli, ne + ll' = nell').
_ARTICLE = {
    (_M, _SG): {CONSONANT: "il", SPECIAL: "lo", VOWEL: "l'"},
    (_M, _PL): {CONSONANT: "i", SPECIAL: "gli", VOWEL: "gli"},
    (_F, _SG): {CONSONANT: "la", SPECIAL: "la", VOWEL: "l'"},
    (_F, _PL): {CONSONANT: "le", SPECIAL: "le", VOWEL: "le"},
}
_TAIL = {"il": "l", "lo": "llo", "l'": "ll'", "la": "lla", "i": "i", "gli": "gli", "le": "lle"}
_STEMS = {"di": "de", "a": "a", "da": "da", "in": "ne", "su": "su"}
_INDEFINITE = {
    (_M, _SG): {CONSONANT: "un", SPECIAL: "uno", VOWEL: "un"},
    (_F, _SG): {CONSONANT: "una", SPECIAL: "una", VOWEL: "un'"},
}
_DEMONSTRATIVES = {
    "questo": {
        (_M, _SG): {CONSONANT: "questo", SPECIAL: "questo", VOWEL: "quest'"},
        (_M, _PL): {CONSONANT: "questi", SPECIAL: "questi", VOWEL: "questi"},
        (_F, _SG): {CONSONANT: "questa", SPECIAL: "questa", VOWEL: "quest'"},
        (_F, _PL): {CONSONANT: "queste", SPECIAL: "queste", VOWEL: "queste"},
    },
    "quello": {
        (_M, _SG): {CONSONANT: "quel", SPECIAL: "quello", VOWEL: "quell'"},
        (_M, _PL): {CONSONANT: "quei", SPECIAL: "quegli", VOWEL: "quegli"},
        (_F, _SG): {CONSONANT: "quella", SPECIAL: "quella", VOWEL: "quell'"},
        (_F, _PL): {CONSONANT: "quelle", SPECIAL: "quelle", VOWEL: "quelle"},
    },
}
# Plural quantifiers: masculine and feminine forms.
_QUANTIFIERS = {
    base: {(_M, _PL): m, (_F, _PL): f}
    for base, m, f in [
        ("alcuni", "alcuni", "alcune"),
        ("molti", "molti", "molte"),
        ("tanti", "tanti", "tante"),
        ("pochi", "pochi", "poche"),
        ("parecchi", "parecchi", "parecchie"),
        ("diversi", "diversi", "diverse"),
        ("vari", "vari", "varie"),
        ("altri", "altri", "altre"),
        ("numerosi", "numerosi", "numerose"),
    ]
}


def _table() -> dict[str, tuple[str, dict[tuple[Gender, Number], dict[str, str]]]]:
    """Every determiner form, lower case -> (its family, the forms of that family)."""
    out: dict[str, tuple[str, dict[tuple[Gender, Number], dict[str, str]]]] = {}
    for forms in _ARTICLE.values():
        for form in forms.values():
            out[form] = ("article", _ARTICLE)
    for preposition, stem in _STEMS.items():
        family = {
            key: {initial: stem + _TAIL[article] for initial, article in by.items()}
            for key, by in _ARTICLE.items()
        }
        for forms in family.values():
            for form in forms.values():
                out[form] = (f"{preposition}+article", family)
    for forms in _INDEFINITE.values():
        for form in forms.values():
            out[form] = ("indefinite", _INDEFINITE)
    for name, family in _DEMONSTRATIVES.items():
        for forms in family.values():
            for form in forms.values():
                out[form] = (name, family)
    for name, by in _QUANTIFIERS.items():
        family = {key: dict.fromkeys((CONSONANT, SPECIAL, VOWEL), form) for key, form in by.items()}
        for form in by.values():
            out[form] = (name, family)
    return out


_DETERMINERS = _table()


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that agree with a noun from before its determiner: "tutti i", "entrambe le".
_PREDETERMINERS = _words("tutto tutta tutti tutte entrambi entrambe ambedue ambo")
# Words after a noun that never agree with it: prepositions, conjunctions, verbs that are
# not participles, and so on; any other word ending in a vowel may be an adjective.
_NEUTRAL_AFTER = _words(
    """di a da in con su per tra fra e ed o od ma che chi cui non si ci ne è sono era erano
    sarà saranno sia siano ha hanno aveva avevano può possono deve devono come anche più
    meno già ancora sempre mai oggi ieri domani qui lì là dove quando se perché poi nel
    nella nei nelle nello negli del della dei delle dello degli al alla ai alle allo agli
    dal dalla dai dalle dallo dagli sul sulla sui sulle sullo sugli il lo la i gli le un
    uno una"""
)
# Forms of essere and venire: the word after them (past participle or adjective) agrees
# with the subject.
_COPULAS = _words(
    """è sono era erano sarà saranno sarebbe sarebbero fu furono sia siano sembra sembrano
    resta restano rimane rimangono diventa diventano risulta risultano appare appaiono
    viene vengono veniva venivano verrà verranno venne vennero"""
)
_STATO = frozenset({"stato", "stata", "stati", "state"})
_CLAUSE_END = re.compile(r"[.;:!?\n]")
_WORD = re.compile(r"[^\W\d_]+(?:'|’)?|\d+", re.UNICODE)


def _italian(
    text: str, start: int, end: int, form: str, was: Grammar, becomes: Grammar
) -> Edit | None:
    assert was.number is not None and was.gender is not None and becomes.gender is not None
    gender_changes = was.gender is not becomes.gender
    if _coordinated(text, end):
        return None  # batterie al litio e al sodio: the second half hangs on the first
    adjective = _adjective_before(text, start)
    if adjective is not None:
        a_start, a_word, paradigm = adjective
        if paradigm.get((was.gender, was.number)) != a_word.lower():
            return None  # does not agree with the old term: do not guess
        new_adjective = paradigm[(becomes.gender, was.number)]
        if a_word[:1].isupper():
            new_adjective = new_adjective[:1].upper() + new_adjective[1:]
        head, words = a_start, new_adjective + text[a_start + len(a_word) : start] + form
    else:
        head, words = start, form
    determiner = _determiner_before(text, head)
    if determiner is None:
        if gender_changes and not _nothing_before_agrees(text, head):
            return None
    else:
        d_start, _, d_word = determiner
        agreeing = _DETERMINERS[_key(d_word)][1].get((was.gender, was.number), {})
        if _key(d_word) not in agreeing.values():
            return None  # the determiner does not agree with the old term: do not guess
        if gender_changes and _previous_word(text, d_start) in _PREDETERMINERS:
            return None  # tutti i mulini: tutte le turbine would need it changed too
    if gender_changes and not _nothing_after_agrees(text, end):
        return None
    if determiner is None:
        return Edit(head, end, words)
    d_start, _, d_word = determiner
    forms = _DETERMINERS[_key(d_word)][1].get((becomes.gender, was.number))
    if forms is None:
        return None
    new_determiner = forms[_initial(words)]
    if d_word[:1].isupper():
        new_determiner = new_determiner[:1].upper() + new_determiner[1:]
    joined = new_determiner if new_determiner.endswith("'") else new_determiner + " "
    if d_word.endswith("’") and joined.endswith("'"):
        joined = joined[:-1] + "’"
    return Edit(d_start, end, joined + words)


# Adjectives that often stand before a noun in the news, with their four forms: the only
# ones inflected again when the noun after them changes gender (any other word there makes
# a gender change unsafe). Built from the masculine singular by the regular endings.
_PRENOMINAL = (
    "nuovo vecchio primo secondo terzo ultimo prossimo piccolo altro stesso unico futuro "
    "moderno numeroso eventuale possibile grande importante principale maggiore migliore "
    "recente potente efficiente"
)


def _paradigm(masculine: str) -> dict[tuple[Gender, Number], str]:
    stem = masculine[:-1]
    if masculine.endswith("e"):  # grande, grandi: one form for both genders
        return {
            (_M, _SG): masculine,
            (_F, _SG): masculine,
            (_M, _PL): stem + "i",
            (_F, _PL): stem + "i",
        }
    if stem.endswith("i"):  # vecchio: vecchi, vecchie
        plural, feminine_plural = stem, stem + "e"
    elif stem.endswith("c"):  # unico: unici, uniche
        plural, feminine_plural = stem + "i", stem + "he"
    else:
        plural, feminine_plural = stem + "i", stem + "e"
    return {
        (_M, _SG): masculine,
        (_F, _SG): stem + "a",
        (_M, _PL): plural,
        (_F, _PL): feminine_plural,
    }


_ADJECTIVES = {
    form: paradigm
    for masculine in _PRENOMINAL.split()
    for paradigm in [_paradigm(masculine)]
    for form in paradigm.values()
}


def _adjective_before(
    text: str, start: int
) -> tuple[int, str, dict[tuple[Gender, Number], str]] | None:
    """A listed adjective right before ``start`` (one space between): its start, as
    written, and its forms."""
    if start < 2 or text[start - 1] != " ":
        return None
    k = start - 1
    while k and text[k - 1].isalpha():
        k -= 1
    word = text[k : start - 1]
    paradigm = _ADJECTIVES.get(word.lower())
    return (k, word, paradigm) if paradigm is not None else None


_COORDINATION = re.compile(
    r"^\s+(?:e|ed|o|od|né)\s+(?:(?:di|a|da|in|su|con|per)\b|"
    r"(?:del|dello|della|dei|degli|delle|dell|al|allo|alla|ai|agli|alle|all|dal|dallo|"
    r"dalla|dai|dagli|dalle|dall|nel|nello|nella|nei|negli|nelle|nell|sul|sullo|sulla|sui|"
    r"sugli|sulle|sull)\b)",
    re.IGNORECASE,
)


def _coordinated(text: str, end: int) -> bool:
    """Whether the term is followed by a coordinated complement that shares its noun
    (*batterie al litio e al sodio*): replacing the first half would strand the second."""
    return _COORDINATION.match(text[end : end + 40]) is not None


def _key(word: str) -> str:
    return word.lower().replace("’", "'")


def _determiner_before(text: str, start: int) -> tuple[int, int, str] | None:
    """The determiner right before ``start``: (its start, its end, as written)."""
    i = start
    if i and text[i - 1] in "'’":  # elided: l'energia, dell'idrogeno, un'auto
        j = i - 1
        while j and text[j - 1].isalpha():
            j -= 1
        word = text[j:i]
        return (j, i, word) if _key(word) in _DETERMINERS else None
    j = i
    while j and text[j - 1] in " \u00a0":
        j -= 1
    if j == i:
        return None
    k = j
    while k and text[k - 1].isalpha():
        k -= 1
    word = text[k:j]
    return (k, j, word) if word.lower() in _DETERMINERS else None


def _previous_word(text: str, start: int) -> str:
    words = _WORD.findall(text[max(0, start - 40) : start])
    return words[-1].lower() if words else ""


def _nothing_before_agrees(text: str, start: int) -> bool:
    """No word right before ``start``, a term without a determiner, may agree with it: the
    text starts there, or the word is a number, a preposition or a conjunction (any other
    word may be an adjective: *vecchi mulini*, *bel mulino*)."""
    before = text[:start].rstrip()
    if not before or before[-1] in '.;:!?,("«“\n':
        return True
    word = _previous_word(text, start)
    return word.isdigit() or word in _NUMBERS or word in _NEUTRAL_AFTER


_NUMBERS = frozenset(
    [
        "due",
        "tre",
        "quattro",
        "cinque",
        "sei",
        "sette",
        "otto",
        "nove",
        "dieci",
        "cento",
        "mille",
        "ogni",
        "qualche",
    ]
)


def _nothing_after_agrees(text: str, end: int) -> bool:
    """No word of the rest of the clause may agree with the term: no adjective right after
    it, no predicate or participle after a form of essere or venire (*sono stati
    sostituiti*, *è cresciuta*); adverbs and prepositions in between are skipped."""
    stop = _CLAUSE_END.search(text, end)
    clause = text[end : stop.start() if stop else len(text)]
    words = [w.lower() for w in _WORD.findall(clause)]
    if words and clause[:1].isspace() and _may_agree(words[0]):
        return False  # right after the term: may be an adjective
    for i, word in enumerate(words):
        if word in _STATO:
            return False
        if word in _COPULAS and i + 1 < len(words) and _may_agree(words[i + 1]):
            return False
    return True


def _may_agree(word: str) -> bool:
    """Whether ``word`` may be an adjective or participle that agrees in gender."""
    return word not in _NEUTRAL_AFTER and word[-1:] in "oaie"
