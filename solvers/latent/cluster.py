"""k-means over utterance embeddings, per role, with LSPO's growing k.

LSPO (Xu et al., ICML 2025, section 4.1) clusters each role's speech candidates with k-means, shared across
days; k starts at 3 for the werewolves and 2 for the other roles and grows by one per iteration.
:class:`ClusterConfig` holds that schedule and the k-means settings; :func:`kmeans` runs sklearn's
``KMeans`` on L2-normalised vectors (euclidean distance between unit vectors orders pairs as cosine
distance does) and numbers the clusters by size, largest first, so ids are reproducible and readable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score


class ClusterConfig(BaseModel):
    """How latent strategy spaces are clustered: the k schedule and the k-means settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    k_start: dict[str, int] = Field(
        default_factory=lambda: {"werewolf": 3},
        description="k at iteration 0 for the roles named here (LSPO: 3 for werewolves).",
    )
    k_start_other: int = Field(2, ge=1, description="k at iteration 0 for every role not in k_start (LSPO: 2).")
    k_step: int = Field(1, ge=0, description="k grows by this much per LSPO iteration (LSPO: 1).")
    k_max: int | None = Field(None, ge=1, description="Upper bound on k, or None for no bound.")
    seed: int = Field(0, description="k-means seed (initial centroids); same seed and data, same space.")
    n_init: int = Field(10, ge=1, description="k-means restarts; the lowest-inertia run is kept.")
    max_iter: int = Field(300, ge=1, description="Lloyd iterations per restart.")
    mask: str | None = Field(
        r"\bplayer_\d+\b",
        description="Regex of seat names replaced by 'X' before embedding (who is named is not the strategy; "
        "LSPO's clusters are meant to be about what is said); None embeds the raw text.",
    )

    def prepare(self, texts: Sequence[str]) -> list[str]:
        """The texts as they are embedded (seat names masked)."""
        if self.mask is None:
            return list(texts)
        pattern = re.compile(self.mask)
        return [pattern.sub("X", t) for t in texts]

    def k(self, role: str, iteration: int = 0) -> int:
        """The number of latent strategies of ``role`` at LSPO ``iteration`` (0-based)."""
        k = self.k_start.get(role, self.k_start_other) + self.k_step * iteration
        return k if self.k_max is None else min(k, self.k_max)


@dataclass(frozen=True)
class Clustering:
    """One role's k-means result. ``k`` may be below the asked k when there were fewer distinct points."""

    centroids: np.ndarray  # (k, dim) float32, cluster 0 the largest
    labels: np.ndarray  # (n,) int64 cluster id per input row
    inertia: float

    @property
    def k(self) -> int:
        return len(self.centroids)


def nearest(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Cluster id of each row: the nearest centroid by euclidean distance (ties: the lower id)."""
    # ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2; ||x||^2 is the same for every c, so drop it
    scores = vectors @ centroids.T * -2.0 + np.einsum("kd,kd->k", centroids, centroids)  # (n, k)
    return np.argmin(scores, axis=1).astype(np.int64)


def kmeans(vectors: np.ndarray, k: int, *, seed: int = 0, n_init: int = 10, max_iter: int = 300) -> Clustering:
    """k-means on ``vectors`` (n, dim); k is capped at the number of distinct rows."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) == 0:
        raise ValueError("cannot cluster zero utterances")
    k = max(1, min(k, len(np.unique(vectors, axis=0))))
    model = KMeans(n_clusters=k, n_init=n_init, max_iter=max_iter, random_state=seed).fit(vectors)
    centroids = model.cluster_centers_.astype(np.float32)
    labels = nearest(vectors, centroids)
    sizes = np.bincount(labels, minlength=k)
    first_seen = np.array([np.argmax(labels == c) if sizes[c] else len(labels) for c in range(k)])
    order = np.lexsort((first_seen, -sizes))  # largest first, ties by first appearance
    rank = np.empty(k, np.int64)
    rank[order] = np.arange(k)
    return Clustering(centroids[order], rank[labels], float(model.inertia_))


def silhouette_by_k(
    vectors: np.ndarray, ks: Iterable[int], *, seed: int = 0, n_init: int = 10, sample_size: int | None = 3000
) -> dict[int, float]:
    """Mean silhouette (euclidean on the unit vectors) of a k-means clustering for each k >= 2.

    Values near 1: tight, well separated clusters; a k whose clustering collapses to one cluster is left out.
    Above ``sample_size`` points the score is estimated on a seeded sample.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    scores = {}
    for k in ks:
        if k < 2 or k >= len(vectors):
            continue
        labels = kmeans(vectors, k, seed=seed, n_init=n_init).labels
        if len(np.unique(labels)) < 2:
            continue
        size = None if sample_size is None or len(vectors) <= sample_size else sample_size
        scores[k] = float(silhouette_score(vectors, labels, sample_size=size, random_state=seed))
    return scores


def best_k(scores: dict[int, float]) -> int | None:
    """The k with the highest silhouette (the smaller k on a tie), or None without scores."""
    return max(scores, key=lambda k: (scores[k], -k)) if scores else None
