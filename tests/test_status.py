"""Source health: one enum for the CLI, the status page and the JSON API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from syndicate.models import SourceState
from syndicate.status import Health, source_statuses

from .conftest import make_config

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_health_of_each_source_worst_first_and_as_plain_strings_in_json(tmp_path: Path) -> None:
    sources = "".join(
        f'[[sources]]\nid = "{i}"\nurl = "http://127.0.0.1/{i}"\n{extra}\n'
        for i, extra in (
            ("a-ok", ""),
            ("b-off", "enabled = false"),
            ("c-new", ""),
            ("d-failing", ""),
            ("e-disabled", ""),
        )
    )
    config = make_config(tmp_path, sources=sources)
    states = [
        SourceState("a-ok", "http://127.0.0.1/a-ok", last_polled_at=NOW, last_status=200),
        SourceState(
            "d-failing",
            "http://127.0.0.1/d",
            last_polled_at=NOW,
            error_count=2,
            last_error_kind="timeout",
        ),
        SourceState("e-disabled", "http://127.0.0.1/e", disabled_reason="gone (410)"),
    ]
    rows = source_statuses(config, states)
    assert [(r.id, r.health) for r in rows] == [
        ("d-failing", Health.FAILING),
        ("e-disabled", Health.DISABLED),
        ("c-new", Health.NEW),
        ("a-ok", Health.OK),
        ("b-off", Health.OFF),
    ]
    assert rows[0].last_status == "timeout"  # no HTTP status came: the kind of failure
    assert json.loads(json.dumps(rows[0].to_json()))["health"] == "failing"
