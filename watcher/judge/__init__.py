"""A second opinion from a language model on each candidate shift, before it is alerted.

Off unless ``[stance.judge]`` is configured. ``build_judge(config.stance.judge)`` gives the
:class:`Judge` the dispatcher consults (``Judge.screen``); ``JudgeClient.ask`` puts one question
to the model (``watcher eval shifts --judge``).
"""

from watcher.judge.client import JudgeClient, JudgeError
from watcher.judge.question import Answer, Question
from watcher.judge.review import Judge, JudgeReport, build_judge

__all__ = [
    "Answer",
    "Judge",
    "JudgeClient",
    "JudgeError",
    "JudgeReport",
    "Question",
    "build_judge",
]
