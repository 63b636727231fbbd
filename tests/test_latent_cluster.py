"""k-means per role, LSPO's k schedule, silhouette: known answers on well separated synthetic clusters."""

import numpy as np
import pytest
from pydantic import ValidationError
from sklearn.metrics import adjusted_rand_score

from solvers.latent.cluster import ClusterConfig, best_k, kmeans, nearest, silhouette_by_k
from solvers.latent.embed import normalise


def blobs(k: int, per: int, dim: int = 16, spread: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``k`` tight groups around random unit directions, shuffled; returns (unit vectors, true labels)."""
    rng = np.random.default_rng(seed)
    centres = normalise(rng.normal(size=(k, dim)))
    truth = np.repeat(np.arange(k), per)
    x = normalise(centres[truth] + spread * rng.normal(size=(k * per, dim)))
    order = rng.permutation(len(truth))
    return x[order], truth[order]


def test_lspo_k_schedule():
    config = ClusterConfig()
    assert [config.k("werewolf", i) for i in range(4)] == [3, 4, 5, 6]
    assert [config.k("seer", i) for i in range(3)] == [2, 3, 4]
    assert config.k("rock_player") == 2  # any other role: 2
    capped = ClusterConfig(k_start={"werewolf": 4}, k_start_other=1, k_step=2, k_max=6)
    assert [capped.k("werewolf", i) for i in range(3)] == [4, 6, 6]
    assert capped.k("villager", 1) == 3
    with pytest.raises(ValidationError, match="k_step"):
        ClusterConfig(k_step=-1)


def test_separated_clusters_are_recovered_exactly():
    x, truth = blobs(4, 30)
    result = kmeans(x, 4, seed=1)
    assert result.k == 4 and result.centroids.dtype == np.float32
    assert adjusted_rand_score(truth, result.labels) == 1.0
    np.testing.assert_array_equal(nearest(x, result.centroids), result.labels)  # assign agrees with the fit


def test_clusters_are_numbered_by_size_and_deterministic():
    x, truth = blobs(3, 10)
    x = np.concatenate([x, x[truth == 2]])  # group 2 is now the largest
    a, b = kmeans(x, 3, seed=5), kmeans(x, 3, seed=5)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centroids, b.centroids)
    sizes = np.bincount(a.labels)
    assert list(sizes) == sorted(sizes, reverse=True) and sizes[0] == 20


def test_k_is_capped_by_distinct_points():
    x = normalise(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    assert kmeans(x, 5).k == 2
    with pytest.raises(ValueError, match="zero"):
        kmeans(np.zeros((0, 2)), 2)


def test_silhouette_peaks_at_the_true_k():
    x, _ = blobs(3, 25, seed=2)
    scores = silhouette_by_k(x, range(2, 7))
    assert set(scores) == {2, 3, 4, 5, 6}
    assert best_k(scores) == 3 and scores[3] > 0.7
    assert best_k({}) is None


def test_player_names_are_masked_before_embedding():
    assert ClusterConfig().prepare(["vote player_12 and player_3"]) == ["vote X and X"]
    assert ClusterConfig(mask=None).prepare(["vote player_1"]) == ["vote player_1"]
