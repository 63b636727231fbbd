"""RPSSL options. Defaults: one round, a statement with no clear move plays a random move."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Side(StrEnum):
    """The two seats' names in the match records (team = role = side; the game is symmetric)."""

    RED = "red"
    BLUE = "blue"


class Fallback(StrEnum):
    """What a statement that names no clear move plays (every such statement is counted)."""

    RANDOM = "random"  # a uniformly random move from the match's Generator
    FORFEIT = "forfeit"  # no move: the round is lost (a tie when both forfeit)


class RPSSLConfig(BaseModel):
    """Rules options; every field is validated and a bad value names itself in the error."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rounds: int = Field(1, ge=1, le=100, description="Rounds per match; the higher summed score wins.")
    fallback: Fallback = Field(Fallback.RANDOM, description="What a statement without a clear move plays.")
