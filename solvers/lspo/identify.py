"""Identification accuracy from the "who is a wolf?" probe (LSPO, Sec. 5: per-role identification before
each vote): how often the trained agent's private answer names a werewolf, per role of the asker, next to
chance (the share of werewolves among the options it chose from, averaged over its questions)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from arena.records import seated_events
from arena.stats import wilson

WOLF = "werewolf"


def identification(runs: Sequence[Path], agent: str) -> dict[str, Any]:
    """Per role of the asking seat: questions, correct answers, accuracy with a 95% Wilson interval, and
    chance; ``{}`` when no game logged a probe (the scenario asks none)."""
    asked: dict[str, list[tuple[bool, float]]] = defaultdict(list)  # role -> (answer is a wolf, chance)
    for match, mine, event in seated_events(runs, agent):
        d = event.data
        if event.kind != "identify" or d["player"] not in mine:
            continue
        roles = (match.outcome or {}).get("roles", {})
        wolves = sum(roles.get(o) == WOLF for o in d["options"])
        asked[roles[d["player"]]].append((roles.get(d["answer"]) == WOLF, wolves / len(d["options"])))
    figures = {}
    for role, answers in sorted(asked.items()):
        correct = sum(hit for hit, _ in answers)
        figures[role] = {
            "questions": len(answers),
            "correct": correct,
            "accuracy": correct / len(answers),
            "ci": list(wilson(correct, len(answers))),
            "chance": sum(c for _, c in answers) / len(answers),
        }
    return {"identification": figures} if figures else {}
