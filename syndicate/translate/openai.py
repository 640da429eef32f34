"""Any OpenAI-compatible ``/v1/chat/completions`` endpoint (OpenAI, a local llama.cpp or
vLLM server): the glossary and do-not-translate names go in the prompt, the answer is
structured JSON (``response_format`` with a JSON schema), HTML tags are kept.

The user message is one JSON document, so the model and any test server read the same
contract: ``{"source_lang", "target_lang", "glossary": [{"source", "target"}],
"do_not_translate": [...], "segments": [...]}``; the answer is ``{"translations": [...]}``,
one per segment, in order. A second request after glossary QA found a deprecated term it
could not replace safely adds ``"required_terms": [{"use", "avoid"}]`` and one sentence to
the system prompt: use each term, inflected as the sentence needs, never the other.
"""

from __future__ import annotations

import json
from typing import Any

from syndicate.errors import TranslationError, TranslationErrorKind
from syndicate.i18n import language_name
from syndicate.translate._http_engine import HttpEngine, request_json
from syndicate.translate.engine import EngineReply, TranslationRequest

__all__ = ["OpenAIEngine"]

NAME = "openai"

SYSTEM_PROMPT = (
    "You are a professional translator for a news service. Translate every string of "
    '"segments" from {source} to {target}. Each segment is an HTML fragment: keep every tag '
    "and attribute exactly as it is, translate only the text between tags, and never add "
    'or drop segments. Where the source text uses a term listed in "glossary", use its '
    'target term exactly. Copy the names listed in "do_not_translate" unchanged. Answer '
    'with JSON only: {{"translations": [one translated string per segment, in order]}}.'
)

INSIST_PROMPT = (
    ' For every entry of "required_terms", the translation must use the "use" term, '
    "inflected and with the articles and adjectives around it agreeing as the sentence "
    'needs, and must never use the "avoid" term.'
)

RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "translations",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"translations": {"type": "array", "items": {"type": "string"}}},
            "required": ["translations"],
            "additionalProperties": False,
        },
    },
}


class OpenAIEngine(HttpEngine):
    @property
    def name(self) -> str:
        return f"{NAME}:{self._config.model}"

    @property
    def retranslates(self) -> bool:
        return True

    async def translate(self, request: TranslationRequest) -> EngineReply:
        self._require_key()
        document = {
            "source_lang": request.source,
            "target_lang": request.target,
            "glossary": [
                {"source": e.source, "target": e.target}
                for e in request.glossary
                if not e.do_not_translate
            ],
            "do_not_translate": sorted({e.source for e in request.glossary if e.do_not_translate}),
            "segments": list(request.texts),
        }
        system = SYSTEM_PROMPT.format(
            source=language_name(request.source, "en"), target=language_name(request.target, "en")
        )
        if request.insist:
            document["required_terms"] = [{"use": u, "avoid": a} for u, a in request.insist]
            system += INSIST_PROMPT
        body = {
            "model": self._config.model,
            "temperature": 0,
            "response_format": RESPONSE_FORMAT,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": json.dumps(document, ensure_ascii=False)},
            ],
        }
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        url = f"{self._config.base_url}/chat/completions"
        data = await request_json(self._client, self.name, "POST", url, headers=headers, body=body)
        texts = self._texts(data, len(request.texts))
        usage = data.get("usage") if isinstance(data, dict) else None
        tokens = usage.get("total_tokens") if isinstance(usage, dict) else None
        return EngineReply(
            tuple(texts),
            sum(len(t) for t in request.texts),
            int(tokens) if isinstance(tokens, int) else None,
        )

    def _texts(self, data: Any, count: int) -> list[str]:
        def malformed(why: str) -> TranslationError:
            return TranslationError(self.name, why, kind=TranslationErrorKind.MALFORMED)

        try:
            choice = data["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise malformed(f"no choices[0].message.content in {data!r:.120}") from None
        if choice.get("finish_reason") == "length":
            raise malformed("the answer was cut at the model's token limit")
        try:
            texts = json.loads(content)["translations"]
        except (TypeError, ValueError, KeyError):
            raise malformed(f"the answer is not the JSON asked for: {content!r:.120}") from None
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise malformed(f"translations is not a list of strings: {texts!r:.120}")
        if len(texts) != count:
            raise malformed(f"sent {count} segments, got {len(texts)} translations back")
        return texts
