"""`arena analyze`: the latent strategy space of a run, as data for the report.

From a run's records: every utterance is embedded (cached by text in ``RUN_DIR/embeddings.sqlite``),
clustered per role into a :class:`~solvers.latent.space.LatentSpace` (saved to ``RUN_DIR/latent/``),
labelled (key phrases, exemplars) and projected to 2-D (PCA of the normalised embeddings). Each
cluster gets its frequency, the win rate of the speakers who used it (with a Wilson 95% interval) and,
when ``RUN_DIR/policy.json`` holds a solved :class:`~solvers.policy.LatentPolicy` for the same space,
its probability and strategy regret in that policy. The result is ``RUN_DIR/analysis.json``, which the
report turns into the latent-strategy section.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.decomposition import PCA

from arena.records import Records
from arena.report.latent import ANALYSIS_FILE
from arena.stats import rate_entry
from solvers.latent.cluster import ClusterConfig, silhouette_by_k
from solvers.latent.embed import CachedEmbedder, Embedder, MiniLMEmbedder
from solvers.latent.labels import label_role
from solvers.latent.space import LatentSpace
from solvers.latent.utterances import Utterance, utterances_from_records
from solvers.policy import LatentPolicy

LATENT_DIR = "latent"
POLICY_FILE = "policy.json"
EMBEDDINGS_FILE = "embeddings.sqlite"
RECORDS_FILE = "records.sqlite"


def analyze_run(
    run_dir: str | Path,
    *,
    embedder: Embedder | None = None,
    k: Mapping[str, int] | None = None,
    iteration: int = 0,
    config: ClusterConfig | None = None,
    max_points: int = 400,
    silhouette_ks: Sequence[int] = (2, 3, 4, 5, 6),
) -> dict[str, Any]:
    """Fit, label and project the run's latent space; write ``analysis.json`` and ``latent/``; return the analysis.

    ``k`` overrides the LSPO schedule for the roles it names; ``max_points`` caps the dots drawn per role
    (a seeded sample; every utterance still counts in the cluster figures).
    """
    run_dir = Path(run_dir)
    records_path = run_dir / RECORDS_FILE
    if not records_path.is_file():
        raise FileNotFoundError(f"{run_dir}: no {RECORDS_FILE} (run `arena tournament ... --out {run_dir}` first)")
    records = Records(records_path)
    try:
        utterances = utterances_from_records(records)
        winners = {m.match_id: _winners(m.outcome or {}) for m in records.matches(status="done")}
    finally:
        records.close()
    if not utterances:
        raise ValueError(f"{run_dir}: the run's finished matches hold no speech to analyse")
    owned = embedder is None
    cached = CachedEmbedder(embedder or MiniLMEmbedder(), store=run_dir / EMBEDDINGS_FILE)
    try:
        config = config or ClusterConfig()
        space = LatentSpace.fit(utterances, cached, config, iteration=iteration, k=k)
        space.save(run_dir / LATENT_DIR)
        policy = _matching_policy(run_dir / POLICY_FILE, space)
        rng = np.random.default_rng(config.seed)
        roles = {
            role: _role_analysis(space, role, cached, _spoken_by(utterances, role), winners, policy, rng, max_points)
            for role in space.roles
        }
        for role, entry in roles.items():
            vectors = cached.encode(config.prepare(space.roles[role].texts))
            entry["silhouette"] = {
                str(kk): s for kk, s in silhouette_by_k(vectors, silhouette_ks, seed=config.seed).items()
            }
        analysis = {
            "embedder": space.embedder_name,
            "iteration": iteration,
            "utterances": len(utterances),
            "policy": None if policy is None else {"method": policy.method, "iterations": policy.iterations},
            "embedding_cache": cached.stats(),
            "roles": roles,
        }
    finally:
        if owned:
            cached.close()
    (run_dir / ANALYSIS_FILE).write_text(json.dumps(analysis, ensure_ascii=False, indent=1), encoding="utf-8")
    return analysis


def _role_analysis(
    space: LatentSpace,
    role: str,
    embedder: Embedder,
    spoken: list[Utterance],
    winners: Mapping[str, set[str]],
    policy: LatentPolicy | None,
    rng: np.random.Generator,
    max_points: int,
) -> dict[str, Any]:
    rs = space.roles[role]
    labels = label_role(space, role, embedder)
    wins, uses = np.zeros(rs.k, dtype=int), np.zeros(rs.k, dtype=int)
    for u, cluster in zip(spoken, rs.labels, strict=True):  # LatentSpace.fit keeps each role's utterance order
        uses[cluster] += 1
        wins[cluster] += u.speaker in winners.get(u.match_id, set())
    strategies = None if policy is None else policy.roles[role]
    clusters = [
        {
            "id": c,
            "title": label.title(),
            "key_phrases": list(label.key_phrases),
            "exemplars": list(label.exemplars),
            "size": label.size,
            "frequency": label.frequency,
            "win_rate": rate_entry(int(wins[c]), int(uses[c])),
            "policy_prob": None if strategies is None else strategies.marginal[c],
            "strategy_regret": None if strategies is None else strategies.strategy_regret[c],
        }
        for c, label in enumerate(labels)
    ]
    vectors = embedder.encode(space.config.prepare(rs.texts))  # (n, dim), cached
    shown = np.sort(rng.choice(len(rs.texts), size=min(max_points, len(rs.texts)), replace=False))
    xy = _project(vectors)[shown]  # (m, 2)
    points = [
        [round(float(x), 4), round(float(y), 4), int(rs.labels[i]), rs.texts[i][:160]]
        for (x, y), i in zip(xy, shown, strict=True)
    ]
    return {"k": rs.k, "utterances": len(rs.texts), "clusters": clusters, "points": points}


def _project(vectors: np.ndarray) -> np.ndarray:
    """2-D PCA coordinates, shape (n, 2) (zeros when there are too few utterances to project)."""
    if len(vectors) < 3:
        return np.zeros((len(vectors), 2))
    return PCA(n_components=2, random_state=0).fit_transform(vectors)


def _spoken_by(utterances: Sequence[Utterance], role: str) -> list[Utterance]:
    return [u for u in utterances if u.role == role]


def _winners(outcome: Mapping[str, Any]) -> set[str]:
    """Players on the winning team (nobody after a draw)."""
    winner = outcome.get("winner")
    return {p for p, team in (outcome.get("teams") or {}).items() if winner is not None and team == winner}


def _matching_policy(path: Path, space: LatentSpace) -> LatentPolicy | None:
    """The run's solved policy, if there is one for exactly this space's roles and k."""
    if not path.is_file():
        return None
    policy = LatentPolicy.load(path)
    if all(role in policy.roles and policy.roles[role].k == rs.k for role, rs in space.roles.items()):
        return policy
    return None
