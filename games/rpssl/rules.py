"""Rock-paper-scissors-Spock-lizard (RPSSL) rules: the moves and who beats whom.

The standard rules (Kass & Bryla's variant, popularised by *The Big Bang Theory*): scissors cuts
paper, paper covers rock, rock crushes lizard, lizard poisons Spock, Spock smashes scissors, scissors
decapitates lizard, lizard eats paper, paper disproves Spock, Spock vaporizes rock, rock crushes
scissors. Each move beats exactly two others and loses to the other two, so the unique Nash
equilibrium is uniform play with value 0 (LSPO, Xu et al., ICML 2025, uses it as a proof of concept).

The match is a pure, clone-able state machine (:class:`RPSSLState`): two players, ``config.rounds``
rounds. Each round both players declare a move at the same time: a declaration is logged for its
speaker alone, and once both are in, one public ``reveal`` event shows both statements, the moves they
were read as and the round's points. A statement that states no clear move (``parse.Parse.move`` is
``None``) plays the configured :class:`~games.rpssl.config.Fallback`, drawn in seat order at the reveal
(so the draws do not depend on who declared first) and counted per player. The higher total after the
last round wins; equal totals are a draw.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from games.base import EVERYONE, Event
from games.rpssl.config import Fallback, RPSSLConfig, Side

if TYPE_CHECKING:
    from games.rpssl.parse import Parse


class Move(StrEnum):
    ROCK = "rock"
    PAPER = "paper"
    SCISSORS = "scissors"
    SPOCK = "spock"
    LIZARD = "lizard"


MOVES: tuple[Move, ...] = tuple(Move)
"""All five moves in a fixed order (index = action id in the env)."""

VERBS: Mapping[tuple[Move, Move], str] = {
    (Move.SCISSORS, Move.PAPER): "cuts",
    (Move.PAPER, Move.ROCK): "covers",
    (Move.ROCK, Move.LIZARD): "crushes",
    (Move.LIZARD, Move.SPOCK): "poisons",
    (Move.SPOCK, Move.SCISSORS): "smashes",
    (Move.SCISSORS, Move.LIZARD): "decapitates",
    (Move.LIZARD, Move.PAPER): "eats",
    (Move.PAPER, Move.SPOCK): "disproves",
    (Move.SPOCK, Move.ROCK): "vaporizes",
    (Move.ROCK, Move.SCISSORS): "crushes",
}
"""(winner, loser) -> the verb of the rule, e.g. ``(SCISSORS, PAPER) -> "cuts"``."""

BEATS: Mapping[Move, frozenset[Move]] = {m: frozenset(b for a, b in VERBS if a == m) for m in MOVES}
"""Move -> the two moves it beats."""


def payoff(a: Move, b: Move) -> int:
    """+1 if ``a`` beats ``b``, -1 if ``b`` beats ``a``, 0 for a tie (the row player's payoff)."""
    if b in BEATS[a]:
        return 1
    if a in BEATS[b]:
        return -1
    return 0


def rule_text(a: Move, b: Move) -> str:
    """The rule that decides ``a`` against ``b``, e.g. ``"Spock vaporizes rock"``; ``""`` for a tie."""
    if (a, b) in VERBS:
        win, lose = a, b
    elif (b, a) in VERBS:
        win, lose = b, a
    else:
        return ""
    text = f"{display(win)} {VERBS[win, lose]} {display(lose)}"
    return text[0].upper() + text[1:]


def display(m: Move) -> str:
    """The move as written in prose (``"Spock"`` is a name, the rest are lower case)."""
    return "Spock" if m is Move.SPOCK else m.value


# ---- the match ------------------------------------------------------------------------------------
PLAYERS: tuple[str, str] = ("player_0", "player_1")
NOBODY: frozenset[str] = frozenset()
_ALONE = (frozenset({PLAYERS[0]}), frozenset({PLAYERS[1]}))


class RulesError(ValueError):
    """A declaration the rules do not allow now (the game is over, or the player already declared)."""


@dataclass(frozen=True)
class Declaration:
    """One player's hidden declaration for the current round."""

    text: str
    parse: Parse


@dataclass
class RPSSLState:
    """The full match state. Construct with :func:`new_game`; copy with :meth:`clone`."""

    config: RPSSLConfig
    sides: tuple[Side, Side]
    rng: np.random.Generator
    round: int = 1  # the round being played, 1-based
    pending: dict[int, Declaration] = field(default_factory=dict)  # this round's declarations, by seat
    moves: list[tuple[Move | None, Move | None]] = field(default_factory=list)  # played moves, per round
    totals: list[int] = field(default_factory=lambda: [0, 0])
    fallbacks: list[int] = field(default_factory=lambda: [0, 0])  # statements without a clear move
    winner: int | None = None
    over: bool = False
    end_reason: str = ""
    events: list[Event] = field(default_factory=list)

    # ---- queries -------------------------------------------------------------------------------
    def to_act(self) -> tuple[int, ...]:
        """Seats still to declare this round (both at the start of a round: they act simultaneously)."""
        return () if self.over else tuple(p for p in (0, 1) if p not in self.pending)

    def returns(self) -> list[float]:
        """+1 for the winner, -1 for the loser, 0 each for a draw or mid-game."""
        if self.winner is None:
            return [0.0, 0.0]
        return [1.0 if p == self.winner else -1.0 for p in (0, 1)]

    def clone(self) -> RPSSLState:
        return copy.deepcopy(self)

    # ---- moves ---------------------------------------------------------------------------------
    def declare(self, p: int, parse: Parse, text: str = "", meta: Mapping[str, Any] | None = None) -> None:
        """Player ``p`` says ``text``, read as ``parse``; ``meta`` holds ground-truth labels for the log."""
        if p not in self.to_act():
            raise RulesError(f"{PLAYERS[p]} may not declare now (round {self.round}, over={self.over})")
        self.pending[p] = Declaration(text, parse)
        self.log("statement", {"speaker": PLAYERS[p], "round": self.round, "text": text}, _ALONE[p], meta)
        if len(self.pending) == 2:
            self._reveal()

    def play(self, p: int, move: Move) -> None:
        """A declaration without talk: the move's name, read as that move (solvers, discrete envs)."""
        from games.rpssl.parse import Parse  # parse imports this module

        self.declare(p, Parse.stated(move), display(move))

    # ---- transitions ---------------------------------------------------------------------------
    def _reveal(self) -> None:
        played: list[Move | None] = []
        for p in (0, 1):  # seat order: the fallback draws do not depend on who declared first
            move = self.pending[p].parse.move
            if move is None:
                self.fallbacks[p] += 1
                if self.config.fallback is Fallback.RANDOM:
                    move = MOVES[int(self.rng.integers(len(MOVES)))]
            played.append(move)
        a, b = played
        # a forfeit (None) loses to any move; two forfeits tie
        points = payoff(a, b) if a is not None and b is not None else (a is not None) - (b is not None)
        self.totals[0] += points
        self.totals[1] -= points
        self.moves.append((a, b))
        self.log(
            "reveal",
            {
                "round": self.round,
                "statements": {PLAYERS[p]: self.pending[p].text for p in (0, 1)},
                "moves": {PLAYERS[p]: None if m is None else m.value for p, m in enumerate(played)},
                "parse": {PLAYERS[p]: self.pending[p].parse.status.value for p in (0, 1)},
                "fallback": {PLAYERS[p]: self.pending[p].parse.move is None for p in (0, 1)},
                "points": {PLAYERS[0]: points, PLAYERS[1]: -points},
                "totals": {PLAYERS[p]: self.totals[p] for p in (0, 1)},
                "rule": rule_text(a, b) if a is not None and b is not None else "",
            },
        )
        self.pending = {}
        if self.round >= self.config.rounds:
            self._end()
        else:
            self.round += 1

    def _end(self) -> None:
        t0, t1 = self.totals
        self.winner = None if t0 == t1 else (0 if t0 > t1 else 1)
        self.over, self.end_reason = True, "equal totals" if self.winner is None else "higher total"
        self.log(
            "game_over",
            {
                "winner": None if self.winner is None else PLAYERS[self.winner],
                "reason": self.end_reason,
                "rounds": self.round,
                "totals": {PLAYERS[p]: self.totals[p] for p in (0, 1)},
                "fallbacks": {PLAYERS[p]: self.fallbacks[p] for p in (0, 1)},
            },
        )

    def log(
        self, kind: str, data: dict[str, Any], visible_to: frozenset[str] | None = EVERYONE, meta: Any = None
    ) -> None:
        self.events.append(Event(kind, data, visible_to, meta or {}))


def new_game(
    config: RPSSLConfig, rng: np.random.Generator | int, sides: Sequence[Side | str] | None = None
) -> RPSSLState:
    """Seat the two players (``sides`` per seat; default red, blue) and open round 1. Nothing is dealt at
    random: ``rng`` only draws fallback moves."""
    rng = np.random.default_rng(rng) if isinstance(rng, int) else rng
    seated = (Side.RED, Side.BLUE) if sides is None else tuple(Side(s) for s in sides)
    if sorted(seated) != sorted(Side) or len(seated) != 2:
        raise RulesError(f"sides must be one red and one blue seat, got {list(seated)}")
    state = RPSSLState(config=config, sides=(seated[0], seated[1]), rng=rng)
    state.log(
        "setup",
        {
            "players": list(PLAYERS),
            "sides": {PLAYERS[p]: seated[p].value for p in (0, 1)},
            "rounds": config.rounds,
            "fallback": config.fallback.value,
        },
    )
    return state
