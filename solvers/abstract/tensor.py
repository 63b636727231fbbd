"""The information-state tensor of a Werewolf player: the key's content as a fixed-size 0/1 vector.

Neural solvers (:mod:`solvers.deep_cfr`) read this where tabular ones read the key
(:func:`solvers.abstract.infostate.infostate_key`). It is computed from the same view and reads only
what the key holds, so one key always gives one tensor; like the key, it holds nothing a player was not
shown (the view is folded from visible events only). Layout, in order (``n`` seats, ``D`` = ``max_days``,
``R`` discussion rounds, ``K`` the largest ``k``; seats are player indices):

==============  ============  ================================================================
piece           shape         set when
==============  ============  ================================================================
seat            n             the player's own seat
role            4             own role (``werewolf, seer, doctor, villager``)
phase           7             the decision being taken (:data:`PHASES`; ``waiting`` if none)
day             D+1           the current day (0 before the first night)
teammates       n             fellow wolves (wolves only)
seer_results    n×2           a check: ``[seat, 0]`` werewolf, ``[seat, 1]`` not (seer only)
wolf_proposal   n             tonight's proposed victim (wolves only)
dead            n             every death announced so far
wolf_kill       D×n           the wolves' target of night ``d`` (wolves only)
protected       D×n           the doctor's save of night ``d`` (doctor only)
death           D×2×n         who died on day ``d`` (``[.., 0, ..]`` at night, ``[.., 1, ..]`` by vote)
reveal          D×2×6         what that death revealed: role (4), then team (werewolves, village)
speech          D×R×n×K       speaker's latent id in round ``r`` of day ``d``
my_vote         D×(n+1)       own ballot of day ``d`` (column ``n``: abstain)
ballots         D×n×(n+1)     every ballot of day ``d`` once tallied (voter × target/abstain)
==============  ============  ================================================================

The 7-player LSPO game (``D = 10``, ``K = 3``) has 1,314 entries; a real match can compute the same
tensor from an observation (:func:`observation_tensor`), as it does the key. The tensor drops one thing
the key keeps, the order of the seer's checks, so two keys may share a tensor (never the reverse).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from games.base import Observation
from games.werewolf.rules import player_index
from solvers.abstract.infostate import PHASE_CODE, ROLE_CODE, LatentOf, latent_lookup

PHASES: tuple[str, ...] = tuple(PHASE_CODE)  # phase one-hot order, "waiting" last
ROLE_ORDER: tuple[str, ...] = tuple(ROLE_CODE)
TEAM_ORDER = ("werewolves", "village")
_index = cache(player_index)  # "player_3" -> 3: a tensor reads ~20 names; parsing was a third of its cost


@dataclass(frozen=True)
class TensorLayout:
    """Sizes of one game's tensor: ``n`` seats, ``days`` = ``max_days``, ``rounds`` of talk, ``k`` latent ids."""

    n: int
    days: int
    rounds: int
    k: int

    def pieces(self) -> list[tuple[str, tuple[int, ...]]]:
        n, d = self.n, self.days
        return [
            ("seat", (n,)),
            ("role", (len(ROLE_ORDER),)),
            ("phase", (len(PHASES),)),
            ("day", (d + 1,)),
            ("teammates", (n,)),
            ("seer_results", (n, 2)),
            ("wolf_proposal", (n,)),
            ("dead", (n,)),
            ("wolf_kill", (d, n)),
            ("protected", (d, n)),
            ("death", (d, 2, n)),
            ("reveal", (d, 2, len(ROLE_ORDER) + len(TEAM_ORDER))),
            ("speech", (d, self.rounds, n, self.k)),
            ("my_vote", (d, n + 1)),
            ("ballots", (d, n, n + 1)),
        ]

    @property
    def size(self) -> int:
        return sum(int(np.prod(shape)) for _, shape in self.pieces())

    def views(self, tensor: np.ndarray) -> dict[str, np.ndarray]:
        """Named, reshaped views into a flat ``tensor`` of :attr:`size` (the OpenSpiel observer's ``dict``)."""
        views, start = {}, 0
        for name, shape in self.pieces():
            size = int(np.prod(shape))
            views[name] = tensor[start : start + size].reshape(shape)
            start += size
        return views


def fill_tensor(parts: Mapping[str, np.ndarray], view: Mapping[str, Any], phase: str, latent_of: LatentOf) -> None:
    """Write ``view['player']``'s tensor deciding in ``phase`` into the zeroed views ``parts``
    (:meth:`TensorLayout.views`). Reads exactly the view fields that :func:`infostate_key` reads."""
    latent = latent_lookup(latent_of)
    parts["seat"][_index(view["player"])] = 1
    parts["role"][ROLE_ORDER.index(view["role"])] = 1
    parts["phase"][PHASES.index(phase)] = 1
    parts["day"][view["day"]] = 1
    for mate in view["teammates"]:
        parts["teammates"][_index(mate)] = 1
    for target, is_wolf in view["seer_results"].items():
        parts["seer_results"][_index(target), 0 if is_wolf else 1] = 1
    if view["wolf_proposal"] is not None:
        parts["wolf_proposal"][_index(view["wolf_proposal"])] = 1
    for kill in view["wolf_kills"]:
        parts["wolf_kill"][kill["day"] - 1, _index(kill["target"])] = 1
    for save in view["protected"]:
        parts["protected"][save["day"] - 1, _index(save["target"])] = 1
    for death in view["deaths"]:
        who, when = _index(death["player"]), 0 if death["cause"] == "night" else 1
        parts["dead"][who] = 1
        parts["death"][death["day"] - 1, when, who] = 1
        if "revealed_role" in death:
            parts["reveal"][death["day"] - 1, when, ROLE_ORDER.index(death["revealed_role"])] = 1
        if "revealed_team" in death:
            parts["reveal"][death["day"] - 1, when, len(ROLE_ORDER) + TEAM_ORDER.index(death["revealed_team"])] = 1
    for s in view["statements"]:
        parts["speech"][s["day"] - 1, s["round"], _index(s["speaker"]), latent(s)] = 1
    abstain = parts["my_vote"].shape[1] - 1
    for mine in view["my_votes"]:
        parts["my_vote"][mine["day"] - 1, abstain if mine["target"] is None else _index(mine["target"])] = 1
    for result in view["vote_history"]:
        for voter, target in result["votes"].items():
            column = abstain if target is None else _index(target)
            parts["ballots"][result["day"] - 1, _index(voter), column] = 1


def infostate_tensor(view: Mapping[str, Any], phase: str, latent_of: LatentOf, layout: TensorLayout) -> np.ndarray:
    """A new float32 tensor of ``view``'s player deciding in ``phase`` (see :func:`fill_tensor`)."""
    tensor = np.zeros(layout.size, np.float32)
    fill_tensor(layout.views(tensor), view, phase, latent_of)
    return tensor


def observation_tensor(obs: Observation, latent_of: LatentOf, layout: TensorLayout) -> np.ndarray:
    """:func:`infostate_tensor` of a real match's observation at the player's turn (as ``observation_key``)."""
    return infostate_tensor(obs.data, obs.phase, latent_of, layout)
