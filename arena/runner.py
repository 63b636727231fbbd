"""The match runner: drives one :class:`games.base.GameSession` with one agent per seat.

Players who act at the same time (Werewolf's vote) are asked concurrently, each from an observation
taken before anyone moves, so nobody's choice can depend on another's. Any exception — an agent
crashing, an agent returning an illegal move (an agent bug: LLM agents do their own retries and
fallbacks before answering), or the game failing — ends THIS match with ``status='error'`` and an
error text naming where it happened; it never propagates to the tournament. Interrupts
(``KeyboardInterrupt``, task cancellation) do propagate: the match is then simply not recorded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

from agents.base import Agent
from arena.records import MatchRecord
from arena.schedule import MatchSpec
from games import GameSpec
from games.base import Action, Event, GameSession, IllegalAction


class MatchError(Exception):
    """Why a match stopped early; the message becomes the record's ``error``."""


async def play_match(
    spec: MatchSpec,
    game_spec: GameSpec,
    config: Any,
    agents_by_seat: Mapping[str, Agent],
    on_event: Callable[[Event], None] | None = None,
) -> tuple[MatchRecord, list[Event]]:
    """Play one match to the end; return its record (done or error) and its full event log."""
    start = time.perf_counter()
    record = MatchRecord(spec.match_id, spec.index, spec.seed, game_spec.name, dict(spec.seats))
    session: GameSession | None = None
    try:
        roles = None if spec.roles is None else [spec.roles[seat] for seat in spec.seats]
        session = game_spec.session(config, spec.seed, roles=roles)
        await _drive(session, agents_by_seat, on_event)
        record.outcome = session.outcome().to_json()
    except MatchError as e:
        record.status, record.error = "error", str(e)
    except Exception as e:  # a broken game must not end the tournament
        record.status, record.error = "error", f"game: {type(e).__name__}: {e}"
    record.agent_stats = _agent_stats(agents_by_seat)
    record.duration_s = time.perf_counter() - start
    return record, list(session.events) if session is not None else []


async def _drive(session: GameSession, agents: Mapping[str, Agent], on_event: Callable[[Event], None] | None) -> None:
    shown = 0

    def flush() -> None:  # show new events before anyone is asked to act on them
        nonlocal shown
        if on_event is not None:
            for event in session.events[shown:]:
                on_event(event)
        shown = len(session.events)

    while not session.is_over():
        flush()
        actors = session.to_act()
        if not actors:
            raise MatchError("game: no player to act, but the game is not over")
        observations = [session.observe(p) for p in actors]
        answers = await asyncio.gather(
            *(agents[p].act(obs) for p, obs in zip(actors, observations, strict=True)), return_exceptions=True
        )
        for player, obs, answer in zip(actors, observations, answers, strict=True):
            where = f"agent {agents[player].name!r} at {player} ({obs.phase})"
            if isinstance(answer, BaseException):
                if not isinstance(answer, Exception):  # cancellation, interrupts: not the agent's fault
                    raise answer
                raise MatchError(f"{where}: {type(answer).__name__}: {answer}") from answer
            if not isinstance(answer, Action):
                raise MatchError(f"{where}: returned {type(answer).__name__}, not an Action")
            try:
                session.step(player, answer)
            except IllegalAction as e:
                raise MatchError(f"{where}: IllegalAction: {e}") from e
    flush()


def _agent_stats(agents: Mapping[str, Agent]) -> dict[str, dict[str, Any]]:
    """Per-seat counters from agents that report them (LLM agents: fallbacks, decisions)."""
    stats = {}
    for seat, agent in agents.items():
        report = getattr(agent, "stats", None)
        if callable(report):
            try:
                stats[seat] = dict(report())
            except Exception as e:  # statistics must not turn a finished game into an error
                stats[seat] = {"stats_error": f"{type(e).__name__}: {e}"}
    return stats
