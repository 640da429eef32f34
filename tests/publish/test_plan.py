"""Which files a publish writes, decided from data alone: no database, no disk."""

from __future__ import annotations

import pytest

from syndicate.models import FeedChanges, FeedKey
from syndicate.publish.plan import (
    PublishPlan,
    archive_months_to_write,
    linked_months,
    opml_writes,
    plan_publish,
)
from syndicate.publish.written import Written

SETUP = "setup-digest"
MONTH = "2026-11"


def written(generation: int | None = 7, setup: str = SETUP, month: str = MONTH) -> Written:
    return Written(generation=generation, setup=setup, month=month)


def plan(
    before: Written | None = None,
    *,
    latest: int = 7,
    topics: frozenset[str] | None = frozenset(),
    complete: bool = True,
    force: bool = False,
) -> PublishPlan:
    changes = FeedChanges(latest=latest, topics=topics)
    return plan_publish(before, changes, setup=SETUP, month=MONTH, complete=complete, force=force)


def test_nothing_to_do_when_the_directory_reflects_the_latest_change_this_month() -> None:
    assert plan(written()).idle


@pytest.mark.parametrize(
    ("before", "complete", "force", "why"),
    [
        (None, True, False, "no state: every file is checked"),
        (written(setup="other"), True, False, "another config or glossary"),
        (written(generation=6), True, False, "a change since (on any node)"),
        (written(generation=None), True, False, "a state saved after a failure"),
        (written(month="2026-10"), True, False, "a month ended: prev-archive links change"),
        (written(), False, False, "a feed's file is gone"),
        (written(), True, True, "forced"),
    ],
)
def test_what_wakes_a_publish(
    before: Written | None, complete: bool, force: bool, why: str
) -> None:
    assert not plan(before, complete=complete, force=force).idle, why


def test_only_the_changed_topics_are_read_from_a_fresh_state() -> None:
    fresh = plan(written(generation=6), topics=frozenset({"energy"}))
    assert fresh.topics == frozenset({"energy"}) and not fresh.check_disk
    assert fresh.reads("all", archive_missing=False)
    assert fresh.reads("energy", archive_missing=False)
    assert not fresh.reads("startups", archive_missing=False)
    assert fresh.reads("startups", archive_missing=True)  # its archive month links change


@pytest.mark.parametrize(
    ("before", "force"),
    [(None, False), (written(setup="other"), False), (written(generation=6), True)],
)
def test_every_feed_is_read_without_a_fresh_state_or_when_forced(
    before: Written | None, force: bool
) -> None:
    every = plan(before, topics=frozenset({"energy"}), force=force)
    assert every.topics is None
    assert every.reads("startups", archive_missing=False)


def test_the_change_log_may_name_every_topic() -> None:
    assert plan(written(generation=6), topics=None).reads("startups", archive_missing=False)


@pytest.mark.parametrize(
    ("before", "complete", "force", "check_disk"),
    [
        (written(generation=6), True, False, False),
        (None, True, False, True),
        (written(), False, False, True),
        (written(), True, True, True),
        (written(setup="other"), True, False, False),  # the state still says what is on disk
    ],
)
def test_when_archives_are_checked_on_disk(
    before: Written | None, complete: bool, force: bool, check_disk: bool
) -> None:
    assert plan(before, complete=complete, force=force).check_disk is check_disk


def test_a_feed_file_is_written_when_its_digest_changed_or_it_is_gone() -> None:
    usual = plan(written(generation=6))
    assert not usual.writes("d1", "d1", on_disk=lambda: True)
    assert usual.writes("d2", "d1", on_disk=lambda: True)
    assert usual.writes("d1", None, on_disk=lambda: True)
    assert usual.writes("d1", "d1", on_disk=lambda: False)
    assert plan(written(), force=True).writes("d1", "d1", on_disk=lambda: True)

    def no_look() -> bool:
        raise AssertionError("a file about to be written needs no look at the disk")

    assert usual.writes("d2", "d1", on_disk=no_look)
    assert opml_writes("d2", "d1@2026-11-01T00:00:00+00:00", on_disk=no_look)


def test_the_opml_lists_are_written_when_their_content_changed_or_a_file_is_gone() -> None:
    since = "2026-11-01T00:00:00+00:00"
    assert not opml_writes("d1", f"d1@{since}", on_disk=lambda: True)
    assert opml_writes("d2", f"d1@{since}", on_disk=lambda: True)
    assert opml_writes("d1", "", on_disk=lambda: True)
    assert opml_writes("d1", f"d1@{since}", on_disk=lambda: False)


FEEDS = [FeedKey("it", "all", "atom"), FeedKey("it", "energy", "atom")]
MONTHS = ["2026-08", "2026-09", "2026-10"]


def test_archive_months_no_node_wrote_or_only_another_did() -> None:
    unwritten = {("it", "energy", "atom", "2026-10")}
    here = {
        ("it", "all", "atom", "2026-08"),
        ("it", "all", "atom", "2026-09"),
        ("it", "all", "atom", "2026-10"),
        ("it", "energy", "atom", "2026-08"),
    }
    assert archive_months_to_write(FEEDS, MONTHS, unwritten, here) == {
        ("it", "energy", "atom", "2026-09"),  # another node's: written here from its spans
        ("it", "energy", "atom", "2026-10"),  # no node's yet
    }
    assert archive_months_to_write(FEEDS, [], set(), set()) == set()


def test_the_months_a_document_written_now_links_to() -> None:
    assert linked_months([], set()) == []
    assert linked_months(MONTHS, set()) == ["2026-10"]
    missing = {("it", "all", "atom", "2026-09"), ("it", "energy", "rss", "2026-08")}
    assert linked_months(MONTHS, missing) == ["2026-08", "2026-10"]
