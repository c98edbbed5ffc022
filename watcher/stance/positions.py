"""Actor positions: each tracked actor's stance on a topic, from the sentences attributed to it."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from watcher.models import Actor, Position, Stance, StanceVerdict, Story, Topic, TopicMatch
from watcher.stance import lexicon
from watcher.stance.attribution import Attribution, attribute, name_pattern
from watcher.stance.decide import StanceEngine, engine
from watcher.stance.features import RELEVANT
from watcher.text import normalise, split_sentences, words

# What a third party's statement must carry to be a position on another actor's act.
_ATTITUDES = lexicon.ADVOCACY | lexicon.REFUSALS | lexicon.COMMITMENTS


def topic_claim(topic: Topic) -> str:
    """The claim with the topic's terms appended, so paraphrases of the topic count as about it."""
    return ". ".join([topic.claim.rstrip(". "), *topic.terms])


@lru_cache(maxsize=256)
def claim_subjects(topic: Topic) -> tuple[Actor, ...]:
    """The actors the claim is about as agents ("The US will provide ..." -> the US)."""
    return tuple(actor for actor in topic.actors if attribute(actor, topic.claim) is not None)


def about_claim(topic: Topic, actor: Actor, attribution: Attribution, stance: StanceEngine) -> bool:
    """Whether an actor's statement is about the claim's proposition, not just the topic.

    Its words must cover the claim, alone or with the topic's terms (the actor's own names do not
    count: not every sentence about Toyota is about a Toyota recall; terms widen the claim, they
    do not dilute it). Another actor's statement on what the claim's subject
    does must also name that subject ("urged Washington to ...") or take an attitude to the act
    ("opposes sanctions"); a statement about its own plans ("France is ready to send troops") is
    no position on the subject's.
    """
    own_names = name_pattern(actor.names)
    claims = (own_names.sub(" ", topic.claim), own_names.sub(" ", topic_claim(topic)))
    if max(stance.relevance(claim, attribution.statement) for claim in claims) < RELEVANT:
        return False
    subjects = claim_subjects(topic)
    if not subjects or actor in subjects:
        return True
    if any(name_pattern(s.names).search(attribution.statement) for s in subjects):
        return True
    tokens = words(attribution.statement)
    return any(lexicon.phrases_at(tokens, i, _ATTITUDES) for i in range(len(tokens)))


def actor_positions(
    topic: Topic, story: Story, match: TopicMatch, stance: StanceEngine | None = None
) -> list[Position]:
    """Each actor's stance in ``story`` from only the sentences that attribute a statement to it.

    Actors the story mentions without attributing anything to them (as objects, inside others'
    wishes or relative clauses) or whose statements are not about the claim get no position. A
    position is never UNRELATED: its sentences are about the topic. ``stance``: the engine the
    config selects (default: the light one).
    """
    stance = stance or engine()
    positions = []
    for actor, attributions in attributed_statements(topic, story, match, stance).items():
        if not attributions:
            continue
        verdict = _actor_verdict(stance, topic_claim(topic), actor, attributions)
        positions.append(
            Position(
                topic_id=topic.id,
                actor_id=actor.id,
                story_id=story.id,
                verdict=verdict,
                published=story.published,
                link=story.link,
                source_title=story.title,
                evidence_from=story.evidence_source(verdict.evidence),
            )
        )
    return positions


def attributed_statements(
    topic: Topic, story: Story, match: TopicMatch, stance: StanceEngine
) -> dict[Actor, list[Attribution]]:
    """Each actor's statements about the claim, in story order.

    A statement counts when its sentence is about the topic (found by the matcher, or close to
    the claim) and about the claim itself (``about_claim``). Whether a sentence attributes
    anything to an actor is checked first: it is cheap, and most sentences attribute nothing.
    """
    matched = {normalise(s) for s in match.sentences}
    claim = topic_claim(topic)
    found: dict[Actor, list[Attribution]] = {actor: [] for actor in topic.actors}
    anyone = name_pattern(tuple(name for actor in topic.actors for name in actor.names))
    for sentence in split_sentences(story.full_text):
        if not anyone.search(sentence):  # one search instead of one per actor
            continue
        said = [(actor, a) for actor in topic.actors if (a := attribute(actor, sentence))]
        if not said:
            continue
        if normalise(sentence) not in matched and stance.relevance(claim, sentence) < RELEVANT:
            continue
        for actor, attribution in said:
            if about_claim(topic, actor, attribution, stance):
                found[actor].append(attribution)
    return found


def _actor_verdict(
    stance: StanceEngine, claim: str, actor: Actor, attributions: list[Attribution]
) -> StanceVerdict:
    """The statement-level verdict, with the attributed sentences as evidence."""
    statements = [_sentence(a.statement) for a in attributions]
    # Second-hand only when every statement is: one first-hand statement vouches for the rest.
    reported = all(a.reported for a in attributions)
    verdict = stance.classify_statement(claim, " ".join(statements), reported)
    assert verdict.stance is not Stance.UNRELATED  # classify_statement never answers it
    # Show whole sentences, in story order, not the trimmed statements the model read.
    chosen = {_sentence(e) for e in verdict.evidence}
    evidence = tuple(
        a.sentence for a, s in zip(attributions, statements, strict=True) if s in chosen
    ) or tuple(a.sentence for a in attributions)
    via = ", ".join(
        dict.fromkeys(
            f"{a.surface} {a.cue}" + (" (second-hand)" if a.reported else "") for a in attributions
        )
    )
    return replace(
        verdict,
        evidence=tuple(dict.fromkeys(evidence)),
        cues=tuple(dict.fromkeys((*verdict.cues, *(a.cue for a in attributions)))),
        explanation=f"{actor.name}: {verdict.explanation}; attributed: {via}",
    )


def _sentence(text: str) -> str:
    """``text`` ending with sentence punctuation, so joined statements split back apart."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."
