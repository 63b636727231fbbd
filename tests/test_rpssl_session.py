"""The RPSSL session: hidden statements until the reveal, observations an LLM can read, determinism by
seed, the LLM agent playing through the scripted backend, and a small tournament with its report data."""

from __future__ import annotations

import json

import numpy as np

from agents.llm.agent import LLMAgent
from agents.llm.scripted import ScriptedBackend
from agents.registry import make_agent
from arena.runner import play_match
from arena.scenario import validate_scenario
from arena.schedule import MatchSpec
from arena.tournament import run_tournament
from games import GAMES
from games.base import Action
from games.rpssl import RPSSLConfig, RPSSLSession
from games.rpssl.text import MOVE_LIST, RULES_SUMMARY


def test_first_statement_is_hidden_until_both_have_spoken():
    rng = np.random.default_rng(0)
    for seed in range(50):
        session = RPSSLSession(RPSSLConfig(rounds=3), seed)
        while not session.is_over():
            first, second = (session.to_act()[int(i)] for i in rng.permutation(2))
            before = session.observe(second)
            secret = f"SECRET{seed}x{session.state.round} I play lizard"
            session.step(first, Action(secret, reasoning="PRIVATE", label="LABEL", intent="INTENT"))
            after = session.observe(second)
            assert after == before  # nothing about the first statement reached the second player
            blob = after.text + json.dumps(after.data)
            assert secret not in blob and "PRIVATE" not in blob and "LABEL" not in blob
            assert secret in session.observe(first).text  # the speaker sees their own words
            assert session.observe(first).phase == "waiting"
            session.step(second, Action("Spock."))
            revealed = session.observe(second)
            assert secret in revealed.text  # revealed to both once both have spoken
            assert "PRIVATE" not in revealed.text + json.dumps(revealed.data)


def test_observation_for_an_llm():
    session = RPSSLSession(RPSSLConfig(rounds=2), seed=1)
    obs = session.observe("player_0")
    assert obs.legal is None and obs.phase == "declare"
    assert obs.text.startswith(RULES_SUMMARY)
    assert "Round 1 of 2. Say what you play this round" in obs.text and MOVE_LIST in obs.text
    session.step("player_0", Action("I'll go with Spock."))
    session.step("player_1", Action("Rock, obviously."))
    obs = session.observe("player_1")
    assert "Spock vaporizes rock: player_0 won the round. Score: you -1, player_0 1." in obs.text
    assert obs.data["history"] == [
        {
            "round": 1,
            "my_statement": "Rock, obviously.",
            "my_move": "rock",
            "my_fallback": False,
            "opponent_statement": "I'll go with Spock.",
            "opponent_move": "spock",
            "opponent_fallback": False,
            "points": -1,
        }
    ]
    assert (obs.data["my_total"], obs.data["opponent_total"], obs.data["round"]) == (-1, 1, 2)
    json.dumps(obs.data)


def test_outcome_names_sides():
    session = RPSSLSession(RPSSLConfig(), seed=0, roles=["blue", "red"])
    session.step("player_0", Action("paper"))
    session.step("player_1", Action("rock"))
    out = session.outcome()
    assert out.winner == "blue" and out.teams == {"player_0": "blue", "player_1": "red"}
    assert out.scores == {"player_0": 1.0, "player_1": -1.0} and out.length == 1 and out.reason == "higher total"


async def _play(seed: int, rounds: int = 5) -> list[dict]:
    session = RPSSLSession(RPSSLConfig(rounds=rounds), seed)
    agents = [make_agent("rpssl_scripted", "a", np.random.default_rng([seed, p])) for p in (0, 1)]
    while not session.is_over():
        for player in session.to_act():
            session.step(player, await agents[int(player[-1])].act(session.observe(player)))
    return [e.to_json() for e in session.events]


async def test_same_seed_same_match():
    assert await _play(3) == await _play(3)
    assert await _play(3) != await _play(4)


async def test_llm_agent_plays_rpssl_end_to_end():
    replies = ['{"statement": "I\'ll go with Spock.", "reasoning": "logic"}', "no json at all", '{"statement": "hmm"}']
    llm = LLMAgent("llm", ScriptedBackend(replies), np.random.default_rng(0))
    scripted = make_agent("rpssl_scripted", "nash", np.random.default_rng(1))
    spec = MatchSpec(0, 7, "m", {"player_0": "llm", "player_1": "nash"}, None)
    record, events = await play_match(
        spec, GAMES["rpssl"], RPSSLConfig(rounds=4), {"player_0": llm, "player_1": scripted}
    )
    assert record.status == "done", record.error
    reveals = [e for e in events if e.kind == "reveal"]
    assert len(reveals) == 4
    assert any(r.data["moves"]["player_0"] == "spock" and not r.data["fallback"]["player_0"] for r in reveals)
    system, prompt = (m.content for m in llm.backend.prompts[0])
    assert "Say what you play this round" in prompt and '"statement"' in system


def test_tournament_and_report_data(tmp_path):
    scenario = validate_scenario(
        {
            "name": "rpssl-test",
            "game": "rpssl",
            "config": {"rounds": 3},
            "agents": [
                {"name": "nash", "kind": "rpssl_scripted"},
                {"name": "rock", "kind": "rpssl_scripted", "params": {"strategy": "always", "move": "rock"}},
                {"name": "random", "kind": "random"},
            ],
            "tournament": {"games_per_pairing": 2, "concurrency": 2},
        }
    )
    summary = run_tournament(scenario, tmp_path / "run", progress=False)
    assert summary["run"]["matches_done"] == 12 and summary["run"]["matches_error"] == 0
    assert set(summary["overall"]["team_win_rates"]) == {"red", "blue"}
    metrics = summary["metrics"]
    assert metrics["rock"]["move_entropy"] == 0.0 and metrics["rock"]["no_move_rate"] == 0.0
    assert metrics["random"]["no_move_rate"] == 1.0  # "I have nothing to add." names no move
    assert metrics["nash"]["avg_game_length"] == 3.0
