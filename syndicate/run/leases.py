"""Who holds a lease, and whether that process still lives.

A worker's name in leases is ``host:pid:start:random``: its host, its process id, the
process's start time (Linux ``/proc/<pid>/stat``, in clock ticks since boot; ``0`` where
unknown) and a random part. At start, a process releases the leases that dead processes
of its own host still hold: a worker killed with SIGKILL (or a power cut) does not keep its
sources from being polled until ``schedule.lease`` runs out. A process counts as dead when
its pid is gone, or is now another process (a different start time). Hosts must have
distinct names (containers of one host each have their own, by default).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable
from pathlib import Path

__all__ = ["dead_owners", "make_owner", "process_start"]


def process_start(pid: int) -> int | None:
    """The start time of process ``pid`` (clock ticks since boot), or None when there is
    no such process. 0 where the system does not say (no ``/proc``)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text("ascii", "replace")
    except FileNotFoundError:
        return None
    except OSError:
        return 0
    # The command name (2nd field) is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return int(fields[19])  # field 22 of the whole line
    except (IndexError, ValueError):
        return 0


def make_owner() -> str:
    """This process's name in leases: host, process, its start time, and a random part."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{process_start(pid) or 0}:{uuid.uuid4().hex[:6]}"


def dead_owners(owners: Iterable[str], host: str | None = None) -> list[str]:
    """Those of ``owners`` that name a process of this host (``host``) that is gone."""
    host = host or socket.gethostname()
    dead = []
    for owner in owners:
        parts = owner.rsplit(":", 3)
        if len(parts) != 4 or parts[0] != host or not parts[1].isdigit():
            continue  # another host's, or an older form: only its lease time frees it
        started = process_start(int(parts[1]))
        recorded = int(parts[2]) if parts[2].isdigit() else 0
        if started is None or (started and recorded and started != recorded):
            dead.append(owner)
    return dead
