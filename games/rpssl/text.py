"""Text a language model reads: the rules, the rounds revealed so far and the question "what do you play?".

Rendering only; the content comes from events already filtered to what the player may see. Every
renderer takes ``(event data, reader)``; a reader who is not a player (``""``, the omniscient log of
``arena play``) sees names instead of "you".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from games.base import Event
from games.rpssl.config import Fallback
from games.rpssl.rules import MOVES, VERBS, display


class Phase(StrEnum):
    DECLARE = "declare"  # say what you play this round
    WAITING = "waiting"  # you have spoken; the opponent has not
    GAME_OVER = "game_over"


MOVE_LIST = ", ".join(display(m) for m in MOVES[:-1]) + f" or {display(MOVES[-1])}"
RULES_LIST = "; ".join(f"{display(a)} {verb} {display(b)}" for (a, b), verb in VERBS.items())

RULES_SUMMARY = (
    "Rock-paper-scissors-Spock-lizard rules: two players; each round both say, in their own words, which "
    f"move they play: {MOVE_LIST}. Each move beats two others and loses to the other two: {RULES_LIST}. "
    "Neither player hears the other's statement until both have spoken; then both statements and the moves "
    "read from them are revealed. A win scores +1, a loss -1, a tie 0; the higher total after the last "
    "round wins the match."
)

FALLBACK_RULE = {
    Fallback.RANDOM: "A statement that names no single clear move plays a random move.",
    Fallback.FORFEIT: "A statement that names no single clear move loses the round.",
}


def _opponent(players: Sequence[str], me: str) -> str:
    return next(p for p in players if p != me)


def _who(player: str, me: str) -> str:
    return "you" if player == me else player


def _render_setup(d: Mapping[str, Any], me: str) -> str:
    rounds = d["rounds"]
    match = "one round" if rounds == 1 else f"{rounds} rounds"
    fallback = FALLBACK_RULE[Fallback(d["fallback"])]
    if me in d["players"]:
        return f"{fallback} This match has {match}. You are {me}; your opponent is {_opponent(d['players'], me)}."
    return f"{fallback} This match has {match}. Players: {', '.join(d['players'])}."


def _render_statement(d: Mapping[str, Any], me: str) -> str:
    text = " ".join(d["text"].split())  # one line per event
    speaker = "You" if d["speaker"] == me else d["speaker"]
    return f'Round {d["round"]}: {speaker} said: "{text}" (hidden until both have spoken).'


def _played(move: str | None, fallback: bool) -> str:
    if move is None:
        return "no clear move (forfeit)"
    name = "Spock" if move == "spock" else move
    return f"{name} (no clear move was stated, so a random move)" if fallback else name


def _render_reveal(d: Mapping[str, Any], me: str) -> str:
    players = list(d["statements"])
    if me in players:  # the reader first
        players.sort(key=lambda p: p != me)
    parts = []
    for p in players:
        said = " ".join(d["statements"][p].split())
        parts.append(f'{_who(p, me)} said "{said}" and played {_played(d["moves"][p], d["fallback"][p])}')
    winners = [p for p, points in d["points"].items() if points > 0]
    result = "a tie" if not winners else f"{_who(winners[0], me)} won the round"
    verdict = f"{d['rule']}: {result}" if d["rule"] else result[0].upper() + result[1:]
    score = ", ".join(f"{_who(p, me)} {d['totals'][p]}" for p in players)
    return f"Round {d['round']} revealed: {'; '.join(parts)}. {verdict}. Score: {score}."


def _render_game_over(d: Mapping[str, Any], me: str) -> str:
    totals = ", ".join(f"{_who(p, me)} {t}" for p, t in d["totals"].items())
    if d["winner"] is None:
        return f"The match is a draw ({totals})."
    winner = "You" if d["winner"] == me else d["winner"]
    return f"{winner} won the match ({totals})."


EVENT_RENDERERS = {
    "setup": _render_setup,
    "statement": _render_statement,
    "reveal": _render_reveal,
    "game_over": _render_game_over,
    "reasoning": lambda d, me: None,
}


def render_history(events: Sequence[Event], me: str) -> list[str]:
    """One line per visible event, oldest first; a statement only until its round is revealed (the reveal
    repeats it)."""
    revealed = {e.data["round"] for e in events if e.kind == "reveal"}
    shown = (e for e in events if e.kind != "statement" or e.data["round"] not in revealed)
    lines = (EVENT_RENDERERS[e.kind](e.data, me) for e in shown)
    return [line for line in lines if line]


def question(phase: Phase, round_: int, rounds: int, opponent: str) -> str:
    match phase:
        case Phase.DECLARE:
            return (
                f"Round {round_} of {rounds}. Say what you play this round: {MOVE_LIST}. {opponent} will not hear "
                "it until they have spoken too."
            )
        case Phase.WAITING:
            return f"Round {round_} of {rounds}. You have spoken; waiting for {opponent}."
        case Phase.GAME_OVER:
            return "The match is over."


def render_prompt(history: Sequence[str], phase: Phase, round_: int, rounds: int, opponent: str) -> str:
    """The full prompt: the rules, one line per visible event, a blank line, the question."""
    return "\n".join([RULES_SUMMARY, *history, "", question(phase, round_, rounds, opponent)])
