"""Speaking turns of LSPO self-play, read back from the records: each holds the rendered prompt, the
speaker's role and every candidate (the text said aloud and the model's raw completion), as the
LLM agent logged them in the statement event's ``meta["lspo"]`` (never shown to any player)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from arena.records import Records


@dataclass(frozen=True)
class CandidateTurn:
    match_id: str
    speaker: str
    role: str
    prompt: str | None
    texts: tuple[str, ...]
    completions: tuple[str, ...]
    chosen: int  # the candidate said aloud (drawn at random)
    score: float | None = None  # the speaker's final score in the match


def candidate_turns(records_path: str | Path) -> list[CandidateTurn]:
    records = Records(records_path)
    try:
        turns = []
        for match in records.matches(status="done"):
            roles = (match.outcome or {}).get("roles", {})
            scores = (match.outcome or {}).get("scores", {})
            for event in records.events(match.match_id):
                record = event.meta.get("lspo") if event.kind == "statement" else None
                if not record:
                    continue
                speaker = str(event.data["speaker"])
                candidates = record["candidates"]
                turns.append(
                    CandidateTurn(
                        match.match_id,
                        speaker,
                        str(roles[speaker]),
                        record.get("prompt"),
                        tuple(c["text"] for c in candidates),
                        tuple(c["completion"] for c in candidates),
                        int(record["chosen"]),
                        float(scores[speaker]) if speaker in scores else None,
                    )
                )
        return turns
    finally:
        records.close()
