"""`arena solve`: solve the latent (abstract) game of an analysed run and save its policy.

Reads the run's scenario (the game config) and its latent space (``RUN_DIR/latent/``, from
`arena analyze`: k per role), builds the abstract game as an OpenSpiel game, solves it with
:func:`solvers.solve.solve` (CFR on a cached tree when it fits, MCCFR beyond, Deep CFR on request) and
writes ``RUN_DIR/policy.json``: the :class:`~solvers.policy.LatentPolicy` that the ``latent_policy`` agent
plays and the report's cluster cards quote. ``solve.json`` holds NashConv where the whole tree fits
(:data:`~solvers.solve.CACHED_TREE_LIMIT`; never for the 7-player game) and, for ``deep-cfr``, the
network losses and the sampled-play value per role.

Abstract games (one builder per game in :data:`ABSTRACT_GAMES`):

- Werewolf: speech -> latent ids of the speaker's role; night moves and votes as in the rules.
- RPSSL (LSPO's proof of concept): each side picks one of its clusters; the payoff is the rules' expected
  payoff over the moves that the cluster's statements were scored as (from the run's ``reveal`` events).
  Two-player zero-sum, so the exact exploitability is reported.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyspiel

from arena.analysis import LATENT_DIR, POLICY_FILE
from arena.records import Records
from arena.scenario import Scenario, load_scenario
from games.rpssl.rules import Move
from games.werewolf import WerewolfConfig
from solvers.abstract.rpssl import rpssl_game
from solvers.abstract.werewolf import werewolf_game
from solvers.latent.space import LatentSpace
from solvers.policy import latent_policy
from solvers.solve import CACHED_TREE_LIMIT, Method, SolveResult, estimate_tree_size, exploitability, nash_conv, solve

SOLVE_FILE = "solve.json"


def solve_run(
    run_dir: str | Path,
    *,
    method: Method | str = Method.AUTO,
    iterations: int = 200,
    seed: int = 0,
    shaped_reward: bool = False,
) -> dict[str, Any]:
    """Solve ``run_dir``'s latent game; write ``policy.json`` and ``solve.json`` (diagnostics); return them."""
    run_dir = Path(run_dir)
    scenario = load_scenario(run_dir / "scenario.yaml")
    build = ABSTRACT_GAMES.get(scenario.game)
    if build is None:
        raise ValueError(f"arena solve: no abstract game for {scenario.game!r}; known: {', '.join(ABSTRACT_GAMES)}")
    space = LatentSpace.load(run_dir / LATENT_DIR)
    k = {role: space.k(role) for role in space.roles}
    game = build(scenario, space, run_dir, shaped_reward)
    result = solve(game, method, iterations=iterations, seed=seed)
    policy = latent_policy(game, result, seed=seed)
    policy.save(run_dir / POLICY_FILE)
    report: dict[str, Any] = {
        "game": str(game),
        "method": str(result.method),
        "iterations": result.iterations,
        "seconds": result.seconds,
        "k": k,
        "speech_infostates": len(policy.speech),
        "move_infostates": len(policy.moves),
        "roles": {role: vars(s) for role, s in policy.roles.items()},
    }
    report.update(best_response_figures(game, result, seed))
    if result.diagnostics:
        report["diagnostics"] = result.diagnostics
    (run_dir / SOLVE_FILE).write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report


def best_response_figures(game: pyspiel.Game, result: SolveResult, seed: int = 0) -> dict[str, float]:
    """NashConv (and the exploitability of 2-player zero-sum games) where best responses are affordable:
    after tabular CFR (its cached tree is built), and after ``deep-cfr`` on trees within
    :data:`CACHED_TREE_LIMIT` (its network is read at every information state). Empty otherwise."""
    method = Method(result.method)
    if method in (Method.CFR, Method.CFR_PLUS):
        tree, fallback = result.game or game, None
    elif method is Method.DEEP_CFR and estimate_tree_size(game, seed=seed) <= CACHED_TREE_LIMIT:
        tree, fallback = game, result.policy
    else:
        return {}
    figures = {"nash_conv": nash_conv(tree, result.average_policy, fallback)}
    if game.get_type().utility == pyspiel.GameType.Utility.ZERO_SUM and game.num_players() == 2:
        figures["exploitability"] = exploitability(tree, result.average_policy, fallback)
    return figures


def _werewolf(scenario: Scenario, space: LatentSpace, run_dir: Path, shaped_reward: bool) -> pyspiel.Game:
    config = scenario.game_config()
    assert isinstance(config, WerewolfConfig)
    return werewolf_game(config, k={role: space.k(role) for role in space.roles}, shaped_reward=shaped_reward)


def _rpssl(scenario: Scenario, space: LatentSpace, run_dir: Path, shaped_reward: bool) -> pyspiel.Game:
    moves = rpssl_cluster_moves(run_dir / "records.sqlite", space)
    return rpssl_game(moves["red"], moves["blue"])


def rpssl_cluster_moves(records_path: Path, space: LatentSpace) -> dict[str, list[dict[Move, float]]]:
    """Per side and cluster, how often its statements were scored as each move (the rules' parse,
    fallbacks included: that is the move the statement actually played)."""
    cluster_of = {side: dict(zip(rs.texts, rs.labels.tolist(), strict=True)) for side, rs in space.roles.items()}
    counts: dict[str, list[Counter[Move]]] = {
        side: [Counter() for _ in range(rs.k)] for side, rs in space.roles.items()
    }
    records = Records(records_path)
    try:
        for match in records.matches(status="done"):
            sides = (match.outcome or {}).get("roles", {})
            said: dict[tuple[int, str], str] = defaultdict(str)
            for event in records.events(match.match_id):
                if event.kind == "statement":
                    said[event.data["round"], event.data["speaker"]] = event.data["text"]
                elif event.kind == "reveal":
                    for player, move in event.data["moves"].items():
                        side, text = sides.get(player), said.get((event.data["round"], player))
                        if side in cluster_of and text in cluster_of[side]:
                            counts[side][cluster_of[side][text]][Move(move)] += 1
    finally:
        records.close()
    return {side: [dict(c) for c in clusters] for side, clusters in counts.items()}


ABSTRACT_GAMES: dict[str, Callable[[Scenario, LatentSpace, Path, bool], pyspiel.Game]] = {
    "werewolf": _werewolf,
    "rpssl": _rpssl,
}
"""game name -> builder of its abstract game from the scenario, the latent space and the run's records."""
