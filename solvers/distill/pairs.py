"""Preference pairs from one speaking turn's candidates, ranked by their latent strategies.

LSPO (Xu et al., ICML 2025, arXiv 2502.04686, Sec. 4.3): at every speaking turn the LLM wrote N
candidates; each maps to a latent strategy of the speaker's role; the solved latent game scores
those strategies, and the candidate whose strategy is better (lower regret, or higher probability
in the solved policy) is *chosen* over the other. Candidates of the same strategy, or of strategies
the solver scores equally, carry no preference and make no pair.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class Candidate:
    """One candidate reply: ``completion`` is exactly what the model generated after ``prompt``."""

    completion: str
    latent: int


@dataclass(frozen=True)
class SpeakingTurn:
    """A speaking turn of self-play: the rendered prompt (chat template applied, plus any prefill)
    the model saw, the speaker's role, and its candidates."""

    prompt: str
    role: str
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class PreferencePair:
    prompt: str
    chosen: str
    rejected: str
    role: str
    gap: float  # preference(chosen) - preference(rejected) > 0

    def row(self) -> dict[str, str]:
        """A TRL DPO dataset row (standard, not conversational: the prompt is already rendered)."""
        return {"prompt": self.prompt, "chosen": self.chosen, "rejected": self.rejected}


def preference_pairs(
    turns: Sequence[SpeakingTurn],
    preference: Callable[[str, int], float],
    *,
    min_gap: float = 1e-6,
) -> list[PreferencePair]:
    """Every ordered pair of a turn's candidates whose strategies differ in ``preference(role, latent)``
    (higher is better: pass ``-regret`` to prefer low regret, or the policy probability) by more
    than ``min_gap``. Identical completions never pair with each other."""
    pairs: list[PreferencePair] = []
    for turn in turns:
        scored = [(preference(turn.role, c.latent), c) for c in turn.candidates]
        for (score_a, a), (score_b, b) in combinations(scored, 2):
            if a.completion == b.completion or abs(score_a - score_b) <= min_gap:
                continue
            (hi, best), (lo, worst) = sorted(((score_a, a), (score_b, b)), key=lambda x: -x[0])
            pairs.append(PreferencePair(turn.prompt, best.completion, worst.completion, turn.role, hi - lo))
    return pairs
