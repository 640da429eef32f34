"""Concepts are language-independent: the demo's parallel stories share topics by concepts alone."""

from __future__ import annotations

import dataclasses
import re

import pytest

from syndicate.config import load_config
from syndicate.ingest.parse import parse_feed
from syndicate.models import Article, TopicReason
from syndicate.server.app import DEMO_DIR
from syndicate.terms import load_term_base, mentions_of, route_article

from ..conftest import DEMO_CONFIG


def parallel_stories() -> list[tuple[str, list[str]]]:
    """(number, guids) of the stories told in several languages (syndicate/demo/README.md)."""
    stories = []
    for line in (DEMO_DIR / "README.md").read_text("utf-8").splitlines():
        match = re.match(r"\| (\d+)\s+\|.*\|(.*`.*)\|", line)
        if match:
            ids = re.findall(r"`([a-z]+-[a-z]{2})/(\d{3})`", match.group(2))
            stories.append((match.group(1), [f"tag:valmora.example,2026:{f}/{n}" for f, n in ids]))
    return stories


def test_parallel_stories_share_a_topic_by_concepts_alone() -> None:
    config = load_config(DEMO_CONFIG, env={})
    terms = load_term_base(config)
    assert len(terms.glossary) >= 150 and terms.problems == ()
    # Categories and fixed source topics removed: only the glossary's concepts decide.
    topics = [dataclasses.replace(t, categories=(), keywords=()) for t in config.topics]
    articles = {
        a.guid: a
        for path in DEMO_DIR.glob("*.xml")
        for a in parse_feed(
            path.read_bytes(), source_id="demo", languages=config.service.languages
        ).articles
    }
    stories = parallel_stories()
    assert len(stories) >= 6
    for number, guids in stories:
        versions = [articles[guid] for guid in guids]
        routed = [route_article(v, topics, (), mentions_of(v, terms.matcher)) for v in versions]
        assert all(reason is TopicReason.CONCEPT for r in routed for _, reason in r)
        shared = set.intersection(*({topic for topic, _ in r} for r in routed))
        assert shared, (number, [v.title for v in versions], routed)


@pytest.mark.parametrize(
    ("title", "lang", "topic"),
    [
        ("L'accumulo di energia con batterie allo stato solido", "it", "energy"),
        ("Solid-state batteries for energy storage", "en", "energy"),
        ("全固体電池によるエネルギー貯蔵", "ja", "energy"),
    ],
)
def test_the_same_idea_in_three_languages_lands_in_one_topic(
    title: str, lang: str, topic: str
) -> None:
    config = load_config(DEMO_CONFIG, env={})
    terms = load_term_base(config)
    article = Article("s", "g", None, title, "", "", language=lang)
    routed = dict(route_article(article, config.topics, (), mentions_of(article, terms.matcher)))
    assert routed.get(topic) is TopicReason.CONCEPT
