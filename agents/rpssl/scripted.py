"""Scripted RPSSL agents: a named strategy picks the move, varied template speech says it.

Strategies (params of the ``rpssl_scripted`` agent kind):

- ``mixed`` (default): each round a move drawn from ``weights`` (uniform by default: the Nash
  equilibrium, value 0 against anything);
- ``always``: ``move`` every round;
- ``cycle``: ``move`` in round 1, then the next move of ``rock, paper, scissors, Spock, lizard`` each round;
- ``beat_last``: a move that beats the opponent's last revealed move (one of the two, at random); in the
  first round, a draw from ``weights``.

The ground truth of every statement is the move it means: ``Action.label`` and ``Action.intent`` are the
move's value; ``meta`` holds the strategy and the template id. All of it goes to the event's ``meta``,
never to an observation. An agent reads only ``obs.data`` (its history) and keeps no state between calls;
its randomness (moves and wording) comes from its rng.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents.rpssl.speech import say
from games.base import Action, Observation
from games.rpssl.rules import BEATS, MOVES, Move


class Strategy(StrEnum):
    MIXED = "mixed"
    ALWAYS = "always"
    CYCLE = "cycle"
    BEAT_LAST = "beat_last"


class RPSSLScriptedParams(BaseModel):
    """The strategy and its options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: Strategy = Field(Strategy.MIXED, description="mixed, always, cycle or beat_last.")
    weights: dict[Move, Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: dict.fromkeys(MOVES, 1.0),
        description="mixed (and beat_last's first round): relative weight of each move; moves left out weigh 0.",
    )
    move: Move = Field(Move.ROCK, description="always: the move; cycle: the first move.")
    plain_speech: bool = Field(False, description="Say every move as 'I play X.' instead of varied templates.")

    @field_validator("weights")
    @classmethod
    def _some_weight(cls, weights: dict[Move, float]) -> dict[Move, float]:
        if sum(weights.values()) <= 0:
            raise ValueError("weights must give at least one move a positive weight")
        return weights

    def probabilities(self) -> np.ndarray:
        """The weights as a distribution over :data:`MOVES`."""
        w = np.array([self.weights.get(m, 0.0) for m in MOVES])
        return w / w.sum()


def _mixed(p: RPSSLScriptedParams, obs: Observation, rng: np.random.Generator) -> Move:
    return MOVES[int(rng.choice(len(MOVES), p=p.probabilities()))]


def _cycle(p: RPSSLScriptedParams, obs: Observation, rng: np.random.Generator) -> Move:
    return MOVES[(MOVES.index(p.move) + obs.data["round"] - 1) % len(MOVES)]


def _beat_last(p: RPSSLScriptedParams, obs: Observation, rng: np.random.Generator) -> Move:
    history = obs.data["history"]
    last = history[-1]["opponent_move"] if history else None
    if last is None:
        return _mixed(p, obs, rng)
    beaters = [m for m in MOVES if Move(last) in BEATS[m]]
    return beaters[int(rng.integers(len(beaters)))]


STRATEGIES: dict[Strategy, Callable[[RPSSLScriptedParams, Observation, np.random.Generator], Move]] = {
    Strategy.MIXED: _mixed,
    Strategy.ALWAYS: lambda p, obs, rng: p.move,
    Strategy.CYCLE: _cycle,
    Strategy.BEAT_LAST: _beat_last,
}


class ScriptedRPSSLAgent:
    """One seat of one match, playing ``params.strategy``."""

    def __init__(self, name: str, rng: np.random.Generator, params: RPSSLScriptedParams | None = None) -> None:
        self.name = name
        self.rng = rng
        self.params = params or RPSSLScriptedParams()

    async def act(self, obs: Observation) -> Action:
        return (await self.propose(obs, 1))[0]

    async def propose(self, obs: Observation, n: int) -> list[Action]:
        """``n`` statements: the strategy's move first, then the other moves in random order (strategically
        different candidates, LSPO), repeating with fresh wording when ``n`` > 5."""
        own = STRATEGIES[self.params.strategy](self.params, obs, self.rng)
        others = [MOVES[i] for i in self.rng.permutation(len(MOVES)) if MOVES[i] is not own]
        order = [own, *others]
        return [self._say(order[i % len(order)], obs) for i in range(n)]

    def _say(self, move: Move, obs: Observation) -> Action:
        text, template = say(move, self.rng, plain=self.params.plain_speech)
        strategy = self.params.strategy.value
        return Action(
            text,
            reasoning=f"{strategy}: {move.value} in round {obs.data['round']}",
            label=move.value,
            intent=move.value,
            meta={"strategy": strategy, "template": template},
        )
