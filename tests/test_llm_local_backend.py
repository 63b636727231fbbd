"""TransformersBackend on a tiny GPT-2: batching must not change any reply (left padding, per-row
seeded sampling, KV cache), ``n`` candidates use seeds seed+i, budgets are per request, ``score``
is the model's own log-likelihood, and a failing forward pass fails only its own requests."""

from __future__ import annotations

import asyncio
import copy

import pytest
import torch
from pydantic import ValidationError

from agents.llm.backend import Prompt, Sampling, prompt
from agents.llm.config import EmbeddedBackend, LocalBackend, shared_backend
from agents.llm.local import TransformersBackend

pytest_plugins = ("tests.llm_fixtures",)

QUESTION = "It is day 1. Vote for the player to eliminate, or abstain. Legal choices: player_1, player_12, abstain."


def ask(i: int) -> Prompt:
    """Prompts of clearly different lengths, so a batch needs left padding."""
    history = " ".join(f"player_{j} said: I am a villager." for j in range(i % 5 * 3))
    return prompt(
        ("system", f"You are player_{i}, a player in a game of Werewolf."), ("user", f"{history}\n{QUESTION}")
    )


def sampling(i: int, **changes) -> Sampling:
    settings = {"max_new_tokens": 4 + i % 7, "temperature": 0.0 if i % 4 == 0 else 0.9, "top_p": 0.9, "seed": 100 + i}
    return Sampling(**{**settings, **changes})


@pytest.fixture
def backend(tiny_model_dir) -> TransformersBackend:
    return TransformersBackend.from_dir(tiny_model_dir, gather_ms=20, max_prompt_tokens=400)


@pytest.fixture
def produced(backend, monkeypatch) -> list[list[int]]:
    """Token ids of every decoded reply, in order (the text alone cannot show token counts)."""
    seen: list[list[int]] = []
    decode = backend.tokenizer.decode

    def recording(ids, **kwargs):
        seen.append(list(ids))
        return decode(ids, **kwargs)

    monkeypatch.setattr(backend.tokenizer, "decode", recording)
    return seen


# ---- generate ----------------------------------------------------------------------------------
async def test_batched_generate_equals_each_request_alone(backend, tiny_model_dir):
    requests = [(ask(i), sampling(i)) for i in range(16)]
    batched = await asyncio.gather(*(backend.generate(p, s) for p, s in requests))
    assert backend.stats.max_batch_rows == 16 and backend.stats.batches == 1  # one padded pass served all

    alone_backend = TransformersBackend.from_dir(tiny_model_dir, gather_ms=0, max_prompt_tokens=400)
    alone = [await alone_backend.generate(p, s) for p, s in requests]
    assert alone_backend.stats.max_batch_rows == 1 and alone_backend.stats.batches == 16
    assert batched == alone
    assert len({len(backend._encode_prompt(p)) for p, _ in requests}) >= 4  # mixed lengths were padded
    assert len({text for (text,) in batched}) > 8  # the model is not stuck on one reply


async def test_same_seed_same_text_and_different_seeds_differ(backend):
    p = ask(3)
    first = await backend.generate(p, Sampling(max_new_tokens=12, temperature=1.0, seed=7))
    again = await backend.generate(p, Sampling(max_new_tokens=12, temperature=1.0, seed=7))
    others = await asyncio.gather(
        *(backend.generate(p, Sampling(max_new_tokens=12, temperature=1.0, seed=s)) for s in range(8, 14))
    )
    assert first == again
    assert len({text for (text,) in [first, *others]}) >= 6


async def test_n_candidates_use_seeds_seed_plus_i(backend):
    p, s = ask(2), Sampling(max_new_tokens=10, temperature=1.0, seed=40)
    many = await backend.generate(p, s, n=4)
    one_by_one = [(await backend.generate(p, Sampling(10, 1.0, s.top_p, 40 + i)))[0] for i in range(4)]
    assert len(many) == 4
    assert many == one_by_one
    assert len(set(many)) > 1


async def test_max_new_tokens_is_per_request(backend, produced):
    budgets = [0, 1, 3, 9, 17]
    replies = await asyncio.gather(
        *(backend.generate(ask(i), Sampling(max_new_tokens=b, temperature=0.0, seed=i)) for i, b in enumerate(budgets))
    )
    assert backend.stats.batches == 1
    assert replies[0] == [""]
    assert [len(ids) for ids in produced] == budgets  # greedy on this model never hits EOS this early
    assert backend.stats.generated_tokens == sum(budgets)


async def test_concurrent_requests_are_batched_up_to_max_batch(tiny_model_dir):
    backend = TransformersBackend.from_dir(tiny_model_dir, gather_ms=20, max_batch=6, max_prompt_tokens=400)
    await asyncio.gather(*(backend.generate(ask(i), sampling(i)) for i in range(16)))
    assert backend.stats.requests == 16 and backend.stats.rows == 16
    assert 1 < backend.stats.max_batch_rows <= 6
    assert backend.stats.batches == 3  # 6 + 6 + 4 rows


async def test_scores_run_first_so_the_games_they_unblock_join_the_next_replies(backend):
    """A vote queued beside another game's reply is scored first: its game's next request (to speak)
    then joins that reply's batch instead of waiting for it to finish."""

    async def vote_then_speak() -> list[str]:
        await backend.score(ask(1), CHOICES)
        return await backend.generate(ask(2), sampling(2))

    speak_alone = backend.generate(ask(3), sampling(3))
    await asyncio.gather(vote_then_speak(), speak_alone)
    assert backend.stats.batches == 2  # one scored, then one batch of both replies
    assert backend.stats.max_batch_rows == 2


# ---- score -------------------------------------------------------------------------------------
CHOICES = ['{"action": "player_1"}', '{"action": "player_12"}', '{"action": "abstain"}']


def manual_score(backend: TransformersBackend, p: Prompt, continuation: str) -> float:
    """Sum of the continuation's token log-probabilities, from one unpadded forward pass."""
    head = backend.tokenizer.encode(backend.chat_text(p), add_special_tokens=False)
    tail = backend.tokenizer.encode(continuation, add_special_tokens=False)
    ids = torch.tensor([head + tail])
    with torch.no_grad():
        logprobs = torch.log_softmax(backend.model(input_ids=ids).logits[0, :-1], dim=-1)  # [T-1, V]
    return sum(float(logprobs[len(head) - 1 + k, t]) for k, t in enumerate(tail))


async def test_score_is_the_sum_of_token_logprobs(backend):
    p = ask(4)
    scores = await backend.score(p, CHOICES)
    assert scores == pytest.approx([manual_score(backend, p, c) for c in CHOICES], abs=1e-4)
    assert all(s < 0 for s in scores)
    assert await backend.score(p, [""]) == [0.0]


async def test_options_sharing_tokens_score_as_their_own_sequences(backend):
    """One option a prefix of another, a duplicate and an empty one: each still scores as it would alone."""
    p = ask(2)
    options = ["player_1", "player_12", "player_1", "", '{"action": "abstain"}', '{"action": "player_3"}']
    encoded = [backend.tokenizer.encode(c, add_special_tokens=False) for c in options]
    assert encoded[1][: len(encoded[0])] == encoded[0] and encoded[4][:4] == encoded[5][:4]  # shared tokens
    scores = await backend.score(p, options)
    assert scores == pytest.approx([manual_score(backend, p, c) for c in options], abs=1e-4)
    assert scores[0] == scores[2] and scores[3] == 0.0 and scores[1] < scores[0]


async def test_score_batched_equals_alone(backend):
    prompts = [ask(i) for i in range(6)]
    batched = await asyncio.gather(*(backend.score(p, CHOICES) for p in prompts))
    assert backend.stats.batches == 1
    alone = [await backend.score(p, [c]) for p in prompts for c in CHOICES]
    assert [s for row in batched for s in row] == pytest.approx([s for (s,) in alone], abs=1e-4)


async def test_score_ranks_a_continuation_the_model_was_trained_to_prefer(backend):
    p, preferred = ask(1), CHOICES[1]
    before = await backend.score(p, CHOICES)
    model = copy.deepcopy(backend.model).train()
    head = backend.tokenizer.encode(backend.chat_text(p), add_special_tokens=False)
    tail = backend.tokenizer.encode(preferred, add_special_tokens=False)
    ids, labels = torch.tensor([head + tail]), torch.tensor([[-100] * len(head) + tail])  # [1, T] each
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(40):  # learn the reply only, not the prompt
        loss = model(input_ids=ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    trained = TransformersBackend(model, backend.tokenizer, gather_ms=0, max_prompt_tokens=400)
    after = await trained.score(p, CHOICES)
    assert after[1] == max(after) and after[1] > before[1] + 5
    assert max(before) != before[1]  # the untrained model did not already prefer it


# ---- failures and event loops ------------------------------------------------------------------
async def test_a_failing_forward_pass_fails_only_its_requests(backend, monkeypatch):
    forward, calls = backend.model.forward, {"n": 0}

    def fail_first(*args, **kwargs):
        if kwargs["input_ids"].shape[0] == 2:  # the two replies' batch (the score runs one row)
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("boom: out of memory")
        return forward(*args, **kwargs)

    monkeypatch.setattr(backend.model, "forward", fail_first)
    async with asyncio.timeout(30):  # a dead worker would leave the futures waiting forever
        a, b, scored = await asyncio.gather(
            backend.generate(ask(1), sampling(1)),
            backend.generate(ask(2), sampling(2)),
            backend.score(ask(3), CHOICES),
            return_exceptions=True,
        )
    assert isinstance(a, RuntimeError) and "boom" in str(a)
    assert isinstance(b, RuntimeError) and "boom" in str(b)  # same padded batch
    assert isinstance(scored, list) and len(scored) == 3  # another batch: unaffected
    async with asyncio.timeout(30):
        assert len(await backend.generate(ask(4), sampling(4))) == 1  # the worker still serves


async def test_a_cancelled_request_does_not_break_the_batch(backend):
    tasks = [asyncio.create_task(backend.generate(ask(i), sampling(i))) for i in range(4)]
    await asyncio.sleep(0)  # queued, not yet run
    tasks[1].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[1], asyncio.CancelledError)
    assert all(isinstance(r, list) and len(r) == 1 for i, r in enumerate(results) if i != 1)
    assert len(await backend.generate(ask(5), sampling(5))) == 1


def test_one_backend_serves_several_event_loops(tiny_model_dir):
    """Tournaments call ``asyncio.run`` per run while ``shared_backend`` keeps one backend per process."""
    backend = TransformersBackend.from_dir(tiny_model_dir, gather_ms=1, max_prompt_tokens=400)

    async def some() -> list[list[str]]:
        return await asyncio.gather(*(backend.generate(ask(i), sampling(i)) for i in range(3)))

    assert asyncio.run(some()) == asyncio.run(some())


def test_the_prefix_cache_budget_comes_from_the_backend_config(tiny_model_dir):
    backend = shared_backend(LocalBackend(type="local", path=str(tiny_model_dir), prefix_cache_gib=0.25))
    assert isinstance(backend, TransformersBackend) and backend.prefix_cache.max_bytes == 2**28
    assert EmbeddedBackend().prefix_cache_gib == LocalBackend(type="local", path="m").prefix_cache_gib == 4.0
    off = shared_backend(LocalBackend(type="local", path=str(tiny_model_dir), prefix_cache_gib=0))
    assert isinstance(off, TransformersBackend) and off.prefix_cache.max_bytes == 0
    for bad in (-1, 2048, "lots"):
        with pytest.raises(ValidationError, match="prefix_cache_gib"):
            EmbeddedBackend(prefix_cache_gib=bad)
