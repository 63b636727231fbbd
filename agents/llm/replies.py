"""Reading an LLM's reply: find the JSON object, check the move against the legal ones.

Models write prose around JSON, truncate it, use single quotes, or name a player as "Player 3"; each
reader here either returns a clean value or raises :class:`ReplyError` whose message is shown to
the model on its one retry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

ABSTAIN_WORDS = frozenset({"abstain", "none", "nobody", "no one", "noone", "skip", "pass"})
PLAYER_RE = re.compile(r"player[\s_\-#]*(\d+)\b", re.IGNORECASE)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# a field whose string opened, in either quote style (the closing quote may be missing: truncation)
FIELD_RE = r'["\']{key}["\']\s*:\s*(?:"((?:[^"\\]|\\.)*)|\'((?:[^\'\\]|\\.)*))'
_DECODER = json.JSONDecoder()


class ReplyError(ValueError):
    """The reply cannot be used; the message says why, in words for the model."""


def extract_object(reply: str) -> dict[str, Any]:
    """The first JSON object in ``reply`` (prose around it is ignored).

    ``raw_decode`` from each ``{`` stops at the end of the object it finds, so escaped quotes are
    handled by the JSON parser itself and brace-heavy junk stays linear-ish.
    """
    for match in re.finditer(r"\{", reply):
        try:
            value, _ = _DECODER.raw_decode(reply, match.start())
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(value, dict):
            return value
    raise ReplyError("no valid JSON object found; reply with a single JSON object")


def read_field(reply: str, key: str) -> tuple[str, str]:
    """``(value, reasoning)`` for ``key`` from the reply's JSON object.

    A truncated object (the model ran out of tokens) still yields a field whose string opened;
    that is how small models most often fail, and the value is still the model's own choice.
    """
    try:
        obj = extract_object(reply)
    except ReplyError:
        match = re.search(FIELD_RE.format(key=key), reply)
        if match is None:
            raise
        reasoning = re.search(FIELD_RE.format(key="reasoning"), reply)
        return _unescape(_group(match)), _unescape(_group(reasoning)) if reasoning else ""
    if key not in obj:
        raise ReplyError(f'the JSON object has no "{key}" field')
    value, reasoning = obj[key], obj.get("reasoning", "")
    if not isinstance(value, str | int):
        raise ReplyError(f'"{key}" must be a string')
    return str(value), reasoning if isinstance(reasoning, str) else json.dumps(reasoning)


def _group(match: re.Match[str]) -> str:
    return match.group(1) if match.group(1) is not None else match.group(2)


def without_field(reply: str, key: str) -> str:
    """``reply`` with the (possibly truncated) string field ``key`` cut out."""
    return re.sub(FIELD_RE.format(key=key) + r"[\"']?", " ", reply)


def _unescape(text: str) -> str:
    try:
        return json.loads(f'"{text}"')
    except json.JSONDecodeError:
        return text


def clean_speech(text: str, max_chars: int) -> str:
    """One line of speech: control characters removed, whitespace folded, length capped."""
    text = " ".join(CONTROL_RE.sub(" ", text).split())
    if not text:
        raise ReplyError('"statement" is empty; say something to the other players')
    return text[:max_chars]


def match_legal(value: str, legal: Sequence[str], player: str, alive: Mapping[str, bool] | None = None) -> str:
    """Map a model's choice onto a legal move name, or explain why it is not one."""
    raw = value.strip().strip("\"'.").strip()
    if raw in legal:
        return raw
    lowered = raw.lower()
    if lowered in ABSTAIN_WORDS and "abstain" in legal:
        return "abstain"
    found = PLAYER_RE.search(raw) or (re.fullmatch(r"\d+", raw) and re.match(r"(\d+)", raw))
    if found:
        name = f"player_{int(found.group(1))}"
        if name in legal:
            return name
        if name == player:
            raise ReplyError(f"you cannot choose yourself ({name}); legal choices: {', '.join(legal)}")
        if alive is not None and name in alive and not alive[name]:
            raise ReplyError(f"{name} is dead; legal choices: {', '.join(legal)}")
        raise ReplyError(f"{name} is not a legal choice; legal choices: {', '.join(legal)}")
    raise ReplyError(f"{raw[:40]!r} is not a legal choice; legal choices: {', '.join(legal)}")
