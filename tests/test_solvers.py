"""Solvers against known answers: Kuhn poker, RPSSL, and NashConv falling on a small Werewolf game."""

from __future__ import annotations

import pyspiel
import pytest
from open_spiel.python.algorithms import cfr as python_cfr

from games.rpssl.rules import Move
from games.werewolf import Role, WerewolfConfig
from solvers.abstract.rpssl import expected_payoffs, pure_clusters, rpssl_game
from solvers.abstract.werewolf import werewolf_game
from solvers.policy import LatentPolicy, latent_policy
from solvers.solve import (
    Method,
    TabularSolver,
    choose_method,
    estimate_tree_size,
    expected_returns,
    exploitability,
    nash_conv,
    read_tables,
    solve,
)


@pytest.mark.parametrize("method", [Method.CFR, Method.CFR_PLUS])
def test_kuhn_matches_openspiel_and_its_value(method: Method):
    game = pyspiel.load_game("kuhn_poker")
    result = solve(game, method, iterations=1000)
    own = (pyspiel.CFRSolver if method is Method.CFR else pyspiel.CFRPlusSolver)(game)
    for _ in range(1000):
        own.evaluate_and_update_policy()
    expected = pyspiel.exploitability(game, own.average_policy())
    assert exploitability(result.game, result.average_policy) == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert expected < 1e-3
    assert expected_returns(game, result.average_policy)[0] == pytest.approx(-1 / 18, abs=2e-3)


def test_tables_read_from_the_cpp_solver_equal_python_cfr():
    game = pyspiel.load_game("kuhn_poker")
    solver = TabularSolver(game, Method.CFR).run(5)
    reference = python_cfr.CFRSolver(game)
    for _ in range(5):
        reference.evaluate_and_update_policy()
    average, regret = read_tables(solver._solver.__getstate__())
    assert set(regret) == set(reference._info_state_nodes)
    for key, node in reference._info_state_nodes.items():
        for action, value in node.cumulative_regret.items():
            assert regret[key][action] == pytest.approx(value)
        total = sum(node.cumulative_policy.values())
        for action, weight in node.cumulative_policy.items():
            assert average[key][action] == pytest.approx(weight / total)


@pytest.mark.parametrize("method", [Method.MCCFR_ES, Method.MCCFR_OS])
def test_sampling_solvers_approach_kuhn_equilibrium(method: Method):
    game = pyspiel.load_game("kuhn_poker")
    result = solve(game, method, iterations=20_000, seed=3)
    assert exploitability(game, result.average_policy) < 0.1


def test_rpssl_pure_clusters_solve_to_uniform():
    game = rpssl_game()
    result = solve(game, Method.CFR, iterations=200)
    assert exploitability(result.game, result.average_policy) <= 0.01
    for probs in result.average_policy.values():
        assert list(probs.values()) == pytest.approx([0.2] * 5, abs=0.01)


def test_rpssl_mixed_clusters_reach_low_exploitability():
    rows = [*pure_clusters()[:3], {Move.SPOCK: 3, Move.LIZARD: 1}, {Move.ROCK: 1, Move.LIZARD: 1}]
    game = rpssl_game(rows, pure_clusters())
    assert expected_payoffs(rows, pure_clusters())[4][1] == pytest.approx(0.0)  # rock/lizard vs paper: -1/2 + 1/2
    for method in (Method.CFR_PLUS, Method.MCCFR_ES):
        result = solve(game, method, iterations=3000, seed=1)
        assert exploitability(game, result.average_policy) <= (0.01 if method is Method.CFR_PLUS else 0.05), method


def test_latent_policy_for_rpssl_ranks_strategies_and_round_trips(tmp_path):
    game = rpssl_game()
    result = solve(game, Method.CFR, iterations=100)
    policy = latent_policy(game, result, samples=50)
    assert set(policy.roles) == {"player_0", "player_1"}
    assert policy.roles["player_0"].marginal == pytest.approx([0.2] * 5)
    assert min(policy.roles["player_0"].strategy_regret) == 0.0
    policy.save(tmp_path / "policy.json")
    again = LatentPolicy.load(tmp_path / "policy.json")
    assert again == policy
    assert again.latent_probs("never seen", "player_1") == policy.roles["player_1"].marginal


def test_werewolf_nash_conv_falls_and_policy_has_roles():
    config = WerewolfConfig(n_players=4, roles={Role.WEREWOLF: 1, Role.SEER: 1, Role.VILLAGER: 2}, max_days=1)
    game = werewolf_game(config, k={"werewolf": 2, "seer": 2, "villager": 1})
    assert choose_method(game) is Method.CFR
    solver = TabularSolver(game, Method.CFR).run(1)
    first = nash_conv(solver.game, solver.result().average_policy)
    result = solver.run(29).result()
    later = nash_conv(result.game, result.average_policy)
    assert later < 0.75 * first
    policy = latent_policy(game, result, samples=200)
    assert set(policy.roles) == {"werewolf", "seer", "villager"}
    wolf = policy.roles["werewolf"]
    assert wolf.k == 2 and sum(wolf.marginal) == pytest.approx(1.0) and wolf.infostates > 0
    # regret per role = the solver's cumulative regrets summed over the role's speaking states, per iteration
    keys = [key for key in policy.speech if game.speech_role(key) == "werewolf"]
    manual = sum(result.cumulative_regret[key][0] for key in keys) / result.iterations
    assert wolf.regret[0] == pytest.approx(manual)
    assert all(game.speech_role(key) is None for key in policy.moves)


def test_tree_size_estimate_is_close_on_kuhn():
    game = pyspiel.load_game("kuhn_poker")
    assert estimate_tree_size(game, playouts=2000) == pytest.approx(58, rel=0.15)


@pytest.mark.slow
def test_seven_player_game_runs_outcome_sampling_into_a_latent_policy():
    game = werewolf_game(WerewolfConfig(max_days=2))  # LSPO's 7 players, 2 days
    assert choose_method(game) is Method.MCCFR_OS
    result = solve(game, Method.MCCFR_OS, iterations=300, seed=0)
    policy = latent_policy(game, result, samples=100)
    assert set(policy.roles) == {"werewolf", "seer", "doctor", "villager"}
    assert policy.roles["werewolf"].k == 3 and policy.roles["doctor"].k == 2
