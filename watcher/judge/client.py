"""Asking an OpenAI-compatible chat-completions endpoint: plain httpx, synchronous.

The dispatcher runs in a worker thread, so a blocking client is right here. Every way a call can
go wrong (no answer in time, a refusal, a 429, an answer that does not parse) is one
:class:`JudgeError` with a short description; the API key never appears in it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

from watcher.alert.base import scrub
from watcher.config import JudgeSettings
from watcher.fetch import parse_retry_after
from watcher.judge.question import Answer, Question, UnreadableAnswer, messages, read_answer
from watcher.judge.question import response_format as format_field


class JudgeError(Exception):
    """The model gave no usable answer; ``retry_after`` when the server said when to return."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class JudgeClient:
    """One model behind one chat-completions endpoint."""

    def __init__(
        self,
        settings: JudgeSettings,
        environ: Mapping[str, str] = os.environ,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.model = settings.model
        self.url = settings.base_url + "/chat/completions"
        self.environ = environ
        self._http = httpx.Client(timeout=settings.timeout, transport=transport)

    def request_body(self, question: Question) -> dict[str, Any]:
        """The JSON body sent for ``question``: deterministic, with a JSON answer format."""
        return {
            "model": self.model,
            "messages": messages(question),
            "temperature": 0,
            "response_format": format_field(self.settings.response_format),
            "stream": False,
        }

    def ask(self, question: Question) -> Answer:
        """The model's answer to ``question``; raises JudgeError."""
        key = self._api_key()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        try:
            response = self._http.post(self.url, json=self.request_body(question), headers=headers)
        except httpx.TimeoutException:
            raise JudgeError(f"no answer within {self.settings.timeout:g}s") from None
        except httpx.HTTPError as exc:
            # httpx may put the URL in its message: keep the kind, name only the host.
            host = httpx.URL(self.url).host
            raise JudgeError(f"{type(exc).__name__} talking to {host}") from None
        if response.status_code == 429:
            wait = parse_retry_after(response.headers.get("retry-after"))
            raise JudgeError(_refusal(response, key), wait or 60.0)
        if not response.is_success:
            raise JudgeError(_refusal(response, key))
        try:
            return read_answer(_content(response))
        except UnreadableAnswer as exc:
            raise JudgeError(str(exc)) from None

    def _api_key(self) -> str:
        """The API key, read from the environment at each call (it may be rotated)."""
        name = self.settings.api_key_env
        if not name:
            return ""
        key = self.environ.get(name, "")
        if not key:
            raise JudgeError(f"environment variable {name} is not set")
        return key

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


def _refusal(response: httpx.Response, key: str) -> str:
    text = " ".join(response.text[:200].split())
    return scrub(f"the server answered {response.status_code}: {text}", [key])


def _content(response: httpx.Response) -> str:
    """The first choice's message content of a chat-completions response."""
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise UnreadableAnswer(
            f"not a chat-completions response: {response.text[:120]!r}"
        ) from None
    if not isinstance(content, str):
        raise UnreadableAnswer(f"the message has no text content: {content!r}")
    return content
