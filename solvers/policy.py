"""The solved latent policy: what a latent-policy agent plays and what the DPO step ranks candidates by.

Per role (LSPO, Xu et al., ICML 2025: latent strategies are clustered per role):

- ``marginal[z]``: the reach-weighted average probability of latent id ``z`` over the role's speaking
  information states, ``Σ_I reach(I)·σ(I, z) / Σ_I reach(I)``, with ``reach`` the probability of reaching
  ``I`` when everyone (and chance) plays the average policy. Estimated from sampled playouts (for
  ``deep-cfr``, the solver's own, counted in ``SolveResult.visits``); the fallback for a speaking
  information state the solver never saw.
- ``regret[z]``: the solver's cumulative counterfactual regret of ``z`` summed over the role's speaking
  information states, per iteration: ``Σ_I R_T(I, z) / T``. Counterfactual regrets are already weighted
  by the others' reach, so the sum weights each state by how often the others lead there. Positive:
  ``z`` would have done better than the policy played.
- ``strategy_regret[z] = max_y regret[y] − regret[z]`` (≥ 0): since ``R(y) − R(z) = Σ_t v_t(y) − v_t(z)``,
  this is how much worse always saying ``z`` did than the best latent strategy in hindsight. **Lower is
  better** — the number to rank DPO candidates by. (With CFR+ the regrets are floored at zero, so this is
  only approximate; use ``cfr`` or MCCFR when the regrets matter. With ``deep-cfr`` the sum is the
  advantage network's prediction weighted by visits per game: see :mod:`solvers.deep_cfr`.)

``speech`` holds the average policy over latent ids at every speaking information state seen, ``moves``
the full tabular policy for votes and night actions (action ids as in the abstract game). JSON on disk.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyspiel

from solvers.solve import PolicyTable, SolveResult


@dataclass
class RoleStrategies:
    """One role's latent strategies: see the module docstring."""

    marginal: list[float]
    regret: list[float]
    strategy_regret: list[float]
    infostates: int  # speaking information states of the role in the solver's table

    @property
    def k(self) -> int:
        return len(self.marginal)


@dataclass
class LatentPolicy:
    method: str
    iterations: int
    game: str  # the game string it was solved for
    roles: dict[str, RoleStrategies] = field(default_factory=dict)
    speech: PolicyTable = field(default_factory=dict)
    moves: PolicyTable = field(default_factory=dict)

    def latent_probs(self, key: str, role: str) -> list[float]:
        """Probability of each latent id at speaking information state ``key``; the role's marginal if unseen."""
        probs = self.speech.get(key)
        if probs is None:
            return list(self.roles[role].marginal)
        return [probs.get(z, 0.0) for z in range(self.roles[role].k)]

    def action_probs(self, key: str) -> dict[int, float] | None:
        """The policy at any information state (speech or not); ``None`` if the solver never saw it."""
        return self.speech.get(key) or self.moves.get(key)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for table in ("speech", "moves"):  # JSON object keys are strings
            data[table] = {key: {str(a): p for a, p in probs.items()} for key, probs in data[table].items()}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LatentPolicy:
        def table(raw: Mapping[str, Mapping[str, float]]) -> PolicyTable:
            return {key: {int(a): float(p) for a, p in probs.items()} for key, probs in raw.items()}

        return cls(
            method=data["method"],
            iterations=int(data["iterations"]),
            game=data["game"],
            roles={role: RoleStrategies(**r) for role, r in data["roles"].items()},
            speech=table(data["speech"]),
            moves=table(data["moves"]),
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1, sort_keys=True))

    @classmethod
    def load(cls, path: str | Path) -> LatentPolicy:
        return cls.from_json(json.loads(Path(path).read_text()))


def latent_policy(game: Any, result: SolveResult, samples: int = 2000, seed: int = 0) -> LatentPolicy:
    """Build the :class:`LatentPolicy` of a solve of ``game`` (an abstract game with ``speech_role(key)``,
    the role speaking at ``key`` or ``None``, and ``num_latent(role)``). ``samples`` playouts of the
    average policy estimate the reach-weighted marginals."""
    speech: PolicyTable = {}
    moves: PolicyTable = {}
    role_of: dict[str, str] = {}
    for key, probs in result.average_policy.items():
        role = game.speech_role(key)
        if role is None:
            moves[key] = dict(probs)
        else:
            speech[key], role_of[key] = dict(probs), role
    if result.visits:  # a sampled-play solver already met each state in proportion to its reach
        marginals = _visit_weighted_marginals(result.average_policy, result.visits, game)
    else:
        marginals = _reach_weighted_marginals(result.game or game, result.average_policy, game, samples, seed)
    roles: dict[str, RoleStrategies] = {}
    for role in sorted(set(role_of.values()) | set(marginals)):
        k = game.num_latent(role)
        regret = np.zeros(k)
        for key, r in role_of.items():
            if r == role:
                for z, value in result.cumulative_regret.get(key, {}).items():
                    regret[z] += value
        regret /= max(result.iterations, 1)
        weights = marginals.get(role, np.ones(k))
        roles[role] = RoleStrategies(
            marginal=(weights / weights.sum()).tolist(),
            regret=regret.tolist(),
            strategy_regret=(regret.max() - regret).tolist(),
            infostates=sum(r == role for r in role_of.values()),
        )
    return LatentPolicy(str(result.method), result.iterations, str(game), roles, speech, moves)


def _visit_weighted_marginals(table: PolicyTable, visits: Mapping[str, int], game: Any) -> dict[str, np.ndarray]:
    """Per role, ``Σ visits(I)·σ(I, ·)`` over the speaking states met in the solver's own playouts."""
    totals: dict[str, np.ndarray] = {}
    for key, count in visits.items():
        role = game.speech_role(key)
        if role is not None:
            total = totals.setdefault(role, np.zeros(game.num_latent(role)))
            for z, p in table[key].items():
                total[z] += count * p
    return totals


def _reach_weighted_marginals(
    tree: pyspiel.Game, table: PolicyTable, game: Any, samples: int, seed: int
) -> dict[str, np.ndarray]:
    """Per role, ``Σ σ(I, ·)`` over the speaking information states met in playouts of the average policy
    (uniform where the table has nothing); states are met in proportion to their reach."""
    rng = np.random.default_rng(seed)
    totals: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(0))
    for _ in range(samples):
        state = tree.new_initial_state()
        while not state.is_terminal():
            if state.is_chance_node():
                actions, probs = zip(*state.chance_outcomes(), strict=True)
            else:
                key, legal = state.information_state_string(), state.legal_actions()
                known = table.get(key)
                probs = tuple(known.get(a, 0.0) for a in legal) if known else (1.0 / len(legal),) * len(legal)
                actions = tuple(legal)
                role = game.speech_role(key)
                if role is not None:
                    if not totals[role].size:
                        totals[role] = np.zeros(game.num_latent(role))
                    totals[role][list(actions)] += probs
            p = np.asarray(probs, dtype=float)
            state.apply_action(int(actions[rng.choice(len(actions), p=p / p.sum())]))
    return dict(totals)
