"""Speech utterances out of event logs: who said what, in which role, with any ground-truth labels.

Game-agnostic: a speech event is an :class:`games.base.Event` whose ``kind`` is one of ``speech_kinds``
(Werewolf: ``"statement"``) and whose ``data`` holds ``speaker`` and ``text`` (``day`` when the game has
days). The speaker's role comes, first found first, from the event's ``meta["role"]`` or ``data["role"]``,
from a ``roles`` mapping (e.g. the match outcome's), or from the log's role-deal events (``kind == "role"``
with ``data`` ``player`` and ``role``). Scripted agents record their strategy in ``meta["label"]`` and the
utterance's intent in ``meta["intent"]``; those are kept for evaluation only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from arena.records import Records
from games.base import Event

SPEECH_KINDS: tuple[str, ...] = ("statement",)
ROLE_KINDS: tuple[str, ...] = ("role",)


@dataclass(frozen=True)
class Utterance:
    """One thing one player said. ``label`` / ``intent``: ground truth when a scripted agent spoke."""

    text: str
    speaker: str
    role: str | None
    day: int | None = None
    match_id: str = ""
    seq: int = -1  # position in the match's event log
    label: str | None = None
    intent: str | None = None


def roles_from_events(events: Iterable[Event], role_kinds: Sequence[str] = ROLE_KINDS) -> dict[str, str]:
    """Player -> role from the role-deal events of a log (``data``: ``player``, ``role``)."""
    return {
        str(e.data["player"]): str(e.data["role"])
        for e in events
        if e.kind in role_kinds and "player" in e.data and "role" in e.data
    }


def utterances_from_events(
    events: Sequence[Event],
    *,
    match_id: str = "",
    roles: Mapping[str, str] | None = None,
    speech_kinds: Sequence[str] = SPEECH_KINDS,
) -> list[Utterance]:
    """The speech of one match log, in log order (works on a live session's ``events`` too)."""
    known = {**roles_from_events(events), **(roles or {})}
    found = []
    for seq, e in enumerate(events):
        if e.kind not in speech_kinds or "text" not in e.data:
            continue
        speaker = str(e.data.get("speaker", e.data.get("player", "")))
        role = e.meta.get("role") or e.data.get("role") or known.get(speaker)
        day = e.data.get("day")
        found.append(
            Utterance(
                text=str(e.data["text"]),
                speaker=speaker,
                role=None if role is None else str(role),
                day=None if day is None else int(day),
                match_id=match_id,
                seq=seq,
                label=e.meta.get("label"),
                intent=e.meta.get("intent"),
            )
        )
    return found


def utterances_from_records(
    records: Records | str | Path,
    *,
    game: str | None = None,
    speech_kinds: Sequence[str] = SPEECH_KINDS,
) -> list[Utterance]:
    """The speech of every finished match of a run's records (a :class:`Records` or its SQLite path)."""
    if isinstance(records, Records):
        db, owned = records, False
    elif Path(records).is_file():
        db, owned = Records(records), True
    else:
        raise FileNotFoundError(f"{records}: no records file")
    try:
        found = []
        for match in db.matches(status="done"):
            if game is not None and match.game != game:
                continue
            roles = (match.outcome or {}).get("roles")
            found += utterances_from_events(
                db.events(match.match_id), match_id=match.match_id, roles=roles, speech_kinds=speech_kinds
            )
        return found
    finally:
        if owned:
            db.close()


def by_role(utterances: Iterable[Utterance]) -> dict[str, list[Utterance]]:
    """Utterances grouped by role (sorted role names; utterances without a role are dropped)."""
    groups: dict[str, list[Utterance]] = {}
    for u in utterances:
        if u.role is not None:
            groups.setdefault(u.role, []).append(u)
    return dict(sorted(groups.items()))
