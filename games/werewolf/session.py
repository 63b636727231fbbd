"""A Werewolf match as a :class:`games.base.GameSession`: rules + per-player views + text.

Observations are built incrementally. The session reads each new event of the log once
(:class:`_PublicPass`): a public event is folded into one shared public view and rendered once into the
public history every player's prompt opens with; a public event that each reader folds for themselves is
queued for all, and a private event is queued in the inbox of each player in its audience. A player's
:class:`_Memory` then folds only their queued events and renders their private lines, which close their
prompt (:func:`games.werewolf.text.render_prompt`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from games.base import Action, Event, IllegalAction, Observation, Outcome
from games.werewolf.config import Role, WerewolfConfig
from games.werewolf.rules import DISCRETE_PHASES, NOBODY, Phase, WerewolfState, new_game, player_index, player_name
from games.werewolf.text import ABSTAIN, EVENT_RENDERERS, PROMPT_HEAD, private_line, render_prompt, when
from games.werewolf.view import FOLDERS, PUBLIC_FIELDS, SHARED_FOLDS, new_view, snapshot


def target_name(target: int | None) -> str:
    return ABSTAIN if target is None else player_name(target)


_DAY_DISCUSSION = Phase.DAY_DISCUSSION  # enum member lookups cost ~60 ns in Python 3.11
_NOTHING: list[tuple[int, Event, str]] = []  # the inbox of a player no private event was for (never appended to)


class _PublicPass:
    """One pass over the log for the whole session: what every player may know, folded and rendered once.

    ``view`` holds the :data:`PUBLIC_FIELDS` (and roles revealed at death) as of the end of the log;
    ``lines`` the public history lines; ``for_all`` the ``(position, event, time)`` of public events every
    reader folds alone, and ``inbox[player]`` those of the private events ``player`` may see (``time``:
    the night or day they happened in). A log rewritten in place (the conformance tests swap hidden events
    for canaries) no longer holds the event read last: the pass starts again and bumps ``generation``,
    which tells every player's memory to start again too.
    """

    def __init__(self) -> None:
        self.generation = 0
        self._restart()

    def _restart(self) -> None:
        self.generation += 1
        self.seen = 0  # events of the log already read
        self.last: Event | None = None  # the last of them
        self.view = new_view("")
        self.lines: list[str] = []
        self.for_all: list[tuple[int, Event, str]] = []
        self.inbox: dict[str, list[tuple[int, Event, str]]] = {}
        self.time = ""  # "Night 2" or "Day 2": the latest night or day event
        self.deaths = 0  # len(view["deaths"]) when `living` was joined
        self.living = ""  # the living players, joined by ", " (for the prompts)
        self._history = PROMPT_HEAD  # the public part of every prompt, as of `_joined` lines
        self._joined = 0

    def catch_up(self, events: Sequence[Event]) -> None:
        if self.seen and (self.seen > len(events) or events[self.seen - 1] is not self.last):
            self._restart()
        view, lines = self.view, self.lines
        for position in range(self.seen, len(events)):
            event = events[position]
            kind, audience = event.kind, event.visible_to
            if kind == "night" or kind == "day":
                self.time = when(event)
            if audience is not None:  # private: each reader folds and renders it
                for player in audience:
                    self.inbox.setdefault(player, []).append((position, event, self.time))
                continue
            if kind in SHARED_FOLDS:
                FOLDERS[kind](view, event.data)
            else:
                self.for_all.append((position, event, self.time))
            line = EVENT_RENDERERS[kind](event.data, "")
            if line:
                lines.append(line)
        if len(events) > self.seen:
            self.seen, self.last = len(events), events[-1]
        if len(view["deaths"]) != self.deaths or not self.living:  # only a death changes who is alive
            self.deaths = len(view["deaths"])
            self.living = ", ".join([p for p, alive in view["alive"].items() if alive])

    def history(self) -> str:
        """The rules and the public history lines, one per line: the opening every prompt of the game shares."""
        if self._joined < len(self.lines):
            self._history = "\n".join([self._history, *self.lines[self._joined :]])
            self._joined = len(self.lines)
        return self._history


class _Memory:
    """What one player knows: their view and private lines, brought up to date from a :class:`_PublicPass`.

    The view's :data:`PUBLIC_FIELDS` are the public pass's own objects (read them, never change them:
    :meth:`WerewolfSession.observe` hands out deep copies); the rest is folded here from the queued events
    this player may see. Each player has their own memory, and only their events reach it.
    """

    __slots__ = ("deaths", "for_all_seen", "generation", "inbox_seen", "player", "private", "view")

    def __init__(self, player: str) -> None:
        self.player = player
        self.generation = -1  # no public pass yet: catch_up starts from scratch

    def _forget(self, generation: int) -> None:
        self.generation = generation
        self.for_all_seen = self.inbox_seen = 0  # cursors into the public pass's lists
        self.view = new_view(self.player)
        self.private: list[str] = []  # this player's private lines, oldest first
        self.deaths = -1  # deaths merged into known_roles so far

    def catch_up(self, public: _PublicPass) -> None:
        if self.generation != public.generation:
            self._forget(public.generation)
        inbox = public.inbox.get(self.player, _NOTHING)
        if self.for_all_seen < len(public.for_all) or self.inbox_seen < len(inbox):  # none in the discussion
            self._fold_queued(public.for_all, inbox)
        view, shared = self.view, public.view
        if view["players"] is not shared["players"]:  # not linked yet (the setup event replaces them)
            view.update({key: shared[key] for key in PUBLIC_FIELDS})
        view["winner"] = shared["winner"]  # the one public field that is not a container
        if len(shared["deaths"]) != self.deaths:  # only a death reveals a role
            self.deaths = len(shared["deaths"])
            view["known_roles"].update(shared["known_roles"])

    def _fold_queued(self, for_all: list[tuple[int, Event, str]], inbox: list[tuple[int, Event, str]]) -> None:
        """Fold this player's newly queued events in log order, and render the private ones."""
        queued = for_all[self.for_all_seen :]
        if self.inbox_seen < len(inbox):  # merge the two by log position (unique, so events are never compared)
            queued = sorted(queued + inbox[self.inbox_seen :]) if queued else inbox[self.inbox_seen :]
        self.for_all_seen, self.inbox_seen = len(for_all), len(inbox)
        player, view = self.player, self.view
        for _, event, time in queued:
            FOLDERS[event.kind](view, event.data)
            if event.visible_to is not None:
                line = private_line(event, player, time)
                if line:
                    self.private.append(line)


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
        self.players = self.state.names
        self._seat = {name: p for p, name in enumerate(self.players)}
        self._public = _PublicPass()
        self._memories: dict[str, _Memory] = {}
        # The last `legal` answer, for one state, log length and player: every state change appends an
        # event, so the log length tells whether the state moved since (the env asks two or three times a move).
        self._legal_state: WerewolfState | None = None
        self._legal_version: tuple[int, str] = (-1, "")
        self._legal: tuple[str, ...] = ()

    @property
    def events(self) -> list[Event]:
        return self.state.events

    def to_act(self) -> tuple[str, ...]:
        return tuple(self.players[p] for p in self.state.to_act())

    def legal(self, player: str) -> tuple[str, ...] | None:
        """Legal move names, or ``None`` when the player is to speak."""
        state = self.state
        if state.phase not in DISCRETE_PHASES:
            return None
        version = (len(state.events), player)
        if state is not self._legal_state or version != self._legal_version:
            seat = self._seat.get(player)
            targets = state.legal_targets(player_index(player) if seat is None else seat)
            self._legal = tuple([ABSTAIN if t is None else self.players[t] for t in targets])
            self._legal_state, self._legal_version = state, version
        return self._legal

    def visible_events(self, player: str) -> list[Event]:
        return [e for e in self.state.events if e.visible(player)]

    def prompt(self, player: str) -> tuple[str, str, tuple[str, ...] | None, Mapping[str, Any]]:
        """``(phase, text, legal, view)``: what :meth:`observe` returns, without copying the view.

        ``view`` is ``player``'s live cached view: it changes as the game goes on, so read it before the
        next move and never change it (the PettingZoo env builds its arrays from it).
        """
        state = self.state
        memory = self._memories.get(player)
        if memory is None:
            memory = self._memories[player] = _Memory(player)
        self._public.catch_up(state.events)
        memory.catch_up(self._public)
        seat = self._seat.get(player)
        acting = seat is not None and state.is_turn(seat)
        legal = self.legal(player) if acting else ()
        # A player who is not to act is shown the closing question (the game is over for them, for now).
        question = state.phase if acting else Phase.GAME_OVER
        public = self._public
        text = render_prompt(public.history(), question, state.day, legal, public.living, player, memory.private)
        phase = str(state.phase) if acting or state.is_over else "waiting"  # str(): the value, faster
        return phase, text, legal, memory.view

    def observe(self, player: str) -> Observation:
        phase, text, legal, view = self.prompt(player)
        data = snapshot(view)
        data["phase"] = phase
        data["legal"] = None if legal is None else list(legal)
        return Observation(player=player, phase=phase, text=text, legal=legal, data=data)

    def step(self, player: str, action: Action) -> None:
        state = self.state
        p = self._seat.get(player)
        p = player_index(player) if p is None else p  # a name that is no player's raises ValueError
        if not state.is_turn(p):
            raise IllegalAction(f"it is not {player}'s turn ({state.phase.value})")
        if action.reasoning:
            state.log(
                "reasoning",
                {"player": player, "day": state.day, "phase": state.phase.value, "text": action.reasoning},
                NOBODY,
            )
        if "identify" in action.meta:  # an agent's private answer to a probe (e.g. "who is a wolf?")
            answer = {"player": player, "day": state.day, "phase": state.phase.value, **action.meta["identify"]}
            state.log("identify", answer, NOBODY)
        if state.phase is _DAY_DISCUSSION:
            meta: dict[str, Any] | None = None
            if action.label or action.intent or action.meta:
                meta = {k: v for k, v in (("label", action.label), ("intent", action.intent)) if v}
                meta.update(action.meta)
            state.speak(p, action.text, meta=meta)
            return
        legal = self.legal(player) or ()
        choice = action.text.strip()
        if choice not in legal:
            raise IllegalAction(f"{player} chose {choice!r}; legal: {', '.join(legal)}")
        state.choose(p, None if choice == ABSTAIN else self._seat[choice])

    def is_over(self) -> bool:
        return self.state.is_over

    def outcome(self) -> Outcome:
        s = self.state
        return Outcome(
            winner=None if s.winner is None else str(s.winner),
            teams={name: str(s.team(p)) for p, name in enumerate(self.players)},
            roles={name: str(s.roles[p]) for p, name in enumerate(self.players)},
            scores=dict(zip(self.players, s.returns(), strict=True)),
            length=s.day,
            reason=s.end_reason,
        )
