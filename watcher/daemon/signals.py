"""Signals the daemon answers: SIGTERM and SIGINT stop it, SIGHUP reloads its config.

The handlers run on the event loop (``loop.add_signal_handler``), between two steps of work, so
they never interrupt a database transaction.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
RELOAD_SIGNAL = signal.SIGHUP


def install(
    loop: asyncio.AbstractEventLoop, stop: Callable[[str], None], reload: Callable[[], None]
) -> None:
    """Call ``stop(signal name)`` on SIGTERM/SIGINT and ``reload()`` on SIGHUP."""
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop, sig.name)
    loop.add_signal_handler(RELOAD_SIGNAL, reload)


def uninstall(loop: asyncio.AbstractEventLoop) -> None:
    """Restore the default handlers."""
    for sig in (*STOP_SIGNALS, RELOAD_SIGNAL):
        loop.remove_signal_handler(sig)
