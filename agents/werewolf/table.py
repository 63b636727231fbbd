"""What a scripted Werewolf player can tell from its view: claims, accusations, deaths and votes.

Read from ``obs.data`` only (the player's own view), with claims parsed by
:func:`games.werewolf.claims.parse_claims`.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from games.werewolf.claims import Claims, parse_claims
from games.werewolf.config import Role


# ---- reading the table ---------------------------------------------------------------------------
@dataclass
class Table:
    """What one player can tell from its view: claims made, accusations, deaths, votes."""

    me: str
    role: Role
    day: int
    living: list[str]
    team: frozenset[str]  # known wolves including me (wolves only); else empty
    my_results: dict[str, bool]
    said: list[tuple[dict[str, Any], Claims]]  # every statement with its parsed claims
    votes: list[dict[str, Any]]
    night_victims: frozenset[str]
    saved: frozenset[str]  # (wolves only) players we attacked who survived: the Doctor guards them
    salt: int

    @classmethod
    def read(cls, data: Mapping[str, Any], salt: int) -> Table:
        players = data["players"]
        said = [(st, parse_claims(st["text"], st["speaker"], players)) for st in data["statements"]]
        team = frozenset([data["player"], *data["teammates"]]) if data["role"] == Role.WEREWOLF else frozenset()
        if team:  # wolves break ties alike, so their votes and kills agree without talking
            salt = zlib.crc32(",".join(sorted(team)).encode())
        victims = frozenset(d["player"] for d in data["deaths"] if d["cause"] == "night")
        return cls(
            me=data["player"],
            role=Role(data["role"]),
            day=data["day"],
            living=[p for p, alive in data["alive"].items() if alive],
            team=team,
            my_results=dict(data["seer_results"]),
            said=said,
            votes=list(data["vote_history"]),
            night_victims=victims,
            saved=frozenset(k["target"] for k in data["wolf_kills"] if k["target"] not in victims),
            salt=salt,
        )

    @property
    def others(self) -> list[str]:
        return [p for p in self.living if p != self.me]

    @property
    def non_wolves(self) -> list[str]:
        """Living players outside my team (for a wolf); living others for everyone else."""
        return [p for p in self.others if p not in self.team]

    def tiebreak(self, name: str, context: str = "") -> float:
        """A per-match random but stable preference, so speech and vote agree on ties."""
        return zlib.crc32(f"{self.salt}|{context}|{name}".encode()) / 2**32

    def best(self, candidates: list[str], key: Callable[[str], Any] = lambda p: 0, context: str = "") -> list[str]:
        """Candidates ranked by ``key`` (highest first), ties broken by :meth:`tiebreak`."""
        return sorted(candidates, key=lambda p: (key(p), self.tiebreak(p, context)), reverse=True)

    def spoke_today(self, player: str) -> bool:
        return any(st["speaker"] == player and st["day"] == self.day for st, _ in self.said)

    def seer_claimants(self) -> list[str]:
        """Other players who claimed Seer, in order of first claim (dead ones included)."""
        order = [st["speaker"] for st, c in self.said if c.role_claim == Role.SEER and st["speaker"] != self.me]
        return list(dict.fromkeys(order))

    def claimed_results(self, claimant: str) -> dict[str, bool]:
        merged: dict[str, bool] = {}
        for st, c in self.said:
            if st["speaker"] == claimant:
                merged.update(c.seer_results)
        return merged

    def accusations(self, today: bool = False) -> Counter[str]:
        """How many statements (not mine) accused each player."""
        return Counter(
            p
            for st, c in self.said
            if st["speaker"] != self.me and (not today or st["day"] == self.day)
            for p in set(c.accusations)
        )

    def accusers_of(self, targets: frozenset[str] | set[str], today: bool = False) -> Counter[str]:
        return Counter(
            st["speaker"]
            for st, c in self.said
            if (not today or st["day"] == self.day) and targets & set(c.accusations)
        )

    def votes_against(self, protected: set[str]) -> Counter[str]:
        """How often each player voted to eliminate someone in ``protected``."""
        return Counter(voter for v in self.votes for voter, target in v["votes"].items() if target in protected)

    def credibility(self, claimant: str) -> int:
        """How consistent a Seer claim is with what everyone saw (wolves never kill a wolf)."""
        score = 10 if claimant in self.night_victims else 0
        seen: dict[str, bool] = {}
        for st, c in self.said:
            if st["speaker"] != claimant:
                continue
            for p, wolf in c.seer_results.items():
                score -= 5 if seen.setdefault(p, wolf) != wolf else 0  # a result that changed
        score -= 10 * sum(1 for p, wolf in seen.items() if wolf and p in self.night_victims)
        score -= 2 * sum(1 for v in self.votes if seen.get(v["votes"].get(claimant) or "") is False)
        return score

    def trusted_seer(self) -> str | None:
        claimants = self.seer_claimants()
        return self.best(claimants, self.credibility, "trust")[0] if claimants else None

    def vagueness(self, player: str) -> tuple[float, float]:
        """(concrete claims, words) per statement; lower is vaguer / quieter."""
        mine = [(st, c) for st, c in self.said if st["speaker"] == player]
        concrete = sum(len(c.accusations) + len(c.defenses) + len(c.seer_results) + bool(c.role_claim) for _, c in mine)
        words = sum(len(st["text"].split()) for st, _ in mine)
        return concrete / len(mine), words / len(mine)

    def most_accused(self, candidates: list[str], protected: set[str] | None = None) -> list[str]:
        """Candidates under suspicion, most first: accused today, then votes cast against the
        ``protected`` players (those I trust), then accusations on earlier days."""
        today, total = self.accusations(today=True), self.accusations()
        against = self.votes_against(protected or set())
        suspects = [p for p in candidates if total[p] or against[p]]
        return self.best(suspects, lambda p: (today[p], against[p], total[p]), "accused")
