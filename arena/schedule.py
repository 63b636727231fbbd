"""Deterministic match schedules: which agent sits where, with which role, under which seed.

The same scenario always yields the same list of :class:`MatchSpec`. Every random choice comes from
an explicit derivation of ``tournament.seed``:

* game ``i``'s seed is child ``i`` of ``numpy.random.SeedSequence(seed)`` (``spawn_key=(i,)``, the
  same child ``SeedSequence(seed).spawn(n)[i]`` gives for any ``n``), so a longer run starts with
  the same games (same seeds and deals) as a shorter one;
* from a game's seed, separate streams deal the roles (:func:`deal_rng`) and feed each seat's agent
  (:func:`agent_rng`); the game engine itself gets the game seed (tie breaks);
* ``match_id`` hashes (scenario hash, index, seed), so a rerun recognises finished matches.

Formats (LSPO evaluates win rates per side, Xu et al., ICML 2025; role rotation and shuffled seats
follow Werewolf Arena, Bailis et al., arXiv 2407.13943, and Kaggle Game Arena's Werewolf):

* **sides**: every ordered pair (A, B) — A != B unless ``self_play`` — plays ``games_per_pairing``
  games, A in every seat of the first team (werewolves) and B in every seat of the second (village);
  roles are dealt at random per game, so the wolves' seat positions vary. Games run round-robin over
  pairs, so a run stopped early still covers every pairing evenly.
* **mixed**: ``games`` games; agents are rotated through role slots so that in every block of
  ``len(agents)`` consecutive games each agent holds each role slot exactly once (role rotation;
  the agent order is reshuffled per block so teammates vary), and seat order is shuffled per game.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from arena.scenario import Scenario, TournamentFormat
from games.rpssl import RPSSLConfig, Side
from games.werewolf import Team, WerewolfConfig
from games.werewolf.config import ROLE_TEAM
from games.werewolf.rules import player_name

# Stream tags for np.random.default_rng([seed, TAG, ...]): one independent stream per purpose.
_DEAL_STREAM, _AGENT_STREAM, _BLOCK_STREAM = 1, 2, 3


@dataclass(frozen=True)
class MatchSpec:
    """One scheduled match. ``seats`` and ``roles`` are keyed by seat name in seat order."""

    index: int
    seed: int
    match_id: str
    seats: dict[str, str]  # seat -> agent name
    roles: dict[str, str] | None  # seat -> role, or None to let the game deal


@dataclass(frozen=True)
class Roster:
    """What a schedule needs to know about a game: seat names, roles to deal, and sides."""

    seats: tuple[str, ...]
    roles: tuple[str, ...]  # one per seat, in a fixed order (dealing shuffles them)
    team_of: dict[str, str]  # role -> team
    teams: tuple[str, ...]  # sides order: the first agent of a sides pair plays teams[0]


def _werewolf_roster(config: Any) -> Roster:
    assert isinstance(config, WerewolfConfig)
    return Roster(
        seats=tuple(player_name(i) for i in range(config.n_players)),
        roles=tuple(role.value for role in config.role_list()),
        team_of={role.value: team.value for role, team in ROLE_TEAM.items()},
        teams=(Team.WEREWOLVES.value, Team.VILLAGE.value),
    )


def _rpssl_roster(config: Any) -> Roster:
    assert isinstance(config, RPSSLConfig)
    sides = tuple(side.value for side in Side)  # a side is both the role and the team of its seat
    return Roster(seats=("player_0", "player_1"), roles=sides, team_of={s: s for s in sides}, teams=sides)


ROSTERS: dict[str, Callable[[Any], Roster]] = {"werewolf": _werewolf_roster, "rpssl": _rpssl_roster}
"""game name -> roster from its config; one line per game that tournaments schedule."""


def roster(scenario: Scenario) -> Roster:
    return ROSTERS[scenario.game](scenario.game_config())


# ---- seeds -------------------------------------------------------------------------------------
def match_seed(root_seed: int, index: int) -> int:
    """Seed of game ``index``: child ``index`` of ``SeedSequence(root_seed)``, as a 63-bit integer
    (fits SQLite's signed INTEGER)."""
    state = np.random.SeedSequence(root_seed, spawn_key=(index,)).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


def match_id(scenario_hash: str, index: int, seed: int) -> str:
    return hashlib.sha256(f"{scenario_hash}/{index}/{seed}".encode()).hexdigest()[:24]


def deal_rng(seed: int) -> np.random.Generator:
    """The stream that deals roles and shuffles seats for one match."""
    return np.random.default_rng([seed, _DEAL_STREAM])


def agent_rng(seed: int, seat: int) -> np.random.Generator:
    """The stream of the agent in seat number ``seat`` of one match."""
    return np.random.default_rng([seed, _AGENT_STREAM, seat])


# ---- formats -----------------------------------------------------------------------------------
def build_schedule(scenario: Scenario) -> list[MatchSpec]:
    """Every match of the scenario's tournament, in index order."""
    digest, t = scenario.digest(), scenario.tournament
    plans = _FORMATS[t.format](scenario, roster(scenario))
    specs = []
    for index, plan in enumerate(plans):
        seed = match_seed(t.seed, index)
        seats, roles = plan(deal_rng(seed))
        specs.append(MatchSpec(index, seed, match_id(digest, index, seed), seats, roles))
    return specs


# A plan turns the match's deal stream into (seats, roles); formats return one plan per game.
Plan = Callable[[np.random.Generator], tuple[dict[str, str], dict[str, str]]]


def _sides(scenario: Scenario, r: Roster) -> list[Plan]:
    names = [a.name for a in scenario.agents]
    pairs = [(a, b) for a in names for b in names if a != b or scenario.tournament.self_play]

    def plan(first: str, second: str) -> Plan:
        def deal(rng: np.random.Generator) -> tuple[dict[str, str], dict[str, str]]:
            roles = [r.roles[k] for k in rng.permutation(len(r.roles))]
            seats = {
                s: first if r.team_of[role] == r.teams[0] else second for s, role in zip(r.seats, roles, strict=True)
            }
            return seats, dict(zip(r.seats, roles, strict=True))

        return deal

    return [plan(a, b) for _ in range(scenario.tournament.games_per_pairing) for a, b in pairs]


def _mixed(scenario: Scenario, r: Roster) -> list[Plan]:
    names = [a.name for a in scenario.agents]
    m, root = len(names), scenario.tournament.seed

    def plan(game: int) -> Plan:
        block, offset = divmod(game, m)
        order = np.random.default_rng([root, _BLOCK_STREAM, block]).permutation(m)
        # slot j (holding role r.roles[j]) goes to order[(offset + j) % m]: over the m games of a
        # block every agent holds every slot exactly once.
        slot_agent = [names[order[(offset + j) % m]] for j in range(len(r.roles))]

        def deal(rng: np.random.Generator) -> tuple[dict[str, str], dict[str, str]]:
            slots = rng.permutation(len(r.roles))  # seat k takes slot slots[k]: shuffled seat order
            seats = {s: slot_agent[j] for s, j in zip(r.seats, slots, strict=True)}
            return seats, {s: r.roles[j] for s, j in zip(r.seats, slots, strict=True)}

        return deal

    return [plan(g) for g in range(scenario.tournament.games)]


_FORMATS: dict[TournamentFormat, Callable[[Scenario, Roster], list[Plan]]] = {
    TournamentFormat.SIDES: _sides,
    TournamentFormat.MIXED: _mixed,
}
