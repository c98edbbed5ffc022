"""Render alerts as plain text (console, email text part, Apprise) or as JSON-ready dicts.

The word diff is turned into *runs* once (``before_runs``, ``after_runs``, ``diff_runs``); each
format (wdiff-style text here, HTML, Slack mrkdwn) only decides how a deletion or an insertion
looks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from watcher.alert.message import Alert, Envelope, Source
from watcher.models import DiffOp, Position
from watcher.timeutil import to_iso

Run = tuple[str, str]  # ("equal" | "delete" | "insert", words)


def before_runs(diff: tuple[DiffOp, ...]) -> list[Run]:
    """The earlier statement, with the words the new one dropped marked as deletions."""
    return [("equal" if op.tag == "equal" else "delete", op.before) for op in diff if op.before]


def after_runs(diff: tuple[DiffOp, ...]) -> list[Run]:
    """The new statement, with the words it added marked as insertions."""
    return [("equal" if op.tag == "equal" else "insert", op.after) for op in diff if op.after]


def diff_runs(diff: tuple[DiffOp, ...]) -> list[Run]:
    """Both statements in one: deletions, then insertions, where they differ."""
    runs: list[Run] = []
    for op in diff:
        if op.tag == "equal":
            runs.append(("equal", op.before))
            continue
        if op.before:
            runs.append(("delete", op.before))
        if op.after:
            runs.append(("insert", op.after))
    return runs


def format_runs(
    runs: list[Run],
    delete: Callable[[str], str],
    insert: Callable[[str], str],
    equal: Callable[[str], str] = lambda words: words,
) -> str:
    """Join runs, each formatted by its kind."""
    formats = {"equal": equal, "delete": delete, "insert": insert}
    return " ".join(formats[kind](words) for kind, words in runs)


def _wdiff(runs: list[Run]) -> str:
    return format_runs(runs, lambda w: f"[-{w}-]", lambda w: f"{{+{w}+}}")


def diff_markup(diff: tuple[DiffOp, ...]) -> str:
    """The word diff in wdiff style: ``[-deleted-]`` and ``{+inserted+}``."""
    return _wdiff(diff_runs(diff))


def statement_runs(position: Position, runs: list[Run]) -> list[list[Run]]:
    """The position's evidence as runs: the diff-marked statement, or its sentences unmarked."""
    if runs:
        return [runs]
    return [[("equal", sentence)] for sentence in position.verdict.evidence]


def describe_when(position: Position) -> str:
    """The position's date and outlet, e.g. "2025-06-11, Ukraine Briefing"."""
    when = f"{position.published:%Y-%m-%d}" if position.published else "date unknown"
    return f"{when}, {position.source_title or 'source unknown'}"


def source_label(source: Source) -> str:
    """One source as "Outlet: title (date) [first-hand]"; the link is added by each format."""
    outlet = source.outlet or source.feed_url
    label = f"{outlet}: {source.title}" if source.title else outlet
    if source.published:
        label += f" ({source.published:%Y-%m-%d %H:%M})"
    # first-hand: the outlet heard the statement itself, not through another report
    label += " [second-hand]" if source.second_hand else " [first-hand]"
    return label + (" [reworded]" if source.corroborating else "")


def _describe(label: str, position: Position | None) -> list[str]:
    if position is None:
        return [f"{label}: no earlier position recorded"]
    lines = [f"{label}: {position.stance} ({describe_when(position)})"]
    # quoted as written: the diff below marks the changes once
    lines += [f'  "{sentence}"' for sentence in position.verdict.evidence]
    if position.verdict.cues:
        lines.append(f"  cues: {', '.join(position.verdict.cues)}")
    if position.verdict.explanation:
        lines.append(f"  why: {position.verdict.explanation}")
    if position.link:
        lines.append(f"  {position.link}")
    return lines


def render_text(alert: Alert) -> str:
    """The alert as readable plain text: the change in words first, then the claim, before and
    after as written, the word diff and the sources."""
    lines = [alert.summary, f"watcher: {alert.headline}", f"Claim: {alert.claim}"]
    lines.append(f"Reason: {alert.reason}")
    if alert.judge:
        lines.append(f"Second opinion: {alert.judge.summary}")
    lines.append("")
    lines += _describe("Before", alert.before)
    lines.append("")
    lines += _describe("After", alert.after)
    if alert.diff:
        lines += ["", f"Diff ({alert.similarity:.0f}% alike):", f"  {diff_markup(alert.diff)}"]
    if alert.sources:
        lines += ["", f"Sources ({len(alert.sources)}):"]
        for source in alert.sources:
            lines.append(f"  - {source_label(source)}")
            if source.link:
                lines.append(f"    {source.link}")
    return "\n".join(lines)


def footer(envelope: Envelope) -> str:
    """Which config rule sent this message, where, and its delivery key."""
    rules = "; ".join(envelope.rules) or "a direct send (watcher alerts test)"
    return (
        f"Sent by watcher to channel '{envelope.channel}' because of {rules}. "
        f"Delivery {envelope.key}."
    )


def render_envelope_text(envelope: Envelope) -> str:
    """A whole message as plain text: the alert(s), then the footer."""
    parts = [render_text(alert) for alert in envelope.alerts]
    if envelope.banner:
        parts.insert(0, envelope.banner)
    return "\n\n----\n\n".join(parts) + "\n\n-- \n" + footer(envelope)


def _position_dict(position: Position | None) -> dict[str, Any] | None:
    if position is None:
        return None
    verdict = position.verdict
    return {
        "stance": verdict.stance.value,
        "confidence": verdict.confidence,
        "evidence": list(verdict.evidence),
        "cues": list(verdict.cues),
        "explanation": verdict.explanation,
        "published": to_iso(position.published),
        "source": position.source_title,
        "link": position.link,
    }


def render_dict(alert: Alert) -> dict[str, Any]:
    """The alert as a JSON-ready dict (JSON-lines channel, webhooks)."""
    return {
        "shift_id": alert.shift_id,
        "topic": alert.topic_id,
        "topic_title": alert.topic_title,
        "claim": alert.claim,
        "actor": alert.actor_id,
        "actor_name": alert.actor_name,
        "before": _position_dict(alert.before),
        "after": _position_dict(alert.after),
        "reason": alert.reason,
        "similarity": alert.similarity,
        "diff": [[op.tag, op.before, op.after] for op in alert.diff],
        "diff_markup": diff_markup(alert.diff),
        "sources": [
            {
                "feed": s.feed_url,
                "outlet": s.outlet,
                "title": s.title,
                "link": s.link,
                "published": to_iso(s.published),
                "corroborating": s.corroborating,
                "second_hand": s.second_hand,
            }
            for s in alert.sources
        ],
        "detected_at": to_iso(alert.detected_at),
        "judge": asdict(alert.judge) if alert.judge else None,
    }
