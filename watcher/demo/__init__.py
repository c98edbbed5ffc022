"""``watcher demo``: replay the bundled snapshots through the real pipeline, offline."""

from __future__ import annotations

import asyncio
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from watcher.config import config_from_dict
from watcher.demo.server import SnapshotServer
from watcher.fetch import make_client
from watcher.pipeline import Pipeline, PollReport
from watcher.positions_file import import_positions, load_positions
from watcher.store import Store

# Where the seeds live in a source checkout (the package sits next to them).
_CHECKOUT_SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def find_seeds(explicit: Path | None = None) -> Path:
    """The seeds directory: the one given, ./seeds, or the source checkout's."""
    for candidate in (explicit, Path("seeds"), _CHECKOUT_SEEDS):
        if candidate is not None and (candidate / "demo.toml").is_file():
            return candidate
    raise FileNotFoundError("no demo seeds found (looked for seeds/demo.toml); pass --seeds DIR")


@dataclass(frozen=True)
class DemoResult:
    """What the demo left behind."""

    database: Path
    alerts_file: Path
    reports: list[PollReport]

    @property
    def shift_ids(self) -> list[int]:
        """Every shift detected over the whole replay."""
        return [shift for report in self.reports for shift in report.shift_ids]


async def _poll(pipeline: Pipeline, server: SnapshotServer) -> PollReport:
    """One poll, every request (feeds and article pages) answered by the snapshot server."""
    async with make_client(pipeline.config.fetch, server.transport()) as client:
        return await pipeline.poll(client=client)


def run_demo(seeds: Path, workdir: Path, out: TextIO) -> DemoResult:
    """Poll every snapshot in order into a fresh database under ``workdir``; narrate to ``out``."""
    workdir.mkdir(parents=True, exist_ok=True)
    database, alerts_file = workdir / "watcher.db", workdir / "alerts.jsonl"
    for stale in (database, alerts_file):
        stale.unlink(missing_ok=True)
    snapshots = sorted(p for p in (seeds / "snapshots").iterdir() if p.is_dir())
    raw = tomllib.loads((seeds / "demo.toml").read_text(encoding="utf-8"))
    raw["watcher"] = {"database": str(database)}
    for channel in raw.get("alerts", {}).get("channels", []):
        if channel.get("type") == "jsonl":
            channel["path"] = str(alerts_file)
    reports = []
    with SnapshotServer(snapshots) as server, Store(database) as store:
        declared = {feed["url"]: feed for feed in raw.get("feeds", [])}  # by file name
        raw["feeds"] = [
            declared.get(name, {}) | {"url": server.url(name), "name": name}
            for name in server.feed_names()
        ]
        config = config_from_dict(raw, source=str(seeds / "demo.toml"))
        pipeline = Pipeline(config, store)
        starting = load_positions(seeds / "positions.toml", pipeline.topics)
        import_positions(store, starting)
        out.write(f"watcher demo: {len(starting)} starting positions, {len(snapshots)} snapshots\n")
        for index, snapshot in enumerate(snapshots):
            server.show(index)
            report = asyncio.run(_poll(pipeline, server))
            reports.append(report)
            out.write(f"\n== {snapshot.name}: {report.summary()}\n")
            for position, decision in report.recorded:
                evidence = position.verdict.evidence[0] if position.verdict.evidence else ""
                out.write(
                    f"   {position.actor_id:<7} {position.stance:<9} {decision.decision:<9} "
                    f"{position.evidence_from:<8} {evidence[:80]}\n"
                )
            out.flush()
            pipeline.dispatch()
    result = DemoResult(database, alerts_file, reports)
    out.write(
        f"\n{len(result.shift_ids)} shift(s) detected. History: {database}  Alerts: {alerts_file}\n"
    )
    return result
