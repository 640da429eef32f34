"""Ingest: a source feed from the wire to :class:`~syndicate.models.Article` records.

A newcomer's map, in the order a poll runs: ``fetch.py`` asks the publisher's server
(conditional GET, limits, timeouts) through ``_netguard.py`` (only checked public
addresses) and ``_decode.py`` (bounded decompression); ``entry_split.py`` cuts the body
into entries so only the changed ones are parsed; ``parse.py`` reads RSS, Atom and (with
``_jsonfeed.py``) JSON Feed, after ``_charset.py`` settles the encoding, with
``_language.py`` detecting undeclared languages; ``entry_changes.py`` says which entries
are new, changed or the same as stored. Other packages import from here.
"""

from __future__ import annotations

from syndicate.ingest._language import detect_language
from syndicate.ingest._netguard import AddressRefused, GuardedTransport, is_public_address
from syndicate.ingest.entry_changes import ComparedEntry, EntryChange, compare_entries
from syndicate.ingest.entry_split import MAX_SPLIT_BYTES, FeedSplit, Fingerprint, split_feed
from syndicate.ingest.fetch import Fetcher, politeness_key
from syndicate.ingest.parse import (
    MAX_TITLE,
    ParsedFeed,
    article_hash,
    normalize_language,
    parse_feed,
    sanitize_html,
)

__all__ = [
    "MAX_SPLIT_BYTES",
    "MAX_TITLE",
    "AddressRefused",
    "ComparedEntry",
    "EntryChange",
    "FeedSplit",
    "Fetcher",
    "Fingerprint",
    "GuardedTransport",
    "ParsedFeed",
    "article_hash",
    "compare_entries",
    "detect_language",
    "is_public_address",
    "normalize_language",
    "parse_feed",
    "politeness_key",
    "sanitize_html",
    "split_feed",
]
