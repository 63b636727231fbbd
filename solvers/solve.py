"""Solve an abstract game with OpenSpiel's CFR family, choosing the solver by game size.

- ``cfr`` / ``cfr+``: tabular CFR / CFR+ in C++ on ``pyspiel.convert_to_cached_tree(game)`` (the tree is
  read from Python once; every later iteration stays in C++, ~84x faster than calling back per node).
- ``mccfr-es`` / ``mccfr-os``: C++ external / outcome sampling MCCFR on the game itself (no tree).
- ``deep-cfr``: Deep CFR with sampled probes (:mod:`solvers.deep_cfr`): networks over the information-state
  tensor instead of tables, for the full 7-player game; its table is the network policy at the states met
  in sampled play.
- ``auto``: ``cfr`` up to :data:`CACHED_TREE_LIMIT` nodes (estimated from random playouts), ``mccfr-es`` up
  to :data:`EXTERNAL_SAMPLING_LIMIT`, ``mccfr-os`` beyond (one sampled history per iteration). It never
  picks ``deep-cfr``: at equal time it ends farther from equilibrium than tabular CFR on the 4-player game
  (``benchmarks/solvers.py``), and on the 7-player game no exact measure can show it beats outcome
  sampling, so the network is opt-in.

The tabular solvers' tables (cumulative regret and average-policy weights per information state) are
read from the C++ solver's own serialization, the only place the bindings expose the regrets.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pyspiel

PolicyTable = dict[str, dict[int, float]]
"""Information-state key -> action -> probability (or regret)."""
StatePolicy = Callable[[pyspiel.State], Mapping[int, float]]
"""A policy as a function: state -> action -> probability of the player to move."""

CACHED_TREE_LIMIT = 300_000
EXTERNAL_SAMPLING_LIMIT = 10**14  # measured: ~0.1-0.3 s an iteration at 1e13 (5 and 7 players, 1-2 days)


class Method(StrEnum):
    AUTO = "auto"
    CFR = "cfr"
    CFR_PLUS = "cfr+"
    MCCFR_ES = "mccfr-es"
    MCCFR_OS = "mccfr-os"
    DEEP_CFR = "deep-cfr"


@dataclass
class SolveResult:
    """What a solver leaves: the average policy and the cumulative regrets per information state.

    ``cumulative_regret[key][a]`` is the solver's own (for CFR+ floored at zero; for MCCFR a sampled
    estimate), summed over ``iterations``; for ``deep-cfr``, ``iterations × visits/playouts ×`` the
    advantage network's prediction (:mod:`solvers.deep_cfr`). ``game`` is the game solved (the cached tree
    when one was built). Sampled-play solvers also leave ``visits`` (how often each key was met in their
    playouts of the average policy), ``policy`` (the average policy at any state, for states the table
    lacks) and ``diagnostics`` (losses, values per role).
    """

    method: Method
    iterations: int
    seconds: float
    average_policy: PolicyTable
    cumulative_regret: PolicyTable = field(default_factory=dict)
    game: Any = None
    visits: dict[str, int] = field(default_factory=dict)
    policy: StatePolicy | None = None
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def iterations_per_second(self) -> float:
        return self.iterations / self.seconds if self.seconds > 0 else math.inf


class TabularSolver:
    """One of OpenSpiel's C++ tabular solvers, run in chunks: ``run(n)`` then ``result()``."""

    def __init__(self, game: pyspiel.Game, method: Method | str = Method.CFR, seed: int = 0) -> None:
        self.method = Method(method)
        self.iterations, self.seconds = 0, 0.0
        start = time.perf_counter()
        factory, cached = _TABULAR[self.method]
        self.game = pyspiel.convert_to_cached_tree(game) if cached else game
        self._solver = factory(self.game, seed)
        self._step = self._solver.run_iteration if hasattr(self._solver, "run_iteration") else None
        self._step = self._step or self._solver.evaluate_and_update_policy
        self.seconds += time.perf_counter() - start

    def run(self, iterations: int) -> TabularSolver:
        start = time.perf_counter()
        for _ in range(iterations):
            self._step()
        self.seconds += time.perf_counter() - start
        self.iterations += iterations
        return self

    def result(self) -> SolveResult:
        average, regret = read_tables(self._solver.__getstate__())
        return SolveResult(self.method, self.iterations, self.seconds, average, regret, self.game)


_TABULAR: dict[Method, tuple[Callable[[pyspiel.Game, int], Any], bool]] = {
    Method.CFR: (lambda g, seed: pyspiel.CFRSolver(g), True),
    Method.CFR_PLUS: (lambda g, seed: pyspiel.CFRPlusSolver(g), True),
    Method.MCCFR_ES: (lambda g, seed: pyspiel.ExternalSamplingMCCFRSolver(g, seed=seed), False),
    Method.MCCFR_OS: (lambda g, seed: pyspiel.OutcomeSamplingMCCFRSolver(g, seed=seed), False),
}


def solve(game: pyspiel.Game, method: Method | str = Method.AUTO, iterations: int = 1000, seed: int = 0) -> SolveResult:
    """Run ``iterations`` of ``method`` on ``game`` (``auto``: chosen by :func:`choose_method`)."""
    method = choose_method(game, seed) if Method(method) is Method.AUTO else Method(method)
    if method is Method.DEEP_CFR:
        from solvers.deep_cfr import DeepCFR  # torch loads only when asked

        return DeepCFR(game, seed=seed).run(iterations).result()
    return TabularSolver(game, method, seed).run(iterations).result()


def choose_method(game: pyspiel.Game, seed: int = 0) -> Method:
    # never deep-cfr: nothing measured shows it beating these at equal time (module docstring)
    size = estimate_tree_size(game, seed=seed)
    if size <= CACHED_TREE_LIMIT:
        return Method.CFR
    return Method.MCCFR_ES if size <= EXTERNAL_SAMPLING_LIMIT else Method.MCCFR_OS


def estimate_tree_size(game: pyspiel.Game, playouts: int = 200, seed: int = 0) -> float:
    """Knuth's estimate of the number of histories: the mean over uniform random playouts of
    ``1 + b1 + b1*b2 + ...`` (``b`` = branching along the playout); unbiased, cheap."""
    rng = np.random.default_rng(seed)
    total = 0.0
    for _ in range(playouts):
        state, width, count = game.new_initial_state(), 1.0, 1.0
        while not state.is_terminal():
            actions = [a for a, _ in state.chance_outcomes()] if state.is_chance_node() else state.legal_actions()
            width *= len(actions)
            count += width
            state.apply_action(int(actions[rng.integers(len(actions))]))
        total += count
    return total / playouts


def read_tables(serialized: str) -> tuple[PolicyTable, PolicyTable]:
    """``(average policy, cumulative regret)`` from a C++ CFR/MCCFR solver's ``__getstate__`` text.

    Its values table is ``key<~>legal;regrets;policy weights;current policy`` repeated, ``<~>``-separated,
    numbers in C hex-float notation (checked against Python CFR's tables in the tests).
    """
    table = serialized.split("[SolverValuesTable]\n", 1)[1].strip()
    parts = table.split("<~>") if table else []
    average: PolicyTable = {}
    regret: PolicyTable = {}
    for key, values in zip(parts[0::2], parts[1::2], strict=True):
        legal_s, regret_s, weight_s, _ = values.split(";")
        legal = [int(a) for a in legal_s.split(",")]
        weights = [float.fromhex(x) for x in weight_s.split(",")]
        total = sum(weights)
        probs = [w / total for w in weights] if total > 0 else [1.0 / len(legal)] * len(legal)
        average[key] = dict(zip(legal, probs, strict=True))
        regret[key] = dict(zip(legal, [float.fromhex(x) for x in regret_s.split(",")], strict=True))
    return average, regret


# ---- diagnostics ---------------------------------------------------------------------------------
def complete_policy(
    game: pyspiel.Game, table: Mapping[str, Mapping[int, float]], fallback: StatePolicy | None = None
) -> dict[str, list[tuple[int, float]]]:
    """``table`` over every information state of ``game`` (``fallback(state)`` where it has none, else
    uniform), in the form the C++ best-response code takes. Walks the whole tree: small games only."""
    full: dict[str, list[tuple[int, float]]] = {}

    def walk(state: pyspiel.State) -> None:
        if state.is_terminal():
            return
        if state.is_chance_node():
            for action, _ in state.chance_outcomes():
                walk(state.child(action))
            return
        key = state.information_state_string()
        legal = state.legal_actions()
        if key not in full:
            probs = table.get(key) or (fallback(state) if fallback else None)
            full[key] = [(a, probs.get(a, 0.0) if probs else 1.0 / len(legal)) for a in legal]
        for action in legal:
            walk(state.child(action))

    walk(game.new_initial_state())
    return full


def expected_returns(game: pyspiel.Game, table: Mapping[str, Mapping[int, float]]) -> list[float]:
    """Every player's expected return when all play ``table`` (uniform where it has nothing); walks the tree."""

    def value(state: pyspiel.State) -> np.ndarray:
        if state.is_terminal():
            return np.asarray(state.returns())
        if state.is_chance_node():
            return sum(p * value(state.child(a)) for a, p in state.chance_outcomes())
        legal = state.legal_actions()
        probs = table.get(state.information_state_string())
        return sum((probs.get(a, 0.0) if probs else 1 / len(legal)) * value(state.child(a)) for a in legal)

    return [float(v) for v in value(game.new_initial_state())]


def nash_conv(
    game: pyspiel.Game, table: Mapping[str, Mapping[int, float]], fallback: StatePolicy | None = None
) -> float:
    """Sum over players of what a best response gains against ``table`` (0 at a Nash equilibrium); any
    number of players, general sum. Give it the cached tree (``SolveResult.game``) when there is one, and
    ``SolveResult.policy`` as ``fallback`` when the table covers only sampled states."""
    return _best_response_measure(pyspiel.nash_conv, game, table, fallback)


def exploitability(
    game: pyspiel.Game, table: Mapping[str, Mapping[int, float]], fallback: StatePolicy | None = None
) -> float:
    """NashConv / 2, for two-player zero-sum games only (OpenSpiel's definition)."""
    return _best_response_measure(pyspiel.exploitability, game, table, fallback)


def _best_response_measure(
    measure: Callable[..., float], game: pyspiel.Game, table: Mapping, fallback: StatePolicy | None
) -> float:
    if fallback is None:
        try:  # a CFR table covers every information state
            return float(measure(game, {key: sorted(probs.items()) for key, probs in table.items()}))
        except pyspiel.SpielError:  # a sampled one may not: fill in uniform play
            return float(measure(game, complete_policy(game, table)))
    # a network's policy: evaluated on the game's own states, best responses on its cached tree (on the
    # 4-player Werewolf game 1 s instead of 22 s calling back into Python at every node)
    return float(measure(pyspiel.convert_to_cached_tree(game), complete_policy(game, table, fallback)))
