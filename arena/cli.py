"""The ``arena`` command: play one game, run a tournament, write a report.

Every command points at a scenario file (``scenarios/*.yaml``) and overrides at most a few fields.
A bad scenario stops with exit code 2 and one line naming the field and value; nothing is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from agents.registry import make_agent
from arena.runner import play_match
from arena.scenario import Scenario, ScenarioError, load_scenario
from arena.schedule import MatchSpec, agent_rng
from arena.tournament import run_tournament
from games.base import Event
from games.rpssl.text import EVENT_RENDERERS as RPSSL_RENDERERS
from games.rpssl.text import RULES_SUMMARY as RPSSL_RULES
from games.werewolf.text import EVENT_RENDERERS as WEREWOLF_RENDERERS
from games.werewolf.text import RULES_SUMMARY as WEREWOLF_RULES

app = typer.Typer(
    help="Latent Arena: multi-agent language games, tournaments and reports.\n\n"
    "Examples:\n\n"
    "  arena play scenarios/werewolf_4p.yaml --human player_0\n\n"
    "  arena tournament scenarios/werewolf_scripted.yaml --out runs/demo\n\n"
    "  arena report runs/demo",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
out = Console()
err = Console(stderr=True, soft_wrap=True)  # an error stays on one line, whatever the width

Renderer = Callable[[Mapping[str, Any], str], str | None]  # (event data, viewing seat) -> line or None


@dataclass(frozen=True)
class Display:
    """How `arena play` shows one game: per-kind event renderers, the rules a person reads first,
    public events the omniscient log leaves out, a rich style per event kind, and which paragraph of an
    observation holds the question (counted from the end) for a person who sees the rest in the live log."""

    renderers: Mapping[str, Renderer]
    rules: str
    spectator_skip: frozenset[str]
    styles: Mapping[str, str]
    question_at: int = -1


DISPLAYS: dict[str, Display] = {
    "werewolf": Display(
        WEREWOLF_RENDERERS,
        WEREWOLF_RULES,
        spectator_skip=frozenset(),
        styles={"announcement": "bold yellow", "vote_result": "cyan", "game_over": "bold green", "night": "dim"},
        question_at=-2,  # the prompt closes with who the player is and what only they know (text.render_prompt)
    ),
    "rpssl": Display(
        RPSSL_RENDERERS, RPSSL_RULES, spectator_skip=frozenset(), styles={"reveal": "cyan", "game_over": "bold green"}
    ),
}
"""game name -> Display; one entry per game that `arena play` can show."""

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file, e.g. scenarios/werewolf_scripted.yaml.")]


def _load(path: Path, overrides: Mapping[str, Any]) -> Scenario:
    try:
        return load_scenario(path, overrides)
    except ScenarioError as e:
        _fail(str(e))


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(code)


# ---- play --------------------------------------------------------------------------------------
@app.command()
def play(
    scenario: ScenarioArg,
    human: Annotated[
        str | None,
        typer.Option(help="Seat you play (e.g. player_3); the screen then shows only what that seat may see."),
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Game seed (default: the scenario's play.seed).")] = None,
) -> None:
    """Play ONE game turn by turn on the terminal.

    Without --human the log is omniscient: roles, private night actions and reasoning are shown,
    marked with who saw them. With --human SEAT you take that seat and see only what it may see.
    The line-up comes from the scenario's `play` section. Nothing is recorded.

    Example: `arena play scenarios/werewolf_4p.yaml --human player_0`
    """
    sc = _load(scenario, {"play.seed": seed})
    seed = sc.play.seed
    players = sc.game_spec.session(sc.game_config(), seed).players
    if human is not None and human not in players:
        _fail(f"--human: unknown seat {human!r} (seats: {', '.join(players)})")
    seats = {p: sc.play.lineup.get(p, sc.agents[i % len(sc.agents)].name) for i, p in enumerate(players)}
    agents = {}
    for i, (seat, name) in enumerate(seats.items()):
        entry = sc.agent(name)
        agents[seat] = make_agent(entry.kind, name, agent_rng(seed, i), entry.params)
    display = DISPLAYS[sc.game]
    out.rule(f"{sc.name} · seed {seed}")
    if human is not None:
        seats[human] = "you"
        agents[human] = make_agent("human", "you", agent_rng(seed, players.index(human)))
        agents[human].write = partial(_question_only, display.question_at)  # type: ignore[attr-defined]
        out.print(display.rules, markup=False, highlight=False)
        out.print(f"You are {human}.", style="bold", markup=False, highlight=False)
    out.print(", ".join(f"{p}: {a}" for p, a in seats.items()), markup=False, highlight=False)
    spec = MatchSpec(index=0, seed=seed, match_id=f"play-{seed}", seats=seats, roles=None)

    def show(event: Event) -> None:
        line = _event_line(display, event, human, seats)
        if line is not None:
            out.print(line[0], style=line[1], markup=False, highlight=False)

    record, _ = asyncio.run(play_match(spec, sc.game_spec, sc.game_config(), agents, on_event=show))
    if record.status == "error":
        _fail(f"the game stopped: {record.error}", code=1)
    assert record.outcome is not None
    out.rule("roles")
    for p, role in record.outcome["roles"].items():
        out.print(f"{p} ({seats[p]}): {role}", markup=False, highlight=False)


def _question_only(at: int, text: str) -> None:
    """The human agent's writer: the observation's paragraph ``at`` (Werewolf: the living players, the
    question, the legal moves); the events are already on screen from the live log."""
    paragraphs = text.split("\n\n")
    out.print(paragraphs[max(at, -len(paragraphs))].strip("\n"), style="bold", markup=False, highlight=False)


def _event_line(display: Display, event: Event, viewer: str | None, seats: Mapping[str, str]) -> tuple[str, str] | None:
    """(text, style) of one event for ``viewer`` (a seat), or for the omniscient log (``None``)."""
    render = display.renderers[event.kind]
    if viewer is not None:  # a player's view: only what that seat was shown, worded for it
        line = render(event.data, viewer) if event.visible(viewer) else None
        return None if line is None else (line, display.styles.get(event.kind, ""))
    if event.visible_to is None:
        line = None if event.kind in display.spectator_skip else render(event.data, "")
        return None if line is None else (line, display.styles.get(event.kind, ""))
    if not event.visible_to:  # seen by nobody: private reasoning, shown dim in the omniscient log
        who = event.data.get("player", "?")
        return (f"  [{who} thinks] {event.data['text']}", "dim italic") if "text" in event.data else None
    audience = sorted(event.visible_to)
    line = render(event.data, audience[0])
    label = ", ".join(f"{p} · {seats.get(p, '?')}" for p in audience)
    return None if line is None else (f"  [{label}] {line}", "magenta")


# ---- tournament --------------------------------------------------------------------------------
@app.command()
def tournament(
    scenario: ScenarioArg,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Run directory (created; rerun to resume).")],
    games: Annotated[
        int | None, typer.Option(min=1, help="Games per ordered pair (sides) or in total (mixed).")
    ] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Root seed (default: tournament.seed).")] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, help="Matches played at once.")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
) -> None:
    """Run the scenario's tournament into a run directory and print the leaderboard.

    Matches are saved as they finish; rerunning the same command into the same --out resumes:
    finished matches are skipped, errored ones retried. A directory holding another scenario is
    refused. Writes RUN_DIR/records.sqlite, RUN_DIR/scenario.yaml and (when the report module is
    present) RUN_DIR/report.html.

    Example: `arena tournament scenarios/werewolf_scripted.yaml --out runs/demo --games 5`
    """
    sc = _load(scenario, {"tournament.seed": seed, "tournament.concurrency": concurrency})
    try:
        summary = run_tournament(sc, out_dir, games=games, progress=progress)
    except ScenarioError as e:
        _fail(str(e))
    except KeyboardInterrupt:
        _fail(f"interrupted; finished matches are saved, rerun the same command to resume into {out_dir}", 130)
    if not out.is_terminal:  # piped output has no width (rich assumes 80): keep the table whole in logs
        out.width = max(out.width, 140)
    out.print(leaderboard_table(summary))
    run = summary["run"]
    out.print(f"{run['matches_done']} matches done, {run['matches_error']} errored · records: {out_dir}")
    writer = _report_writer()
    if writer is not None:
        out.print(f"report: {writer(out_dir)}")


def leaderboard_table(summary: Mapping[str, Any]) -> Table:
    """The leaderboard: win rate with its 95% Wilson interval, OpenSkill rating, win rate per side.

    The draws column is shown only when some game was drawn, to keep the table within 80 columns.
    """
    teams = list(summary["overall"]["team_win_rates"])
    draws = summary["overall"]["draws"] > 0
    table = Table(
        title=f"{summary['run']['scenario']}: leaderboard",
        caption="best first by OpenSkill ordinal = mu - 3 sigma; per side: win rate / games",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("agent", no_wrap=True)
    for column in ("games", "wins", *(["draws"] if draws else []), "win% [95% CI]", "mu ± σ", "ordinal", *teams):
        table.add_column(column, justify="right", no_wrap=True)
    for row in summary["leaderboard"]:
        lo, hi = row["ci"]
        sides = [summary["sides"][row["agent"]].get(t) for t in teams]
        table.add_row(
            row["agent"],
            str(row["games"]),
            str(row["wins"]),
            *([str(row["draws"])] if draws else []),
            f"{row['win_rate']:.0%} [{lo * 100:.0f}, {hi * 100:.0f}]",
            f"{row['rating_mu']:.1f}±{row['rating_sigma']:.1f}",
            f"{row['ordinal']:.1f}",
            *(f"{s['win_rate']:.0%} /{s['games']}" if s else "-" for s in sides),
        )
    return table


# ---- report ------------------------------------------------------------------------------------
def _report_writer() -> Callable[[Path], Path] | None:
    """``arena.report.write_report``, or ``None`` when this checkout has no report module."""
    try:
        from arena.report import write_report
    except ModuleNotFoundError as e:
        if e.name != "arena.report":  # the module is there but one of ITS imports is missing: a real error
            raise
        return None
    return write_report


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="A run directory written by `arena tournament`.")]) -> None:
    """Write RUN_DIR/report.html: leaderboard with intervals, win matrix, per-side/role rates, replays.

    Example: `arena report runs/demo`
    """
    if not (run_dir / "records.sqlite").is_file():
        _fail(f"{run_dir}: no records.sqlite here; run `arena tournament SCENARIO --out {run_dir}` first")
    writer = _report_writer()
    if writer is None:
        _fail("the HTML report module (arena.report) is not part of this checkout", code=1)
    out.print(f"report: {writer(run_dir)}")


@app.command()
def analyze(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `arena tournament`.")],
    k: Annotated[
        list[str] | None,
        typer.Option(help="Clusters for one role, ROLE=K (repeatable); other roles follow the LSPO schedule."),
    ] = None,
    iteration: Annotated[int, typer.Option(help="LSPO iteration whose k schedule applies (k grows by one each).")] = 0,
) -> None:
    """Embed and cluster the run's utterances per role, then add the latent-strategy map to the report.

    Writes RUN_DIR/latent/ (the latent space), RUN_DIR/analysis.json and RUN_DIR/report.html. When
    RUN_DIR/policy.json holds a solved latent policy for the same space, the cluster cards show each
    strategy's probability and regret.

    Example: `arena analyze runs/demo --k werewolf=2`
    """
    from arena.analysis import analyze_run  # loads sklearn and the embedding model only when asked

    overrides = {}
    for item in k or []:
        role, _, value = item.partition("=")
        if not role or not value.isdigit() or int(value) < 1:
            _fail(f"--k {item!r}: expected ROLE=K with K a positive integer, e.g. --k werewolf=2")
        overrides[role] = int(value)
    try:
        analysis = analyze_run(run_dir, k=overrides, iteration=iteration)
    except (FileNotFoundError, ValueError) as error:
        _fail(str(error))
    for role, entry in analysis["roles"].items():
        out.print(f"[bold]{role}[/bold]: k={entry['k']}, {entry['utterances']} utterances")
        for c in entry["clusters"]:
            out.print(f"  {c['title']}")
    writer = _report_writer()
    if writer is not None:
        out.print(f"report: {writer(run_dir)}")


@app.command()
def solve(
    run_dir: Annotated[Path, typer.Argument(help="A run directory analysed by `arena analyze`.")],
    method: Annotated[str, typer.Option(help="auto, cfr, cfr+, mccfr-es, mccfr-os or deep-cfr.")] = "auto",
    iterations: Annotated[int, typer.Option(min=1, help="Solver iterations.")] = 200,
    seed: Annotated[int, typer.Option(help="Solver seed (sampling methods).")] = 0,
    shaped: Annotated[bool, typer.Option(help="LSPO's shaped reward instead of win/loss.")] = False,
) -> None:
    """Solve the run's latent game (speech as latent ids) and write RUN_DIR/policy.json.

    The `latent_policy` agent kind plays that policy; `arena analyze` then shows each strategy's
    probability and regret. Example: `arena solve runs/4p --method cfr --iterations 200`
    """
    from arena.solving import solve_run  # loads OpenSpiel only when asked
    from solvers.latent.space import LatentSpaceFormatError
    from solvers.solve import Method

    if method not in {m.value for m in Method}:
        _fail(f"--method {method!r}: expected one of {', '.join(m.value for m in Method)}")
    try:
        report = solve_run(run_dir, method=method, iterations=iterations, seed=seed, shaped_reward=shaped)
    except (FileNotFoundError, ValueError, LatentSpaceFormatError, ScenarioError) as error:
        _fail(str(error))
    out.print(
        f"{report['method']}: {report['iterations']} iterations in {report['seconds']:.1f} s; "
        f"{report['speech_infostates']} speaking and {report['move_infostates']} move information states"
    )
    if "nash_conv" in report:
        out.print(f"NashConv {report['nash_conv']:.4f}")
    for role, s in report["roles"].items():
        probs = ", ".join(f"{p:.2f}" for p in s["marginal"])
        regrets = ", ".join(f"{r:.3f}" for r in s["strategy_regret"])
        out.print(f"  {role}: policy [{probs}]  strategy regret [{regrets}]")
    out.print(f"policy: {run_dir / 'policy.json'}")


@app.command()
def lspo(
    scenario: ScenarioArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Run directory (created; rerun it to resume).")],
    iterations: Annotated[int | None, typer.Option(min=1, help="Override lspo.iterations.")] = None,
) -> None:
    """Run the LSPO loop: self-play with N candidates, latent space, solve, DPO, evaluation; repeated.

    Every finished step is kept, so rerunning the same command after a kill continues where it
    stopped. Writes RUN_DIR/summary.json (per-iteration figures, wall-clock per step) and
    RUN_DIR/report.html. Example: `arena lspo scenarios/lspo_rpssl.yaml --out runs/lspo-rpssl`
    """
    from solvers.lspo.loop import LSPORun  # torch, TRL and OpenSpiel load only here

    loaded = _load(scenario, {})
    try:
        run = LSPORun(loaded, out_dir)
        summary = run.run(iterations)
    except ScenarioError as error:
        _fail(str(error))
    for entry in summary["per_iteration"]:
        evaluation = entry.get("eval") or {}
        rates = ", ".join(
            f"{name} {fig['win_rate']:.0%} [{fig['ci'][0]:.0%}, {fig['ci'][1]:.0%}]"
            for name, fig in evaluation.get("opponents", {}).items()
        )
        extra = evaluation.get("exploitability")
        tail = "" if extra is None else f"; exploitability {extra:.3f}"
        out.print(f"iteration {entry['iteration']}: {rates}{tail}")
    out.print(f"summary: {out_dir / 'summary.json'}\nreport: {out_dir / 'report.html'}")


if __name__ == "__main__":
    app()
