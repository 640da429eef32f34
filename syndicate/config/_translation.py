"""The ``[translation]`` part of config.toml: engine choice, fields, targets, engine tables.

Split from :mod:`syndicate.config`, which calls :func:`read_translation` and re-exports the
types. API keys never sit in the config: an engine table names the environment variable
(``api_key_env``) that holds one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from syndicate.config._positions import KeyPath
from syndicate.config._readers import Checker, parse_duration

__all__ = [
    "ENGINE_DEFAULTS",
    "TRANSLATION_KEYS",
    "EngineConfig",
    "TranslationConfig",
    "TranslationEngine",
    "TranslationOutput",
    "UntranslatedPolicy",
    "read_translation",
    "source_fields",
]

FIELDS = ("title", "summary", "content")


class TranslationEngine(StrEnum):
    NONE = "none"
    DEEPL = "deepl"
    LIBRETRANSLATE = "libretranslate"
    OPENAI = "openai"


class UntranslatedPolicy(StrEnum):
    """What a language's feed shows for an article written in another language and not
    (yet) translated."""

    GLOSS = "gloss"
    ORIGINAL = "original"
    SKIP = "skip"


class TranslationOutput(StrEnum):
    """A translated entry shows the translation only, or the translation then the original."""

    TRANSLATION = "translation"
    BILINGUAL = "bilingual"


@dataclass(frozen=True)
class EngineConfig:
    base_url: str = ""
    model: str = ""
    #: the name of the environment variable holding the API key ("" for none)
    api_key_env: str = ""
    #: caps on characters sent per UTC day / calendar month (None: no cap)
    daily_char_budget: int | None = None
    monthly_char_budget: int | None = None
    #: seconds per request
    timeout: float = 30.0
    #: the most characters, and texts, one request carries
    max_chars: int = 30_000
    batch_size: int = 50


#: per engine: base_url, max_chars, batch_size when the table does not say
ENGINE_DEFAULTS: dict[str, tuple[str, int, int]] = {
    # DeepL: 128 KiB per request and 50 texts; 30,000 characters stay under it in UTF-8 CJK.
    "deepl": ("https://api.deepl.com", 30_000, 50),
    # LibreTranslate: servers commonly run with a 5,000-character limit.
    "libretranslate": ("", 5_000, 20),
    # A local LLM's context: a few thousand characters of input leave room for the output.
    "openai": ("", 6_000, 16),
}


@dataclass(frozen=True)
class TranslationConfig:
    engine: TranslationEngine = TranslationEngine.NONE
    untranslated: UntranslatedPolicy = UntranslatedPolicy.GLOSS
    fields: tuple[str, ...] = FIELDS
    output: TranslationOutput = TranslationOutput.TRANSLATION
    #: languages to translate into (default: every service language)
    targets: tuple[str, ...] = ()
    #: after this many failed attempts an article's translation is marked failed
    max_attempts: int = 8
    engines: dict[str, EngineConfig] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.engine is not TranslationEngine.NONE

    @property
    def engine_config(self) -> EngineConfig:
        """The chosen engine's table (config loading guarantees there is one)."""
        return self.engines.get(self.engine.value, EngineConfig())


TRANSLATION_KEYS = {
    "engine",
    "untranslated",
    "fields",
    "output",
    "targets",
    "max_attempts",
    *(e.value for e in TranslationEngine if e is not TranslationEngine.NONE),
}
_ENGINE_KEYS = {
    "base_url",
    "model",
    "api_key_env",
    "daily_char_budget",
    "monthly_char_budget",
    "timeout",
    "max_chars",
    "batch_size",
}


def _fields(
    check: Checker, t: dict[str, Any], key: KeyPath, default: tuple[str, ...]
) -> tuple[str, ...]:
    fields = check.strings(t, key, default)
    for i, name in enumerate(fields):
        if name not in FIELDS:
            check.problem((*key, i), f"expected one of {', '.join(FIELDS)}, got {name!r}")
    return fields


def source_fields(check: Checker, t: dict[str, Any], key: KeyPath) -> tuple[str, ...] | None:
    """A source's ``translate`` list (None when it does not say)."""
    if key[-1] not in t:
        return None
    return _fields(check, t, key, ())


def read_translation(
    check: Checker, t: dict[str, Any], languages: tuple[str, ...]
) -> TranslationConfig:
    key = ("translation",)
    engine = check.choice(t, (*key, "engine"), TranslationEngine, TranslationEngine.NONE)
    untranslated = check.choice(
        t, (*key, "untranslated"), UntranslatedPolicy, UntranslatedPolicy.GLOSS
    )
    fields = _fields(check, t, (*key, "fields"), FIELDS)
    output = check.choice(t, (*key, "output"), TranslationOutput, TranslationOutput.TRANSLATION)
    targets = check.strings(t, (*key, "targets"), languages)
    for i, lang in enumerate(targets):
        if lang not in languages:
            check.problem(
                (*key, "targets", i),
                f"language {lang!r} is not in service.languages ({', '.join(languages)})",
            )
    max_attempts = check.integer(t, (*key, "max_attempts"), 8, low=1)
    engines: dict[str, EngineConfig] = {}
    for name in (e.value for e in TranslationEngine if e is not TranslationEngine.NONE):
        if name in t:
            engines[name] = _engine(check, check.table(t, (*key, name), _ENGINE_KEYS), name)
    if engine is not TranslationEngine.NONE and engine.value not in engines:
        check.problem(
            (*key, "engine"), f'engine "{engine.value}" needs a [translation.{engine.value}] table'
        )
    return TranslationConfig(engine, untranslated, fields, output, targets, max_attempts, engines)


def _engine(check: Checker, et: dict[str, Any], name: str) -> EngineConfig:
    key = ("translation", name)
    base_url, max_chars, batch_size = ENGINE_DEFAULTS[name]
    url = check.string(et, (*key, "base_url"), base_url, required=not base_url)
    if url and not url.startswith(("http://", "https://")):
        check.problem((*key, "base_url"), f"expected an http(s) URL, got {url!r}")
    model = check.string(et, (*key, "model"), "", required=name == "openai")
    api_key_env = check.string(et, (*key, "api_key_env"), "", required=name == "deepl")
    if api_key_env and not api_key_env.replace("_", "").isalnum():
        check.problem(
            (*key, "api_key_env"),
            f"expected the NAME of an environment variable (like DEEPL_API_KEY), got "
            f"{api_key_env!r}; the key itself never goes in the config",
        )
    return EngineConfig(
        base_url=url.rstrip("/"),
        model=model,
        api_key_env=api_key_env,
        daily_char_budget=check.optional_integer(et, (*key, "daily_char_budget"), low=0),
        monthly_char_budget=check.optional_integer(et, (*key, "monthly_char_budget"), low=0),
        timeout=check.value(et, (*key, "timeout"), 30.0, parse_duration),
        max_chars=check.integer(et, (*key, "max_chars"), max_chars, low=200),
        batch_size=check.integer(et, (*key, "batch_size"), batch_size, low=1),
    )
