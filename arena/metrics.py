"""Werewolf play metrics per agent, computed from each match's event log.

Definitions follow the metrics of Werewolf Arena (Bailis et al., arXiv 2407.13943) and Kaggle Game
Arena's Werewolf evaluation; each is pooled over all the seats an
agent filled in finished matches (a ratio of sums, not a mean of per-game ratios):

* ``identification_precision`` — of the accusations made in statements by the agent's
  village-side seats (found by :func:`games.werewolf.claims.parse_claims`), the share that name a
  real werewolf. ``None`` when the agent's village seats never accused anyone. Wolves' accusations
  are left out: a wolf knows who the wolves are, so accusing is deception, not identification.
* ``vote_success`` — of the agent's non-abstain day votes (all seats, both teams), the share cast
  against a player of the opposing team. ``None`` without such votes.
* ``key_role_survival`` — of the agent's seats holding a key role (Seer, Doctor), the share still
  alive when the game ended. ``None`` when the agent never held one.
* ``avg_game_length`` — mean length (days played) of the matches the agent sat in, each match
  counted once however many seats the agent filled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from arena.records import MatchRecord, Records
from games.base import Event
from games.werewolf import Role, Team
from games.werewolf.claims import parse_claims

DEFINITIONS: dict[str, str] = {
    "identification_precision": "Share of the accusations in the agent's village-side statements "
    "(parse_claims) that named a real werewolf.",
    "vote_success": "Share of the agent's non-abstain day votes cast against a player of the opposing team.",
    "key_role_survival": "Share of the agent's Seer and Doctor seats still alive when the game ended.",
    "avg_game_length": "Mean number of days played in the matches the agent sat in.",
}
"""One-line definitions (the report shows them under the metrics table)."""

KEY_ROLES = frozenset({Role.SEER.value, Role.DOCTOR.value})


def _ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


def _dead(events: Iterable[Event]) -> set[str]:
    """Players killed at night or eliminated by vote."""
    dead = set()
    for e in events:
        victim = {"announcement": "killed", "vote_result": "eliminated"}.get(e.kind)
        if victim is not None and e.data[victim] is not None:
            dead.add(e.data[victim])
    return dead


def werewolf_metrics(records: Records, matches: Iterable[MatchRecord]) -> dict[str, dict[str, Any]]:
    """``{agent: {identification_precision, vote_success, key_role_survival, avg_game_length}}``."""
    n: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # agent -> counter -> value
    for match in matches:
        if match.status != "done" or match.outcome is None:
            continue
        events = records.events(match.match_id)
        teams, roles, seats = match.outcome["teams"], match.outcome["roles"], match.seats
        players = list(seats)
        for agent in set(seats.values()):
            n[agent]["games"] += 1
            n[agent]["days"] += match.outcome["length"]
        for e in events:
            if e.kind == "statement" and teams[e.data["speaker"]] == Team.VILLAGE.value:
                agent = seats[e.data["speaker"]]
                for accused in parse_claims(e.data["text"], e.data["speaker"], players).accusations:
                    n[agent]["accusations"] += 1
                    n[agent]["accusations_hit"] += roles.get(accused) == Role.WEREWOLF.value
            elif e.kind == "vote_result":
                for voter, target in e.data["votes"].items():
                    if target is not None:
                        n[seats[voter]]["votes"] += 1
                        n[seats[voter]]["votes_hit"] += teams[target] != teams[voter]
        dead = _dead(events)
        for seat, role in roles.items():
            if role in KEY_ROLES:
                n[seats[seat]]["key_roles"] += 1
                n[seats[seat]]["key_roles_alive"] += seat not in dead
    return {
        agent: {
            "identification_precision": _ratio(c["accusations_hit"], c["accusations"]),
            "vote_success": _ratio(c["votes_hit"], c["votes"]),
            "key_role_survival": _ratio(c["key_roles_alive"], c["key_roles"]),
            "avg_game_length": c["days"] / c["games"],
        }
        for agent, c in n.items()
    }
