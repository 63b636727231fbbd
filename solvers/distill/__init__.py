"""Distillation: regret-ranked candidate pairs → DPO (TRL) → a new LLM checkpoint (LSPO step 4)."""

from solvers.distill.dpo import DPOParams, DPOResult, LoRAParams, preference_margin, train_dpo
from solvers.distill.pairs import Candidate, PreferencePair, SpeakingTurn, preference_pairs

__all__ = [
    "Candidate",
    "DPOParams",
    "DPOResult",
    "LoRAParams",
    "PreferencePair",
    "SpeakingTurn",
    "preference_margin",
    "preference_pairs",
    "train_dpo",
]
