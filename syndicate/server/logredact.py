"""Keep partner and operator tokens out of the log.

Partners may send their token in the URL (``?token=…``) or as ``Authorization: Bearer …``,
the operator in ``/status?token=…``; uvicorn's access log writes every URL it answers, and
an error message may quote a URL or a header. :class:`RedactTokens` rewrites such values to
``[redacted]`` in each record that reaches it, the arguments one by one so that formatters
that read them (uvicorn's access formatter unpacks five) still work.

:func:`redact_logs` installs it where records pass: on the loggers that write requests
(uvicorn's and the server's own, so a record is clean before any handler sees it) and on
every handler those loggers and the root logger have (records of other loggers). The
service calls it once its logging is configured (``uvicorn_config``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["REDACTED", "RedactTokens", "redact", "redact_logs"]

REDACTED = "[redacted]"
#: ``token=`` (and ``access_token=``…) up to the end of its value in a query or a form
_QUERY = re.compile(r"(?i)(token=)[^&\s\"'#;,)\]>]+")
#: the credentials of an Authorization header, wherever it is written
_AUTH = re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s\"',)\]>]+")
#: the loggers whose records may carry a request's URL or headers
REQUEST_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "syndicate.server")


def redact(text: str) -> str:
    """``text`` with every token value and Authorization credential replaced."""
    return _AUTH.sub(rf"\1\2{REDACTED}", _QUERY.sub(rf"\1{REDACTED}", text))


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("latin-1")
        clean = redact(text)
        return value if clean == text else clean.encode("latin-1")
    return value


class RedactTokens(logging.Filter):
    """A filter that never drops a record, only rewrites the tokens in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(_redact_value(a) for a in args)
        elif isinstance(args, dict):
            record.args = {k: _redact_value(v) for k, v in args.items()}
        try:
            message = record.getMessage()
        except Exception:  # a bad logging call: the handler reports it, as without us
            return True
        clean = redact(message)
        if clean != message:  # a token inside another kind of argument: keep the text only
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactTokens()


def _add(target: logging.Filterer) -> None:
    if not any(isinstance(f, RedactTokens) for f in target.filters):
        target.addFilter(_FILTER)


def redact_logs(loggers: tuple[str, ...] = REQUEST_LOGGERS) -> None:
    """Install :class:`RedactTokens` on ``loggers`` and on the handlers of those and of the
    root logger (again after each logging configuration: idempotent)."""
    for name in ("", *loggers):
        logger = logging.getLogger(name)
        if name:
            _add(logger)
        for handler in logger.handlers:
            _add(handler)
