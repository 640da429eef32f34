"""What a feed shows: the articles written in its language, the others' translations where
an engine has done them, and the rest under ``translation.untranslated`` (glossed, as they
are, or left out). Subscription documents read their newest entries; archive pages stream
a month's, oldest first, a bounded batch at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

from syndicate.config import Config, UntranslatedPolicy
from syndicate.models import StoredArticle
from syndicate.publish.translated import translated_article
from syndicate.storage import Storage
from syndicate.terms.gloss import gloss_article
from syndicate.terms.model import Glossary

__all__ = ["FeedEntries", "month_span", "next_month"]

#: articles whose translations are looked up at once while streaming
_LOOKUP = 100


class FeedEntries:
    """Reads feeds' entries. Feeds of different languages often read the same newest rows;
    that query runs once per publish (the rows are kept: ``publish.max_entries`` per feed)."""

    def __init__(self, config: Config, storage: Storage, glossary: Glossary) -> None:
        self.config = config
        self.storage = storage
        self.glossary = glossary
        self._rows: dict[tuple[tuple[str, ...], str], list[StoredArticle]] = {}

    def newest(self, lang: str, topic: str) -> list[StoredArticle]:
        """A subscription document's entries: the newest ``publish.max_entries``."""
        languages = self._languages(lang)
        key = (languages, topic)
        if key not in self._rows:
            self._rows[key] = self.storage.articles_for_feed(
                list(languages),
                None if topic == "all" else topic,
                self.config.publish.max_entries,
                exclude_topics=self._excluded(topic),
            )
        return self._shown(lang, self._rows[key], brief=False)

    def month(
        self,
        lang: str,
        topic: str | None,
        month: str,
        *,
        after: tuple[datetime, int] | None = None,
        upto: tuple[datetime, int] | None = None,
    ) -> Iterator[StoredArticle]:
        """An archive's entries of ``month`` (``YYYY-MM``), oldest first, after and up to
        the given (sort date, id) keys: those of ``topic``'s feed, or with None every
        article the language's feeds may show, private topics' included. Articles in another
        language that no engine has translated come brief (their summary: the link leads to
        the rest)."""
        since, before = month_span(month)
        stream = self.storage.stream_articles_for_feed(
            self._languages(lang),
            None if topic in (None, "all") else topic,
            since=since,
            before=before,
            after=after,
            upto=upto,
            exclude_topics=[] if topic is None else self._excluded(topic),
            without_mentions_in=lang,  # shown as they are: only glosses read mentions
        )
        batch: list[StoredArticle] = []
        for stored in stream:
            batch.append(stored)
            if len(batch) == _LOOKUP:
                yield from self._shown(lang, batch, brief=True)
                batch = []
        yield from self._shown(lang, batch, brief=True)

    def _languages(self, lang: str) -> tuple[str, ...]:
        config = self.config
        everyone = config.translation.untranslated is not UntranslatedPolicy.SKIP or (
            self._translating(lang)
        )
        return tuple(config.service.languages if everyone else [lang])

    def _translating(self, lang: str) -> bool:
        return self.config.translation.enabled and lang in self.config.translation.targets

    def _excluded(self, topic: str) -> list[str]:
        """A private topic's articles stay out of the public feeds, ``all`` included."""
        private = self.config.private_topics
        return [] if topic in private else list(private)

    def _shown(self, lang: str, stored: list[StoredArticle], *, brief: bool) -> list[StoredArticle]:
        """``stored`` as a feed in ``lang`` shows them, in order."""
        config = self.config
        policy = config.translation.untranslated
        others = [s.id for s in stored if s.article.language != lang]
        done = (
            self.storage.translations_for(others, lang)
            if others and self._translating(lang)
            else {}
        )
        entries: list[StoredArticle] = []
        for s in stored:
            if s.article.language == lang:
                entries.append(s)
            elif s.id in done:
                entries.append(translated_article(s, done[s.id], config.translation.output))
            elif policy is UntranslatedPolicy.GLOSS:
                entries.append(gloss_article(s, lang, self.glossary, brief=brief))
            elif policy is UntranslatedPolicy.ORIGINAL:
                entries.append(_brief(s) if brief else s)
        return entries


def _brief(stored: StoredArticle) -> StoredArticle:
    """The article with its summary in place of its text (when it has a summary)."""
    article = stored.article
    if not article.summary:
        return stored
    return replace(stored, article=replace(article, content=article.summary))


def month_span(month: str) -> tuple[datetime, datetime]:
    """The first instant of ``month`` (``YYYY-MM``) and of the month after, in UTC."""
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    end = next_month(start.date())
    return start, datetime(end.year, end.month, 1, tzinfo=UTC)


def next_month(month: date) -> date:
    """The first day of the month after ``month``'s."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)
