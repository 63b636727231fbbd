"""The LLM backend interface shared by the local, HTTP and scripted backends.

A prompt is a list of chat messages. Backends are async and may batch: many games await them at
once, and the local backend turns the pending requests into one padded forward pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


Prompt = tuple[Message, ...]


def prompt(*messages: tuple[str, str]) -> Prompt:
    """``prompt(("system", "..."), ("user", "..."))``."""
    return tuple(Message(role, content) for role, content in messages)


@dataclass(frozen=True)
class Sampling:
    """Per-request sampling settings; ``temperature == 0`` means greedy."""

    max_new_tokens: int = 96
    temperature: float = 0.7
    top_p: float = 0.95
    seed: int = 0


class BackendError(RuntimeError):
    """The backend could not produce a reply (server down, timeout after retries, ...)."""


class LLMBackend(Protocol):
    name: str

    async def generate(self, prompt: Prompt, sampling: Sampling, n: int = 1, prefill: str = "") -> list[str]:
        """``n`` sampled replies; reply ``i`` uses seed ``sampling.seed + i``.

        ``prefill`` starts the assistant's reply (e.g. ``{"statement": "``) where the backend can
        continue a partial message; replies are returned whole, prefill included.
        """
        ...

    async def score(self, prompt: Prompt, continuations: Sequence[str]) -> list[float]:
        """Log-likelihood of each continuation as the assistant's reply (for choosing among options)."""
        ...
