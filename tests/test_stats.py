"""Wilson intervals, OpenSkill ratings, Werewolf metrics on a hand-written log, and the summary schema."""

from __future__ import annotations

from typing import Any

import pytest
from openskill.models import PlackettLuce

from arena.ratings import rate
from arena.records import MatchRecord, Records
from arena.scenario import validate_scenario
from arena.standings import summarize
from arena.stats import rate_entry, wilson
from arena.tournament import run_tournament
from games.base import Event

PLAYERS = [f"player_{i}" for i in range(4)]


def test_wilson_known_values():
    # 95% Wilson score intervals as tabulated by Brown, Cai & DasGupta (2001) and statsmodels
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)
    lo, hi = wilson(37, 100)
    assert lo < 0.37 < hi and hi - lo == pytest.approx(0.186, abs=2e-3)  # "±10 points at ~100 games"
    assert rate_entry(3, 4) == {"games": 4, "wins": 3, "win_rate": 0.75, "ci": list(wilson(3, 4))}


def _match(index: int, seats: dict[str, str], wolves: set[str], winner: str | None) -> MatchRecord:
    teams = {p: "werewolves" if p in wolves else "village" for p in seats}
    roles = {p: "werewolf" if p in wolves else "villager" for p in seats}
    outcome = {"winner": winner, "teams": teams, "roles": roles, "scores": {}, "length": 2, "reason": "x"}
    return MatchRecord(f"m{index}", index, index, "werewolf", seats, outcome=outcome)


def test_dominant_agent_ends_on_top_and_order_does_not_matter():
    agents = ["strong", "weak1", "weak2"]
    matches = []
    for i in range(60):
        a, b = agents[i % 3], agents[(i + 1 + (i // 3) % 2) % 3]
        wolf_agent, village_agent = (a, b) if i % 2 else (b, a)
        seats = {
            "player_0": wolf_agent,
            "player_1": village_agent,
            "player_2": village_agent,
            "player_3": village_agent,
        }
        winner = (
            ("werewolves" if wolf_agent == "strong" else "village")
            if "strong" in (a, b)
            else ["village", "werewolves"][i % 2]
        )
        matches.append(_match(i, seats, {"player_0"}, winner))
    ratings = rate(matches, agents)
    assert max(agents, key=lambda a: ratings[a].ordinal) == "strong"
    assert ratings["strong"].mu > 25 > min(ratings["weak1"].mu, ratings["weak2"].mu)
    assert rate(list(reversed(matches)), agents) == ratings  # processed in index order


def test_several_seats_average_their_deltas_and_draws_are_ties():
    model = PlackettLuce()
    seats = {"player_0": "a", "player_1": "a", "player_2": "b", "player_3": "b"}
    won = rate([_match(0, seats, {"player_0", "player_1"}, "werewolves")])
    expected = model.rate(
        [[model.rating() for _ in range(2)] for _ in range(2)], ranks=[1, 0]
    )  # teams sorted: village, werewolves
    assert won["a"].mu == pytest.approx(expected[1][0].mu) and won["b"].mu == pytest.approx(expected[0][0].mu)
    assert won["a"].sigma == pytest.approx(expected[1][0].sigma)
    drawn = rate([_match(0, seats, {"player_0", "player_1"}, None)])
    assert drawn["a"].mu == pytest.approx(25.0) and drawn["b"].mu == pytest.approx(25.0)
    assert rate([], ["idle"])["idle"].mu == 25.0


def _event(kind: str, data: dict[str, Any]) -> Event:
    return Event(kind, data)


def test_werewolf_metrics_on_a_known_log(tmp_path):
    records = Records(tmp_path / "records.sqlite")
    records.set_meta("game", "werewolf")
    records.set_meta("agents", ["hunter", "wolf"])
    seats = {"player_0": "wolf", "player_1": "hunter", "player_2": "hunter", "player_3": "hunter"}
    match = MatchRecord(
        "m0",
        0,
        0,
        "werewolf",
        seats,
        outcome={
            "winner": "village",
            "length": 2,
            "reason": "all werewolves dead",
            "teams": {"player_0": "werewolves", "player_1": "village", "player_2": "village", "player_3": "village"},
            "roles": {"player_0": "werewolf", "player_1": "seer", "player_2": "doctor", "player_3": "villager"},
            "scores": {},
        },
    )
    events = [
        _event("announcement", {"day": 1, "killed": "player_2"}),
        _event("statement", {"day": 1, "round": 0, "speaker": "player_0", "text": "I suspect player_1."}),
        _event("statement", {"day": 1, "round": 0, "speaker": "player_1", "text": "I suspect player_0."}),
        _event("statement", {"day": 1, "round": 0, "speaker": "player_3", "text": "player_1 is lying."}),
        _event(
            "vote_result",
            {
                "day": 1,
                "votes": {"player_0": "player_1", "player_1": "player_0", "player_3": "player_1"},
                "tally": {},
                "eliminated": None,
            },
        ),
        _event(
            "vote_result",
            {
                "day": 2,
                "votes": {"player_0": None, "player_1": "player_0", "player_3": "player_0"},
                "tally": {},
                "eliminated": "player_0",
            },
        ),
    ]
    records.save_match(match, events)
    summary = summarize(records)
    hunter, wolf = summary["metrics"]["hunter"], summary["metrics"]["wolf"]
    assert hunter["identification_precision"] == 0.5  # player_1 -> player_0 (wolf) yes, player_3 -> player_1 no
    assert wolf["identification_precision"] is None  # a wolf's accusations are not identification
    assert hunter["vote_success"] == 0.75  # 3 of 4 village votes hit the wolf
    assert wolf["vote_success"] == 1.0  # one non-abstain vote, on a villager
    assert hunter["key_role_survival"] == 0.5  # seer alive, doctor killed
    assert wolf["key_role_survival"] is None
    assert hunter["avg_game_length"] == wolf["avg_game_length"] == 2.0
    records.close()


RATE_KEYS = {"games", "wins", "win_rate", "ci"}


def test_summarize_schema(tmp_path):
    agents = [{"name": n, "kind": "random"} for n in ("x", "y", "z")]
    sc = validate_scenario(
        {"name": "schema", "game": "werewolf", "agents": agents, "tournament": {"games_per_pairing": 3, "seed": 2}}
    )
    s = run_tournament(sc, tmp_path / "run", progress=False)
    assert set(s) == {"run", "leaderboard", "sides", "roles", "matrix", "metrics", "overall", "metric_definitions"}
    assert s["run"] == {
        "scenario": "schema",
        "game": "werewolf",
        "matches_done": 18,
        "matches_error": 0,
        "scenario_hash": sc.digest(),
    }
    row_keys = {
        "agent",
        "games",
        "wins",
        "draws",
        "win_rate",
        "ci",
        "rating_mu",
        "rating_sigma",
        "ordinal",
        "fallback_rate",
    }
    assert all(set(row) == row_keys for row in s["leaderboard"])
    ordinals = [row["ordinal"] for row in s["leaderboard"]]
    assert ordinals == sorted(ordinals, reverse=True)
    for row in s["leaderboard"]:
        sides = s["sides"][row["agent"]]
        assert set(sides) == {"werewolves", "village"} and all(set(e) == RATE_KEYS for e in sides.values())
        assert row["games"] == sum(e["games"] for e in sides.values()) == 12
        assert row["wins"] == sum(e["wins"] for e in sides.values())
        lo, hi = row["ci"]
        assert 0 <= lo <= row["win_rate"] <= hi <= 1
        assert set(s["roles"][row["agent"]]) == {"werewolf", "seer", "doctor", "villager"}
    assert s["matrix"]["agents"] == ["x", "y", "z"]
    assert s["matrix"]["description"].startswith("win rate of the row agent")
    cells = s["matrix"]["cells"]
    assert cells["x"]["x"]["games"] == 0 and cells["x"]["y"]["games"] == 6
    assert cells["y"]["x"]["games"] == 6 and cells["x"]["y"]["wins"] + cells["y"]["x"]["wins"] <= 6
    assert all(
        set(m) == {"identification_precision", "vote_success", "key_role_survival", "avg_game_length"}
        for m in s["metrics"].values()
    )
    team_rates = s["overall"]["team_win_rates"]
    assert set(team_rates) == {"werewolves", "village"} and all(set(e) == RATE_KEYS for e in team_rates.values())
    assert team_rates["werewolves"]["wins"] + team_rates["village"]["wins"] + s["overall"]["draws"] == 18
    assert s["overall"]["avg_game_length"] > 1
