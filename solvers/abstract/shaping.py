"""LSPO's shaped Werewolf reward (Xu et al., ICML 2025, arXiv 2502.04686, solver reward), read off an event log.

Win +300 / loss −300 (a draw 0); +5 for every day a player is alive at the end of (after the vote);
village votes ±20 (a village player's vote for a werewolf / for anyone else; abstaining is 0); −10 to
the player voted out; +5 to every other player when an opponent is voted out, −5 when a teammate is.
"Eliminated" is read as voted out: night kills earn nothing beyond the days they cut short.
"""

from __future__ import annotations

from games.werewolf.config import Team
from games.werewolf.rules import WerewolfState, player_index

WIN = 300.0
SURVIVE_DAY = 5.0
VILLAGE_VOTE = 20.0
ELIMINATED = -10.0
OPPONENT_OUT = 5.0


def lspo_returns(state: WerewolfState) -> list[float]:
    """Every player's shaped return over the game so far (the outcome term only once it is over)."""
    n = state.n
    wolf = [state.team(p) is Team.WEREWOLVES for p in range(n)]
    alive = [True] * n
    total = [0.0] * n
    for event in state.events:
        if event.kind == "announcement" and event.data["killed"] is not None:
            alive[player_index(event.data["killed"])] = False
        if event.kind != "vote_result":
            continue
        for voter, target in event.data["votes"].items():
            v = player_index(voter)
            if target is not None and not wolf[v]:
                total[v] += VILLAGE_VOTE if wolf[player_index(target)] else -VILLAGE_VOTE
        out = event.data["eliminated"]
        if out is not None:
            e = player_index(out)
            alive[e] = False
            total[e] += ELIMINATED
            for p in range(n):
                if p != e:
                    total[p] += OPPONENT_OUT if wolf[p] != wolf[e] else -OPPONENT_OUT
        for p in range(n):
            total[p] += SURVIVE_DAY if alive[p] else 0.0
    if state.winner is not None:
        for p in range(n):
            total[p] += WIN if state.team(p) is state.winner else -WIN
    return total


def bound(max_days: int) -> float:
    """A bound on the absolute shaped return: a day brings at most +30 (5 + 20 + 5) and at worst −35."""
    return WIN + 35.0 * max_days
