"""DeepL: ``POST /v2/translate`` with ``tag_handling=html`` and a native glossary per
language pair, managed with the v3 glossary endpoints.

The glossary holds the whole term base for the pair (preferred target term for each source
term and variant; do-not-translate names mapped to themselves). It is created once, reused
by id while the term base's version holds, and updated in place (``PUT …/dictionaries``)
when the version changes; the id and version are kept in the database, so a restart or
another worker reuses it too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from syndicate.config import EngineConfig
from syndicate.errors import TranslationError, TranslationErrorKind
from syndicate.translate._http_engine import HttpEngine, request_json
from syndicate.translate.engine import EngineReply, GlossaryEntry, TranslationRequest

__all__ = ["DeepLEngine", "GlossaryRegistry"]

NAME = "deepl"


class GlossaryRegistry(Protocol):
    """Where remote glossary ids are kept (the storage)."""

    def remote_glossary(self, engine: str, source: str, target: str) -> tuple[str, str] | None: ...

    def save_remote_glossary(
        self, engine: str, source: str, target: str, version: str, remote_id: str, now: datetime
    ) -> None: ...


def target_code(lang: str) -> str:
    """DeepL's target language code: English and Portuguese need a variant."""
    primary = lang.split("-")[0].upper()
    if lang.upper() in {"EN-GB", "EN-US", "PT-PT", "PT-BR"}:
        return lang.upper()
    return {"EN": "EN-GB", "PT": "PT-PT"}.get(primary, primary)


def glossary_tsv(entries: Sequence[GlossaryEntry]) -> str:
    """Entries as DeepL's TSV: one ``source<TAB>target`` a line, first source wins, no tabs
    or line breaks inside a phrase."""
    seen: set[str] = set()
    lines: list[str] = []
    for entry in entries:
        source = " ".join(entry.source.split())
        target = " ".join((entry.source if entry.do_not_translate else entry.target).split())
        if source and target and source not in seen:
            seen.add(source)
            lines.append(f"{source}\t{target}")
    return "\n".join(lines)


class DeepLEngine(HttpEngine):
    """The DeepL API (Free or Pro: the base URL says which)."""

    provider_max_texts = 50

    def __init__(
        self,
        config: EngineConfig,
        api_key: str | None,
        *,
        pair_entries: Callable[[str, str], Sequence[GlossaryEntry]],
        registry: GlossaryRegistry,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(config, api_key, client)
        self._pair_entries = pair_entries
        self._registry = registry
        self._ids: dict[tuple[str, str], tuple[str, str]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        #: remote ids DeepL no longer knows (deleted on its side): made anew, never reused
        self._gone: set[str] = set()

    @property
    def name(self) -> str:
        return NAME

    def _headers(self) -> dict[str, str]:
        self._require_key()
        if not self._key:  # DeepL always needs one (config check requires api_key_env)
            raise TranslationError(NAME, "no API key configured", kind=TranslationErrorKind.AUTH)
        return {"Authorization": f"DeepL-Auth-Key {self._key}"}

    async def translate(self, request: TranslationRequest) -> EngineReply:
        headers = self._headers()
        source, target = _glossary_lang(request.source), _glossary_lang(request.target)
        glossary_id = await self.glossary_id(source, target, request.glossary_version)
        body: dict[str, Any] = {
            "text": list(request.texts),
            "source_lang": source.upper(),
            "target_lang": target_code(request.target),
            "tag_handling": "html",
            "show_billed_characters": True,
        }
        if glossary_id:
            body["glossary_id"] = glossary_id
        url = f"{self._config.base_url}/v2/translate"
        try:
            data = await request_json(self._client, NAME, "POST", url, headers=headers, body=body)
        except TranslationError as exc:
            if glossary_id and exc.status in (400, 404) and "glossary" in exc.reason.lower():
                self._forget(source, target, glossary_id)  # deleted on DeepL's side: make anew
                exc.kind = TranslationErrorKind.UNAVAILABLE
            raise
        return _reply(data, request.texts)

    async def glossary_id(self, source: str, target: str, version: str) -> str | None:
        """The remote glossary for the pair at ``version``: reused, updated or created."""
        pair = (source, target)
        async with self._locks.setdefault(pair, asyncio.Lock()):
            known = self._ids.get(pair)
            if known is None:
                known = await asyncio.to_thread(self._registry.remote_glossary, NAME, *pair)
            if known is not None and known[1] in self._gone:
                known = None
            if known is not None and known[0] == version:
                self._ids[pair] = known
                return known[1]
            tsv = glossary_tsv(self._pair_entries(source, target))
            if not tsv:
                return None
            remote_id = await self._update(known[1], pair, tsv) if known else None
            if remote_id is None:
                remote_id = await self._create(pair, tsv)
            self._ids[pair] = (version, remote_id)
            await asyncio.to_thread(
                self._registry.save_remote_glossary,
                NAME,
                source,
                target,
                version,
                remote_id,
                datetime.now(UTC),
            )
            return remote_id

    async def _create(self, pair: tuple[str, str], tsv: str) -> str:
        body = {
            "name": f"syndicate {pair[0]}-{pair[1]}",
            "dictionaries": [_dictionary(pair, tsv)],
        }
        url = f"{self._config.base_url}/v3/glossaries"
        data = await request_json(
            self._client, NAME, "POST", url, headers=self._headers(), body=body
        )
        if not isinstance(data, dict) or not isinstance(data.get("glossary_id"), str):
            raise TranslationError(
                NAME,
                f"glossary creation answered {data!r:.120}",
                kind=TranslationErrorKind.MALFORMED,
            )
        return str(data["glossary_id"])

    async def _update(self, remote_id: str, pair: tuple[str, str], tsv: str) -> str | None:
        """Replace the pair's dictionary in place; None when the glossary is gone."""
        url = f"{self._config.base_url}/v3/glossaries/{remote_id}/dictionaries"
        try:
            await request_json(
                self._client, NAME, "PUT", url, headers=self._headers(), body=_dictionary(pair, tsv)
            )
        except TranslationError as exc:
            if exc.status == 404:
                return None
            raise
        return remote_id

    def _forget(self, source: str, target: str, remote_id: str) -> None:
        self._ids.pop((source, target), None)
        self._gone.add(remote_id)


def _glossary_lang(lang: str) -> str:
    return lang.split("-")[0].lower()


def _dictionary(pair: tuple[str, str], tsv: str) -> dict[str, str]:
    return {
        "source_lang": pair[0],
        "target_lang": pair[1],
        "entries": tsv,
        "entries_format": "tsv",
    }


def _reply(data: Any, texts: Sequence[str]) -> EngineReply:
    items = data.get("translations") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("text"), str) for i in items
    ):
        raise TranslationError(
            NAME, f"unexpected answer {data!r:.120}", kind=TranslationErrorKind.MALFORMED
        )
    if len(items) != len(texts):
        raise TranslationError(
            NAME,
            f"sent {len(texts)} texts, got {len(items)} translations back",
            kind=TranslationErrorKind.MALFORMED,
        )
    billed = sum(
        int(i["billed_characters"]) if isinstance(i.get("billed_characters"), int) else len(t)
        for i, t in zip(items, texts, strict=True)
    )
    return EngineReply(tuple(str(i["text"]) for i in items), billed)
