"""Empirical values of latent strategies, measured from LSPO self-play.

In self-play the speaker says one of its N candidates drawn uniformly at random, so which latent
strategy is *said* at a turn is a randomized experiment: the speaker's final score, averaged over the
turns where strategy ``z`` was said, estimates what saying ``z`` is worth to its role against the
current population, with no confounding by the game state. Its regret, ``max_z' v(z') - v(z)``, is the
per-strategy regret of the one-shot empirical game over latent strategies (empirical game-theoretic
analysis: Wellman, AAMAS 2006; LSPO likewise estimates latent strategies' payoffs from simulated play).

This matters where the abstract game's rules give speech no meaning: in the abstract Werewolf game a
latent statement is cheap talk, so CFR finds every used strategy at zero regret and would give DPO no
pairs to learn from (measured: iteration 0 of ``scenarios/lspo_werewolf.yaml``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solvers.latent.space import LatentSpace
from solvers.lspo.turns import CandidateTurn

PRIOR_TURNS = 4.0
"""Shrinkage: each strategy's mean starts from its role's mean as if seen this many times, so a
strategy said once or twice cannot claim the best or worst value on one game's luck."""


@dataclass(frozen=True)
class EmpiricalValues:
    value: list[float]  # shrunk mean score of the speaker when this strategy was said
    count: list[int]  # turns where it was said
    regret: list[float]  # best value minus this one (0 for the best)

    def as_dict(self) -> dict[str, list]:
        return {"value": self.value, "count": self.count, "regret": self.regret}


def empirical_values(
    space: LatentSpace, turns: Sequence[CandidateTurn], prior_turns: float = PRIOR_TURNS
) -> dict[str, EmpiricalValues]:
    """Per role of ``space``: each latent strategy's value and regret from the said candidates' outcomes."""
    scored: dict[str, list[CandidateTurn]] = defaultdict(list)
    for turn in turns:
        if turn.score is not None and turn.role in space.roles:
            scored[turn.role].append(turn)
    said: dict[str, list[tuple[int, float]]] = {}
    for role, role_turns in scored.items():  # one assign call per role: its texts are embedded in one batch
        latents = space.assign([t.texts[t.chosen] for t in role_turns], role)
        said[role] = [(int(z), float(t.score)) for z, t in zip(latents, role_turns, strict=True)]
    values = {}
    for role, rs in space.roles.items():
        seen = said.get(role, [])
        role_mean = float(np.mean([s for _, s in seen])) if seen else 0.0
        total, count = np.zeros(rs.k), np.zeros(rs.k, dtype=int)
        for latent, score in seen:
            total[latent] += score
            count[latent] += 1
        value = (total + prior_turns * role_mean) / (count + prior_turns)
        values[role] = EmpiricalValues(
            value=[float(v) for v in value],
            count=[int(c) for c in count],
            regret=[float(value.max() - v) for v in value],
        )
    return values
