"""Italian agreement around a replaced term: the determiner and a prenominal adjective
inflected again for the new term's gender, number and first sound, and whatever else in
the clause may agree (which makes a gender change unsafe). Pure; used by
:func:`syndicate.translate.agreement.replacement`, whose docstring gives the rules.
"""

from __future__ import annotations

import re

from syndicate.terms.model import Gender, Grammar, Number

__all__ = ["italian_edit"]

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


def italian_edit(
    text: str, start: int, end: int, form: str, was: Grammar, becomes: Grammar
) -> tuple[int, str] | None:
    """Where the edit that puts ``form`` over ``text[start:end]`` begins, and the text that
    replaces everything from there to ``end``; None when that cannot be done safely."""
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
        return head, words
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
    return d_start, joined + words


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
