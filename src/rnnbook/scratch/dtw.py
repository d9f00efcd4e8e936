r"""Dynamic time warping (DTW) and the 1-nearest-neighbour classifier built on it, in NumPy.

Two series ``a`` (T_a, D) and ``b`` (T_b, D) are compared frame by frame with the squared
Euclidean cost ``c[i, j] = ||a_i - b_j||^2`` (all channels together: "dependent" DTW). A
warping path runs from (0, 0) to (T_a - 1, T_b - 1) in steps of (1, 0), (0, 1) or (1, 1); DTW
is the smallest total cost of a path, computed by dynamic programming over the table

    R[i, j] = c[i, j] + min(R[i-1, j-1], R[i-1, j], R[i, j-1]),   R[0, 0] = c[0, 0],

with ``R = inf`` outside the table; the distance is ``R[T_a - 1, T_b - 1]`` (a sum of squared
costs, as in the UCR/UEA archive's benchmarks; no square root). An optional Sakoe--Chiba
``window`` w keeps only cells with ``|i - j| <= w``; if ``|T_a - T_b| > w`` no path fits and
the distance is ``inf``.

Speed. Cells on one anti-diagonal ``i + j = k`` depend only on the two anti-diagonals before
it, so each anti-diagonal is computed in one vectorised step: ``T_a + T_b - 1`` NumPy steps per
pair instead of ``T_a * T_b`` Python steps. ``dtw_matrix`` goes further and runs one series
against a whole padded batch of series at once (padding after a series' end never reaches
``R[T_a - 1, T_b - 1]``, which depends only on cells above and to the left of it).

- ``dtw_distance(a, b, window=None)``: one pair
- ``dtw_matrix(A, B, window=None)``: all pairs, (len(A), len(B))
- ``knn1_predict(train, train_labels, test, window=None)``: 1-NN labels under DTW
"""

from __future__ import annotations

import numpy as np

__all__ = ["dtw_distance", "dtw_matrix", "knn1_predict"]


def _as_series(name: str, value) -> np.ndarray:
    x = np.asarray(value, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(
            f"expected {name} of shape (T, D) (or (T,)) with T >= 1, got {np.shape(value)}"
        )
    return x


def _check_window(window):
    if window is not None and (int(window) != window or window < 0):
        raise ValueError(
            f"expected window to be None or an integer >= 0, got {window!r}"
        )


def _dtw_padded(
    a: np.ndarray, B: np.ndarray, lengths: np.ndarray, window
) -> np.ndarray:
    """DTW of ``a`` (T_a, D) against each of ``B`` (M, T_b, D), real lengths ``lengths``."""
    Ta, M, Tb = a.shape[0], B.shape[0], B.shape[1]
    # squared Euclidean cost c[m, i, j] = ||a_i - B[m, j]||^2, (M, Ta, Tb)
    cost = ((a[None, :, None, :] - B[:, None, :, :]) ** 2).sum(axis=3)
    if window is not None:
        i, j = np.indices((Ta, Tb))
        cost[:, np.abs(i - j) > window] = np.inf
    # R padded with a row and a column of inf: R[:, i + 1, j + 1] holds R[i, j]
    R = np.full((M, Ta + 1, Tb + 1), np.inf)
    R[:, 0, 0] = 0.0
    for k in range(Ta + Tb - 1):  # anti-diagonal i + j = k
        i = np.arange(max(0, k - Tb + 1), min(Ta - 1, k) + 1)
        j = k - i
        best = np.minimum(np.minimum(R[:, i, j], R[:, i, j + 1]), R[:, i + 1, j])
        R[:, i + 1, j + 1] = cost[:, i, j] + best
    return R[np.arange(M), Ta, lengths]


def dtw_distance(a, b, window: int | None = None) -> float:
    """DTW distance between ``a`` (T_a, D) and ``b`` (T_b, D) (1-D inputs are (T, 1))."""
    a, b = _as_series("a", a), _as_series("b", b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"expected a and b with the same number of channels D, got a {a.shape}, "
            f"b {b.shape}"
        )
    _check_window(window)
    return float(_dtw_padded(a, b[None], np.array([b.shape[0]]), window)[0])


def dtw_matrix(A, B, window: int | None = None) -> np.ndarray:
    """DTW distances between every series of ``A`` and every series of ``B``.

    A, B : lists of series, each (T, D) with the same D (lengths may differ)
    Returns (len(A), len(B)) float64.
    """
    A = [_as_series(f"A[{n}]", s) for n, s in enumerate(A)]
    B = [_as_series(f"B[{n}]", s) for n, s in enumerate(B)]
    if not A or not B:
        raise ValueError("expected A and B to hold at least one series each")
    dims = {s.shape[1] for s in A + B}
    if len(dims) != 1:
        raise ValueError(
            f"expected every series with the same D, got D in {sorted(dims)}"
        )
    _check_window(window)
    lengths = np.array([len(s) for s in B])
    padded = np.zeros((len(B), lengths.max(), dims.pop()))
    for n, s in enumerate(B):
        padded[n, : len(s)] = s
    return np.stack([_dtw_padded(a, padded, lengths, window) for a in A])


def knn1_predict(train, train_labels, test, window: int | None = None) -> np.ndarray:
    """Label of each test series = label of its DTW-nearest training series: (len(test),)."""
    train_labels = np.asarray(train_labels)
    if train_labels.shape != (len(train),):
        raise ValueError(
            f"expected train_labels of shape (len(train),) = ({len(train)},), "
            f"got {train_labels.shape}"
        )
    D = dtw_matrix(test, train, window)
    return train_labels[np.argmin(D, axis=1)]
