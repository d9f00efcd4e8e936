"""rnnbook.scratch.dtw against a brute-force recursion over all warping paths."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from rnnbook.scratch.dtw import dtw_distance, dtw_matrix, knn1_predict


def brute_force_dtw(a, b, window=None):
    """Minimum over all monotone paths, by plain recursion (exponential; tiny inputs only)."""
    a, b = np.atleast_2d(a.T).T, np.atleast_2d(b.T).T

    @functools.lru_cache(maxsize=None)
    def best(i, j):
        if window is not None and abs(i - j) > window:
            return np.inf
        c = float(np.sum((a[i] - b[j]) ** 2))
        if i == 0 and j == 0:
            return c
        options = []
        if i > 0:
            options.append(best(i - 1, j))
        if j > 0:
            options.append(best(i, j - 1))
        if i > 0 and j > 0:
            options.append(best(i - 1, j - 1))
        return c + min(options)

    return best(len(a) - 1, len(b) - 1)


def all_paths_dtw(a, b):
    """Enumerate every warping path explicitly (a second, even more literal reference)."""
    Ta, Tb = len(a), len(b)
    best = np.inf

    def walk(i, j, cost):
        nonlocal best
        cost += float(np.sum((a[i] - b[j]) ** 2))
        if (i, j) == (Ta - 1, Tb - 1):
            best = min(best, cost)
            return
        for di, dj in ((1, 0), (0, 1), (1, 1)):
            if i + di < Ta and j + dj < Tb:
                walk(i + di, j + dj, cost)

    walk(0, 0, 0.0)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    D = 1 + seed % 3
    a = rng.normal(size=(rng.integers(1, 7), D))
    b = rng.normal(size=(rng.integers(1, 7), D))
    assert dtw_distance(a, b) == pytest.approx(brute_force_dtw(a, b), rel=1e-12)
    for window in (0, 1, 2):
        assert dtw_distance(a, b, window) == pytest.approx(
            brute_force_dtw(a, b, window), rel=1e-12
        )


@pytest.mark.parametrize("seed", range(4))
def test_matches_enumeration_of_paths(seed):
    rng = np.random.default_rng(100 + seed)
    a, b = rng.normal(size=(4, 2)), rng.normal(size=(5, 2))
    assert dtw_distance(a, b) == pytest.approx(all_paths_dtw(a, b), rel=1e-12)


def test_properties():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(8, 3)), rng.normal(size=(6, 3))
    assert dtw_distance(a, a) == 0.0
    assert dtw_distance(a, b) == pytest.approx(dtw_distance(b, a))
    # warping: a series and its slowed-down copy are at distance 0
    assert dtw_distance(a, np.repeat(a, 2, axis=0)) == pytest.approx(0.0, abs=1e-12)
    # window 0 on equal lengths is the squared Euclidean distance
    c = rng.normal(size=(8, 3))
    assert dtw_distance(a, c, window=0) == pytest.approx(np.sum((a - c) ** 2))
    # no path fits in a window narrower than the difference of lengths
    assert dtw_distance(a, b, window=1) == np.inf
    # 1-D input is one channel
    assert dtw_distance([0.0, 1.0], [[0.0], [1.0]]) == 0.0


def test_matrix_equals_pairs_and_knn():
    rng = np.random.default_rng(1)
    A = [rng.normal(size=(int(T), 2)) for T in rng.integers(1, 9, size=5)]
    B = [rng.normal(size=(int(T), 2)) for T in rng.integers(1, 9, size=4)]
    M = dtw_matrix(A, B)
    expected = [[brute_force_dtw(a, b) for b in B] for a in A]
    np.testing.assert_allclose(M, expected, rtol=1e-12)
    labels = np.array([7, 8, 9, 10])
    np.testing.assert_array_equal(
        knn1_predict(B, labels, A), labels[np.argmin(expected, axis=1)]
    )


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="same number of channels"):
        dtw_distance(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="window"):
        dtw_distance(np.zeros(3), np.zeros(3), window=-1)
    with pytest.raises(ValueError, match="b of shape"):
        dtw_distance(np.zeros(3), np.zeros((0, 1)))
    with pytest.raises(ValueError, match="train_labels"):
        knn1_predict([np.zeros(3)], [0, 1], [np.zeros(3)])
