"""Group commit: many small writes from concurrent tasks become a few transactions.

A poll that brought no article (a 304, the same body, a failure) only updates its source
row. Written one by one, 300 such polls are 300 transactions and 300 hops to a worker
thread; here a write waits only for the one in progress, then goes together with every
other write that arrived meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """Hands items to ``write`` (blocking, run in a worker thread) in batches: the first
    item is written at once, and the items that arrive while a write runs go in the next.
    :meth:`submit` returns once its item's batch is written, or raises what ``write``
    raised for it."""

    def __init__(self, write: Callable[[list[T]], None]) -> None:
        self._write = write
        self._queue: list[tuple[T, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())
        await future

    async def _drain(self) -> None:
        batch: list[tuple[T, asyncio.Future[None]]] = []
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    await asyncio.to_thread(self._write, [item for item, _ in batch])
                except Exception as exc:
                    _settle(batch, exc)
                else:
                    _settle(batch, None)
                batch = []
        except asyncio.CancelledError:  # the loop is closing: nobody waits forever
            for _, future in batch + self._queue:
                future.cancel()
            self._queue = []
            raise
        finally:
            self._writer = None


def _settle(batch: list[tuple[T, asyncio.Future[None]]], error: Exception | None) -> None:
    for _, future in batch:
        if future.done():  # its submitter was cancelled; the write happened all the same
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
