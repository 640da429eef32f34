"""Show a machine translation in a feed: the translated fields, a short localized note
naming the engine, and (``output = "bilingual"``) the original after the translation."""

from __future__ import annotations

import html
from dataclasses import replace

from syndicate.config import TranslationOutput
from syndicate.i18n import language_name
from syndicate.models import StoredArticle, Translation

__all__ = ["engine_label", "translated_article", "translation_note"]

# Our own wording, per reader language; English for any other.
_NOTE = {
    "it": "Traduzione automatica dall'originale in {language} ({engine})",
    "en": "Machine translation from the {language} original ({engine})",
    "ja": "{language}の原文からの機械翻訳（{engine}）",
}
_ORIGINAL = {"it": "Testo originale", "en": "Original text", "ja": "原文"}
_LABELS = {"deepl": "DeepL", "libretranslate": "LibreTranslate"}


def engine_label(engine: str) -> str:
    """``deepl`` -> DeepL; ``openai:some-model`` -> some-model."""
    return _LABELS.get(engine) or engine.split(":", 1)[-1]


def translation_note(original_lang: str, reader: str, engine: str) -> str:
    template = _NOTE.get(reader, _NOTE["en"])
    return template.format(
        language=language_name(original_lang, reader), engine=engine_label(engine)
    )


def translated_article(
    stored: StoredArticle, translation: Translation, output: TranslationOutput
) -> StoredArticle:
    """The article as its translation into ``translation.target_lang``."""
    original = stored.article
    reader = translation.target_lang
    note = translation_note(original.language, reader, translation.engine)
    body = translation.content or translation.summary or ""
    parts = [
        f'<p class="syndicate-translation" lang="{html.escape(reader)}"><em>'
        f"{html.escape(note, quote=False)}</em></p>",
        body,
    ]
    if output is TranslationOutput.BILINGUAL:
        label = _ORIGINAL.get(reader, _ORIGINAL["en"])
        parts.append(
            f'<hr/><div class="syndicate-original" lang="{html.escape(original.language)}">'
            f"<p><strong>{html.escape(label)}</strong></p>"
            f"<p>{html.escape(original.title)}</p>"
            f"{original.content or original.summary}</div>"
        )
    article = replace(
        original,
        title=translation.title or original.title,
        # An untranslated summary would mix languages in the entry: left out.
        summary=translation.summary or "",
        content="".join(parts),
        language=reader,
    )
    return replace(
        stored,
        article=article,
        translated_from=original.language,
        translator=translation.engine,
        original_link=original.link,
    )
