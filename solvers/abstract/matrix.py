"""A one-shot two-player zero-sum latent game as a registered OpenSpiel Python game.

Each player picks a latent id; the row player's payoff is ``payoff[i][j]``. It is played as a
sequential game with hidden information (player 0 picks, then player 1 picks without seeing it), which
is the simultaneous game in a form every OpenSpiel solver takes. :mod:`solvers.abstract.rpssl` builds the
payoff matrix of LSPO's rock-paper-scissors-Spock-lizard proof of concept from cluster contents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyspiel

SHORT_NAME = "latent_matrix"


def encode_matrix(payoff: Sequence[Sequence[float]]) -> str:
    """A matrix as a game-string-safe parameter: rows split by ``/``, entries by ``:``."""
    return "/".join(":".join(repr(float(x)) for x in row) for row in payoff)


def decode_matrix(text: str) -> list[list[float]]:
    rows = [[float(x) for x in row.split(":")] for row in text.split("/")]
    if len({len(r) for r in rows}) != 1:
        raise ValueError(f"ragged payoff matrix: {text!r}")
    return rows


_PARAMS: dict[str, Any] = {"payoff": encode_matrix([[0, -1, 1], [1, 0, -1], [-1, 1, 0]])}  # rock-paper-scissors

_GAME_TYPE = pyspiel.GameType(
    short_name=SHORT_NAME,
    long_name="Latent matrix game (one shot, two players, zero sum)",
    dynamics=pyspiel.GameType.Dynamics.SEQUENTIAL,
    chance_mode=pyspiel.GameType.ChanceMode.DETERMINISTIC,
    information=pyspiel.GameType.Information.IMPERFECT_INFORMATION,
    utility=pyspiel.GameType.Utility.ZERO_SUM,
    reward_model=pyspiel.GameType.RewardModel.TERMINAL,
    max_num_players=2,
    min_num_players=2,
    provides_information_state_string=True,
    provides_information_state_tensor=True,
    provides_observation_string=True,
    provides_observation_tensor=False,
    parameter_specification=_PARAMS,
)


def matrix_game(payoff: Sequence[Sequence[float]]) -> LatentMatrixGame:
    """The latent game of a row-player payoff matrix (rows: player 0's latent ids, columns: player 1's)."""
    return pyspiel.load_game(SHORT_NAME, {"payoff": encode_matrix(payoff)})


class LatentMatrixGame(pyspiel.Game):
    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        params = {**_PARAMS, **(params or {})}
        self.payoff = decode_matrix(params["payoff"])
        self.shape = (len(self.payoff), len(self.payoff[0]))
        bound = max(abs(x) for row in self.payoff for x in row) or 1.0
        info = pyspiel.GameInfo(
            num_distinct_actions=max(self.shape),
            max_chance_outcomes=0,
            num_players=2,
            min_utility=-bound,
            max_utility=bound,
            utility_sum=0.0,
            max_game_length=2,
        )
        super().__init__(_GAME_TYPE, info, params)

    def new_initial_state(self) -> LatentMatrixState:
        return LatentMatrixState(self)

    def make_py_observer(self, iig_obs_type: Any = None, params: Any = None) -> _Observer:
        return _Observer(max(self.shape))

    def speech_role(self, key: str) -> str | None:
        """Every decision is a latent choice; the role is the seat (``player_0`` / ``player_1``)."""
        return f"player_{key[1]}"

    def num_latent(self, role: str) -> int:
        return self.shape[int(role.rsplit("_", 1)[1])]

    def player_role(self, state: LatentMatrixState, player: int) -> str:
        return f"player_{player}"


class LatentMatrixState(pyspiel.State):
    def __init__(self, game: LatentMatrixGame) -> None:
        super().__init__(game)
        self._picks: list[int] = []
        self._payoff = game.payoff

    def current_player(self) -> int:
        return pyspiel.PlayerId.TERMINAL if len(self._picks) == 2 else len(self._picks)

    def _legal_actions(self, player: int) -> list[int]:
        rows, cols = len(self._payoff), len(self._payoff[0])
        return list(range(rows if player == 0 else cols))

    def _apply_action(self, action: int) -> None:
        self._picks.append(action)

    def _action_to_string(self, player: int, action: int) -> str:
        return f"z{action}"

    def is_terminal(self) -> bool:
        return len(self._picks) == 2

    def returns(self) -> list[float]:
        if len(self._picks) < 2:
            return [0.0, 0.0]
        value = self._payoff[self._picks[0]][self._picks[1]]
        return [value, -value]

    def __str__(self) -> str:
        return " ".join(f"z{a}" for a in self._picks)


class _Observer:
    """A player knows only their own pick: the key is ``p<seat>`` plus that pick once made; the tensor is
    the seat one-hot (2) then the pick one-hot (``width`` = the larger side's number of latent ids)."""

    def __init__(self, width: int) -> None:
        self.tensor = np.zeros(2 + width, np.float32)
        self.dict = {"seat": self.tensor[:2], "pick": self.tensor[2:]}

    def set_from(self, state: LatentMatrixState, player: int) -> None:
        self.tensor.fill(0)
        self.dict["seat"][player] = 1
        for pick in state._picks[player : player + 1]:
            self.dict["pick"][pick] = 1

    def string_from(self, state: LatentMatrixState, player: int) -> str:
        mine = state._picks[player : player + 1]
        return f"p{player}" + "".join(f" z{a}" for a in mine)


pyspiel.register_game(_GAME_TYPE, LatentMatrixGame)
