"""Human-readable cluster labels: distinctive key phrases, exemplars nearest the centroid, frequency.

Key phrases are the word n-grams whose mean TF-IDF weight inside a cluster most exceeds their mean weight in
the rest of the role's utterances (a cluster-versus-rest contrast, so phrases every cluster uses, such as
greetings, drop out). Player names are masked first (``player_3`` -> ``X``) so a phrase names a move, not
a seat.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from solvers.latent.embed import Embedder
from solvers.latent.space import LatentSpace

PLAYER_NAME = re.compile(r"\bplayer_\d+\b")


@dataclass(frozen=True)
class ClusterLabel:
    """What one latent strategy looks like."""

    cluster: int
    size: int
    frequency: float  # share of the role's utterances in this cluster
    key_phrases: tuple[str, ...]  # most distinctive n-grams, best first
    exemplars: tuple[str, ...]  # distinct utterances nearest the centroid, nearest first

    def title(self) -> str:
        return f"#{self.cluster} ({self.frequency:.0%}): " + ", ".join(self.key_phrases[:3])


def mask_players(text: str) -> str:
    return PLAYER_NAME.sub("X", text)


def key_phrases(
    texts: Sequence[str], labels: np.ndarray, k: int, *, n: int = 5, ngram_range: tuple[int, int] = (1, 3)
) -> list[tuple[str, ...]]:
    """The ``n`` most distinctive n-grams of each of the ``k`` clusters (cluster-vs-rest mean TF-IDF)."""
    vectorizer = TfidfVectorizer(
        ngram_range=ngram_range,
        stop_words="english",
        token_pattern=r"(?u)\b\w[\w']*\w\b",  # keeps "don't" whole
        preprocessor=lambda t: mask_players(t).lower(),
        min_df=2,
    )
    try:
        weights = vectorizer.fit_transform(texts)  # (n_texts, n_terms) sparse
    except ValueError:  # no term survives (too few or too short texts)
        return [() for _ in range(k)]
    terms = vectorizer.get_feature_names_out()
    labels = np.asarray(labels)
    phrases = []
    for c in range(k):
        inside = labels == c
        if not inside.any():
            phrases.append(())
            continue
        mean_in = np.asarray(weights[inside].mean(axis=0)).ravel()
        mean_out = np.asarray(weights[~inside].mean(axis=0)).ravel() if (~inside).any() else 0.0
        contrast = mean_in - mean_out
        top = [i for i in np.argsort(-contrast, kind="stable")[: n * 3] if contrast[i] > 0]
        phrases.append(_drop_nested([str(terms[i]) for i in top])[:n])
    return phrases


def _drop_nested(phrases: list[str]) -> tuple[str, ...]:
    """Skip a phrase contained in a better-ranked one ("seer" after "i am the seer")."""
    kept: list[str] = []
    for p in phrases:
        if not any(f" {p} " in f" {q} " for q in kept):
            kept.append(p)
    return tuple(kept)


def exemplars(
    texts: Sequence[str], vectors: np.ndarray, labels: np.ndarray, centroids: np.ndarray, *, n: int = 3
) -> list[tuple[str, ...]]:
    """Per cluster, the ``n`` distinct texts nearest its centroid."""
    found = []
    for c, centroid in enumerate(centroids):
        members = np.flatnonzero(labels == c)
        order = members[np.argsort(np.linalg.norm(vectors[members] - centroid, axis=1), kind="stable")]
        found.append(tuple(dict.fromkeys(texts[i] for i in order))[:n])
    return found


def label_role(
    space: LatentSpace, role: str, embedder: Embedder | None = None, *, n_phrases: int = 5, n_exemplars: int = 3
) -> list[ClusterLabel]:
    """Labels for every cluster of ``role`` in ``space`` (re-embeds its texts: wrap the embedder in a cache)."""
    embedder = embedder or space.embedder
    if embedder is None:
        raise RuntimeError("labelling needs the space's embedder (for the exemplars)")
    rs = space.roles[role]
    vectors = embedder.encode(rs.texts)
    phrases = key_phrases(rs.texts, rs.labels, rs.k, n=n_phrases)
    near = exemplars(rs.texts, vectors, rs.labels, rs.centroids, n=n_exemplars)
    sizes, total = rs.sizes(), max(len(rs.texts), 1)
    return [ClusterLabel(c, int(sizes[c]), float(sizes[c] / total), phrases[c], near[c]) for c in range(rs.k)]


def label_space(space: LatentSpace, embedder: Embedder | None = None, **kwargs: int) -> dict[str, list[ClusterLabel]]:
    """:func:`label_role` for every role of ``space``."""
    return {role: label_role(space, role, embedder, **kwargs) for role in space.roles}
