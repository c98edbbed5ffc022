"""Scripted answers of an OpenAI-compatible chat-completions endpoint, served by FeedServer.

server.script(CHAT_PATH, verdict(shifted=True), failure(500))
settings = judge_settings(server, on_error="hold")
...
assert asked(server)[0]["temperature"] == 0
"""

from __future__ import annotations

import json
from typing import Any

from feedserver import FeedServer, Route

from watcher.config import JudgeSettings

CHAT_PATH = "/v1/chat/completions"
MODEL = "tiny-judge"


def completion(content: str, **options: Any) -> Route:
    """A 200 chat-completions response whose first choice says ``content``."""
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }
    return Route(
        body=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, **options
    )


def verdict(
    shifted: bool,
    before: str = "observing",
    after: str = "against",
    reason: str = "The US now refuses air cover where it had left it open.",
    **options: Any,
) -> Route:
    """The model's JSON answer, as the schema asks for it."""
    answer = {"stance_before": before, "stance_after": after, "shifted": shifted, "reason": reason}
    return completion(json.dumps(answer), **options)


def failure(status: int, body: str = "model overloaded", **headers: str) -> Route:
    """An error answer (500, 429 with ``Retry_After="30"``...)."""
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    return Route(body=body.encode(), status=status, headers=named)


def judge_settings(server: FeedServer, **options: Any) -> JudgeSettings:
    """``[stance.judge]`` pointed at ``server``."""
    return JudgeSettings.model_validate(
        {"base_url": server.url("/v1"), "model": MODEL, "timeout": 2, **options}
    )


def asked(server: FeedServer) -> list[dict[str, Any]]:
    """The JSON bodies the endpoint received, in order."""
    return [json.loads(request.body) for request in server.requests_to(CHAT_PATH)]
