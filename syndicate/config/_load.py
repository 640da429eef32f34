"""Load ``config.toml`` into the typed config (:mod:`syndicate.config._model`), checking
every key.

Every problem is collected (not just the first) and raised together as one
:class:`~syndicate.errors.ConfigError` whose lines read
``config.toml:LINE: sources[2].interval: expected a duration like "15m", got "soon"``.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
from syndicate.config._positions import KeyLines
from syndicate.config._readers import Checker, parse_duration, parse_size
from syndicate.config._server import SERVER_KEYS, read_partners, read_server
from syndicate.config._translation import TRANSLATION_KEYS, read_translation, source_fields
from syndicate.errors import ConfigError, ConfigProblem

__all__ = ["load_config"]

_SERVICE_KEYS = {"languages", "database", "output_dir", "base_url"}
_FETCH_KEYS = {
    "user_agent",
    "concurrency",
    "per_host",
    "connect_timeout",
    "timeout",
    "total_timeout",
    "max_bytes",
    "allow_private_networks",
}
_SCHEDULE_KEYS = {
    "interval",
    "adaptive",
    "min_interval",
    "max_interval",
    "jitter",
    "max_backoff",
    "tick",
    "lease",
}
_TOP_KEYS = {
    "service",
    "server",
    "fetch",
    "schedule",
    "publish",
    "translation",
    "glossary",
    "topics",
    "sources",
    "partners",
}


def load_config(path: Path | str | None = None, *, env: dict[str, str] | None = None) -> Config:
    """Read and check a config file. Raises ConfigError listing every problem found."""
    env = dict(os.environ) if env is None else env
    path = Path(path or env.get(CONFIG_ENV) or "config.toml").resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(path, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(path, None, "", f"cannot read: {exc}")]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python < 3.14 only says where in the message: "Unclosed array (at line 3, column 1)"
        where = re.search(r"\s*\(at line (\d+), column \d+\)$", str(exc))
        line = int(where.group(1)) if where else None
        message = str(exc)[: where.start()] if where else str(exc)
        raise ConfigError([ConfigProblem(path, line, "", f"not valid TOML: {message}")]) from exc
    lines = KeyLines(text)
    check = Checker(path, lines)
    config = _build(check, path, data, env)
    if check.problems:
        raise ConfigError(check.problems)
    return replace(config, lines=lines)


def _build(check: Checker, path: Path, data: dict[str, Any], env: dict[str, str]) -> Config:
    check.unknown_keys(data, (), _TOP_KEYS)
    service = _service(check, check.table(data, ("service",), _SERVICE_KEYS), path, env)
    languages = service.languages

    server = read_server(check, check.table(data, ("server",), SERVER_KEYS))
    t = check.table(data, ("fetch",), _FETCH_KEYS)
    fetch = FetchConfig(
        user_agent=check.string(t, ("fetch", "user_agent"), FetchConfig.user_agent),
        concurrency=check.integer(t, ("fetch", "concurrency"), FetchConfig.concurrency, low=1),
        per_host=check.integer(t, ("fetch", "per_host"), FetchConfig.per_host, low=1),
        connect_timeout=check.value(
            t, ("fetch", "connect_timeout"), FetchConfig.connect_timeout, parse_duration
        ),
        timeout=check.value(t, ("fetch", "timeout"), FetchConfig.timeout, parse_duration),
        total_timeout=check.value(
            t, ("fetch", "total_timeout"), FetchConfig.total_timeout, parse_duration
        ),
        max_bytes=check.value(t, ("fetch", "max_bytes"), FetchConfig.max_bytes, parse_size),
        allow_private_networks=check.boolean(
            t, ("fetch", "allow_private_networks"), FetchConfig.allow_private_networks
        ),
    )
    schedule = _schedule(check, check.table(data, ("schedule",), _SCHEDULE_KEYS))
    if schedule.lease < 2 * fetch.total_timeout:
        check.problem(
            ("schedule", "lease"),
            f"must be at least twice fetch.total_timeout "
            f"({fetch.total_timeout:g}s), or a slow fetch could be taken over by "
            "another worker while it still runs",
        )
    t = check.table(
        data, ("publish",), {"max_entries", "hub", "archive_months", "archive_page_entries"}
    )
    hub = check.optional_string(t, ("publish", "hub"))
    if hub is not None and not hub.startswith(("http://", "https://")):
        check.problem(("publish", "hub"), f"expected an http(s) URL, got {hub!r}")
    publish = PublishConfig(
        max_entries=check.integer(t, ("publish", "max_entries"), PublishConfig.max_entries, low=1),
        hub=hub,
        archive_months=check.integer(
            t, ("publish", "archive_months"), PublishConfig.archive_months, low=0
        ),
        archive_page_entries=check.integer(
            t,
            ("publish", "archive_page_entries"),
            PublishConfig.archive_page_entries,
            low=1,
            high=MAX_ARCHIVE_PAGE_ENTRIES,
        ),
    )
    translation = read_translation(
        check, check.table(data, ("translation",), TRANSLATION_KEYS), languages
    )
    t = check.table(data, ("glossary",), {"files"})
    glossary = GlossaryConfig(files=check.strings(t, ("glossary", "files"), ()))
    topics = _topics(check, data, languages)
    sources = _sources(check, data, languages, {topic.id for topic in topics})
    partners = read_partners(check, data, set(private_topics(topics)))
    return Config(
        path,
        service,
        server,
        fetch,
        schedule,
        publish,
        translation,
        glossary,
        topics,
        sources,
        partners,
    )


def _service(check: Checker, t: dict[str, Any], path: Path, env: dict[str, str]) -> ServiceConfig:
    languages = check.strings(t, ("service", "languages"), ServiceConfig.languages)
    if not languages:
        check.problem(("service", "languages"), "name at least one language")
        languages = ServiceConfig.languages
    for i, lang in enumerate(languages):
        if not _looks_like_bcp47(lang):
            check.problem(
                ("service", "languages", i), f'expected a BCP 47 tag like "it", got {lang!r}'
            )
    seen_twice = {lang for lang in languages if languages.count(lang) > 1}
    if seen_twice:
        check.problem(("service", "languages"), f"listed twice: {', '.join(sorted(seen_twice))}")
    database = check.string(t, ("service", "database"), ServiceConfig.database)
    if urlsplit(database).password:
        check.problem(
            ("service", "database"),
            "holds a password: set the whole URL in the SYNDICATE_DATABASE_URL environment "
            "variable instead, so the config file carries no secret",
        )
    database = _resolve_sqlite(env.get(DATABASE_ENV) or database, path.parent)
    output_dir = path.parent / check.string(t, ("service", "output_dir"), "feeds")
    base_url = check.string(t, ("service", "base_url"), ServiceConfig.base_url).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        check.problem(("service", "base_url"), f"expected an http(s) URL, got {base_url!r}")
    return ServiceConfig(languages, database, output_dir, base_url)


def _schedule(check: Checker, t: dict[str, Any]) -> ScheduleConfig:
    def duration(name: str) -> float:
        default: float = getattr(ScheduleConfig, name)
        return check.value(t, ("schedule", name), default, parse_duration)

    schedule = ScheduleConfig(
        interval=duration("interval"),
        adaptive=check.boolean(t, ("schedule", "adaptive"), ScheduleConfig.adaptive),
        min_interval=duration("min_interval"),
        max_interval=duration("max_interval"),
        jitter=check.value(t, ("schedule", "jitter"), ScheduleConfig.jitter, _fraction),
        max_backoff=duration("max_backoff"),
        tick=duration("tick"),
        lease=duration("lease"),
    )
    if schedule.min_interval > schedule.max_interval:
        check.problem(("schedule", "min_interval"), "is longer than schedule.max_interval")
    return schedule


def _fraction(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 0.5:
        return float(value)
    raise ValueError(f"expected a number from 0 to 0.5, got {value!r}")


def _topics(
    check: Checker, data: dict[str, Any], languages: tuple[str, ...]
) -> tuple[TopicConfig, ...]:
    topics: list[TopicConfig] = []
    known = {"id", "title", "concepts", "categories", "keywords", "min_score", "private"}
    for i, t in check.array_of_tables(data, "topics", known):
        key = ("topics", i)
        topic_id = check.identifier(t, (*key, "id"))
        if isinstance(t.get("title"), str):  # one title for every language
            title = dict.fromkeys(languages, t["title"])
        else:
            title = check.mapping_of_strings(t, (*key, "title"))
        for lang in title:
            if lang not in languages:
                check.problem(
                    (*key, "title", lang), f"language {lang!r} is not in service.languages"
                )
        if topic_id == "all":
            check.problem((*key, "id"), '"all" is reserved for the feed of every article')
        if topic_id in {topic.id for topic in topics}:
            check.problem((*key, "id"), f"topic id {topic_id!r} is defined twice")
        topics.append(
            TopicConfig(
                id=topic_id,
                title=title or {languages[0] if languages else "en": topic_id},
                concepts=check.strings(t, (*key, "concepts"), ()),
                categories=check.strings(t, (*key, "categories"), ()),
                keywords=check.strings(t, (*key, "keywords"), ()),
                min_score=check.integer(t, (*key, "min_score"), 2, low=1),
                private=check.boolean(t, (*key, "private"), False),
            )
        )
    return tuple(topics)


def _sources(
    check: Checker, data: dict[str, Any], languages: tuple[str, ...], topic_ids: set[str]
) -> tuple[SourceConfig, ...]:
    sources: list[SourceConfig] = []
    known = {"id", "url", "language", "title", "topics", "interval", "enabled", "translate"}
    for i, t in check.array_of_tables(data, "sources", known):
        key = ("sources", i)
        source_id = check.identifier(t, (*key, "id"))
        if source_id in {source.id for source in sources}:
            check.problem((*key, "id"), f"source id {source_id!r} is defined twice")
        url = check.string(t, (*key, "url"), "", required=True)
        if url and not url.startswith(("http://", "https://")):
            check.problem((*key, "url"), f"expected an http(s) URL, got {url!r}")
        language = check.optional_string(t, (*key, "language"))
        if language is not None and language not in languages:
            check.problem(
                (*key, "language"),
                f"language {language!r} is not in service.languages ({', '.join(languages)})",
            )
        topics = check.topic_ids(t, (*key, "topics"), topic_ids, "defined in [[topics]]")
        interval = check.value(t, (*key, "interval"), None, parse_duration)
        enabled = check.boolean(t, (*key, "enabled"), True)
        sources.append(
            SourceConfig(
                source_id,
                url,
                language,
                check.optional_string(t, (*key, "title")),
                topics,
                interval,
                enabled,
                source_fields(check, t, (*key, "translate")),
            )
        )
    return tuple(sources)


def _looks_like_bcp47(tag: str) -> bool:
    parts = tag.split("-")
    return (
        2 <= len(parts[0]) <= 3
        and parts[0].isalpha()
        and parts[0].islower()
        and all(p.isalnum() and 1 <= len(p) <= 8 for p in parts[1:])
    )


def _resolve_sqlite(url: str, base: Path) -> str:
    """``sqlite:///var/x.db`` is relative to the config file; ``sqlite:////abs`` stays."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str((base / url[len(prefix) :]).resolve())
    return url
