"""Pure scheduling decisions: jitter, backoff, Retry-After, adaptive intervals, redirects."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syndicate.config import ScheduleConfig
from syndicate.errors import ConfigError
from syndicate.retry import backoff_seconds, parse_retry_after, retry_after_seconds
from syndicate.run.polling import (
    Interval,
    adaptive_interval,
    choose_interval,
    interval_in_force,
    jittered,
    redirect_step,
)

from .conftest import make_config

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SCHEDULE = ScheduleConfig(interval=900, min_interval=300, max_interval=6 * 3600)


def test_jitter_stays_within_its_fraction_and_spreads() -> None:
    rng = random.Random(7)
    values = [jittered(600, 0.1, rng) for _ in range(500)]
    assert all(540 <= v <= 660 for v in values)
    assert max(values) - min(values) > 100  # really spread, not constant
    assert jittered(600, 0, rng) == 600


def test_backoff_grows_exponentially_and_is_capped() -> None:
    rng = random.Random(1)
    cap = 3600.0
    ceilings = []
    for failures in range(1, 10):
        samples = [backoff_seconds(60, failures, cap, rng) for _ in range(200)]
        ceiling = min(cap, 60 * 2 ** (failures - 1))
        assert all(ceiling / 2 <= s <= ceiling for s in samples), failures
        ceilings.append(max(samples))
    assert ceilings[0] <= 60 < ceilings[2] <= 240  # grows
    assert all(c <= cap for c in ceilings) and ceilings[-1] > cap * 0.9  # capped, and reaches it
    assert backoff_seconds(60, 0, cap, rng) == 60


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("120", NOW) == NOW + timedelta(seconds=120)
    assert parse_retry_after("Wed, 25 Nov 2026 13:30:00 GMT", NOW) == NOW + timedelta(hours=1.5)
    assert parse_retry_after("Wed, 25 Nov 2026 11:00:00 GMT", NOW) == NOW  # in the past: now
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


@pytest.mark.parametrize(
    "hostile", ["-5", "nan", "inf", "1e400", "Wed, 25", "Wed, 99 Foo 2026 99:99:99 GMT", "\x00"]
)
def test_a_hostile_retry_after_is_ignored(hostile: str) -> None:
    assert parse_retry_after(hostile, NOW) is None
    assert retry_after_seconds(hostile, NOW) is None


def test_retry_after_is_bounded_and_shared_by_polling_and_engines() -> None:
    # one reading for a source's answer and an engine's: seconds (a fraction too) or a date
    assert retry_after_seconds("1.5", NOW) == 1.5
    assert retry_after_seconds("Wed, 25 Nov 2026 12:01:00 GMT", NOW) == 60.0
    year = 365 * 24 * 3600.0
    assert retry_after_seconds("99999999999", NOW) == year
    assert retry_after_seconds("Fri, 31 Dec 9999 23:59:59 GMT", NOW) == year


def test_backoff_without_jitter_doubles_up_to_the_cap() -> None:
    assert [backoff_seconds(5, n, 60) for n in range(6)] == [5, 5, 10, 20, 40, 60]


def test_adaptive_interval_follows_publishing_rate() -> None:
    hourly = [NOW - timedelta(hours=h) for h in range(20)]
    busy = adaptive_interval(hourly, NOW, SCHEDULE)
    assert busy.seconds == 1800 and "one every 1h; polled every 30m" in busy.reason
    very_busy = adaptive_interval([NOW - timedelta(minutes=m) for m in range(20)], NOW, SCHEDULE)
    assert very_busy.seconds == 300  # bounded below by min_interval
    weekly = adaptive_interval([NOW - timedelta(days=7 * w) for w in range(4)], NOW, SCHEDULE)
    assert weekly.seconds == 6 * 3600  # bounded above by max_interval
    quiet = adaptive_interval([NOW - timedelta(days=100)], NOW, SCHEDULE)
    assert quiet.seconds == 6 * 3600 and "slowest" in quiet.reason
    fresh = adaptive_interval([], NOW, SCHEDULE)
    assert fresh.seconds == 900 and "no history" in fresh.reason


#: one source with its own interval, one on the schedule's
FIXED_AND_AUTO = """
[[sources]]
id = "fixed"
url = "http://127.0.0.1/a"
interval = "1h"

[[sources]]
id = "auto"
url = "http://127.0.0.1/b"
"""


def test_configured_interval_wins_over_adaptive(tmp_path: Path) -> None:
    config = make_config(tmp_path, sources=FIXED_AND_AUTO)
    hourly = [NOW - timedelta(hours=h) for h in range(20)]
    fixed = choose_interval(config, config.source("fixed"), hourly, NOW)
    assert fixed.seconds == 3600 and fixed.reason.startswith("fixed: sources.interval")
    auto = choose_interval(config, config.source("auto"), hourly, NOW)
    assert auto.seconds == 1800 and auto.reason.startswith("adaptive")


def test_interval_in_force_is_the_stored_one_else_the_configured_one(tmp_path: Path) -> None:
    config = make_config(tmp_path, sources=FIXED_AND_AUTO)
    fixed, auto = config.source("fixed"), config.source("auto")
    assert interval_in_force(config, fixed, None, None) == Interval(
        3600, "configured: sources.interval"
    )
    assert interval_in_force(config, auto, None, None) == Interval(
        config.schedule.interval, "configured: schedule.interval"
    )
    learned = interval_in_force(config, auto, 1800, "adaptive: 40 articles")
    assert learned == Interval(1800, "adaptive: 40 articles")
    # the source lookup by id: a removed source is None to find, an error to ask for
    assert config.find_source("auto") is auto and config.find_source("gone") is None
    with pytest.raises(ConfigError, match="no source with id 'gone'"):
        config.source("gone")


def test_permanent_redirect_is_adopted_on_the_second_consecutive_sighting() -> None:
    assert redirect_step(None, 0, "https://new/feed") == ("https://new/feed", 1, False)
    assert redirect_step("https://new/feed", 1, "https://new/feed") == (None, 0, True)
    assert redirect_step("https://new/feed", 1, "https://other/feed") == (
        "https://other/feed",
        1,
        False,
    )
    assert redirect_step("https://new/feed", 1, None) == (None, 0, False)  # not consecutive
