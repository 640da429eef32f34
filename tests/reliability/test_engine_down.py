"""A translation engine down for an hour: articles are published under the untranslated
policy meanwhile, and translated once the engine is back."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from syndicate.publish import publish_feeds
from syndicate.storage import open_storage
from syndicate.translate import Translator, make_engine

from ..conftest import free_port
from ..translate.fake_engines import FakeOpenAI
from ..translate.test_runner import NOW, TERMS, article, config_for, store
from .conftest import Case

pytestmark = pytest.mark.timeout(120)


def test_an_engine_down_for_an_hour(case: Case, tmp_path: Path, sqlite_url: str) -> None:
    case(
        "translation engine down for an hour",
        "published untranslated (glossed) meanwhile; translated after it is back",
    )
    storage = open_storage(sqlite_url)
    port = free_port()
    config = config_for(tmp_path, "openai", f"http://127.0.0.1:{port}")
    store(storage, article("a1", "Energy storage in Milan", "<p>The grid needs storage.</p>"))
    now = [NOW]
    engine = make_engine(config, storage, lambda: TERMS, {})
    assert engine is not None

    async def no_wait(seconds: float) -> None:
        return None

    translator = Translator(config, storage, engine, owner="w", clock=lambda: now[0], sleep=no_wait)
    feed = config.output_dir / "it" / "all.atom"

    async def passes() -> tuple[int, str, timedelta | None]:
        down_passes = 0
        # down: nothing listens on the engine's port, every 5 minutes for an hour
        while now[0] < NOW + timedelta(hours=1):
            await translator.run_once(TERMS)
            down_passes += 1
            now[0] += timedelta(minutes=5)
        publish_feeds(config, storage, now[0], glossary=TERMS.glossary)
        during = feed.read_text("utf-8")
        back_at = now[0]
        with FakeOpenAI(port=port):
            translated_after = None
            while now[0] < back_at + timedelta(hours=3):
                report = await translator.run_once(TERMS)
                if report.translated:
                    translated_after = now[0] - back_at
                    break
                now[0] += timedelta(minutes=5)
            await translator.engine.aclose()
        return down_passes, during, translated_after

    down_passes, during, translated_after = asyncio.run(passes())
    publish_feeds(config, storage, now[0], glossary=TERMS.glossary)
    after = feed.read_text("utf-8")
    pending = storage.translation_rows(["pending", "failed"], 10)
    storage.close()
    case.saw(
        f"{down_passes} passes while down; feed then had the English original glossed: "
        f"{'Energy storage in Milan' in during}; translated {translated_after} after the "
        f"engine came back; {len(pending)} left pending"
    )
    assert "Energy storage in Milan" in during and "[it]" not in during
    assert translated_after is not None and translated_after <= timedelta(hours=2)
    assert "[it] " in after and not pending
