"""Cue lexicon: the word families the stance decision looks for, and a light stemmer.

The families are general English; no word here is about any particular claim. They are
negation, refusal, refutation, hedging, reporting and confirmation. Multi-word cues ("ruled
out", "no plans") are matched as phrases over a sentence's word tokens.
"""

from __future__ import annotations

from functools import lru_cache


def _phrases(listing: str) -> frozenset[str]:
    """A family written as comma-separated phrases, whitespace-normalised."""
    return frozenset(" ".join(p.split()) for p in listing.split(",") if p.strip())


# Function words that carry no topical meaning; never used as claim terms.
STOPWORDS = _phrases(
    """a, about, above, after, again, against, all, also, am, an, and, any, are, as, at, be,
    because, been, before, being, below, between, both, but, by, can, could, did, do, does,
    doing, down, during, each, few, for, from, further, had, has, have, having, he, her, here,
    hers, herself, him, himself, his, how, i, if, in, into, is, it, its, itself, just, me, more,
    most, my, myself, now, of, off, on, once, only, or, other, our, ours, ourselves, out, over,
    own, same, she, should, so, some, such, than, that, the, their, theirs, them, themselves,
    then, there, these, they, this, those, through, to, too, under, until, up, very, was, we,
    were, what, when, where, which, while, who, whom, why, will, with, would, you, your, yours,
    yourself, yourselves, say, says, said, one, two, new, via, amp, s, t"""
)

# Plain negators; tokens ending in "n't" are negators too (see ``is_negator``).
NEGATORS = _phrases("not, no, never, none, nothing, nobody, neither, nor, cannot, without, nowhere")

# Ways an agent declines, refuses, denies or rules something out.
REFUSALS = _phrases(
    """refuse, refuses, refused, refusing, refusal, decline, declines, declined, declining,
    reject, rejects, rejected, rejecting, rejection, deny, denies, denied, denying, denial,
    dismiss, dismisses, dismissed, rebuff, rebuffs, rebuffed, rule out, rules out, ruled out,
    ruling out, oppose, opposes, opposed, rebut, rebuts, rebutted, refute, refutes, refuted,
    disavow, disavowed, dispute, disputes, disputed, retract, retracts, retracted, retraction,
    backtrack, backtracked, turned down, turn down, turns down, no plans, no plan, no intention,
    walked back, balked, unwilling, reluctant"""
)

# Words saying that a report or claim is false.
REFUTATIONS = _phrases(
    """hoax, hoaxes, fake, faked, fakes, false, falsely, untrue, debunk, debunks, debunked,
    debunking, debunker, debunkers, myth, fabricated, fabrication, bogus, baseless, unfounded,
    satire, satirical, parody, prank, pranks, scam, misleading, misinformation, disinformation,
    erroneous, incorrect, inaccurate, photoshopped, doctored, fraud, fraudulent, made up, not true,
    no truth, no evidence, never happened, nonsense, spoof, fictional, lie, lies, lied, liar,
    hoaxer, hoaxers, conspiracy theory, urban legend, not real, publicity stunt, nope"""
)

# Words that report without committing: hedges, rumour, speculation, open questions.
HEDGES = _phrases(
    """reportedly, allegedly, alleged, purportedly, purported, supposedly, apparently, seemingly,
    rumor, rumors, rumored, rumour, rumours, rumoured, unconfirmed, unverified, speculation,
    speculated, may, might, could, possibly, perhaps, probably, likely, unlikely, considering,
    mulling, weighing, appears, appeared, seems, seemed, believed, suspected, claims, claimed,
    claiming, if true, not yet, no decision, unclear, uncertain, whether, sources say,
    sources said, potential, potentially, suggests, suggested, apparent, open to, yet to,
    undecided, weighs, mulls, considers, considered, expected to, is expected, are expected,
    set to"""
)

# Reporting verbs and attribution markers ("X said", "according to X").
REPORTING = _phrases(
    """said, says, told, tells, stated, states, announced, announces, according to, reported,
    reports, tweeted, wrote, writes, added, explained, insisted, insists, warned, warns, argued,
    argues, noted, quoted, spokesman, spokeswoman, spokesperson, statement"""
)

# Words that assert or confirm that something is so.
CONFIRMATIONS = _phrases(
    """confirm, confirms, confirmed, confirming, confirmation, verified, verify, proven, proved,
    proof, indeed, officially, true, genuine, authentic, actually, definitely, certainly,
    revealed, reveals, shows, showed, footage, evidence"""
)

# Commitments an agent makes ("pledged", "agreed to", "would support"); verbs only, as nouns
# ("guarantees") and adjectives ("willing") are as often names of things as commitments.
COMMITMENTS = _phrases(
    """pledged, promised, vowed, agreed, committed, guaranteed, offered, decided, approved,
    intends, undertook, assured, will support, would support, will back, would back,
    will endorse, would endorse"""
)

# Attitudes towards what someone else does: a third party's position on a claim about another
# actor ("urged", "opposes" is a refusal) rests on one of these or on naming that actor.
ADVOCACY = _phrases(
    """urge, urges, urged, urging, call for, calls for, called for, call on, calls on, called on,
    demand, demands, demanded, ask, asks, asked, press, presses, pressed, pressing, support,
    supports, supported, back, backs, backed, welcome, welcomes, welcomed, endorse, endorses,
    endorsed, favour, favours, favoured, favor, favors, favored, want, wants, wanted, need,
    needs, needed, essential, vital, necessary, crucial, insist on, insists on, insisted on"""
)

# Words starting a new clause: a negation's scope ends there.
CLAUSE_BREAKS = _phrases("but, however, although, though, while, whereas, yet, because, since")

# Non-answers: declining to comment says nothing about the matter, so it is read as no cue at
# all (neither a refusal nor a negation of what follows).
NON_ANSWERS = _phrases(
    """declined to comment, declines to comment, refused to comment, refuses to comment,
    declined to say, refused to say, declined comment, no comment, not comment, not commented,
    would not comment, did not comment, has not commented, not to comment"""
)

# Cues that a negation turns into an open question ("has not ruled out", "not confirmed").
OPENED_BY_NEGATION = REFUSALS | _phrases("confirm, confirmed, verified, decided, known, clear")

# Longest multi-word cue, in words: how far ``phrases_at`` needs to look ahead.
MAX_PHRASE_WORDS = 3


def is_negator(token: str) -> bool:
    """True for "not", "never", "no" ... and contractions such as "won't", "didn't"."""
    return token in NEGATORS or token.endswith("n't")


@lru_cache(maxsize=64)
def _first_words(family: frozenset[str]) -> frozenset[str]:
    return frozenset(phrase.split()[0] for phrase in family)


def phrases_at(tokens: list[str], start: int, family: frozenset[str]) -> str | None:
    """The longest cue of ``family`` that begins at ``tokens[start]``, if any."""
    if start >= len(tokens) or tokens[start] not in _first_words(family):
        return None  # most words start no cue: one set lookup instead of three joins
    for size in range(MAX_PHRASE_WORDS, 0, -1):
        candidate = " ".join(tokens[start : start + size])
        if len(candidate.split()) == size and candidate in family:
            return candidate
    return None


_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s")


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """A light suffix-stripping stem, so "provide", "provides" and "provided" meet.

    Deliberately crude and symmetric: the same function runs on claims and texts, so agreement
    matters more than linguistic accuracy.
    """
    token = token.replace("’", "'")
    if token.endswith("'s"):
        token = token[:-2]
    token = token.strip("'-")
    if len(token) == 4 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]  # jets -> jet
    if len(token) <= 4 or not token.isalpha():
        return token
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            if suffix == "s" and token.endswith(("ss", "us", "is")):
                return token
            base = token[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return base + "y"
            if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # running -> run, stopped -> stop
            return base.rstrip("e")
    return token.rstrip("e")
