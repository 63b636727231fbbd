"""A latent strategy space: per role, k centroids in embedding space and the utterances they were fit on.

LSPO's abstraction (Xu et al., ICML 2025): an utterance is replaced by the id of the nearest centroid of
its speaker's role. :meth:`LatentSpace.fit` builds the space from utterances with a
:class:`~solvers.latent.cluster.ClusterConfig` (k from the LSPO schedule at a given iteration);
:meth:`LatentSpace.assign` maps new utterances to latent ids; :meth:`LatentSpace.save` /
:meth:`LatentSpace.load` keep it as a directory (``space.json`` + ``centroids.npz``) with a format version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from solvers.latent.cluster import ClusterConfig, kmeans, nearest
from solvers.latent.embed import Embedder
from solvers.latent.utterances import Utterance, by_role

FORMAT_VERSION = 1
SPACE_FILE = "space.json"
CENTROIDS_FILE = "centroids.npz"


class LatentSpaceFormatError(ValueError):
    """A saved latent space this code cannot read (another format version, or not a latent space)."""


@dataclass
class RoleSpace:
    """One role's latent strategies: centroids and the cluster id of every utterance they were fit on."""

    role: str
    centroids: np.ndarray  # (k, dim) float32; cluster 0 is the largest
    labels: np.ndarray  # (n,) int64 cluster id of texts[i]
    texts: list[str]  # the utterances the clustering was fit on
    inertia: float = 0.0

    @property
    def k(self) -> int:
        return len(self.centroids)

    def sizes(self) -> np.ndarray:
        """Utterances per cluster, shape (k,)."""
        return np.bincount(self.labels, minlength=self.k)


@dataclass
class LatentSpace:
    """Latent strategies per role, fit at one LSPO iteration. ``embedder`` is not saved: attach it on load."""

    roles: dict[str, RoleSpace]
    embedder_name: str
    dim: int
    iteration: int = 0
    config: ClusterConfig = field(default_factory=ClusterConfig)
    embedder: Embedder | None = field(default=None, repr=False, compare=False)

    @classmethod
    def fit(
        cls,
        utterances: Iterable[Utterance],
        embedder: Embedder,
        config: ClusterConfig | None = None,
        iteration: int = 0,
        k: Mapping[str, int] | None = None,
    ) -> LatentSpace:
        """Cluster each role's utterances with k-means; ``k`` overrides the schedule for the roles it names."""
        config = config or ClusterConfig()
        roles = {}
        for role, group in by_role(utterances).items():
            texts = [u.text for u in group]
            vectors = embedder.encode(config.prepare(texts))  # (n, dim)
            k_role = (k or {}).get(role, config.k(role, iteration))
            result = kmeans(vectors, k_role, seed=config.seed, n_init=config.n_init, max_iter=config.max_iter)
            roles[role] = RoleSpace(role, result.centroids, result.labels, texts, result.inertia)
        return cls(roles, embedder.name, embedder.dim, iteration, config, embedder)

    def k(self, role: str) -> int:
        return self._role(role).k

    def assign(self, texts: Sequence[str], role: str) -> np.ndarray:
        """Latent id (nearest centroid of ``role``) of each text, shape (len(texts),)."""
        if self.embedder is None:
            raise RuntimeError("no embedder attached: LatentSpace.load(path, embedder=...) or set .embedder")
        return self.assign_vectors(self.embedder.encode(self.config.prepare(texts)), role)

    def assign_vectors(self, vectors: np.ndarray, role: str) -> np.ndarray:
        """Latent id of each embedding row (n, dim)."""
        space = self._role(role)
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"expected vectors of shape (n, {self.dim}), got {vectors.shape}")
        return nearest(vectors, space.centroids)

    def _role(self, role: str) -> RoleSpace:
        if role not in self.roles:
            raise KeyError(f"no latent space for role {role!r}; roles: {', '.join(self.roles) or 'none'}")
        return self.roles[role]

    # ---- persistence ----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``path/space.json`` (metadata, texts, labels) and ``path/centroids.npz``; return ``path``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        header: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "embedder": self.embedder_name,
            "dim": self.dim,
            "iteration": self.iteration,
            "config": self.config.model_dump(),
            "roles": {
                role: {"k": s.k, "inertia": s.inertia, "labels": s.labels.tolist(), "texts": s.texts}
                for role, s in self.roles.items()
            },
        }
        np.savez(path / CENTROIDS_FILE, **{role: s.centroids for role, s in self.roles.items()})
        tmp = path / (SPACE_FILE + ".tmp")
        tmp.write_text(json.dumps(header, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path / SPACE_FILE)  # written last: a directory with space.json is complete
        return path

    @classmethod
    def load(cls, path: str | Path, embedder: Embedder | None = None) -> LatentSpace:
        """Read a saved space; ``embedder`` (for :meth:`assign`) must be the one it was fit with."""
        path = Path(path)
        try:
            header = json.loads((path / SPACE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LatentSpaceFormatError(f"{path}: not a latent space (no {SPACE_FILE})") from None
        version = header.get("format_version") if isinstance(header, dict) else None
        if version != FORMAT_VERSION:
            raise LatentSpaceFormatError(
                f"{path}: latent space format version {version!r}, this code reads version {FORMAT_VERSION}"
            )
        if embedder is not None and (embedder.name, embedder.dim) != (header["embedder"], header["dim"]):
            raise ValueError(
                f"{path}: fit with embedder {header['embedder']!r} ({header['dim']}-d), "
                f"given {embedder.name!r} ({embedder.dim}-d)"
            )
        with np.load(path / CENTROIDS_FILE) as arrays:
            centroids = {role: arrays[role].astype(np.float32) for role in arrays.files}
        roles = {
            role: RoleSpace(role, centroids[role], np.asarray(r["labels"], np.int64), list(r["texts"]), r["inertia"])
            for role, r in header["roles"].items()
        }
        config = ClusterConfig.model_validate(header["config"])
        return cls(roles, header["embedder"], header["dim"], header["iteration"], config, embedder)
