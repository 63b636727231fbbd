"""The report's latent-strategy section, from ``RUN_DIR/analysis.json`` (:mod:`arena.analysis`).

Per role: a 2-D map of the utterances coloured by cluster (inline SVG, a tooltip per dot with what was
said) and one card per cluster: label, key phrases, exemplars, frequency, win rate when used and, when a
solved policy matches the space, the strategy's probability and regret. Static markup, every value escaped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from arena.report.fmt import DASH
from arena.report.fmt import esc as _e
from arena.report.sections import Section

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
SIZE, MARGIN = 320, 12
ANALYSIS_FILE = "analysis.json"


def load_analysis(run_dir: str | Path) -> dict[str, Any] | None:
    """``RUN_DIR/analysis.json`` as written by :func:`arena.analysis.analyze_run`, or ``None``."""
    path = Path(run_dir) / ANALYSIS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def latent_section(analysis: Mapping[str, Any]) -> Section:
    roles = analysis.get("roles", {})
    intro = (
        f"{analysis.get('utterances', 0)} utterances embedded with {_e(analysis.get('embedder', '?'))} and "
        f"clustered per role (k-means, LSPO iteration {_e(analysis.get('iteration', 0))}). Dots: PCA of the "
        "normalised embeddings; hover a dot for what was said."
    )
    policy = analysis.get("policy")
    if policy:
        intro += f" Policy figures from a {_e(policy['method'])} solve ({_e(policy['iterations'])} iterations)."
    blocks = [f'<p class="note">{intro}</p>']
    for role, entry in roles.items():
        blocks.append(_role_block(role, entry))
    return Section("latent", "Latent strategies", "\n".join(blocks))


def _role_block(role: str, entry: Mapping[str, Any]) -> str:
    silhouette = entry.get("silhouette") or {}
    sil = ", ".join(f"k={k}: {v:.2f}" for k, v in silhouette.items()) or DASH
    head = (
        f'<h3 data-testid="latent-role">{_e(role)} — k={_e(entry["k"])}, {_e(entry["utterances"])} utterances</h3>'
        f'<p class="muted">Silhouette by k: {_e(sil)}</p>'
    )
    return f'{head}<div class="latent-role">{_scatter(role, entry["points"])}{_cards(entry["clusters"])}</div>'


def _scatter(role: str, points: Sequence[Sequence[Any]]) -> str:
    if not points:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)

    def scale(v: float, lo: float, hi: float) -> float:
        return MARGIN + (SIZE - 2 * MARGIN) * (0.5 if hi == lo else (v - lo) / (hi - lo))

    dots = "".join(
        f'<circle cx="{scale(x, x0, x1):.1f}" cy="{SIZE - scale(y, y0, y1):.1f}" r="3.5" '
        f'fill="{PALETTE[c % len(PALETTE)]}" fill-opacity="0.75"><title>#{c}: {_e(text)}</title></circle>'
        for x, y, c, text in points
    )
    return (
        f'<svg class="latent-map" data-testid="latent-map" role="img" aria-label="{_e(role)} utterances by cluster" '
        f'width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}">'
        f'<rect width="{SIZE}" height="{SIZE}" fill="none" stroke="#ccc"/>{dots}</svg>'
    )


def _cards(clusters: Sequence[Mapping[str, Any]]) -> str:
    cards = []
    for c in clusters:
        rate = c["win_rate"]
        win = (
            f"{rate['win_rate']:.0%} ({rate['ci'][0]:.0%}–{rate['ci'][1]:.0%}) of {rate['games']}"
            if rate["games"]
            else DASH
        )
        prob = DASH if c.get("policy_prob") is None else f"{c['policy_prob']:.2f}"
        regret = DASH if c.get("strategy_regret") is None else f"{c['strategy_regret']:.3f}"
        exemplars = "".join(f"<li>{_e(x)}</li>" for x in c["exemplars"])
        swatch = f'<span class="swatch" style="background:{PALETTE[c["id"] % len(PALETTE)]}"></span>'
        cards.append(
            f'<div class="latent-card" data-testid="latent-card"><h4>{swatch}{_e(c["title"])}</h4>'
            f"<p><b>Key phrases:</b> {_e(', '.join(c['key_phrases']) or DASH)}</p>"
            f"<p><b>Frequency:</b> {c['frequency']:.0%} ({_e(c['size'])}) · <b>Win rate when used:</b> {_e(win)}"
            f" · <b>Policy probability:</b> {_e(prob)} · <b>Strategy regret:</b> {_e(regret)}</p>"
            f'<ul class="exemplars">{exemplars}</ul></div>'
        )
    return f'<div class="latent-cards">{"".join(cards)}</div>'
