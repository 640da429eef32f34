"""Translation benchmark: requests and characters sent to an engine, ours against a naive loop.

    .venv/bin/python bench/translate.py [--articles N]              (part of make bench)

500 synthetic English articles (title, summary, HTML content of about 1.5 KB, glossary terms
in them) are translated into Italian and Japanese through a local server that speaks the
DeepL API (tests/translate/fake_engines.py), in one run:
  - naive: one request per field, per article, per target language, no cache (what a
    per-entry feed translator does);
  - syndicate, first pass: batches under DeepL's limits, identical texts sent once;
  - syndicate, second pass: the same articles queued again (a lost row, a `translations
    retry`, a second worker): everything comes from the cache;
  - syndicate, after 10% of the articles changed: only their changed fields are sent.
Prints requests, characters and seconds for each, and the ratios against naive.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syndicate.config import load_config  # noqa: E402
from syndicate.ingest.parse import article_hash  # noqa: E402
from syndicate.models import Article, RoutedArticle  # noqa: E402
from syndicate.storage import open_storage  # noqa: E402
from syndicate.terms.load import load_glossary  # noqa: E402
from syndicate.translate import TranslationRequest, Translator, make_engine  # noqa: E402

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
WORDS = [
    "the",
    "city",
    "and",
    "the",
    "university",
    "open",
    "a",
    "new",
    "lab",
    "for",
    "energy",
    "storage",
    "and",
    "smart",
    "mobility",
    "with",
    "partners",
    "in",
    "Tokyo",
    "while",
    "students",
    "test",
    "electric",
    "buses",
    "and",
    "hydrogen",
    "refuelling",
    "stations",
    "across",
    "the",
    "campus",
    "during",
    "the",
    "winter",
    "semester",
]
TERMS = ["energy storage", "smart grid", "solid-state battery", "green hydrogen", "start-up"]


def fake_engines():  # type: ignore[no-untyped-def]
    path = ROOT / "tests" / "translate" / "fake_engines.py"
    spec = importlib.util.spec_from_file_location("fake_engines", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(10, 18))]
    words.insert(rng.randrange(len(words)), rng.choice(TERMS))
    return " ".join(words).capitalize() + "."


def make_article(i: int, rng: random.Random) -> Article:
    paragraphs = "".join(
        f"<p>{' '.join(sentence(rng) for _ in range(3))}</p>" for _ in range(rng.randint(3, 6))
    )
    a = Article(
        source_id=f"src-{i % 10}",
        guid=f"a{i}",
        link=f"https://example.org/{i}",
        title=sentence(rng)[:80],
        summary=sentence(rng),
        content=paragraphs,
        published=NOW,
        language="en",
    )
    return replace(a, content_hash=article_hash(a))


def config_text(url: str, db: Path) -> str:
    sources = "\n".join(
        f'[[sources]]\nid = "src-{i}"\nurl = "http://127.0.0.1:9/{i}.xml"\nlanguage = "en"'
        for i in range(10)
    )
    return f"""
[service]
languages = ["en", "it", "ja"]
database = "sqlite:///{db}"

[translation]
engine = "deepl"
targets = ["it", "ja"]

[translation.deepl]
base_url = "{url}"
api_key_env = "BENCH_DEEPL_KEY"

[glossary]
files = ["{ROOT}/locales/glossary/*.csv"]

{sources}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500)
    args = parser.parse_args()
    rng = random.Random(5)
    articles = [make_article(i, rng) for i in range(args.articles)]
    fakes = fake_engines()
    env = {"BENCH_DEEPL_KEY": "bench"}
    rows: list[tuple[str, int, int, float]] = []
    with tempfile.TemporaryDirectory() as tmp, fakes.FakeDeepL(api_key="bench") as fake:
        path = Path(tmp) / "config.toml"
        path.write_text(config_text(fake.url, Path(tmp) / "bench.db"), "utf-8")
        config = load_config(path, env={})
        storage = open_storage(config.database_url)
        terms = load_glossary(config)
        storage.sync_sources([(s.id, s.url, s.language, True) for s in config.sources])
        for i in range(10):
            mine = [RoutedArticle(a) for a in articles if a.source_id == f"src-{i}"]
            storage.upsert_articles(f"src-{i}", mine, NOW)

        def measure(label: str, work) -> None:  # type: ignore[no-untyped-def]
            requests, chars = fake.translation_requests, fake.translated_chars
            start = time.perf_counter()
            asyncio.run(work())
            rows.append(
                (
                    label,
                    fake.translation_requests - requests,
                    fake.translated_chars - chars,
                    time.perf_counter() - start,
                )
            )

        async def naive() -> None:
            engine = make_engine(config, storage, lambda: terms, env)
            assert engine is not None
            try:
                for a in articles:
                    for target in config.translation.targets:
                        for text in (a.title, a.summary, a.content):
                            await engine.translate(
                                TranslationRequest((text,), "en", target, (), terms.version)
                            )
            finally:
                await engine.aclose()

        async def ours() -> None:
            engine = make_engine(config, storage, lambda: terms, env)
            assert engine is not None
            translator = Translator(
                config, storage, engine, owner="bench", clock=lambda: NOW, batch_limit=10_000
            )
            try:
                while (await translator.run_once(terms)).claimed:
                    pass
            finally:
                await engine.aclose()

        measure("naive: a request per field, no cache", naive)
        measure("syndicate, first pass", ours)
        done = storage.translation_counts()
        storage.retry_translations("done")
        measure("syndicate, same articles again (cache)", ours)
        changed = [
            replace(a, content=a.content + "<p>Correction: the lab opens in March.</p>")
            for a in articles[: len(articles) // 10]
        ]
        for i in range(10):
            mine = [RoutedArticle(replace(a, content_hash=article_hash(a))) for a in changed]
            mine = [r for r in mine if r.article.source_id == f"src-{i}"]
            storage.upsert_articles(f"src-{i}", mine, NOW)
        measure("syndicate, 10% of articles changed", ours)
        storage.close()

    translations = sum(n for (_, status), n in done.items() if status == "done")
    print(
        f"{args.articles} articles x 2 target languages ({translations} translations done); "
        "local DeepL-protocol server"
    )
    naive_requests, naive_chars = rows[0][1], rows[0][2]
    print(
        f"{'run':<42} {'requests':>9} {'chars':>10} {'seconds':>8} {'req ratio':>10} "
        f"{'chars ratio':>12}"
    )
    for label, requests, chars, seconds in rows:
        print(
            f"{label:<42} {requests:>9} {chars:>10} {seconds:>8.2f} "
            f"{requests / naive_requests:>10.3f} {chars / naive_chars:>12.3f}"
        )


if __name__ == "__main__":
    main()
