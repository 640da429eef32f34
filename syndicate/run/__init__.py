"""Running the pipeline: poll cycles, the worker that schedules them, the long-running
processes, and the scheduling decisions.

A newcomer's map: ``cycle.py`` is one poll cycle (claim due sources, poll each with
``_poll.py``, translate, publish); ``polling.py`` holds the pure decisions (when next,
backoff, redirects); ``leases.py`` names a worker and tells whether it still lives;
``source_check.py`` is ``sources check`` (a poll that stores nothing). The public
submodules ``scheduler.py`` (the worker: APScheduler ticks), ``service.py`` (``run``,
``serve``, ``worker``) and ``reload.py`` (config edits while running) are imported by
name, so that short commands do not load the HTTP server. Other packages import from here
or from those three modules.
"""

from __future__ import annotations

from syndicate.run._poll import Clock, Outcome, SourceOutcome, utcnow
from syndicate.run.cycle import (
    CycleReport,
    Lanes,
    Published,
    log_cycle,
    publish_changes,
    release_dead_leases,
    reroute_stored,
    run_cycle,
    sync_sources,
    translate_pass,
)
from syndicate.run.leases import dead_owners, make_owner, process_start
from syndicate.run.polling import (
    HISTORY,
    Interval,
    adaptive_interval,
    choose_interval,
    interval_in_force,
    jittered,
    redirect_step,
)
from syndicate.run.source_check import check_source

__all__ = [
    "HISTORY",
    "Clock",
    "CycleReport",
    "Interval",
    "Lanes",
    "Outcome",
    "Published",
    "SourceOutcome",
    "adaptive_interval",
    "check_source",
    "choose_interval",
    "dead_owners",
    "interval_in_force",
    "jittered",
    "log_cycle",
    "make_owner",
    "process_start",
    "publish_changes",
    "redirect_step",
    "release_dead_leases",
    "reroute_stored",
    "run_cycle",
    "sync_sources",
    "translate_pass",
    "utcnow",
]
