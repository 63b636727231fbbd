"""Schedules (determinism, sides, role rotation, seat shuffling) and tournaments end to end."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict

from agents.base import RandomAgent
from agents.registry import AGENT_KINDS, AgentKind
from arena.records import Records
from arena.scenario import Scenario, load_scenario, validate_scenario
from arena.schedule import build_schedule, match_seed
from arena.tournament import RunDirError, run_tournament
from games.base import Action, Observation

SCRIPTED = [
    {"name": "bold", "kind": "scripted", "params": {"seer": "reveal", "werewolf": "fake_seer"}},
    {"name": "cautious", "kind": "scripted", "params": {"seer": "hide", "werewolf": "lie_low"}},
    {"name": "random", "kind": "random"},
]


def scenario(agents: list[dict[str, Any]] = SCRIPTED, **tournament: Any) -> Scenario:
    return validate_scenario(
        {"name": "t", "game": "werewolf", "agents": agents, "tournament": {"games_per_pairing": 2, **tournament}}
    )


# ---- schedules ---------------------------------------------------------------------------------
def test_schedule_is_deterministic_and_seeded():
    a, b = build_schedule(scenario(seed=3)), build_schedule(scenario(seed=3))
    assert a == b
    other = build_schedule(scenario(seed=4))
    assert {s.seed for s in a}.isdisjoint(s.seed for s in other)
    assert len({s.match_id for s in a}) == len(a)
    # game i's seed is child i of SeedSequence(seed), whatever the number of games
    child = np.random.SeedSequence(3).spawn(len(a))[5]
    assert a[5].seed == int(child.generate_state(1, np.uint64)[0] >> np.uint64(1)) == match_seed(3, 5)
    longer = build_schedule(scenario(seed=3, games_per_pairing=5))
    assert [s.seed for s in longer[: len(a)]] == [s.seed for s in a]


def _pair(spec) -> tuple[str, str]:
    """(agent in every werewolf seat, agent in every village seat); fails if a side is shared."""
    wolves = {seat for seat, role in spec.roles.items() if role == "werewolf"}
    (first,) = {spec.seats[s] for s in wolves}
    (second,) = {spec.seats[s] for s in spec.seats if s not in wolves}
    return first, second


def test_sides_schedule_pairs_sides_and_shuffles_seats():
    specs = build_schedule(scenario(games_per_pairing=20))
    names = [a["name"] for a in SCRIPTED]
    everyone = {(a, b) for a in names for b in names if a != b}
    assert Counter(_pair(s) for s in specs) == dict.fromkeys(everyone, 20)
    assert {_pair(s) for s in specs[:6]} == everyone  # round-robin: a run stopped early is balanced
    role_mix = sorted(["werewolf"] * 2 + ["seer", "doctor"] + ["villager"] * 3)
    assert all(sorted(s.roles.values()) == role_mix for s in specs)
    wolf_seats = {frozenset(seat for seat, role in s.roles.items() if role == "werewolf") for s in specs}
    assert len(wolf_seats) > 10  # the wolves' seats move from game to game
    with_self = build_schedule(scenario(games_per_pairing=1, self_play=True))
    assert Counter(_pair(s) for s in with_self) == dict.fromkeys(everyone | {(a, a) for a in names}, 1)


@pytest.mark.parametrize("n_agents", [2, 3, 5, 9])
def test_mixed_schedule_rotates_roles_and_shuffles_seats(n_agents):
    agents = [{"name": f"a{i}", "kind": "random"} for i in range(n_agents)]
    blocks = 4
    specs = build_schedule(scenario(agents, format="mixed", games=blocks * n_agents))
    role_mix = Counter(["werewolf"] * 2 + ["seer", "doctor"] + ["villager"] * 3)
    held = Counter()
    seat_of = {a["name"]: Counter() for a in agents}
    for spec in specs:
        assert Counter(spec.roles.values()) == role_mix
        for seat, agent in spec.seats.items():
            held[agent, spec.roles[seat]] += 1
            seat_of[agent][seat] += 1
    # role rotation: in every block of len(agents) games each agent holds each role slot once
    assert held == {(a["name"], role): blocks * count for a in agents for role, count in role_mix.items()}
    assert all(len(seats) >= 5 for seats in seat_of.values())  # seat order is shuffled


# ---- tournaments -------------------------------------------------------------------------------
def _rows(run_dir) -> list[tuple[Any, ...]]:
    records = Records(run_dir / "records.sqlite")
    try:
        return [(m.match_id, m.index, m.seed, m.status, m.seats, m.outcome) for m in records.matches()]
    finally:
        records.close()


def test_tournament_end_to_end_and_rerun_skips_done(tmp_path):
    sc = scenario()
    summary = run_tournament(sc, tmp_path / "run", progress=False)
    assert summary["run"]["matches_done"] == 12 and summary["run"]["matches_error"] == 0
    assert {row["agent"] for row in summary["leaderboard"]} == {"bold", "cautious", "random"}
    stored = load_scenario(tmp_path / "run" / "scenario.yaml")
    assert stored.digest() == sc.digest()
    before = _rows(tmp_path / "run")
    records = Records(tmp_path / "run" / "records.sqlite")
    durations = [m.duration_s for m in records.matches()]
    records.close()
    assert run_tournament(sc, tmp_path / "run", progress=False) == summary
    records = Records(tmp_path / "run" / "records.sqlite")
    assert [m.duration_s for m in records.matches()] == durations  # nothing replayed
    records.close()
    assert _rows(tmp_path / "run") == before
    # concurrency changes neither the hash nor any result
    serial = run_tournament(scenario(concurrency=1), tmp_path / "serial", progress=False)
    assert _rows(tmp_path / "serial") == before and serial == summary


def test_run_dir_of_another_scenario_is_refused(tmp_path):
    run_tournament(scenario(), tmp_path / "run", games=1, progress=False)
    before = _rows(tmp_path / "run")
    with pytest.raises(RunDirError, match="different scenario"):
        run_tournament(scenario(seed=7), tmp_path / "run", games=1, progress=False)
    assert _rows(tmp_path / "run") == before


class _NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CrashAgent(RandomAgent):
    """Crashes (or answers an illegal move) at the first day vote while ``broken`` is set."""

    broken = True

    def __init__(self, name: str, rng: np.random.Generator, illegal: bool) -> None:
        super().__init__(name, rng)
        self.illegal = illegal

    async def act(self, obs: Observation) -> Action:
        if CrashAgent.broken and obs.phase == "day_vote":
            if self.illegal:
                return Action("player_99")
            raise RuntimeError("boom")
        return await super().act(obs)


class CountingAgent(RandomAgent):
    """Reports LLM-style counters: one fallback every fourth decision."""

    def __init__(self, name: str, rng: np.random.Generator) -> None:
        super().__init__(name, rng)
        self.decisions = 0

    async def act(self, obs: Observation) -> Action:
        self.decisions += 1
        return await super().act(obs)

    def stats(self) -> dict[str, int]:
        return {"decisions": self.decisions, "fallbacks": self.decisions // 4}


@pytest.fixture
def test_kinds(monkeypatch):
    kinds = {
        "crashy": AgentKind(params=_NoParams, build=lambda n, rng, p: CrashAgent(n, rng, False), description="x"),
        "illegal": AgentKind(params=_NoParams, build=lambda n, rng, p: CrashAgent(n, rng, True), description="x"),
        "counting": AgentKind(params=_NoParams, build=lambda n, rng, p: CountingAgent(n, rng), description="x"),
    }
    for name, kind in kinds.items():
        monkeypatch.setitem(AGENT_KINDS, name, kind)
    monkeypatch.setattr(CrashAgent, "broken", True)


def test_crashing_agent_errors_only_its_matches_and_rerun_retries(tmp_path, test_kinds):
    agents = [*SCRIPTED[:2], {"name": "crashy", "kind": "crashy"}, {"name": "illegal", "kind": "illegal"}]
    sc = scenario(agents, games_per_pairing=1)
    summary = run_tournament(sc, tmp_path / "run", progress=False)
    records = Records(tmp_path / "run" / "records.sqlite")
    errored = records.matches("error")
    done = records.matches("done")
    assert len(errored) + len(done) == 12
    assert all({"crashy", "illegal"} & set(m.seats.values()) for m in errored)
    assert all(not {"crashy", "illegal"} & set(m.seats.values()) for m in done) and len(done) == 2
    errors = {m.error for m in errored}
    assert any("agent 'crashy' at player_" in e and "RuntimeError: boom" in e for e in errors)
    assert any("agent 'illegal' at player_" in e and "IllegalAction" in e for e in errors)
    assert all(records.events(m.match_id) for m in errored)  # the partial log is kept for debugging
    records.close()
    assert summary["run"]["matches_error"] == 10

    CrashAgent.broken = False  # the agent is fixed: rerunning retries exactly the errored matches
    summary = run_tournament(sc, tmp_path / "run", progress=False)
    assert summary["run"]["matches_done"] == 12 and summary["run"]["matches_error"] == 0
    records = Records(tmp_path / "run" / "records.sqlite")
    assert len(records.matches()) == 12
    untouched = {m.match_id: m.duration_s for m in records.matches() if m.match_id in {d.match_id for d in done}}
    assert untouched == {m.match_id: m.duration_s for m in done}  # finished matches were not replayed
    records.close()


def test_agent_stats_are_stored_and_give_fallback_rate(tmp_path, test_kinds):
    sc = scenario([SCRIPTED[0], {"name": "counter", "kind": "counting"}], games_per_pairing=2)
    summary = run_tournament(sc, tmp_path / "run", progress=False)
    records = Records(tmp_path / "run" / "records.sqlite")
    match = records.matches()[0]
    records.close()
    counted = {seat for seat, agent in match.seats.items() if agent == "counter"}
    assert set(match.agent_stats) == counted
    rates = {row["agent"]: row["fallback_rate"] for row in summary["leaderboard"]}
    assert rates["bold"] is None
    assert 0.1 < rates["counter"] <= 0.25
