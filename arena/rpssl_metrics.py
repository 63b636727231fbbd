"""RPSSL play metrics per agent, computed from each match's ``reveal`` events.

Each is pooled over all the rounds an agent played in finished matches (a ratio of sums):

* ``no_move_rate`` — share of the agent's statements that stated no single clear move (the parser's
  ``no_move``/``ambiguous``), so the configured fallback played for it.
* ``round_win_rate`` — share of the agent's rounds won (ties count as not won).
* ``move_entropy`` — Shannon entropy of the moves the agent played, divided by log 5: 1.0 is uniform play
  (the Nash equilibrium's), 0.0 one move only. ``None`` without played moves.
* ``avg_game_length`` — mean number of rounds in the matches the agent sat in.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from arena.records import MatchRecord, Records
from games.rpssl.rules import MOVES

DEFINITIONS: dict[str, str] = {
    "no_move_rate": "Share of the agent's statements with no single clear move (the fallback played for it).",
    "round_win_rate": "Share of the agent's rounds won.",
    "move_entropy": "Entropy of the moves the agent played over log 5: 1 = uniform (Nash), 0 = one move.",
    "avg_game_length": "Mean number of rounds in the matches the agent sat in.",
}


def _ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


def _entropy(counts: Counter[str]) -> float | None:
    total = sum(counts.values())
    if not total:
        return None
    h = -sum(c / total * math.log(c / total) for c in counts.values() if c)
    return min(1.0, h / math.log(len(MOVES))) + 0.0  # + 0.0: no "-0.0" for a single move


def rpssl_metrics(records: Records, matches: Iterable[MatchRecord]) -> dict[str, dict[str, Any]]:
    """``{agent: {no_move_rate, round_win_rate, move_entropy, avg_game_length}}``."""
    n: dict[str, Counter[str]] = defaultdict(Counter)
    moves: dict[str, Counter[str]] = defaultdict(Counter)
    for match in matches:
        if match.status != "done" or match.outcome is None:
            continue
        for agent in set(match.seats.values()):
            n[agent]["games"] += 1
            n[agent]["rounds_total"] += match.outcome["length"]
        for e in records.events(match.match_id):
            if e.kind != "reveal":
                continue
            for seat, agent in match.seats.items():
                n[agent]["rounds"] += 1
                n[agent]["no_move"] += bool(e.data["fallback"][seat])
                n[agent]["won"] += e.data["points"][seat] > 0
                if e.data["moves"][seat] is not None:
                    moves[agent][e.data["moves"][seat]] += 1
    return {
        agent: {
            "no_move_rate": _ratio(c["no_move"], c["rounds"]),
            "round_win_rate": _ratio(c["won"], c["rounds"]),
            "move_entropy": _entropy(moves[agent]),
            "avg_game_length": c["rounds_total"] / c["games"],
        }
        for agent, c in n.items()
    }
