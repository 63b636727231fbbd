"""A tournament killed with SIGKILL mid-run resumes to exactly the full set of matches: no
duplicates, nothing lost, and the same results as a run that was never interrupted."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import yaml

from arena.records import Records

ROOT = Path(__file__).resolve().parents[1]
GAMES = 400  # enough that the first run is still going when it is killed
KILL_AFTER = 30  # matches saved before the kill

SCENARIO = {
    "name": "resume",
    "game": "werewolf",
    "agents": [{"name": "r1", "kind": "random"}, {"name": "r2", "kind": "random"}, {"name": "r3", "kind": "random"}],
    "tournament": {"format": "mixed", "games": GAMES, "seed": 11, "concurrency": 4},
}


def _command(scenario: Path, run_dir: Path) -> list[str]:
    return [sys.executable, "-m", "arena.cli", "tournament", str(scenario), "--out", str(run_dir), "--no-progress"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _saved(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as con:
            return con.execute("SELECT COUNT(*) FROM matches").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet, or busy for a moment
        return 0


def _snapshot(run_dir: Path) -> dict[str, tuple]:
    """Everything stored per match except its wall-clock duration."""
    records = Records(run_dir / "records.sqlite")
    try:
        matches = records.matches()
        log = {m.match_id: [e.to_json() for e in records.events(m.match_id)] for m in matches}
        return {
            m.match_id: (m.index, m.seed, m.status, m.seats, m.outcome, m.agent_stats, m.error, log[m.match_id])
            for m in matches
        }
    finally:
        records.close()


def test_sigkill_then_rerun_gives_the_uninterrupted_result(tmp_path):
    scenario = tmp_path / "resume.yaml"
    scenario.write_text(yaml.safe_dump(SCENARIO), encoding="utf-8")
    killed, clean = tmp_path / "killed", tmp_path / "clean"

    proc = subprocess.Popen(_command(scenario, killed), cwd=ROOT, env=_env(), stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _saved(killed / "records.sqlite") < KILL_AFTER:
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read().decode()}"
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    partial = _saved(killed / "records.sqlite")
    assert KILL_AFTER <= partial < GAMES, partial

    resumed = subprocess.run(_command(scenario, killed), cwd=ROOT, env=_env(), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    uninterrupted = subprocess.run(_command(scenario, clean), cwd=ROOT, env=_env(), capture_output=True, text=True)
    assert uninterrupted.returncode == 0, uninterrupted.stderr

    after = _snapshot(killed)
    assert len(after) == GAMES and sorted(v[0] for v in after.values()) == list(range(GAMES))  # no gap, no duplicate
    assert all(v[2] == "done" for v in after.values())
    assert after == _snapshot(clean)  # identical records and event logs, whatever was interrupted
