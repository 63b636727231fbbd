"""Werewolf (LSPO/SLA rules and variants)."""

from games.werewolf.config import DeathReveal, Role, SpeakingOrder, Team, TieRule, WerewolfConfig
from games.werewolf.rules import Phase, WerewolfState, new_game
from games.werewolf.session import WerewolfSession

__all__ = [
    "DeathReveal",
    "Phase",
    "Role",
    "SpeakingOrder",
    "Team",
    "TieRule",
    "WerewolfConfig",
    "WerewolfSession",
    "WerewolfState",
    "new_game",
]
