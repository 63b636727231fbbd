"""OpenAI-compatible HTTP backend (vLLM, Ollama, llama.cpp server, hosted APIs).

Async with a concurrency limit, a per-request timeout and retries with exponential backoff on
timeouts, 429 and 5xx. The API key is read from an environment variable and never logged or shown.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

import httpx

from agents.llm.backend import BackendError, Prompt, Sampling

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


class OpenAIBackend:
    def __init__(
        self,
        model: str,
        base_url: str = "http://localhost:8000/v1",
        *,
        api_key_env: str | None = "OPENAI_API_KEY",
        max_concurrency: int = 16,
        timeout_s: float = 60.0,
        retries: int = 3,
        backoff_s: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,  # tests pass httpx.MockTransport
    ) -> None:
        self.name = model
        self.model = model
        self.base_url = base_url.rstrip("/")
        self._api_key_env = api_key_env
        self.max_concurrency = max_concurrency
        self._semaphore: asyncio.Semaphore | None = None
        self._semaphore_loop: asyncio.AbstractEventLoop | None = None
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self._transport = transport

    def __repr__(self) -> str:  # never shows the key
        return f"OpenAIBackend(model={self.model!r}, base_url={self.base_url!r})"

    def _key(self) -> str | None:
        return os.environ.get(self._api_key_env) if self._api_key_env else None

    def _headers(self) -> dict[str, str]:
        key = self._key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _limit(self) -> asyncio.Semaphore:
        """The concurrency limit of the running event loop (a semaphore binds to one loop, and one
        backend serves every ``asyncio.run`` of the process)."""
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._semaphore_loop is not loop:
            self._semaphore, self._semaphore_loop = asyncio.Semaphore(self.max_concurrency), loop
        return self._semaphore

    def _redact(self, text: str) -> str:
        key = self._key()
        return text.replace(key, "***") if key else text

    async def _post(self, path: str, payload: dict) -> dict:
        last_error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                async with (
                    self._limit(),
                    httpx.AsyncClient(timeout=self.timeout_s, transport=self._transport) as client,
                ):
                    response = await client.post(self.base_url + path, json=payload, headers=self._headers())
            except (httpx.TimeoutException, httpx.TransportError) as error:
                last_error = f"{type(error).__name__}: {error}"
                continue
            if response.status_code in RETRY_STATUS:
                last_error = f"HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                detail = self._redact(response.text[:200])
                raise BackendError(f"{self.base_url}{path}: HTTP {response.status_code}: {detail}")
            try:
                return response.json()
            except ValueError as error:
                detail = self._redact(response.text[:80])
                raise BackendError(f"{self.base_url}{path}: reply is not JSON: {detail!r}") from error
        raise BackendError(f"{self.base_url}{path}: gave up after {self.retries + 1} attempts ({last_error})")

    async def generate(self, prompt: Prompt, sampling: Sampling, n: int = 1, prefill: str = "") -> list[str]:
        # ``prefill`` is not sent: chat servers differ in continuing a partial assistant message, and
        # models served this way follow the JSON instruction; the reply is parsed the same either way.
        replies = []
        for i in range(n):  # one request per candidate: servers differ in honouring `n` with a seed
            body = await self._post(
                "/chat/completions",
                {
                    "model": self.model,
                    "messages": [{"role": m.role, "content": m.content} for m in prompt],
                    "max_tokens": sampling.max_new_tokens,
                    "temperature": sampling.temperature,
                    "top_p": sampling.top_p,
                    "seed": sampling.seed + i,
                },
            )
            try:
                replies.append(body["choices"][0]["message"]["content"] or "")
            except (KeyError, IndexError, TypeError) as error:
                raise BackendError(f"unexpected reply shape from {self.base_url}: {error!r}") from error
        return replies

    async def score(self, prompt: Prompt, continuations: Sequence[str]) -> list[float]:
        """Log-likelihoods through the legacy ``/completions`` endpoint with ``echo`` and ``logprobs``
        (vLLM supports it; servers that do not answer raise :class:`BackendError`)."""
        head = "".join(f"<|{m.role}|>\n{m.content}\n" for m in prompt) + "<|assistant|>\n"
        scores = []
        for continuation in continuations:
            body = await self._post(
                "/completions",
                {"model": self.model, "prompt": head + continuation, "max_tokens": 0, "echo": True, "logprobs": 1},
            )
            try:
                logprobs = body["choices"][0]["logprobs"]
                offsets, values = logprobs["text_offset"], logprobs["token_logprobs"]
            except (KeyError, IndexError, TypeError) as error:
                raise BackendError(f"{self.base_url} does not return prompt logprobs: {error!r}") from error
            if len(offsets) != len(values):
                raise BackendError(f"{self.base_url}: logprobs arrays differ in length")
            scores.append(sum(v for off, v in zip(offsets, values, strict=True) if off >= len(head) and v is not None))
        return scores
