"""Tournaments: play every scheduled match of a scenario into a run directory, resumably.

A run directory holds ``records.sqlite`` (:class:`arena.records.Records`: one row per match plus
its event log) and ``scenario.yaml`` (the resolved scenario, every default filled in). Matches are
saved one by one, each in a single transaction, as they finish; a run killed at any moment (Ctrl-C,
SIGKILL, power loss) keeps only whole matches, and rerunning the same command plays exactly the
matches that are missing or errored (deterministic match ids, :mod:`arena.schedule`). Results do not
depend on ``concurrency`` or on the order in which matches finish: every match has its own seeds
and fresh agents.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from tqdm import tqdm

from agents.registry import make_agent
from arena.records import MatchRecord, Records
from arena.runner import play_match
from arena.scenario import Scenario, ScenarioError, override
from arena.schedule import MatchSpec, agent_rng, build_schedule
from arena.standings import summarize

RECORDS_FILE = "records.sqlite"
SCENARIO_FILE = "scenario.yaml"


class RunDirError(ScenarioError):
    """The run directory belongs to a different scenario (or is not a run directory)."""


def resolve(scenario: Scenario, games: int | None = None, seed: int | None = None) -> Scenario:
    """Apply the command-line overrides: ``games`` sets ``games_per_pairing`` (sides) or ``games``
    (mixed), ``seed`` sets ``tournament.seed``."""
    changes = {f"tournament.{scenario.tournament.size_field}": games, "tournament.seed": seed}
    return override(scenario, changes, source=f"scenario {scenario.name!r}")


def open_run(scenario: Scenario, run_dir: str | Path) -> Records:
    """Open (or create) the run directory for ``scenario``; refuse one holding another scenario."""
    run_dir, digest = Path(run_dir), scenario.digest()
    if run_dir.exists() and not run_dir.is_dir():
        raise RunDirError(f"{run_dir}: exists and is not a directory")
    fresh = not (run_dir / RECORDS_FILE).exists()
    records = Records(run_dir / RECORDS_FILE)
    if fresh:
        records.set_meta("scenario_hash", digest)
    stored = records.get_meta("scenario_hash")
    if stored != digest:
        records.close()
        raise RunDirError(
            f"{run_dir}: holds a run of a different scenario ({_differences(run_dir, scenario)}); "
            "use another --out directory, or the scenario stored in it"
        )
    records.set_meta("scenario", scenario.name)
    records.set_meta("game", scenario.game)
    records.set_meta("agents", [a.name for a in scenario.agents])
    # the resolved scenario, rewritten each time (only tournament.concurrency may differ)
    resolved = f"# Resolved scenario (defaults filled in); hash {digest}\n" + yaml.safe_dump(
        scenario.canonical(), sort_keys=False, allow_unicode=True
    )
    tmp = run_dir / (SCENARIO_FILE + ".tmp")
    tmp.write_text(resolved, encoding="utf-8")
    tmp.replace(run_dir / SCENARIO_FILE)
    return records


def _differences(run_dir: Path, scenario: Scenario) -> str:
    """Which fields of the stored scenario differ from ``scenario`` (for the refusal message)."""
    try:
        stored = yaml.safe_load((run_dir / SCENARIO_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return "no readable scenario.yaml there"

    def walk(a: Any, b: Any, path: str) -> list[str]:
        if isinstance(a, dict) and isinstance(b, dict):
            return [d for k in sorted(a.keys() | b.keys()) for d in walk(a.get(k), b.get(k), f"{path}{k}.")]
        return [] if a == b or path == "tournament.concurrency." else [path.rstrip(".")]

    changed = walk(stored, scenario.canonical(), "")
    return "different " + ", ".join(changed[:4]) + (", ..." if len(changed) > 4 else "") if changed else "other hash"


def build_agents(scenario: Scenario, spec: MatchSpec) -> dict[str, Any]:
    """Fresh agents for one match, one per seat, each with its own random stream."""
    agents = {}
    for i, (seat, name) in enumerate(spec.seats.items()):
        entry = scenario.agent(name)
        agents[seat] = make_agent(entry.kind, name, agent_rng(spec.seed, i), entry.params)
    return agents


def run_tournament(
    scenario: Scenario,
    run_dir: str | Path,
    games: int | None = None,
    seed: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Play what is missing of the scenario's tournament into ``run_dir``; return :func:`summarize`."""
    scenario = resolve(scenario, games, seed)
    specs = build_schedule(scenario)
    records = open_run(scenario, run_dir)
    try:
        done = records.done_ids()
        todo = [s for s in specs if s.match_id not in done]
        bar = tqdm(
            total=len(specs),
            initial=len(specs) - len(todo),
            desc=scenario.name,
            unit="game",
            file=sys.stderr,
            disable=not progress,
            dynamic_ncols=True,
        )
        with bar:
            asyncio.run(_play_all(scenario, todo, records, bar.update))
        return summarize(records)
    finally:
        records.close()


async def _play_all(
    scenario: Scenario, todo: list[MatchSpec], records: Records, advance: Callable[[int], object]
) -> None:
    """Up to ``concurrency`` workers pull the next spec, play it and save it at once."""
    queue = iter(todo)
    config = scenario.game_config()
    errors = 0

    async def worker() -> None:
        nonlocal errors
        for spec in queue:  # a shared iterator: each spec goes to exactly one worker
            try:
                agents = build_agents(scenario, spec)
            except Exception as e:  # a misbuilt agent errors its match, not the run
                record = MatchRecord(spec.match_id, spec.index, spec.seed, scenario.game, dict(spec.seats), "error")
                record.error, events = f"building agents: {type(e).__name__}: {e}", []
            else:
                record, events = await play_match(spec, scenario.game_spec, config, agents)
            records.save_match(record, events)
            if record.status == "error":
                errors += 1
                tqdm.write(f"match {spec.index} errored: {record.error}", file=sys.stderr)
            advance(1)

    await asyncio.gather(*(worker() for _ in range(min(scenario.tournament.concurrency, len(todo)))))
    if errors:
        tqdm.write(f"{errors} match(es) errored; rerun the same command to retry them", file=sys.stderr)
