"""Explanations: which sentences and cue words a stance verdict rests on, in one readable line."""

from __future__ import annotations

from watcher.models import Stance
from watcher.stance.features import RELEVANT, Analysis, claim_polarity, denial, hedged
from watcher.stance.reading import SentenceReading

EVIDENCE_SENTENCES = 3
MAX_CUES = 6
MAX_SCOPES = 2

# What a feature means when it pushes a decision, for the explanation line.
FEATURE_PHRASES = {
    "cos": "word overlap with the claim",
    "cov_text": "share of the claim's words in the text",
    "cov_best": "a sentence restating the claim",
    "cov_lead": "the claim's words in the lead",
    "cov_rare": "the claim's rarest words",
    "bigrams": "the claim's word pairs",
    "relevant_share": "how many sentences are about the claim",
    "claim_words": "the claim's length",
    "text_words": "the text's length",
    "refute_rel": "falsity words in the sentences about the claim",
    "refute_lead": "falsity words in the lead",
    "refute_text": "falsity words in the text",
    "refute_any": "falsity words anywhere in the text",
    "refute_count": "how often the text calls something false",
    "refusal_any": "denials or refusals anywhere in the text",
    "refusal_count": "how often the text denies or refuses",
    "negated_rel": "the claim's words under a negation",
    "refusal_rel": "refusals in the sentences about the claim",
    "deny_rel": "sentences about the claim that deny",
    "affirm_rel": "sentences stating the claim plainly",
    "hedge_rel": "hedges in the sentences about the claim",
    "hedge_text": "hedges in the text",
    "opened_rel": "an open position ('not ruled out')",
    "report_rel": "attribution ('said', 'according to')",
    "report_text": "reported speech in the text",
    "confirm_rel": "confirmation words",
    "commit_rel": "commitment words",
    "question_rel": "questions about the claim",
    "question_text": "questions in the text",
    "unasserted_rel": "questions and non-answers",
    "quote_text": "quotations",
    "claim_denies": "the claim itself being a denial",
    "claim_hedged": "the claim itself being hedged",
}


def top_reasons(contributions: dict[str, float], toward: float, count: int = 2) -> list[str]:
    """Phrases for the ``count`` features that pushed hardest in the ``toward`` direction."""
    pushing = sorted(
        ((value * toward, name) for name, value in contributions.items() if value * toward > 0),
        reverse=True,
    )
    return [FEATURE_PHRASES.get(name, name) for _, name in pushing[:count]]


def _supports(sentence: SentenceReading, negated_share: float, claim_denies: bool) -> bool:
    """A plain statement with the claim's own polarity."""
    denies = denial(sentence, negated_share)
    return (denies if claim_denies else not denies) and not hedged(sentence)


def _contradicts(sentence: SentenceReading, negated_share: float, claim_denies: bool) -> bool:
    denies = denial(sentence, negated_share)
    return (not denies and not hedged(sentence)) if claim_denies else denies


def select_evidence(analysis: Analysis, stance: Stance) -> list[int]:
    """Indices of the sentences a verdict rests on: about the claim, carrying its cues first."""
    claim_denies = claim_polarity(analysis.claim) < 0

    def carries(i: int) -> bool:
        sentence = analysis.sentences[i]
        share = analysis.negated[i] / analysis.relevance[i] if analysis.relevance[i] else 0.0
        if stance is Stance.AGAINST:
            return _contradicts(sentence, share, claim_denies)
        if stance is Stance.FOR:
            return _supports(sentence, share, claim_denies)
        if stance is Stance.OBSERVING:
            return hedged(sentence) or bool(sentence.reporting)
        return False

    ranked = analysis.ranked_sentences()
    about = [i for i in ranked if analysis.relevance[i] >= RELEVANT]
    # Falsity words anywhere in the text count against the claim even far from its words.
    far = [i for i in ranked if stance is Stance.AGAINST and analysis.sentences[i].refutations]
    chosen = [i for i in about if carries(i)] + far + about + ranked[:1]
    unique = list(dict.fromkeys(chosen))[:EVIDENCE_SENTENCES]
    return sorted(unique)


def cues_for(sentences: list[SentenceReading], stance: Stance, claim_denies: bool) -> list[str]:
    """The cue words in ``sentences`` that point to ``stance``."""
    fields = {
        Stance.AGAINST: ("refusals", "negations", "refutations"),
        Stance.FOR: ("confirmations", "commitments"),
        Stance.OBSERVING: ("hedges", "opened", "reporting"),
        Stance.UNRELATED: (),
    }[stance]
    if claim_denies and stance is Stance.FOR:
        fields = ("refusals", "negations", "refutations")
    cues = [cue for s in sentences for field in fields for cue in getattr(s, field)]
    if stance is Stance.OBSERVING:
        cues += ["?" for s in sentences if s.question]
        cues += [s.non_answer for s in sentences if s.non_answer]
    return list(dict.fromkeys(cues))[:MAX_CUES]


def explanation(
    stance: Stance,
    confidence: float,
    reasons: list[str],
    cues: list[str],
    scopes: list[str] | None = None,
) -> str:
    """One line: the verdict, its confidence, what drove it, the cue words, negation scopes."""
    line = f"{stance.value} ({confidence:.2f})"
    if reasons:
        line += ": " + "; ".join(reasons)
    if cues:
        line += " [" + ", ".join(f"'{c}'" for c in cues) + "]"
    if scopes:
        line += "; in scope: " + ", ".join(list(dict.fromkeys(scopes))[:MAX_SCOPES])
    return line
