"""RPSSL rules pinned to known answers: the full 25-pair payoff table, the match state machine, the
fallback for statements without a clear move, and determinism by seed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from games.rpssl import BEATS, MOVES, Fallback, Move, RPSSLConfig, new_game, payoff
from games.rpssl.parse import Parse, ParseStatus
from games.rpssl.rules import RulesError, rule_text

R, P, SC, SP, L = Move.ROCK, Move.PAPER, Move.SCISSORS, Move.SPOCK, Move.LIZARD

# Rows: a; columns: b in MOVES order (rock, paper, scissors, Spock, lizard); entry payoff(a, b).
TABLE = {
    R: (0, -1, 1, -1, 1),
    P: (1, 0, -1, 1, -1),
    SC: (-1, 1, 0, -1, 1),
    SP: (1, -1, 1, 0, -1),
    L: (-1, 1, -1, 1, 0),
}
RULES = {
    "Scissors cuts paper": (SC, P),
    "Paper covers rock": (P, R),
    "Rock crushes lizard": (R, L),
    "Lizard poisons Spock": (L, SP),
    "Spock smashes scissors": (SP, SC),
    "Scissors decapitates lizard": (SC, L),
    "Lizard eats paper": (L, P),
    "Paper disproves Spock": (P, SP),
    "Spock vaporizes rock": (SP, R),
    "Rock crushes scissors": (R, SC),
}


def test_move_values():
    assert [m.value for m in MOVES] == ["rock", "paper", "scissors", "spock", "lizard"]


@pytest.mark.parametrize(("a", "b"), list(itertools.product(MOVES, MOVES)))
def test_payoff_table(a, b):
    assert payoff(a, b) == TABLE[a][MOVES.index(b)]
    assert payoff(a, b) == -payoff(b, a)  # antisymmetric, ties on the diagonal
    assert (payoff(a, b) == 0) == (a is b)


@pytest.mark.parametrize("move", MOVES)
def test_each_move_beats_exactly_two(move):
    assert len(BEATS[move]) == 2
    assert sum(move in BEATS[other] for other in MOVES) == 2  # and loses to exactly two


@pytest.mark.parametrize("text", RULES)
def test_the_ten_rules(text):
    win, lose = RULES[text]
    assert payoff(win, lose) == 1
    assert rule_text(win, lose) == rule_text(lose, win) == text


def test_uniform_play_is_an_equilibrium_with_value_zero():
    matrix = np.array([TABLE[m] for m in MOVES])
    uniform = np.full(5, 0.2)
    assert np.allclose(matrix @ uniform, 0)  # every pure reply to uniform play earns 0


def stated(move):
    return Parse.stated(move)


def test_a_round_is_revealed_only_when_both_have_declared():
    s = new_game(RPSSLConfig(rounds=2), 0)
    assert s.to_act() == (0, 1)
    s.declare(1, stated(SP), "Spock!")
    assert s.to_act() == (0,)
    assert s.events[-1].kind == "statement" and s.events[-1].visible_to == {"player_1"}
    with pytest.raises(RulesError):
        s.declare(1, stated(R), "rock")
    s.declare(0, stated(R), "rock")
    reveal = s.events[-1]
    assert reveal.kind == "reveal" and reveal.visible_to is None
    assert reveal.data["moves"] == {"player_0": "rock", "player_1": "spock"}
    assert reveal.data["points"] == {"player_0": -1, "player_1": 1}
    assert reveal.data["rule"] == "Spock vaporizes rock"
    assert s.round == 2 and s.to_act() == (0, 1) and not s.over


def test_totals_decide_the_match():
    s = new_game(RPSSLConfig(rounds=3), 0)
    for a, b in [(R, SC), (R, P), (L, SP)]:  # +1, -1, +1
        s.play(0, a)
        s.play(1, b)
    assert s.over and s.totals == [1, -1] and s.winner == 0
    assert s.returns() == [1.0, -1.0]
    assert s.events[-1].kind == "game_over" and s.events[-1].data["winner"] == "player_0"
    with pytest.raises(RulesError):
        s.play(0, R)


def test_equal_totals_draw():
    s = new_game(RPSSLConfig(rounds=2), 0)
    for a, b in [(R, SC), (R, P)]:
        s.play(0, a)
        s.play(1, b)
    assert s.over and s.winner is None and s.returns() == [0.0, 0.0]


def test_random_fallback_is_drawn_in_seat_order_and_counted():
    no_move = Parse(None, ParseStatus.NO_MOVE)

    def reveal(first: int) -> dict:
        s = new_game(RPSSLConfig(), 5)
        for p in (first, 1 - first):
            s.declare(p, no_move, "hmm")
        assert s.fallbacks == [1, 1]
        return next(e.data for e in s.events if e.kind == "reveal")

    a, b = reveal(0), reveal(1)
    assert a["moves"] == b["moves"]  # who declared first does not change the draws
    assert a["fallback"] == {"player_0": True, "player_1": True}
    assert set(a["moves"].values()) <= {m.value for m in MOVES}


def test_fallback_draws_vary_with_the_seed():
    seen = set()
    for seed in range(40):
        s = new_game(RPSSLConfig(), seed)
        s.declare(0, Parse(None, ParseStatus.AMBIGUOUS, (R, P)), "rock or paper")
        s.play(1, R)
        seen.add(next(e.data for e in s.events if e.kind == "reveal")["moves"]["player_0"])
    assert seen == {m.value for m in MOVES}


def test_forfeit_fallback_loses_the_round():
    s = new_game(RPSSLConfig(rounds=2, fallback=Fallback.FORFEIT), 0)
    s.declare(0, Parse(None, ParseStatus.NO_MOVE), "hello")
    s.play(1, L)
    assert s.events[-1].kind == "reveal" and s.events[-1].data["moves"]["player_0"] is None
    assert s.totals == [-1, 1]
    for p in (0, 1):
        s.declare(p, Parse(None, ParseStatus.NO_MOVE), "...")
    assert s.totals == [-1, 1] and s.winner == 1 and s.fallbacks == [2, 1]


def test_clone_is_independent():
    s = new_game(RPSSLConfig(rounds=2), 0)
    s.play(0, R)
    c = s.clone()
    c.play(1, P)
    assert len(s.events) + 2 == len(c.events) and s.to_act() == (1,)


def test_sides():
    assert new_game(RPSSLConfig(), 0, ["blue", "red"]).sides == ("blue", "red")
    with pytest.raises(RulesError):
        new_game(RPSSLConfig(), 0, ["red", "red"])
