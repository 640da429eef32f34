"""Translation passes against local engine servers that speak the real wire protocols:
cache, glossary, budget, failures, QA, and nothing marked translated that is not."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from syndicate.config import Config
from syndicate.errors import TranslationErrorKind
from syndicate.ingest.parse import article_hash
from syndicate.models import Article, RoutedArticle, TranslationStatus
from syndicate.storage import SqlStorage, open_storage
from syndicate.terms import Concept, Glossary, Matcher, Term, TermStatus
from syndicate.terms.load import TermBase
from syndicate.terms.model import Gender, Grammar
from syndicate.translate import Translator, make_engine, translation_status

from ..conftest import make_config
from .fake_engines import Failure, FakeDeepL, FakeLibreTranslate, FakeOpenAI

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
MASCULINE = Grammar(None, Gender.MASCULINE)
FEMININE = (("turbina eolica", Grammar(None, Gender.FEMININE)),)

GLOSSARY = Glossary(
    (
        Concept(
            "energy-storage",
            "energy",
            "",
            (
                Term("en", "energy storage"),
                Term("it", "accumulo di energia", grammar=(("accumulo di energia", MASCULINE),)),
                Term(
                    "it",
                    "stoccaggio energetico",
                    TermStatus.DEPRECATED,
                    grammar=(("stoccaggio energetico", MASCULINE),),
                ),
                Term("ja", "エネルギー貯蔵"),
            ),
        ),
        Concept(
            "smart-grid",
            "energy",
            "",
            (
                Term("en", "smart grid"),
                Term("it", "rete intelligente"),
                Term("ja", "スマートグリッド"),
            ),
        ),
        Concept(
            "wind-turbine",
            "energy",
            "",
            (
                Term("en", "wind turbine", variants=("wind turbines",)),
                Term("it", "turbina eolica", variants=("turbine eoliche",), grammar=FEMININE),
                Term(
                    "it",
                    "mulino a vento",
                    TermStatus.DEPRECATED,
                    variants=("mulini a vento",),
                    grammar=(("mulino a vento", Grammar(None, Gender.MASCULINE)),),
                ),
            ),
        ),
        Concept(
            "polimi",
            "org",
            "",
            tuple(
                Term(lang, "Politecnico di Milano", TermStatus.PREFERRED, do_not_translate=True)
                for lang in ("it", "en", "ja")
            ),
        ),
    )
)
TERMS = TermBase(GLOSSARY, Matcher(GLOSSARY))


def article(guid: str, title: str, content: str = "", summary: str = "") -> Article:
    a = Article(
        source_id="hub-en",
        guid=guid,
        link=f"https://example.org/{guid}",
        title=title,
        summary=summary,
        content=content,
        published=NOW,
        language="en",
    )
    return replace(a, content_hash=article_hash(a))


def store(storage: SqlStorage, *articles: Article) -> None:
    storage.sync_sources([("hub-en", "http://127.0.0.1:9/feed.xml", "en", True)])
    storage.upsert_articles("hub-en", [RoutedArticle(a) for a in articles], NOW)


def config_for(
    tmp_path: Path, engine: str, url: str, extra: str = "", timeout: str = "2s"
) -> Config:
    table = {
        "openai": f'base_url = "{url}/v1"\nmodel = "local-model"',
        "deepl": f'base_url = "{url}"\napi_key_env = "DEEPL_TEST_KEY"',
        "libretranslate": f'base_url = "{url}"',
    }[engine]
    return make_config(
        tmp_path,
        sources='[[sources]]\nid = "hub-en"\nurl = "http://127.0.0.1:9/feed.xml"\nlanguage = "en"',
        extra=f"""
[translation]
engine = "{engine}"
targets = ["it"]
fields = ["title", "summary", "content"]

[translation.{engine}]
{table}
timeout = "{timeout}"
{extra}
""",
    )


@pytest.fixture
def storage(database_url: str) -> Iterator[SqlStorage]:
    """SQLite, and PostgreSQL where SYNDICATE_TEST_DATABASE_URL names a server."""
    s = open_storage(database_url)
    yield s
    s.close()


def translator(
    config: Config, storage: SqlStorage, env: dict[str, str] | None = None
) -> Translator:
    engine = make_engine(config, storage, lambda: TERMS, env or {})
    assert engine is not None

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    waits: list[float] = []
    t = Translator(config, storage, engine, owner="test", clock=lambda: NOW, sleep=no_wait)
    t.waits = waits  # type: ignore[attr-defined]
    return t


def run(t: Translator) -> object:
    async def once() -> object:
        try:
            return await t.run_once(TERMS)
        finally:
            await t.engine.aclose()

    return asyncio.run(once())


def translations(storage: SqlStorage) -> dict[str, object]:
    rows = storage.translation_rows(["done", "pending", "failed"], 1000)
    return {title: t for _, title, t in rows}


class Balanced(HTMLParser):
    VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "source"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ok = True

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.ok = False


def well_formed(markup: str) -> bool:
    parser = Balanced()
    parser.feed(markup)
    parser.close()
    return parser.ok and not parser.stack


def test_openai_translates_with_the_glossary_in_the_prompt_and_qa_fixes_deprecated_terms(
    tmp_path: Path, storage: SqlStorage
) -> None:
    with FakeOpenAI() as fake:
        # The "model" ignores our preferred term once: QA must put it back.
        fake.substitutions = {"accumulo di energia": "stoccaggio energetico"}
        config = config_for(tmp_path, "openai", fake.url)
        store(
            storage,
            article(
                "a1",
                "Energy storage at Politecnico di Milano",
                "<p>The smart grid needs energy storage.</p>",
                "Energy storage, explained",
            ),
        )
        report = run(translator(config, storage))
        prompt = fake.requests[-1].json["messages"][-1]["content"]
    assert report.translated == 1 and report.requests == 1  # type: ignore[attr-defined]
    assert '"energy storage"' in prompt.lower() and "Politecnico di Milano" in prompt
    done = storage.translations_for([1], "it")[1]
    assert done.title == "[it] accumulo di energia at Politecnico di Milano"
    assert "rete intelligente" in (done.content or "") and "stoccaggio" not in (done.content or "")
    assert any("deprecated “stoccaggio energetico” replaced" in f for f in done.fixes)
    assert done.engine == "openai:local-model" and done.chars_billed > 0


REPLACED = "<p>The old wind turbines were replaced.</p>"
UNSAFE = "<p>I vecchi mulini a vento sono stati sostituiti.</p>"
REDONE = "<p>Le vecchie turbine eoliche sono state sostituite.</p>"


def test_a_fix_that_would_break_agreement_goes_back_to_the_engine_once(
    tmp_path: Path, storage: SqlStorage
) -> None:
    with FakeOpenAI() as fake:
        fake.script[REPLACED] = UNSAFE  # the "model" picks the deprecated term
        fake.script_insisted[REPLACED] = REDONE  # and follows the instruction when asked
        config = config_for(tmp_path, "openai", fake.url)
        store(storage, article("a1", "Wind", REPLACED))
        report = run(translator(config, storage))
        asked = [r.json for r in fake.requests if "required_terms" in str(r.json)]
    assert fake.insisted == 1 and report.requests == 2  # type: ignore[attr-defined]
    document = json.loads(asked[0]["messages"][-1]["content"])
    assert document["required_terms"] == [{"use": "turbina eolica", "avoid": "mulino a vento"}]
    assert document["segments"] == [REPLACED]  # only the piece that holds the term
    assert "must never use" in asked[0]["messages"][0]["content"]
    done = storage.translations_for([1], "it")[1]
    assert done.content == REDONE
    assert done.retranslated and "second translation is kept" in done.retranslated[0]
    assert not any("mulini" in f for f in done.flags)
    # the second request is paid and counted like the first
    assert storage.chars_used("openai:local-model", NOW.date()) >= 2 * len(REPLACED)
    assert translation_status(config, storage, NOW).qa["it"] == {
        "fixed": 0,
        "re-translated": 1,
        "flagged": 0,
    }


def test_only_the_pieces_that_hold_the_term_are_sent_again(
    tmp_path: Path, storage: SqlStorage
) -> None:
    other = "<p>" + "Energy storage keeps growing in every district of the city. " * 4 + "</p>"
    with FakeOpenAI() as fake:
        fake.script[REPLACED] = UNSAFE
        fake.script_insisted[REPLACED] = REDONE
        config = config_for(tmp_path, "openai", fake.url, extra="max_chars = 200")
        store(storage, article("a1", "Wind", REPLACED + other))
        run(translator(config, storage))
        asked = [r.json for r in fake.requests if "required_terms" in str(r.json)]
    (request,) = asked
    assert json.loads(request["messages"][-1]["content"])["segments"] == [REPLACED]
    done = storage.translations_for([1], "it")[1]
    assert (done.content or "").startswith(REDONE) and "accumulo di energia" in (done.content or "")


def test_an_engine_that_does_no_better_keeps_its_first_translation_flagged(
    tmp_path: Path, storage: SqlStorage
) -> None:
    with FakeOpenAI() as fake:
        fake.script[REPLACED] = UNSAFE
        fake.script_insisted[REPLACED] = UNSAFE
        config = config_for(tmp_path, "openai", fake.url)
        store(storage, article("a1", "Wind", REPLACED))
        run(translator(config, storage))
    done = storage.translations_for([1], "it")[1]
    assert done.content == UNSAFE and done.retranslated == ()
    assert any("did no better" in f for f in done.flags)
    assert any("“mulini a vento” (wind-turbine) left as written" in f for f in done.flags)


def test_libretranslate_is_not_asked_again_an_unsafe_term_is_flagged(
    tmp_path: Path, storage: SqlStorage
) -> None:
    with FakeLibreTranslate(substitutions={"wind turbines": "mulini a vento"}) as fake:
        config = config_for(tmp_path, "libretranslate", fake.url)
        store(storage, article("a1", "Wind", REPLACED))
        run(translator(config, storage))
        translate_calls = sum(1 for r in fake.requests if r.path == "/translate")
    done = storage.translations_for([1], "it")[1]
    assert "mulini a vento" in (done.content or "") and translate_calls == 1
    assert any("cannot be asked" in f for f in done.flags), done.flags


def test_deepl_is_not_asked_again_an_unsafe_term_is_flagged(
    tmp_path: Path, storage: SqlStorage
) -> None:
    with FakeDeepL(api_key="k", substitutions={"turbina eolica": "mulino a vento"}) as fake:
        config = config_for(tmp_path, "deepl", fake.url)
        store(storage, article("a1", "Wind", REPLACED))
        run(translator(config, storage, {"DEEPL_TEST_KEY": "k"}))
        translate_calls = sum(1 for r in fake.requests if r.path == "/v2/translate")
    done = storage.translations_for([1], "it")[1]
    assert "mulino a vento" in (done.content or "") and translate_calls == 1
    assert any("cannot be asked" in f for f in done.flags), done.flags


def test_a_cached_text_is_never_paid_for_twice(tmp_path: Path, storage: SqlStorage) -> None:
    with FakeOpenAI() as fake:
        config = config_for(tmp_path, "openai", fake.url)
        store(storage, article("a1", "Energy storage", "<p>One.</p>"), article("a2", "Smart grid"))
        first = run(translator(config, storage))
        sent = fake.translated_chars
        requests = fake.translation_requests
        assert first.translated == 2 and requests >= 1  # type: ignore[attr-defined]
        # Everything pending again (as after a lost database row or a retry): all from cache.
        assert storage.retry_translations(TranslationStatus.DONE) == 2
        second = run(translator(config, storage))
        assert fake.translation_requests == requests and fake.translated_chars == sent
    assert second.translated == 2 and second.requests == 0  # type: ignore[attr-defined]
    assert second.cache_hits >= 3 and second.chars_billed == 0  # type: ignore[attr-defined]
    assert all(t.chars_billed == 0 for t in storage.translations_for([1, 2], "it").values())


def test_long_html_is_split_under_the_limit_and_rejoined_well_formed(
    tmp_path: Path, storage: SqlStorage
) -> None:
    paragraphs = "".join(
        f"<p>Paragraph {i}: the <b>smart grid</b> and energy storage, again.</p>" for i in range(40)
    )
    content = f"<div><h2>Report</h2>{paragraphs}<ul>{'<li>item</li>' * 30}</ul></div>"
    with FakeOpenAI() as fake:
        config = config_for(tmp_path, "openai", fake.url, "max_chars = 600\nbatch_size = 2")
        store(storage, article("a1", "Long", content))
        run(translator(config, storage))
        segments = [s for r in fake.requests for s in _segments(r.json)]
    assert len(segments) > 5 and all(len(s) <= 600 for s in segments)
    done = storage.translations_for([1], "it")[1]
    assert done.content is not None and well_formed(done.content)
    assert done.content.count("rete intelligente") == 40
    assert done.content.count("<li>") == 30
    assert [int(n) for n in re.findall(r"Paragraph (\d+)", done.content)] == list(range(40))


def _segments(body: object) -> list[str]:
    import json

    assert isinstance(body, dict)
    return list(json.loads(body["messages"][-1]["content"])["segments"])


def test_a_timeout_half_way_leaves_no_article_marked_translated_that_is_not(
    tmp_path: Path, storage: SqlStorage
) -> None:
    with FakeOpenAI() as fake:
        config = config_for(tmp_path, "openai", fake.url, "batch_size = 1", timeout="0.5s")
        store(
            storage,
            article("a1", "Energy storage", "<p>Body one.</p>"),
            article("a2", "Smart grid", "<p>Body two.</p>"),
        )
        t = translator(config, storage)
        calls = 0
        original = t.engine.translate

        async def flaky(request):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            # The second batch (the newest article's body) stalls on every try.
            fake.delay = 3.0 if calls in (2, 3, 4) else 0.0
            return await original(request)

        t.engine.translate = flaky  # type: ignore[method-assign]
        report = run(t)
        fake.delay = 0
    assert report.translated == 1 and report.postponed == 1  # type: ignore[attr-defined]
    rows = storage.translation_rows(["done", "pending", "failed"])
    status = {title: tr.status.value for _, title, tr in rows}
    assert sorted(status.values()) == ["done", "pending"]
    pending = next(tr for _, _, tr in rows if tr.status.value == "pending")
    assert pending.title is None and pending.content is None and pending.error_kind == "timeout"
    assert pending.next_attempt_at is not None and pending.attempts == 1
    # The feed side sees only the done one.
    assert len(storage.translations_for([1, 2], "it")) == 1


def test_budget_cap_stops_spending_mid_pass(tmp_path: Path, storage: SqlStorage) -> None:
    with FakeOpenAI() as fake:
        config = config_for(tmp_path, "openai", fake.url, "batch_size = 1\ndaily_char_budget = 60")
        store(storage, *(article(f"a{i}", f"Headline number {i} about the grid") for i in range(6)))
        report = run(translator(config, storage))
        sent = fake.translated_chars
    assert 0 < sent <= 60
    assert report.translated >= 1 and report.postponed >= 1  # type: ignore[attr-defined]
    assert "budget" in (report.stopped or "")  # type: ignore[attr-defined]
    waiting = translation_status(config, storage, NOW).waiting
    assert waiting and all(w.kind == "budget" for w in waiting)
    assert all(w.next_attempt_at == datetime(2026, 11, 21, tzinfo=UTC) for w in waiting)
    assert all(w.attempts == 0 for w in waiting)  # a cap is not a failed attempt


def test_rate_limit_is_retried_after_retry_after_and_5xx_opens_the_circuit(
    tmp_path: Path, storage: SqlStorage
) -> None:
    with FakeOpenAI() as fake:
        config = config_for(tmp_path, "openai", fake.url, "batch_size = 1")
        store(storage, article("a1", "Energy storage"))
        fake.failures.append(FakeOpenAI.rate_limit_failure(retry_after=3))
        t = translator(config, storage)
        report = run(t)
        assert report.translated == 1 and t.waits == [3.0]  # type: ignore[attr-defined]

        store(storage, *(article(f"b{i}", f"Grid news {i}") for i in range(8)))
        fake.failures.extend(Failure(503, {"error": {"message": "overloaded"}}) for _ in range(40))
        t = translator(config, storage)
        report = run(t)
        requests = len(fake.requests)
    assert report.translated == 0 and t.breaker.is_open  # type: ignore[attr-defined]
    # 5 batches failed (3 tries each) before the circuit opened; the rest were not sent.
    assert requests == 1 + 1 + 5 * 3
    kinds = {w.kind for w in translation_status(config, storage, NOW).waiting}
    assert kinds == {"unavailable", "circuit-open"}


def test_malformed_answers_and_dropped_segments_are_never_stored(
    tmp_path: Path, storage: SqlStorage
) -> None:
    with FakeOpenAI() as fake:
        config = config_for(tmp_path, "openai", fake.url)
        store(storage, article("a1", "Energy storage", "<p>Text.</p>"))
        fake.malformed = "drop-segment"
        report = run(translator(config, storage))
    assert report.translated == 0  # type: ignore[attr-defined]
    waiting = translation_status(config, storage, NOW).waiting
    assert [w.kind for w in waiting] == ["malformed"]
    assert "got 1 translations back" in (waiting[0].reason or "")


def test_deepl_glossary_created_once_reused_and_updated_for_a_new_version(
    tmp_path: Path, storage: SqlStorage
) -> None:
    with FakeDeepL(api_key="k") as fake:
        config = config_for(tmp_path, "deepl", fake.url)
        env = {"DEEPL_TEST_KEY": "k"}
        store(storage, article("a1", "Energy storage", "<p>The smart grid.</p>"))
        run(translator(config, storage, env))
        store(storage, article("a2", "More energy storage"))
        run(translator(config, storage, env))  # a new engine object: the id comes from the db
        assert fake.glossary_creates == 1 and fake.glossary_updates == 0
        body = next(r.json for r in fake.requests if r.path == "/v2/translate")
        assert body["tag_handling"] == "html" and body["target_lang"] == "IT"
        assert body["glossary_id"] in fake.glossaries
        headers = next(r.headers for r in fake.requests if r.path == "/v2/translate")
        assert headers["authorization"] == "DeepL-Auth-Key k"
        done = storage.translations_for([1], "it")[1]
        assert done.title == "[it] accumulo di energia" and "rete intelligente" in (
            done.content or ""
        )
        # The term base changes: the same remote glossary is updated in place.
        changed = Glossary(
            (*GLOSSARY.concepts, Concept("ai", "", "", (Term("en", "AI"), Term("it", "IA"))))
        )
        global TERMS
        old, TERMS = TERMS, TermBase(changed, Matcher(changed))
        try:
            store(storage, article("a3", "AI for the grid"))
            run(translator(config, storage, env))
        finally:
            TERMS = old
        assert fake.glossary_creates == 1 and fake.glossary_updates == 1


def test_deepl_quota_and_a_missing_key_are_reported_not_fatal(
    tmp_path: Path, storage: SqlStorage
) -> None:
    with FakeDeepL(api_key="k") as fake:
        config = config_for(tmp_path, "deepl", fake.url)
        store(storage, article("a1", "Energy storage"))
        report = run(translator(config, storage, {}))  # DEEPL_TEST_KEY not set
        assert report.translated == 0  # type: ignore[attr-defined]
        waiting = translation_status(config, storage, NOW).waiting
        assert waiting[0].kind == "auth" and "DEEPL_TEST_KEY" in (waiting[0].reason or "")
        fake.quota_chars = 3
        storage.retry_translations(TranslationStatus.PENDING)
        report = run(translator(config, storage, {"DEEPL_TEST_KEY": "k"}))
        waiting = translation_status(config, storage, NOW).waiting
    assert [w.kind for w in waiting] == ["quota"]


def test_libretranslate_protects_do_not_translate_names(
    tmp_path: Path, storage: SqlStorage
) -> None:
    with FakeLibreTranslate() as fake:
        # An engine that "translates" the university's name, as MT engines do.
        fake.substitutions = {"Politecnico di Milano": "Polytechnic of Milan", "Milano": "Milan"}
        config = config_for(tmp_path, "libretranslate", fake.url)
        store(
            storage,
            article(
                "a1",
                "Energy storage at Politecnico di Milano",
                "<p>Politecnico di Milano opens a lab.</p>",
            ),
        )
        run(translator(config, storage))
        sent = fake.requests[-1].json
    assert "Politecnico di Milano" not in str(sent["q"])  # hidden behind placeholders
    done = storage.translations_for([1], "it")[1]
    assert done.title is not None and "Politecnico di Milano" in done.title
    assert "Politecnico di Milano" in (done.content or "")
    assert "Milan " not in (done.title or "") and not any(
        "do-not-translate" in f for f in done.flags
    )
    # No glossary support: the preferred term is enforced after, or flagged.
    assert any("accumulo di energia" in f for f in done.flags)


def test_a_changed_article_is_translated_again_and_its_old_translation_not_shown(
    tmp_path: Path, storage: SqlStorage
) -> None:
    with FakeOpenAI() as fake:
        config = config_for(tmp_path, "openai", fake.url)
        store(storage, article("a1", "Energy storage"))
        run(translator(config, storage))
        store(storage, article("a1", "Energy storage, updated"))
        assert storage.translations_for([1], "it") == {}
        run(translator(config, storage))
    assert storage.translations_for([1], "it")[1].title == "[it] accumulo di energia, updated"


def test_failure_kinds_keep_the_words_stored_with_a_job() -> None:
    """A job's error_kind is stored and printed: the enum's values are those words."""
    assert [kind.value for kind in TranslationErrorKind] == [
        "timeout",
        "network",
        "rate-limited",
        "quota",
        "unavailable",
        "malformed",
        "auth",
        "rejected",
        "budget",
        "circuit-open",
        "deferred",
    ]
