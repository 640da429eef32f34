"""Show a machine translation in a feed: the translated fields, a short localized note
naming the engine, and (``output = "bilingual"``) the original after the translation."""

from __future__ import annotations

import html
from dataclasses import replace

from syndicate.config import TranslationOutput
from syndicate.i18n import language_name, text_language, translator
from syndicate.ingest import sanitize_html
from syndicate.models import StoredArticle, Translation
from syndicate.safe import xml_safe

__all__ = ["engine_label", "translated_article", "translation_note"]

_LABELS = {"deepl": "DeepL", "libretranslate": "LibreTranslate"}


def engine_label(engine: str) -> str:
    """``deepl`` -> DeepL; ``openai:some-model`` -> some-model."""
    return _LABELS.get(engine) or engine.split(":", 1)[-1]


def translation_note(original_lang: str, reader: str, engine: str) -> str:
    """The note before a translation, in the reader's language (English if it has no
    catalog)."""
    _ = translator(reader)
    # TRANSLATORS: before a machine translation.
    # {language}: the original's language, named in your language ("English").
    # {engine}: the translation engine ("DeepL").
    message = _("Machine translation from the {language} original ({engine})")
    language = language_name(original_lang, text_language(reader))
    return message.format(language=language, engine=engine_label(engine))


def translated_article(
    stored: StoredArticle, translation: Translation, output: TranslationOutput
) -> StoredArticle:
    """The article as its translation into ``translation.target_lang``."""
    original = stored.article
    reader = translation.target_lang
    note = translation_note(original.language, reader, translation.engine)
    # Sanitized again: a translation stored before engines' output was sanitized on arrival.
    body = sanitize_html(translation.content or translation.summary or "")
    parts = [
        f'<p class="syndicate-translation" lang="{html.escape(reader)}"><em>'
        f"{html.escape(note, quote=False)}</em></p>",
        body,
    ]
    if output is TranslationOutput.BILINGUAL:
        _ = translator(reader)
        # TRANSLATORS: the heading of the original text, after its translation.
        label = _("Original text")
        parts.append(
            f'<hr/><div class="syndicate-original" lang="{html.escape(original.language)}">'
            f"<p><strong>{html.escape(label)}</strong></p>"
            f"<p>{html.escape(original.title)}</p>"
            f"{original.content or original.summary}</div>"
        )
    article = replace(
        original,
        title=xml_safe(translation.title or "") or original.title,
        # An untranslated summary would mix languages in the entry: left out.
        summary=sanitize_html(translation.summary or ""),
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
