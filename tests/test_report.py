"""The HTML report without a browser: content, escaping, self-containment and the run-directory entry point."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from arena.records import Records
from arena.report import Section, collect_replays, embed_json, render_report, write_report
from arena.standings import summarize
from tests.fixtures.report_run import HOSTILE_SPEECH, REASONING_MARK, build_run_sync, load_summary


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return build_run_sync(tmp_path)


@pytest.fixture
def replays(run_dir: Path) -> list[dict[str, Any]]:
    records = Records(run_dir / "records.sqlite")
    try:
        return collect_replays(records, 200)
    finally:
        records.close()


@pytest.fixture
def page(replays: list[dict[str, Any]]) -> str:
    return render_report(load_summary(), replays)


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None


def parse(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


def embedded(page: str, section_id: str) -> Any:
    (text,) = [text for attrs, text in parse(page).scripts if attrs.get("id") == f"{section_id}-data"]
    return json.loads(text)


def test_collect_replays_follows_the_replay_schema(replays: list[dict[str, Any]]) -> None:
    assert [r["index"] for r in replays] == [0, 1, 2, 3]
    done, errored = replays[0], replays[-1]
    assert set(done) == {"match_id", "index", "seed", "status", "error", "seats", "outcome", "events"}
    assert done["status"] == "done" and done["outcome"]["winner"] in {"village", "werewolves", None}
    assert errored["status"] == "error" and errored["outcome"] is None and errored["events"]
    kinds = {e["kind"] for r in replays for e in r["events"]}
    assert {"setup", "role", "night", "wolf_kill", "seer_check", "night_resolution", "statement", "reasoning"} <= kinds


def test_leaderboard_has_one_row_per_agent_in_order(page: str) -> None:
    rows = [a["data-agent"] for t, a in parse(page).tags if a.get("data-testid") == "leaderboard-row"]
    assert rows == [r["agent"] for r in load_summary()["leaderboard"]]
    assert "27.31" in page and "5.95" in page  # mu and ordinal of the first agent
    assert "95% CI" in page and 'class="ci-band"' in page


def test_sections_and_stable_ids(page: str) -> None:
    ids = {a.get("id") for _, a in parse(page).tags}
    assert {"leaderboard", "matrix", "sides", "roles", "metrics", "replays"} <= ids
    assert {"replay-select", "replay-filter", "view-select", "replay-events", "replay-roster"} <= ids
    for metric in ("Identification precision", "Vote success", "Key role survival"):
        assert metric in page
    assert page.count("accusations (day votes)") == 2  # each definition as a tooltip and as a footnote


def test_missing_values_render_as_a_dash(page: str) -> None:
    beta = re.search(r'data-agent="beta">(.*?)</tr>', page).group(1)
    assert beta.endswith('<td class="num">—</td>')  # fallback_rate None
    assert "no games" in page  # gamma has an empty record


def test_matrix_is_a_heat_map_with_empty_cells_marked(page: str) -> None:
    matrix = re.search(r'<table class="matrix".*?</table>', page, re.S).group(0)
    assert matrix.count('class="heat"') == 2 and 'class="heat empty"' in matrix
    assert "background:rgb(" in matrix


def test_page_is_self_contained(page: str) -> None:
    tags = parse(page)
    for tag, attrs in tags.tags:
        assert tag not in {"link", "img", "iframe", "object", "embed"}, tag
        assert "src" not in attrs, (tag, attrs)
        if "href" in attrs:
            assert attrs["href"].startswith("#"), attrs["href"]
    css_and_code = "".join(text for attrs, text in tags.scripts if attrs.get("type") != "application/json")
    assert not re.search(r"https?://|url\(|@import|fetch\(|XMLHttpRequest", css_and_code)
    assert "default-src 'none'" in page  # the browser refuses any request the page might still try


def test_embedded_json_cannot_close_its_script_tag(page: str, replays: list[dict[str, Any]]) -> None:
    tags = parse(page)
    assert page.count("</script>") == len(tags.scripts)  # hostile statements never end a tag
    data = embedded(page, "replays")
    assert data["replays"] == replays  # round-trips exactly, hostile text included
    said = {e["data"]["text"] for r in data["replays"] for e in r["events"] if e["kind"] == "statement"}
    assert set(HOSTILE_SPEECH) <= said
    assert json.loads(embed_json("</script><!--\u2028")) == "</script><!--\u2028"
    assert "<" not in embed_json("</script>")


def test_untrusted_text_is_escaped_in_tables() -> None:
    summary = load_summary()
    summary["leaderboard"][0]["agent"] = '<img src=x onerror="alert(1)">'
    summary["run"]["scenario"] = "<script>alert(2)</script>"
    page = render_report(summary, [])
    assert "<img" not in page and "<script>alert" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_replays_note_says_how_many_were_left_out(replays: list[dict[str, Any]]) -> None:
    page = render_report(load_summary(), replays[:1])
    assert "1 match embedded; 3 more in the records were left out" in page
    assert embedded(page, "replays")["omitted"] == 3


def test_reasoning_and_meta_only_inside_the_data(page: str) -> None:
    # Hidden information reaches the page only as data; which view shows it is the viewer's job (browser test).
    outside_data = re.sub(r'<script type="application/json".*?</script>', "", page, flags=re.S)
    assert REASONING_MARK not in outside_data and "find the wolves" not in outside_data
    assert REASONING_MARK in page


def test_extra_sections_extend_the_page(replays: list[dict[str, Any]]) -> None:
    extra = Section("latent-map", "Latent strategy map", "<svg id='map'></svg>", data={"points": [[0, 1]]}, script="1;")
    page = render_report(load_summary(), replays, extra_sections=[extra])
    assert '<a href="#latent-map">Latent strategy map</a>' in page
    assert embedded(page, "latent-map") == {"points": [[0, 1]]}
    assert page.index('id="replays"') < page.index('id="latent-map"')
    with pytest.raises(ValueError, match="unique"):
        render_report(load_summary(), replays, extra_sections=[Section("matrix", "again", "<p></p>")])
    with pytest.raises(ValueError, match="</script"):
        render_report(load_summary(), replays, extra_sections=[Section("x", "x", "", script="'</script>'")])


def test_empty_summary_still_renders() -> None:
    page = render_report({"run": {"scenario": "empty", "game": "werewolf"}}, [])
    assert "0 matches embedded" in page and 'id="leaderboard"' not in page


def test_write_report_renders_the_run_directory(run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Records] = []

    def fixture_summary(records: Records) -> dict[str, Any]:
        seen.append(records)
        return load_summary()

    # The report only renders the summary; a stand-in keeps this test about the report.
    monkeypatch.setattr("arena.report.html.summarize", fixture_summary)
    path = write_report(str(run_dir), max_replays=2)
    assert path == run_dir / "report.html" and seen
    page = path.read_text(encoding="utf-8")
    assert [r["index"] for r in embedded(page, "replays")["replays"]] == [0, 1]
    assert "2 more in the records were left out" in page


def test_write_report_with_the_real_standings(run_dir: Path) -> None:
    records = Records(run_dir / "records.sqlite")
    summary = summarize(records)
    records.close()
    page = write_report(run_dir).read_text(encoding="utf-8")
    rows = [a["data-agent"] for t, a in parse(page).tags if a.get("data-testid") == "leaderboard-row"]
    assert rows == [r["agent"] for r in summary["leaderboard"]] and set(rows) == {"alpha", "beta"}
    assert 'id="metrics"' in page and "parse_claims" in page  # the summary's own metric definitions
