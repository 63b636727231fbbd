"""Build the run report: one self-contained static HTML page (all CSS, JS and data inlined).

The page is a list of :class:`Section` objects. The built-in ones (leaderboard, matrix, per-side and
per-role rates, game metrics, replay viewer) come from the run summary and the match records; later
analyses (e.g. latent strategy maps) pass their own sections to :func:`render_report`.

Every value from the records is untrusted (statements are LLM output): tables are escaped here, the
replay viewer writes text with ``textContent`` only, and embedded JSON cannot close its script tag.
A Content-Security-Policy forbids every network request, so the page works offline by construction.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from string import Template
from typing import Any

from arena.records import Records
from arena.report.latent import latent_section, load_analysis
from arena.report.sections import Section, header, summary_sections
from arena.standings import summarize

ASSETS = Path(__file__).parent
REPORT_FILE = "report.html"
RECORDS_FILE = "records.sqlite"


def write_report(run_dir: str | Path, max_replays: int = 200) -> Path:
    """Render ``run_dir/records.sqlite`` into ``run_dir/report.html`` and return its path.

    Replays embedded: the first ``max_replays`` matches by index (the page says how many were left out).
    """
    run_dir = Path(run_dir)
    records = Records(run_dir / RECORDS_FILE)
    try:
        summary = summarize(records)
        replays = collect_replays(records, max_replays)
    finally:
        records.close()
    analysis = load_analysis(run_dir)  # written by `arena analyze`
    extra = [] if analysis is None else [latent_section(analysis)]
    path = run_dir / REPORT_FILE
    path.write_text(render_report(summary, replays, extra), encoding="utf-8")
    return path


def collect_replays(records: Records, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` matches (by index) as replay dicts with their full event logs."""
    return [
        {
            "match_id": m.match_id,
            "index": m.index,
            "seed": m.seed,
            "status": m.status,
            "error": m.error,
            "seats": m.seats,
            "outcome": m.outcome,
            "events": [e.to_json() for e in records.events(m.match_id)],
        }
        for m in records.matches()[: max(limit, 0)]
    ]


def render_report(
    summary: dict[str, Any], replays: list[dict[str, Any]], extra_sections: list[Section] | None = None
) -> str:
    """The whole page as a string: built-in sections from ``summary`` and ``replays``, then ``extra_sections``."""
    sections = [*summary_sections(summary), replay_section(summary, replays), *(extra_sections or [])]
    ids = [s.id for s in sections]
    if len(set(ids)) != len(ids):
        raise ValueError(f"section ids must be unique, got {ids}")
    run = summary.get("run", {})
    title = f"Latent Arena report — {run.get('scenario', 'run')}"
    return Template((ASSETS / "template.html").read_text(encoding="utf-8")).substitute(
        title=html.escape(title),
        css=(ASSETS / "report.css").read_text(encoding="utf-8"),
        header=header(title, summary, n_replays=len(replays)),
        nav=_nav(sections),
        sections="\n".join(_section_html(s) for s in sections),
        scripts="\n".join(_section_script(s) for s in sections if s.script),
    )


def replay_section(summary: dict[str, Any], replays: Sequence[dict[str, Any]]) -> Section:
    """The replay viewer: static controls here, the match list and event log built by ``report.js``."""
    run = summary.get("run", {})
    total = int(run.get("matches_done", 0)) + int(run.get("matches_error", 0))
    omitted = max(total - len(replays), 0)
    note = f"{len(replays)} match{'es' if len(replays) != 1 else ''} embedded"
    if omitted:
        note += f"; {omitted} more in the records were left out to keep the page small (first matches by index)"
    markup = f"""
<p class="note" id="replay-note">{html.escape(note)}.</p>
<div class="replay-layout">
  <aside class="replay-picker">
    <input id="replay-filter" type="search" placeholder="Filter by agent, winner or #index" aria-label="Filter matches">
    <div id="replay-select" role="listbox" aria-label="Matches" data-testid="replay-select"></div>
  </aside>
  <div class="replay-main">
    <div id="replay-header" class="replay-header"></div>
    <div class="replay-controls">
      <label for="view-select">View</label>
      <select id="view-select" data-testid="view-select"></select>
      <span id="replay-count" class="muted"></span>
      <span class="legend" id="hidden-legend"><span class="swatch hidden-swatch"></span>hidden information</span>
    </div>
    <table id="replay-roster" class="roster" data-testid="replay-roster"></table>
    <ol id="replay-events" class="events" data-testid="replay-events"></ol>
  </div>
</div>"""
    return Section(
        id="replays",
        title="Replays",
        html=markup,
        data={"replays": list(replays), "omitted": omitted},
        script=(ASSETS / "report.js").read_text(encoding="utf-8"),
    )


def embed_json(value: Any) -> str:
    """JSON safe inside ``<script>``: ``<``, ``>`` and ``&`` become ``\\u`` escapes, so no ``</script>``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char in "&<>\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _nav(sections: Iterable[Section]) -> str:
    links = "".join(f'<a href="#{html.escape(s.id)}">{html.escape(s.title)}</a>' for s in sections)
    return f'<div class="toc-inner">{links}</div>'


def _section_html(s: Section) -> str:
    sid = html.escape(s.id)
    data = "" if s.data is None else f'<script type="application/json" id="{sid}-data">{embed_json(s.data)}</script>'
    return (
        f'<section id="{sid}" class="card" data-testid="section-{sid}">\n'
        f"<h2>{html.escape(s.title)}</h2>\n{s.html}\n{data}\n</section>"
    )


def _section_script(s: Section) -> str:
    # A section's own code could only end its tag early by containing "</script" itself; refuse that.
    if "</script" in s.script.lower():
        raise ValueError(f"section {s.id!r}: script must not contain '</script'")
    return f"<script>\n{s.script}\n</script>"
