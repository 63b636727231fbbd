"""The RPSSL PettingZoo env beyond the shared conformance suite: multi-round matches through both action
formats, the numeric view, hidden statements and the repair of out-of-space actions."""

from __future__ import annotations

import numpy as np
import pettingzoo
import pytest
from pettingzoo.test import api_test, seed_test

import games  # noqa: F401  (registers the envs)
from games.rpssl.env import MOVE_SENTENCE, RPSSLEnv

pytestmark = [
    pytest.mark.filterwarnings("ignore:Observation is not a NumPy array"),
    pytest.mark.filterwarnings("ignore:.*probably should be gymnasium.spaces"),
    pytest.mark.filterwarnings("ignore:Action mask numpy array is all zeros"),
]


@pytest.mark.parametrize("fmt", ["text", "discrete"])
def test_api_and_seed_with_several_rounds(fmt):
    api_test(pettingzoo.make("aec", "latent_arena/rpssl-v0", rounds=4, action_format=fmt), num_cycles=200)
    seed_test(lambda: RPSSLEnv(rounds=4, action_format=fmt), num_cycles=100)


def test_discrete_match_scores_and_views():
    env = RPSSLEnv(rounds=2, action_format="discrete")
    env.reset(seed=0)
    moves = {"player_0": [3, 0], "player_1": [2, 4]}  # Spock vs scissors (+1), rock vs lizard (+1)
    final = {}
    for agent in env.agent_iter():
        obs, reward, done, _, _ = env.last()
        if done:
            final[agent] = reward
            env.step(None)
            continue
        assert obs["action_mask"].tolist() == [1] * 5
        env.step(moves[agent].pop(0))
    assert final == {"player_0": 1.0, "player_1": -1.0}
    obs = env.observe("player_0")
    assert obs["history"].tolist() == [[3, 2], [0, 4]] and obs["totals"].tolist() == [2, -2]
    events = [e for e in env.session.events if e.kind == "statement"]
    assert events[0].data["text"] == MOVE_SENTENCE.format(move="Spock") and events[0].meta["label"] == "spock"


def test_text_env_hides_the_first_statement_and_repairs_bad_actions():
    env = RPSSLEnv(rounds=1)
    env.reset(seed=1)
    before = env.observe("player_1")
    env.step("I play lizard ✨")  # outside the charset: repaired, counted
    assert env.infos["player_0"]["fallbacks"] == 1
    after = env.observe("player_1")
    assert after["text"] == before["text"]
    env.step(12345)  # not a string: an empty statement, counted, then the rules' fallback plays
    assert env.infos["player_1"] == {"fallbacks": 1, "no_move": 1}
    assert all(env.terminations.values())
    obs = env.observe("player_1")
    assert 'said "I play lizard ?" and played lizard' in obs["text"]
    assert obs["history"][0, 0] in range(5) and obs["history"][0, 1] == 4
    assert sum(env._cumulative_rewards.values()) == 0  # zero-sum
    assert np.array_equal(obs["totals"], -env.observe("player_0")["totals"])


def test_render_ansi_marks_hidden_statements():
    env = RPSSLEnv(render_mode="ansi")
    env.reset(seed=0)
    env.step("rock")
    assert "[player_0] Round 1:" in env.render()
