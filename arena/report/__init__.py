"""The run report: a self-contained static HTML page (leaderboard, matrices, metrics, replays).

``write_report(run_dir)`` renders a run directory's records; ``render_report`` is the pure part, and
new analyses add their own :class:`Section` objects through its ``extra_sections`` argument.
"""

from arena.report.html import collect_replays, embed_json, render_report, write_report
from arena.report.sections import Section

__all__ = ["Section", "collect_replays", "embed_json", "render_report", "write_report"]
