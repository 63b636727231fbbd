"""Prefixes shared within one batch (tiny GPT-2): which ones the plan runs, and that running them once
changes no reply or score: the same seat of several games at once, with role-specific branches, and
``n`` copies of one prompt."""

from __future__ import annotations

import asyncio

import pytest

from agents.llm.backend import Prompt, Sampling, prompt
from agents.llm.local import TransformersBackend
from agents.llm.shared_prefix import plan_shared_prefixes
from games.werewolf.text import RULES_SUMMARY

pytest_plugins = ("tests.llm_fixtures",)

ROLES = ("villager", "seer", "werewolf")


def seat(game: int, day: int = 1) -> Prompt:
    """Seat player_3's prompt in ``game``: the same system text and rules in every game, then a role
    line that games with the same role share, then lines of the game's own."""
    role = ROLES[game % len(ROLES)]
    history = "\n".join(f"player_{(game + j) % 7} said: I am a villager." for j in range(day))
    return prompt(
        ("system", "You are player_3, a player in a game of Werewolf."),
        ("user", f"{RULES_SUMMARY}\nYour role: {role}. Night 1 falls.\n{history}\nIt is day {day}. Speak."),
    )


def sampling(game: int) -> Sampling:
    return Sampling(max_new_tokens=5, temperature=0.0 if game % 2 else 0.9, top_p=0.9, seed=game)


def make(tiny_model_dir, **kwargs) -> TransformersBackend:
    return TransformersBackend.from_dir(tiny_model_dir, max_prompt_tokens=400, **kwargs)


# ---- the plan ----------------------------------------------------------------------------------
HEAD = list(range(100, 140))  # 40 tokens


def test_plan_runs_a_prefix_once_per_level_and_extends_it():
    prompts = [HEAD + [1] * 30 + [5], HEAD + [1] * 30 + [6], HEAD + [2] * 30 + [7], [9] * 50]
    levels = plan_shared_prefixes(prompts, [0] * 4, min_length=16, min_gain=16)
    assert levels == [[HEAD], [HEAD + [1] * 30]]  # the second extends the first through the cache


def test_plan_skips_what_the_cache_holds_or_saves_too_little():
    prompts = [HEAD + [1] * 30 + [5], HEAD + [1] * 30 + [6], HEAD + [2] * 30 + [7]]
    assert plan_shared_prefixes(prompts, [40, 40, 40], min_length=16, min_gain=16) == [[HEAD + [1] * 30]]
    assert plan_shared_prefixes(prompts, [40, 40, 40], min_length=16, min_gain=31) == []  # saves 30
    assert plan_shared_prefixes([HEAD[:12] + [1] * 9, HEAD[:12] + [2] * 9], [0, 0], min_length=16, min_gain=1) == []


def test_plan_shares_all_but_the_last_token_of_copies_and_keeps_groups_apart():
    copies = [[*HEAD, 7]] * 3
    assert plan_shared_prefixes(copies, [0] * 3, min_length=16, min_gain=16) == [[HEAD]]
    other = [5] * 30
    prompts = [[*HEAD, 1], [*other, 2], [*HEAD, 3], [*other, 4]]
    groups = plan_shared_prefixes(prompts, [0] * 4, min_length=16, min_gain=1)
    assert sorted(groups[0]) == sorted([HEAD, other]) and len(groups) == 1


# ---- the backend -------------------------------------------------------------------------------
async def test_shared_prefixes_change_no_reply(tiny_model_dir):
    shared = make(tiny_model_dir, gather_ms=20)
    alone = make(tiny_model_dir, gather_ms=0, prefix_cache_gib=0)
    for day in (1, 2):  # day 1: all six games miss the cache together; day 2: they hit what day 1 left
        requests = [(seat(g, day), sampling(g)) for g in range(6)]
        batched = await asyncio.gather(*(shared.generate(p, s) for p, s in requests))
        assert batched == [await alone.generate(p, s) for p, s in requests]
    stats = shared.stats
    assert stats.batches == 2 and stats.shared_prefixes >= 2  # rules for all, then a role line for two each
    assert stats.reused_tokens + stats.prefilled_tokens == alone.stats.prefilled_tokens
    assert stats.shared_tokens + stats.prefilled_tokens < alone.stats.prefilled_tokens / 3
    assert len({text for (text,) in batched}) > 2  # the model is not stuck on one reply


async def test_n_copies_of_a_prompt_run_it_once(tiny_model_dir):
    backend = make(tiny_model_dir, gather_ms=0)
    p, s = seat(0), Sampling(max_new_tokens=6, temperature=1.0, seed=40)
    many = await backend.generate(p, s, n=4)
    assert backend.stats.shared_prefixes == 1 and backend.stats.prefilled_tokens == 4  # one token per row
    alone = make(tiny_model_dir, gather_ms=0, prefix_cache_gib=0)
    assert many == [(await alone.generate(p, Sampling(6, 1.0, s.top_p, 40 + i)))[0] for i in range(4)]


async def test_shared_prefixes_change_no_score(tiny_model_dir):
    shared = make(tiny_model_dir, gather_ms=20)
    alone = make(tiny_model_dir, gather_ms=0, prefix_cache_gib=0)
    options = ['{"action": "player_1"}', '{"action": "player_12"}', '{"action": "abstain"}']
    batched = await asyncio.gather(*(shared.score(seat(g), options) for g in range(5)))
    assert shared.stats.batches == 1 and shared.stats.shared_prefixes >= 1
    expected = [await alone.score(seat(g), options) for g in range(5)]
    assert [s for row in batched for s in row] == pytest.approx([s for row in expected for s in row], abs=1e-4)


async def test_no_prefix_cache_no_sharing(tiny_model_dir):
    backend = make(tiny_model_dir, gather_ms=20, prefix_cache_gib=0)
    await asyncio.gather(*(backend.generate(seat(g), sampling(g)) for g in range(3)))
    assert backend.stats.shared_prefixes == 0 and len(backend.prefix_cache) == 0
