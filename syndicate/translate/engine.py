"""The translation engine protocol: what every engine takes and gives back.

An engine translates a batch of HTML fragments from one language to another, given the
glossary entries that matter for them. It does no caching, budgeting, retrying or quality
checking: :mod:`syndicate.translate.runner` does those, the same way for every engine.
Each engine maps its provider's failures to :class:`~syndicate.errors.TranslationError`
with a ``kind`` the runner acts on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Engine", "EngineReply", "GlossaryEntry", "TranslationRequest"]


@dataclass(frozen=True)
class GlossaryEntry:
    """One concept for one language pair: how the source names it and how the target must.

    ``do_not_translate``: a name (person, institution, programme) that stays as written.
    """

    source: str
    target: str
    do_not_translate: bool = False


@dataclass(frozen=True)
class TranslationRequest:
    """A batch for one language pair. Sent by the runner to an engine."""

    #: HTML fragments (plain text is sent escaped); the reply keeps their order and count
    texts: tuple[str, ...]
    #: BCP 47 languages, e.g. ``it``, ``en``, ``ja``
    source: str
    target: str
    #: the entries of this pair whose source term occurs in ``texts``
    glossary: tuple[GlossaryEntry, ...] = ()
    #: the term base's version (engines with remote glossaries key them by it)
    glossary_version: str = ""
    #: (use, avoid): terms the translation must use instead of deprecated ones, asked when
    #: glossary QA found a deprecated term it could not replace without breaking agreement
    #: (only to an engine that ``retranslates``)
    insist: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class EngineReply:
    """An engine's answer: one translation per text, in order, and what it cost."""

    texts: tuple[str, ...]
    #: characters the provider billed (or, where it does not say, the characters sent)
    chars_billed: int
    #: tokens, where the API reports them (LLM endpoints)
    tokens: int | None = None


class Engine(Protocol):
    """A machine translation engine."""

    @property
    def name(self) -> str:
        """Engine and model, e.g. ``deepl`` or ``openai:llama-3.1-8b``: part of cache keys."""
        ...

    @property
    def max_chars(self) -> int:
        """The most characters one request may carry (all its texts together)."""
        ...

    @property
    def max_texts(self) -> int:
        """The most texts one request may carry."""
        ...

    @property
    def retranslates(self) -> bool:
        """Whether the engine follows ``TranslationRequest.insist``: asked again to use a
        term, it can inflect it and rebuild the sentence around it (an LLM can; DeepL's
        glossary already holds the preferred terms, LibreTranslate has no way to ask)."""
        ...

    async def translate(self, request: TranslationRequest) -> EngineReply:
        """Translate every text, or raise TranslationError: never a partial reply."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
