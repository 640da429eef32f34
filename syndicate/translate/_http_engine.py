"""What the HTTP engines share: one httpx client each, and provider failures mapped to
:class:`~syndicate.errors.TranslationError` kinds the runner acts on."""

from __future__ import annotations

import json
from typing import Any

import httpx

from syndicate.config import EngineConfig
from syndicate.errors import TranslationError, TranslationErrorKind
from syndicate.retry import retry_after_seconds

__all__ = ["HttpEngine", "engine_client", "request_json"]

#: status -> kind; other 4xx are REJECTED, other 5xx UNAVAILABLE
_KINDS = {
    401: TranslationErrorKind.AUTH,
    403: TranslationErrorKind.AUTH,
    429: TranslationErrorKind.RATE_LIMITED,
    456: TranslationErrorKind.QUOTA,
}


def engine_client(timeout: float) -> httpx.AsyncClient:
    """A client for one engine: its timeout for every phase, a few kept connections."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
        headers={"User-Agent": "syndicate/0.1 (translation)"},
    )


class HttpEngine:
    """What the HTTP engines share: their config table, key, client and limits."""

    #: the most texts the provider takes in one request, whatever batch_size says
    provider_max_texts = 10_000

    def __init__(
        self, config: EngineConfig, api_key: str | None, client: httpx.AsyncClient | None = None
    ) -> None:
        self._config = config
        self._key = api_key
        self._client = client or engine_client(config.timeout)

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def max_chars(self) -> int:
        return self._config.max_chars

    @property
    def max_texts(self) -> int:
        return min(self._config.batch_size, self.provider_max_texts)

    @property
    def retranslates(self) -> bool:
        return False

    async def aclose(self) -> None:
        await self._client.aclose()

    def _require_key(self) -> None:
        """Raise an ``auth`` TranslationError when the config names a key that is not set."""
        if self._config.api_key_env and not self._key:
            raise TranslationError(
                self.name,
                f"no API key: the environment variable {self._config.api_key_env} is not set",
                kind=TranslationErrorKind.AUTH,
            )


async def request_json(
    client: httpx.AsyncClient,
    engine: str,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> Any:
    """Send a JSON request and return the decoded JSON answer (None for 204), or raise
    TranslationError with the provider's own message."""
    try:
        response = await client.request(method, url, headers=headers, json=body)
    except httpx.TimeoutException as exc:
        raise TranslationError(
            engine,
            f"no answer within {client.timeout.read:g}s ({url})",
            kind=TranslationErrorKind.TIMEOUT,
        ) from exc
    except httpx.HTTPError as exc:
        raise TranslationError(
            engine, f"cannot reach {url}: {exc}", kind=TranslationErrorKind.NETWORK
        ) from exc
    status = response.status_code
    if status >= 400:
        kind = _KINDS.get(
            status,
            TranslationErrorKind.UNAVAILABLE if status >= 500 else TranslationErrorKind.REJECTED,
        )
        raise TranslationError(
            engine,
            f"HTTP {status} from {url}: {_provider_message(response)}",
            kind=kind,
            status=status,
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
        )
    if status == 204 or not response.content:
        return None
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TranslationError(
            engine,
            f"answer from {url} is not JSON: {response.text[:120]!r}",
            kind=TranslationErrorKind.MALFORMED,
        ) from exc


def _provider_message(response: httpx.Response) -> str:
    """The error text of the provider's body: DeepL {"message"}, LibreTranslate {"error"},
    OpenAI {"error": {"message"}}; else the start of the body."""
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200].strip() or response.reason_phrase
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        for key in ("message", "error", "detail"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return json.dumps(data, ensure_ascii=False)[:200]
