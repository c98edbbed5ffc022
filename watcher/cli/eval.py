"""``watcher eval``: measure the stance and shift decisions on labelled data.

Predictions go to standard output, one JSON object a line; figures go to standard error, so
``watcher eval stance FILE --labels label > predictions.jsonl`` keeps both.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from watcher.cli.common import Context
from watcher.config import DEFAULT_CONFIG_PATH, ShiftSettings
from watcher.diff import stance_changed
from watcher.evaluation import (
    DataError,
    fnc1_summary,
    parse_bool,
    parse_stance,
    read_fnc1,
    read_jsonl,
    shift_report,
    shift_summary,
    stance_summary,
)
from watcher.judge import JudgeClient, JudgeError, Question
from watcher.models import Stance
from watcher.stance import classify
from watcher.stance.decide import StanceEngine, engine
from watcher.stance.engines import ENGINES
from watcher.stance.model import ModelError
from watcher.stance.statement import StatementModelError

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_ENGINE = click.option(
    "--engine",
    "engine_name",
    type=click.Choice(ENGINES),
    help="The statement engine (default: [stance] engine of the config if there is one, "
    "else light).",
)
_MODEL_ERRORS = (DataError, ModelError, StatementModelError)


def _emit(record: dict[str, object]) -> None:
    click.echo(json.dumps(record, ensure_ascii=False))


def _note(text: str) -> None:
    click.echo(text, err=True)


@click.group("eval")
def eval_group() -> None:
    """Measure the stance and shift decisions on labelled data."""


# The name watcher.cli registers each command module by.
command = eval_group


def _engine(ctx: click.Context, name: str | None) -> StanceEngine:
    """The engine --engine names, else the config's (when it exists), else the light one."""
    if name is None:
        context = ctx.find_object(Context) or Context(DEFAULT_CONFIG_PATH)
        name = context.config().stance.engine if context.config_path.is_file() else "light"
    chosen = engine(name)
    if chosen.note:
        _note(chosen.note)
    return chosen


@eval_group.command("stance")
@click.argument("path", type=_FILE)
@click.option("--labels", "label_key", help="Key of the gold stance; prints figures to stderr.")
@_ENGINE
@click.pass_context
def stance_command(
    ctx: click.Context, path: Path, label_key: str | None, engine_name: str | None
) -> None:
    """Read the stance of each {"id","claim","text"} statement of PATH: for, against, observing.

    The statement decision of the pipeline (as for an actor's attributed statement), by the
    selected engine.
    """
    started = time.perf_counter()
    stance = _engine(ctx, engine_name)
    gold: list[Stance] = []
    predicted: list[Stance] = []
    count = 0
    try:
        required = ("id", "claim", "text", *([label_key] if label_key else []))
        for record in read_jsonl(path, required):
            count += 1
            verdict = stance.classify_statement(str(record["claim"]), str(record["text"]))
            _emit({"id": record["id"], "stance": verdict.stance.value})
            if label_key:
                gold.append(parse_stance(record[label_key], f"{path}: id {record['id']}"))
                predicted.append(verdict.stance)
    except _MODEL_ERRORS as exc:
        raise click.ClickException(str(exc)) from None
    if label_key and gold:
        _note(stance_summary(gold, predicted))
    _note(
        f"{count} statements ({stance.statements.name} engine) "
        f"in {time.perf_counter() - started:.1f}s"
    )


@eval_group.command("shifts")
@click.argument("path", type=_FILE)
@click.option("--labels", "label_key", help="Key of the gold shift flag; prints figures to stderr.")
@click.option(
    "--min-confidence",
    type=click.FloatRange(0.0, 1.0),
    help="How sure each statement must be of its side for a flip (default: chosen by "
    "cross-validation for the engine, stored with the model).",
)
@click.option(
    "--commitment-changes/--flips-only",
    default=False,
    help="Also count observing <-> for/against as shifts (the data labels only flips).",
)
@click.option(
    "--judge",
    "use_judge",
    is_flag=True,
    help="Also ask the [stance.judge] model of the config (-c) about every pair; its answer "
    'goes under "judge" in each line (the hourly cap does not apply here).',
)
@_ENGINE
@click.pass_context
def shifts_command(
    ctx: click.Context,
    path: Path,
    label_key: str | None,
    min_confidence: float | None,
    commitment_changes: bool,
    use_judge: bool,
    engine_name: str | None,
) -> None:
    """Decide for each {"id","claim","before","after"} line of PATH whether the stance shifted.

    With --judge, an optional "actor" key names who is speaking (default: "the actor").
    """
    started = time.perf_counter()
    stance = _engine(ctx, engine_name)
    client = _judge_client(ctx) if use_judge else None
    gold: list[bool] = []
    predicted: list[bool] = []
    judged: list[tuple[bool | None, bool, bool]] = []  # (gold, built-in, judge) per answer
    count = failures = 0
    try:
        if min_confidence is None:
            min_confidence = stance.shift_min_confidence
        policy = ShiftSettings(commitment_changes=commitment_changes, min_confidence=min_confidence)
        required = ("id", "claim", "before", "after", *([label_key] if label_key else []))
        for record in read_jsonl(path, required):
            count += 1
            claim = str(record["claim"])
            before, after = stance.classify_statements(
                claim, [str(record["before"]), str(record["after"])]
            )
            shifted, _ = stance_changed(before, after, policy)
            line: dict[str, object] = {
                "id": record["id"],
                "shift": shifted,
                "before": before.stance.value,
                "after": after.stance.value,
            }
            label = (
                parse_bool(record[label_key], f"{path}: id {record['id']}") if label_key else None
            )
            if client is not None:
                answer = _ask(client, record)
                line["judge"] = answer
                if "error" in answer:
                    failures += 1
                else:
                    judged.append((label, shifted, bool(answer["shift"])))
            _emit(line)
            if label is not None:
                gold.append(label)
                predicted.append(shifted)
    except _MODEL_ERRORS as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if client is not None:
            client.close()
    if label_key and gold:
        _note(shift_summary(shift_report(gold, predicted), f"min_confidence {min_confidence:.3f}"))
        if client is not None:
            _note(_judge_figures(judged, failures, client.model))
    _note(
        f"{count} pairs ({stance.statements.name} engine) in {time.perf_counter() - started:.1f}s"
    )


def _judge_client(ctx: click.Context) -> JudgeClient:
    """The client for the config's ``[stance.judge]``, or a usage error."""
    context = ctx.find_object(Context) or Context(DEFAULT_CONFIG_PATH)
    settings = context.config().stance.judge
    if settings is None:
        raise click.UsageError(f"--judge needs a [stance.judge] table in {context.config_path}")
    return JudgeClient(settings)


def _ask(client: JudgeClient, record: dict[str, object]) -> dict[str, object]:
    """The judge's answer on one labelled pair, or the error it gave instead."""
    question = Question(
        claim=str(record["claim"]),
        actor=str(record.get("actor") or "the actor"),
        before=(str(record["before"]),),
        after=(str(record["after"]),),
    )
    try:
        answer = client.ask(question)
    except JudgeError as exc:
        return {"error": str(exc)}
    return {
        "shift": answer.shifted,
        "before": answer.before,
        "after": answer.after,
        "reason": answer.reason,
    }


def _judge_figures(judged: list[tuple[bool | None, bool, bool]], failures: int, model: str) -> str:
    """The judge's figures alone, and as watcher uses it (a built-in shift it confirms)."""
    gold = [bool(label) for label, _, _ in judged]
    alone = shift_report(gold, [answer for _, _, answer in judged])
    both = shift_report(gold, [builtin and answer for _, builtin, answer in judged])
    return "\n".join(
        [
            shift_summary(alone, f"judge {model} alone"),
            shift_summary(both, "built-in shift confirmed by the judge (what is alerted)"),
            f"{len(judged)} pairs answered, {failures} without an answer (not in these two lines)",
        ]
    )


@eval_group.command("fnc1")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def fnc1_command(directory: Path) -> None:
    """Score the article-level decision on the FNC-1 CSVs in DIRECTORY (headline = claim, body =
    text): whole articles, four-way with unrelated; statements are read by ``eval stance``."""
    started = time.perf_counter()
    try:
        pairs = read_fnc1(directory)
        # Body by body, so each body is read once however small the engine's text cache.
        by_body = sorted(range(len(pairs)), key=lambda i: pairs[i].text)
        stances = {i: classify(pairs[i].claim, pairs[i].text).stance for i in by_body}
        predicted = [stances[i] for i in range(len(pairs))]
    except (DataError, ModelError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(fnc1_summary([p.stance for p in pairs], predicted))
    sys.stdout.flush()  # the figures before the timing note, when both go to one terminal
    _note(f"{len(pairs)} pairs in {time.perf_counter() - started:.1f}s")
