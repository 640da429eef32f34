"""Which of a feed's entries are new, changed or the same as what is stored. Pure.

One decision for a poll (which routes and stores only the new and changed ones) and for
``sources check`` (which shows it). Storage still compares again inside its transaction,
where another worker may have written meanwhile: this is what to work on, not a lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from syndicate.models import Article
from syndicate.safe import safe_article

__all__ = ["ComparedEntry", "EntryChange", "compare_entries"]


class EntryChange(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    SAME = "same"


@dataclass(frozen=True)
class ComparedEntry:
    #: the entry as it would be stored (made safe, as storage does to every article)
    article: Article
    change: EntryChange


def compare_entries(articles: Sequence[Article], stored: Mapping[str, str]) -> list[ComparedEntry]:
    """Each entry of ``articles`` against ``stored`` (guid -> content hash of the stored
    article), in feed order; an entry repeated in one feed counts once, the first time,
    as storage keeps the first."""
    compared: list[ComparedEntry] = []
    seen: set[str] = set()
    for article in articles:
        if article.guid in seen:
            continue
        seen.add(article.guid)
        safe, _ = safe_article(article)
        old = stored.get(safe.guid)
        if old is None:
            change = EntryChange.NEW
        elif old == safe.content_hash:
            change = EntryChange.SAME
        else:
            change = EntryChange.CHANGED
        compared.append(ComparedEntry(safe, change))
    return compared
