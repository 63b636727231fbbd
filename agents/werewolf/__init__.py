"""Werewolf-specific agents: scripted strategies with varied template speech."""

from agents.werewolf.scripted import (
    STRATEGIES,
    DoctorStrategy,
    ScriptedParams,
    ScriptedWerewolfAgent,
    SeerStrategy,
    VillagerStrategy,
    WolfStrategy,
)
from agents.werewolf.speech import Intent, SpeechPlan, render

__all__ = [
    "STRATEGIES",
    "DoctorStrategy",
    "Intent",
    "ScriptedParams",
    "ScriptedWerewolfAgent",
    "SeerStrategy",
    "SpeechPlan",
    "VillagerStrategy",
    "WolfStrategy",
    "render",
]
