"""The fake translation APIs, over real loopback HTTP: each behaves as its real service does
for what our clients rely on, and each knob does what it says."""

from __future__ import annotations

import importlib.util
import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.translate.fake_engines import (
    NOT_JSON_BODY,
    Failure,
    FakeDeepL,
    FakeLibreTranslate,
    FakeOpenAI,
    FakeServer,
    fake_translate,
    parse_glossary_entries,
)

KEY = "test-key"
DEEPL_AUTH = {"Authorization": f"DeepL-Auth-Key {KEY}"}
BEARER = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as http:
        yield http


@pytest.fixture
def deepl() -> Iterator[FakeDeepL]:
    with FakeDeepL(api_key=KEY) as server:
        yield server


@pytest.fixture
def libre() -> Iterator[FakeLibreTranslate]:
    with FakeLibreTranslate() as server:
        yield server


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        yield server


def deepl_translate(client: httpx.Client, server: FakeDeepL, **payload: Any) -> httpx.Response:
    payload.setdefault("tag_handling", "html")
    return client.post(f"{server.url}/v2/translate", json=payload, headers=DEEPL_AUTH)


def contract(segments: list[str], glossary: Sequence[tuple[str, str]] = ()) -> str:
    return json.dumps(
        {
            "source_lang": "en",
            "target_lang": "it",
            "glossary": [{"source": s, "target": t} for s, t in glossary],
            "do_not_translate": ["Valmora"],
            "segments": segments,
        }
    )


def chat(client: httpx.Client, server: FakeOpenAI, content: str, **extra: Any) -> httpx.Response:
    body = {
        "model": "llama-3.1-8b",
        "messages": [
            {"role": "system", "content": "Translate. Answer JSON."},
            {"role": "user", "content": content},
        ],
        "temperature": 0,
        **extra,
    }
    return client.post(f"{server.url}/v1/chat/completions", json=body, headers=BEARER)


# -- fake_translate ---------------------------------------------------------------------


def test_fake_translate_leaves_markup_alone_and_prefixes_first_text() -> None:
    fragment = (
        '\n <div class="a>b" title=\'energy\'><!-- energy --> <span data-keep="3"></span>'
        '<x id="1"/>Energy &amp; more <code>energy()</code><pre>energy\n</pre> energy</div>'
    )
    out = fake_translate(fragment, "it", [("energy", "energia")], {})
    assert out == (
        '\n <div class="a>b" title=\'energy\'><!-- energy --> <span data-keep="3"></span>'
        '<x id="1"/>[it] energia &amp; more <code>energy()</code><pre>energy\n</pre> energia</div>'
    )
    assert fake_translate(
        "<p>Energy storage</p>", "it", [("energy storage", "accumulo di energia")], {}
    ) == ("<p>[it] accumulo di energia</p>")
    assert fake_translate("  plain text", "ja", (), {}) == "  [ja] plain text"
    assert fake_translate("<code>x</code>", "it", (), {}) == "<code>x</code>"  # no text node


def test_fake_translate_glossary_matching() -> None:
    glossary = [
        ("AI", "IA"),
        ("energy", "energia"),
        ("energy storage", "accumulo di energia"),
        ("R&D", "R&S"),
        ("amp", "XX"),
        ("エネルギー", "energia"),
    ]
    text = "AI in EMAIL, AIs, ai. Energy Storage and energy; R&amp;D &amp; エネルギー貯蔵"
    out = fake_translate(text, "it", glossary, {"energia": "enargia"})
    # longest first, case-insensitive, whole words for Latin, anywhere for CJK, entities
    # intact, escaped targets, substitutions after the glossary
    assert out == (
        "[it] IA in EMAIL, AIs, IA. accumulo di enargia and enargia; R&amp;S &amp; enargia貯蔵"
    )
    assert fake_translate(text, "it", glossary, {"energia": "enargia"}) == out  # deterministic
    plain = fake_translate("<b>R&D</b>", "it", [("R&D", "R&S")], {}, is_html=False)
    assert plain == "[it] <b>R&S</b>"  # text format: one text node, nothing escaped


def test_parse_glossary_entries_validates() -> None:
    assert parse_glossary_entries("a\tb\r\n\nc\td\n") == [("a", "b"), ("c", "d")]
    assert parse_glossary_entries('"x, y",z\n', "csv") == [("x, y", "z")]
    for bad in ("a\tb\tc", "a b", "\tb", "a\tb\na\tc", "\n"):
        with pytest.raises(ValueError):
            parse_glossary_entries(bad)


# -- DeepL --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "DeepL-Auth-Key wrong"}, {"Authorization": f"Bearer {KEY}"}]
)
def test_deepl_refuses_missing_or_wrong_key(
    client: httpx.Client, deepl: FakeDeepL, headers: dict[str, str]
) -> None:
    payload = {"text": ["Hello"], "target_lang": "IT"}
    for method, path, body in (
        ("POST", "/v2/translate", payload),
        ("GET", "/v2/usage", None),
        ("GET", "/v3/glossaries", None),
    ):
        response = client.request(method, deepl.url + path, json=body, headers=headers)
        assert response.status_code == 403
        assert response.json() == {"message": "Authorization failure, check auth_key"}
    assert deepl.translation_requests == 0
    assert deepl_translate(client, deepl, **payload).status_code == 200


def test_deepl_translate_json_and_form(client: httpx.Client, deepl: FakeDeepL) -> None:
    response = deepl_translate(
        client,
        deepl,
        text=["<p>Hello <b>world</b></p>", "Bye"],
        source_lang="EN",
        target_lang="EN-GB",
        show_billed_characters=True,
    )
    assert response.status_code == 200
    assert response.json() == {
        "translations": [
            {
                "detected_source_language": "EN",
                "text": "<p>[en] Hello <b>world</b></p>",
                "billed_characters": 25,
            },
            {"detected_source_language": "EN", "text": "[en] Bye", "billed_characters": 3},
        ]
    }
    form = client.post(
        f"{deepl.url}/v2/translate",
        data={"text": ["<i>Uno</i>", "Due"], "target_lang": "JA"},
        headers=DEEPL_AUTH,
    )
    # no tag_handling: the text is plain text, so the prefix goes before the tag
    assert [t["text"] for t in form.json()["translations"]] == ["[ja] <i>Uno</i>", "[ja] Due"]
    assert "billed_characters" not in form.json()["translations"][0]
    recorded = deepl.requests[-1]
    assert recorded.form == {"text": ["<i>Uno</i>", "Due"], "target_lang": ["JA"]}
    assert recorded.headers["authorization"] == DEEPL_AUTH["Authorization"]
    first = deepl.requests[0].json
    assert isinstance(first, dict) and first["target_lang"] == "EN-GB"
    assert (deepl.translation_requests, deepl.translated_chars) == (2, 28 + 13)
    bad = deepl_translate(client, deepl, text=["x"], source_lang="EN-GB", target_lang="IT")
    assert bad.status_code == 400


def test_deepl_glossary_lifecycle(client: httpx.Client, deepl: FakeDeepL) -> None:
    created = client.post(
        f"{deepl.url}/v3/glossaries",
        json={
            "name": "syndicate-v1",
            "dictionaries": [
                {
                    "source_lang": "en",
                    "target_lang": "it",
                    "entries": "energy storage\taccumulo di energia\nAI\tIA\n",
                    "entries_format": "tsv",
                },
                {
                    "source_lang": "en",
                    "target_lang": "ja",
                    "entries": "AI\t人工知能",
                    "entries_format": "tsv",
                },
            ],
        },
        headers=DEEPL_AUTH,
    )
    assert created.status_code == 201
    info = created.json()
    gid = info["glossary_id"]
    assert info["name"] == "syndicate-v1" and info["creation_time"].endswith("Z")
    assert info["dictionaries"] == [
        {"source_lang": "en", "target_lang": "it", "entry_count": 2},
        {"source_lang": "en", "target_lang": "ja", "entry_count": 1},
    ]
    assert deepl.glossaries[gid].entries("EN", "IT") == {
        "energy storage": "accumulo di energia",
        "AI": "IA",
    }

    def translate() -> str:
        response = deepl_translate(
            client,
            deepl,
            text=["<p>Energy storage for AI</p>"],
            source_lang="EN",
            target_lang="IT",
            glossary_id=gid,
        )
        assert response.status_code == 200, response.text
        return str(response.json()["translations"][0]["text"])

    assert translate() == "<p>[it] accumulo di energia for IA</p>"
    put = client.put(
        f"{deepl.url}/v3/glossaries/{gid}/dictionaries",
        json={
            "source_lang": "EN",
            "target_lang": "IT",
            "entries": "AI\tintelligenza artificiale",
            "entries_format": "tsv",
        },
        headers=DEEPL_AUTH,
    )
    assert put.status_code == 200
    assert put.json() == {"source_lang": "en", "target_lang": "it", "entry_count": 1}
    assert translate() == "<p>[it] Energy storage for intelligenza artificiale</p>"
    entries = client.get(
        f"{deepl.url}/v3/glossaries/{gid}/entries",
        params={"source_lang": "en", "target_lang": "it"},
        headers=DEEPL_AUTH,
    )
    assert entries.json() == {
        "dictionaries": [
            {
                "source_lang": "en",
                "target_lang": "it",
                "entries": "AI\tintelligenza artificiale",
                "entries_format": "tsv",
            }
        ]
    }
    listed = client.get(f"{deepl.url}/v3/glossaries", headers=DEEPL_AUTH).json()
    assert [g["glossary_id"] for g in listed["glossaries"]] == [gid]
    assert client.get(f"{deepl.url}/v3/glossaries/{gid}", headers=DEEPL_AUTH).json()["name"] == (
        "syndicate-v1"
    )
    assert (deepl.glossary_creates, deepl.glossary_updates) == (1, 1)
    assert client.delete(f"{deepl.url}/v3/glossaries/{gid}", headers=DEEPL_AUTH).status_code == 204
    gone = client.get(f"{deepl.url}/v3/glossaries/{gid}", headers=DEEPL_AUTH)
    assert (gone.status_code, gone.json()) == (404, {"message": "Glossary not found"})


def test_deepl_glossary_errors(client: httpx.Client, deepl: FakeDeepL) -> None:
    def create(entries: str) -> httpx.Response:
        dictionary = {"source_lang": "en", "target_lang": "it", "entries": entries}
        return client.post(
            f"{deepl.url}/v3/glossaries",
            json={"name": "g", "dictionaries": [{**dictionary, "entries_format": "tsv"}]},
            headers=DEEPL_AUTH,
        )

    for bad in ("a\tb\tc", "no tab", "a\t", "a\tb\na\tc"):
        response = create(bad)
        assert response.status_code == 400 and response.json()["message"], bad
    assert deepl.glossaries == {} and deepl.glossary_creates == 0
    gid = create("AI\tIA").json()["glossary_id"]

    def translate(**params: Any) -> httpx.Response:
        return deepl_translate(client, deepl, text=["AI"], target_lang="IT", **params)

    assert translate(glossary_id=gid).status_code == 400  # no source_lang
    wrong_pair = translate(glossary_id=gid, source_lang="JA")
    assert wrong_pair.status_code == 400 and "ja-it" in wrong_pair.json()["message"]
    unknown = translate(glossary_id="96ab91fd-e715-41a1-adeb-5d701f84a483", source_lang="EN")
    assert unknown.status_code == 400
    deepl.unknown_glossary_status = 404
    assert translate(glossary_id="nope", source_lang="EN").status_code == 404
    assert deepl.translation_requests == 0


def test_deepl_quota_and_usage(client: httpx.Client, deepl: FakeDeepL) -> None:
    deepl.quota_chars = 10
    assert (
        deepl_translate(client, deepl, text=["12345", "678"], target_lang="IT").status_code == 200
    )
    refused = deepl_translate(client, deepl, text=["abc"], target_lang="IT")
    assert (refused.status_code, refused.json()) == (456, {"message": "Quota exceeded"})
    usage = client.get(f"{deepl.url}/v2/usage", headers=DEEPL_AUTH).json()
    assert usage == {"character_count": 8, "character_limit": 10}
    assert deepl_translate(client, deepl, text=["ab"], target_lang="IT").status_code == 200


def test_deepl_request_limits(client: httpx.Client, deepl: FakeDeepL) -> None:
    too_many = deepl_translate(client, deepl, text=["x"] * 51, target_lang="IT")
    assert too_many.status_code == 400 and too_many.json()["message"] == "Too many texts"
    huge = deepl_translate(client, deepl, text=["x" * 70_000, "y" * 70_000], target_lang="IT")
    assert (huge.status_code, huge.json()) == (413, {"message": "Request Entity Too Large"})
    assert deepl.translated_chars == 0


# -- LibreTranslate -----------------------------------------------------------------------


def test_libre_translate_shapes_and_formats(
    client: httpx.Client, libre: FakeLibreTranslate
) -> None:
    url = f"{libre.url}/translate"
    html_q = ['<p>Hi <span data-keep="1"></span>there</p>', "<b>Bye</b>"]
    batch = client.post(url, json={"q": html_q, "source": "en", "target": "it", "format": "html"})
    assert batch.json() == {
        "translatedText": ['<p>[it] Hi <span data-keep="1"></span>there</p>', "<b>[it] Bye</b>"]
    }
    single = client.post(url, json={"q": "<b>Bye</b>", "source": "en", "target": "ja"})
    assert single.json() == {"translatedText": "[ja] <b>Bye</b>"}  # format "text": no tags
    form = client.post(url, data={"q": "Ciao", "source": "it", "target": "en"})
    assert form.json() == {"translatedText": "[en] Ciao"}
    sent = sum(map(len, html_q)) + len("<b>Bye</b>") + len("Ciao")
    assert (libre.translation_requests, libre.translated_chars) == (3, sent)
    missing = client.post(url, json={"q": ["x"], "target": "it"})
    assert missing.status_code == 400 and "source" in missing.json()["error"]


def test_libre_key_and_char_limit(client: httpx.Client, libre: FakeLibreTranslate) -> None:
    url = f"{libre.url}/translate"
    libre.api_key = KEY
    libre.char_limit = 5
    body = {"q": ["abc", "def"], "source": "en", "target": "it"}
    for key in (None, "wrong"):
        refused = client.post(url, json={**body, "api_key": key})
        assert (refused.status_code, refused.json()) == (403, {"error": "Invalid API key"})
    over = client.post(url, json={**body, "api_key": KEY})
    assert over.status_code == 400
    assert over.json() == {"error": "Invalid request: request (6) exceeds text limit (5)"}
    ok = client.post(url, json={**body, "q": ["ab", "cd"], "api_key": KEY})
    assert ok.json() == {"translatedText": ["[it] ab", "[it] cd"]}
    settings = client.get(f"{libre.url}/frontend/settings").json()
    assert settings["charLimit"] == 5 and settings["keyRequired"] is True
    languages = client.get(f"{libre.url}/languages").json()
    assert [lang["code"] for lang in languages] == ["en", "it", "ja"]
    assert "ja" in languages[0]["targets"]


# -- OpenAI-compatible --------------------------------------------------------------------


def test_openai_contract(client: httpx.Client, openai: FakeOpenAI) -> None:
    openai.substitutions = {"Valmora": "Valmorra"}
    segments = ["<p>Energy storage at Valmora</p>", "AI"]
    response = chat(
        client,
        openai,
        contract(segments, [("energy storage", "accumulo di energia")]),
        response_format={"type": "json_object"},
    )
    assert response.status_code == 200
    reply = response.json()
    content = reply["choices"][0]["message"]["content"]
    assert json.loads(content) == {
        "translations": ["<p>[it] accumulo di energia at Valmorra</p>", "[it] AI"]
    }
    assert reply["object"] == "chat.completion" and reply["model"] == "llama-3.1-8b"
    assert reply["choices"][0]["finish_reason"] == "stop"
    prompt = math.ceil(len(openai.requests[-1].body.decode()) / 4)
    completion = math.ceil(len(content) / 4)
    assert reply["usage"] == {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    for path in ("/v1/models", "/models"):
        models = client.get(f"{openai.url}{path}", headers=BEARER).json()
        assert models["data"][0]["id"] == "local-model"


def test_openai_refusals(client: httpx.Client, openai: FakeOpenAI) -> None:
    url = f"{openai.url}/v1/chat/completions"
    unauthorized = client.post(url, json={"model": "m", "messages": []})
    assert unauthorized.status_code == 401
    assert unauthorized.json()["error"]["code"] == "invalid_api_key"
    no_model = client.post(
        url, json={"messages": [{"role": "user", "content": "x"}]}, headers=BEARER
    )
    assert no_model.status_code == 400 and no_model.json()["error"]["param"] == "model"
    prose = chat(client, openai, "Please translate 'hello' into Italian.")
    assert prose.status_code == 400 and "contract" in prose.json()["error"]["message"]
    assert openai.translation_requests == 0


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("not-json", None), ("drop-segment", 1), ("add-segment", 3)],
)
def test_openai_malformed(
    client: httpx.Client, openai: FakeOpenAI, mode: str, expected: int | None
) -> None:
    openai.malformed = mode
    content = chat(client, openai, contract(["a", "b"])).json()["choices"][0]["message"]["content"]
    if expected is None:
        assert content == FakeOpenAI.NOT_JSON_CONTENT
    else:
        assert len(json.loads(content)["translations"]) == expected


@pytest.mark.parametrize(("mode", "expected"), [("drop-segment", 1), ("add-segment", 3)])
def test_deepl_and_libre_malformed(
    client: httpx.Client, deepl: FakeDeepL, libre: FakeLibreTranslate, mode: str, expected: int
) -> None:
    deepl.malformed = libre.malformed = mode
    texts = deepl_translate(client, deepl, text=["a", "b"], target_lang="IT").json()
    assert len(texts["translations"]) == expected
    body = {"q": ["a", "b"], "source": "en", "target": "it"}
    assert (
        len(client.post(f"{libre.url}/translate", json=body).json()["translatedText"]) == expected
    )
    deepl.malformed = libre.malformed = "not-json"
    garbage = deepl_translate(client, deepl, text=["a"], target_lang="IT")
    assert garbage.status_code == 200 and garbage.content == NOT_JSON_BODY
    with pytest.raises(ValueError):
        client.post(f"{libre.url}/translate", json=body).json()
    with pytest.raises(ValueError):
        deepl.malformed = "truncated"


# -- knobs common to all three --------------------------------------------------------------


def _deepl_call(client: httpx.Client, server: FakeServer) -> httpx.Response:
    body = {"text": ["Hi"], "target_lang": "IT"}
    return client.post(f"{server.url}/v2/translate", json=body, headers=DEEPL_AUTH)


def _libre_call(client: httpx.Client, server: FakeServer) -> httpx.Response:
    body = {"q": "Hi", "source": "en", "target": "it", "api_key": KEY}
    return client.post(f"{server.url}/translate", json=body)


def _openai_call(client: httpx.Client, server: FakeServer) -> httpx.Response:
    assert isinstance(server, FakeOpenAI)
    return chat(client, server, contract(["Hi"]))


ENGINES: list[tuple[type[FakeServer], Callable[[httpx.Client, FakeServer], httpx.Response]]] = [
    (FakeDeepL, _deepl_call),
    (FakeLibreTranslate, _libre_call),
    (FakeOpenAI, _openai_call),
]


@pytest.mark.parametrize(("engine", "call"), ENGINES, ids=["deepl", "libre", "openai"])
def test_scripted_failures_verbatim_then_service_resumes(
    client: httpx.Client,
    engine: type[FakeServer],
    call: Callable[[httpx.Client, FakeServer], httpx.Response],
) -> None:
    with engine(api_key=KEY) as server:
        rate_limited = server.rate_limit_failure(2)
        server.failures.extend(
            [rate_limited, Failure(503, "upstream down", {"X-Fake": "yes"}), Failure(502, b"")]
        )
        first = call(client, server)
        assert first.status_code == 429 and first.headers["retry-after"] == "2"
        assert first.json() == rate_limited.body
        second = call(client, server)
        assert (second.status_code, second.text, second.headers["x-fake"]) == (
            503,
            "upstream down",
            "yes",
        )
        assert (call(client, server).status_code, server.translation_requests) == (502, 0)
        recovered = call(client, server)
        assert recovered.status_code == 200 and "[it] Hi" in recovered.text
        assert (server.translation_requests, server.translated_chars, len(server.requests)) == (
            1,
            2,
            4,
        )


def test_delay_makes_clients_time_out_and_requests_run_concurrently(
    client: httpx.Client, deepl: FakeDeepL
) -> None:
    deepl.delay = 0.3
    with pytest.raises(httpx.ReadTimeout):
        client.post(
            f"{deepl.url}/v2/translate",
            json={"text": ["Hi"], "target_lang": "IT"},
            headers=DEEPL_AUTH,
            timeout=0.05,
        )
    deepl.delay = 0.15
    start = time.perf_counter()
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: _deepl_call(client, deepl).status_code, range(6)))
    assert statuses == [200] * 6
    assert time.perf_counter() - start < 0.75  # one after another would take 0.9 s
    assert not deepl.errors


def test_loads_by_file_path_as_the_benchmark_does(client: httpx.Client) -> None:
    path = Path(__file__).with_name("fake_engines.py")
    spec = importlib.util.spec_from_file_location("fake_engines_by_path", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not registered in sys.modules, as bench may do
    server = module.FakeLibreTranslate()
    try:
        body = {"q": ["Hi"], "source": "en", "target": "it"}
        reply = client.post(f"{server.url}/translate", json=body)
        assert reply.json() == {"translatedText": ["[it] Hi"]}
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        client.post(f"{server.url}/translate", json=body)
