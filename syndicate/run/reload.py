"""Pick up config.toml edits (or SIGHUP) while running; a bad edit keeps the running config.

``[service]``, ``[server]`` and ``[fetch]`` keep their running values until a restart (the
database, the files served, the listening socket and the HTTP client are made once), and
the log says which of them changed; everything else applies from the next cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from syndicate.config import Config, load_config
from syndicate.errors import ConfigError

__all__ = ["RESTART_ONLY", "ConfigWatcher", "restart_needed", "running_with"]

log = logging.getLogger("syndicate.reload")


#: the tables a running service keeps until it restarts
RESTART_ONLY = ("service", "server", "fetch")


def restart_needed(old: Config, new: Config) -> list[str]:
    """The tables of :data:`RESTART_ONLY` that differ: they take effect after a restart."""
    return [name for name in RESTART_ONLY if getattr(old, name) != getattr(new, name)]


def running_with(running: Config, new: Config) -> Config:
    """What a reload applies: ``new``, but with the ``running`` config's restart-only tables."""
    return replace(new, **{name: getattr(running, name) for name in RESTART_ONLY})


class ConfigWatcher:
    """Checks the config file every ``every`` seconds (and at once on :meth:`poke`)."""

    def __init__(
        self, config: Config, apply: Callable[[Config], None], *, every: float = 2.0
    ) -> None:
        self.config = config
        self.apply = apply
        self.every = every
        self._poked = asyncio.Event()
        self._fingerprint = _fingerprint(config.path)

    def poke(self) -> None:
        """Check now (SIGHUP)."""
        self._poked.set()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poked.wait(), timeout=self.every)
            forced = self._poked.is_set()
            self._poked.clear()
            self.check(forced=forced)

    def check(self, *, forced: bool = False) -> bool:
        """Reload if the file changed (or when forced); True when a new config was applied."""
        fingerprint = _fingerprint(self.config.path)
        if fingerprint == self._fingerprint and not forced:
            return False
        self._fingerprint = fingerprint
        try:
            new = load_config(self.config.path)
        except ConfigError as exc:
            log.error("config not reloaded, the running one is kept:")
            for problem in exc.problems:
                log.error("  %s", problem)
            return False
        for name in restart_needed(self.config, new):
            log.warning("config: [%s] changed; it takes effect after a restart", name)
        self.config = new = running_with(self.config, new)
        self.apply(new)
        log.info("config reloaded: %d sources, %d topics", len(new.sources), len(new.topics))
        return True


def _fingerprint(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
