"""The daemon's ingest threads: parse and record fetched feeds off the event loop.

A feed of 50,000 entries takes seconds to parse and record; on the event loop that would stall
every other fetch, the heartbeat and the signal handlers. A few dedicated threads do it instead,
each with a SQLite connection of its own (connections are per thread), so one huge feed holds
one thread while the other feeds go on through the others. Their write transactions take the
lock in turn (``BEGIN IMMEDIATE``), a batch of stories at a time.

The threads are daemon threads: at shutdown they are told to stop after their current batch,
and the process does not wait for them beyond that, since every batch is a transaction and a
feed's validators are stored only after all its stories.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from watcher.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")
_Job = tuple[Callable[[Store], Any], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


class IngestWorkers:
    """Run the daemon's parse and store work in ``size`` threads, each with its own ``Store``."""

    def __init__(self, database: Path, size: int) -> None:
        self.database = database
        self.stopping = threading.Event()  # set: finish the current batch, start no other
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._run, name=f"watcher-ingest-{n}", daemon=True)
            for n in range(size)
        ]
        self._opened = threading.Barrier(size + 1)
        self._open_errors: list[BaseException] = []

    def start(self) -> IngestWorkers:
        """Start the threads; returns once their connections are open (raises what failed)."""
        for thread in self._threads:
            thread.start()
        self._opened.wait()
        if self._open_errors:
            self.stop(0)
            raise self._open_errors[0]
        return self

    async def run(self, work: Callable[[Store], T]) -> T:
        """``work(store)`` in a free thread, with that thread's connection; its result.

        Pipeline work passes the connection on with ``pipeline.on(store)``; work that comes
        after shutdown began is cancelled, and long work checks ``stopping`` between batches.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((work, loop, future))
        return await future

    def stop(self, timeout: float) -> bool:
        """Ask the threads to stop after their current batch; wait up to ``timeout`` seconds.

        Returns True when all have stopped; those still busy are left to the process exit.
        """
        self.stopping.set()
        for _ in self._threads:
            self._jobs.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def _run(self) -> None:
        try:
            store = Store(self.database)
        except BaseException as exc:
            self._open_errors.append(exc)
            self._opened.wait()
            return
        self._opened.wait()
        with store:
            while (job := self._jobs.get()) is not None:
                work, loop, future = job
                if self.stopping.is_set():
                    _settle(loop, future, None, asyncio.CancelledError())
                    continue
                try:
                    outcome = work(store)
                except Exception as exc:  # the feed job logs it and retries after its interval
                    _settle(loop, future, None, exc)
                else:
                    _settle(loop, future, outcome, None)


def _settle(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    outcome: Any,
    error: BaseException | None,
) -> None:
    """Hand the outcome to the waiting feed job on its loop (if both are still there)."""

    def settle() -> None:
        if future.done():  # the job was cancelled at shutdown
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(outcome)

    try:
        loop.call_soon_threadsafe(settle)
    except RuntimeError:  # the loop is closed: the daemon has stopped
        log.debug("ingest finished after the daemon stopped")
