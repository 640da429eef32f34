"""Config reloads while running (run/reload.py): what applies at once, what waits for a restart."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from syndicate.config import Config, load_config
from syndicate.run.reload import ConfigWatcher

from .conftest import write_config

BASE = """\
[service]
languages = ["it", "en"]
output_dir = "feeds"

[server]
port = 8080
cache_control = "public, max-age=60"

[fetch]
timeout = "20s"

[schedule]
interval = "15m"

[[sources]]
id = "one"
url = "http://127.0.0.1:9/one.xml"
language = "it"
"""


def watch(tmp_path: Path) -> tuple[ConfigWatcher, list[Config]]:
    applied: list[Config] = []
    config = load_config(write_config(tmp_path, BASE), env={})
    return ConfigWatcher(config, applied.append), applied


def test_restart_only_tables_keep_their_running_values_until_a_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    watcher, applied = watch(tmp_path)
    running = watcher.config
    edited = (
        BASE.replace('output_dir = "feeds"', 'output_dir = "elsewhere"')
        .replace("max-age=60", "max-age=5")
        .replace('timeout = "20s"', 'timeout = "3s"')
        .replace('interval = "15m"', 'interval = "5m"')
    )
    write_config(tmp_path, edited)
    with caplog.at_level(logging.WARNING, logger="syndicate.reload"):
        assert watcher.check()
    [new] = applied
    # what applies at once does
    assert new.schedule.interval == 300
    # [service], [server] and [fetch] are the running ones, as the log says
    assert new.service == running.service and new.output_dir == running.output_dir
    assert new.server == running.server and new.server.cache_control == "public, max-age=60"
    assert new.fetch == running.fetch and new.fetch.timeout == 20
    warned = {r.getMessage() for r in caplog.records if r.levelno == logging.WARNING}
    assert warned == {
        f"config: [{name}] changed; it takes effect after a restart"
        for name in ("service", "server", "fetch")
    }
    # the next reload still compares with what runs: the log says so again
    caplog.clear()
    write_config(tmp_path, edited.replace('interval = "5m"', 'interval = "10m"'))
    with caplog.at_level(logging.WARNING, logger="syndicate.reload"):
        assert watcher.check()
    assert applied[-1].schedule.interval == 600
    assert applied[-1].output_dir == running.output_dir
    assert len([r for r in caplog.records if "after a restart" in r.getMessage()]) == 3


def test_an_edit_of_sources_only_applies_at_once_and_warns_of_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    watcher, applied = watch(tmp_path)
    added = BASE + '\n[[sources]]\nid = "two"\nurl = "http://127.0.0.1:9/two.xml"\n'
    added += 'language = "en"\n'
    write_config(tmp_path, added)
    with caplog.at_level(logging.WARNING, logger="syndicate.reload"):
        assert watcher.check()
    assert [s.id for s in applied[-1].sources] == ["one", "two"]
    assert applied[-1].find_source("two") is not None
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not watcher.check()  # the same file again: nothing to do


def test_a_bad_edit_keeps_the_running_config(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    watcher, applied = watch(tmp_path)
    running = watcher.config
    write_config(tmp_path, BASE.replace('interval = "15m"', 'interval = "soon"'))
    with caplog.at_level(logging.ERROR, logger="syndicate.reload"):
        assert not watcher.check()
    assert applied == [] and watcher.config is running
    assert any("schedule.interval" in r.getMessage() for r in caplog.records)
