"""Rock-paper-scissors-Spock-lizard as a talk game (LSPO's proof of concept): say your move, the rules
score the move the parser reads."""

from games.rpssl.config import Fallback, RPSSLConfig, Side
from games.rpssl.parse import Parse, ParseStatus, parse_move
from games.rpssl.rules import BEATS, MOVES, Move, RPSSLState, new_game, payoff
from games.rpssl.session import RPSSLSession

__all__ = [
    "BEATS",
    "MOVES",
    "Fallback",
    "Move",
    "Parse",
    "ParseStatus",
    "RPSSLConfig",
    "RPSSLSession",
    "RPSSLState",
    "Side",
    "new_game",
    "parse_move",
    "payoff",
]
