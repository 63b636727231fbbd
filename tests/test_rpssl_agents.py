"""Scripted RPSSL agents: every template renders to a statement that parses back to its move, each
strategy plays what it says, labels stay in the event meta, and params are validated by the registry."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import numpy as np
import pytest
from pydantic import ValidationError

from agents.registry import AGENT_KINDS, make_agent
from agents.rpssl.scripted import RPSSLScriptedParams, ScriptedRPSSLAgent, Strategy
from agents.rpssl.speech import CLOSERS, OPENERS, bodies, say
from games.base import Action
from games.rpssl import MOVES, Move, RPSSLConfig, RPSSLSession, parse_move
from games.rpssl.rules import BEATS, VERBS, display


def every_rendering(move: Move):
    """Every body template with every choice of the moves it names, between every opener and closer."""
    name = display(move)
    others = [m for m in MOVES if m is not move]
    rendered = {
        t.format(
            m=name,
            M=name[0].upper() + name[1:],
            U=name.upper(),
            x=display(x),
            verb=VERBS[move, x],
            o=display(o),
            o2=display(o2),
        )
        for t in itertools.chain.from_iterable(bodies(move).values())
        for x in BEATS[move]
        for o, o2 in itertools.permutations(others, 2)
    }
    for body, opener, closer in itertools.product(sorted(rendered), set(OPENERS), set(CLOSERS)):
        yield " ".join(p for p in (opener, body, closer) if p)


@pytest.mark.parametrize("move", MOVES)
def test_every_template_parses_to_its_move(move):
    wrong = [text for text in every_rendering(move) if parse_move(text).move is not move]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("move", MOVES)
def test_the_played_move_is_named_most(move):
    """What a statement plays should dominate its meaning (the latent clusters are read as moves): no
    template names another move more often than the one it plays."""
    for text in every_rendering(move):
        words = re.findall(r"[a-z]+", text.lower())  # "Spock's" -> "spock", "s"
        counts = Counter(m for m in MOVES for w in words if w == m.value)
        assert counts[move] == max(counts.values()), text


def test_speech_is_varied():
    rng = np.random.default_rng(0)
    texts = [say(Move.SPOCK, rng)[0] for _ in range(200)]
    assert len(set(texts)) > 100
    assert {say(Move.SPOCK, rng)[1].split("/")[0] for _ in range(200)} == {"plain", "rule", "rule_out", "flavour"}
    assert say(Move.LIZARD, rng, plain=True)[0] == "I play lizard."


async def _moves(params: dict, rounds: int = 10, opponent: dict | None = None, seed: int = 0) -> list[list[str]]:
    """Play a match; return each round's [player_0 move, player_1 move] as revealed."""
    session = RPSSLSession(RPSSLConfig(rounds=rounds), seed)
    agents = {
        "player_0": make_agent("rpssl_scripted", "a", np.random.default_rng(seed), params),
        "player_1": make_agent("rpssl_scripted", "b", np.random.default_rng(seed + 1), opponent or {}),
    }
    while not session.is_over():
        for player in session.to_act():
            session.step(player, await agents[player].act(session.observe(player)))
    reveals = [e.data for e in session.events if e.kind == "reveal"]
    assert not any(any(r["fallback"].values()) for r in reveals)  # scripted speech always parses
    return [[r["moves"]["player_0"], r["moves"]["player_1"]] for r in reveals]


async def test_strategies():
    assert {a for a, _ in await _moves({"strategy": "always", "move": "spock"})} == {"spock"}
    cycle = [a for a, _ in await _moves({"strategy": "cycle", "move": "scissors"}, rounds=6)]
    assert cycle == ["scissors", "spock", "lizard", "rock", "paper", "scissors"]
    mixed = Counter(a for a, _ in await _moves({"strategy": "mixed"}, rounds=100))
    assert set(mixed) == {m.value for m in MOVES}
    biased = Counter(a for a, _ in await _moves({"strategy": "mixed", "weights": {"rock": 1}}, rounds=20))
    assert biased == {"rock": 20}
    rounds = await _moves({"strategy": "beat_last"}, rounds=10, opponent={"strategy": "cycle"})
    for prev, cur in itertools.pairwise(rounds):  # each move beats the opponent's previous one
        assert Move(prev[1]) in BEATS[Move(cur[0])]


async def test_labels_are_the_intended_move_and_stay_in_meta():
    session = RPSSLSession(RPSSLConfig(rounds=3), 0)
    agent = ScriptedRPSSLAgent("a", np.random.default_rng(0), RPSSLScriptedParams())
    while not session.is_over():
        for player in session.to_act():
            obs = session.observe(player)
            action = await agent.act(obs)
            assert action.label == action.intent == parse_move(action.text).move.value
            assert action.meta["strategy"] == "mixed" and "/" in action.meta["template"]
            session.step(player, action)
    statements = [e for e in session.events if e.kind == "statement"]
    assert all(e.meta["label"] == parse_move(e.data["text"]).move.value for e in statements)
    for player in session.players:
        obs = session.observe(player)
        assert "template" not in str(obs.data) and "label" not in str(obs.data)


async def test_propose_gives_distinct_moves_first():
    agent = ScriptedRPSSLAgent("a", np.random.default_rng(0), RPSSLScriptedParams(strategy=Strategy.ALWAYS))
    obs = RPSSLSession().observe("player_0")
    candidates = await agent.propose(obs, 7)
    assert candidates[0].label == "rock"
    assert {c.label for c in candidates[:5]} == {m.value for m in MOVES}
    assert all(isinstance(c, Action) and parse_move(c.text).move.value == c.label for c in candidates)


def test_params_are_validated():
    assert "rpssl_scripted" in AGENT_KINDS
    with pytest.raises(ValidationError):
        make_agent("rpssl_scripted", "a", np.random.default_rng(0), {"strategy": "bluff"})
    with pytest.raises(ValidationError):
        make_agent("rpssl_scripted", "a", np.random.default_rng(0), {"weights": {"rock": 0}})
    with pytest.raises(ValidationError):
        make_agent("rpssl_scripted", "a", np.random.default_rng(0), {"weights": {"rock": -1, "paper": 2}})
    p = RPSSLScriptedParams(weights={"rock": 3, "paper": 1})
    assert p.probabilities().tolist() == [0.75, 0.25, 0.0, 0.0, 0.0]
