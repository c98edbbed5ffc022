"""Optional Prometheus metrics for the daemon (the ``metrics`` extra: ``prometheus-client``).

Off unless ``[daemon] metrics_port`` is set; then ``/metrics`` is served on that port from a
background thread. Every metric is prefixed ``watcher_``:

- ``polls_total{outcome}``: feed polls by outcome (``new``, ``unchanged``, ``failed``, ``gone``)
- ``fetch_errors_total{feed}``: failed fetches per feed (the feed URL without query or userinfo)
- ``stories_total``, ``positions_total``, ``shifts_total``: what the polls found
- ``deliveries_total{outcome}``: alert deliveries by outcome (``sent``, ``failed``, ``dead``)
- ``judge_rulings_total{outcome}``: shifts the language-model judge ``confirmed``,
  ``disputed`` or ``failed`` on; ``judge_calls_total``, ``judge_cache_hits_total``,
  ``judge_capped_total`` (no call: the hourly cap), ``judge_held_total`` (kept queued)
- ``fetch_seconds``, ``poll_seconds``, ``dispatch_seconds``: latency histograms
- ``feeds_scheduled``, ``heartbeat_timestamp_seconds``: gauges
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

from watcher.fetch import redact_url

if TYPE_CHECKING:
    from watcher.alert.dispatch import DispatchReport
    from watcher.config import DaemonSettings
    from watcher.models import FetchResult
    from watcher.pipeline import PollReport


# The judge's plain counters: (metric name, JudgeReport field, help text).
_JUDGE_COUNTERS = (
    ("calls", "calls", "Requests sent to the judge model"),
    ("cache_hits", "cached", "Judge answers reused from the cache"),
    ("capped", "capped", "Shifts not judged: the hourly cap"),
    ("held", "held", "Shifts kept queued for the judge"),
)


class Metrics(Protocol):
    """What the daemon reports; :class:`NoMetrics` when metrics are off."""

    def poll(self, result: FetchResult, report: PollReport, seconds: float, gone: bool) -> None:
        """Count one feed poll."""

    def dispatch(self, report: DispatchReport, seconds: float) -> None:
        """Count one dispatcher pass."""

    def beat(self, feeds: int) -> None:
        """Record a heartbeat and the number of feeds scheduled."""

    def close(self) -> None:
        """Stop serving."""


class NoMetrics:
    """Metrics off: every report is dropped."""

    def poll(self, result: FetchResult, report: PollReport, seconds: float, gone: bool) -> None:
        """Do nothing."""

    def dispatch(self, report: DispatchReport, seconds: float) -> None:
        """Do nothing."""

    def beat(self, feeds: int) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""


class PrometheusMetrics:
    """Metrics in a registry of their own, optionally served over HTTP."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        registry = self.registry
        self._polls = Counter(
            "watcher_polls", "Feed polls by outcome", ["outcome"], registry=registry
        )
        self._fetch_errors = Counter(
            "watcher_fetch_errors", "Failed fetches per feed", ["feed"], registry=registry
        )
        self._stories = Counter("watcher_stories", "New stories stored", registry=registry)
        self._positions = Counter("watcher_positions", "Positions recorded", registry=registry)
        self._shifts = Counter("watcher_shifts", "Stance shifts detected", registry=registry)
        self._deliveries = Counter(
            "watcher_deliveries", "Alert deliveries by outcome", ["outcome"], registry=registry
        )
        self._judge_rulings = Counter(
            "watcher_judge_rulings", "Shifts judged by outcome", ["outcome"], registry=registry
        )
        self._judge_counts = {
            field: Counter(f"watcher_judge_{name}", text, registry=registry)
            for name, field, text in _JUDGE_COUNTERS
        }
        self._fetch_seconds = Histogram(
            "watcher_fetch_seconds", "Time to fetch one feed", registry=registry
        )
        self._poll_seconds = Histogram(
            "watcher_poll_seconds", "Time to fetch and process one feed", registry=registry
        )
        self._dispatch_seconds = Histogram(
            "watcher_dispatch_seconds", "Time of one dispatcher pass", registry=registry
        )
        self._feeds = Gauge("watcher_feeds_scheduled", "Feeds scheduled", registry=registry)
        self._heartbeat = Gauge(
            "watcher_heartbeat_timestamp_seconds", "Time of the last heartbeat", registry=registry
        )
        self._server = None

    def serve(self, address: str, port: int) -> None:
        """Serve ``/metrics`` on ``address:port`` from a background thread."""
        from prometheus_client import start_http_server

        self._server, _ = start_http_server(port, address, registry=self.registry)

    def poll(self, result: FetchResult, report: PollReport, seconds: float, gone: bool) -> None:
        """Count one feed poll."""
        if gone:
            outcome = "gone"
        elif not result.ok:
            outcome = "failed"
            self._fetch_errors.labels(redact_url(result.url)).inc()
        else:
            outcome = "unchanged" if result.unchanged else "new"
        self._polls.labels(outcome).inc()
        self._stories.inc(report.new_stories)
        self._positions.inc(report.positions)
        self._shifts.inc(len(report.shift_ids))
        self._fetch_seconds.observe(result.elapsed)
        self._poll_seconds.observe(seconds)

    def dispatch(self, report: DispatchReport, seconds: float) -> None:
        """Count one dispatcher pass."""
        for outcome, count in (
            ("sent", report.sent),
            ("failed", report.failed),
            ("dead", report.dead),
        ):
            self._deliveries.labels(outcome).inc(count)
        judge = report.judge
        for outcome, count in (
            ("confirmed", judge.confirmed),
            ("disputed", judge.disputed),
            ("failed", judge.failed),
        ):
            self._judge_rulings.labels(outcome).inc(count)
        for field, counter in self._judge_counts.items():
            counter.inc(getattr(judge, field))
        self._dispatch_seconds.observe(seconds)

    def beat(self, feeds: int) -> None:
        """Record a heartbeat and the number of feeds scheduled."""
        self._heartbeat.set(time.time())
        self._feeds.set(feeds)

    def close(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def start_metrics(settings: DaemonSettings) -> Metrics:
    """Metrics as configured: served on ``metrics_port``, or off."""
    if settings.metrics_port is None:
        return NoMetrics()
    metrics = PrometheusMetrics()
    metrics.serve(settings.metrics_address, settings.metrics_port)
    return metrics
