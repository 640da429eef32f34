"""Build the configured engine. API keys are read from the environment variable that the
config names, never from the config itself."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from syndicate.config import Config, TranslationEngine
from syndicate.storage import Storage
from syndicate.terms.load import TermBase
from syndicate.translate.deepl import DeepLEngine
from syndicate.translate.engine import Engine
from syndicate.translate.entries import pair_entries
from syndicate.translate.libretranslate import LibreTranslateEngine
from syndicate.translate.openai import OpenAIEngine

__all__ = ["make_engine"]


def make_engine(
    config: Config,
    storage: Storage,
    terms: Callable[[], TermBase],
    env: Mapping[str, str] | None = None,
) -> Engine | None:
    """The engine ``translation.engine`` names, or None for ``none``.

    ``terms`` returns the term base in force (it may be reloaded while the engine lives).
    """
    translation = config.translation
    engine_config = translation.engine_config
    env = os.environ if env is None else env
    key = env.get(engine_config.api_key_env) if engine_config.api_key_env else None
    match translation.engine:
        case TranslationEngine.NONE:
            return None
        case TranslationEngine.DEEPL:
            return DeepLEngine(
                engine_config,
                key,
                pair_entries=lambda source, target: pair_entries(terms().glossary, source, target),
                registry=storage,
            )
        case TranslationEngine.LIBRETRANSLATE:
            return LibreTranslateEngine(engine_config, key)
        case TranslationEngine.OPENAI:
            return OpenAIEngine(engine_config, key)
