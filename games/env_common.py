"""What the games' PettingZoo envs share: the action formats, the ``Text`` charset of speech, option
checks, and omniscient text rendering (``render_mode`` "human" / "ansi")."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import gymnasium

from games.base import Event

ACTION_FORMATS = ("text", "discrete")
RENDER_MODES = ("human", "ansi")
MAX_SPEECH = 1000
"""Longest statement in characters (the ``Text`` action's ``max_length``)."""

# Printable ASCII, newline and tab, Latin-1 letters and the usual typographic punctuation, so that
# ordinary LLM speech (curly quotes, dashes, accents) fits the declared space as it is.
CHARSET = "".join(
    ["\n\t", *map(chr, range(0x20, 0x7F)), *map(chr, range(0xA0, 0x100)), *map(chr, range(0x2010, 0x2028))]
)
OUTSIDE_CHARSET = re.compile(f"[^{re.escape(CHARSET)}]")
"""Characters a statement may not carry in the ``Text`` space (replaced by "?")."""


def check_env_options(render_mode: str | None, action_format: str) -> None:
    """A clear error for an unknown render mode or action format."""
    if render_mode not in (None, *RENDER_MODES):
        raise ValueError(f"render_mode must be None, 'human' or 'ansi', got {render_mode!r}")
    if action_format not in ACTION_FORMATS:
        raise ValueError(f"action_format must be one of {ACTION_FORMATS}, got {action_format!r}")


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
