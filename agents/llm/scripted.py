"""A deterministic backend for tests: replies come from a list or a function, never from a model."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Sequence

from agents.llm.backend import BackendError, Prompt, Sampling

Responder = Callable[[Prompt, Sampling, int], str]


class ScriptedBackend:
    """Replies from ``replies`` in turn (cycling), or from ``responder(prompt, sampling, i)``.

    ``fail_on`` lists call numbers (0-based) that raise :class:`BackendError`, to simulate a server
    that breaks mid-match. ``score`` ranks continuations by ``scorer`` or, by default, by a stable hash.
    With ``by_seed=True`` a list reply is picked by the request's seed instead of the call count, so
    a transcript does not depend on which other matches share the backend (scenarios use this).
    """

    def __init__(
        self,
        replies: Sequence[str] | Responder = ("{}",),
        *,
        name: str = "scripted",
        fail_on: Sequence[int] = (),
        scorer: Callable[[Prompt, str], float] | None = None,
        by_seed: bool = False,
    ) -> None:
        self.name = name
        self._replies = replies
        self._fail_on = set(fail_on)
        self._scorer = scorer
        self._by_seed = by_seed
        self.calls = 0
        self.prompts: deque[Prompt] = deque(maxlen=1000)  # the latest prompts, for tests to inspect

    async def generate(self, prompt: Prompt, sampling: Sampling, n: int = 1, prefill: str = "") -> list[str]:
        call = self.calls
        self.calls += 1
        self.prompts.append(prompt)
        if call in self._fail_on:
            raise BackendError(f"scripted failure on call {call}")
        if callable(self._replies):
            return [self._replies(prompt, sampling, i) for i in range(n)]
        start = sampling.seed if self._by_seed else call
        return [self._replies[(start + i) % len(self._replies)] for i in range(n)]

    async def score(self, prompt: Prompt, continuations: Sequence[str]) -> list[float]:
        self.prompts.append(prompt)
        if self._scorer is not None:
            return [self._scorer(prompt, c) for c in continuations]
        return [-int(hashlib.sha256(c.encode()).hexdigest()[:8], 16) / 2**32 for c in continuations]
