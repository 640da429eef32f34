"""`syndicate run` with an OpenAI-compatible engine (a local test server speaking the chat
completions protocol): English demo articles appear translated in the Italian feed, with
the glossary's preferred Italian terms."""

from __future__ import annotations

import json
import re

import feedparser
import httpx
import pytest

from ..translate.fake_engines import FakeOpenAI
from .conftest import Service
from .test_run import demo_titles_by_language

pytestmark = pytest.mark.e2e


def test_italian_feed_carries_english_articles_translated_with_our_terms(
    service: Service,
) -> None:
    with FakeOpenAI() as engine:
        # The "model" writes the deprecated Italian term; the glossary QA must fix it.
        engine.substitutions = {
            "batteria allo stato solido": "batteria solida",
            "batterie allo stato solido": "batterie solide",
        }
        text = service.config.read_text("utf-8")
        text, replaced = re.subn(
            r'^engine = "none".*$', 'engine = "openai"\ntargets = ["it"]', text, flags=re.M
        )
        assert replaced == 1
        service.config.write_text(
            text + f'\n[translation.openai]\nbase_url = "{engine.url}/v1"\nmodel = "demo-model"\n',
            "utf-8",
        )
        english = demo_titles_by_language()["en"]

        italian = demo_titles_by_language()["it"]

        def italian_feed(name: str = "all") -> list[feedparser.FeedParserDict]:
            body = httpx.get(f"{service.base_url}/feeds/it/{name}.atom", timeout=5).content
            return list(feedparser.parse(body).entries)

        def all_translated() -> bool:
            entries = italian_feed() + italian_feed("energy")
            return len(entries) > len(italian) and all(
                e.title in italian or e.title.startswith("[it] ") for e in entries
            )

        service.start()
        service.wait_for(all_translated, what="every foreign entry of it/all.atom translated")
        entries = [e for e in italian_feed() if e.title.startswith("[it] ")]
        energy = [e for e in italian_feed("energy") if e.title.startswith("[it] ")]
        requests = [r for r in engine.requests if r.path.endswith("/chat/completions")]

    assert requests and all(r.json["model"] == "demo-model" for r in requests)
    # English and Japanese demo articles, marked as translations, linked to their originals.
    names = {"en": "inglese", "ja": "giapponese"}
    by_language: dict[str, int] = {}
    for entry in entries:
        originals = [link for link in entry.links if link.get("hreflang") in names]
        assert len(originals) == 1 and originals[0].rel == "alternate", entry.links
        lang = originals[0].hreflang
        by_language[lang] = by_language.get(lang, 0) + 1
        note = f"Traduzione automatica dall'originale in {names[lang]} (demo-model)"
        assert note in entry.content[0].value
        assert entry.title[len("[it] ") :] not in english  # the title itself was translated
    assert by_language.get("en", 0) >= 5 and by_language.get("ja", 0) >= 5, by_language
    # Our preferred Italian term, never the deprecated one the engine wrote (whether the
    # original was English or Japanese: the test engine leaves Japanese text around it).
    bodies = " ".join(e.title + e.content[0].value for e in entries + energy)
    assert "allo stato solido" in bodies
    assert "batteria solida" not in bodies and "batterie solide" not in bodies
    # The operator's view: nothing failed, and the engine's use is counted.
    status = service.cli("translations", "status", "--json")
    assert status.returncode == 0, status.stderr
    assert '"failed"' not in status.stdout and '"chars_month": 0' not in status.stdout
    # ... and what glossary QA did about the deprecated terms the engine wrote
    report = json.loads(status.stdout)
    assert report["qa"]["it"]["fixed"] > 0, report["qa"]
    text = service.cli("translations", "status")
    assert re.search(r"glossary QA into it, newest translations: \d+ fixed", text.stdout)
