"""Show an article written in another language to a reader, without machine translation.

Policy ``gloss``: the original title and text, after a header in the reader's language
("Pubblicato in giapponese il 3 novembre 2026") and a box of the article's key terms: the
concepts it mentions, named by the organisation's preferred term in the reader's language.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from syndicate.i18n import language_name, long_date, text_language, translator
from syndicate.models import Mention, StoredArticle
from syndicate.terms.model import Glossary
from syndicate.terms.routing import concept_scores

__all__ = ["MAX_KEY_TERMS", "gloss_article", "gloss_header", "key_terms"]

#: the most concepts a key-terms box lists
MAX_KEY_TERMS = 8


def gloss_header(stored: StoredArticle, reader: str) -> str:
    """The header sentence, in the reader's language (English if it has no catalog)."""
    _ = translator(reader)
    here = text_language(reader)
    language = language_name(stored.article.language, here)
    when = stored.article.published or stored.article.updated
    if when is None:
        # TRANSLATORS: before an article shown untranslated, when it has no date.
        # {language}: the article's language, named in your language ("Japanese").
        return _("Published in {language}").format(language=language)
    # TRANSLATORS: before an article shown untranslated.
    # {language}: the article's language, named in your language ("Japanese").
    # {date}: the date it was published, in full ("November 3, 2026").
    message = _("Published in {language} on {date}")
    return message.format(language=language, date=long_date(when, here))


def key_terms(
    mentions: Sequence[Mention], glossary: Glossary, reader: str
) -> list[tuple[str, str]]:
    """(term in the reader's language, term as the article wrote it), most mentioned first."""
    scores = concept_scores(mentions)  # the same weights that route the article
    written: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for m in mentions:
        written.setdefault(m.concept, m.term)
        counts[m.concept] += m.count
    out = []
    for concept_id in sorted(scores, key=lambda c: (-scores[c], -counts[c], c)):
        concept = glossary.get(concept_id)
        preferred = concept.preferred(reader) if concept else None
        if preferred is not None:
            out.append((preferred.text, written[concept_id]))
        if len(out) == MAX_KEY_TERMS:
            break
    return out


def gloss_article(
    stored: StoredArticle, reader: str, glossary: Glossary, *, brief: bool = False
) -> StoredArticle:
    """The article with the header and key-terms box before its original content. With
    ``brief`` (an archive's copy, whose link leads to the rest): the header and the key
    terms in one paragraph, in the reader's language only, before the summary."""
    article = stored.article
    own = html.escape(article.language)
    header = html.escape(gloss_header(stored, reader))
    parts = [f'<div class="syndicate-gloss" lang="{html.escape(reader)}">']
    terms = key_terms(stored.mentions, glossary, reader)
    _ = translator(reader)
    # TRANSLATORS: the label of the list of an article's main terms.
    label = html.escape(_("Key terms"))
    if brief:
        listed = ", ".join(html.escape(mine) for mine, _theirs in terms)
        parts.append(f"<p><em>{header}</em>" + (f" · {label}: {listed}" if terms else "") + "</p>")
    else:
        parts.append(f"<p><em>{header}</em></p>")
    if terms and not brief:
        items = "".join(
            f"<li>{html.escape(mine)}</li>"
            if mine.casefold() == theirs.casefold()
            else f'<li>{html.escape(mine)} (<span lang="{own}">{html.escape(theirs)}</span>)</li>'
            for mine, theirs in terms
        )
        parts.append(f"<p><strong>{label}</strong></p><ul>{items}</ul>")
    parts.append("</div>")
    body = (article.summary or article.content) if brief else (article.content or article.summary)
    content = "".join(parts) + f'<div lang="{own}">{body}</div>'
    # brief: the summary is in the content already, once is enough
    summary = "" if brief else article.summary
    return replace(stored, article=replace(article, content=content, summary=summary))
