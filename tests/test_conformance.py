"""One conformance suite over every game in ``games.GAMES`` (a new game is picked up with no edit here).

PettingZoo's own ``api_test`` and ``seed_test`` run on each game's registered env, once per action format
it declares in ``metadata["action_formats"]``. Session-level checks: a random game ends with a valid
:class:`Outcome`, a seed fixes the whole event log, and no observation depends on an event its player was
not shown (every hidden event's data and every event's ``meta`` are replaced by canaries; the
observation must not change).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np
import pettingzoo
import pytest
from pettingzoo.test import api_test, seed_test

from agents.base import RandomAgent
from games import GAMES, GameSpec
from games.base import Event
from games.registration import ENV_IDS

MAX_DECISIONS = 10_000
CANARY = "CANARY-7f3a"

ENV_CASES = [
    (name, fmt)
    for name in sorted(ENV_IDS)
    for fmt in pettingzoo.make("aec", ENV_IDS[name]).metadata.get("action_formats", (None,))
]

# api_test's advice for array envs; a text game's Dict/Text spaces and a dead player's empty action mask
# are deliberate (solvers.md, "PettingZoo compliance with text").
pytestmark = [
    pytest.mark.filterwarnings("ignore:Observation is not a NumPy array"),
    pytest.mark.filterwarnings("ignore:.*probably should be gymnasium.spaces"),
    pytest.mark.filterwarnings("ignore:Action mask numpy array is all zeros"),
]


def make_env(name: str, fmt: str | None) -> Callable[[], Any]:
    options = {} if fmt is None else {"action_format": fmt}
    return lambda: pettingzoo.make("aec", ENV_IDS[name], **options)


@pytest.mark.parametrize("name", sorted(GAMES))
def test_registered_env_seats_the_session_players(name: str) -> None:
    env = pettingzoo.make("aec", ENV_IDS[name])
    assert isinstance(env, pettingzoo.AECEnv)
    spec = GAMES[name]
    assert env.possible_agents == list(spec.session(spec.config(), seed=0).players)


@pytest.mark.parametrize(("name", "fmt"), ENV_CASES)
def test_api(name: str, fmt: str | None) -> None:
    api_test(make_env(name, fmt)(), num_cycles=1000)


@pytest.mark.parametrize(("name", "fmt"), ENV_CASES)
def test_seed(name: str, fmt: str | None) -> None:
    seed_test(make_env(name, fmt), num_cycles=500)


async def play_random(spec: GameSpec, seed: int, on_decision: Callable[[Any, str], None] | None = None) -> Any:
    """Play one game with :class:`RandomAgent` in every seat; ``on_decision`` runs before each move."""
    session = spec.session(spec.config(), seed=seed)
    agent = RandomAgent(rng=np.random.default_rng(seed))
    for _ in range(MAX_DECISIONS):
        if session.is_over():
            return session
        player = session.to_act()[0]
        if on_decision is not None:
            on_decision(session, player)
        session.step(player, await agent.act(session.observe(player)))
    raise AssertionError(f"{spec.name}: no end after {MAX_DECISIONS} decisions (seed {seed})")


@pytest.mark.parametrize("name", sorted(GAMES))
async def test_random_game_ends_with_valid_outcome(name: str) -> None:
    for seed in range(5):
        session = await play_random(GAMES[name], seed)
        out = session.outcome()
        players = set(session.players)
        assert set(out.scores) == set(out.teams) == set(out.roles) == players
        assert out.winner is None or out.winner in set(out.teams.values())
        for p in players:
            expected = 0.0 if out.winner is None else 1.0 if out.teams[p] == out.winner else -1.0
            assert out.scores[p] == expected, (p, out)
        assert out.reason and out.length >= 1
        json.dumps(out.to_json())
        assert session.to_act() == ()


@pytest.mark.parametrize("name", sorted(GAMES))
async def test_same_seed_same_event_log(name: str) -> None:
    logs = []
    for seed in (0, 0, 1, 2, 3):
        session = await play_random(GAMES[name], seed)
        logs.append([e.to_json() for e in session.events])
    assert logs[0] == logs[1]
    assert any(log != logs[0] for log in logs[2:]), "the seed does not change the game"


def _perturb(value: Any) -> Any:
    """A value of the same shape that an observation could not have computed without reading it."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1000
    if isinstance(value, Mapping):
        return {k: _perturb(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [CANARY]
    return CANARY


def _canaried(event: Event, player: str) -> Event:
    data = event.data if event.visible(player) else _perturb(event.data)
    return replace(event, data=data, meta={**_perturb(event.meta), "canary": CANARY})


@contextmanager
def hidden_events_canaried(session: Any, player: str) -> Iterator[int]:
    """Within the block, ``session.events`` has canaries in place of what ``player`` may not see.

    Yields the number of events hidden from ``player``; the original log is restored on exit.
    """
    events = session.events
    original = list(events)
    events[:] = [_canaried(e, player) for e in original]
    try:
        assert session.events[0].meta.get("canary") == CANARY, "session.events must be the live log"
        yield sum(not e.visible(player) for e in original)
    finally:
        events[:] = original


def assert_observation_ignores_hidden_events(session: Any, player: str) -> int:
    """Observe ``player`` before and after canarying what they may not see; return the hidden count."""
    before = session.observe(player)
    with hidden_events_canaried(session, player) as hidden:
        try:
            after = session.observe(player)
        except Exception as exc:  # a renderer choking on a canary read data it should not have seen
            raise AssertionError(f"observing {player} read hidden event data or meta: {exc!r}") from exc
    assert after == before, f"{player}'s observation depends on hidden events or meta"
    assert CANARY not in after.text
    return hidden


@pytest.mark.parametrize("name", sorted(GAMES))
async def test_observations_show_only_visible_events(name: str) -> None:
    hidden_seen = 0

    def check_everyone(session: Any, _: str) -> None:
        nonlocal hidden_seen
        for player in session.players:
            hidden_seen += assert_observation_ignores_hidden_events(session, player)

    for seed in range(3):
        await play_random(GAMES[name], seed, on_decision=check_everyone)
    assert hidden_seen > 0, "no hidden events: the check above proved nothing"
