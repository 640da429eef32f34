"""``config.toml``: reading it into frozen dataclasses, checking every key.

A newcomer's map: ``_model.py`` is the typed config (a dataclass per table), ``_load.py``
reads and checks the file, ``_readers.py`` are the typed readers that collect problems
instead of stopping at the first, ``_positions.py`` finds the line of each key (so an
error says ``config.toml:LINE``), ``_server.py`` and ``_translation.py`` are the
``[server]``/``[[partners]]`` and ``[translation]`` tables. Other packages import from here.
"""

from __future__ import annotations

from syndicate.config._load import load_config
from syndicate.config._model import (
    CONFIG_ENV,
    DATABASE_ENV,
    MAX_ARCHIVE_PAGE_ENTRIES,
    Config,
    FetchConfig,
    GlossaryConfig,
    PublishConfig,
    ScheduleConfig,
    ServiceConfig,
    SourceConfig,
    TopicConfig,
    private_topics,
)
from syndicate.config._positions import KeyLines, KeyPath, format_key
from syndicate.config._readers import Checker, parse_duration, parse_size
from syndicate.config._server import PartnerConfig, ServerConfig
from syndicate.config._translation import (
    EngineConfig,
    TranslationConfig,
    TranslationEngine,
    TranslationOutput,
    UntranslatedPolicy,
)

__all__ = [
    "CONFIG_ENV",
    "DATABASE_ENV",
    "MAX_ARCHIVE_PAGE_ENTRIES",
    "Checker",
    "Config",
    "EngineConfig",
    "FetchConfig",
    "GlossaryConfig",
    "KeyLines",
    "KeyPath",
    "PartnerConfig",
    "PublishConfig",
    "ScheduleConfig",
    "ServerConfig",
    "ServiceConfig",
    "SourceConfig",
    "TopicConfig",
    "TranslationConfig",
    "TranslationEngine",
    "TranslationOutput",
    "UntranslatedPolicy",
    "format_key",
    "load_config",
    "parse_duration",
    "parse_size",
    "private_topics",
]
