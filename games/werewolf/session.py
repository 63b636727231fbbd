"""A Werewolf match as a :class:`games.base.GameSession`: rules + per-player views + text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from games.base import Action, Event, IllegalAction, Observation, Outcome
from games.werewolf.config import Role, WerewolfConfig
from games.werewolf.rules import DISCRETE_PHASES, NOBODY, Phase, WerewolfState, new_game, player_index, player_name
from games.werewolf.text import ABSTAIN, render_history, render_observation
from games.werewolf.view import fold_view


def target_name(target: int | None) -> str:
    return ABSTAIN if target is None else player_name(target)


class WerewolfSession:
    """Drives one game. ``seed`` (or a Generator) fixes the role deal and every random tie break."""

    def __init__(
        self,
        config: WerewolfConfig | None = None,
        seed: int | np.random.Generator = 0,
        roles: Sequence[Role | str] | None = None,
    ) -> None:
        self.config = config or WerewolfConfig()
        self.state: WerewolfState = new_game(self.config, seed, None if roles is None else [Role(r) for r in roles])
        self.players = tuple(player_name(p) for p in range(self.state.n))

    @property
    def events(self) -> list[Event]:
        return self.state.events

    def to_act(self) -> tuple[str, ...]:
        return tuple(player_name(p) for p in self.state.to_act())

    def legal(self, player: str) -> tuple[str, ...] | None:
        """Legal move names, or ``None`` when the player is to speak."""
        if self.state.phase not in DISCRETE_PHASES:
            return None
        return tuple(target_name(t) for t in self.state.legal_targets(player_index(player)))

    def visible_events(self, player: str) -> list[Event]:
        return [e for e in self.state.events if e.visible(player)]

    def observe(self, player: str) -> Observation:
        events = self.visible_events(player)
        view = fold_view(player, events)
        acting = player in self.to_act()
        legal = self.legal(player) if acting else ()
        phase = self.state.phase if acting or self.state.is_over else Phase.GAME_OVER
        living = [p for p, alive in view["alive"].items() if alive]
        text = render_observation(player, phase, self.state.day, render_history(events, player), legal, living)
        view["phase"] = self.state.phase.value if acting else "waiting"
        view["legal"] = None if legal is None else list(legal)
        return Observation(player=player, phase=view["phase"], text=text, legal=legal, data=view)

    def step(self, player: str, action: Action) -> None:
        p = player_index(player)
        if p not in self.state.to_act():
            raise IllegalAction(f"it is not {player}'s turn ({self.state.phase.value})")
        if action.reasoning:
            self.state.log(
                "reasoning",
                {"player": player, "day": self.state.day, "phase": self.state.phase.value, "text": action.reasoning},
                NOBODY,
            )
        if self.state.phase is Phase.DAY_DISCUSSION:
            meta: dict[str, Any] = {k: v for k, v in (("label", action.label), ("intent", action.intent)) if v}
            meta.update(action.meta)
            self.state.speak(p, action.text, meta=meta)
            return
        legal = self.legal(player) or ()
        choice = action.text.strip()
        if choice not in legal:
            raise IllegalAction(f"{player} chose {choice!r}; legal: {', '.join(legal)}")
        self.state.choose(p, None if choice == ABSTAIN else player_index(choice))

    def is_over(self) -> bool:
        return self.state.is_over

    def outcome(self) -> Outcome:
        s = self.state
        return Outcome(
            winner=None if s.winner is None else s.winner.value,
            teams={player_name(p): s.team(p).value for p in range(s.n)},
            roles={player_name(p): s.roles[p].value for p in range(s.n)},
            scores={player_name(p): r for p, r in enumerate(s.returns())},
            length=s.day,
            reason=s.end_reason,
        )
