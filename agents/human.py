"""A human at the terminal: sees only their own observation text, types a move or a statement.

Input and output are injectable (``read`` / ``write``) so the agent runs without a terminal in tests
and behind other front ends; by default it reads with ``input`` in a worker thread, so the other
matches of an asyncio tournament keep running while a person thinks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from games.base import Action, Observation

Reader = Callable[[str], Awaitable[str]]
Writer = Callable[[str], None]
RULE = "-" * 72


async def terminal_input(prompt: str) -> str:
    """``input(prompt)`` without blocking the event loop."""
    return await asyncio.to_thread(input, prompt)


def parse_choice(answer: str, legal: Sequence[str]) -> str | None:
    """A legal move from a 1-based number or a name (any case); ``None`` if neither."""
    answer = answer.strip()
    if answer.isdigit():
        index = int(answer) - 1
        return legal[index] if 0 <= index < len(legal) else None
    by_name = {move.lower(): move for move in legal}
    return by_name.get(answer.lower())


class HumanAgent:
    """Prints ``obs.text`` (only what this player may see), lists the legal moves, asks until valid."""

    def __init__(self, name: str = "human", *, read: Reader = terminal_input, write: Writer = print) -> None:
        self.name = name
        self.read = read
        self.write = write

    async def act(self, obs: Observation) -> Action:
        self._show(obs)
        return await self._ask(obs)

    async def propose(self, obs: Observation, n: int) -> list[Action]:
        """Asks for ``n`` candidate moves in turn (LSPO-style data collection with a person)."""
        self._show(obs)
        actions = []
        for i in range(n):
            if n > 1:
                self.write(f"Candidate {i + 1} of {n}:")
            actions.append(await self._ask(obs))
        return actions

    def _show(self, obs: Observation) -> None:
        self.write(RULE)
        self.write(obs.text)
        if obs.legal:
            self.write("\n".join(f"  {i}. {move}" for i, move in enumerate(obs.legal, 1)))

    async def _ask(self, obs: Observation) -> Action:
        if obs.legal is None:
            while not (line := (await self.read(f"{obs.player}, say something: ")).strip()):
                self.write("Please type a statement (one line).")
            return Action(line)
        if not obs.legal:
            raise ValueError(f"{obs.player} has no move to make in {obs.phase}")
        while True:
            answer = await self.read(f"{obs.player}, your choice (number or name): ")
            move = parse_choice(answer, obs.legal)
            if move is not None:
                return Action(move)
            self.write(f"Not a legal choice: {answer.strip()!r}. Type 1-{len(obs.legal)} or one of the names.")
