"""Golden RPSSL transcript: a scenario match must replay to the very same event log (statements, parses,
fallback draws, labels). Regenerate deliberately with ``UPDATE_GOLDEN=1 pytest tests/test_rpssl_golden.py``."""

from __future__ import annotations

import json
import os

from tests.test_golden_transcript import GOLDEN, transcript

CASE, SCENARIO, INDEX = "rpssl_scripted", "scenarios/rpssl_scripted.yaml", 29  # random vs counter, 5 rounds


async def test_rpssl_golden_transcript():
    lines = await transcript(SCENARIO, INDEX)
    text = "\n".join(json.dumps(line, sort_keys=True) for line in lines) + "\n"
    path = GOLDEN / f"{CASE}.jsonl"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"missing {path}; run with UPDATE_GOLDEN=1 once"
    assert text == path.read_text(), f"{CASE} no longer replays its golden transcript"
