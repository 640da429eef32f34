"""Forms of Italian and English terms that the glossary need not list. Pure.

Journalists inflect terms and Italian builds prepositions with articles into one word, so
a term matched only as listed misses most of its mentions: *batterie allo stato solido*
for *batteria allo stato solido*, *electric vehicles*, *la riforma dei trasporti* for
*riforma di trasporti*. The matcher adds, for each listed form (:func:`plurals` takes it as
written, :func:`with_prepositions` folded: lower case, no accents, every boundary one
space):

- :func:`plurals`: regular plurals. Italian inflects the words before the first
  preposition (the noun and the adjectives agreeing with it: *veicolo elettrico* →
  *veicoli elettrici*; *pompa di calore* → *pompe di calore*); English the last word, or
  the one before *of* (*memorandum of understanding*). Italian words ending in a
  consonant or a stressed vowel do not change (*bus*, *città*), and words that cannot be
  told apart by rule get both forms (*-co* → *-chi* and *-ci*): a form that is no word
  matches nothing. Irregular plurals stay in the glossary's ``variants``.
- :func:`with_prepositions`: an Italian preposition inside a multiword term matches any
  of its articulated forms and its elided form (*di* → *del*, *della*, *dei*, *delle*,
  *dell'*, *d'*…), whichever the glossary wrote.

Forms listed in the glossary always win over generated ones (the matcher adds those
first), so a generated form never takes a word from another concept.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

__all__ = ["MAX_FORMS", "PREPOSITIONS", "plurals", "with_prepositions"]

#: at most this many generated forms per listed form (prepositions multiply)
MAX_FORMS = 64

#: a simple preposition and its articulated and elided forms, as folded (no apostrophe)
PREPOSITIONS: dict[str, tuple[str, ...]] = {
    "di": ("di", "d", "del", "dello", "della", "dei", "degli", "delle", "dell"),
    "a": ("a", "ad", "al", "allo", "alla", "ai", "agli", "alle", "all"),
    "da": ("da", "dal", "dallo", "dalla", "dai", "dagli", "dalle", "dall"),
    "in": ("in", "nel", "nello", "nella", "nei", "negli", "nelle", "nell"),
    "su": ("su", "sul", "sullo", "sulla", "sui", "sugli", "sulle", "sull"),
}
_BASE = {form: base for base, forms in PREPOSITIONS.items() for form in forms}
# Italian words that start a complement: the words after them do not agree with the noun
_IT_STOPS = set(_BASE) | {"per", "con", "tra", "fra", "e", "o"}
_IT_INVARIANT = {"auto", "moto", "foto", "radio", "bici", "eco", "smart", "hub"}
_EN_NO_PLURAL = {"data", "energy", "research", "software", "hardware", "equipment"}


def plurals(form: str, lang: str) -> list[str]:
    """Regular plural forms of a singular term as written (none for other languages);
    lower case, to be folded like any form."""
    words = form.lower().split()
    if lang == "it":
        return _join_choices(words, _it_inflected_positions(words), _it_plural)
    if lang == "en":
        position = words.index("of") - 1 if "of" in words[1:] else len(words) - 1
        return _join_choices(words, [position], _en_plural)
    return []


def with_prepositions(folded: str) -> list[str]:
    """Other forms of an Italian multiword term: each inner preposition in each of its
    articulated and elided forms (the listed form excluded)."""
    words = folded.split(" ")
    if len(words) < 3:
        return []
    choices = [
        PREPOSITIONS[_BASE[w]] if 0 < i < len(words) - 1 and w in _BASE else (w,)
        for i, w in enumerate(words)
    ]
    out = []
    for combination in itertools.islice(itertools.product(*choices), MAX_FORMS + 1):
        form = " ".join(combination)
        if form != folded:
            out.append(form)
    return out


def _it_inflected_positions(words: list[str]) -> list[int]:
    positions = []
    for i, word in enumerate(words):
        if i and word in _IT_STOPS:
            break
        positions.append(i)
    return positions


def _join_choices(
    words: list[str], positions: list[int], inflect: Callable[[str], tuple[str, ...]]
) -> list[str]:
    choices: list[tuple[str, ...]] = [(w,) for w in words]
    changed = False
    for i in positions:
        if 0 <= i < len(words):
            forms = inflect(words[i])
            if forms:
                choices[i] = forms
                changed = True
    if not changed:
        return []
    plural = [" ".join(c) for c in itertools.islice(itertools.product(*choices), MAX_FORMS)]
    return [p for p in plural if p != " ".join(words)]


def _it_plural(word: str) -> tuple[str, ...]:
    """Plural forms of one Italian word; () when it does not change."""
    if len(word) < 3 or not word.isalpha() or word in _IT_INVARIANT:
        return ()
    last = word[-1]
    if last not in "aeio":  # a consonant (bus, startup) or a stressed vowel (città)
        return ()
    if word.endswith(("ca", "ga")):
        return (word[:-1] + "he",)
    if word.endswith(("cia", "gia")):
        return (word[:-2] + "e", word[:-1] + "e")
    if word.endswith(("co", "go")):
        return (word[:-1] + "hi", word[:-1] + "i")
    if word.endswith("io"):
        return (word[:-1],)
    if word.endswith(("ista", "ma")):
        return (word[:-1] + "i", word[:-1] + "e")
    if last == "a":
        return (word[:-1] + "e",)
    if last in "oe":
        return (word[:-1] + "i",)
    return ()  # -i: already plural, or invariant


def _en_plural(word: str) -> tuple[str, ...]:
    """The plural of one English word; () when it has none by rule. A hyphenated word
    inflects its last part (*e-car* → *e-cars*)."""
    head, hyphen, last = word.rpartition("-")
    if hyphen and head and last:
        return tuple(f"{head}-{plural}" for plural in _en_plural(last))
    if word.endswith("ss"):
        return (word + "es",)
    if len(word) < 2 or not word.isalnum() or word.isdigit() or word in _EN_NO_PLURAL:
        return ()
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return (word + "es",)
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return (word[:-1] + "ies",)
    return (word + "s",)
