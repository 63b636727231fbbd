"""OpenAIBackend against ``httpx.MockTransport``: the request body, one request per candidate with
seed+i, retries with exponential backoff on 429/5xx/timeouts, non-retryable 4xx, the API key kept
out of every message, the concurrency limit, and ``score`` through ``/completions`` logprobs."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import httpx
import pytest

from agents.llm.backend import BackendError, Sampling, prompt
from agents.llm.http import OpenAIBackend

PROMPT = prompt(("system", "You are player_3, a player in a game of Werewolf."), ("user", "Vote. Legal: player_1."))
KEY_ENV, KEY = "LATENT_ARENA_TEST_KEY", "sk-test-0123456789abcdef"


class Server:
    """A fake OpenAI-compatible server: ``reply(request, body, attempt)`` answers each request."""

    def __init__(self, reply: Callable[[httpx.Request, dict, int], httpx.Response], delay_s: float = 0.0) -> None:
        self.reply, self.delay_s = reply, delay_s
        self.requests: list[tuple[httpx.Request, dict]] = []
        self.times: list[float] = []
        self.in_flight = self.peak = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append((request, body))
        self.times.append(time.perf_counter())
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
            return self.reply(request, body, len(self.requests) - 1)
        finally:
            self.in_flight -= 1

    def backend(self, **kwargs) -> OpenAIBackend:
        kwargs = {"api_key_env": KEY_ENV, "backoff_s": 0.001, "retries": 3, **kwargs}
        return OpenAIBackend("tiny-chat", "http://llm.test/v1/", transport=httpx.MockTransport(self), **kwargs)


def chat(content: str | None) -> httpx.Response:
    return httpx.Response(200, json={"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})


def echo_seed(request: httpx.Request, body: dict, attempt: int) -> httpx.Response:
    return chat(f"reply with seed {body['seed']}")


# ---- generate ----------------------------------------------------------------------------------
async def test_request_body_and_reply():
    server = Server(echo_seed)
    replies = await server.backend().generate(PROMPT, Sampling(max_new_tokens=33, temperature=0.5, top_p=0.8, seed=9))
    assert replies == ["reply with seed 9"]
    ((request, body),) = server.requests
    assert request.method == "POST" and str(request.url) == "http://llm.test/v1/chat/completions"
    assert body == {
        "model": "tiny-chat",
        "messages": [{"role": m.role, "content": m.content} for m in PROMPT],
        "max_tokens": 33,
        "temperature": 0.5,
        "top_p": 0.8,
        "seed": 9,
    }


async def test_n_candidates_are_requests_with_seeds_seed_plus_i():
    server = Server(echo_seed)
    replies = await server.backend().generate(PROMPT, Sampling(seed=100), n=3)
    assert replies == ["reply with seed 100", "reply with seed 101", "reply with seed 102"]
    assert [body["seed"] for _, body in server.requests] == [100, 101, 102]


async def test_null_content_is_an_empty_reply_and_a_bad_shape_is_a_backend_error():
    assert await Server(lambda r, b, a: chat(None)).backend().generate(PROMPT, Sampling()) == [""]
    shapeless = Server(lambda r, b, a: httpx.Response(200, json={"choices": []}))
    with pytest.raises(BackendError, match="unexpected reply shape"):
        await shapeless.backend().generate(PROMPT, Sampling())


async def test_a_reply_that_is_not_json_is_a_backend_error():
    server = Server(lambda r, b, a: httpx.Response(200, text="<html>502 Bad Gateway</html>"))
    with pytest.raises(BackendError):
        await server.backend(retries=0).generate(PROMPT, Sampling())


# ---- retries -----------------------------------------------------------------------------------
def flaky(*failures: int | type[Exception]) -> Callable[[httpx.Request, dict, int], httpx.Response]:
    """Fail with each given status (or raise each httpx exception) in turn, then answer."""

    def reply(request: httpx.Request, body: dict, attempt: int) -> httpx.Response:
        if attempt < len(failures):
            failure = failures[attempt]
            if isinstance(failure, int):
                return httpx.Response(failure, json={"error": {"message": "busy"}})
            raise failure("simulated", request=request)
        return chat("finally")

    return reply


async def test_retries_on_429_503_and_timeouts_with_exponential_backoff():
    server = Server(flaky(429, 503, httpx.ReadTimeout, httpx.ConnectError))
    backoff = 0.01
    replies = await server.backend(retries=4, backoff_s=backoff).generate(PROMPT, Sampling(seed=1))
    assert replies == ["finally"]
    assert len(server.requests) == 5
    assert all(body["seed"] == 1 for _, body in server.requests)  # a retry repeats the same request
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    for i, gap in enumerate(gaps):
        assert gap >= backoff * 2**i * 0.9, gaps  # 10 ms, 20 ms, 40 ms, 80 ms


async def test_gives_up_after_the_retries():
    server = Server(flaky(*[503] * 10))
    with pytest.raises(BackendError, match=r"gave up after 3 attempts \(HTTP 503\)"):
        await server.backend(retries=2).generate(PROMPT, Sampling())
    assert len(server.requests) == 3


async def test_gives_up_after_repeated_timeouts():
    server = Server(flaky(*[httpx.ReadTimeout] * 10))
    with pytest.raises(BackendError, match="ReadTimeout"):
        await server.backend(retries=1).generate(PROMPT, Sampling())
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_a_client_error_is_not_retried(status):
    server = Server(lambda r, b, a: httpx.Response(status, json={"error": {"message": "bad request: no such model"}}))
    with pytest.raises(BackendError, match=rf"HTTP {status}: .*no such model"):
        await server.backend(retries=3).generate(PROMPT, Sampling())
    assert len(server.requests) == 1


# ---- API key -----------------------------------------------------------------------------------
async def test_api_key_from_the_environment_is_sent_but_never_shown(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    server = Server(lambda r, b, a: httpx.Response(400, json={"error": {"message": "unknown model tiny-chat"}}))
    backend = server.backend()
    with pytest.raises(BackendError) as error:
        await backend.generate(PROMPT, Sampling())
    assert server.requests[0][0].headers["Authorization"] == f"Bearer {KEY}"
    shown = [repr(backend), str(backend), str(error.value), repr(error.value), repr(vars(backend))]
    assert not any(KEY in text for text in shown)
    assert "tiny-chat" in repr(backend)


async def test_no_authorization_header_without_a_key(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    server = Server(echo_seed)
    await server.backend().generate(PROMPT, Sampling())
    await server.backend(api_key_env=None).generate(PROMPT, Sampling())
    assert all("Authorization" not in request.headers for request, _ in server.requests)


async def test_a_server_that_echoes_the_key_does_not_put_it_in_the_error(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)

    def reject(request: httpx.Request, body: dict, attempt: int) -> httpx.Response:
        return httpx.Response(401, json={"error": f"invalid key {request.headers['Authorization'][7:]}"})

    with pytest.raises(BackendError) as error:
        await Server(reject).backend().generate(PROMPT, Sampling())
    assert "HTTP 401" in str(error.value)
    assert KEY not in str(error.value)


# ---- concurrency -------------------------------------------------------------------------------
async def test_concurrency_limit_is_respected():
    server = Server(echo_seed, delay_s=0.02)
    backend = server.backend(max_concurrency=3)
    replies = await asyncio.gather(*(backend.generate(PROMPT, Sampling(seed=s)) for s in range(12)))
    assert [r for (r,) in replies] == [f"reply with seed {s}" for s in range(12)]
    assert server.peak == 3


def test_one_backend_serves_several_event_loops():
    """``shared_backend`` keeps one backend per process, and each tournament is its own ``asyncio.run``."""
    server = Server(echo_seed, delay_s=0.005)
    backend = server.backend(max_concurrency=1)

    async def busy() -> list[list[str]]:  # more requests than the limit: callers must wait
        return await asyncio.gather(*(backend.generate(PROMPT, Sampling(seed=s)) for s in range(3)))

    assert asyncio.run(busy()) == asyncio.run(busy())


# ---- score -------------------------------------------------------------------------------------
async def test_score_sums_the_continuation_token_logprobs():
    continuations = ['{"action": "player_1"}', '{"action": "abstain"}']

    def reply(request: httpx.Request, body: dict, attempt: int) -> httpx.Response:
        text = body["prompt"]
        continuation = next(c for c in continuations if text.endswith(c))
        head = len(text) - len(continuation)
        offsets = list(range(0, head, 3)) + list(range(head, len(text), 3))  # tokens split at the boundary
        values = [None] + [-9.0] * (len(offsets) - 1)
        values = [v if off < head else -0.5 for off, v in zip(offsets, values, strict=True)]
        return httpx.Response(
            200, json={"choices": [{"text": text, "logprobs": {"text_offset": offsets, "token_logprobs": values}}]}
        )

    server = Server(reply)
    scores = await server.backend().score(PROMPT, continuations)
    assert scores == [-0.5 * -(-len(c) // 3) for c in continuations]
    for (request, body), continuation in zip(server.requests, continuations, strict=True):
        assert str(request.url) == "http://llm.test/v1/completions"
        assert body["model"] == "tiny-chat" and body["echo"] is True and body["logprobs"] == 1
        assert body["max_tokens"] == 0
        assert body["prompt"].endswith(continuation)
        assert all(m.content in body["prompt"] for m in PROMPT)


@pytest.mark.parametrize(
    "choice",
    [{"text": "x"}, {"text": "x", "logprobs": None}, {"text": "x", "logprobs": {"tokens": ["x"]}}],
    ids=["absent", "null", "no-offsets"],
)
async def test_score_without_logprobs_is_a_clear_backend_error(choice):
    server = Server(lambda r, b, a: httpx.Response(200, json={"choices": [choice]}))
    with pytest.raises(BackendError, match="does not return prompt logprobs"):
        await server.backend().score(PROMPT, ["a"])


async def test_score_on_a_server_without_completions_is_a_backend_error():
    server = Server(lambda r, b, a: httpx.Response(404, json={"detail": "Not Found"}))
    with pytest.raises(BackendError, match="HTTP 404"):
        await server.backend().score(PROMPT, ["a", "b"])
    assert len(server.requests) == 1
