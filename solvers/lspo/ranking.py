"""How the LSPO loop scores a latent strategy when it ranks a speaking turn's candidates for DPO.

Higher is better; :func:`solvers.distill.pairs.preference_pairs` turns the scores into chosen/rejected pairs.

* ``solver``: minus the strategy's regret in the solved abstract game (LSPO, Sec. 4.3).
* ``empirical``: minus its regret measured from randomized self-play (:mod:`solvers.lspo.empirical`).
* ``both``: minus the sum of the two.
* ``mixture``: the solved policy's probability of the strategy over its share of the candidates the
  model wrote, ``pi*(z) / f(z)``, for strategies in the solution's support; every other strategy scores
  below all of them. Regret ranking leaves every strategy of the support at zero regret, so DPO is free to
  pile the model onto one of them (measured on RPSSL: the stated moves collapsed onto lizard at iteration
  3). Ordering by ``pi*/f`` prefers what the model says *less often than the solution plays it* over what
  it says more often: in expectation the update moves the model's strategy frequencies toward the solved
  mixture, and at ``f = pi*`` the ratios are equal and the support makes no pairs among itself (the
  weighting behind importance-weighted policy targets, e.g. MPO, Abdolmaleki et al. 2018).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from solvers.lspo.config import Ranking
from solvers.policy import LatentPolicy

SUPPORT = 0.01
"""A strategy the solved policy plays with less probability than this is outside the solution's support."""

OUTSIDE = -1e3
"""The ``mixture`` score of a strategy outside the support: below every log-ratio of one inside it."""

Preference = Callable[[str, int], float]


def preference(
    ranking: Ranking,
    policy: LatentPolicy,
    policy_role: Callable[[str], str],
    empirical: Mapping[str, Mapping[str, Sequence[float]]],
    frequency: Mapping[str, Sequence[float]],
) -> Preference:
    """The score of latent strategy ``z`` of a space role under ``ranking``. ``empirical`` is the solve
    step's per-role empirical figures; ``frequency`` each role's share of candidates per strategy."""

    def regret(role: str, z: int) -> float:
        solved = policy.roles[policy_role(role)].strategy_regret[z]
        if ranking is Ranking.SOLVER:
            return solved
        measured = empirical[role]["regret"][z]
        return measured if ranking is Ranking.EMPIRICAL else solved + measured

    def mixture(role: str, z: int) -> float:
        solved = policy.roles[policy_role(role)].marginal[z]
        if solved < SUPPORT:
            return OUTSIDE
        return math.log(solved) - math.log(max(frequency[role][z], 1e-9))

    if ranking is Ranking.MIXTURE:
        return mixture
    return lambda role, z: -regret(role, z)


def min_gap(ranking: Ranking) -> float:
    """Smallest score difference that makes a pair. For ``mixture`` a log-ratio gap of 0.2 (the less said
    strategy is under-represented by ~20% more than the other): sampling noise in ``f`` makes no pairs."""
    return 0.2 if ranking is Ranking.MIXTURE else 1e-6


def frequencies(latents: Mapping[str, Sequence[int]], k: Mapping[str, int]) -> dict[str, list[float]]:
    """Each role's share of candidates per latent strategy, from the candidates' assigned strategies."""
    shares: dict[str, list[float]] = {}
    for role, n in k.items():
        counts = [0] * n
        for z in latents.get(role, ()):
            counts[z] += 1
        total = sum(counts)
        shares[role] = [c / total if total else 0.0 for c in counts]
    return shares
