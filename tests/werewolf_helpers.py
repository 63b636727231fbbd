"""Helpers for driving Werewolf states in tests: fixed deals and scripted move lists."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from games.werewolf.config import Role, WerewolfConfig
from games.werewolf.rules import Phase, WerewolfState, new_game

W, S, D, V = Role.WEREWOLF, Role.SEER, Role.DOCTOR, Role.VILLAGER
# 7-player deal used across the tables: wolves 0 and 1, seer 2, doctor 3, villagers 4-6.
DEAL_7 = (W, W, S, D, V, V, V)
DEAL_4 = (W, S, V, V)


def game(deal: Sequence[Role] = DEAL_7, seed: int = 0, **options) -> WerewolfState:
    config = WerewolfConfig(n_players=len(deal), roles=_counts(deal), **options)
    return new_game(config, np.random.default_rng(seed), roles=deal)


def _counts(deal: Sequence[Role]) -> dict[Role, int]:
    return {role: sum(r is role for r in deal) for role in Role}


def night(state: WerewolfState, kill: int, check: int | None = None, protect: int | None = None) -> None:
    """Play one night: wolves agree on ``kill``; seer checks and doctor protects when alive."""
    while state.phase in (Phase.NIGHT_WOLF_PROPOSE, Phase.NIGHT_WOLF_KILL):
        state.choose(state.to_act()[0], kill)
    if state.phase is Phase.NIGHT_SEER:
        seer = state.to_act()[0]
        state.choose(seer, check if check is not None else state.legal_targets(seer)[0])
    if state.phase is Phase.NIGHT_DOCTOR:
        doctor = state.to_act()[0]
        state.choose(doctor, protect if protect is not None else doctor)


def talk(state: WerewolfState) -> None:
    while state.phase is Phase.DAY_DISCUSSION:
        p = state.to_act()[0]
        state.speak(p, f"player_{p} speaking")


def vote(state: WerewolfState, ballots: dict[int, int | None]) -> None:
    """Cast every living player's vote; players missing from ``ballots`` abstain."""
    talk(state)
    for p in state.to_act():
        state.choose(p, ballots.get(p))
