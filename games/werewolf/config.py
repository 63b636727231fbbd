"""Werewolf options. Defaults are the LSPO/SLA 7-player rules (Xu et al., ICML 2024 and 2025)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Role(StrEnum):
    WEREWOLF = "werewolf"
    SEER = "seer"
    DOCTOR = "doctor"
    VILLAGER = "villager"


class Team(StrEnum):
    WEREWOLVES = "werewolves"
    VILLAGE = "village"


ROLE_TEAM: dict[Role, Team] = {
    Role.WEREWOLF: Team.WEREWOLVES,
    Role.SEER: Team.VILLAGE,
    Role.DOCTOR: Team.VILLAGE,
    Role.VILLAGER: Team.VILLAGE,
}


class TieRule(StrEnum):
    """What happens when the vote does not single out one player."""

    RANDOM = "random"  # LSPO/SLA: a random player among the tied is eliminated
    NO_ELIMINATION = "no_elimination"  # a tie eliminates nobody
    STRICT_MAJORITY = "strict_majority"  # eliminated only with votes from more than half the living


class DeathReveal(StrEnum):
    """What the village learns about a player who dies."""

    NONE = "none"  # LSPO/SLA: nothing
    TEAM = "team"
    ROLE = "role"


class SpeakingOrder(StrEnum):
    ID = "id"  # LSPO/SLA: ascending player id
    RANDOM = "random"  # a fresh random order each day


# Role mixes used when `roles` is not given: 4-player (1/1/0/2), the LSPO 7-player game and the
# Werewolf Arena 8-player game, with the sizes in between.
DEFAULT_ROLE_MIX: dict[int, dict[Role, int]] = {
    4: {Role.WEREWOLF: 1, Role.SEER: 1, Role.DOCTOR: 0, Role.VILLAGER: 2},
    5: {Role.WEREWOLF: 1, Role.SEER: 1, Role.DOCTOR: 1, Role.VILLAGER: 2},
    6: {Role.WEREWOLF: 2, Role.SEER: 1, Role.DOCTOR: 1, Role.VILLAGER: 2},
    7: {Role.WEREWOLF: 2, Role.SEER: 1, Role.DOCTOR: 1, Role.VILLAGER: 3},
    8: {Role.WEREWOLF: 2, Role.SEER: 1, Role.DOCTOR: 1, Role.VILLAGER: 4},
    9: {Role.WEREWOLF: 2, Role.SEER: 1, Role.DOCTOR: 1, Role.VILLAGER: 5},
    10: {Role.WEREWOLF: 3, Role.SEER: 1, Role.DOCTOR: 1, Role.VILLAGER: 5},
}


class WerewolfConfig(BaseModel):
    """Rules options; every field is validated and a bad value names itself in the error."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_players: int = Field(7, ge=3, le=20, description="Number of players.")
    roles: dict[Role, int] | None = Field(
        None, description="Role counts; must add up to n_players. Default: DEFAULT_ROLE_MIX."
    )
    tie_rule: TieRule = Field(TieRule.RANDOM, description="How a tied vote is resolved.")
    death_reveal: DeathReveal = Field(DeathReveal.NONE, description="What a death reveals.")
    discussion_order: SpeakingOrder = Field(SpeakingOrder.ID, description="Who speaks first.")
    discussion_rounds: int = Field(1, ge=0, le=5, description="Times each player speaks per day.")
    doctor_self_save: bool = Field(True, description="The Doctor may protect themselves.")
    doctor_repeat_save: bool = Field(True, description="The Doctor may protect the same player on consecutive nights.")
    max_days: int = Field(10, ge=1, le=100, description="Day cap; a game still running after it is a draw.")

    @model_validator(mode="after")
    def _check_roles(self) -> WerewolfConfig:
        mix = self.role_counts()
        if sum(mix.values()) != self.n_players:
            raise ValueError(f"roles add up to {sum(mix.values())}, but n_players is {self.n_players}")
        if mix.get(Role.WEREWOLF, 0) < 1:
            raise ValueError("roles must include at least one werewolf")
        if mix.get(Role.WEREWOLF, 0) * 2 >= self.n_players:
            raise ValueError("werewolves must start as a minority (fewer than half the players)")
        for single in (Role.SEER, Role.DOCTOR):
            if mix.get(single, 0) > 1:
                raise ValueError(f"at most one {single.value} is supported, got {mix[single]}")
        return self

    def role_counts(self) -> dict[Role, int]:
        if self.roles is not None:
            return {role: self.roles.get(role, 0) for role in Role}
        if self.n_players not in DEFAULT_ROLE_MIX:
            raise ValueError(f"no default role mix for n_players={self.n_players}; give `roles` explicitly")
        return dict(DEFAULT_ROLE_MIX[self.n_players])

    def role_list(self) -> list[Role]:
        """The roles to deal, in a fixed order (dealing shuffles them)."""
        return [role for role, count in self.role_counts().items() for _ in range(count)]
