"""Latent strategy spaces (LSPO, Xu et al., ICML 2025): embed utterances, cluster per role, label clusters.

``embed`` (embedders and the hash-keyed cache) -> ``utterances`` (speech out of event logs and records)
-> ``cluster`` (k-means, LSPO's k schedule, silhouette) -> ``space`` (the saved, versioned LatentSpace)
-> ``labels`` (key phrases and exemplars per cluster); ``quality`` checks clusters against scripted labels.
"""

from solvers.latent.cluster import ClusterConfig, Clustering, best_k, kmeans, nearest, silhouette_by_k
from solvers.latent.embed import CachedEmbedder, Embedder, HashingEmbedder, MiniLMEmbedder, normalise
from solvers.latent.labels import ClusterLabel, label_role, label_space
from solvers.latent.space import FORMAT_VERSION, LatentSpace, LatentSpaceFormatError, RoleSpace
from solvers.latent.utterances import Utterance, by_role, utterances_from_events, utterances_from_records

__all__ = [
    "FORMAT_VERSION",
    "CachedEmbedder",
    "ClusterConfig",
    "ClusterLabel",
    "Clustering",
    "Embedder",
    "HashingEmbedder",
    "LatentSpace",
    "LatentSpaceFormatError",
    "MiniLMEmbedder",
    "RoleSpace",
    "Utterance",
    "best_k",
    "by_role",
    "kmeans",
    "label_role",
    "label_space",
    "nearest",
    "normalise",
    "silhouette_by_k",
    "utterances_from_events",
    "utterances_from_records",
]
