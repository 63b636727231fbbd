"""The LSPO loop end to end on RPSSL with a tiny GPT-2: self-play with candidates, latent space, solve, DPO,
evaluation, resume; plus the exact RPSSL figures it reports.

The tiny model cannot write RPSSL moves, so its replies are canned (cycling through moves and a line that
states none); everything else is real: prompts rendered by its tokenizer, records, clustering (a hashing
embedder for speed), CFR, and DPO on its weights.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
from pathlib import Path

import pytest
import torch

from agents.llm.local import TransformersBackend
from arena.scenario import ScenarioError, validate_scenario
from games.rpssl.config import Fallback
from games.rpssl.rules import Move
from solvers.latent.embed import HashingEmbedder
from solvers.lspo.config import lspo_params
from solvers.lspo.games import exploitability_interval, exploitability_of, outcome_payoff
from solvers.lspo.loop import LSPORun

pytest_plugins = ("tests.llm_fixtures",)

LINES = ["I play rock.", "Paper, final answer.", "I have nothing to add.", "Scissors this time.", "Spock!", "Lizard."]


def scenario(model_dir: Path, **lspo):
    data = {
        "name": "lspo-test",
        "game": "rpssl",
        "config": {"rounds": 1, "fallback": "forfeit"},
        "agents": [
            {"name": "tiny", "kind": "llm", "params": {"backend": {"type": "local", "path": str(model_dir)}}},
            {"name": "nash", "kind": "rpssl_scripted", "params": {"strategy": "mixed"}},
        ],
        "lspo": {
            "agent": "tiny",
            "iterations": 1,
            "selfplay": {"games": 6, "candidates": 3, "concurrency": 6},
            "cluster": {"k_start_other": 3},
            "solver": {"method": "cfr", "iterations": 300},
            "dpo": {"learning_rate": 1e-3, "epochs": 1, "batch_size": 4, "max_length": 384},
            "max_pairs": 8,
            "eval": {"opponents": ["nash"], "games_per_pairing": 3},
            **lspo,
        },
    }
    return validate_scenario(data, "test")


@pytest.fixture
def canned_replies(monkeypatch):
    lines = itertools.cycle(LINES)

    async def generate(self, prompt, sampling, n=1, prefill=""):
        return [prefill + next(lines) + '"}' for _ in range(n)]

    monkeypatch.setattr(TransformersBackend, "generate", generate)


def test_rpssl_payoffs_and_exploitability_are_exact():
    assert outcome_payoff(Move.ROCK, None, Fallback.FORFEIT) == 1.0
    assert outcome_payoff(None, None, Fallback.FORFEIT) == 0.0
    assert outcome_payoff(Move.ROCK, None, Fallback.RANDOM) == 0.0  # a uniform move is even against anything
    uniform = dict.fromkeys(Move, 0.2)
    assert exploitability_of(uniform, Fallback.FORFEIT) == pytest.approx(0.0)
    assert exploitability_of({Move.ROCK: 1.0}, Fallback.FORFEIT) == pytest.approx(1.0)  # paper always wins
    assert exploitability_of({None: 1.0}, Fallback.FORFEIT) == pytest.approx(1.0)  # never states a move


def test_exploitability_interval_brackets_the_estimate_and_narrows_with_more_statements():
    rambling = {None: 60, Move.LIZARD: 30, Move.ROCK: 10}
    low, high = exploitability_interval(rambling, Fallback.FORFEIT)
    assert low <= exploitability_of(rambling, Fallback.FORFEIT) <= high
    more = {o: 10 * n for o, n in rambling.items()}
    low10, high10 = exploitability_interval(more, Fallback.FORFEIT)
    assert high10 - low10 < high - low
    assert exploitability_interval({m: 400 for m in Move}, Fallback.FORFEIT)[1] < 0.15  # near the equilibrium's 0


def test_bad_lspo_section_names_the_field(tiny_model_dir):
    with pytest.raises(ScenarioError, match=r"lspo\.selfplay\.games: 0: "):
        lspo_params(scenario(tiny_model_dir, selfplay={"games": 0}))
    with pytest.raises(ScenarioError, match=r"lspo\.eval\.opponents: 'ghost' is not an agent"):
        lspo_params(scenario(tiny_model_dir, eval={"opponents": ["ghost"]}))


def test_one_iteration_end_to_end_and_resume(tmp_path, tiny_model_dir, canned_replies):
    torch.set_num_threads(1)
    run_dir = tmp_path / "lspo"
    summary = LSPORun(scenario(tiny_model_dir), run_dir, embedder=HashingEmbedder(), progress=False).run()
    first, last = summary["per_iteration"]
    assert first["selfplay"]["speaking_turns"] == 12 and first["selfplay"]["candidates"] == 36
    assert set(first["latent"]["k"]) == {"red", "blue"}
    assert first["solve"]["exploitability"] < 0.01  # CFR on the 2-player latent game
    assert first["dpo"]["pairs"] > 0 and (run_dir / first["dpo"]["checkpoint"]).is_dir()  # kept run-relative
    for entry in (first, last):
        fig = entry["eval"]["opponents"]["nash"]
        assert fig["games"] == 6 and 0.0 <= fig["ci"][0] <= fig["win_rate"] <= fig["ci"][1] <= 1.0
        assert 0.0 <= entry["eval"]["exploitability"] <= 1.0
    assert last["eval"]["model"] == str(run_dir / first["dpo"]["checkpoint"])  # iteration 1 runs the new weights
    assert set(first["seconds"]) == {"eval", "selfplay", "latent", "solve", "dpo"}
    assert (run_dir / "report.html").is_file()

    # hidden information: the candidates are in the event log's meta, never in what a player was shown
    from arena.records import Records

    records = Records(run_dir / "iter_0" / "selfplay" / "records.sqlite")
    events = [e for m in records.matches() for e in records.events(m.match_id)]
    records.close()
    lspo_meta = [e for e in events if "lspo" in e.meta]
    assert lspo_meta and all(e.visible_to == frozenset({e.data["speaker"]}) for e in lspo_meta)
    assert not any("candidates" in json.dumps(e.data) for e in events)

    # rerun: every step is done, nothing is redone; drop the DPO step and only it runs again
    stamp = (run_dir / "iter_0" / "selfplay.json").stat().st_mtime_ns
    again = LSPORun(scenario(tiny_model_dir), run_dir, embedder=HashingEmbedder(), progress=False).run()
    assert again == summary and (run_dir / "iter_0" / "selfplay.json").stat().st_mtime_ns == stamp
    (run_dir / "iter_0" / "dpo.json").unlink()
    redone = LSPORun(scenario(tiny_model_dir), run_dir, embedder=HashingEmbedder(), progress=False).run()
    assert redone["per_iteration"][0]["dpo"]["pairs"] == first["dpo"]["pairs"]
    assert (run_dir / "iter_0" / "selfplay.json").stat().st_mtime_ns == stamp

    # the run directory moves: the final evaluation, redone, still finds iteration 0's checkpoint
    moved = tmp_path / "moved"
    run_dir.rename(moved)
    (moved / "iter_1" / "eval.json").unlink()
    shutil.rmtree(moved / "iter_1" / "eval_nash")
    resumed = LSPORun(scenario(tiny_model_dir), moved, embedder=HashingEmbedder(), progress=False).run()
    assert resumed["per_iteration"][1]["eval"]["opponents"]["nash"]["games"] == 6

    with pytest.raises(ScenarioError, match="different scenario"):
        LSPORun(scenario(tiny_model_dir, max_pairs=4), moved, embedder=HashingEmbedder(), progress=False).run()


def test_a_step_with_errored_matches_is_not_marked_done(tmp_path, tiny_model_dir, monkeypatch):
    from solvers.lspo import loop

    def half_failed(scenario, run_dir, progress=True):
        return {"run": {"matches_done": 5, "matches_error": 1}, "leaderboard": [], "sides": {}}

    monkeypatch.setattr(loop, "run_tournament", half_failed)
    run = LSPORun(scenario(tiny_model_dir), tmp_path / "lspo", embedder=HashingEmbedder(), progress=False)
    with pytest.raises(RuntimeError, match="1 match\\(es\\) errored"):
        run.run()
    assert not (tmp_path / "lspo" / "iter_0" / "eval.json").exists()  # the rerun plays the step again


def test_empirical_values_rank_the_strategy_said_in_won_games_first():
    from types import SimpleNamespace

    from solvers.lspo.empirical import empirical_values
    from solvers.lspo.turns import CandidateTurn

    space = SimpleNamespace(
        roles={"seer": SimpleNamespace(k=3)},
        assign=lambda texts, role: [int(t.split()[-1]) for t in texts],  # "claim 2" -> latent 2
    )

    def turn(said: int, score: float) -> CandidateTurn:
        texts = tuple(f"claim {z}" for z in (said, (said + 1) % 3))
        return CandidateTurn("m", "player_0", "seer", "p", texts, texts, chosen=0, score=score)

    turns = [turn(0, 1.0)] * 6 + [turn(1, -1.0)] * 6 + [turn(2, 1.0)]  # latent 2: said once
    values = empirical_values(space, turns)["seer"]
    assert values.count == [6, 6, 1]
    assert values.regret[0] == 0.0 and values.regret[1] > values.regret[2] > 0.0  # one lucky game is shrunk
    assert values.value[0] == pytest.approx((6 + 4 * (1 / 13)) / 10)  # toward the role mean, 1/13
    assert empirical_values(space, [])["seer"].regret == [0.0, 0.0, 0.0]  # nothing said: no preference


def test_mixture_ranking_prefers_what_the_model_says_less_often_than_the_solution_plays_it():
    from solvers.lspo.config import Ranking
    from solvers.lspo.ranking import OUTSIDE, frequencies, min_gap, preference
    from solvers.policy import LatentPolicy, RoleStrategies

    # solved mixture over 4 strategies of "red": half / half on 0 and 1, none on 2, a trace on 3
    strategies = RoleStrategies(marginal=[0.5, 0.5, 0.0, 0.005], regret=[0.0] * 4,
                                strategy_regret=[0.0, 0.0, 1.0, 0.2], infostates=1)  # fmt: skip
    policy = LatentPolicy(method="cfr", iterations=1, game="g", roles={"player_0": strategies})
    freq = frequencies({"red": [0] * 6 + [1] * 2 + [2] * 2}, {"red": 4})
    assert freq == {"red": [0.6, 0.2, 0.2, 0.0]}
    score = preference(Ranking.MIXTURE, policy, lambda role: "player_0", {}, freq)
    assert score("red", 1) > score("red", 0) > score("red", 2) == score("red", 3) == OUTSIDE
    assert score("red", 1) - score("red", 0) == pytest.approx(math.log(3.0))
    assert math.log(3.0) > min_gap(Ranking.MIXTURE)
    # regret ranking ties the two strategies of the support: the model may drift onto either of them
    regret = preference(Ranking.SOLVER, policy, lambda role: "player_0", {}, freq)
    assert regret("red", 0) == regret("red", 1) == 0.0 > regret("red", 3) > regret("red", 2)
    # at the solved frequencies the support makes no pair among itself
    at_target = preference(Ranking.MIXTURE, policy, lambda role: "player_0", {}, {"red": [0.5, 0.5, 0.0, 0.0]})
    assert at_target("red", 0) == at_target("red", 1)


@pytest.mark.parametrize(("population", "pooled"), [("current", ["t1"]), ("all", ["t0", "t1"])])
def test_the_population_pools_every_iterations_candidates_when_asked(
    tmp_path, tiny_model_dir, monkeypatch, population, pooled
):
    run = LSPORun(scenario(tiny_model_dir, population=population), tmp_path, progress=False)
    monkeypatch.setattr(run, "_turns", lambda i: [f"t{i}"])
    assert run._population(1) == pooled and run._population(0) == ["t0"]
    with pytest.raises(ScenarioError, match=r"lspo\.population"):
        LSPORun(scenario(tiny_model_dir, population="everything"), tmp_path / "bad", progress=False)
