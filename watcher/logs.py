"""Logging for every command: human-readable lines by default, JSON lines on request.

Secrets never reach the output: every line goes through ``watcher.redact``, which knows the
secret values the config points at (SMTP passwords, webhook URLs, ...) and masks credentials.
The format comes from ``--log-format`` or ``$WATCHER_LOG_FORMAT`` (``human`` or ``json``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any, Literal

from watcher.redact import REDACTOR

LogFormat = Literal["human", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("human", "json")
HUMAN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that chat at INFO about every request or job run.
_NOISY = ("httpx", "httpcore", "apscheduler")
_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class HumanFormatter(logging.Formatter):
    """One readable line per record (and the traceback, if any), secrets masked."""

    def __init__(self) -> None:
        super().__init__(HUMAN_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record, redacted."""
        return REDACTOR(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, any ``extra`` fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line, every string redacted."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {k: v for k, v in record.__dict__.items() if k not in _RECORD_FIELDS}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(_redacted(entry), ensure_ascii=False, default=str)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return REDACTOR(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redacted(item) for item in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return REDACTOR(str(value))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # always the current sys.stderr


_handler: _StderrHandler | None = None


def make_formatter(log_format: str) -> logging.Formatter:
    """The formatter for ``human`` or ``json``."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"unknown log format {log_format!r} (choose {' or '.join(LOG_FORMATS)})")
    return JsonFormatter() if log_format == "json" else HumanFormatter()


def setup_logging(verbose: int = 0, log_format: str | None = None) -> None:
    """Log to stderr: warnings by default, -v for info, -vv for debug.

    Like ``logging.basicConfig``, leaves logging alone when something else configured it first
    (an application embedding watcher, a test runner). Called again, it changes level and format.
    """
    global _handler
    formatter = make_formatter(log_format or os.environ.get("WATCHER_LOG_FORMAT") or "human")
    root = logging.getLogger()
    if any(handler is not _handler for handler in root.handlers):
        return
    if _handler is None:
        _handler = _StderrHandler()
        root.addHandler(_handler)
    _handler.setFormatter(formatter)
    level = logging.WARNING - 10 * min(verbose, 2)
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def configure(log_format: str | None = None, at_least: int | None = None) -> None:
    """Change the format, or make the output at least as verbose as ``at_least``, of logging
    set up by :func:`setup_logging` (nothing happens if something else configured logging)."""
    if _handler is None:
        return
    if log_format:
        _handler.setFormatter(make_formatter(log_format))
    root = logging.getLogger()
    if at_least is not None and root.level > at_least:
        root.setLevel(at_least)
