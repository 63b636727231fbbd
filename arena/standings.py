"""``summarize``: everything the leaderboard table and the HTML report show, as one JSON-able dict.

Schema (the report, ``arena.report``, codes against it)::

    run:         {scenario, game, matches_done, matches_error, scenario_hash}
    leaderboard: [{agent, games, wins, draws, win_rate, ci: [lo, hi], rating_mu, rating_sigma, ordinal,
                   fallback_rate}]                              # sorted by ordinal, best first
    sides:       {agent: {team: {games, wins, win_rate, ci}}}
    roles:       {agent: {role: {games, wins, win_rate, ci}}}
    matrix:      {agents: [...], cells: {row: {col: {games, wins, win_rate}}}, description}
    metrics:     {agent: {identification_precision, vote_success, key_role_survival, avg_game_length}}
    overall:     {team_win_rates: {team: {games, wins, win_rate, ci}}, draws, avg_game_length}
    metric_definitions: {metric: one-line definition}           # optional for readers; the report shows it

Counting units are explained in :mod:`arena.stats`, rating updates in :mod:`arena.ratings`, metric
definitions in :mod:`arena.metrics`. Every agent of the scenario appears in every per-agent table
(with zero games if none of its matches finished); a rate over zero games is 0.0 with the interval
[0, 1], a metric with nothing to measure is ``None``, and ``avg_game_length`` is 0.0.
``fallback_rate`` is the agent's summed ``fallbacks`` over summed ``decisions`` from the per-seat
``agent_stats`` (LLM agents report them), or ``None`` when its agents report no decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from arena.metrics import DEFINITIONS as WEREWOLF_DEFINITIONS
from arena.metrics import werewolf_metrics
from arena.ratings import rate
from arena.records import MatchRecord, Records
from arena.rpssl_metrics import DEFINITIONS as RPSSL_DEFINITIONS
from arena.rpssl_metrics import rpssl_metrics
from arena.stats import draws_by_agent, rate_entry, team_win_rates, win_matrix, win_rates

Metrics = Callable[[Records, list[MatchRecord]], dict[str, dict[str, Any]]]
METRICS: dict[str, tuple[Metrics, dict[str, str]]] = {
    "werewolf": (werewolf_metrics, WEREWOLF_DEFINITIONS),
    "rpssl": (rpssl_metrics, RPSSL_DEFINITIONS),
}
"""game name -> (per-agent metrics from the records, one-line definitions); one line per game."""

MATRIX_DESCRIPTION = "win rate of the row agent in games where the column agent sat on the opposing team"


def _agents(records: Records, matches: Iterable[MatchRecord]) -> list[str]:
    """The scenario's agents in scenario order, then any agent found only in the records."""
    names = list(records.get_meta("agents", []))
    for match in matches:
        names += [a for a in match.seats.values() if a not in names]
    return names


def _fallback_rate(matches: Iterable[MatchRecord], agent: str) -> float | None:
    fallbacks = decisions = 0
    for match in matches:
        for seat, stats in match.agent_stats.items():
            if match.seats.get(seat) == agent:
                fallbacks += stats.get("fallbacks", 0)
                decisions += stats.get("decisions", 0)
    return fallbacks / decisions if decisions else None


def summarize(records: Records) -> dict[str, Any]:
    """Standings of one run directory's records (see the module docstring for the schema)."""
    everything = records.matches()
    done = [m for m in everything if m.status == "done"]
    agents = _agents(records, everything)
    sides, roles = win_rates(done, "teams"), win_rates(done, "roles")
    draws, ratings = draws_by_agent(done), rate(done, agents)
    compute, definitions = METRICS.get(records.get_meta("game"), (lambda records, done: {}, {}))
    metrics = compute(records, done)

    leaderboard = []
    for agent in agents:
        games = sum(e["games"] for e in sides.get(agent, {}).values())
        wins = sum(e["wins"] for e in sides.get(agent, {}).values())
        r = ratings[agent]
        leaderboard.append(
            {
                "agent": agent,
                **rate_entry(wins, games),
                "draws": draws.get(agent, 0),
                "rating_mu": r.mu,
                "rating_sigma": r.sigma,
                "ordinal": r.ordinal,
                "fallback_rate": _fallback_rate(done, agent),
            }
        )
    leaderboard.sort(key=lambda row: (-row["ordinal"], row["agent"]))
    no_games = {**dict.fromkeys(definitions), "avg_game_length": 0.0}  # an agent none of whose matches finished
    return {
        "run": {
            "scenario": records.get_meta("scenario", ""),
            "game": records.get_meta("game", ""),
            "matches_done": len(done),
            "matches_error": len(everything) - len(done),
            "scenario_hash": records.get_meta("scenario_hash", ""),
        },
        "leaderboard": leaderboard,
        "sides": {a: sides.get(a, {}) for a in agents},
        "roles": {a: roles.get(a, {}) for a in agents},
        "matrix": {"agents": agents, "cells": win_matrix(done, agents), "description": MATRIX_DESCRIPTION},
        "metrics": {a: metrics.get(a, no_games) for a in agents},
        "metric_definitions": definitions,
        "overall": {
            "team_win_rates": team_win_rates(done),
            "draws": sum(m.outcome is not None and m.outcome["winner"] is None for m in done),
            "avg_game_length": sum(m.outcome["length"] for m in done if m.outcome) / len(done) if done else 0.0,
        },
    }
