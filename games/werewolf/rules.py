"""Werewolf rules as a pure, clone-able state machine (no text rendering here).

Rules follow LSPO (Xu et al., ICML 2025, arXiv 2502.04686) = SLA (arXiv 2310.18940): the game starts at
night; the lower-id wolf proposes a target and the other wolf decides; the Seer learns "werewolf or
not"; a Doctor save cancels the kill; each living player speaks once a day in ascending id order; the
vote is simultaneous with abstention allowed and a public tally; wolves win at parity (living wolves
>= living others), the village when every wolf is dead, checked after every death. Variants come
from :class:`WerewolfConfig`; a game still running after ``max_days`` is a draw.

Everything that happens is appended to ``events`` with its audience; sessions build observations
from those events only.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

import numpy as np

from games.base import EVERYONE, Event
from games.werewolf.config import ROLE_TEAM, DeathReveal, Role, SpeakingOrder, Team, TieRule, WerewolfConfig

NOBODY: frozenset[str] = frozenset()


class Phase(StrEnum):
    NIGHT_WOLF_PROPOSE = "night_wolf_propose"
    NIGHT_WOLF_KILL = "night_wolf_kill"
    NIGHT_SEER = "night_seer"
    NIGHT_DOCTOR = "night_doctor"
    DAY_DISCUSSION = "day_discussion"
    DAY_VOTE = "day_vote"
    GAME_OVER = "game_over"


DISCRETE_PHASES = frozenset(Phase) - {Phase.DAY_DISCUSSION, Phase.GAME_OVER}
# Enum member lookups are slow in Python 3.11 (~60 ns); the per-move paths use these aliases.
_GAME_OVER, _DAY_VOTE, _DAY_DISCUSSION = Phase.GAME_OVER, Phase.DAY_VOTE, Phase.DAY_DISCUSSION
# Night phases of a single role (config allows at most one seer and one doctor).
_NIGHT_ROLE = {Phase.NIGHT_SEER: Role.SEER, Phase.NIGHT_DOCTOR: Role.DOCTOR}
_SINGLE_ROLES = frozenset(_NIGHT_ROLE.values())


def player_name(i: int) -> str:
    return f"player_{i}"


def player_index(name: str) -> int:
    """Inverse of :func:`player_name`; multi-digit ids are fine (``player_12``)."""
    prefix, _, digits = name.partition("_")
    if prefix != "player" or not digits.isdigit():
        raise ValueError(f"not a player name: {name!r}")
    return int(digits)


@cache
def _seats(n: int) -> tuple[tuple[str, ...], tuple[frozenset[str], ...]]:
    """Player names and each player's own audience; immutable, so every game of ``n`` shares them."""
    names = tuple(player_name(p) for p in range(n))
    return names, tuple(frozenset({name}) for name in names)


class RulesError(ValueError):
    """An action that the rules do not allow at this point."""


@dataclass
class WerewolfState:
    """The full game state. Construct with :func:`new_game`; copy with :meth:`clone`."""

    config: WerewolfConfig
    roles: tuple[Role, ...]
    rng: np.random.Generator
    alive: list[bool]
    day: int = 0  # night d is followed by day d; the game opens on night 1
    phase: Phase = Phase.NIGHT_WOLF_PROPOSE
    speakers: list[int] = field(default_factory=list)  # still to speak today, in order
    discussion_round: int = 0
    votes: dict[int, int | None] = field(default_factory=dict)
    wolf_proposal: int | None = None
    wolf_target: int | None = None
    seer_target: int | None = None
    doctor_target: int | None = None
    last_protected: int | None = None
    winner: Team | None = None
    end_reason: str = ""
    events: list[Event] = field(default_factory=list)
    # Caches derived from `roles` and `alive` (built in __post_init__, updated by `_kill`, the only place
    # a player dies). They are plain fields, so `clone` (a deep copy) copies them with the rest.
    _living: list[int] = field(init=False, repr=False, compare=False)
    _living_wolves: list[int] = field(init=False, repr=False, compare=False)
    _is_wolf: tuple[bool, ...] = field(init=False, repr=False, compare=False)
    _seat_of: dict[Role, int] = field(init=False, repr=False, compare=False)  # the seer's and doctor's seats
    _names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _alone: tuple[frozenset[str], ...] = field(init=False, repr=False, compare=False)  # each one's audience

    def __post_init__(self) -> None:
        self._is_wolf = tuple([role is Role.WEREWOLF for role in self.roles])
        self._seat_of = {role: p for p, role in enumerate(self.roles) if role in _SINGLE_ROLES}
        self._living = [p for p in range(self.n) if self.alive[p]]
        self._living_wolves = [p for p in self._living if self._is_wolf[p]]
        self._names, self._alone = _seats(self.n)

    # ---- queries -------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.roles)

    @property
    def is_over(self) -> bool:
        return self.phase is _GAME_OVER

    def team(self, p: int) -> Team:
        return ROLE_TEAM[self.roles[p]]

    def living(self) -> list[int]:
        return list(self._living)

    @property
    def names(self) -> tuple[str, ...]:
        """Every player's name, by seat (``player_0`` ...)."""
        return self._names

    def living_with(self, role: Role) -> list[int]:
        return [p for p in self._living if self.roles[p] is role]

    def wolves(self) -> list[int]:
        return [p for p in range(self.n) if self._is_wolf[p]]

    def _wolf_audience(self) -> frozenset[str]:
        return frozenset(self._names[p] for p in self._living_wolves)

    def to_act(self) -> tuple[int, ...]:
        """Players whose move is awaited; during the vote every living player who has not voted."""
        return _ACTORS[self.phase](self)

    def is_turn(self, p: int) -> bool:
        """``p in to_act()``, without building a tuple in the day phases (most moves)."""
        if self.phase is _DAY_DISCUSSION:
            return p == self.speakers[0]
        if self.phase is _DAY_VOTE:
            return p in self._living and p not in self.votes
        return p in _ACTORS[self.phase](self)

    def legal_targets(self, p: int) -> tuple[int | None, ...]:
        """Legal choices for ``p`` in a discrete phase; ``None`` means abstain (votes only)."""
        return _TARGETS[self._choice_phase(p)](self, p)

    def returns(self) -> list[float]:
        """+1 for the winning team, -1 for the losers, 0 for everyone in a draw or mid-game."""
        if self.winner is None:
            return [0.0] * self.n
        return [1.0 if self.team(p) is self.winner else -1.0 for p in range(self.n)]

    def clone(self) -> WerewolfState:
        return copy.deepcopy(self)

    # ---- moves ---------------------------------------------------------------------------------
    def choose(self, p: int, target: int | None) -> None:
        """A discrete move: night target, or vote (``None`` = abstain)."""
        phase = self._choice_phase(p)
        if not _ALLOWS[phase](self, p, target):  # `target in legal_targets(p)`, without building the tuple
            raise RulesError(f"{player_name(p)} may not choose {target} in {self.phase.value}")
        _APPLY[phase](self, p, target)

    def speak(self, p: int, text: str, meta: Mapping[str, Any] | None = None) -> None:
        """A statement in the day's discussion; ``meta`` holds ground-truth labels for the log."""
        if self.phase is not _DAY_DISCUSSION:
            raise RulesError(f"nobody speaks during {self.phase.value}")
        if p != self.speakers[0]:  # is_turn(p) in the discussion
            raise RulesError(f"it is not {player_name(p)}'s turn in {self.phase.value}")
        self.log(
            "statement",
            {"speaker": self._names[p], "text": text, "day": self.day, "round": self.discussion_round},
            EVERYONE,
            meta,
        )
        self.speakers.pop(0)
        if not self.speakers:
            self.discussion_round += 1
            if self.discussion_round < self.config.discussion_rounds:
                self.speakers = self._speaking_order()
            else:
                self._begin_vote()

    # ---- phase handlers ------------------------------------------------------------------------
    def _wolf_propose(self, p: int, target: int | None) -> None:
        self.wolf_proposal = target
        self.log("wolf_proposal", {"by": self._names[p], "target": self._names[target]}, self._wolf_audience())
        self.phase = Phase.NIGHT_WOLF_KILL

    def _wolf_kill(self, p: int, target: int | None) -> None:
        self.wolf_target = target
        self.log("wolf_kill", {"by": self._names[p], "target": self._names[target]}, self._wolf_audience())
        self._next_night_phase(after=Phase.NIGHT_WOLF_KILL)

    def _seer_check(self, p: int, target: int | None) -> None:
        assert target is not None
        self.seer_target = target
        is_wolf = self._is_wolf[target]
        self.log("seer_check", {"target": self._names[target], "is_werewolf": is_wolf}, self._alone[p])
        self._next_night_phase(after=Phase.NIGHT_SEER)

    def _doctor_protect(self, p: int, target: int | None) -> None:
        self.doctor_target = target
        self.log("doctor_protect", {"target": self._names[target]}, self._alone[p])
        self._next_night_phase(after=Phase.NIGHT_DOCTOR)

    def _vote(self, p: int, target: int | None) -> None:
        self.votes[p] = target
        self.log("vote", {"voter": self._names[p], "target": self._name_or_none(target)}, self._alone[p])
        if len(self.votes) == len(self._living):
            self._resolve_vote()

    # ---- transitions ---------------------------------------------------------------------------
    def _begin_night(self) -> None:
        self.day += 1
        self.wolf_proposal = self.wolf_target = self.seer_target = self.doctor_target = None
        self.log("night", {"day": self.day})
        two_wolves = len(self._living_wolves) > 1
        self.phase = Phase.NIGHT_WOLF_PROPOSE if two_wolves else Phase.NIGHT_WOLF_KILL

    def _next_night_phase(self, after: Phase) -> None:
        order = (Phase.NIGHT_WOLF_KILL, Phase.NIGHT_SEER, Phase.NIGHT_DOCTOR)
        for phase in order[order.index(after) + 1 :]:
            seat = self._seat_of.get(_NIGHT_ROLE[phase])
            if seat is not None and self.alive[seat]:
                self.phase = phase
                return
        self._resolve_night()

    def _resolve_night(self) -> None:
        target = self.wolf_target
        saved = target is not None and target == self.doctor_target
        killed = None if saved else target
        self.last_protected = self.doctor_target
        self.log(
            "night_resolution",
            {
                "day": self.day,
                "wolf_target": self._name_or_none(target),
                "protected": self._name_or_none(self.doctor_target),
                "seer_checked": self._name_or_none(self.seer_target),
                "saved": saved,
            },
            NOBODY,
        )
        announcement: dict[str, Any] = {"day": self.day, "killed": self._name_or_none(killed)}
        if killed is not None:
            self._kill(killed)
            announcement.update(self._reveal(killed))
        self.log("announcement", announcement)
        if killed is not None and self._check_win():
            return
        self._begin_day()

    def _begin_day(self) -> None:
        self.discussion_round = 0
        self.votes = {}
        self.log("day", {"day": self.day})
        if self.config.discussion_rounds == 0:
            self._begin_vote()
            return
        self.phase = Phase.DAY_DISCUSSION
        self.speakers = self._speaking_order()

    def _speaking_order(self) -> list[int]:
        living = list(self._living)  # a copy: speakers are popped as they speak
        if self.config.discussion_order is SpeakingOrder.RANDOM:
            return [int(p) for p in self.rng.permutation(living)]
        return living

    def _begin_vote(self) -> None:
        self.phase = Phase.DAY_VOTE
        self.votes = {}

    def _resolve_vote(self) -> None:
        tally: dict[int, int] = {}  # target -> votes (abstentions left out)
        for t in self.votes.values():
            if t is not None:
                tally[t] = tally.get(t, 0) + 1
        eliminated = self._eliminated(tally)
        result: dict[str, Any] = {
            "day": self.day,
            "votes": {self._names[v]: self._name_or_none(t) for v, t in sorted(self.votes.items())},
            "tally": {self._names[t]: c for t, c in sorted(tally.items())},
            "eliminated": self._name_or_none(eliminated),
        }
        if eliminated is not None:
            self._kill(eliminated)
            result.update(self._reveal(eliminated))
        self.log("vote_result", result)
        if eliminated is not None and self._check_win():
            return
        if self.day >= self.config.max_days:
            self._end(None, "day cap")
            return
        self._begin_night()

    def _eliminated(self, tally: dict[int, int]) -> int | None:
        if not tally:
            return None
        top = max(tally.values())
        leaders = sorted(t for t, c in tally.items() if c == top)
        match self.config.tie_rule:
            case TieRule.RANDOM:
                # leaders[integers(k)] draws exactly what rng.choice(leaders) draws, at a fifth of the cost
                return leaders[0] if len(leaders) == 1 else leaders[int(self.rng.integers(len(leaders)))]
            case TieRule.NO_ELIMINATION:
                return leaders[0] if len(leaders) == 1 else None
            case TieRule.STRICT_MAJORITY:
                return leaders[0] if top * 2 > len(self._living) else None

    def _reveal(self, p: int) -> dict[str, str]:
        match self.config.death_reveal:
            case DeathReveal.ROLE:
                return {"revealed_role": self.roles[p].value}
            case DeathReveal.TEAM:
                return {"revealed_team": self.team(p).value}
            case _:
                return {}

    def _check_win(self) -> bool:
        wolves = len(self._living_wolves)
        others = len(self._living) - wolves
        if wolves == 0:
            self._end(Team.VILLAGE, "all werewolves dead")
        elif wolves >= others:
            self._end(Team.WEREWOLVES, "parity")
        return self.is_over

    def _end(self, winner: Team | None, reason: str) -> None:
        self.winner, self.end_reason, self.phase = winner, reason, Phase.GAME_OVER
        self.speakers = []
        self.log("game_over", {"winner": None if winner is None else winner.value, "reason": reason, "day": self.day})

    def _kill(self, p: int) -> None:
        """The only way a player dies: keeps the living caches in step with ``alive``."""
        self.alive[p] = False
        self._living.remove(p)
        if self._is_wolf[p]:
            self._living_wolves.remove(p)

    # ---- helpers -------------------------------------------------------------------------------
    def _name_or_none(self, p: int | None) -> str | None:
        return None if p is None else self._names[p]

    def _choice_phase(self, p: int) -> Phase:
        """The current phase, once it is checked that it takes a choice and that ``p`` is to choose now."""
        if not self.is_turn(p):
            raise RulesError(f"it is not {player_name(p)}'s turn in {self.phase.value}")
        if self.phase not in _APPLY:
            raise RulesError(f"{self.phase.value} takes speech, not a choice")
        return self.phase

    def log(self, kind: str, data: dict[str, Any], visible_to: frozenset[str] | None = None, meta: Any = None) -> None:
        self.events.append(Event(kind, data, visible_to, meta or {}))


# ---- per-phase rules, dispatched on the phase ----------------------------------------------------
# Who acts: the lower-id living wolf proposes and the next one decides (a lone wolf does both); during
# the vote, every living player who has not voted yet.
_ACTORS: dict[Phase, Callable[[WerewolfState], tuple[int, ...]]] = {
    Phase.NIGHT_WOLF_PROPOSE: lambda s: (s._living_wolves[0],),
    Phase.NIGHT_WOLF_KILL: lambda s: (s._living_wolves[1] if len(s._living_wolves) > 1 else s._living_wolves[0],),
    Phase.NIGHT_SEER: lambda s: (s._seat_of[Role.SEER],),  # the phase is skipped when the seer is dead
    Phase.NIGHT_DOCTOR: lambda s: (s._seat_of[Role.DOCTOR],),
    Phase.DAY_DISCUSSION: lambda s: (s.speakers[0],),
    Phase.DAY_VOTE: lambda s: tuple([p for p in s._living if p not in s.votes]),
    Phase.GAME_OVER: lambda s: (),
}


def _doctor_may_protect(s: WerewolfState, p: int, q: int | None) -> bool:
    config = s.config
    return (
        q in s._living and (q != p or config.doctor_self_save) and (q != s.last_protected or config.doctor_repeat_save)
    )


# The discrete phases: legal targets; an O(1) test of one target (the same answer as membership in the
# targets, without building them); the handler that applies the move.
_TARGETS: dict[Phase, Callable[[WerewolfState, int], tuple[int | None, ...]]] = {
    Phase.NIGHT_WOLF_PROPOSE: lambda s, p: tuple([q for q in s._living if not s._is_wolf[q]]),
    Phase.NIGHT_WOLF_KILL: lambda s, p: tuple([q for q in s._living if not s._is_wolf[q]]),
    Phase.NIGHT_SEER: lambda s, p: tuple([q for q in s._living if q != p]),
    Phase.NIGHT_DOCTOR: lambda s, p: tuple([q for q in s._living if _doctor_may_protect(s, p, q)]),
    Phase.DAY_VOTE: lambda s, p: (*[q for q in s._living if q != p], None),
}
_ALLOWS: dict[Phase, Callable[[WerewolfState, int, int | None], bool]] = {
    Phase.NIGHT_WOLF_PROPOSE: lambda s, p, q: q in s._living and not s._is_wolf[q],
    Phase.NIGHT_WOLF_KILL: lambda s, p, q: q in s._living and not s._is_wolf[q],
    Phase.NIGHT_SEER: lambda s, p, q: q != p and q in s._living,
    Phase.NIGHT_DOCTOR: _doctor_may_protect,
    Phase.DAY_VOTE: lambda s, p, q: q is None or (q != p and q in s._living),
}
_APPLY: dict[Phase, Callable[[WerewolfState, int, int | None], None]] = {
    Phase.NIGHT_WOLF_PROPOSE: WerewolfState._wolf_propose,
    Phase.NIGHT_WOLF_KILL: WerewolfState._wolf_kill,
    Phase.NIGHT_SEER: WerewolfState._seer_check,
    Phase.NIGHT_DOCTOR: WerewolfState._doctor_protect,
    Phase.DAY_VOTE: WerewolfState._vote,
}


def new_game(
    config: WerewolfConfig, rng: np.random.Generator | int, roles: Sequence[Role] | None = None
) -> WerewolfState:
    """Deal roles (at random from ``rng`` unless ``roles`` fixes them) and open night 1."""
    rng = np.random.default_rng(rng) if isinstance(rng, int) else rng
    if roles is None:
        dealt = config.role_list()
        order = list(range(len(dealt)))
        rng.shuffle(order)  # the same draws and order as rng.permutation(n), at half the cost
        roles = tuple(dealt[i] for i in order)
    elif Counter(roles) != Counter(config.role_list()):
        raise RulesError(f"roles {list(roles)} do not match the configured mix {config.role_counts()}")
    else:
        roles = tuple(Role(r) for r in roles)
    state = WerewolfState(config=config, roles=roles, rng=rng, alive=[True] * len(roles))
    names = list(state._names)
    state.log("setup", {"players": names, "role_counts": {str(r): c for r, c in config.role_counts().items()}})
    wolves = [names[p] for p in state.wolves()]
    for p, name in enumerate(names):
        private: dict[str, Any] = {"player": name, "role": str(state.roles[p])}
        if state._is_wolf[p]:
            private["teammates"] = [w for w in wolves if w != name]
        state.log("role", private, state._alone[p])
    state._begin_night()
    return state
