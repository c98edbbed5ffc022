"""Stance engine: what a text says about a claim, and what each actor's position on it is.

``classify(claim, text)`` decides for / against / observing / unrelated for a whole text (an
article) with the sentences and cue words it rests on; ``actor_positions(topic, story, match)``
reads the sentences a story attributes to each tracked actor with the statement engine the config
selects (``classify_statement``). Every verdict carries a polarity, P(for) - P(against), which
the shift decision compares. Modules, one job each:

- ``lexicon``: cue word families (negation, refusal, refutation, hedges, reporting, advocacy)
- ``reading``: one sentence's cues and negation scope
- ``similarity``: term weights and claim-to-text overlap
- ``features``: the named features of a (claim, text) pair
- ``model``: the trained three-stage model (related, committed, refutes), read from ``model.json``
- ``decide``: features -> stages -> verdict under a prior; ``explain``: evidence, cues, the line
- ``statement`` and ``engines``: the statement engines (light: a model trained on headlines on
  top of the cue model; model: the ``crossencoder`` averaged with it); ``verdict``: a
  statement's verdict and its plain-words explanation
- ``attribution`` and ``positions``: who said what, first- or second-hand, and each actor's
  position on the claim
"""

from watcher.stance.decide import classify, classify_statement, forget_texts
from watcher.stance.positions import actor_positions

__all__ = ["actor_positions", "classify", "classify_statement", "forget_texts"]
