"""An RPSSL match as a :class:`games.base.GameSession`: rules + parser + per-player views + text.

Both players act at once at the start of each round (``to_act`` names both; the arena asks them
concurrently). A driver that steps them one after the other still hides the first statement: it is
logged for its speaker alone until the reveal. Observations are rebuilt from the events the player may
see (a match is a handful of events, so there is nothing worth caching).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from games.base import Action, Event, IllegalAction, Observation, Outcome
from games.rpssl.config import RPSSLConfig, Side
from games.rpssl.parse import parse_move
from games.rpssl.rules import MOVES, NOBODY, PLAYERS, RPSSLState, new_game
from games.rpssl.text import Phase, render_history, render_prompt


def view(events: Sequence[Event], me: str) -> dict[str, Any]:
    """The structured view of ``me`` from the events ``me`` may see (JSON-able; a fresh dict)."""
    setup = events[0].data
    opponent = next(p for p in setup["players"] if p != me) if me in setup["players"] else ""
    history: list[dict[str, Any]] = []
    pending: str | None = None
    for e in events:
        d = e.data
        if e.kind == "statement" and d["speaker"] == me:
            pending = d["text"]
        elif e.kind == "reveal" and opponent:
            pending = None
            history.append(
                {
                    "round": d["round"],
                    "my_statement": d["statements"][me],
                    "my_move": d["moves"][me],
                    "my_fallback": d["fallback"][me],
                    "opponent_statement": d["statements"][opponent],
                    "opponent_move": d["moves"][opponent],
                    "opponent_fallback": d["fallback"][opponent],
                    "points": d["points"][me],
                }
            )
    total = sum(h["points"] for h in history)  # zero-sum: the opponent's total is -total
    return {
        "player": me,
        "opponent": opponent,
        "side": setup["sides"].get(me),
        "rounds": setup["rounds"],
        "round": min(len(history) + 1, setup["rounds"]),
        "fallback": setup["fallback"],
        "moves": [m.value for m in MOVES],
        "history": history,
        "my_total": total,
        "opponent_total": -total,
        "my_statement": pending,  # this round's own statement, before the reveal
    }


class RPSSLSession:
    """Drives one match. ``seed`` (or a Generator) fixes every fallback draw; ``roles`` gives each seat's
    side (``red``/``blue``; the arena's schedule deals them), default ``player_0`` red."""

    def __init__(
        self,
        config: RPSSLConfig | None = None,
        seed: int | np.random.Generator = 0,
        roles: Sequence[Side | str] | None = None,
    ) -> None:
        self.config = config or RPSSLConfig()
        self.state: RPSSLState = new_game(self.config, seed, roles)
        self.players: tuple[str, ...] = PLAYERS

    @property
    def events(self) -> list[Event]:
        return self.state.events

    def to_act(self) -> tuple[str, ...]:
        return tuple(PLAYERS[p] for p in self.state.to_act())

    def legal(self, player: str) -> tuple[str, ...] | None:
        """Always ``None`` while ``player`` is to act: a move is stated in free text."""
        return None if player in self.to_act() else ()

    def visible_events(self, player: str) -> list[Event]:
        return [e for e in self.state.events if e.visible(player)]

    def phase(self, player: str) -> Phase:
        if self.state.over:
            return Phase.GAME_OVER
        return Phase.DECLARE if player in self.to_act() else Phase.WAITING

    def observe(self, player: str) -> Observation:
        events = self.visible_events(player)
        data = view(events, player)
        phase = self.phase(player)
        legal = None if phase is Phase.DECLARE else ()
        text = render_prompt(render_history(events, player), phase, data["round"], data["rounds"], data["opponent"])
        data["phase"] = phase.value
        data["legal"] = legal if legal is None else list(legal)
        return Observation(player=player, phase=phase.value, text=text, legal=legal, data=data)

    def step(self, player: str, action: Action) -> None:
        """Declare ``action.text``; the move is read by :func:`games.rpssl.parse.parse_move`."""
        if player not in self.to_act():
            raise IllegalAction(f"{player} may not speak now ({self.phase(player).value})")
        state, p = self.state, PLAYERS.index(player)
        if action.reasoning:
            state.log("reasoning", {"player": player, "round": state.round, "text": action.reasoning}, NOBODY)
        meta: dict[str, Any] = {k: v for k, v in (("label", action.label), ("intent", action.intent)) if v}
        meta.update(action.meta)
        state.declare(p, parse_move(action.text), action.text, meta)

    def is_over(self) -> bool:
        return self.state.over

    def outcome(self) -> Outcome:
        s = self.state
        sides: Mapping[str, str] = {PLAYERS[p]: s.sides[p].value for p in (0, 1)}
        return Outcome(
            winner=None if s.winner is None else s.sides[s.winner].value,
            teams=dict(sides),
            roles=dict(sides),
            scores=dict(zip(PLAYERS, s.returns(), strict=True)),
            length=len(s.moves),
            reason=s.end_reason or "in progress",
        )
