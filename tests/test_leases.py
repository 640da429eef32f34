"""Leases name their process: at start, a worker frees what dead processes of its own host
held, and nothing of a live process or of another host."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syndicate.run import release_dead_leases
from syndicate.run.leases import dead_owners, make_owner, process_start
from syndicate.storage import open_storage

NOW = datetime.now(UTC)
HOST = socket.gethostname()


def gone_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_an_owner_names_this_process_and_its_start() -> None:
    host, pid, start, tag = make_owner().rsplit(":", 3)
    assert (host, int(pid)) == (HOST, os.getpid())
    assert int(start) == process_start(os.getpid()) and int(start) > 0
    assert len(tag) == 6 and make_owner() != make_owner()
    assert process_start(gone_pid()) is None


def test_dead_owners_are_gone_processes_of_this_host_only() -> None:
    mine = make_owner()
    dead = f"{HOST}:{gone_pid()}:12345:abcdef"
    reused = f"{HOST}:{os.getpid()}:{(process_start(os.getpid()) or 0) + 1}:abcdef"
    elsewhere = f"another-host:{gone_pid()}:12345:abcdef"
    older_form = f"{HOST}:{gone_pid()}:abcdef"  # before the start time was named
    owners = [mine, dead, reused, elsewhere, older_form]
    assert dead_owners(owners) == [dead, reused]


def test_a_restarted_worker_gets_at_once_what_a_killed_one_held(tmp_path: Path) -> None:
    storage = open_storage(f"sqlite:///{tmp_path / 'leases.db'}")
    try:
        storage.sync_sources([(f"s{i}", f"http://127.0.0.1/{i}", None, True) for i in range(6)])
        lease = {"now": NOW, "lease_until": NOW + timedelta(hours=1), "force": True}
        killed = f"{HOST}:{gone_pid()}:12345:abcdef"
        live = make_owner()
        assert len(storage.claim_due(killed, limit=4, **lease)) == 4
        assert len(storage.claim_due(live, limit=2, **lease)) == 2
        assert storage.claim_due("newcomer", limit=6, **lease) == []
        assert release_dead_leases(storage) == [killed]
        assert storage.lease_owners() == {live}
        assert len(storage.claim_due("newcomer", limit=6, **lease)) == 4
    finally:
        storage.close()
