"""What this node has written in its output directory, kept beside the files.

Several nodes may share one database, each with its own output directory. The database
says what every feed should hold (the articles, and the change log of ``storage/changes.py``);
this file says what one directory holds: the last change it reflects, the hash each feed
was written from, and the archive months written with their pages. It lives and dies with
the directory: an emptied directory is written again in full, and a node that was down
finds on start what changed while it was.

The name starts with a dot, so the built-in server never serves it (nor should a static
server: see the README's nginx example).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["STATE_FILE", "Written", "load_written", "save_written"]

STATE_FILE = ".syndicate-state"
#: a state file larger than this is not ours (or not sane): the directory is written again
MAX_STATE_BYTES = 64 * 1024 * 1024

log = logging.getLogger("syndicate.publish")

#: (lang, topic, format) of a feed, or (lang, topic, format, month) of an archive month
Key = tuple[str, ...]


@dataclass
class Written:
    """One output directory's state. Built by the publisher, kept in :data:`STATE_FILE`."""

    #: the number of the last change (``feed_changes``) the files reflect
    generation: int | None = None
    #: a hash of the config and glossary the files were written with
    setup: str = ""
    #: the month (``YYYY-MM``, UTC) of the last publish: a new one closes a month
    month: str = ""
    #: feed key -> the hash it was written from
    feeds: dict[Key, str] = field(default_factory=dict)
    #: archive key -> its number of pages, for the months written here
    archives: dict[Key, int] = field(default_factory=dict)


def load_written(output_dir: Path) -> Written | None:
    """The directory's state; None when it has none, or one that cannot be read (then every
    file is checked again, which only costs time)."""
    path = output_dir / STATE_FILE
    try:
        if path.stat().st_size > MAX_STATE_BYTES:
            raise ValueError(f"larger than {MAX_STATE_BYTES} bytes")
        data = json.loads(path.read_bytes())
        return Written(
            generation=None if data["generation"] is None else int(data["generation"]),
            setup=str(data["setup"]),
            month=str(data["month"]),
            feeds={tuple(k.split("\t")): str(v) for k, v in data["feeds"].items()},
            archives={tuple(k.split("\t")): int(v) for k, v in data["archives"].items()},
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s cannot be read (%s): every feed is checked and written again", path, exc)
        return None


def save_written(output_dir: Path, written: Written) -> None:
    """Replace the directory's state at once (a crash leaves the old one or the new one)."""
    data = {
        "generation": written.generation,
        "setup": written.setup,
        "month": written.month,
        "feeds": {"\t".join(k): v for k, v in sorted(written.feeds.items())},
        "archives": {"\t".join(k): v for k, v in sorted(written.archives.items())},
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output_dir, prefix=".syndicate-state.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file, ensure_ascii=False, separators=(",", ":"))
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, output_dir / STATE_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
