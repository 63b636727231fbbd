"""Win rates with Wilson 95% score intervals, per agent, per side (team) and per role.

Counting unit: one *appearance* is (match, agent, team) for sides or (match, agent, role) for
roles. An agent filling several seats of the same team in one match appears once on that team; an
agent seated on both teams of one match (self-play, or a small mixed pool) appears once per team,
winning on one and losing on the other. A draw (Werewolf's day cap) counts as a game without a
win, so ``win_rate = wins / games``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from arena.records import MatchRecord

Z95 = 1.959963984540054  # standard normal quantile for a two-sided 95% interval


def wilson(wins: int, games: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson, JASA 1927; Brown, Cai & DasGupta,
    Statistical Science 2001). With no games the interval is the whole range [0, 1]."""
    if games == 0:
        return 0.0, 1.0
    p = wins / games
    denom = 1 + z * z / games
    centre = (p + z * z / (2 * games)) / denom
    half = z * math.sqrt(p * (1 - p) / games + z * z / (4 * games * games)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_entry(wins: int, games: int) -> dict[str, Any]:
    """``{"games", "wins", "win_rate", "ci": [lo, hi]}``; ``win_rate`` is 0.0 when there are no games."""
    lo, hi = wilson(wins, games)
    return {"games": games, "wins": wins, "win_rate": wins / games if games else 0.0, "ci": [lo, hi]}


def appearances(match: MatchRecord, by: str = "teams") -> set[tuple[str, str, str]]:
    """(agent, key, team) of one finished match, where key is the team (``by="teams"``) or the role
    (``by="roles"``) of a seat the agent filled."""
    assert match.outcome is not None
    teams = match.outcome["teams"]
    return {(agent, match.outcome[by][seat], teams[seat]) for seat, agent in match.seats.items()}


def _won(match: MatchRecord, team: str) -> bool:
    assert match.outcome is not None
    return match.outcome["winner"] == team


def win_rates(matches: Iterable[MatchRecord], by: str) -> dict[str, dict[str, dict[str, Any]]]:
    """``{agent: {team or role: rate_entry}}`` over finished matches (``by``: "teams" or "roles")."""
    games: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    wins: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for match in matches:
        for agent, key, team in appearances(match, by):
            games[agent][key] += 1
            wins[agent][key] += _won(match, team)
    return {a: {k: rate_entry(wins[a][k], n) for k, n in sorted(per.items())} for a, per in games.items()}


def draws_by_agent(matches: Iterable[MatchRecord]) -> dict[str, int]:
    """Drawn appearances (match, agent, team) per agent."""
    draws: dict[str, int] = defaultdict(int)
    for match in matches:
        if match.outcome is not None and match.outcome["winner"] is None:
            for agent, _key, _team in appearances(match):
                draws[agent] += 1
    return dict(draws)


def win_matrix(matches: Iterable[MatchRecord], agents: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """``cells[row][col]``: the row agent's record in appearances where the column agent sat on the
    opposing team. Every pair of ``agents`` is present; pairs that never met have ``games == 0``."""
    games = {r: dict.fromkeys(agents, 0) for r in agents}
    wins = {r: dict.fromkeys(agents, 0) for r in agents}
    for match in matches:
        units = appearances(match)
        for row, _key, team in units:
            for col in {a for a, _k, t in units if t != team}:
                games[row][col] += 1
                wins[row][col] += _won(match, team)
    return {
        r: {
            c: {"games": games[r][c], "wins": wins[r][c], "win_rate": wins[r][c] / games[r][c] if games[r][c] else 0.0}
            for c in agents
        }
        for r in agents
    }


def team_win_rates(matches: Iterable[MatchRecord]) -> dict[str, dict[str, Any]]:
    """Per team, over matches: how often that team won (draws count as no win for either)."""
    games: dict[str, int] = defaultdict(int)
    wins: dict[str, int] = defaultdict(int)
    for match in matches:
        assert match.outcome is not None
        for team in set(match.outcome["teams"].values()):
            games[team] += 1
            wins[team] += _won(match, team)
    return {team: rate_entry(wins[team], n) for team, n in sorted(games.items())}
