"""Deep CFR with sampled probes (solvers/deep_cfr.py): Kuhn poker's exploitability falls, the Werewolf
games give a latent policy per role, and a seed fixes the result."""

from __future__ import annotations

import math

import numpy as np
import pyspiel
import pytest

from arena.solving import best_response_figures
from games.werewolf import Role, WerewolfConfig
from solvers.abstract.matrix import matrix_game
from solvers.abstract.werewolf import werewolf_game
from solvers.deep_cfr import DeepCFR, DeepCFRConfig, Reservoir
from solvers.policy import latent_policy
from solvers.solve import Method, exploitability, solve

TINY = DeepCFRConfig(traversals=8, advantage_steps=20, strategy_steps=50, playouts=100)


@pytest.fixture(scope="module")
def four() -> pyspiel.Game:
    config = WerewolfConfig(n_players=4, roles={Role.WEREWOLF: 1, Role.SEER: 1, Role.VILLAGER: 2}, max_days=1)
    return werewolf_game(config, k={"werewolf": 2, "seer": 2, "villager": 1})


def test_kuhn_exploitability_falls_well_below_uniform():
    game = pyspiel.load_game("kuhn_poker")
    solver = DeepCFR(game, DeepCFRConfig(traversals=64, advantage_steps=50, strategy_steps=200, playouts=100))
    result = solver.run(10).result()
    uniform = exploitability(game, {})  # ≈ 0.458
    assert exploitability(game, result.average_policy, result.policy) < 0.5 * uniform


def test_ranks_latent_strategies_as_tabular_cfr_does():
    game = matrix_game([[1, 1, 0.5], [-1, -1, -1], [0, 0.5, 0]])  # row 1 is dominated, column 2 is best
    config = DeepCFRConfig(traversals=16, advantage_steps=30, strategy_steps=60, playouts=100)
    deep = latent_policy(game, DeepCFR(game, config).run(3).result())
    cfr = latent_policy(game, solve(game, Method.CFR, iterations=50), samples=100)
    for role in ("player_0", "player_1"):  # the best strategy (columns 0 and 1 nearly tie for the worst)
        assert np.argmin(deep.roles[role].strategy_regret) == np.argmin(cfr.roles[role].strategy_regret), role
    assert np.argmax(deep.roles["player_0"].strategy_regret) == 1  # the dominated row
    assert deep.roles["player_0"].marginal[0] > 0.5 and deep.roles["player_1"].marginal[2] > 0.5


def test_four_player_werewolf_gives_a_latent_policy_per_role(four: pyspiel.Game):
    result = DeepCFR(four, TINY, seed=1).run(2).result()
    assert result.method is Method.DEEP_CFR and result.iterations == 2
    for key, probs in result.average_policy.items():
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-5) and result.visits[key] > 0
        assert all(math.isfinite(r) for r in result.cumulative_regret[key].values())
    diagnostics = result.diagnostics
    assert set(diagnostics["value_per_role"]) == {"werewolf", "seer", "villager"}
    assert all(math.isfinite(x) for x in [*diagnostics["advantage_loss"], diagnostics["strategy_loss"]])
    policy = latent_policy(four, result)
    assert set(policy.roles) == {"werewolf", "seer", "villager"}
    for role, strategies in policy.roles.items():
        assert strategies.k == four.num_latent(role) and sum(strategies.marginal) == pytest.approx(1.0)
        assert all(math.isfinite(r) for r in strategies.regret) and min(strategies.strategy_regret) == 0.0
    # per-role regret: Σ over the role's speaking states of the stored regret, per iteration
    keys = [key for key in policy.speech if four.speech_role(key) == "werewolf"]
    manual = sum(result.cumulative_regret[key][0] for key in keys) / result.iterations
    assert policy.roles["werewolf"].regret[0] == pytest.approx(manual)
    figures = best_response_figures(four, result)  # what `arena solve` reports: the whole tree fits
    assert 0.0 < figures["nash_conv"] <= 4.0  # 4 players, returns in [-1, 1]


def test_same_seed_same_policy(four: pyspiel.Game):
    first, again, other = (DeepCFR(four, TINY, seed=s).run(1).result() for s in (3, 3, 4))
    assert first.average_policy == again.average_policy
    assert first.cumulative_regret == again.cumulative_regret
    assert first.average_policy != other.average_policy


def test_solve_dispatches_deep_cfr():
    game = pyspiel.load_game("kuhn_poker")
    result = solve(game, "deep-cfr", iterations=1, seed=0)
    assert result.method is Method.DEEP_CFR and result.policy is not None and result.average_policy


def test_reservoir_keeps_a_uniform_sample_past_capacity():
    rng = np.random.default_rng(0)
    memory = Reservoir(capacity=100, width=1, actions=1)
    for i in range(1000):
        memory.add(np.array([i]), i + 1, np.zeros(1), np.ones(1, bool), rng)
    assert memory.size == 100 and memory.added == 1000
    assert 300 < memory.x[:, 0].mean() < 700  # the first rows were mostly replaced


def test_seven_player_game_one_tiny_run():
    game = werewolf_game(WerewolfConfig())  # LSPO's 7 players, 10 days
    config = DeepCFRConfig(traversals=2, advantage_steps=5, strategy_steps=10, playouts=20)
    result = DeepCFR(game, config, seed=0).run(1).result()
    policy = latent_policy(game, result)
    assert set(policy.roles) == {"werewolf", "seer", "doctor", "villager"}
    assert policy.roles["werewolf"].k == 3 and policy.roles["doctor"].k == 2
    assert set(result.diagnostics["value_per_role"]) == {"werewolf", "seer", "doctor", "villager"}
    assert best_response_figures(game, result) == {}  # no NashConv: the tree is far too large
