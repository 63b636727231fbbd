"""The HTML report in headless Chromium: tables render, the replay viewer works, hidden information stays hidden.

Needs Debian's ``chromium`` (``apt-get install chromium``); Playwright drives it through ``executable_path``,
so no browser download is involved. Without it the tests skip, except under CI (``CI`` set), where
they fail: CI must not pass by skipping. Every test also fails on a console error or a non-file request.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from arena.records import Records
from arena.report import collect_replays, render_report
from tests.fixtures.report_run import HOSTILE_SPEECH, REASONING_MARK, build_run_sync, load_summary

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MATCH = "smoke-001"  # a finished game with every event kind


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests (apt-get install chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The recorded fixture run, its replays and the rendered page."""
    run_dir = build_run_sync(tmp_path_factory.mktemp("report"))
    records = Records(run_dir / "records.sqlite")
    replays = collect_replays(records, 200)
    records.close()
    path = run_dir / "report.html"
    path.write_text(render_report(load_summary(), replays), encoding="utf-8")
    return {"dir": run_dir, "path": path, "replays": {r["match_id"]: r for r in replays}}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Loaded:
    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def open(self, path: Path) -> None:
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri())

    def view(self, match_id: str, view: str) -> list[dict[str, Any]]:
        """Pick a match and a view; the rendered events as {seq, kind, text, hidden}."""
        self.page.click(f'[data-testid=replay-row][data-match-id="{match_id}"]')
        self.page.select_option("#view-select", view)
        return self.page.eval_on_selector_all(
            "#replay-events [data-testid=event]",
            "els => els.map(e => ({seq: Number(e.dataset.seq), kind: e.dataset.kind, text: e.textContent,"
            " hidden: e.dataset.hidden === 'true', meta: !!e.querySelector('[data-testid=meta]')}))",
        )


@contextmanager
def _load(browser: Any, path: Path) -> Iterator[Loaded]:
    """Open ``path`` in a fresh page; on leaving, fail on console errors and on any non-file request."""
    loaded = Loaded(browser.new_page(viewport={"width": 1280, "height": 900}))
    loaded.open(path)
    yield loaded
    assert loaded.errors == [], f"console errors: {loaded.errors}"
    assert all(url.startswith("file://") for url in loaded.requests), f"network requests: {loaded.requests}"
    loaded.page.close()


@pytest.fixture
def loaded(browser: Any, run: dict[str, Any]) -> Iterator[Loaded]:
    with _load(browser, run["path"]) as page:
        yield page


def test_tables_render(loaded: Loaded) -> None:
    page = loaded.page
    summary = load_summary()
    rows = page.locator("#leaderboard [data-testid=leaderboard-row]")
    assert rows.count() == len(summary["leaderboard"])
    assert rows.first.locator("th").inner_text() == summary["leaderboard"][0]["agent"]
    assert page.locator("#leaderboard .ci-band").first.is_visible()
    assert page.locator("#matrix td.heat:not(.empty)").count() == 2
    assert page.locator("#sides td.rate .ci").count() == 3 and page.locator("#roles td.rate .ci").count() == 5
    assert page.locator("#metrics tbody tr").count() == 2


def test_replay_list_and_view_options(loaded: Loaded, run: dict[str, Any]) -> None:
    page = loaded.page
    assert page.locator("[data-testid=replay-row]").count() == len(run["replays"])
    assert page.locator('[data-testid=replay-row][aria-selected="true"]').get_attribute("data-match-id") == "smoke-000"
    loaded.view(MATCH, "omniscient")
    players = list(run["replays"][MATCH]["seats"])
    options = page.eval_on_selector_all("#view-select option", "os => os.map(o => o.value)")
    assert options == ["omniscient", *players]
    assert MATCH in page.locator("#replay-header").inner_text()


def test_omniscient_view_shows_everything_and_marks_hidden_information(loaded: Loaded, run: dict[str, Any]) -> None:
    replay = run["replays"][MATCH]
    shown = loaded.view(MATCH, "omniscient")
    assert [e["seq"] for e in shown] == list(range(len(replay["events"])))
    for event, line in zip(replay["events"], shown, strict=True):
        assert line["hidden"] == (event["visible_to"] is not None), line
        assert line["meta"] == bool(event["meta"]), line
    kinds = [e["kind"] for e in shown]
    assert kinds.count("role") == len(replay["seats"])
    assert {"wolf_kill", "seer_check", "doctor_protect", "night_resolution", "reasoning"} <= set(kinds)
    text = loaded.page.locator("#replay-events").inner_text()
    assert REASONING_MARK in text and "find the wolves" in text  # reasoning and the intent from meta


def test_player_view_shows_only_what_that_player_saw(loaded: Loaded, run: dict[str, Any]) -> None:
    replay = run["replays"][MATCH]
    roles = replay["outcome"]["roles"]
    for player in replay["seats"]:
        shown = loaded.view(MATCH, player)
        expected = [i for i, e in enumerate(replay["events"]) if e["visible_to"] is None or player in e["visible_to"]]
        assert [e["seq"] for e in shown] == expected, player
        kinds = [e["kind"] for e in shown]
        assert kinds.count("role") == 1 and "Your role" in next(e["text"] for e in shown if e["kind"] == "role")
        assert not {"reasoning", "night_resolution"} & set(kinds)
        assert not any(e["meta"] or e["hidden"] for e in shown)
        if roles[player] != "werewolf":
            assert not {"wolf_proposal", "wolf_kill"} & set(kinds)
        if roles[player] != "seer":
            assert "seer_check" not in kinds
        text = loaded.page.locator("#replay-events").inner_text()
        assert REASONING_MARK not in text and "find the wolves" not in text
        for other in replay["seats"]:
            assert f"{other}'s role" not in text  # no other player's role event
        roster = loaded.page.locator("#replay-roster").inner_text()
        assert "Result" not in roster  # who won per seat would give teams away


def test_hostile_text_is_shown_as_text(loaded: Loaded) -> None:
    page = loaded.page
    loaded.view(MATCH, "omniscient")
    assert page.evaluate("window.__xss") is None
    assert page.locator("#replay-events img, #replay-events script").count() == 0
    statements = page.locator("#replay-events [data-kind=statement] q").all_inner_texts()
    assert HOSTILE_SPEECH[0] in statements and HOSTILE_SPEECH[1] in statements
    loaded.view("smoke-003", "omniscient")  # the errored match, whose error message holds markup
    assert "</script><b>x</b>" in page.locator("#replay-header .error-box").inner_text()


def test_filter_narrows_the_match_list(loaded: Loaded) -> None:
    page = loaded.page
    page.fill("#replay-filter", "error")
    assert page.locator("[data-testid=replay-row]").all() and all(
        r.get_attribute("data-match-id") == "smoke-003" for r in page.locator("[data-testid=replay-row]").all()
    )
    page.fill("#replay-filter", "no such agent")
    assert page.locator("[data-testid=replay-row]").count() == 0


def test_hundreds_of_replays_stay_usable(browser: Any, run: dict[str, Any], tmp_path: Path) -> None:
    base = run["replays"][MATCH]
    replays = []
    for i in range(300):
        r = copy.deepcopy(base)
        r["match_id"], r["index"] = f"bulk-{i:03d}", i
        replays.append(r)
    path = tmp_path / "report.html"
    path.write_text(render_report(load_summary(), replays), encoding="utf-8")
    with _load(browser, path) as loaded:
        assert loaded.page.locator("[data-testid=replay-row]").count() == 300
        shown = loaded.view("bulk-299", "player_0")
        assert shown and loaded.page.locator("#replay-header").inner_text().startswith("Match #299")
