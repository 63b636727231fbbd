"""LSPO's proof of concept (Xu et al., ICML 2025): rock-paper-scissors-Spock-lizard with latent speech.

A player's message is clustered; cluster ``i`` of a player holds messages that parse to moves with
frequencies ``cluster_moves[i]``. The abstract game has each player pick a cluster, and pays the
expected rules payoff ``Σ_a Σ_b p_i(a) q_j(b) payoff(a, b)``. With one pure cluster per move it is RPSSL
itself: the unique Nash equilibrium is uniform, with value 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from games.rpssl.rules import MOVES, Move, payoff
from solvers.abstract.matrix import LatentMatrixGame, matrix_game

ClusterMoves = Sequence[Mapping[Move, float]]
"""Per cluster, the frequency (or count) of each parsed move; normalised here."""


def pure_clusters() -> list[dict[Move, float]]:
    """One cluster per move, holding only that move."""
    return [{move: 1.0} for move in MOVES]


def expected_payoffs(rows: ClusterMoves, cols: ClusterMoves) -> list[list[float]]:
    """``M[i][j]``: the row player's expected payoff, cluster ``i`` against cluster ``j``."""
    p, q = [_normalised(c) for c in rows], [_normalised(c) for c in cols]
    return [[sum(pa * qb * payoff(a, b) for a, pa in pi.items() for b, qb in qj.items()) for qj in q] for pi in p]


def rpssl_game(player_0: ClusterMoves | None = None, player_1: ClusterMoves | None = None) -> LatentMatrixGame:
    """The abstract RPSSL game; a missing side defaults to the other side's clusters, then to pure ones."""
    rows = list(player_0) if player_0 is not None else pure_clusters()
    cols = list(player_1) if player_1 is not None else rows
    return matrix_game(expected_payoffs(rows, cols))


def _normalised(cluster: Mapping[Move, float]) -> dict[Move, float]:
    total = float(sum(cluster.values()))
    if total <= 0:
        raise ValueError(f"a cluster needs a positive move count, got {dict(cluster)}")
    return {Move(m): w / total for m, w in cluster.items() if w}
