"""Params of the ``latent_policy`` agent kind (light: the registry imports them at start-up)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ProposerSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: str = Field("scripted", description="Agent kind that writes the candidates (scripted, llm, ...).")
    params: dict[str, Any] = Field(default_factory=dict)


class LatentPolicyParams(BaseModel):
    """Params of the ``latent_policy`` agent kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    solved: str = Field(description="Run directory holding latent/ (the space) and policy.json (`arena solve`).")
    proposer: ProposerSpec = Field(default_factory=ProposerSpec)
    candidates: int = Field(3, ge=1, le=16, description="Candidates per speaking turn (LSPO: N = 3).")
    greedy: bool = Field(False, description="Take the most probable move instead of sampling the policy.")
    moves_from: Literal["policy", "proposer"] = Field(
        "policy",
        description="Votes and night moves: from the solved policy, or from the proposer (then only speech is "
        "chosen by the policy).",
    )
