"""The statement parser pinned to a table of paraphrases: stated moves, negations, rule recitations, the
opponent's moves, and statements that must fall back (no move, or several)."""

from __future__ import annotations

import pytest

from games.rpssl import Move, ParseStatus, parse_move

R, P, SC, SP, L = Move.ROCK, Move.PAPER, Move.SCISSORS, Move.SPOCK, Move.LIZARD

STATED = {
    # plain statements and word variants
    "I'll go with Spock.": SP,
    "lizard!": L,
    "Rock. Final answer.": R,
    "I'm throwing Spock this time.": SP,
    "SPOCK!!!": SP,
    "Scissor.": SC,
    "Rocks, definitely rocks.": R,
    "Spock's hand, obviously": SP,
    "My pick: Spock.": SP,
    "I'm going for lizard": L,
    "paper it is": P,
    "I pick  PAPER": P,
    "Let’s go with scissors": SC,
    "Hmm... rock.": R,
    "Rock, rock, rock!": R,
    "The Vulcan salute, of course.": SP,
    "Stone, like always.": R,
    # emojis
    "🦎": L,
    "✌️ all day": SC,
    "🖖": SP,
    "✊": R,
    # negations next to a stated move
    "not rock, paper": P,
    "Not rock, not paper: lizard.": L,
    "Rock, not paper": R,
    "I won't play rock, I'll play paper": P,
    "paper instead of rock": P,
    "I'm not playing scissors this time. Spock.": SP,
    "Anything but scissors... so, lizard.": L,
    "No lizard from me; I'm going with paper.": P,
    "I'm not afraid to play rock": R,
    "No doubt about it, lizard.": L,
    "I don't know, maybe lizard": L,
    # rules recited as reasons
    "Spock vaporizes rock, so Spock it is.": SP,
    "Paper covers rock.": P,
    "I'll play rock, because rock crushes lizard.": R,
    "scissors decapitates lizard and scissors cuts paper. scissors.": SC,
    "Lizard eats paper. That's why I'm playing lizard.": L,
    "I choose rock over paper": R,
    "rock is better than paper": R,
    "I'll play rock to beat your scissors": R,
    # the opponent's moves
    "You'll probably throw rock, so I'll play paper.": P,
    "I bet you play Spock. Lizard for me.": L,
    # corrections: the last stated move wins
    "I thought about rock but I'll play paper": P,
    "I'll play rock. Actually, I'll play paper.": P,
    "This is rock paper scissors Spock lizard, so I pick Spock": SP,
    "Rock, paper, scissors, Spock or lizard? I play lizard.": L,
    "Rock rock ROCK": R,
    "I choose rock because paper is too obvious": R,
}

UNREAD = {
    "Hello there": ParseStatus.NO_MOVE,
    "I have nothing to add.": ParseStatus.NO_MOVE,
    "": ParseStatus.NO_MOVE,
    "Not rock.": ParseStatus.NO_MOVE,
    "I'm not going to play rock": ParseStatus.NO_MOVE,
    "no rock this time": ParseStatus.NO_MOVE,
    "anything but scissors": ParseStatus.NO_MOVE,
    "You will play lizard.": ParseStatus.NO_MOVE,
    "rock or paper?": ParseStatus.AMBIGUOUS,
    "rock paper scissors spock lizard": ParseStatus.AMBIGUOUS,
    "Maybe rock, maybe paper.": ParseStatus.AMBIGUOUS,
    # lists of options are no choice, even after a cue
    "I play rock, paper, scissors, Spock or lizard.": ParseStatus.AMBIGUOUS,
    "I'll go with scissors, lizard, or rock, depending on you": ParseStatus.AMBIGUOUS,
    "I play Spock or lizard": ParseStatus.AMBIGUOUS,
    "My move: rock/paper": ParseStatus.AMBIGUOUS,
    "rock, paper, scissors, Spock-lizard": ParseStatus.AMBIGUOUS,
    "I play rock-paper-scissors with a move I made.": ParseStatus.AMBIGUOUS,
}


@pytest.mark.parametrize("text", STATED)
def test_stated_moves(text):
    parsed = parse_move(text)
    assert (parsed.move, parsed.status) == (STATED[text], ParseStatus.STATED), parsed


@pytest.mark.parametrize("text", UNREAD)
def test_statements_without_one_clear_move(text):
    parsed = parse_move(text)
    assert parsed.move is None and parsed.status is UNREAD[text], parsed


def test_negated_move_is_never_the_result():
    for move in Move:
        for text in (f"not {move.value}", f"I will not play {move.value}.", f"never {move.value}!"):
            assert parse_move(text).move is None, text


def test_candidates_list_the_moves_left():
    assert set(parse_move("rock or paper?").candidates) == {R, P}
    assert parse_move("Not rock, paper").candidates == (P,)
