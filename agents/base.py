"""The Agent protocol: anything that turns one player's Observation into an Action."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from games.base import Action, Observation


@runtime_checkable
class Agent(Protocol):
    """One seat's player for one match. Agents never see a game state, only their observation."""

    name: str

    async def act(self, obs: Observation) -> Action:
        """Choose one move (a legal move name when ``obs.legal`` is set, else speech)."""
        ...

    async def propose(self, obs: Observation, n: int) -> list[Action]:
        """Return ``n`` candidate moves (LSPO: strategically different candidates)."""
        ...


class RandomAgent:
    """Uniform over legal moves; says a short neutral line when it must speak."""

    def __init__(self, name: str = "random", rng: np.random.Generator | None = None) -> None:
        self.name = name
        self.rng = rng if rng is not None else np.random.default_rng(0)

    async def act(self, obs: Observation) -> Action:
        if obs.legal is None:
            return Action("I have nothing to add.")
        return Action(obs.legal[int(self.rng.integers(len(obs.legal)))])

    async def propose(self, obs: Observation, n: int) -> list[Action]:
        return [await self.act(obs) for _ in range(n)]
