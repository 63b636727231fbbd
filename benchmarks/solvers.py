"""Solver figures on the abstract games, in one run: known answers, speeds, NashConv on a small Werewolf game.

1. Exploitability after ``--iterations`` of each tabular method on Kuhn poker (known: CFR ≈ 0.0009, CFR+ ≈
   0.0001 at 1000) and on abstract RPSSL with mixed clusters (pure clusters are solved at iteration 1).
2. C++ CFR on ``pyspiel.convert_to_cached_tree`` vs Python CFR (``open_spiel.python.algorithms.cfr``) on
   the same Python game (OpenSpiel's ``python_kuhn_poker``, and the smallest abstract Werewolf game):
   iterations per second and their ratio.
3. The 4-player abstract Werewolf game (1 wolf, 1 seer, 2 villagers, one day, k = 2/2/1): tree size,
   C++ CFR iterations per second, NashConv at a few iteration counts; MCCFR speeds on the 7-player game.
4. ``deep-cfr`` (:mod:`solvers.deep_cfr`) on that 4-player game: NashConv after ``--deep-iterations``, against
   tabular CFR given the same seconds and OpenSpiel's own PyTorch Deep CFR (external sampling); then on
   the 7-player LSPO game (10 days), where NashConv is out of reach: seconds per iteration, advantage
   loss and the sampled-play value per role.

Last line: ``RESULT key=value ...``. Run: ``.venv/bin/python -m benchmarks.solvers`` (about three minutes).
"""

from __future__ import annotations

import argparse
import time

import pyspiel
from open_spiel.python.algorithms import cfr as python_cfr
from open_spiel.python.games import kuhn_poker  # noqa: F401  (registers python_kuhn_poker)

from games.rpssl.rules import Move
from games.werewolf import Role, TieRule, WerewolfConfig
from solvers.abstract.rpssl import pure_clusters, rpssl_game
from solvers.abstract.werewolf import werewolf_game
from solvers.deep_cfr import DeepCFR, DeepCFRConfig
from solvers.solve import Method, TabularSolver, estimate_tree_size, exploitability, nash_conv

FOUR = {Role.WEREWOLF: 1, Role.SEER: 1, Role.VILLAGER: 2}


def python_cfr_speed(game: pyspiel.Game, seconds: float) -> float:
    solver = python_cfr.CFRSolver(game)
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        solver.evaluate_and_update_policy()
        n += 1
    return n / (time.perf_counter() - start)


def cpp_cached_speed(game: pyspiel.Game, seconds: float) -> tuple[float, float]:
    """(iterations/s after the tree is built, seconds to build it)."""
    solver = TabularSolver(game, Method.CFR).run(1)
    build = solver.seconds
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        solver.run(1)
        n += 1
    return n / (time.perf_counter() - start), build


def sampled_speed(game: pyspiel.Game, method: Method, seconds: float) -> float:
    solver = TabularSolver(game, method, seed=0)
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        solver.run(10)
        n += 10
    return n / (time.perf_counter() - start)


def cfr_for(game: pyspiel.Game, seconds: float) -> tuple[int, float]:
    """(iterations, NashConv) of C++ CFR given ``seconds``, the tree build included."""
    solver = TabularSolver(game, Method.CFR).run(1)
    while solver.seconds < seconds:
        solver.run(1)
    result = solver.result()
    return solver.iterations, nash_conv(result.game, result.average_policy)


def openspiel_deep_cfr(game: pyspiel.Game, iterations: int, traversals: int) -> tuple[float, float]:
    """(seconds, NashConv) of ``open_spiel.python.pytorch.deep_cfr`` with our network sizes and steps
    (minibatches set: its full-batch path shuffles each memory field separately)."""
    from open_spiel.python.pytorch import deep_cfr  # needs dm-tree

    solver = deep_cfr.DeepCFRSolver(
        game,
        policy_network_layers=(64, 64),
        advantage_network_layers=(64, 64),
        num_iterations=iterations,
        num_traversals=traversals,
        learning_rate=1e-3,
        batch_size_advantage=256,
        batch_size_strategy=256,
        advantage_network_train_steps=100,
        policy_network_train_steps=400,
        seed=0,
    )
    start = time.perf_counter()
    solver.solve()
    seconds = time.perf_counter() - start
    return seconds, nash_conv(game, {}, lambda s: {a: float(p) for a, p in solver.action_probabilities(s).items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=1000, help="iterations for the exploitability table")
    parser.add_argument("--seconds", type=float, default=3.0, help="time per speed measurement")
    parser.add_argument("--deep-iterations", type=int, default=10, help="deep-cfr iterations on the 4-player game")
    args = parser.parse_args()

    print(f"exploitability after {args.iterations} iterations")
    print(f"{'game':<16}{'method':<10}{'exploitability':>16}{'it/s':>12}")
    kuhn = pyspiel.load_game("kuhn_poker")
    mixed = [*pure_clusters()[:3], {Move.SPOCK: 3, Move.LIZARD: 1}, {Move.ROCK: 1, Move.LIZARD: 1}]
    rpssl = rpssl_game(mixed, pure_clusters())
    found: dict[tuple[str, Method], float] = {}
    for name, game in (("kuhn", kuhn), ("rpssl-mixed", rpssl)):
        for method in (Method.CFR, Method.CFR_PLUS, Method.MCCFR_ES, Method.MCCFR_OS):
            result = TabularSolver(game, method).run(args.iterations).result()
            found[name, method] = exploitability(result.game, result.average_policy)
            print(f"{name:<16}{method.value:<10}{found[name, method]:>16.6f}{result.iterations_per_second:>12.0f}")

    print("\nC++ CFR on a cached tree vs Python CFR, same Python game (iterations/s)")
    tiny = WerewolfConfig(n_players=4, roles=FOUR, max_days=1, tie_rule=TieRule.NO_ELIMINATION)
    tiny_game = werewolf_game(tiny, k={"werewolf": 1, "seer": 1, "villager": 1})
    speedups = {}
    print(f"{'game':<28}{'python':>10}{'c++ cached':>12}{'tree build s':>14}{'speedup':>10}")
    for name, game in (("python_kuhn_poker", pyspiel.load_game("python_kuhn_poker")), ("werewolf-4p k=1", tiny_game)):
        slow = python_cfr_speed(game, args.seconds)
        fast, build = cpp_cached_speed(game, args.seconds)
        speedups[name] = fast / slow
        print(f"{name:<28}{slow:>10.1f}{fast:>12.1f}{build:>14.2f}{speedups[name]:>10.0f}")

    print("\n4-player abstract Werewolf (1 wolf, 1 seer, 2 villagers, 1 day, k = 2/2/1), C++ CFR on the cached tree")
    config = WerewolfConfig(n_players=4, roles=FOUR, max_days=1)
    game = werewolf_game(config, k={"werewolf": 2, "seer": 2, "villager": 1})
    size = estimate_tree_size(game, playouts=500)
    solver = TabularSolver(game, Method.CFR)
    convs: dict[int, float] = {}
    for target in (1, 10, 30, 100):
        solver.run(target - solver.iterations)
        result = solver.result()
        convs[target] = nash_conv(result.game, result.average_policy)
    infostates = len(result.average_policy)
    ww_speed = solver.iterations / solver.seconds
    print(f"histories ≈ {size:,.0f} (estimated), information states {infostates}, {ww_speed:.1f} CFR it/s incl. build")
    print("  ".join(f"NashConv@{n}={v:.4f}" for n, v in convs.items()))

    seven = werewolf_game(WerewolfConfig(max_days=3))
    es, os_ = (sampled_speed(seven, m, args.seconds) for m in (Method.MCCFR_ES, Method.MCCFR_OS))
    print(f"7-player LSPO game (3 days): MCCFR external sampling {es:.1f} it/s, outcome sampling {os_:.1f} it/s")

    print(f"\ndeep-cfr on the 4-player game, {args.deep_iterations} iterations of 128 traversals per player")
    deep = DeepCFR(game, DeepCFRConfig(traversals=128), seed=0).run(args.deep_iterations).result()
    deep_conv = nash_conv(game, deep.average_policy, deep.policy)
    cfr_its, cfr_conv = cfr_for(game, deep.seconds)
    os_seconds, os_conv = openspiel_deep_cfr(game, args.deep_iterations, 16)
    print(f"{'solver':<44}{'seconds':>9}{'NashConv':>10}")
    print(f"{'deep-cfr (sampled probes)':<44}{deep.seconds:>9.1f}{deep_conv:>10.3f}")
    print(f"{f'C++ CFR, same time ({cfr_its} iterations)':<44}{deep.seconds:>9.1f}{cfr_conv:>10.3f}")
    print(f"{f'OpenSpiel Deep CFR ({args.deep_iterations} it x 16 traversals)':<44}{os_seconds:>9.1f}{os_conv:>10.3f}")

    ww7 = DeepCFR(werewolf_game(WerewolfConfig()), seed=0).run(2)
    ww7_it_s = ww7.seconds / 2
    diag = ww7.result().diagnostics
    loss = sum(diag["advantage_loss"]) / len(diag["advantage_loss"])
    values = "  ".join(f"{role} {v:+.2f}" for role, v in diag["value_per_role"].items())
    print(f"7-player LSPO game (10 days), deep-cfr defaults: {ww7_it_s:.1f} s/iteration, advantage loss {loss:.3f}")
    print(f"  sampled-play value per role after 2 iterations: {values}  (NashConv: tree too large)")

    print(
        f"RESULT kuhn_cfr_expl={found['kuhn', Method.CFR]:.6f} kuhn_cfrplus_expl={found['kuhn', Method.CFR_PLUS]:.6f}"
        f" rpssl_cfr_expl={found['rpssl-mixed', Method.CFR]:.6f}"
        f" rpssl_cfrplus_expl={found['rpssl-mixed', Method.CFR_PLUS]:.6f}"
        f" cached_tree_speedup={speedups['python_kuhn_poker']:.0f}"
        f" cached_tree_speedup_werewolf={speedups['werewolf-4p k=1']:.0f}"
        f" ww4_cfr_it_per_s={ww_speed:.1f} ww4_histories={size:.0f} ww4_infostates={infostates}"
        f" ww4_nashconv_1={convs[1]:.4f} ww4_nashconv_100={convs[100]:.4f}"
        f" ww7_mccfr_es_it_per_s={es:.1f} ww7_mccfr_os_it_per_s={os_:.1f}"
        f" deep_cfr_nash_conv_4p={deep_conv:.3f} deep_cfr_seconds_4p={deep.seconds:.1f}"
        f" cfr_same_time_nash_conv_4p={cfr_conv:.3f} openspiel_deep_cfr_nash_conv_4p={os_conv:.3f}"
        f" openspiel_deep_cfr_seconds_4p={os_seconds:.1f} deep_cfr_ww7_s_per_iteration={ww7_it_s:.1f}"
        f" deep_cfr_ww7_wolf_value={diag['value_per_role']['werewolf']:.2f}"
    )


if __name__ == "__main__":
    main()
