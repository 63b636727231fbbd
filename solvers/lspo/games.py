"""What the LSPO loop needs from each game: its abstract game built from the self-play candidates and
the latent space, how a space role maps to a role of the solved policy, and extra evaluation figures.

RPSSL (LSPO's proof of concept) is measured exactly: a statement plays the move it parses to, or, when it
states none, what the config's fallback gives it (``forfeit``: it loses to any stated move; ``random``: a
uniform move). The abstract game pays the expected payoff between two clusters of statements, and the
language agent's *exploitability* is the best response's gain against the distribution of what it says.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyspiel

from arena.records import seated_events
from arena.scenario import Scenario
from games.rpssl.config import Fallback, RPSSLConfig, Side
from games.rpssl.parse import parse_move
from games.rpssl.rules import MOVES, Move, payoff
from games.werewolf import WerewolfConfig
from solvers.abstract.matrix import matrix_game
from solvers.abstract.werewolf import werewolf_game
from solvers.latent.space import LatentSpace
from solvers.lspo.identify import identification
from solvers.lspo.turns import CandidateTurn

Outcome = Move | None  # None: the statement states no move


@dataclass(frozen=True)
class LSPOGame:
    abstract: Callable[[Scenario, LatentSpace, Sequence[CandidateTurn], bool], pyspiel.Game]
    policy_role: Callable[[str], str]  # a latent-space role -> the solved policy's role name
    evaluate: Callable[[Scenario, Sequence[Path], str], dict[str, Any]]  # extra figures from eval runs


# ---- RPSSL ---------------------------------------------------------------------------------------
def outcome_payoff(a: Outcome, b: Outcome, fallback: Fallback) -> float:
    """Expected payoff of saying ``a`` against ``b``."""
    if a is not None and b is not None:
        return float(payoff(a, b))
    if fallback is Fallback.FORFEIT:
        return 0.0 if a is None and b is None else (-1.0 if a is None else 1.0)
    spread_a = [a] if a is not None else list(MOVES)  # random fallback: a uniform move
    spread_b = [b] if b is not None else list(MOVES)
    return float(np.mean([payoff(x, y) for x in spread_a for y in spread_b]))


def exploitability_of(distribution: Mapping[Outcome, float], fallback: Fallback) -> float:
    """Best-response gain against a player who says each outcome with the given probability (game value 0)."""
    total = sum(distribution.values())
    if total <= 0:
        return float("nan")
    return max(sum(p * outcome_payoff(b, a, fallback) for a, p in distribution.items()) / total for b in MOVES)


def exploitability_interval(
    counts: Mapping[Outcome, int], fallback: Fallback, seed: int = 0, resamples: int = 2000
) -> tuple[float, float]:
    """95% percentile-bootstrap interval of :func:`exploitability_of` over the statements counted (each
    resample draws as many statements as were said, from their observed frequencies)."""
    outcomes, n = list(counts), sum(counts.values())
    draws = np.random.default_rng(seed).multinomial(n, [counts[o] / n for o in outcomes], size=resamples)
    values = [exploitability_of(dict(zip(outcomes, row, strict=True)), fallback) for row in draws]
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def said(text: str) -> Outcome:
    parsed = parse_move(text)
    return parsed.move if parsed.move is not None else None


def _rpssl_abstract(
    scenario: Scenario, space: LatentSpace, turns: Sequence[CandidateTurn], shaped: bool
) -> pyspiel.Game:
    config = scenario.game_config()
    assert isinstance(config, RPSSLConfig)
    mixes: dict[str, list[Counter[Outcome]]] = {
        role: [Counter() for _ in range(rs.k)] for role, rs in space.roles.items()
    }
    for turn in turns:
        for text, z in zip(turn.texts, space.assign(list(turn.texts), turn.role), strict=True):
            mixes[turn.role][int(z)][said(text)] += 1
    rows, cols = mixes[Side.RED.value], mixes[Side.BLUE.value]
    table = [[_expected(r, c, config.fallback) for c in cols] for r in rows]
    return matrix_game(table)


def _expected(row: Counter[Outcome], col: Counter[Outcome], fallback: Fallback) -> float:
    n_row, n_col = sum(row.values()), sum(col.values())
    if not n_row or not n_col:
        return 0.0
    return sum(pa * pb * outcome_payoff(a, b, fallback) for a, pa in row.items() for b, pb in col.items()) / (
        n_row * n_col
    )


def _rpssl_evaluate(scenario: Scenario, runs: Sequence[Path], agent: str) -> dict[str, Any]:
    """The trained agent's distribution over what it said in the evaluation games, and its exploitability."""
    config = scenario.game_config()
    assert isinstance(config, RPSSLConfig)
    counts: Counter[Outcome] = Counter()
    for _, mine, event in seated_events(runs, agent):
        if event.kind == "reveal":
            for seat in mine:
                stated = event.data["parse"][seat] == "stated"
                counts[Move(event.data["moves"][seat]) if stated else None] += 1
    total = sum(counts.values())
    distribution = {("no_move" if k is None else k.value): v / total for k, v in counts.items()} if total else {}
    return {
        "exploitability": exploitability_of(counts, config.fallback) if total else None,
        "exploitability_ci": list(exploitability_interval(counts, config.fallback)) if total else None,
        "statements": total,
        "move_distribution": distribution,
    }


# ---- Werewolf ------------------------------------------------------------------------------------
def _werewolf_abstract(
    scenario: Scenario, space: LatentSpace, turns: Sequence[CandidateTurn], shaped: bool
) -> pyspiel.Game:
    config = scenario.game_config()
    assert isinstance(config, WerewolfConfig)
    return werewolf_game(config, k={role: space.k(role) for role in space.roles}, shaped_reward=shaped)


LSPO_GAMES: dict[str, LSPOGame] = {
    "rpssl": LSPOGame(
        _rpssl_abstract,
        policy_role=lambda role: "player_0" if role == Side.RED.value else "player_1",  # matrix rows are red
        evaluate=_rpssl_evaluate,
    ),
    "werewolf": LSPOGame(
        _werewolf_abstract, policy_role=lambda role: role, evaluate=lambda _, runs, agent: identification(runs, agent)
    ),
}
"""game name -> its LSPO hooks; one entry per game the loop supports."""
