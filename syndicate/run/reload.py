"""Pick up config.toml edits (or SIGHUP) while running; a bad edit keeps the running config."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from syndicate.config import Config, load_config
from syndicate.errors import ConfigError

__all__ = ["ConfigWatcher", "restart_needed"]

log = logging.getLogger("syndicate.reload")


def restart_needed(old: Config, new: Config) -> list[str]:
    """The changed settings that only take effect after a restart."""
    changed = []
    for name in ("service", "server", "fetch"):
        if getattr(old, name) != getattr(new, name):
            changed.append(name)
    return changed


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
        self.config = new
        self.apply(new)
        log.info("config reloaded: %d sources, %d topics", len(new.sources), len(new.topics))
        return True


def _fingerprint(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
