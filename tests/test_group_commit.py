"""The group commit of polls without articles (syndicate/run/_group_commit.py)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from syndicate.run._group_commit import GroupCommit


class Writes:
    """A blocking ``write`` that records its batches; the first waits for ``release``."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.started = threading.Event()
        self.fail_on = fail_on

    def __call__(self, batch: list[str]) -> None:
        self.started.set()
        if not self.batches:
            assert self.release.wait(10)
        self.batches.append(batch)
        if self.fail_on in batch:
            raise OSError(f"disk full writing {self.fail_on}")


async def _started(writes: Writes) -> None:
    assert await asyncio.to_thread(writes.started.wait, 10)


def test_items_that_arrive_during_a_write_go_together_in_the_next() -> None:
    asyncio.run(_items_that_arrive_during_a_write_go_together_in_the_next())


async def _items_that_arrive_during_a_write_go_together_in_the_next() -> None:
    writes = Writes()
    group: GroupCommit[str] = GroupCommit(writes)
    first = asyncio.create_task(group.submit("a"))
    await _started(writes)  # "a" is being written
    rest = [asyncio.create_task(group.submit(item)) for item in "bcde"]
    await asyncio.sleep(0)
    assert not any(task.done() for task in [first, *rest])
    writes.release.set()
    await asyncio.wait_for(asyncio.gather(first, *rest), 10)
    assert writes.batches == [["a"], ["b", "c", "d", "e"]]
    await asyncio.wait_for(group.submit("f"), 10)  # and the writer starts again when idle
    assert writes.batches[-1] == ["f"]


def test_a_failed_write_fails_its_batch_and_not_the_next() -> None:
    asyncio.run(_a_failed_write_fails_its_batch_and_not_the_next())


async def _a_failed_write_fails_its_batch_and_not_the_next() -> None:
    writes = Writes(fail_on="c")
    writes.release.set()
    group: GroupCommit[str] = GroupCommit(writes)
    first = asyncio.create_task(group.submit("a"))
    await _started(writes)
    failing = [asyncio.create_task(group.submit(item)) for item in "bc"]
    results = await asyncio.wait_for(asyncio.gather(first, *failing, return_exceptions=True), 10)
    assert results[0] is None
    assert all(isinstance(r, OSError) and "disk full" in str(r) for r in results[1:])
    await asyncio.wait_for(group.submit("d"), 10)
    assert writes.batches == [["a"], ["b", "c"], ["d"]]


def test_a_cancelled_submitter_leaves_the_others_written() -> None:
    asyncio.run(_a_cancelled_submitter_leaves_the_others_written())


async def _a_cancelled_submitter_leaves_the_others_written() -> None:
    writes = Writes()
    group: GroupCommit[str] = GroupCommit(writes)
    first = asyncio.create_task(group.submit("a"))
    await _started(writes)
    gone = asyncio.create_task(group.submit("b"))
    kept = asyncio.create_task(group.submit("c"))
    await asyncio.sleep(0)
    gone.cancel()
    writes.release.set()
    await asyncio.wait_for(asyncio.gather(first, kept), 10)
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert writes.batches == [["a"], ["b", "c"]]  # b's poll happened: it is recorded
