"""Match records in SQLite (WAL): one row per match, plus each match's full event log.

A match row and its events are written in one transaction when the match ends, so a run killed at
any moment holds only whole matches; ``match_id`` is deterministic, so a rerun skips what is done.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from games.base import Event

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS matches (
    match_id   TEXT PRIMARY KEY,
    idx        INTEGER NOT NULL,
    seed       INTEGER NOT NULL,
    game       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('done', 'error')),
    seats      TEXT NOT NULL,      -- JSON {player: agent name}
    outcome    TEXT,               -- JSON games.base.Outcome, NULL when errored
    agent_stats TEXT NOT NULL,     -- JSON {player: {counter: value}} (e.g. LLM fallbacks)
    error      TEXT,
    duration_s REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    match_id   TEXT NOT NULL REFERENCES matches(match_id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL,
    visible_to TEXT,               -- JSON list of players, NULL = everyone
    meta       TEXT NOT NULL,
    PRIMARY KEY (match_id, seq)
);
"""


@dataclass
class MatchRecord:
    match_id: str
    index: int
    seed: int
    game: str
    seats: dict[str, str]
    status: str = "done"
    outcome: dict[str, Any] | None = None
    agent_stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None
    duration_s: float = 0.0


class Records:
    """The SQLite file of one run directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL survives a killed process (each match commits whole); only an OS crash may
        # lose the last matches, which a rerun then replays.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ---- run metadata --------------------------------------------------------------------------
    def set_meta(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    # ---- matches -------------------------------------------------------------------------------
    def done_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT match_id FROM matches WHERE status = 'done'")}

    def save_match(self, record: MatchRecord, events: Iterable[Event]) -> None:
        """Write (or replace an errored attempt of) one match and its events atomically."""
        with self._transaction() as db:
            db.execute("DELETE FROM matches WHERE match_id = ?", (record.match_id,))
            db.execute(
                "INSERT INTO matches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.match_id,
                    record.index,
                    record.seed,
                    record.game,
                    record.status,
                    json.dumps(record.seats),
                    None if record.outcome is None else json.dumps(record.outcome),
                    json.dumps(record.agent_stats),
                    record.error,
                    record.duration_s,
                ),
            )
            db.executemany(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        record.match_id,
                        seq,
                        e.kind,
                        json.dumps(dict(e.data)),
                        None if e.visible_to is None else json.dumps(sorted(e.visible_to)),
                        json.dumps(dict(e.meta)),
                    )
                    for seq, e in enumerate(events)
                ],
            )

    def matches(self, status: str | None = None) -> list[MatchRecord]:
        query = "SELECT * FROM matches" + (" WHERE status = ?" if status else "") + " ORDER BY idx"
        rows = self.db.execute(query, (status,) if status else ()).fetchall()
        return [
            MatchRecord(
                match_id=r[0],
                index=r[1],
                seed=r[2],
                game=r[3],
                status=r[4],
                seats=json.loads(r[5]),
                outcome=None if r[6] is None else json.loads(r[6]),
                agent_stats=json.loads(r[7]),
                error=r[8],
                duration_s=r[9],
            )
            for r in rows
        ]

    def events(self, match_id: str) -> list[Event]:
        rows = self.db.execute(
            "SELECT kind, data, visible_to, meta FROM events WHERE match_id = ? ORDER BY seq", (match_id,)
        ).fetchall()
        return [
            Event(kind, json.loads(data), None if vis is None else frozenset(json.loads(vis)), json.loads(meta))
            for kind, data, vis, meta in rows
        ]


def seated_events(runs: Iterable[Path], agent: str) -> Iterator[tuple[MatchRecord, frozenset[str], Event]]:
    """Every event of every finished match in the runs' record files, with the match and the seats
    ``agent`` held in it (analysis of one agent's play across tournaments)."""
    for run in runs:
        records = Records(Path(run) / "records.sqlite")
        try:
            for match in records.matches(status="done"):
                mine = frozenset(seat for seat, name in match.seats.items() if name == agent)
                for event in records.events(match.match_id):
                    yield match, mine, event
        finally:
            records.close()
