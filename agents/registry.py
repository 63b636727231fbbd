"""Agent kinds by name: typed params and a builder for one seat of one match.

A plain dict, no plugin system: a new kind is one entry here. Scenarios name a kind and give its
params; :func:`make_agent` validates them (pydantic errors name the field) and builds the agent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from agents.base import Agent, RandomAgent
from agents.human import HumanAgent
from agents.latent_policy.params import LatentPolicyParams
from agents.llm.agent import LLMAgent
from agents.llm.config import LLMParams, shared_backend
from agents.rpssl.scripted import RPSSLScriptedParams, ScriptedRPSSLAgent
from agents.werewolf.scripted import ScriptedParams, ScriptedWerewolfAgent


class NoParams(BaseModel):
    """For kinds without options; any given field is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class AgentKind:
    params: type[BaseModel]  # validated params (extra="forbid")
    build: Callable[[str, np.random.Generator, BaseModel], Agent]  # (name, rng, params) -> one seat's agent
    description: str


def _scripted(name: str, rng: np.random.Generator, params: BaseModel) -> Agent:
    assert isinstance(params, ScriptedParams)
    return ScriptedWerewolfAgent(name, rng, params)


def _rpssl_scripted(name: str, rng: np.random.Generator, params: BaseModel) -> Agent:
    assert isinstance(params, RPSSLScriptedParams)
    return ScriptedRPSSLAgent(name, rng, params)


def _llm(name: str, rng: np.random.Generator, params: BaseModel) -> Agent:
    assert isinstance(params, LLMParams)
    return LLMAgent(
        name,
        shared_backend(params.backend),
        rng,
        game=params.game,
        choice_mode=params.choice_mode,
        temperature=params.temperature,
        speech_tokens=params.speech_tokens,
        action_tokens=params.action_tokens,
        max_statement_chars=params.max_statement_chars,
        reason_first=params.reason_first,
        prefill=params.prefill,
        statement_opening=params.statement_opening,
        format_in=params.format_in,
        selfplay_candidates=params.selfplay_candidates,
        identify=None if params.identify is None else params.identify.question_for_agent(),
    )


def _latent_policy(name: str, rng: np.random.Generator, params: BaseModel) -> Agent:
    from agents.latent_policy.agent import LatentPolicyAgent, load_solved  # OpenSpiel, sklearn: loaded on use

    assert isinstance(params, LatentPolicyParams)
    proposer = make_agent(params.proposer.kind, name, rng, params.proposer.params)
    space, policy = load_solved(str(params.solved))
    return LatentPolicyAgent(name, proposer, space, policy, rng, candidates=params.candidates, greedy=params.greedy)


AGENT_KINDS: dict[str, AgentKind] = {
    "random": AgentKind(
        NoParams,
        lambda name, rng, params: RandomAgent(name, rng),
        "Uniform over the legal moves; says a fixed neutral line when it must speak.",
    ),
    "scripted": AgentKind(
        ScriptedParams,
        _scripted,
        "Werewolf: one named strategy per role (seer reveal/hide, werewolf fake_seer/lie_low, villager "
        "follow_seer/quietest, doctor protect_self/protect_seer), varied template speech, strategy labels.",
    ),
    "rpssl_scripted": AgentKind(
        RPSSLScriptedParams,
        _rpssl_scripted,
        "RPSSL: a move strategy (mixed over weights, always, cycle, beat_last) said through varied template "
        "speech; each statement labelled with the move it means.",
    ),
    "llm": AgentKind(
        LLMParams,
        _llm,
        "A language model (embedded SmolLM2-135M by default, any local model directory, or an OpenAI-compatible "
        "server) answering JSON; one retry on a bad reply, then a counted fallback.",
    ),
    "human": AgentKind(
        NoParams,
        lambda name, rng, params: HumanAgent(name),
        "A person at the terminal: sees only their own observation, types a number, a name or a statement.",
    ),
    "latent_policy": AgentKind(
        LatentPolicyParams,
        _latent_policy,
        "Werewolf, LSPO's play step: a proposer (scripted or llm) writes N candidates; the solved latent policy of "
        "`arena solve` picks one by its latent strategy and plays votes and night moves from its table.",
    ),
}


def make_agent(kind: str, name: str, rng: np.random.Generator, params: Mapping[str, Any] | None = None) -> Agent:
    """Build the agent for one seat; unknown kind -> ValueError, bad params -> pydantic ValidationError."""
    spec = AGENT_KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown agent kind {kind!r}; known kinds: {', '.join(sorted(AGENT_KINDS))}")
    return spec.build(name, rng, spec.params.model_validate(dict(params or {})))
