"""The report of an LSPO run, from ``RUN_DIR/summary.json`` (written by the ``solvers/lspo`` loop).

Sections: win rate per evaluation opponent across iterations (inline-SVG chart with 95% CI whiskers and
a table), exploitability and move distribution (RPSSL), identification accuracy (Werewolf, when the
"who is a wolf?" probe was asked: :mod:`arena.report.lspo_identify`), the latent strategies of each role per iteration
(which clusters are NEW, which FADED, their policy marginal and regret), and wall-clock per step.
Iteration ``i``'s evaluation is the model *before* that iteration's training, so iteration 0 is the base
model and a final entry may hold only the evaluation of the last DPO checkpoint. A run in progress
leaves fields null or missing; each section shows what is there and leaves the rest out.

Static markup only (no script); every value interpolated is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from arena.report.fmt import DASH
from arena.report.fmt import esc as _e
from arena.report.fmt import num as _num
from arena.report.fmt import pct as _pct
from arena.report.html import REPORT_FILE, render_report
from arena.report.latent import PALETTE
from arena.report.lspo_identify import identification
from arena.report.sections import Section

SUMMARY_FILE = "summary.json"
CHART_W, CHART_H, PAD_L, PAD_R, PAD_T, PAD_B = 360, 150, 36, 12, 10, 24
"""Win-rate chart geometry in px: the plot area is inset by the pads (left pad holds the % axis)."""
LANE_W, LANE_H = 110, 34
"""Cluster lineage chart: px per iteration column and per cluster row."""


def write_lspo_report(run_dir: str | Path) -> Path:
    """Render ``run_dir/summary.json`` into ``run_dir/report.html`` and return its path."""
    run_dir = Path(run_dir)
    summary = json.loads((run_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
    # The arena header wants a run block; an LSPO run has no match records, so no replays are embedded
    # and matches_done is 0 (a non-zero count would make the replay viewer claim matches were left out).
    page_summary = {
        "run": {
            "game": summary.get("game") or DASH,
            "scenario": summary.get("scenario") or run_dir.name,
            "matches_done": 0,
            "matches_error": 0,
        }
    }
    path = run_dir / REPORT_FILE
    path.write_text(render_report(page_summary, [], lspo_sections(summary)), encoding="utf-8")
    return path


def lspo_sections(summary: Mapping[str, Any]) -> list[Section]:
    """The LSPO sections for :func:`render_report`'s ``extra_sections``; empty ones are left out."""
    entries = [e for e in summary.get("per_iteration") or [] if isinstance(e, Mapping)]
    built = [
        Section("lspo-run", "LSPO iterations", overview(summary, entries)),
        Section("lspo-winrate", "Win rate across iterations", win_rates(entries)),
        Section("lspo-exploitability", "Exploitability", exploitability(entries)),
        Section("lspo-identification", "Who is a wolf? (identification)", identification(entries)),
        Section("lspo-strategies", "Strategies across iterations", strategies(entries)),
        Section("lspo-seconds", "Wall-clock per step", seconds(entries)),
    ]
    return [s for s in built if s.html]


# ---- overview ----------------------------------------------------------------------------------
def overview(summary: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> str:
    """What each iteration did: model evaluated, self-play, solve and DPO figures."""
    facts = (
        f"Agent <b>{_e(summary.get('agent') or DASH)}</b>, {_e(summary.get('iterations') or DASH)} iterations "
        f"planned, {len(entries)} recorded. Each iteration evaluates its model, plays itself, clusters what was "
        "said into latent strategies, solves the game over them and trains on the solution (DPO)."
    )
    if not entries:
        return f'<p class="note">{facts}</p>'
    rows = []
    for e in entries:
        play, solve, dpo = _get(e, "selfplay"), _get(e, "solve"), _get(e, "dpo")
        rows.append(
            f"<tr><td class='num'>{_e(e.get('iteration', DASH))}</td><td class='mono'>{_e(e.get('model') or DASH)}</td>"
            f"<td class='num'>{_e(play.get('games', DASH))}</td>"
            f"<td class='num'>{_e(play.get('speaking_turns', DASH))}</td>"
            f"<td class='num'>{_e(play.get('candidates', DASH))}</td>"
            f"<td>{_e(solve.get('method') or DASH)}</td><td class='num'>{_num(solve.get('nash_conv'), 4)}</td>"
            f"<td>{_e(dpo.get('ranking') or DASH)}</td>"
            f"<td class='num'>{_e(dpo.get('pairs', DASH))}</td><td class='num'>{_e(dpo.get('steps', DASH))}</td>"
            f"<td class='num'>{_num(dpo.get('train_loss'), 4)}</td>"
            f"<td class='mono'>{_e(dpo.get('checkpoint') or DASH)}</td></tr>"
        )
    head = (
        "<tr><th class='num'>Iteration</th><th>Model evaluated</th><th class='num'>Self-play games</th>"
        "<th class='num'>Speaking turns</th><th class='num'>Candidates</th><th>Solver</th><th class='num'>NashConv</th>"
        "<th>Ranking</th><th class='num'>DPO pairs</th><th class='num'>Steps</th><th class='num'>Loss</th>"
        "<th>Checkpoint</th></tr>"
    )
    return f'<p class="note">{facts}</p>{_table("lspo-iterations", head, "".join(rows))}'


# ---- win rate ----------------------------------------------------------------------------------
def win_rates(entries: Sequence[Mapping[str, Any]]) -> str:
    """Per evaluation opponent: the win-rate chart and a table with per-side rates."""
    opponents = _ordered(_get(_get(e, "eval"), "opponents") for e in entries)
    if not opponents:
        return ""
    blocks = [
        '<p class="note">Iteration <i>i</i> evaluates the model before that iteration\'s training (0 = base '
        "model). Dots: win rate; whiskers: 95% confidence interval.</p>"
    ]
    for opp in opponents:
        points = [(e.get("iteration", i), _get(_get(_get(e, "eval"), "opponents"), opp)) for i, e in enumerate(entries)]
        points = [(it, s) for it, s in points if s]
        sides = _ordered(_get(s, "sides") for _, s in points)
        head = (
            "<tr><th class='num'>Iteration</th><th>Win rate [95% CI]</th><th class='num'>Games</th>"
            + "".join(f"<th>{_e(side)}</th>" for side in sides)
            + "</tr>"
        )
        rows = "".join(
            f"<tr><td class='num'>{_e(it)}</td><td>{_rate(s)}</td><td class='num'>{_e(s.get('games', DASH))}</td>"
            + "".join(f"<td>{_rate(_get(_get(s, 'sides'), side))}</td>" for side in sides)
            + "</tr>"
            for it, s in points
        )
        blocks.append(
            f'<h3 data-testid="lspo-opponent">vs {_e(opp)}</h3><div class="lspo-pair">'
            f"{_rate_chart(opp, points)}{_table('lspo-winrate-table', head, rows)}</div>"
        )
    return "\n".join(blocks)


def _rate_chart(opp: str, points: Sequence[tuple[Any, Mapping[str, Any]]]) -> str:
    """Win rate per iteration on a 0–100% axis, CI whiskers, a line through the points."""
    w, h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B
    n = len(points)

    def x(i: int) -> float:
        return PAD_L + (w / 2 if n == 1 else w * i / (n - 1))

    def y(rate: float) -> float:
        return PAD_T + h * (1 - min(max(float(rate), 0.0), 1.0))

    grid = "".join(
        f'<line x1="{PAD_L}" x2="{PAD_L + w}" y1="{y(r):.1f}" y2="{y(r):.1f}" stroke="#e3e6ec"/>'
        f'<text x="{PAD_L - 4}" y="{y(r) + 4:.1f}" text-anchor="end" font-size="10" fill="#667085">{r:.0%}</text>'
        for r in (0.0, 0.5, 1.0)
    )
    marks, line = [], []
    for i, (it, s) in enumerate(points):
        marks.append(f'<text x="{x(i):.1f}" y="{CHART_H - 6}" text-anchor="middle" font-size="10">{_e(it)}</text>')
        rate, ci = s.get("win_rate"), s.get("ci")
        if rate is None:
            continue
        line.append(f"{x(i):.1f},{y(rate):.1f}")
        if ci and len(ci) == 2 and None not in ci:
            marks.append(
                f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(ci[0]):.1f}" y2="{y(ci[1]):.1f}" stroke="#3b5bdb"/>'
            )
        tip = f"iteration {it} vs {opp}: {_rate_text(s)}, {s.get('games', '?')} games"
        marks.append(
            f'<circle cx="{x(i):.1f}" cy="{y(rate):.1f}" r="4" fill="#3b5bdb"><title>{_e(tip)}</title></circle>'
        )
    path = f'<polyline points="{" ".join(line)}" fill="none" stroke="#3b5bdb" stroke-opacity="0.5"/>' if line else ""
    return (
        f'<svg class="lspo-chart" data-testid="lspo-winrate-chart" role="img" aria-label="win rate vs {_e(opp)} '
        f'by iteration" width="{CHART_W}" height="{CHART_H}" viewBox="0 0 {CHART_W} {CHART_H}">'
        f"{grid}{path}{''.join(marks)}</svg>"
    )


# ---- exploitability ----------------------------------------------------------------------------
def _interval(ci: Sequence[float] | None) -> str:
    """`` [low, high]`` after a figure, when its run recorded a bootstrap interval (older runs did not)."""
    return f" <span class='muted'>[{_num(ci[0], 3)}, {_num(ci[1], 3)}]</span>" if ci else ""


def exploitability(entries: Sequence[Mapping[str, Any]]) -> str:
    """Exploitability and move distribution per iteration (games with a known payoff table, e.g. RPSSL)."""
    rows = [(e.get("iteration", i), _get(e, "eval")) for i, e in enumerate(entries)]
    rows = [(it, ev) for it, ev in rows if ev.get("exploitability") is not None or ev.get("move_distribution")]
    if not rows:
        return ""
    moves = _ordered(ev.get("move_distribution") for _, ev in rows)
    head = (
        "<tr><th class='num'>Iteration</th><th class='num'>Exploitability</th><th>Move distribution</th>"
        + "".join(
            f"<th class='num'><span class='swatch' style='background:{PALETTE[j % len(PALETTE)]}'></span>{_e(m)}</th>"
            for j, m in enumerate(moves)
        )
        + "</tr>"
    )
    body = "".join(
        f"<tr><td class='num'>{_e(it)}</td><td class='num strong'>{_num(ev.get('exploitability'), 4)}"
        f"{_interval(ev.get('exploitability_ci'))}</td><td>{_move_bar(ev.get('move_distribution') or {}, moves)}</td>"
        + "".join(f"<td class='num'>{_pct((ev.get('move_distribution') or {}).get(m))}</td>" for m in moves)
        + "</tr>"
        for it, ev in rows
    )
    note = (
        '<p class="note">Exploitability of the evaluated model\'s move distribution: how much a best response '
        "gains against it (0 at the Nash equilibrium).</p>"
    )
    return f"{note}{_sparkline(rows)}{_table('lspo-exploitability-table', head, body)}"


def _sparkline(rows: Sequence[tuple[Any, Mapping[str, Any]]]) -> str:
    values = [(it, float(ev["exploitability"])) for it, ev in rows if ev.get("exploitability") is not None]
    if len(values) < 2:
        return ""
    top = max(v for _, v in values) or 1.0
    w, h, pad = 240, 48, 6
    pts = [
        (pad + (w - 2 * pad) * i / (len(values) - 1), pad + (h - 2 * pad) * (1 - v / top))
        for i, (_, v) in enumerate(values)
    ]
    dots = "".join(
        f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="#b42318"><title>iteration {_e(it)}: {v:.4f}</title></circle>'
        for (px, py), (it, v) in zip(pts, values, strict=True)
    )
    line = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
    return (
        f'<svg class="lspo-spark" data-testid="lspo-exploitability-chart" role="img" aria-label="exploitability by '
        f'iteration" width="{w}" height="{h}" viewBox="0 0 {w} {h}"><polyline points="{line}" fill="none" '
        f'stroke="#b42318"/>{dots}</svg>'
    )


def _move_bar(dist: Mapping[str, Any], moves: Sequence[str]) -> str:
    """A stacked 100% bar, one colour per move."""
    w, h, x, rects = 160, 14, 0.0, []
    for j, m in enumerate(moves):
        p = float(dist.get(m) or 0.0)
        if p <= 0:
            continue
        rects.append(
            f'<rect x="{x:.1f}" width="{w * p:.1f}" height="{h}" fill="{PALETTE[j % len(PALETTE)]}">'
            f"<title>{_e(m)}: {_pct(p)}</title></rect>"
        )
        x += w * p
    return (
        f'<svg class="lspo-bar" role="img" aria-label="move distribution" width="{w}" height="{h}">'
        f"{''.join(rects)}</svg>"
    )


# ---- strategies --------------------------------------------------------------------------------
def strategies(entries: Sequence[Mapping[str, Any]]) -> str:
    """Per role: the cluster lineage and, per iteration, its clusters marked NEW, with the FADED ones."""
    roles = _ordered(_get(_get(e, "latent"), "clusters") for e in entries)
    if not roles:
        return ""
    blocks = [
        '<p class="note">Each iteration clusters what each role said into latent strategies. A cluster follows '
        "the nearest cluster of the previous iteration; <b>NEW</b> marks one that follows none, <b>FADED</b> one "
        "of the previous iteration that no cluster follows. Marginal and regret come from that iteration's solve.</p>"
    ]
    for role in roles:
        history = []  # (iteration, k, clusters, marginal, regret) for iterations that clustered this role
        for i, e in enumerate(entries):
            latent, solve = _get(e, "latent"), _get(e, "solve")
            clusters = _get(latent, "clusters").get(role)
            if clusters:
                k = _get(latent, "k").get(role, len(clusters))
                marginal, regret = _get(solve, "marginal").get(role), _get(solve, "strategy_regret").get(role)
                history.append((e.get("iteration", i), k, clusters, marginal, regret))
        blocks.append(f'<h3 data-testid="lspo-role">{_e(role)}</h3>{_lineage(role, history)}')
        previous: Sequence[Mapping[str, Any]] | None = None
        for it, k, clusters, marginal, regret in history:
            blocks.append(_cluster_table(it, k, clusters, previous, marginal, regret))
            previous = clusters
    return "\n".join(blocks)


def _cluster_table(
    it: Any,
    k: Any,
    clusters: Sequence[Mapping[str, Any]],
    previous: Sequence[Mapping[str, Any]] | None,
    marginal: Sequence[float] | None,
    regret: Sequence[float] | None,
) -> str:
    rows = []
    for c in clusters:
        cid, prev = c.get("id"), c.get("previous")
        if previous is None:
            status = '<span class="muted">first</span>'
        elif prev is None:
            status = '<span class="lspo-tag new" data-testid="lspo-new">NEW</span>'
        else:
            status = f"from #{_e(prev)}"
        exemplars = "".join(f"<li>{_e(x)}</li>" for x in c.get("exemplars") or [])
        exemplars = f'<ul class="exemplars">{exemplars}</ul>' if exemplars else ""
        rows.append(
            f"<tr><td class='num'>#{_e(cid)}</td><td><b>{_e(c.get('title') or DASH)}</b>"
            f"{exemplars}</td><td>{status}</td>"
            f"<td class='num'>{_pct(c.get('frequency'))}</td><td class='num'>{_num(_at(marginal, cid), 3)}</td>"
            f"<td class='num'>{_num(_at(regret, cid), 4)}</td></tr>"
        )
    head = (
        "<tr><th class='num'>Id</th><th>Strategy</th><th>Lineage</th><th class='num'>Frequency</th>"
        "<th class='num'>Policy marginal</th><th class='num'>Strategy regret</th></tr>"
    )
    faded = ""
    if previous is not None:
        followed = {c.get("previous") for c in clusters}
        gone = [p for p in previous if p.get("id") not in followed]
        if gone:
            items = ", ".join(f"#{_e(p.get('id'))} {_e(p.get('title') or DASH)}" for p in gone)
            faded = (
                f'<p class="lspo-faded" data-testid="lspo-faded"><span class="lspo-tag faded">FADED</span> {items}</p>'
            )
    return f"<h4>Iteration {_e(it)} — k={_e(k)}</h4>{_table('lspo-clusters', head, ''.join(rows))}{faded}"


def _lineage(role: str, history: Sequence[tuple[Any, Any, Sequence[Mapping[str, Any]], Any, Any]]) -> str:
    """Columns = iterations, a dot per cluster (area ~ frequency), a line to the cluster it follows."""
    if len(history) < 2:
        return ""
    rows = max(len(h[2]) for h in history)
    w, h = LANE_W * len(history), LANE_H * rows + 24
    where: list[dict[Any, tuple[float, float]]] = []
    lines, dots = [], []
    for col, (it, _, clusters, _, _) in enumerate(history):
        cx = LANE_W * col + LANE_W / 2
        where.append({c.get("id"): (cx, 20 + LANE_H * r + LANE_H / 2) for r, c in enumerate(clusters)})
        dots.append(f'<text x="{cx:.1f}" y="12" text-anchor="middle" font-size="10" fill="#667085">it {_e(it)}</text>')
        for c in clusters:
            x, y = where[col][c.get("id")]
            src = where[col - 1].get(c.get("previous")) if col else None
            if src:
                lines.append(f'<line x1="{src[0]:.1f}" y1="{src[1]:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#98a2b3"/>')
            new = col > 0 and c.get("previous") is None
            r = 3 + 9 * min(max(float(c.get("frequency") or 0.0), 0.0), 1.0) ** 0.5
            tip = f"iteration {it} #{c.get('id')}: {c.get('title') or ''} ({_pct(c.get('frequency'))})" + (
                " NEW" if new else ""
            )
            dots.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{PALETTE[int(c.get("id") or 0) % len(PALETTE)]}" '
                f'stroke="{"#1d2330" if new else "none"}" stroke-width="2"><title>{_e(tip)}</title></circle>'
            )
    return (
        f'<svg class="lspo-lineage" data-testid="lspo-lineage" role="img" '
        f'aria-label="{_e(role)} clusters by iteration" '
        f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">{"".join(lines)}{"".join(dots)}</svg>'
    )


# ---- wall-clock --------------------------------------------------------------------------------
def seconds(entries: Sequence[Mapping[str, Any]]) -> str:
    """Iterations × steps in seconds, with a total per iteration and per step."""
    steps = _ordered(_get(e, "seconds") for e in entries)
    if not steps:
        return ""
    head = (
        "<tr><th class='num'>Iteration</th>"
        + "".join(f"<th class='num'>{_e(s)}</th>" for s in steps)
        + "<th class='num'>Total</th></tr>"
    )
    rows, totals = [], dict.fromkeys(steps, 0.0)
    for i, e in enumerate(entries):
        secs = _get(e, "seconds")
        for s in steps:
            totals[s] += float(secs.get(s) or 0.0)
        rows.append(
            f"<tr><td class='num'>{_e(e.get('iteration', i))}</td>"
            + "".join(f"<td class='num'>{_duration(secs.get(s))}</td>" for s in steps)
            + f"<td class='num strong'>{_duration(sum(float(v or 0.0) for v in secs.values()))}</td></tr>"
        )
    rows.append(
        "<tr class='lspo-total'><th scope='row'>Total</th>"
        + "".join(f"<td class='num'>{_duration(totals[s])}</td>" for s in steps)
        + f"<td class='num strong'>{_duration(sum(totals.values()))}</td></tr>"
    )
    return _table("lspo-seconds-table", head, "".join(rows))


# ---- helpers -----------------------------------------------------------------------------------
def _get(m: Any, key: str) -> Mapping[str, Any]:
    """``m[key]`` when both are mappings, else ``{}``: partial runs leave blocks null or missing."""
    value = m.get(key) if isinstance(m, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _ordered(maps: Iterable[Mapping[str, Any] | None]) -> list[str]:
    """Keys of all mappings in order of first appearance."""
    return list(dict.fromkeys(k for m in maps if m for k in m))


def _at(values: Sequence[float] | None, index: Any) -> float | None:
    if values is None or not isinstance(index, int) or not 0 <= index < len(values):
        return None
    return values[index]


def _table(testid: str, head: str, body: str) -> str:
    return (
        f'<div class="scroll"><table class="data" data-testid="{testid}">'
        f"<thead>{head}</thead><tbody>{body}</tbody></table></div>"
    )


def _rate_text(s: Mapping[str, Any]) -> str:
    ci = s.get("ci")
    band = f" [{_pct(ci[0], 0)}–{_pct(ci[1], 0)}]" if ci and len(ci) == 2 and None not in ci else ""
    return _pct(s.get("win_rate")) + band


def _rate(s: Mapping[str, Any]) -> str:
    if not s:
        return DASH
    games = f' <small class="muted">n={_e(s["games"])}</small>' if "games" in s else ""
    return f"{_e(_rate_text(s))}{games}"


def _duration(x: float | None) -> str:
    if x is None:
        return DASH
    x = float(x)
    if x < 60:
        return f"{x:.1f} s"
    m, s = divmod(round(x), 60)
    return f"{m}m {s:02d}s" if m < 60 else f"{m // 60}h {m % 60:02d}m"
