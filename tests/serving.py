"""A real `watcher serve` in a subprocess on a free loopback port, for the serve and view tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def watcher_serve(
    database: Path,
    cwd: Path,
    *,
    config: Path | None = None,
    options: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Run `watcher [-c CONFIG] --db DATABASE serve --port P [OPTIONS]` until the block ends;
    yields the server's base URL once it answers. ``env`` adds environment variables."""
    port = free_port()
    command = [sys.executable, "-m", "watcher", *(["-c", str(config)] if config else [])]
    command += ["--db", str(database), "serve", "--port", str(port), *options]
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=os.environ | (env or {}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/-/versions.json", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"watcher serve did not start: {process.stderr.read().decode()}"
                    ) from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()
