"""The LSPO report's identification section: per iteration and role of the asker, how often the trained
agent's private "who is a wolf?" answer named a werewolf (95% Wilson interval), next to chance
(figures from :func:`solvers.lspo.identify.identification`, in each iteration's ``eval`` block)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from arena.report.fmt import DASH
from arena.report.fmt import esc as _e
from arena.report.fmt import pct as _pct


def identification(entries: Sequence[Mapping[str, Any]]) -> str:
    """A table with a row per iteration and a column per role; empty when no iteration asked the probe."""
    rows = [(e.get("iteration"), (e.get("eval") or {}).get("identification")) for e in entries]
    rows = [(it, figures) for it, figures in rows if isinstance(figures, Mapping) and figures]
    if not rows:
        return ""
    roles = list(dict.fromkeys(role for _, figures in rows for role in figures))
    head = "<tr><th>iteration</th>" + "".join(f"<th>{_e(role)}</th>" for role in roles) + "</tr>"
    cells = ("".join(f"<td>{_cell(figures.get(role))}</td>" for role in roles) for _, figures in rows)
    body = "".join(f"<tr><td class='num'>{_e(it)}</td>{row}</tr>" for (it, _), row in zip(rows, cells, strict=True))
    note = (
        "<p class='muted'>Before each vote the trained agent is asked privately which player is a werewolf and "
        "answers by likelihood among the players it could vote for; the answer never changes its vote. "
        "Accuracy [95% CI] per role of the asker, chance in brackets below (the share of werewolves among "
        "its options). Iteration 0 is the base model.</p>"
    )
    return (
        f'{note}<div class="scroll"><table class="data" data-testid="lspo-identification-table">'
        f"<thead>{head}</thead><tbody>{body}</tbody></table></div>"
    )


def _cell(f: Any) -> str:
    if not isinstance(f, Mapping) or not f.get("questions"):
        return DASH
    ci = f.get("ci") or (None, None)
    band = f" [{_pct(ci[0], 0)}–{_pct(ci[1], 0)}]" if None not in ci else ""
    return (
        f"{_e(_pct(f.get('accuracy'), 0) + band)} <small class='muted'>n={_e(f['questions'])}</small>"
        f"<br><small class='muted'>chance {_e(_pct(f.get('chance'), 0))}</small>"
    )
