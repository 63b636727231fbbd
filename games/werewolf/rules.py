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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from games.base import Event
from games.werewolf.config import (
    ROLE_TEAM,
    DeathReveal,
    Role,
    SpeakingOrder,
    Team,
    TieRule,
    WerewolfConfig,
)

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


def player_name(i: int) -> str:
    return f"player_{i}"


def player_index(name: str) -> int:
    """Inverse of :func:`player_name`; multi-digit ids are fine (``player_12``)."""
    prefix, _, digits = name.partition("_")
    if prefix != "player" or not digits.isdigit():
        raise ValueError(f"not a player name: {name!r}")
    return int(digits)


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

    # ---- queries -------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.roles)

    @property
    def is_over(self) -> bool:
        return self.phase is Phase.GAME_OVER

    def team(self, p: int) -> Team:
        return ROLE_TEAM[self.roles[p]]

    def living(self) -> list[int]:
        return [p for p in range(self.n) if self.alive[p]]

    def living_with(self, role: Role) -> list[int]:
        return [p for p in self.living() if self.roles[p] is role]

    def wolves(self) -> list[int]:
        return [p for p in range(self.n) if self.roles[p] is Role.WEREWOLF]

    def _wolf_audience(self) -> frozenset[str]:
        return frozenset(player_name(p) for p in self.living_with(Role.WEREWOLF))

    def to_act(self) -> tuple[int, ...]:
        """Players whose move is awaited; during the vote every living player who has not voted."""
        match self.phase:
            case Phase.NIGHT_WOLF_PROPOSE:
                return (self.living_with(Role.WEREWOLF)[0],)
            case Phase.NIGHT_WOLF_KILL:
                wolves = self.living_with(Role.WEREWOLF)
                return (wolves[1] if len(wolves) > 1 else wolves[0],)
            case Phase.NIGHT_SEER:
                return (self.living_with(Role.SEER)[0],)
            case Phase.NIGHT_DOCTOR:
                return (self.living_with(Role.DOCTOR)[0],)
            case Phase.DAY_DISCUSSION:
                return (self.speakers[0],)
            case Phase.DAY_VOTE:
                return tuple(p for p in self.living() if p not in self.votes)
            case _:
                return ()

    def legal_targets(self, p: int) -> tuple[int | None, ...]:
        """Legal choices for ``p`` in a discrete phase; ``None`` means abstain (votes only)."""
        self._require_turn(p)
        living = self.living()
        match self.phase:
            case Phase.NIGHT_WOLF_PROPOSE | Phase.NIGHT_WOLF_KILL:
                return tuple(q for q in living if self.roles[q] is not Role.WEREWOLF)
            case Phase.NIGHT_SEER:
                return tuple(q for q in living if q != p)
            case Phase.NIGHT_DOCTOR:
                return tuple(
                    q
                    for q in living
                    if (q != p or self.config.doctor_self_save)
                    and (q != self.last_protected or self.config.doctor_repeat_save)
                )
            case Phase.DAY_VOTE:
                return (*(q for q in living if q != p), None)
            case _:
                raise RulesError(f"{self.phase.value} takes speech, not a choice")

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
        if target not in self.legal_targets(p):
            raise RulesError(f"{player_name(p)} may not choose {target} in {self.phase.value}")
        handler = _CHOICE_HANDLERS[self.phase]
        handler(self, p, target)

    def speak(self, p: int, text: str, meta: Mapping[str, Any] | None = None) -> None:
        """A statement in the day's discussion; ``meta`` holds ground-truth labels for the log."""
        if self.phase is not Phase.DAY_DISCUSSION:
            raise RulesError(f"nobody speaks during {self.phase.value}")
        self._require_turn(p)
        self.log(
            "statement",
            {"speaker": player_name(p), "text": text, "day": self.day, "round": self.discussion_round},
            meta=meta or {},
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
        self.log("wolf_proposal", {"by": player_name(p), "target": player_name(target)}, self._wolf_audience())
        self.phase = Phase.NIGHT_WOLF_KILL

    def _wolf_kill(self, p: int, target: int | None) -> None:
        self.wolf_target = target
        self.log("wolf_kill", {"by": player_name(p), "target": player_name(target)}, self._wolf_audience())
        self._next_night_phase(after=Phase.NIGHT_WOLF_KILL)

    def _seer_check(self, p: int, target: int | None) -> None:
        assert target is not None
        self.seer_target = target
        is_wolf = self.roles[target] is Role.WEREWOLF
        self.log("seer_check", {"target": player_name(target), "is_werewolf": is_wolf}, frozenset({player_name(p)}))
        self._next_night_phase(after=Phase.NIGHT_SEER)

    def _doctor_protect(self, p: int, target: int | None) -> None:
        self.doctor_target = target
        self.log("doctor_protect", {"target": player_name(target)}, frozenset({player_name(p)}))
        self._next_night_phase(after=Phase.NIGHT_DOCTOR)

    def _vote(self, p: int, target: int | None) -> None:
        self.votes[p] = target
        self.log("vote", {"voter": player_name(p), "target": _name_or_none(target)}, frozenset({player_name(p)}))
        if len(self.votes) == len(self.living()):
            self._resolve_vote()

    # ---- transitions ---------------------------------------------------------------------------
    def _begin_night(self) -> None:
        self.day += 1
        self.wolf_proposal = self.wolf_target = self.seer_target = self.doctor_target = None
        self.log("night", {"day": self.day})
        two_wolves = len(self.living_with(Role.WEREWOLF)) > 1
        self.phase = Phase.NIGHT_WOLF_PROPOSE if two_wolves else Phase.NIGHT_WOLF_KILL

    def _next_night_phase(self, after: Phase) -> None:
        order = (Phase.NIGHT_WOLF_KILL, Phase.NIGHT_SEER, Phase.NIGHT_DOCTOR)
        for phase in order[order.index(after) + 1 :]:
            role = Role.SEER if phase is Phase.NIGHT_SEER else Role.DOCTOR
            if self.living_with(role):
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
                "wolf_target": _name_or_none(target),
                "protected": _name_or_none(self.doctor_target),
                "seer_checked": _name_or_none(self.seer_target),
                "saved": saved,
            },
            NOBODY,
        )
        announcement: dict[str, Any] = {"day": self.day, "killed": _name_or_none(killed)}
        if killed is not None:
            self.alive[killed] = False
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
        living = self.living()
        if self.config.discussion_order is SpeakingOrder.RANDOM:
            return [int(p) for p in self.rng.permutation(living)]
        return living

    def _begin_vote(self) -> None:
        self.phase = Phase.DAY_VOTE
        self.votes = {}

    def _resolve_vote(self) -> None:
        tally = Counter(t for t in self.votes.values() if t is not None)
        eliminated = self._eliminated(tally)
        result: dict[str, Any] = {
            "day": self.day,
            "votes": {player_name(v): _name_or_none(t) for v, t in sorted(self.votes.items())},
            "tally": {player_name(t): c for t, c in sorted(tally.items())},
            "eliminated": _name_or_none(eliminated),
        }
        if eliminated is not None:
            self.alive[eliminated] = False
            result.update(self._reveal(eliminated))
        self.log("vote_result", result)
        if eliminated is not None and self._check_win():
            return
        if self.day >= self.config.max_days:
            self._end(None, "day cap")
            return
        self._begin_night()

    def _eliminated(self, tally: Counter[int]) -> int | None:
        if not tally:
            return None
        top = max(tally.values())
        leaders = sorted(t for t, c in tally.items() if c == top)
        match self.config.tie_rule:
            case TieRule.RANDOM:
                return leaders[0] if len(leaders) == 1 else int(self.rng.choice(leaders))
            case TieRule.NO_ELIMINATION:
                return leaders[0] if len(leaders) == 1 else None
            case TieRule.STRICT_MAJORITY:
                return leaders[0] if top * 2 > len(self.living()) else None

    def _reveal(self, p: int) -> dict[str, str]:
        match self.config.death_reveal:
            case DeathReveal.ROLE:
                return {"revealed_role": self.roles[p].value}
            case DeathReveal.TEAM:
                return {"revealed_team": self.team(p).value}
            case _:
                return {}

    def _check_win(self) -> bool:
        wolves = len(self.living_with(Role.WEREWOLF))
        others = len(self.living()) - wolves
        if wolves == 0:
            self._end(Team.VILLAGE, "all werewolves dead")
        elif wolves >= others:
            self._end(Team.WEREWOLVES, "parity")
        return self.is_over

    def _end(self, winner: Team | None, reason: str) -> None:
        self.winner, self.end_reason, self.phase = winner, reason, Phase.GAME_OVER
        self.speakers = []
        self.log("game_over", {"winner": None if winner is None else winner.value, "reason": reason, "day": self.day})

    # ---- helpers -------------------------------------------------------------------------------
    def _require_turn(self, p: int) -> None:
        if p not in self.to_act():
            raise RulesError(f"it is not {player_name(p)}'s turn in {self.phase.value}")

    def log(
        self,
        kind: str,
        data: dict[str, Any],
        visible_to: frozenset[str] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        self.events.append(Event(kind, data, visible_to, meta or {}))


def _name_or_none(p: int | None) -> str | None:
    return None if p is None else player_name(p)


_CHOICE_HANDLERS = {
    Phase.NIGHT_WOLF_PROPOSE: WerewolfState._wolf_propose,
    Phase.NIGHT_WOLF_KILL: WerewolfState._wolf_kill,
    Phase.NIGHT_SEER: WerewolfState._seer_check,
    Phase.NIGHT_DOCTOR: WerewolfState._doctor_protect,
    Phase.DAY_VOTE: WerewolfState._vote,
}


def new_game(
    config: WerewolfConfig,
    rng: np.random.Generator | int,
    roles: Sequence[Role] | None = None,
) -> WerewolfState:
    """Deal roles (at random from ``rng`` unless ``roles`` fixes them) and open night 1."""
    rng = np.random.default_rng(rng) if isinstance(rng, int) else rng
    if roles is None:
        dealt = config.role_list()
        roles = [dealt[i] for i in rng.permutation(len(dealt))]
    elif Counter(roles) != Counter(config.role_list()):
        raise RulesError(f"roles {list(roles)} do not match the configured mix {config.role_counts()}")
    state = WerewolfState(config=config, roles=tuple(Role(r) for r in roles), rng=rng, alive=[True] * len(roles))
    names = [player_name(p) for p in range(state.n)]
    state.log("setup", {"players": names, "role_counts": {r.value: c for r, c in config.role_counts().items()}})
    wolves = [player_name(p) for p in state.wolves()]
    for p, name in enumerate(names):
        private: dict[str, Any] = {"player": name, "role": state.roles[p].value}
        if state.roles[p] is Role.WEREWOLF:
            private["teammates"] = [w for w in wolves if w != name]
        state.log("role", private, frozenset({name}))
    state._begin_night()
    return state
