"""What the benchmarks share: command-line basics, memory readings, the machine, printing."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

_PROC = Path("/proc")


def arguments(description: str, size: int, size_help: str) -> argparse.ArgumentParser:
    """A parser with the options every benchmark takes: ``--size`` and ``--json``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", type=int, default=size, help=f"{size_help} (default {size:,})")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    return parser


def status_mb(field: str, pid: int | str = "self") -> float | None:
    """A memory figure of a process from /proc/<pid>/status (VmRSS, VmHWM ...) in MB.

    None where /proc is not there (not Linux) or the process is gone.
    """
    kilobytes = _proc_number(_PROC / str(pid) / "status", field)
    return None if kilobytes is None else kilobytes / 1024


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS, so the next peak is this phase's own."""
    try:
        (_PROC / "self" / "clear_refs").write_text("5")
    except OSError:
        return False
    return True


def machine() -> dict[str, Any]:
    """The machine a figure was measured on; the load average says how busy it was."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in (_PROC / "cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    memory = _proc_number(_PROC / "meminfo", "MemTotal")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory / 1024 / 1024, 1) if memory else None,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _proc_number(path: Path, field: str) -> int | None:
    """The number on ``field``'s line of a /proc file (the kernel writes kB); None if absent."""
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(":")
            if name == field:
                return int(value.split()[0])
    except OSError:
        pass
    return None


def describe_machine(info: dict[str, Any]) -> str:
    """One line for the report's header."""
    load = ", ".join(f"{x:g}" for x in info["load_average"])
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB; Python {info['python']}, "
        f"SQLite {info['sqlite']}; load average {load}"
    )


def print_table(title: str, rows: Sequence[dict[str, Any]]) -> None:
    """A titled table of dict rows (keys are the headers)."""
    print(f"\n{title}")
    print(tabulate(rows, headers="keys", floatfmt=",.1f", intfmt=","))


def write_json(path: Path | None, figures: dict[str, Any]) -> None:
    """Write the figures for later comparison, when asked to."""
    if path is not None:
        path.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")


def verdict(met: bool, what: str) -> str:
    """A target's line: met or missed, and the figures."""
    return f"{'met   ' if met else 'MISSED'} {what}"
