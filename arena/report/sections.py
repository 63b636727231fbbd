"""The report's static sections, built from the run summary of :func:`arena.standings.summarize`.

Plain HTML tables with inline CSS bars (no chart library, no script): every interpolated value goes
through :func:`html.escape`, because agent names and labels come from user scenarios and models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from arena.report.fmt import DASH
from arena.report.fmt import esc as _e
from arena.report.fmt import num as _num
from arena.report.fmt import pct as _pct

METRIC_DEFINITIONS: dict[str, str] = {
    "identification_precision": "Share of a player's accusations (day votes) that named a real werewolf.",
    "vote_success": "Share of a player's day votes that hit a member of the opposing team.",
    "key_role_survival": "Share of games in which the agent's Seer or Doctor was still alive at the end.",
    "avg_game_length": "Mean number of days played in the agent's games.",
}
"""Defaults for the metrics table; a summary's optional ``metric_definitions`` overrides them."""

RATING_HELP = {
    "mu": "OpenSkill mean skill estimate.",
    "sigma": "OpenSkill uncertainty of the skill estimate.",
    "ordinal": "OpenSkill ordinal, a conservative skill (mu - 3 sigma); higher is better.",
    "fallback": "Share of the agent's moves that had to be replaced by a fallback move (e.g. unparseable LLM "
    "output); — when the agent never falls back.",
}


@dataclass(frozen=True)
class Section:
    """One block of the page, listed in the table of contents.

    ``html`` is trusted markup from a renderer that escaped every value it interpolated. ``data`` (any
    JSON value) is embedded as ``<script type="application/json" id="{id}-data">`` for ``script``, inline
    JavaScript that reads it and builds the interactive part; a static section leaves both empty.
    """

    id: str
    title: str
    html: str
    data: Any = None
    script: str = ""


def summary_sections(summary: Mapping[str, Any]) -> list[Section]:
    """Leaderboard, win-rate matrix, per-side and per-role rates and game metrics; empty ones are left out."""
    game = str(summary.get("run", {}).get("game", ""))
    built = [
        Section("leaderboard", "Leaderboard", leaderboard(summary.get("leaderboard", []))),
        Section("matrix", "Win-rate matrix", matrix(summary.get("matrix", {}))),
        Section("sides", "Win rate per side", breakdown(summary.get("sides", {}), "Side")),
        Section("roles", "Win rate per role", breakdown(summary.get("roles", {}), "Role")),
        Section(
            "metrics",
            f"{game.capitalize() or 'Game'} metrics",
            metrics(summary.get("metrics", {}), {**METRIC_DEFINITIONS, **summary.get("metric_definitions", {})}),
        ),
    ]
    return [s for s in built if s.html]


# ---- page header -------------------------------------------------------------------------------
def header(title: str, summary: Mapping[str, Any], n_replays: int) -> str:
    """Title, run facts and the overall team win rates."""
    run = summary.get("run", {})
    facts = [
        ("Game", run.get("game", DASH)),
        ("Scenario", run.get("scenario", DASH)),
        ("Matches", run.get("matches_done", 0)),
        ("Errors", run.get("matches_error", 0)),
        ("Replays embedded", n_replays),
        ("Scenario hash", str(run.get("scenario_hash") or DASH)[:12]),
    ]
    chips = "".join(f'<div class="fact"><span>{_e(k)}</span><b>{_e(v)}</b></div>' for k, v in facts)
    overall = summary.get("overall", {})
    cards = [
        f'<div class="stat team-{_e(team)}"><span>{_e(team)} win rate</span><b>{_pct(s.get("win_rate"))}</b>'
        f"{_interval(s.get('win_rate'), s.get('ci'))}<small>{_games(s)}</small></div>"
        for team, s in overall.get("team_win_rates", {}).items()
    ]
    if "draws" in overall:
        cards.append(f'<div class="stat"><span>Draws</span><b>{_e(overall["draws"])}</b></div>')
    if overall.get("avg_game_length") is not None:
        cards.append(f'<div class="stat"><span>Avg. length</span><b>{_num(overall["avg_game_length"], 2)}</b></div>')
    return (
        f'<h1>{_e(title)}</h1><div class="facts" data-testid="run-facts">{chips}</div>'
        f'<div class="stats" data-testid="overall">{"".join(cards)}</div>'
    )


# ---- sections ----------------------------------------------------------------------------------
def leaderboard(rows: Iterable[Mapping[str, Any]]) -> str:
    """One row per agent, in the summary's order (it is already ranked)."""
    body = "".join(
        f'<tr data-testid="leaderboard-row" data-agent="{_e(r["agent"])}">'
        f'<td class="num">{rank}</td><th scope="row">{_e(r["agent"])}</th>'
        f'<td class="num">{_e(r.get("games", 0))}</td><td class="num">{_e(r.get("wins", 0))}</td>'
        f'<td class="num">{_e(r.get("draws", 0))}</td>{_rate_cell(r)}'
        f'<td class="num">{_num(r.get("rating_mu"), 2)}</td><td class="num">{_num(r.get("rating_sigma"), 2)}</td>'
        f'<td class="num strong">{_num(r.get("ordinal"), 2)}</td><td class="num">{_pct(r.get("fallback_rate"))}</td>'
        "</tr>"
        for rank, r in enumerate(rows, start=1)
    )
    if not body:
        return ""
    head = (
        '<tr><th class="num">#</th><th>Agent</th><th class="num">Games</th><th class="num">Wins</th>'
        '<th class="num">Draws</th><th>Win rate (95% CI)</th>'
        f"{_th('μ', RATING_HELP['mu'], 'num')}{_th('σ', RATING_HELP['sigma'], 'num')}"
        f"{_th('Ordinal', RATING_HELP['ordinal'], 'num')}{_th('Fallback', RATING_HELP['fallback'], 'num')}</tr>"
    )
    return (
        f'<div class="scroll"><table class="data" data-testid="leaderboard">'
        f"<thead>{head}</thead><tbody>{body}</tbody></table></div>"
    )


def matrix(m: Mapping[str, Any]) -> str:
    """Heat-map table: the row agent's win rate in games against the column agent."""
    agents = list(m.get("agents", []))
    if not agents:
        return ""
    cells = m.get("cells", {})
    head = "".join(f'<th scope="col">{_e(a)}</th>' for a in agents)
    rows = []
    for row in agents:
        tds = []
        for col in agents:
            c = cells.get(row, {}).get(col)
            if not c or not c.get("games"):
                tds.append(f'<td class="heat empty" title="{_e(row)} vs {_e(col)}: no games">{DASH}</td>')
                continue
            tip = f"{row} vs {col}: {c.get('wins', 0)} wins in {c['games']} games"
            tds.append(
                f'<td class="heat" style="background:{_heat(c.get("win_rate"))}" title="{_e(tip)}">'
                f"{_pct(c.get('win_rate'), 0)}<small>{_e(c['games'])}</small></td>"
            )
        rows.append(f'<tr><th scope="row">{_e(row)}</th>{"".join(tds)}</tr>')
    caption = m.get("description") or "Row agent's win rate against the column agent."
    return (
        f'<p class="caption">{_e(caption)} <span class="muted">Small numbers: games played.</span></p>'
        f'<div class="scroll"><table class="matrix" data-testid="matrix">'
        f'<thead><tr><th class="corner">row \\ column</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        f'<div class="heat-scale"><span>0%</span><i></i><span>50%</span><i class="hi"></i><span>100%</span></div></div>'
    )


def breakdown(by_agent: Mapping[str, Mapping[str, Mapping[str, Any]]], label: str) -> str:
    """Agents × (side or role) win rates with intervals; columns in order of first appearance."""
    columns = list(dict.fromkeys(k for groups in by_agent.values() for k in groups))
    if not columns:
        return ""
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in columns)
    rows = "".join(
        f'<tr><th scope="row">{_e(agent)}</th>'
        + "".join(_rate_cell(groups[c]) if c in groups else f'<td class="muted">{DASH}</td>' for c in columns)
        + "</tr>"
        for agent, groups in by_agent.items()
    )
    return (
        f'<div class="scroll"><table class="data breakdown" data-testid="{_e(label.lower())}-table">'
        f"<thead><tr><th>Agent \\ {_e(label)}</th>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def metrics(by_agent: Mapping[str, Mapping[str, Any]], definitions: Mapping[str, str]) -> str:
    """Game-specific metrics per agent, each column explained in a tooltip and a footnote."""
    present = {k for values in by_agent.values() for k in values}
    keys = [k for k in definitions if k in present] + sorted(present - set(definitions))
    if not keys:
        return ""
    head = "".join(
        _th(f"{_e(_label(k))}<sup>{i}</sup>", definitions.get(k, ""), "num", raw=True) for i, k in enumerate(keys, 1)
    )
    rows = "".join(
        f'<tr><th scope="row">{_e(agent)}</th>'
        + "".join(f'<td class="num">{_metric(k, values.get(k))}</td>' for k in keys)
        + "</tr>"
        for agent, values in by_agent.items()
    )
    notes = "".join(f"<li><b>{_e(_label(k))}</b>: {_e(definitions.get(k, 'no definition given'))}</li>" for k in keys)
    return (
        f'<div class="scroll"><table class="data" data-testid="metrics-table"><thead><tr><th>Agent</th>{head}</tr>'
        f'</thead><tbody>{rows}</tbody></table></div><ol class="footnotes">{notes}</ol>'
    )


# ---- cells and formatting ----------------------------------------------------------------------
def _rate_cell(s: Mapping[str, Any]) -> str:
    if s.get("games") == 0:
        return f'<td class="rate muted">{DASH}<small>no games</small></td>'
    rate, ci = s.get("win_rate"), s.get("ci")
    ci_text = f"{_pct(ci[0], 0)}–{_pct(ci[1], 0)}" if ci else ""
    return (
        f'<td class="rate"><div class="rate-box"><span class="rate-val">{_pct(rate)}</span>{_interval(rate, ci)}'
        f'<span class="ci-text">{ci_text}</span><small class="muted">{_games(s)}</small></div></td>'
    )


def _interval(rate: float | None, ci: list[float] | None) -> str:
    """A 0–100% track with the confidence interval as a band and the point estimate as a tick."""
    if rate is None:
        return ""
    tip = f"{_pct(rate)}" + (f" (95% CI {_pct(ci[0])} – {_pct(ci[1])})" if ci else "")
    band = ""
    if ci:
        lo, hi = _clip(ci[0]), _clip(ci[1])
        band = f'<span class="ci-band" style="left:{lo:.1f}%;width:{max(hi - lo, 0.5):.1f}%"></span>'
    point = f'<span class="ci-point" style="left:{_clip(rate):.1f}%"></span>'
    return f'<span class="ci" title="{_e(tip)}">{band}{point}</span>'


def _heat(rate: float | None) -> str:
    """Diverging colour: orange below 50%, near-white at 50%, blue above."""
    low, mid, high = (239, 138, 98), (247, 247, 247), (103, 169, 207)
    t = 0.5 if rate is None else min(max(float(rate), 0.0), 1.0)
    a, b, f = (low, mid, t / 0.5) if t < 0.5 else (mid, high, (t - 0.5) / 0.5)
    return "rgb({},{},{})".format(*(round(x + (y - x) * f) for x, y in zip(a, b, strict=True)))


def _metric(key: str, value: Any) -> str:
    if value is None:
        return DASH
    return _num(value, 2) if key.endswith("length") else _pct(value)


def _th(text: str, tip: str, cls: str = "", raw: bool = False) -> str:
    label = text if raw else _e(text)
    title = f' title="{_e(tip)}"' if tip else ""
    return f'<th scope="col" class="{cls}{" help" if tip else ""}"{title}>{label}</th>'


def _games(s: Mapping[str, Any]) -> str:
    return f"n={_e(s['games'])}" if "games" in s else ""


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _clip(x: float) -> float:
    return min(max(float(x), 0.0), 1.0) * 100
