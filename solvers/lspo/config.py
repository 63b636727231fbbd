"""Typed settings of `arena lspo` (the scenario's ``lspo:`` section). Defaults follow LSPO where they
can (N = 3 candidates, k from the LSPO schedule, DPO beta 0.1) and a 2-core CPU where they must."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agents.llm.config import IdentifyParams
from arena.scenario import Scenario, ScenarioError
from solvers.distill.dpo import DPOParams
from solvers.latent.cluster import ClusterConfig
from solvers.solve import Method


class Ranking(StrEnum):
    SOLVER = "solver"
    EMPIRICAL = "empirical"
    BOTH = "both"
    MIXTURE = "mixture"


class Population(StrEnum):
    CURRENT = "current"
    ALL = "all"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SelfPlayParams(_Strict):
    games: int = Field(40, ge=1, description="Self-play games per iteration (every seat is the trained agent).")
    candidates: int = Field(3, ge=2, le=8, description="Candidates per speaking turn (LSPO: N = 3); one is said.")
    seed: int = Field(0, ge=0, description="Root seed; iteration i plays from seed + i.")
    concurrency: int = Field(16, ge=1, description="Games in flight at once (batched on the local backend).")


class SolverParams(_Strict):
    method: str = Field("auto", description="auto, cfr, cfr+, mccfr-es, mccfr-os or deep-cfr (solvers.solve).")
    iterations: int = Field(1000, ge=1)
    shaped_reward: bool = Field(False, description="Werewolf: LSPO's shaped reward instead of win/loss.")

    @field_validator("method")
    @classmethod
    def _known(cls, value: str) -> str:
        Method(value)  # ValueError names the bad value
        return value


class EvalParams(_Strict):
    opponents: list[str] = Field(min_length=1, description="Names of scenario agents the trained agent meets.")
    games_per_pairing: int = Field(10, ge=1, description="Games per side against each opponent.")
    seed: int = Field(10_000, ge=0, description="Same seed every iteration: each model meets the same deals.")
    concurrency: int = Field(32, ge=1, description="Evaluation games in flight at once (batched on the local backend).")
    identify: IdentifyParams | None = Field(
        None,
        description="Ask the trained agent a private question before each move of a phase (Werewolf: 'who is a "
        "wolf?' before the vote) and report its per-role identification accuracy.",
    )


class LSPOParams(_Strict):
    agent: str = Field(description="Name of the scenario's `llm` agent that is trained (its backend must be local).")
    iterations: int = Field(3, ge=1, le=50)
    selfplay: SelfPlayParams = Field(default_factory=SelfPlayParams)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    solver: SolverParams = Field(default_factory=SolverParams)
    dpo: DPOParams = Field(default_factory=DPOParams)
    max_pairs: int = Field(128, ge=1, description="DPO pairs per iteration (a seeded sample when there are more).")
    ranking: Ranking = Field(
        Ranking.SOLVER,
        description="What ranks a turn's candidates for DPO: 'solver' (the solved abstract game's per-strategy "
        "regret), 'empirical' (each strategy's regret from self-play outcomes, where the said candidate is drawn "
        "at random: solvers/lspo/empirical.py) or 'both' (their sum). Werewolf needs 'empirical' or 'both': its "
        "abstract game treats speech as cheap talk, so every strategy CFR uses has zero regret there. 'mixture' "
        "orders strategies by the solved policy's probability over their share of the model's candidates, which "
        "moves the model toward the solved mixture instead of onto one zero-regret strategy (solvers/lspo/ranking.py).",
    )
    population: Population = Field(
        Population.CURRENT,
        description="Which self-play candidates the latent space and the abstract game are built from: 'current' "
        "(this iteration's) or 'all' (every iteration's so far: a restricted game that only grows, as in PSRO / "
        "double oracle, so strategies the model has stopped saying still count against the one it says now). "
        "DPO pairs always come from this iteration's turns, ranked in that space.",
    )
    eval: EvalParams


def lspo_params(scenario: Scenario) -> LSPOParams:
    """The scenario's ``lspo`` section, validated; one :class:`ScenarioError` naming the field otherwise."""
    if scenario.lspo is None:
        raise ScenarioError(f"scenario {scenario.name!r}: no `lspo:` section (agent, iterations, selfplay, eval, ...)")
    try:
        params = LSPOParams.model_validate(scenario.lspo)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(part) for part in ("lspo", *err["loc"]))
        raise ScenarioError(f"scenario {scenario.name!r}: {where}: {_shown(err)}{err['msg']}") from None
    names = {a.name: a for a in scenario.agents}
    for field, name in [("agent", params.agent), *(("eval.opponents", o) for o in params.eval.opponents)]:
        if name not in names:
            raise ScenarioError(f"scenario {scenario.name!r}: lspo.{field}: {name!r} is not an agent of the scenario")
    if names[params.agent].kind != "llm":
        raise ScenarioError(f"scenario {scenario.name!r}: lspo.agent: {params.agent!r} must be of kind llm")
    return params


def _shown(err: dict[str, Any]) -> str:
    return "" if isinstance(err.get("input"), dict | list) or err["type"] == "missing" else f"{err['input']!r}: "
