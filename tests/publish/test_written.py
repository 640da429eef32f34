"""A node's own record of what its output directory holds (publish/written.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.publish.written import STATE_FILE, Written, load_written, save_written


def test_the_state_round_trips_and_replaces_itself_whole(tmp_path: Path) -> None:
    state = Written(
        generation=42,
        setup="abc",
        month="2026-12",
        feeds={("it", "all", "atom"): "d1", ("", "index", "opml"): "d2@2026-12-01T00:00:00"},
        archives={("it", "all", "atom", "2026-11"): 3},
    )
    save_written(tmp_path, state)
    assert load_written(tmp_path) == state
    assert [p.name for p in tmp_path.iterdir()] == [STATE_FILE]  # no temporary left


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b'{"generation": "x"}', b"[]", b'{"generation": 1, "setup": "s"}'],
)
def test_a_state_that_cannot_be_read_means_every_file_is_checked_again(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / STATE_FILE).write_bytes(content)
    assert load_written(tmp_path) is None
    assert "cannot be read" in caplog.text


def test_no_state_is_none(tmp_path: Path) -> None:
    assert load_written(tmp_path) is None
