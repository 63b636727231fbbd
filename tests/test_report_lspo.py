"""The LSPO run report: synthetic summaries (RPSSL, Werewolf, a partial run) rendered without a model."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from arena.report import render_report
from arena.report.lspo import lspo_sections, write_lspo_report

HOSTILE = "<script>alert('x')</script>"


def _rate(wins: int, games: int) -> dict[str, Any]:
    rate = wins / games
    return {"games": games, "wins": wins, "win_rate": rate, "ci": [max(rate - 0.1, 0.0), min(rate + 0.1, 1.0)]}


def _cluster(cid: int, title: str, freq: float, previous: int | None) -> dict[str, Any]:
    return {"id": cid, "title": title, "frequency": freq, "previous": previous, "exemplars": [f"said {title}"]}


def rpssl_summary() -> dict[str, Any]:
    """Three trained iterations and the final evaluation; cluster 1 of iteration 1 fades, #2 of 2 is new."""
    clusters = [
        [_cluster(0, "Bluff rock", 0.6, None), _cluster(1, "Taunt", 0.4, None)],
        [_cluster(0, "Bluff rock again", 0.7, 0), _cluster(1, HOSTILE, 0.3, 0)],
        [_cluster(0, "Mixed", 0.5, 1), _cluster(1, "Honest", 0.3, 0), _cluster(2, "Scissors talk", 0.2, None)],
    ]
    entries = []
    for i in range(4):
        entry: dict[str, Any] = {
            "iteration": i,
            "model": f"ckpt-{i}",
            "eval": {
                "opponents": {
                    "uniform": {**_rate(10 + 5 * i, 40), "sides": {"p0": _rate(6 + i, 20), "p1": _rate(4, 20)}}
                },
                "exploitability": [0.8, 0.5, 0.3, 0.125][i],
                "move_distribution": {"rock": 0.6 - 0.1 * i, "paper": 0.1 * i, "scissors": 0.4},
            },
            "seconds": {"eval": 10.0 + i, "selfplay": 100.0},
        }
        if i < 3:
            entry |= {
                "selfplay": {"games": 32, "speaking_turns": 64, "candidates": 4},
                "latent": {"k": {"player": len(clusters[i])}, "clusters": {"player": clusters[i]}},
                "solve": {
                    "method": "cfr",
                    "iterations": 1000,
                    "nash_conv": 0.01,
                    "exploitability": 0.005,
                    "marginal": {"player": [0.625, 0.375, 0.0][: len(clusters[i])]},
                    "strategy_regret": {"player": [0.0, 0.0421, 0.5][: len(clusters[i])]},
                },
                "dpo": {"pairs": 128, "steps": 20, "train_loss": 0.6931, "checkpoint": f"ckpt-{i + 1}"},
                "seconds": {**entry["seconds"], "latent": 5.0, "solve": 2.0, "dpo": 3700.0},
            }
        entries.append(entry)
    return {"scenario": "rpssl-lspo", "game": "rpssl", "agent": "qwen", "iterations": 3, "per_iteration": entries}


def werewolf_summary() -> dict[str, Any]:
    """Two roles, no exploitability: the werewolf role's only cluster changes completely at iteration 1."""
    village = [[_cluster(0, "Accuse quiet", 0.5, None), _cluster(1, "Defend", 0.5, None)]]
    village += [[_cluster(0, "Accuse loud", 0.5, 0), _cluster(1, "Defend more", 0.5, 1)]] * 2
    wolves = [
        [_cluster(0, "Fake seer", 1.0, None)],
        [_cluster(0, "Blend in", 1.0, None)],
        [_cluster(0, "Blend", 1.0, 0)],
    ]
    entries = [
        {
            "iteration": i,
            "model": f"ww-{i}",
            "eval": {
                "opponents": {
                    "base": {**_rate(20 + i, 50), "sides": {"village": _rate(12, 30), "werewolves": _rate(8, 20)}}
                },
                "exploitability": None,
                "move_distribution": None,
            },
            "latent": {
                "k": {"villager": 2, "werewolf": 1},
                "clusters": {"villager": village[i], "werewolf": wolves[i]},
            },
            "solve": None,
            "seconds": {"selfplay": 30.0},
        }
        for i in range(3)
    ]
    return {"scenario": "ww-lspo", "game": "werewolf", "agent": "qwen", "iterations": 3, "per_iteration": entries}


def partial_summary() -> dict[str, Any]:
    """A run in progress: nulls everywhere, a missing eval, an unfinished iteration."""
    return {
        "scenario": None,
        "game": "rpssl",
        "agent": None,
        "iterations": 3,
        "per_iteration": [
            {
                "iteration": 0,
                "model": "base",
                "eval": None,
                "selfplay": None,
                "latent": None,
                "solve": None,
                "dpo": None,
            },
            {
                "iteration": 1,
                "eval": {"opponents": {"uniform": {"games": 0, "wins": 0, "win_rate": None, "ci": None}}},
                "seconds": {"eval": None},
            },
        ],
    }


class Text(HTMLParser):
    """The page's text (tags dropped, entities decoded) and every start tag's name."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def sections_by_id(summary: dict[str, Any]) -> dict[str, str]:
    return {s.id: s.html for s in lspo_sections(summary)}


def text_of(markup: str) -> str:
    parser = Text()
    parser.feed(markup)
    return " ".join(parser.text)


def test_rpssl_sections_show_win_rates_exploitability_and_time() -> None:
    secs = sections_by_id(rpssl_summary())
    assert list(secs) == ["lspo-run", "lspo-winrate", "lspo-exploitability", "lspo-strategies", "lspo-seconds"]
    win = secs["lspo-winrate"]
    assert win.count('data-testid="lspo-winrate-chart"') == 1
    assert win.count("<circle") == 4  # one dot per evaluated iteration
    assert "25.0% [15%–35%]" in text_of(win) and "62.5% [52%–72%]" in text_of(win)  # iterations 0 and 3
    assert ">p0<" in win and ">p1<" in win
    exp = secs["lspo-exploitability"]
    assert "0.8000" in exp and "0.1250" in exp and "lspo-exploitability-chart" in exp
    assert all(m in exp for m in ("rock", "paper", "scissors"))
    wall = text_of(secs["lspo-seconds"])
    assert "1h 01m" in wall  # a 3,700 s DPO step
    assert "Total 46.0 s 6m 40s" in wall  # per-step totals: eval 10+11+12+13, self-play 4 x 100
    assert wall.endswith("3h 12m")  # grand total 11,567 s
    assert "cfr" in secs["lspo-run"] and "ckpt-3" in secs["lspo-run"]


def test_new_and_faded_clusters_are_marked() -> None:
    strat = sections_by_id(rpssl_summary())["lspo-strategies"]
    tables = strat.split("<h4>")[1:]
    assert [t.split("</h4>")[0] for t in tables] == ["Iteration 0 — k=2", "Iteration 1 — k=2", "Iteration 2 — k=3"]
    first, second, third = tables
    assert "NEW" not in first and "FADED" not in first  # the first clustering has nothing to compare with
    assert "NEW" not in second and "FADED" in second and "#1 Taunt" in text_of(second)  # both follow #0
    assert third.count('data-testid="lspo-new"') == 1 and "Scissors talk" in third
    assert "FADED" not in third  # #0 and #1 are both followed
    assert "0.625" in first and "0.0421" in second  # policy marginal and strategy regret from the solve
    assert 'data-testid="lspo-lineage"' in strat


def test_werewolf_roles_each_get_a_lineage() -> None:
    secs = sections_by_id(werewolf_summary())
    assert "lspo-exploitability" not in secs  # no iteration has an exploitability
    strat = secs["lspo-strategies"]
    assert re.findall(r'data-testid="lspo-role">(\w+)<', strat) == ["villager", "werewolf"]
    wolf = strat.split('data-testid="lspo-role">werewolf')[1]
    assert wolf.count('data-testid="lspo-new"') == 1  # "Blend in" follows nothing
    assert "#0 Fake seer" in text_of(wolf)
    assert "werewolves" in secs["lspo-winrate"]


def test_identification_shows_accuracy_interval_and_chance_per_role() -> None:
    seer = {"questions": 12, "correct": 9, "accuracy": 0.75, "ci": [0.47, 0.91], "chance": 0.33}
    entries = [
        {"iteration": 0, "eval": {"identification": {"seer": seer, HOSTILE: {**seer, "questions": 0}}}},
        {"iteration": 1, "eval": {"identification": {}}},  # asked nothing: no row
        {"iteration": 2, "eval": None},
    ]
    html = sections_by_id({"game": "werewolf", "per_iteration": entries})["lspo-identification"]
    text = text_of(html)
    assert "75% [47%–91%]" in text and "n=12" in text and "chance 33%" in text
    assert text.count("iteration") >= 1 and "&lt;script&gt;" in html and "<script" not in html
    assert "lspo-identification" not in sections_by_id(partial_summary())


def test_partial_run_renders_what_is_there() -> None:
    secs = sections_by_id(partial_summary())
    assert set(secs) == {"lspo-run", "lspo-winrate", "lspo-seconds"}
    assert "—" in secs["lspo-winrate"]  # no rate yet
    run = {"game": "rpssl", "scenario": "x", "matches_done": 0, "matches_error": 0}
    page = render_report({"run": run}, [], lspo_sections(partial_summary()))
    assert 'id="lspo-winrate"' in page and "n=0" in page
    assert [s.id for s in lspo_sections({})] == ["lspo-run"]  # an empty summary: the overview note only


def test_every_interpolated_string_is_escaped() -> None:
    summary = rpssl_summary()
    hostile = copy.deepcopy(summary)
    hostile["agent"] = HOSTILE
    hostile["per_iteration"][0]["eval"]["opponents"] = {
        HOSTILE: hostile["per_iteration"][0]["eval"]["opponents"]["uniform"]
    }
    hostile["per_iteration"][0]["seconds"] = {HOSTILE: 1.0}
    hostile["per_iteration"][0]["latent"]["clusters"] = {
        HOSTILE: hostile["per_iteration"][0]["latent"]["clusters"]["player"]
    }
    markup = "".join(s.html for s in lspo_sections(hostile))
    assert "<script" not in markup and "&lt;script&gt;" in markup
    assert HOSTILE in text_of(markup)  # shown to the reader as text
    parser = Text()
    parser.feed(markup)
    assert "script" not in parser.tags


def test_write_lspo_report_writes_a_self_contained_page(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text(json.dumps(rpssl_summary()), encoding="utf-8")
    path = write_lspo_report(tmp_path)
    assert path == tmp_path / "report.html"
    page = path.read_text(encoding="utf-8")
    for sid in ("lspo-winrate", "lspo-exploitability", "lspo-strategies", "lspo-seconds", "replays"):
        assert f'id="{sid}"' in page
    assert "rpssl-lspo" in page and "&lt;script&gt;alert" in page
    assert "left out" not in page  # no replays and no claim that any were dropped
    assert not re.search(r"""(src|href)=["']?https?:""", page)


@pytest.mark.parametrize("summary", [partial_summary(), werewolf_summary()])
def test_write_lspo_report_handles_other_runs(tmp_path: Path, summary: dict[str, Any]) -> None:
    (tmp_path / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    assert "Latent Arena report" in write_lspo_report(tmp_path).read_text(encoding="utf-8")
