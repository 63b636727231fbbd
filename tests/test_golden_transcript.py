"""Golden transcripts: a fixed scenario and seed must replay to the very same event log.

Regenerate deliberately (after an intended rules or speech change) with
``UPDATE_GOLDEN=1 pytest tests/test_golden_transcript.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from arena.runner import play_match
from arena.scenario import load_scenario
from arena.schedule import build_schedule
from arena.tournament import build_agents
from games import GAMES

GOLDEN = Path(__file__).parent / "golden"
CASES = {  # scenario file, match index
    "werewolf_scripted_7p": ("scenarios/werewolf_scripted.yaml", 3),
    "werewolf_4p": ("scenarios/werewolf_4p.yaml", 5),
}


async def transcript(scenario_path: str, index: int) -> list[dict]:
    scenario = load_scenario(scenario_path)
    spec = build_schedule(scenario)[index]
    game = GAMES[scenario.game]
    record, events = await play_match(spec, game, scenario.game_config(), build_agents(scenario, spec))
    assert record.status == "done", record.error
    return [{"seats": spec.seats, "outcome": record.outcome}] + [e.to_json() for e in events]


@pytest.mark.parametrize("case", CASES)
async def test_golden_transcript(case):
    lines = await transcript(*CASES[case])
    text = "\n".join(json.dumps(line, sort_keys=True) for line in lines) + "\n"
    path = GOLDEN / f"{case}.jsonl"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"missing {path}; run with UPDATE_GOLDEN=1 once"
    assert text == path.read_text(), f"{case} no longer replays its golden transcript"


async def test_same_seed_same_transcript_different_seed_differs():
    a = await transcript("scenarios/werewolf_scripted.yaml", 3)
    b = await transcript("scenarios/werewolf_scripted.yaml", 3)
    c = await transcript("scenarios/werewolf_scripted.yaml", 4)
    assert a == b
    assert a != c
