"""The ``syndicate`` command: a thin skin that parses arguments, calls the library, prints.

A newcomer's map: ``_app.py`` is the command and its top-level sub-commands (``run``,
``poll``, ``worker``, ``serve``, ``publish``, ``config check``, ``db upgrade``); each group
has its module: ``_sources.py``, ``_glossary.py``, ``_topics.py``, ``_translations.py``,
``_partners.py``; ``_common.py`` is what they share (the chosen config, error handling,
the database). The program's entry point is :mod:`syndicate.__main__`.
"""

from __future__ import annotations

from syndicate.cli._app import app, main

__all__ = ["app", "main"]
