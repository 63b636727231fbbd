"""Scenario validation: every bad file yields one error naming the field and the value, and writes nothing."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from arena.cli import app
from arena.scenario import ScenarioError, load_scenario, override, validate_scenario
from games import GAMES

GOOD: dict[str, Any] = {
    "name": "t",
    "game": "werewolf",
    "config": {"n_players": 7},
    "agents": [
        {"name": "a", "kind": "scripted", "params": {"seer": "reveal", "werewolf": "fake_seer"}},
        {"name": "b", "kind": "random"},
    ],
    "tournament": {"format": "sides", "games_per_pairing": 2, "seed": 1},
}


def _write(tmp_path: Path, data: Any, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def _with(path: str, value: Any) -> dict[str, Any]:
    """GOOD with one dotted path set (``value is DELETE`` removes it)."""
    data = copy.deepcopy(GOOD)
    *parents, leaf = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    if value is DELETE:
        del node[leaf]
    else:
        node[leaf] = value
    return data


DELETE = object()

# (dotted path, bad value, the error after "<file>: ")
BAD = [
    ("tournament.games_per_pairing", -3, "tournament.games_per_pairing: -3 is not valid (must be >= 1)"),
    ("tournament.format", "sidez", "tournament.format: \"sidez\" is not valid (must be one of 'sides' or 'mixed')"),
    ("tournament.gmes", 10, "tournament.gmes: unknown key (allowed here: format, games_per_pairing, games, seed,"),
    ("tournament.seed", "soon", 'tournament.seed: "soon" is not valid (must be an integer)'),
    ("tournament.self_play", "maybe", 'tournament.self_play: "maybe" is not valid (must be true or false)'),
    ("tournamnet", {}, "tournamnet: unknown key (allowed here: name, description, game, config, agents,"),
    ("game", "chess", f'game: "chess" is not valid (unknown game; known: {", ".join(GAMES)})'),
    ("config.n_players", 99, "config.n_players: 99 is not valid (must be <= 20)"),
    ("config.tie_rul", "random", "config.tie_rul: unknown key (allowed here: n_players, roles, tie_rule,"),
    ("config.tie_rule", "coin", 'config.tie_rule: "coin" is not valid (must be one of'),
    ("config.roles", {"werewolf": 2, "seer": 1}, "config: roles add up to 3, but n_players is 7"),
    ("agents", DELETE, "agents: required field is missing"),
    ("agents", [], "agents: must have at least 1 item(s)"),
    ("agents.1.kind", "robot", 'agents.1.kind: "robot" is not valid (unknown agent kind; known: '),
    ("agents.1.name", "a", 'agents.1.name: "a" is not valid (duplicate agent name, also agents.0)'),
    ("agents.1.name", "has space", 'agents.1.name: "has space" is not valid (may hold only letters'),
    ("agents.0.params.seer", "shout", 'agents.0.params.seer: "shout" is not valid (must be one of'),
    ("agents.0.params.mood", "happy", "agents.0.params.mood: unknown key"),
    ("play.lineup", {"player_9": "a"}, "play.lineup.player_9: unknown seat; seats: player_0, "),
    ("play.lineup", {"player_0": "zed"}, 'play.lineup.player_0: "zed" is not valid (unknown agent; agents: a, b)'),
    ("name", DELETE, "name: required field is missing"),
]


@pytest.mark.parametrize(("path", "value", "expected"), BAD, ids=[b[0] + "=" + repr(b[1])[:12] for b in BAD])
def test_bad_scenario_names_field_and_value_and_writes_nothing(tmp_path, path, value, expected):
    scenario = _write(tmp_path, _with(path, value))
    with pytest.raises(ScenarioError) as info:
        load_scenario(scenario)
    message = str(info.value)
    assert message.startswith(f"{scenario}: {expected}"), message
    assert "\n" not in message

    run_dir = tmp_path / "run"
    result = CliRunner().invoke(app, ["tournament", str(scenario), "--out", str(run_dir), "--no-progress"])
    assert result.exit_code == 2, result.output
    assert expected in result.output.replace("\n", "")
    assert not run_dir.exists()


def test_sides_with_one_agent_needs_self_play(tmp_path):
    one = {**GOOD, "agents": GOOD["agents"][:1]}
    with pytest.raises(ScenarioError, match=r"agents: the sides format needs two agents"):
        load_scenario(_write(tmp_path, one))
    solo = copy.deepcopy(one)
    solo["tournament"]["self_play"] = True
    assert load_scenario(_write(tmp_path, solo)).tournament.self_play


def test_yaml_syntax_error_gives_the_line(tmp_path):
    path = _write(tmp_path, "name: t\ngame: werewolf\nagents: [\n  {name: a, kind: random\n")
    with pytest.raises(ScenarioError, match=r"s\.yaml: line \d+, column \d+: YAML syntax error"):
        load_scenario(path)


def test_not_a_mapping_and_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="must hold a mapping"):
        load_scenario(_write(tmp_path, "- just\n- a list\n"))
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load_scenario(tmp_path / "nope.yaml")


def test_override_errors_name_the_override(tmp_path):
    path = _write(tmp_path, GOOD)
    with pytest.raises(ScenarioError, match=r"tournament\.seed \(set by an override\): -1 is not valid"):
        load_scenario(path, {"tournament.seed": -1})
    assert load_scenario(path, {"tournament.seed": 9, "tournament.concurrency": None}).tournament.seed == 9


def test_defaults_filled_and_canonical_round_trip(tmp_path):
    scenario = load_scenario(_write(tmp_path, GOOD))
    assert scenario.config["max_days"] == 10  # WerewolfConfig default, resolved into the scenario
    assert scenario.agent("a").params["villager"]  # scripted params resolved with their defaults
    assert validate_scenario(scenario.canonical()) == scenario


def test_hash_is_canonical(tmp_path):
    base = load_scenario(_write(tmp_path, GOOD)).digest()
    reordered = dict(reversed(list(copy.deepcopy(GOOD).items())))
    reordered["config"]["max_days"] = 10  # spelling out a default changes nothing
    text = "# a comment\n" + yaml.safe_dump(reordered, sort_keys=True)
    assert load_scenario(_write(tmp_path, text, "r.yaml")).digest() == base
    scenario = load_scenario(_write(tmp_path, GOOD))
    assert override(scenario, {"tournament.concurrency": 64}).digest() == base  # execution only
    assert override(scenario, {"tournament.seed": 2}).digest() != base
    assert override(scenario, {"config.max_days": 3}).digest() != base


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[1] / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_scenarios_are_valid(path):
    scenario = load_scenario(path)
    assert len(scenario.agents) >= 2
