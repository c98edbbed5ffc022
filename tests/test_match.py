"""Match stage: fuzzy term matching, sentences, and a prefilter that does not scan every topic."""

from __future__ import annotations

from rapidfuzz import fuzz

from watcher.match import TopicMatcher
from watcher.models import Actor, Story, Topic

AIR = Topic(
    id="air",
    claim="The US will provide air cover for European forces in Ukraine",
    terms=("Coalition of the Willing", "air cover", "aerial cover", "air defence", "backstop"),
    actors=(Actor("US", "United States"),),
)
GRAIN = Topic(
    id="grain",
    claim="Ukraine will keep exporting grain through the Black Sea",
    terms=("grain corridor", "Black Sea grain"),
    actors=(Actor("UA", "Ukraine"),),
)


def story(title: str, text: str = "", story_id: str = "s1") -> Story:
    return Story(id=story_id, feed_url="f", title=title, text=text)


def test_matches_wording_variants_and_reports_sentences() -> None:
    matcher = TopicMatcher([AIR, GRAIN])
    found = matcher.match(
        story(
            "US refuses to provide aerial cover",
            "The US refused to provide air defense to the coalition of willing. "
            "Markets were calm on Tuesday.",
        )
    )
    assert [m.topic_id for m in found] == ["air"]
    match = found[0]
    # "air defense" ~ "air defence", "coalition of willing" ~ "coalition of the willing"
    assert set(match.terms) == {"aerial cover", "air defence", "coalition of the willing"}
    assert match.sentences == (
        "US refuses to provide aerial cover.",
        "The US refused to provide air defense to the coalition of willing.",
    )
    assert match.score == 100.0  # one exact term and two more


def test_lookalike_words_do_not_match() -> None:
    assert TopicMatcher([AIR]).match(story("New rules on hair covering in schools")) == []


def test_more_distinct_terms_score_higher() -> None:
    matcher = TopicMatcher([AIR])
    one = matcher.match(story("A backstop for Europe"))[0]
    two = matcher.match(story("A backstop for Europe, with air cover"))[0]
    assert two.score > one.score


def test_topic_min_score_filters() -> None:
    strict = Topic(id="strict", claim=AIR.claim, terms=AIR.terms, actors=AIR.actors, min_score=75.0)
    matcher = TopicMatcher([strict])
    assert matcher.match(story("The US gave air defense to Kyiv")) == []  # 0.8 * 91 < 75
    assert matcher.match(story("The US gave air defence to Kyiv"))[0].score == 80.0


def test_prefilter_scores_only_candidate_terms(monkeypatch) -> None:
    """Adding hundreds of unrelated topics must not add fuzzy comparisons for a story."""
    calls = []
    real_ratio = fuzz.ratio

    def counting_ratio(a: str, b: str, **kwargs: object) -> float:
        calls.append(a)
        return real_ratio(a, b, **kwargs)

    monkeypatch.setattr("watcher.match.fuzz.ratio", counting_ratio)
    text = story("US refuses aerial cover", "The US refused to provide a backstop.")
    TopicMatcher([AIR]).match(text)
    few = len(calls)
    many_topics = [AIR] + [
        Topic(id=f"t{i}", claim="x" * 10, terms=(f"zqx{i} widget", f"plorb{i}"), actors=AIR.actors)
        for i in range(500)
    ]
    calls.clear()
    found = TopicMatcher(many_topics).match(text)
    assert [m.topic_id for m in found] == ["air"]
    assert len(calls) == few
