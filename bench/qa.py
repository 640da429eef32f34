"""Glossary QA of machine translations, measured on engine outputs of our own writing.

    .venv/bin/python bench/qa.py [--set FILE] [--cases]          (part of make bench)

``bench/data/qa_eval.toml`` holds realistic engine outputs in it, en and ja (inflected
deprecated terms, gender changes, terms at sentence start, terms inside longer words,
altered do-not-translate names, and outputs that are already right), each with the text
a careful editor would publish, whether a human must look (a flag), and, where a fix needs
more than the term and its determiner, what a good engine answers when asked again.

Each case goes through the real path: an article in a SQLite database, the translation
runner with the OpenAI-compatible engine and the shipped term base, against a local
OpenAI-compatible server on 127.0.0.1 (``tests/translate/fake_engines.py``) that answers
the case's output, and its re-translation when asked again with ``required_terms`` (a
case without one gets its first output again: an engine that does not do better). Printed:

- deprecated uses corrected (the published text is the expected one), in place or by
  asking the engine again;
- unsafe fixes: a published text that is neither the engine's output nor the expected
  one (a fix that broke the sentence or chose the wrong form): the target is zero;
- deprecated uses left: missed (no flag) or flagged for a human;
- false flags on outputs that were already right;
- re-translations asked, and how many of those ended right.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import sys
import tempfile
import tomllib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from translate import fake_engines  # noqa: E402  (bench/translate.py)

from syndicate.config import load_config  # noqa: E402
from syndicate.ingest.parse import article_hash  # noqa: E402
from syndicate.models import Article, RoutedArticle, Translation  # noqa: E402
from syndicate.storage import open_storage  # noqa: E402
from syndicate.terms import load_term_base  # noqa: E402
from syndicate.translate import Translator, make_engine  # noqa: E402

SET = ROOT / "bench" / "data" / "qa_eval.toml"
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    source_lang: str
    target_lang: str
    source: str
    output: str
    expected: str
    deprecated: int
    flag: bool
    retranslation: str | None


@dataclass(frozen=True)
class Result:
    case: Case
    published: str
    flagged: bool
    asked_again: bool

    @property
    def right(self) -> bool:
        return self.published == self.case.expected

    @property
    def unsafe(self) -> bool:
        """Changed, but not into the expected text."""
        return self.published not in (self.case.expected, self.case.output)


def read_cases(path: Path) -> list[Case]:
    data = tomllib.loads(path.read_text("utf-8"))
    return [
        Case(
            c["id"],
            c["kind"],
            c["source_lang"],
            c["target_lang"],
            c["source"],
            c["output"],
            c["expected"],
            int(c["deprecated"]),
            bool(c["flag"]),
            c.get("retranslation"),
        )
        for c in data["case"]
    ]


def _markup(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>"


def _plain(markup: str) -> str:
    inner = markup.strip().removeprefix("<p>").removesuffix("</p>")
    return html.unescape(inner)


def run_target(cases: list[Case], target: str, directory: Path) -> list[Result]:
    """Translate every case into ``target`` through the runner, against a local server."""
    module = fake_engines()
    with module.FakeOpenAI() as server:
        for case in cases:
            server.script[_markup(case.source)] = _markup(case.output)
            if case.retranslation is not None:
                server.script_insisted[_markup(case.source)] = _markup(case.retranslation)
        sources = sorted({c.source_lang for c in cases})
        config_path = directory / f"config-{target}.toml"
        config_path.write_text(
            f"""
[service]
languages = ["it", "en", "ja"]
database = "sqlite:///{directory / f"qa-{target}.db"}"
output_dir = "{directory / "feeds"}"

[glossary]
files = ["{ROOT / "locales" / "glossary"}/*.csv"]

[translation]
engine = "openai"
targets = ["{target}"]
fields = ["content"]

[translation.openai]
base_url = "{server.url}/v1"
model = "local-model"
timeout = "10s"
"""
            + "".join(
                f'[[sources]]\nid = "src-{lang}"\nurl = "http://127.0.0.1:9/{lang}.xml"\n'
                f'language = "{lang}"\n'
                for lang in sources
            ),
            encoding="utf-8",
        )
        config = load_config(config_path)
        terms = load_term_base(config)
        storage = open_storage(config.service.database)
        try:
            storage.sync_sources(
                [(f"src-{lang}", f"http://127.0.0.1:9/{lang}.xml", lang, True) for lang in sources]
            )
            for lang in sources:
                articles = [_article(case, lang) for case in cases if case.source_lang == lang]
                storage.upsert_articles(f"src-{lang}", [RoutedArticle(a) for a in articles], NOW)
            engine = make_engine(config, storage, lambda: terms, {})
            assert engine is not None
            translator = Translator(config, storage, engine, owner="bench", clock=lambda: NOW)

            async def once() -> None:
                try:
                    await translator.run_once(terms)
                finally:
                    await engine.aclose()

            asyncio.run(once())
            done = {title: t for _, title, t in storage.translation_rows(["done"], 10_000)}
        finally:
            storage.close()
    results = []
    for case in cases:
        translation = done.get(case.id)
        results.append(_result(case, translation))
    return results


def _article(case: Case, lang: str) -> Article:
    a = Article(
        source_id=f"src-{lang}",
        guid=case.id,
        link=f"https://bench.example/{case.id}",
        title=case.id,
        summary="",
        content=_markup(case.source),
        published=NOW,
        language=lang,
    )
    return replace(a, content_hash=article_hash(a))


def _result(case: Case, translation: Translation | None) -> Result:
    if translation is None or translation.content is None:
        return Result(case, "(not translated)", False, False)
    return Result(
        case,
        _plain(translation.content),
        bool(translation.flags),
        # (getattr: the figures before issue 17 came from a runner without it)
        bool(getattr(translation, "retranslated", ()))
        or any("asked the engine again" in f for f in translation.flags),
    )


def evaluate(path: Path = SET) -> list[Result]:
    cases = read_cases(path)
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        for target in ("it", "en", "ja"):
            mine = [c for c in cases if c.target_lang == target]
            if mine:
                results += run_target(mine, target, Path(tmp))
    order = {c.id: i for i, c in enumerate(cases)}
    return sorted(results, key=lambda r: order[r.case.id])


def table(results: list[Result]) -> str:
    with_terms = [r for r in results if r.case.deprecated]
    uses = sum(r.case.deprecated for r in with_terms)
    corrected = sum(r.case.deprecated for r in with_terms if r.right)
    in_place = sum(r.case.deprecated for r in with_terms if r.right and not r.asked_again)
    unsafe = [r for r in results if r.unsafe]
    left = [r for r in with_terms if not r.right and not r.unsafe]
    missed = sum(r.case.deprecated for r in left if not r.flagged)
    flagged = sum(r.case.deprecated for r in left if r.flagged)
    clean = [r for r in results if not r.case.deprecated and not r.case.flag]
    false_flags = [r for r in clean if r.flagged]
    changed_clean = [r for r in clean if r.published != r.case.output]
    must_flag = [r for r in results if r.case.flag]
    asked = [r for r in results if r.asked_again]
    flagged_ok, asked_ok = _count(must_flag, "flagged"), _count(asked, "right")
    lines = [
        f"{'figure':<52} {'value':>12}",
        f"{'cases':<52} {len(results):>12}",
        f"{'deprecated uses corrected':<52} {_share(corrected, uses):>12}",
        f"{'  of which in place':<52} {in_place:>12}",
        f"{'  of which by asking the engine again':<52} {corrected - in_place:>12}",
        f"{'unsafe fixes (target: 0)':<52} {len(unsafe):>12}",
        f"{'deprecated uses left, flagged for a human':<52} {flagged:>12}",
        f"{'deprecated uses left, missed (no flag)':<52} {missed:>12}",
        f"{'false flags on outputs already right':<52} {_share(len(false_flags), len(clean)):>12}",
        f"{'outputs already right that were changed':<52} {len(changed_clean):>12}",
        f"{'cases that need a human, flagged':<52} {_share(flagged_ok, len(must_flag)):>12}",
        f"{'re-translations asked, ended right':<52} {_share(asked_ok, len(asked)):>12}",
    ]
    for lang in ("it", "en", "ja"):
        mine = [r for r in with_terms if r.case.target_lang == lang]
        n = sum(r.case.deprecated for r in mine)
        ok = sum(r.case.deprecated for r in mine if r.right)
        lines.append(f"{f'  corrected, into {lang}':<52} {_share(ok, n):>12}")
    return "\n".join(lines)


def _count(results: list[Result], attribute: str) -> int:
    return sum(1 for r in results if getattr(r, attribute))


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} {part / whole:.0%}" if whole else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description="glossary QA benchmark")
    parser.add_argument("--set", type=Path, default=SET)
    parser.add_argument("--cases", action="store_true", help="print every case's outcome")
    args = parser.parse_args()
    results = evaluate(args.set)
    print(table(results))
    if args.cases:
        for r in results:
            mark = "ok " if r.right else ("UNSAFE" if r.unsafe else "left")
            flag = " flagged" if r.flagged else ""
            again = " asked-again" if r.asked_again else ""
            print(f"\n{r.case.id} [{r.case.kind}] {mark}{flag}{again}")
            if not r.right:
                print(f"  output:    {r.case.output}")
                print(f"  expected:  {r.case.expected}")
                print(f"  published: {r.published}")


if __name__ == "__main__":
    main()
