"""Analysts correcting the machine: acknowledge or reject a shift, mute a topic or an actor.

The command line and the browser view call these functions; each writes in one transaction and
records who did it and when.
"""

from watcher.corrections.mutes import mute, unmute
from watcher.corrections.shifts import (
    CorrectionError,
    ack_shift,
    reject_shift,
    shift_corrections,
    shift_status,
)

__all__ = [
    "CorrectionError",
    "ack_shift",
    "mute",
    "reject_shift",
    "shift_corrections",
    "shift_status",
    "unmute",
]
