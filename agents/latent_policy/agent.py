"""The latent-policy agent: a proposer writes N candidates, the solved latent policy picks among them.

LSPO's play step (Xu et al., ICML 2025, arXiv 2502.04686): at a speaking turn the proposer (an LLM
or a scripted agent) offers ``candidates`` strategically different utterances; each maps to a latent
strategy of the speaker's role (nearest centroid of the :class:`~solvers.latent.space.LatentSpace`);
the agent draws a latent id from the solved :class:`~solvers.policy.LatentPolicy` at its current
information state (restricted to the ids some candidate has) and says that candidate. Votes and
night moves come from the policy's table directly.

Heard utterances: a listener does not know the speaker's role, so a statement's latent id is the
nearest centroid over *every* role's space (for its own statements and, for a wolf, its teammates',
the speaker's own role space). An information state the solver never reached falls back to the role's
reach-weighted marginal for speech; a move at an unseen state is delegated to the proposer and
*counted* as a fallback (``stats()``, shown as the fallback rate in the leaderboard).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from agents.base import Agent
from games.base import Action, Observation
from games.werewolf.rules import player_name
from solvers.abstract.infostate import observation_key
from solvers.latent.embed import CachedEmbedder, MiniLMEmbedder
from solvers.latent.space import LatentSpace
from solvers.policy import LatentPolicy

ABSTAIN = "abstain"


class LatentPolicyAgent:
    """One seat: ``proposer`` for candidates, ``space`` + ``policy`` to choose (Werewolf)."""

    def __init__(
        self,
        name: str,
        proposer: Agent,
        space: LatentSpace,
        policy: LatentPolicy,
        rng: np.random.Generator,
        *,
        candidates: int = 3,
        greedy: bool = False,
        moves_from_policy: bool = True,
    ) -> None:
        self.name = name
        self.proposer = proposer
        self.space = space
        self.policy = policy
        self.rng = rng
        self.candidates = candidates
        self.greedy = greedy
        self.moves_from_policy = moves_from_policy
        self.counts: Counter[str] = Counter()
        self._heard: dict[tuple[str, str], int] = {}  # (speaker, text) -> latent id

    def stats(self) -> dict[str, int]:
        """decisions, fallbacks (moves at unseen states, left to the proposer), speech at unseen states."""
        return dict(self.counts)

    async def act(self, obs: Observation) -> Action:
        self.counts["decisions"] += 1
        key = observation_key(obs, self._latent_of(obs))
        if obs.legal is None:
            return await self._speak(obs, key)
        if not self.moves_from_policy:
            return await self.proposer.act(obs)
        return await self._move(obs, key)

    async def propose(self, obs: Observation, n: int) -> list[Action]:
        return await self.proposer.propose(obs, n)

    # ---- speech --------------------------------------------------------------------------------
    async def _speak(self, obs: Observation, key: str) -> Action:
        role = str(obs.data["role"])
        options = await self.proposer.propose(obs, self.candidates)
        latents = self.space.assign([a.text for a in options], role)  # (n,)
        if key not in self.policy.speech:
            self.counts["speech_unseen_states"] += 1
        probs = np.asarray(self.policy.latent_probs(key, role), dtype=float)  # (k,)
        weights = probs[latents]
        pick = self._draw(weights) if weights.sum() > 0 else int(self.rng.integers(len(options)))
        chosen = options[pick]
        meta = {**chosen.meta, "latent": int(latents[pick]), "candidate_latents": [int(z) for z in latents]}
        return Action(chosen.text, reasoning=chosen.reasoning, label=chosen.label, intent=chosen.intent, meta=meta)

    def _latent_of(self, obs: Observation):
        """Statement -> latent id, memoised per (speaker, text) for the match."""
        own_role = str(obs.data["role"])
        known = {obs.player: own_role, **{mate: own_role for mate in obs.data.get("teammates", ())}}

        def latent(statement: Mapping[str, Any]) -> int:
            speaker, text = str(statement["speaker"]), str(statement["text"])
            if (speaker, text) not in self._heard:
                self._heard[speaker, text] = self._assign(text, known.get(speaker))
            return self._heard[speaker, text]

        return latent

    def _assign(self, text: str, role: str | None) -> int:
        if role is not None and role in self.space.roles:
            return int(self.space.assign([text], role)[0])
        vector = self.space.embedder.encode(self.space.config.prepare([text]))  # (1, dim)
        best = min(
            self.space.roles,
            key=lambda r: float(np.min(np.linalg.norm(self.space.roles[r].centroids - vector, axis=1))),
        )
        return int(self.space.assign_vectors(vector, best)[0])

    # ---- votes and night moves -------------------------------------------------------------------
    async def _move(self, obs: Observation, key: str) -> Action:
        assert obs.legal is not None
        table = self.policy.moves.get(key)
        names = {a: _move_name(a, len(obs.data["players"])) for a in (table or {})}
        legal = [(names[a], p) for a, p in (table or {}).items() if names[a] in obs.legal]
        if not legal or sum(p for _, p in legal) <= 0:
            self.counts["fallbacks"] += 1
            self.counts["move_fallbacks"] += 1
            chosen = await self.proposer.act(obs)
            return Action(
                chosen.text, reasoning=f"fallback: no policy at {key}; proposer chose", meta={"fallback": "proposer"}
            )
        pick = self._draw(np.array([p for _, p in legal]))
        return Action(
            legal[pick][0], reasoning=f"latent policy at {key}: " + ", ".join(f"{m}={p:.2f}" for m, p in legal)
        )

    def _draw(self, weights: np.ndarray) -> int:
        if self.greedy:
            return int(np.argmax(weights))
        return int(self.rng.choice(len(weights), p=weights / weights.sum()))


def _move_name(action: int, n_players: int) -> str:
    """Abstract-game move id -> legal move name: a seat index, or ``n_players`` for abstaining."""
    return ABSTAIN if action == n_players else player_name(action)


@cache
def _embedder() -> CachedEmbedder:
    return CachedEmbedder(MiniLMEmbedder())  # one model and one cache for every seat of the process


@cache
def load_solved(directory: str) -> tuple[LatentSpace, LatentPolicy]:
    """The latent space and policy of a solved run directory, loaded once per process."""
    root = Path(directory)
    space = LatentSpace.load(root / "latent", embedder=_embedder())
    return space, LatentPolicy.load(root / "policy.json")
