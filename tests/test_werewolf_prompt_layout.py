"""Werewolf prompts put what players share first: every player of a game reads the same public history,
then the same question, and only then who they are and what only they know. The session builds each
prompt incrementally; it must equal the prompt rendered from scratch from the whole log."""

from __future__ import annotations

import re

import numpy as np
import pytest

from games.base import Action
from games.werewolf import WerewolfConfig, WerewolfSession
from games.werewolf.rules import Phase
from games.werewolf.text import render_observation


def play(seed: int, players: int = 7):
    """Yield ``(session, {player: prompt})`` before every move of a random game."""
    session = WerewolfSession(WerewolfConfig(n_players=players), seed)
    rng = np.random.default_rng(seed)
    while not session.is_over():
        yield session, {p: session.observe(p).text for p in session.players}
        for p in session.to_act():
            legal = session.legal(p)
            text = f"{p} speaks on day {session.state.day}" if legal is None else legal[int(rng.integers(len(legal)))]
            session.step(p, Action(text))


@pytest.mark.parametrize("players", [5, 7])
def test_incremental_prompts_equal_prompts_rendered_from_scratch(players):
    for seed in range(12):
        for session, prompts in play(seed, players):
            state, alive = session.state, [p for p, a in session._public.view["alive"].items() if a]
            for seat, player in enumerate(session.players):
                acting = state.is_turn(seat)
                phase = state.phase if acting else Phase.GAME_OVER
                legal = session.legal(player) if acting else ()
                expected = render_observation(player, session.events, phase, state.day, legal, alive)
                assert prompts[player] == expected


def test_every_player_reads_the_same_history_and_then_only_their_own_secrets():
    for seed in range(6):
        for session, prompts in play(seed):
            histories = {text.split("\n\nLiving players:")[0] for text in prompts.values()}
            assert len(histories) == 1  # one public history for the whole game
            (history,) = histories
            assert "You are" not in history and "Your role" not in history
            roles = {p: str(r) for p, r in zip(session.players, session.state.roles, strict=True)}
            for player, text in prompts.items():
                private = text.split("\n\nYou are ")[1]
                assert private.startswith(f"{player}.\nYour role: {roles[player]}.")
                assert text.count("Your role:") == 1
                for line in private.splitlines()[2:]:  # timed private events say when they happened
                    assert re.match(r"(Night|Day) \d+: ", line), line


def test_voters_prompts_agree_up_to_the_legal_choices():
    """The prompts of one vote agree up to their legal choices (each voter's own name is missing from
    them), so a prefix cache reads the day's statements and the question once per game; they used to
    follow each player's own lines, and were read once per player."""
    for seed in range(4):
        session, prompts = next((s, p) for s, p in play(seed) if s.state.phase is Phase.DAY_VOTE)
        voters = [prompts[p] for p in session.to_act()]
        common = 0
        while all(len(t) > common and t[common] == voters[0][common] for t in voters):
            common += 1
        shared = voters[0][:common]
        assert shared.count(" said: ") >= len(voters) and "Your role" not in shared
        assert "Vote for the player to eliminate, or abstain.\nLegal choices: " in shared
