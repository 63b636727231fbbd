"""Hidden information stays hidden: over many random games, no observation given to a player holds
another player's hidden role, a night action that player did not take part in, anyone's private
reasoning, or a strategy label; and nobody sees individual votes before the public tally."""

from __future__ import annotations

import json

import numpy as np
import pytest

from games.base import Action
from games.werewolf import DeathReveal, WerewolfConfig, WerewolfSession
from games.werewolf.rules import Phase

NIGHT_WORDS = {  # phrases that only the owner of a night action may ever read
    "werewolf": ("proposed killing", "chose to kill", "fellow werewolves", "only werewolf"),
    "seer": ("Your check",),
    "doctor": ("You protected",),
}


def play_and_check(config: WerewolfConfig, seed: int) -> int:
    """Play one random game with secret tokens in reasoning and labels; check every observation."""
    session = WerewolfSession(config, seed)
    rng = np.random.default_rng(seed)
    roles = session.outcome().roles
    wolves = {p for p, r in roles.items() if r == "werewolf"}
    secrets: list[str] = []
    checked = 0
    while not session.is_over():
        for player in session.to_act():
            obs = session.observe(player)
            blob = obs.text + json.dumps(obs.data)
            checked += 1
            assert not any(secret in blob for secret in secrets), "private reasoning or a label leaked"
            assert f"Your role: {roles[player]}." in obs.text
            for owner_role, words in NIGHT_WORDS.items():
                if roles[player] != owner_role:
                    assert not any(w in obs.text for w in words), (player, owner_role)
            known = obs.data["known_roles"]
            revealed = {d["player"] for d in obs.data["deaths"] if "revealed_role" in d}
            allowed = {player} | revealed | (wolves if player in wolves else set())
            assert set(known) <= allowed, f"{player} knows roles of {set(known) - allowed}"
            if roles[player] != "seer":
                assert obs.data["seer_results"] == {}
            if obs.phase == Phase.DAY_VOTE:
                assert all(v["day"] < session.state.day for v in obs.data["vote_history"])
                assert f"Day {session.state.day} vote:" not in obs.text
            secret = f"SECRET{seed}x{checked}"
            secrets.append(secret)
            if obs.legal is None:
                action = Action(f"I am {player}.", reasoning=secret, label=secret + "L", intent=secret + "I")
                secrets += [secret + "L", secret + "I"]
            else:
                action = Action(obs.legal[int(rng.integers(len(obs.legal)))], reasoning=secret)
            session.step(player, action)
    return checked


CONFIGS = {
    "lspo7": WerewolfConfig(),
    "4p": WerewolfConfig(n_players=4),
    "8p-role-reveal": WerewolfConfig(n_players=8, death_reveal=DeathReveal.ROLE, discussion_rounds=2),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_no_observation_leaks_hidden_information(name):
    games = {"lspo7": 1500, "4p": 1500, "8p-role-reveal": 500}[name]
    checked = sum(play_and_check(CONFIGS[name], seed) for seed in range(games))
    assert checked > games * 5


@pytest.mark.slow
@pytest.mark.parametrize("name", CONFIGS)
def test_no_observation_leaks_hidden_information_thorough(name):
    for seed in range(1000, 4000):
        play_and_check(CONFIGS[name], seed)


def test_dead_players_role_is_not_revealed_by_default():
    session = WerewolfSession(WerewolfConfig(), seed=11)
    rng = np.random.default_rng(0)
    while not session.is_over():
        player = session.to_act()[0]
        obs = session.observe(player)
        session.step(player, Action(obs.legal[int(rng.integers(len(obs.legal)))] if obs.legal else "hello"))
    public = [e for e in session.events if e.visible_to is None]
    assert not any("revealed_role" in e.data or "revealed_team" in e.data for e in public)
