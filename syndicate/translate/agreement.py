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

The Italian rules are in :mod:`~syndicate.translate._italian_agreement`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from syndicate.terms.forms import plurals, with_prepositions
from syndicate.terms.model import Gender, Grammar, Number, PartOfSpeech, Term
from syndicate.terms.normalize import fold_term
from syndicate.translate._italian_agreement import italian_edit

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
    italian = italian_edit(text, start, end, _cased(form, surface), was, becomes)
    return None if italian is None else Edit(italian[0], end, italian[1])


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
