"""The contract between games, agents and the arena.

A game is a pure rules engine (``rules.py``, no text) plus a *session* that turns it into this
text-and-data interface. Everything that happens is an :class:`Event` with an explicit audience;
a player's :class:`Observation` is built only from the events visible to that player, so hidden
information cannot leak by construction (and ``tests/test_information_isolation.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

EVERYONE: frozenset[str] | None = None
"""``Event.visible_to`` value for public events."""


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of a match's event log.

    ``data`` is what the audience learns. ``visible_to`` is the audience (``None``: everyone;
    an empty set: nobody, e.g. private reasoning). ``meta`` is ground truth for analysis only
    (strategy labels, intents) and never reaches any observation.
    """

    kind: str
    data: Mapping[str, Any]
    visible_to: frozenset[str] | None = EVERYONE
    meta: Mapping[str, Any] = field(default_factory=dict)

    def visible(self, player: str) -> bool:
        return self.visible_to is None or player in self.visible_to

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "data": dict(self.data),
            "visible_to": None if self.visible_to is None else sorted(self.visible_to),
            "meta": dict(self.meta),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Event:
        vis = d.get("visible_to")
        return cls(d["kind"], d["data"], None if vis is None else frozenset(vis), d.get("meta", {}))


@dataclass(frozen=True)
class Observation:
    """What ONE player may know at one decision point, nothing more.

    ``text`` is what a language model reads; ``data`` is the structured view for scripted and
    neural agents. ``legal`` lists the legal move names, or is ``None`` when free-form talk is
    expected.
    """

    player: str
    phase: str
    text: str
    legal: tuple[str, ...] | None
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Action:
    """One move. ``text`` is a legal move name (e.g. ``"player_3"``, ``"abstain"``) or speech.

    ``reasoning`` is private (recorded, shown to nobody during play). ``label`` and ``intent`` are
    ground-truth strategy annotations from scripted agents, kept in the event log's ``meta`` only.
    """

    text: str
    reasoning: str = ""
    label: str | None = None
    intent: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


# ---- faster constructors for the per-move records ------------------------------------------------
# A game logs an event, and the PettingZoo env builds an action, at nearly every move. A frozen dataclass's
# generated __init__ sets each field through object.__setattr__; writing through the slot descriptors does
# the same in about 60% of the time. Same signatures and defaults (a fresh dict for an omitted `meta`).
_NO_META: Any = object()


def _event_init(set_kind: Any, set_data: Any, set_visible_to: Any, set_meta: Any) -> Any:
    def __init__(
        self: Event,
        kind: str,
        data: Mapping[str, Any],
        visible_to: frozenset[str] | None = EVERYONE,
        meta: Mapping[str, Any] = _NO_META,
    ) -> None:
        set_kind(self, kind)
        set_data(self, data)
        set_visible_to(self, visible_to)
        set_meta(self, {} if meta is _NO_META else meta)

    return __init__


def _action_init(set_text: Any, set_reasoning: Any, set_label: Any, set_intent: Any, set_meta: Any) -> Any:
    def __init__(
        self: Action,
        text: str,
        reasoning: str = "",
        label: str | None = None,
        intent: str | None = None,
        meta: Mapping[str, Any] = _NO_META,
    ) -> None:
        set_text(self, text)
        set_reasoning(self, reasoning)
        set_label(self, label)
        set_intent(self, intent)
        set_meta(self, {} if meta is _NO_META else meta)

    return __init__


def _slot_setters(cls: type, *names: str) -> list[Any]:
    return [getattr(cls, name).__set__ for name in names]


Event.__init__ = _event_init(*_slot_setters(Event, "kind", "data", "visible_to", "meta"))  # type: ignore[method-assign]
Action.__init__ = _action_init(*_slot_setters(Action, "text", "reasoning", "label", "intent", "meta"))  # type: ignore[method-assign]


@dataclass(frozen=True)
class Outcome:
    """How a finished match ended. ``winner`` is a team name, or ``None`` for a draw."""

    winner: str | None
    teams: Mapping[str, str]  # player -> team
    roles: Mapping[str, str]  # player -> role
    scores: Mapping[str, float]  # player -> +1 win, -1 loss, 0 draw
    length: int  # game-specific length unit (Werewolf: days played)
    reason: str  # e.g. "parity", "all werewolves dead", "day cap"

    def to_json(self) -> dict[str, Any]:
        return {
            "winner": self.winner,
            "teams": dict(self.teams),
            "roles": dict(self.roles),
            "scores": dict(self.scores),
            "length": self.length,
            "reason": self.reason,
        }


class IllegalAction(ValueError):
    """Raised by a session when an action is not legal for that player now."""


class GameSession(Protocol):
    """A match in progress, driven by the arena's match runner."""

    players: tuple[str, ...]
    events: list[Event]

    def to_act(self) -> tuple[str, ...]:
        """Players whose action is awaited now; several means they act simultaneously."""
        ...

    def observe(self, player: str) -> Observation: ...

    def step(self, player: str, action: Action) -> None:
        """Apply ``action``; raise :class:`IllegalAction` if it is not legal."""
        ...

    def is_over(self) -> bool: ...

    def outcome(self) -> Outcome: ...
