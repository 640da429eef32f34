"""LibreTranslate: ``POST /translate`` with ``format=html`` and a list of texts.

LibreTranslate has no glossary support. Do-not-translate names are hidden behind empty
placeholder elements before sending and put back after (:func:`_placeholders.protect`); the
preferred terms are enforced afterwards by the glossary QA, like for every engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from syndicate.errors import TranslationError, TranslationErrorKind
from syndicate.translate._http_engine import HttpEngine, request_json
from syndicate.translate._placeholders import protect
from syndicate.translate.engine import EngineReply, TranslationRequest

__all__ = ["LibreTranslateEngine"]

NAME = "libretranslate"


class LibreTranslateEngine(HttpEngine):
    @property
    def name(self) -> str:
        return NAME

    async def translate(self, request: TranslationRequest) -> EngineReply:
        self._require_key()
        names = [e.source for e in request.glossary if e.do_not_translate]
        protected = [protect(text, names) for text in request.texts]
        body: dict[str, Any] = {
            "q": [p.markup for p in protected],
            "source": request.source.split("-")[0],
            "target": request.target.split("-")[0],
            "format": "html",
        }
        if self._key:
            body["api_key"] = self._key
        url = f"{self._config.base_url}/translate"
        data = await request_json(self._client, NAME, "POST", url, body=body)
        translated = _texts(data, len(request.texts))
        restored = [p.restore(text)[0] for p, text in zip(protected, translated, strict=True)]
        return EngineReply(tuple(restored), sum(len(t) for t in body["q"]))


def _texts(data: Any, count: int) -> Sequence[str]:
    texts = data.get("translatedText") if isinstance(data, dict) else None
    if isinstance(texts, str) and count == 1:
        texts = [texts]
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise TranslationError(
            NAME, f"unexpected answer {data!r:.120}", kind=TranslationErrorKind.MALFORMED
        )
    if len(texts) != count:
        raise TranslationError(
            NAME,
            f"sent {count} texts, got {len(texts)} translations back",
            kind=TranslationErrorKind.MALFORMED,
        )
    return texts
