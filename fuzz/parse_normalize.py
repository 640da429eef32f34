"""atheris harness: arbitrary bytes through the parse + normalize path.

    make fuzz                      (installs atheris, runs for FUZZ_SECONDS, default 60)
    .venv/bin/python fuzz/parse_normalize.py -max_total_time=60 fuzz/corpus

Each input is read as a source's body (RSS, Atom, JSON Feed or anything), with a
Content-Type taken from its first byte. The properties checked on every input:
parse_feed never raises; every article has a non-empty guid and content hash; no text field
holds a character XML cannot carry; titles are plain text within the length cap; the same
body parses to the same articles (same hashes) twice. A failure stops the run and leaves
the input in a crash-* file, which a test can then replay.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from syndicate.ingest import MAX_TITLE, parse_feed

ROOT = Path(__file__).resolve().parent.parent
CONTENT_TYPES = (
    "application/rss+xml; charset=utf-8",
    "application/atom+xml",
    "application/feed+json",
    "text/xml; charset=iso-8859-1",
    "text/html; charset=shift_jis",
    "",
)
XML_ILLEGAL = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"} | {"\ufffe", "\uffff"}


def check(data: bytes) -> None:
    if not data:
        return
    headers = {"content-type": CONTENT_TYPES[data[0] % len(CONTENT_TYPES)]}
    body = data[1:]
    parsed = parse_feed(body, source_id="fuzz", headers=headers, languages=["it", "en", "ja"])
    again = parse_feed(body, source_id="fuzz", headers=headers, languages=["it", "en", "ja"])
    assert [a.content_hash for a in parsed.articles] == [a.content_hash for a in again.articles]
    for article in parsed.articles:
        assert article.guid and article.content_hash
        assert len(article.title) <= MAX_TITLE
        for text in (article.title, article.summary, article.content, *article.authors):
            assert not XML_ILLEGAL.intersection(text), repr(text)
            assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text), repr(text)


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
