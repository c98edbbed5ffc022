"""Attribution: which sentences state an actor's own position, and what exactly they state.

A sentence is attributed to an actor when the actor is its speaker or agent:

* the subject of a statement or commitment: "The US has refused to ...", "London and Paris have
  been urging ...", "Washington's refusal to ...", "Trump's spokesman said ...";
* the source of reported speech: "according to the White House, ...", "..., Trump said".

A mention as an object ("urged Washington to ...", "a guarantee from Washington"), inside
someone else's wish ("Europe hopes that Trump will ...") or inside a relative clause ("the force
that Britain plans to send") attributes nothing. The statement kept for the stance decision drops
the speech frame ("X said", "according to X") and whatever came before the actor, so a reporter's
framing is not read as the actor's hedge. A frame naming someone else ("..., a report says",
"according to sources", "..., officials said") marks the statement as second-hand: it keeps its
polarity, with less certainty.

Without a parser this works on word patterns; it prefers missing an attribution to inventing one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from watcher.models import Actor
from watcher.stance import lexicon

# Words that end a noun phrase's left edge: the actor heads a clause after one of these.
_CLAUSE_OPENERS = frozenset(
    ', ; : — – ( " “ ” that and but however while as when after because although though so '
    "yet meanwhile instead also now".split()
)
# Words after which "that" opens a reported clause ("said that X ...") rather than a relative
# clause ("the force that X plans to send"), whose subject is no agent of the sentence.
_COMPLEMENT_TAKERS = frozenset(
    "said says say told tells stated states added adds announced announces insisted insists "
    "argued argues declared declares explained noted wrote writes reported reports confirmed "
    "confirms warned warns understood understand learned learnt signalled "
    "signaled indicated suggested acknowledged admitted conceded agreed clear sure so now given "
    "such except".split()
)
# Words that make a following mention an object, not an agent.
_PREPOSITIONS = frozenset(
    "to from by for with on of about at against between towards toward into over under without "
    "than like including upon onto via among within behind beyond despite".split()
)
# Attitudes of others: an actor inside "X hopes that ...", "X denied reports that ..." is the
# object of X's wish or denial, not a speaker.
_WISHES = frozenset(
    "hope hopes hoped hoping want wants wanted wish wishes wished expect expects expected "
    "expecting urge urges urged urging ask asks asked asking fear fears feared call calls called "
    "demand demands demanded believe believes believed think thinks thought assume assumes "
    "assumed doubt doubts doubted pressed pressing pushing persuade persuaded if unless "
    "whether deny denies denied rejected dismissed rumours rumors rumoured rumored speculation "
    "speculated".split()
)
# Words that open a subordinate clause with its own subject ("... after other states agreed"):
# what that clause says is someone else's act, not the actor's stance.
_SUBORDINATORS = frozenset(
    "after before because since while whereas although though once until when".split()
)
# Words ending one clause of a sentence: another's attitude before them does not reach past.
_CLAUSE_BREAKS = frozenset("; but while whereas although though however".split())
# Neutral speech verbs: the frame "X said" is dropped from the statement; denials are kept.
_SPEECH = frozenset(
    "said says say told tells stated states added adds explained explains noted notes wrote "
    "writes tweeted announced announces insisted insists argued argues declared declares "
    "maintained maintains".split()
)
_AUXILIARIES = frozenset(
    "will would has have had is was are were can could may might should must does did do shall "
    "won't wouldn't hasn't haven't hadn't isn't wasn't aren't weren't can't couldn't shouldn't "
    "doesn't didn't don't also still now reportedly again already never not been being be "
    "repeatedly".split()
)
# Stance verbs and nouns the actor can head: "Washington's refusal", "Trump ruled out".
_STANCE_WORDS = frozenset(
    {w for phrase in lexicon.REFUSALS | lexicon.COMMITMENTS for w in phrase.split()[:1]}
    | set(
        "believes urged urges urging wants called calls pressed demanded rejected supports "
        "supported backs backed opposes proposed proposes offered seeks sought considers "
        "considered weighs mulls favours favors welcomed warned threatened agreed hopes "
        "decision position plan plans offer promise pledge stance readiness reluctance "
        "unwillingness insistence proposal commitment".split()
    )
)
# Nouns for the people speaking for an actor: "Trump's spokesman", "US officials".
_REPRESENTATIVES = frozenset(
    "spokesman spokeswoman spokesperson officials official government administration president "
    "minister ministry office envoy ambassador aides aide leaders leader representatives "
    "secretary department sources".split()
)
_TOKEN = re.compile(r"[A-Za-z0-9][\w'’.\-]*[\w]|[A-Za-z0-9]|[,;:()\"“”—–]")
# Frames that pass a statement on: "according to X", "citing X", a closing "..., X said." The
# statement is second-hand when the frame names someone other than the actor.
_FRAMES = re.compile(
    r",?\s*\b(?:according to|citing)\s+[^,;.]+"
    r"|,\s*(?:[\w'’.-]+\s+){0,6}(?:" + "|".join(sorted(_SPEECH | {"reported", "reports"})) + r")"
    r"(?:\s+(?:on|in|at|last|this|late|early|earlier|yesterday|today)\b[^,;.]{0,30})?"
    r"(?=[\s.!?\"”]*$)",
    re.IGNORECASE,
)
# Speakers that refer back to the sentence's subject in news style ("..., the company said").
_SELF_REFERENCE = re.compile(
    r"^[\s,]*(?:the|its|their|a|an)\s+(?:company|firm|group|carmaker|automaker|bank|ministry|"
    r"government|administration|agency|department|spokesman|spokeswoman|spokesperson)\s+\w+",
    re.IGNORECASE,
)
_SUBORDINATOR = re.compile(
    r"(?:,\s*|\s)\b(?:" + "|".join(sorted(_SUBORDINATORS)) + r")\s+(?P<next>[\w'’-]+)",
    re.IGNORECASE,
)
# An appositive after the actor ("Trump, the US president, said") spans at most this many words.
_APPOSITIVE_WORDS = 8


@dataclass(frozen=True)
class Attribution:
    """One sentence that states an actor's position."""

    actor_id: str
    sentence: str  # the full sentence, as shown to a human
    statement: str  # what the actor stated: the sentence without the speech frame
    cue: str  # how it was attributed: "refused", "said", "according to", ...
    surface: str  # the name as written in the sentence
    reported: bool = False  # known through a third party: "report says", "according to sources"


@lru_cache(maxsize=1024)
def name_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """Whole-word pattern for an actor's names, possessives allowed ("Washington's").

    Matching ignores case, except for short all-capital acronyms ("US", "UK"), which would
    otherwise match ordinary words ("us").
    """
    parts = []
    for name in sorted(names, key=len, reverse=True):
        escaped = r"\s+".join(re.escape(piece) for piece in name.split())
        if name.isupper() and len(name.replace(".", "")) <= 3:
            parts.append(escaped)
        else:
            parts.append(f"(?i:{escaped})")
    return re.compile(r"(?<![\w.])(?:" + "|".join(parts) + r")(?:['’]s?)?(?![\w])")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _is_name_like(token: str) -> bool:
    return token[:1].isupper() or token.lower() in {"the", "a", "an", "of"}


def _subject_start(before: list[str]) -> int | None:
    """Where the noun phrase ending at the mention starts, if it heads a clause; else None."""
    position = len(before)
    while position > 0:
        token = before[position - 1]
        lowered = token.lower()
        if lowered in ("and", "or") and position > 1 and before[position - 2][:1].isupper():
            position -= 1  # coordinated subjects: "London and Paris"
        elif _is_name_like(token) and lowered not in _CLAUSE_OPENERS and lowered != "according":
            position -= 1  # titles and modifiers: "British Prime Minister Keir"
        else:
            break
    if position == 0:
        return position
    opener = before[position - 1].lower()
    introducer = before[position - 2].lower() if position > 1 else ""
    if opener == "that" and introducer not in _COMPLEMENT_TAKERS:
        return None  # a relative clause: "the force that Britain and France plan to send"
    return position if opener in _CLAUSE_OPENERS else None


def _verb_after(after: list[str], possessive: bool) -> str | None:
    """The verb (or stance noun) the mention heads, skipping its noun phrase; else None."""
    position = 0
    if position < len(after) and after[position] == ",":  # appositive: "Trump, the president,"
        closing = [i for i, t in enumerate(after[1 : _APPOSITIVE_WORDS + 2], 1) if t == ","]
        position = closing[0] + 1 if closing else position
    while position < len(after):
        token, lowered = after[position], after[position].lower()
        if lowered in _REPRESENTATIVES or (token[:1].isupper() and lowered not in _AUXILIARIES):
            position += 1  # "Trump's spokesman", "US Defense Secretary Pete Hegseth"
        elif (
            lowered in ("and", "or")
            and position + 1 < len(after)
            and after[position + 1][:1].isupper()
        ):
            position += 1
        else:
            break
    first = position
    while position < len(after) and after[position].lower() in _AUXILIARIES:
        position += 1
    if position >= len(after):
        return None
    lowered = [t.lower() for t in after]
    phrase = lexicon.phrases_at(lowered, position, lexicon.REFUSALS)
    word = phrase or lowered[position]
    verb_group = " ".join([*lowered[first:position], word])  # "would not provide"
    if phrase or word in _STANCE_WORDS or word in _SPEECH:
        return verb_group
    if not possessive and position > first:
        return verb_group  # an auxiliary makes the next word a verb: "will provide"
    if not possessive and word.endswith("ed") and len(word) > 4:
        return word  # a past-tense verb: "offered"
    return None


def _wished(before: list[str]) -> bool:
    """True when the mention sits inside someone else's wish, denial or condition."""
    lowered = [t.lower() for t in before]
    breaks = [i for i, t in enumerate(lowered) if t in _CLAUSE_BREAKS]
    return any(t in _WISHES for t in lowered[breaks[-1] + 1 if breaks else 0 :])


def _without_frames(statement: str) -> str:
    """``statement`` without the frames that pass it on: "..., the Pentagon said." -> "..."."""
    stripped = _FRAMES.sub("", statement).strip(" ,;")
    return stripped if stripped.endswith((".", "!", "?")) else stripped.rstrip(" .") + "."


def _second_hand(sentence: str, pattern: re.Pattern[str], mention: int) -> bool:
    """True when someone other than the actor passes the statement on.

    That is a frame ("according to sources", "..., officials said") or a speech verb before
    the actor's mention ("Officials said Washington would ...") that does not name the actor
    and does not refer back to it ("..., the company said").
    """
    frames = [frame.group() for frame in _FRAMES.finditer(sentence)]
    lead = sentence[:mention]
    if any(t.lower() in _SPEECH or t.lower() in ("reported", "reports") for t in _tokens(lead)):
        frames.append(lead)
    return any(not pattern.search(f) and not _SELF_REFERENCE.match(f) for f in frames)


def attribute(actor: Actor, sentence: str) -> Attribution | None:
    """The actor's statement in ``sentence``, if the sentence attributes one to the actor.

    The statement is the actor's own clause: a subordinate clause about someone else's act
    ("... after other EU states agreed to share the risk") is cut off, so its words never
    decide the actor's stance.
    """
    pattern = name_pattern(actor.names)
    for found in pattern.finditer(sentence):
        attribution = _attribute_mention(actor, sentence, found)
        if attribution is not None:
            return replace(attribution, statement=own_clause(attribution.statement))
    return None


def own_clause(statement: str) -> str:
    """``statement`` up to the first subordinate clause that has a subject of its own.

    "It would support the loan after other EU states agreed" -> "It would support the loan.";
    "It agreed after weighing the risks" keeps its clause ("after" + a gerund is the actor's own
    act). At least three words are kept before a cut.
    """
    for match in _SUBORDINATOR.finditer(statement):
        head = statement[: match.start()].rstrip(" ,;")
        follower = match.group("next").lower()
        if len(_tokens(head)) >= 3 and not follower.endswith("ing"):
            return head.rstrip(".") + "."
    return statement


def _attribute_mention(actor: Actor, sentence: str, found: re.Match[str]) -> Attribution | None:
    surface = found.group()
    before, after = _tokens(sentence[: found.start()]), _tokens(sentence[found.end() :])
    lowered_before = [t.lower() for t in before]
    # "according to X, ...": X is the source; the statement is the rest of the sentence.
    if lowered_before[-2:] == ["according", "to"] or lowered_before[-3:-1] == ["according", "to"]:
        start = sentence.lower().rfind("according to", 0, found.start())
        rest = (sentence[:start] + sentence[found.end() :]).strip(" ,")
        return Attribution(actor.id, sentence, _capitalised(rest), "according to", surface)
    # "..., said X." / "..., X said.": the clause before the frame is X's.
    if before and before[-1].lower() in _SPEECH and len(before) > 1 and before[-2] in ',"”':
        statement = sentence[: sentence.rfind(before[-1], 0, found.start())].rstrip(' ,"”')
        return Attribution(actor.id, sentence, statement + ".", before[-1].lower(), surface)
    if _wished(before):
        return None
    start = _subject_start(before)
    if start is None:
        return None
    possessive = surface.endswith(("'s", "’s", "'", "’"))
    verb = _verb_after(after, possessive)
    if verb is None:
        return None
    statement = _without_frames(_statement(sentence, before[start:], found, verb))
    reported = _second_hand(sentence, name_pattern(actor.names), found.start())
    return Attribution(actor.id, sentence, statement, verb, surface, reported)


def _statement(sentence: str, phrase_before: list[str], found: re.Match[str], verb: str) -> str:
    """The actor's clause: from its noun phrase on, or what a neutral speech verb reports."""
    start = sentence.rfind(phrase_before[0], 0, found.start()) if phrase_before else found.start()
    speech = verb.split()[-1]
    if speech in _SPEECH:
        at = re.search(rf"\b{re.escape(speech)}\b", sentence[found.end() :], re.IGNORECASE)
        rest = sentence[found.end() + at.end() :].strip(" ,:.") if at else ""
        rest = re.sub(r"^that\s+", "", rest, flags=re.IGNORECASE)
        if len(_tokens(rest)) >= 3:
            return _capitalised(rest)
        if start > 0:  # "..., Trump said.": the statement came first
            return sentence[:start].rstrip(' ,"”') + "."
    return _capitalised(sentence[start:].strip())


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
