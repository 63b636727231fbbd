"""Omniscient text rendering shared by the games' PettingZoo envs (``render_mode`` "human" / "ansi")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import gymnasium

from games.base import Event

Renderer = Callable[[Mapping[str, Any], str], str | None]  # (event data, viewing seat) -> line or None


def omniscient_line(event: Event, renderers: Mapping[str, Renderer]) -> str:
    """One event with its audience; a private event is worded for its (first) audience member."""
    audience = "all" if event.visible_to is None else ", ".join(sorted(event.visible_to)) or "nobody"
    viewer = min(event.visible_to) if event.visible_to else ""
    line = renderers[event.kind](event.data, viewer) or f"{event.kind} {dict(event.data)}"
    return f"[{audience}] {line}"


def render_events(render_mode: str | None, events: Sequence[Event], renderers: Mapping[str, Renderer]) -> str | None:
    """What an env's ``render()`` gives for ``events``: printed for "human", returned for "ansi"."""
    if render_mode is None:
        gymnasium.logger.warn("render() called without a render_mode; pass render_mode='human' or 'ansi'.")
        return None
    text = "\n".join(omniscient_line(e, renderers) for e in events)
    if render_mode == "human":
        print(text)
        return None
    return text
