"""Which files a publish writes: the decisions, without I/O.

The publisher gathers what the database says (the change log, which archive months are
written), what the output directory holds (its state in ``written.py``, which files are on
disk) and what each feed would hold now (its digest); these functions decide, from that data
alone, what to read and what to write. They touch no database and no disk.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from syndicate.models import FeedChanges, FeedKey
from syndicate.publish.written import Written

__all__ = [
    "ArchiveKey",
    "PublishPlan",
    "archive_months_to_write",
    "linked_months",
    "opml_writes",
    "plan_publish",
]

#: a feed's archive of one month: (lang, topic, format, ``YYYY-MM``)
ArchiveKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class PublishPlan:
    """What a publish looks at. Made by :func:`plan_publish` for the publisher."""

    #: nothing can have changed since the directory was written, on any node: write nothing
    idle: bool
    #: the topics whose feeds (besides ``all``) are read; None: every feed
    topics: frozenset[str] | None
    #: the directory's archives are checked on disk (its state is missing, files are gone
    #: or the publish is forced), not taken from its state
    check_disk: bool
    #: every feed is written again unless its file holds what it would now (``--force``)
    force: bool

    def reads(self, topic: str, *, archive_missing: bool) -> bool:
        """Whether a feed's entries are read (its files then written if they changed): every
        ``all`` feed, the topics that changed, and a feed missing an archive month (a month
        that just ended changes every feed's prev-archive link)."""
        return self.topics is None or topic == "all" or topic in self.topics or archive_missing

    def writes(self, digest: str, written: str | None, *, on_disk: Callable[[], bool]) -> bool:
        """Whether a feed file read is written: forced, written here from another digest
        (``written``, None if never), or gone from disk (``on_disk`` is asked only when
        the rest says no: a file about to be written costs no look at the disk)."""
        return self.force or written != digest or not on_disk()


def plan_publish(
    before: Written | None,
    changes: FeedChanges,
    *,
    setup: str,
    month: str,
    complete: bool,
    force: bool,
) -> PublishPlan:
    """What a publish looks at, from the directory's state (``before``, None when it has
    none), the changes since the one it reflects, the hash of the config and glossary
    (``setup``), this month (``YYYY-MM``), whether every feed's file is on disk."""
    fresh = before is not None and before.setup == setup
    unmoved = before is not None and (changes.latest, month) == (before.generation, before.month)
    return PublishPlan(
        idle=not force and fresh and complete and unmoved,
        topics=changes.topics if fresh and not force else None,
        check_disk=force or before is None or not complete,
        force=force,
    )


def opml_writes(digest: str, written_as: str, *, on_disk: Callable[[], bool]) -> bool:
    """Whether the OPML lists are written: their content changed since they were written
    here (``written_as``: ``{digest}@{since}``), or a file is gone (``on_disk`` asked only
    when the content is the same). ``--force`` changes nothing here: their bytes only
    depend on the digest."""
    return not written_as.startswith(f"{digest}@") or not on_disk()


def archive_months_to_write(
    feeds: Sequence[FeedKey],
    months: Sequence[str],
    unwritten: set[ArchiveKey],
    written_here: Collection[tuple[str, ...]],
) -> set[ArchiveKey]:
    """The archive months a directory lacks, by its state: those no node has written yet
    (``unwritten``, as the database says) and those another node wrote but not this one
    (written here from the spans recorded for their pages)."""
    done = {(*key, month) for key in feeds for month in months} - unwritten
    return unwritten | {key for key in done if key not in written_here}


def linked_months(months: Sequence[str], unwritten: Collection[ArchiveKey]) -> list[str]:
    """The months whose last page a document written now links to, oldest first: the newest
    month (named by every subscription feed) and each month before one being written (named
    by its first page). ``months`` is oldest first."""
    linked = {months[-1]} if months else set()
    linked |= {months[months.index(key[3]) - 1] for key in unwritten if key[3] != months[0]}
    return sorted(linked)
