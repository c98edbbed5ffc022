"""Trying a topic on a text before saving it: what watcher would read from it, step by step.

:func:`try_topic` runs the pipeline's own stages on one text, without storing anything: which of
the topic's terms matched and the score, which sentences are attributed to which actor, each
actor's stance with its cues and explanation, and what each new position would be against the
stance in force (a shift, a restatement, a baseline). :func:`render_trial` says it in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from watcher.alert.render import diff_markup
from watcher.config import ShiftSettings
from watcher.diff import decide_shift
from watcher.match import TopicMatcher
from watcher.models import Actor, Position, ShiftDecision, Story, Topic, TopicMatch
from watcher.stance.attribution import Attribution
from watcher.stance.decide import StanceEngine, engine
from watcher.stance.positions import actor_positions, attributed_statements

# The stance in force for (topic id, actor id) from the history, or None when there is none.
InForce = Callable[[str, str], Position | None]


@dataclass(frozen=True)
class ActorTrial:
    """What the text says about one actor, and what it would mean."""

    actor: Actor
    statements: tuple[Attribution, ...]  # sentences attributed to the actor, about the claim
    position: Position | None  # its stance in the text (None: nothing attributed)
    in_force: Position | None  # its stance in force in the history
    decision: ShiftDecision | None  # the new position against the one in force


@dataclass(frozen=True)
class TopicTrial:
    """One topic tried on one text."""

    topic: Topic
    match: TopicMatch | None  # None: no term matched, the pipeline would read nothing
    actors: tuple[ActorTrial, ...]
    history: bool  # whether a history was consulted for the stances in force


def try_topic(
    topic: Topic,
    text: str,
    *,
    title: str = "",
    link: str | None = None,
    published: datetime | None = None,
    shifts: ShiftSettings | None = None,
    in_force: InForce | None = None,
    stance: StanceEngine | None = None,
) -> TopicTrial:
    """Run matching, attribution, stance and the shift decision for ``topic`` on ``text``.

    Without a match the actors are read anyway (the pipeline would stop there): it shows what the
    terms miss. ``in_force`` reads the history; without it every position would be a baseline.
    ``stance``: the engine the config selects (default: the light one).
    """
    stance = stance or engine()
    story = Story(id="trial", feed_url="", title=title, text=text, link=link, published=published)
    matches = TopicMatcher([topic]).match(story)
    match = matches[0] if matches else None
    reading = match or TopicMatch(topic.id, story.id, 0.0, (), ())
    statements = attributed_statements(topic, story, reading, stance)
    positions = {p.actor_id: p for p in actor_positions(topic, story, reading, stance)}
    policy = shifts or ShiftSettings()
    actors = []
    for actor in topic.actors:
        position = positions.get(actor.id)
        prior = in_force(topic.id, actor.id) if in_force else None
        actors.append(
            ActorTrial(
                actor=actor,
                statements=tuple(statements.get(actor, ())),
                position=position,
                in_force=prior,
                decision=decide_shift(prior, position, policy) if position else None,
            )
        )
    return TopicTrial(topic, match, tuple(actors), history=in_force is not None)


def render_trial(trial: TopicTrial) -> str:
    """The trial as text for a terminal."""
    topic = trial.topic
    lines = [f"Topic {topic.id}: {topic.claim}"]
    if trial.match is None:
        lines.append(
            f"Match: none of the terms ({', '.join(topic.terms)}) found: watcher would not read "
            "positions from this text. What it would read if it did:"
        )
    else:
        lines.append(
            f"Match: score {trial.match.score:.0f} with terms {', '.join(trial.match.terms)}"
        )
        lines += [f"  - {sentence}" for sentence in trial.match.sentences]
    for actor in trial.actors:
        lines += ["", *_actor_lines(actor, trial.history)]
    return "\n".join(lines)


def _actor_lines(trial: ActorTrial, history: bool) -> list[str]:
    actor = trial.actor
    lines = [f"{actor.name} ({actor.id})"]
    if not trial.statements:
        return [*lines, "  nothing attributed to it about the claim"]
    for statement in trial.statements:
        hand = ", second-hand" if statement.reported else ""
        lines.append(f'  attributed ("{statement.surface} {statement.cue}"{hand}):')
        lines.append(f'    "{statement.sentence}"')
    position = trial.position
    if position is None:  # attributed, but not about the claim
        return [*lines, "  no position read"]
    verdict = position.verdict
    lines.append(f"  stance: {verdict.stance} ({verdict.confidence:.2f})")
    if verdict.cues:
        lines.append(f"  cues: {', '.join(verdict.cues)}")
    lines.append(f"  why: {verdict.explanation}")
    if trial.in_force is not None:
        lines.append(f"  in force: {trial.in_force.stance} ({trial.in_force.statement})")
    elif history:
        lines.append("  in force: no position recorded yet")
    else:
        lines.append("  in force: unknown (no history given)")
    if trial.decision is not None:
        lines.append(f"  would be: {trial.decision.decision} ({trial.decision.reason})")
        if trial.decision.diff:
            lines.append(f"  diff: {diff_markup(trial.decision.diff)}")
    return lines
