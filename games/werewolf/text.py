"""Text a language model reads: the rules summary, the public history, the current question, then who the
player is and what only they know.

Rendering only; the session (or :func:`render_observation`) picks the events each part may show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from games.base import Event
from games.werewolf.rules import Phase

ABSTAIN = "abstain"

RULES_SUMMARY = (
    "Werewolf rules: the game alternates night and day. At night the werewolves pick a victim, the Seer "
    "learns whether one player is a werewolf, and the Doctor protects one player (a protected victim "
    "survives). By day every living player speaks once, then all vote at the same time; the player with "
    "the most votes is eliminated. The village wins when every werewolf is dead; the werewolves win when "
    "they are as many as the others."
)

PHASE_QUESTIONS: dict[Phase, str] = {
    Phase.NIGHT_WOLF_PROPOSE: "It is night {day}. Propose a player for the werewolves to kill; your teammate decides.",
    Phase.NIGHT_WOLF_KILL: "It is night {day}. Choose the player the werewolves kill tonight.",
    Phase.NIGHT_SEER: "It is night {day}. Choose a player to check: you will learn if they are a werewolf.",
    Phase.NIGHT_DOCTOR: "It is night {day}. Choose a player to protect tonight.",
    Phase.DAY_DISCUSSION: "It is day {day}. It is your turn to speak to the other players.",
    Phase.DAY_VOTE: "It is day {day}. Vote for the player to eliminate, or abstain.",
    Phase.GAME_OVER: "The game is over.",
}


def _render_setup(d: Mapping[str, Any], me: str) -> str:
    return _table(tuple(d["players"]), tuple(d["role_counts"].items()))


@lru_cache(maxsize=64)  # every player of every game with the same seats reads the same table
def _table(players: tuple[str, ...], role_counts: tuple[tuple[str, int], ...]) -> str:
    counts = ", ".join(f"{c} × {r}" for r, c in role_counts if c)
    return f"Players: {', '.join(players)}. Roles in this game: {counts}."


def _render_role(d: Mapping[str, Any], me: str) -> str:
    line = f"Your role: {d['role']}."
    if d.get("teammates"):
        line += f" Your fellow werewolves: {', '.join(d['teammates'])}."
    elif d["role"] == "werewolf":
        line += " You are the only werewolf."
    return line


def _render_death_reveal(d: Mapping[str, Any]) -> str:
    if "revealed_role" in d:
        return f" They were a {d['revealed_role']}."
    if "revealed_team" in d:
        return f" They were on the {d['revealed_team']} team."
    return ""


def _render_announcement(d: Mapping[str, Any], me: str) -> str:
    if d["killed"] is None:
        return f"Morning of day {d['day']}: no one was killed last night."
    return f"Morning of day {d['day']}: {d['killed']} was killed last night.{_render_death_reveal(d)}"


def _render_vote_result(d: Mapping[str, Any], me: str) -> str:
    votes = ", ".join([f"{v}->{t or ABSTAIN}" for v, t in d["votes"].items()])
    outcome = f"{d['eliminated']} was eliminated." if d["eliminated"] else "No one was eliminated."
    return f"Day {d['day']} vote: {votes}. {outcome}{_render_death_reveal(d) if d['eliminated'] else ''}"


def _render_seer_check(d: Mapping[str, Any], me: str) -> str:
    verdict = "IS a werewolf" if d["is_werewolf"] else "is NOT a werewolf"
    return f"Your check: {d['target']} {verdict}."


def _render_statement(d: Mapping[str, Any], me: str) -> str:
    text = d["text"].replace("\n", " ").strip()  # one line per event
    return f'{d["speaker"]} said: "{text}"'


def _render_game_over(d: Mapping[str, Any], me: str) -> str:
    if d["winner"] is None:
        return f"The game ended in a draw ({d['reason']})."
    return f"The {d['winner']} won ({d['reason']})."


EVENT_RENDERERS = {  # a public event's line never depends on the reader ``me``: the session renders it once
    "setup": _render_setup,
    "role": _render_role,
    "night": lambda d, me: f"Night {d['day']} falls.",
    "day": lambda d, me: None,
    "wolf_proposal": lambda d, me: f"{d['by']} proposed killing {d['target']}.",
    "wolf_kill": lambda d, me: f"The werewolves ({d['by']} deciding) chose to kill {d['target']}.",
    "seer_check": _render_seer_check,
    "doctor_protect": lambda d, me: f"You protected {d['target']}.",
    "announcement": _render_announcement,
    "statement": _render_statement,
    "vote": lambda d, me: f"You voted for {d['target'] or 'nobody (abstained)'}.",
    "vote_result": _render_vote_result,
    "game_over": _render_game_over,
    "night_resolution": lambda d, me: None,
    "reasoning": lambda d, me: None,
    "identify": lambda d, me: None,
}


TIMED_KINDS = frozenset({"wolf_proposal", "wolf_kill", "seer_check", "doctor_protect", "vote"})
"""Private events whose line says when it happened ("Night 2: ..."): they are listed apart from the public
history, so their place in it no longer tells."""


def render_public(events: Iterable[Event]) -> list[str]:
    """The public history lines of a log, oldest first (the same for every reader)."""
    lines = (EVENT_RENDERERS[e.kind](e.data, "") for e in events if e.visible_to is None)
    return [line for line in lines if line]


def render_private(events: Iterable[Event], me: str) -> list[str]:
    """``me``'s private lines of a log, oldest first, each timed event prefixed with the night or day it
    happened in (:func:`when`)."""
    lines, time = [], ""
    for event in events:
        if event.kind in ("night", "day"):
            time = when(event)
        elif event.visible_to is not None and me in event.visible_to:
            line = private_line(event, me, time)
            if line:
                lines.append(line)
    return lines


def private_line(event: Event, me: str, time: str) -> str | None:
    """``me``'s line for a private event that happened at ``time`` ("Night 2"), dated if it is timed."""
    line = EVENT_RENDERERS[event.kind](event.data, me)
    return f"{time}: {line}" if line and event.kind in TIMED_KINDS else line


def when(event: Event) -> str:
    """The time a ``night`` or ``day`` event starts: "Night 2", "Day 2"."""
    return f"{event.kind.capitalize()} {event.data['day']}"


PROMPT_HEAD = RULES_SUMMARY + "\n"
"""The prompt before any history line (see :func:`render_prompt`)."""


def render_prompt(
    public: str, phase: Phase, day: int, legal: Sequence[str] | None, living: str, me: str, private: Sequence[str]
) -> str:
    """The full prompt body for one decision, in three parts, most shared first:

    1. ``public``: :data:`PROMPT_HEAD` and the public history lines, joined by newlines (every player of
       the game reads the same);
    2. the living players, the question and the legal choices (every player asked the same question at
       the same moment reads the same);
    3. who the player is and their private lines (:func:`render_private`).

    Shared parts first let a backend's prefix cache read a game's history once for all its players instead
    of once per player (vLLM's automatic prefix caching and SGLang's RadixAttention reuse only a common
    *prefix*); benchmarks/README.md measures it. ``living`` is the living players' names joined by ", ".
    """
    tail = _tail(living, phase, day, None if legal is None else tuple(legal))
    return "\n".join([public, tail, "", f"You are {me}.", *private])


@lru_cache(maxsize=4096)  # the players to speak in one round, and the same spots in other games, share one
def _tail(living: str, phase: Phase, day: int, legal: tuple[str, ...] | None) -> str:
    """The prompt after the history: a blank line, the living players, the question, the legal choices."""
    tail = ["", f"Living players: {living}.", PHASE_QUESTIONS[phase].format(day=day)]
    if legal is not None:
        tail.append(f"Legal choices: {', '.join(legal)}.")
    return "\n".join(tail)


def render_observation(
    me: str, events: Sequence[Event], phase: Phase, day: int, legal: Sequence[str] | None, living: Sequence[str]
) -> str:
    """The prompt of one decision rendered from scratch from the whole log (sessions build the same text
    incrementally; the tests compare the two)."""
    public = "\n".join([PROMPT_HEAD, *render_public(events)])
    return render_prompt(public, phase, day, legal, ", ".join(living), me, render_private(events, me))
