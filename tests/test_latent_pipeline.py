"""The latent pipeline end to end on small runs: tournament -> `arena analyze` -> `arena solve` ->
a latent-policy agent in a tournament, and the report's latent section.

A hashing embedder stands in for MiniLM so the test is fast; the real model is exercised in
``tests/test_latent_embed.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import agents.latent_policy.agent as latent_agent
from arena.analysis import analyze_run
from arena.report import write_report
from arena.scenario import load_scenario
from arena.solving import solve_run
from arena.tournament import run_tournament
from solvers.latent.embed import CachedEmbedder, HashingEmbedder
from solvers.latent.space import LatentSpace
from solvers.policy import LatentPolicy

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def solved_4p(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("latent-4p")
    run_tournament(load_scenario(SCENARIOS / "werewolf_4p.yaml"), run, games=24, progress=False)
    analyze_run(run, embedder=HashingEmbedder(), max_points=50)
    solve_run(run, method="cfr", iterations=20)
    return run


def test_analysis_clusters_every_role_and_the_report_shows_the_map(solved_4p: Path):
    analysis = json.loads((solved_4p / "analysis.json").read_text())
    assert set(analysis["roles"]) == {"seer", "villager", "werewolf"}
    for role, entry in analysis["roles"].items():
        assert entry["k"] == (3 if role == "werewolf" else 2)  # LSPO's schedule at iteration 0
        assert sum(c["size"] for c in entry["clusters"]) == entry["utterances"]
        assert 0 < len(entry["points"]) <= 50 and all(0 <= p[2] < entry["k"] for p in entry["points"])
        for c in entry["clusters"]:
            assert c["exemplars"] and c["win_rate"]["games"] == c["size"]
            assert c["policy_prob"] is None  # analysed before the solve: no policy yet
    page = write_report(solved_4p).read_text()
    assert 'data-testid="section-latent"' in page and page.count('data-testid="latent-map"') == 3


def test_solve_writes_a_policy_for_the_space_and_nash_conv(solved_4p: Path):
    policy = LatentPolicy.load(solved_4p / "policy.json")
    space = LatentSpace.load(solved_4p / "latent")
    assert {role: s.k for role, s in policy.roles.items()} == {role: space.k(role) for role in space.roles}
    for strategies in policy.roles.values():
        assert sum(strategies.marginal) == pytest.approx(1.0) and min(strategies.strategy_regret) == 0.0
    report = json.loads((solved_4p / "solve.json").read_text())
    assert report["method"] == "cfr" and report["nash_conv"] >= 0
    assert policy.moves, "votes and night moves must be in the policy table"
    # a second analysis now finds the matching policy and quotes it on the cluster cards
    analysis = analyze_run(solved_4p, embedder=HashingEmbedder(), max_points=10)
    probs = [c["policy_prob"] for c in analysis["roles"]["werewolf"]["clusters"]]
    assert sum(probs) == pytest.approx(1.0)


def test_latent_policy_agent_plays_tournament_games(solved_4p: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(latent_agent, "_embedder", lambda: CachedEmbedder(HashingEmbedder()))
    latent_agent.load_solved.cache_clear()
    scenario = load_scenario(SCENARIOS / "werewolf_latent_4p.yaml")
    agents = [
        a.model_copy(update={"params": {**a.params, "solved": str(solved_4p)}}) if a.kind == "latent_policy" else a
        for a in scenario.agents
    ]
    scenario = scenario.model_copy(update={"agents": agents})
    summary = run_tournament(scenario, tmp_path / "eval", games=8, progress=False)
    latent_agent.load_solved.cache_clear()
    assert summary["run"]["matches_done"] == 8 and summary["run"]["matches_error"] == 0
    row = next(r for r in summary["leaderboard"] if r["agent"] == "latent")
    assert row["games"] >= 4  # five agents share four seats
    assert row["fallback_rate"] is not None and row["fallback_rate"] < 0.5  # most moves come from the policy
