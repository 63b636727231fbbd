"""The ``arena`` command through typer's CliRunner: help, errors, play, tournament, report."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from arena.cli import DISPLAYS, _event_line, app
from games.base import Action
from games.werewolf import WerewolfSession

SCENARIOS = Path(__file__).parents[1] / "scenarios"
SCRIPTED = str(SCENARIOS / "werewolf_scripted.yaml")
FOUR = str(SCENARIOS / "werewolf_4p.yaml")
runner = CliRunner(env={"COLUMNS": "200"})  # wide enough that rich does not squeeze the table


@pytest.mark.parametrize("command", [[], ["play"], ["tournament"], ["report"]])
def test_help_reads_well(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    assert "Example" in result.output


def test_bad_scenario_exits_2_with_one_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    data = yaml.safe_load(Path(SCRIPTED).read_text())
    data["tournament"]["games_per_pairing"] = -3
    bad.write_text(yaml.safe_dump(data))
    for command in (["tournament", str(bad), "--out", str(tmp_path / "run")], ["play", str(bad)]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2
        lines = result.output.strip().splitlines()
        assert lines == [f"error: {bad}: tournament.games_per_pairing: -3 is not valid (must be >= 1)"]
    assert not (tmp_path / "run").exists()


def test_bad_options_exit_2(tmp_path):
    assert runner.invoke(app, ["tournament", SCRIPTED, "--out", str(tmp_path / "r"), "--games", "0"]).exit_code == 2
    result = runner.invoke(app, ["play", SCRIPTED, "--human", "player_77"])
    assert result.exit_code == 2 and "unknown seat 'player_77'" in result.output
    result = runner.invoke(app, ["report", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no records.sqlite" in result.output
    assert not (tmp_path / "r").exists()


def test_tournament_prints_leaderboard_and_resumes(tmp_path):
    run_dir = tmp_path / "run"
    args = ["tournament", SCRIPTED, "--out", str(run_dir), "--games", "1", "--no-progress"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    for text in ("leaderboard", "95% CI", "bold", "cautious", "random", "20 matches done, 0 errored"):
        assert text in result.output
    assert (run_dir / "records.sqlite").is_file() and (run_dir / "scenario.yaml").is_file()
    if (Path(__file__).parents[1] / "arena" / "report").is_dir():
        assert f"report: {run_dir / 'report.html'}" in result.output.replace("\n", "")
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "20 matches done" in again.output
    other = runner.invoke(app, [*args, "--seed", "5"])
    assert other.exit_code == 2 and "different scenario" in other.output


def test_play_shows_an_omniscient_game(tmp_path):
    result = runner.invoke(app, ["play", FOUR, "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Night 1 falls." in result.output and "Your role:" in result.output
    assert "won (" in result.output or "draw" in result.output
    assert "player_0 (bold):" in result.output  # lineup from the play section, roles revealed at the end


def test_play_as_a_human_shows_only_that_seat(tmp_path):
    result = runner.invoke(app, ["play", SCRIPTED, "--human", "player_2"], input="1\n" * 200)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "You are player_2." in text and text.count("Your role:") == 1
    assert "player_2, your choice (number or name):" in text or "player_2, say something:" in text
    assert "  [player_" not in text  # no other seat's private events, no omniscient labels
    assert "thinks]" not in text
    assert "player_2 (you):" in text  # roles revealed only once the game is over


def test_player_view_shows_only_what_the_seat_may_see():
    session = WerewolfSession(seed=4)
    while not session.is_over():  # everyone abstains / picks the first legal move, speaking a fixed line
        for p in session.to_act():
            legal = session.legal(p)
            session.step(p, Action(legal[0] if legal else "hello"))
    seats = dict.fromkeys(session.players, "x")
    for viewer in session.players:
        lines = [_event_line(DISPLAYS["werewolf"], e, viewer, seats) for e in session.events]
        shown = [e for e, line in zip(session.events, lines, strict=True) if line is not None]
        assert all(e.visible(viewer) for e in shown)
        assert any(e.visible_to is not None for e in shown)  # its own private events are there
    omniscient = [_event_line(DISPLAYS["werewolf"], e, None, seats) for e in session.events]
    assert sum(line is not None and line[0].startswith("  [") for line in omniscient) >= len(session.players)
