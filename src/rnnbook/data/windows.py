r"""Leakage-free windows for forecasting: scaling, (input window, target horizon) pairs and
rolling origins.

Notation. A series ``y`` of length ``n`` is split at ``n_train``: ``y[:n_train]`` is the
training part, ``y[n_train:]`` the test period. A **forecast origin** ``o`` is the index of the
last value a forecaster may see; from ``y[:o + 1]`` it predicts ``y[o + 1], ..., y[o + H]``
(horizons ``h = 1..H``). An **input window** of length ``L`` ending at ``o`` is
``y[o - L + 1 : o + 1]``.

The rules that keep test information out (``tests/test_windows.py`` checks each one by
changing the test period and asserting that nothing fitted or built for training moves):

- ``WindowScaler.fit`` reads ``y[:n_train]`` only;
- ``train_windows`` returns only pairs whose inputs *and* targets lie in ``y[:n_train]``;
- ``origin_windows`` builds the input at origin ``o`` from ``y[:o + 1]`` only;
- the ``"relative"`` mode, our stand-in for differencing, subtracts each window's own last
  value, which lies at or before the origin.

Two scalings:

``"level"``
    $z = (y - \mu)/s$ with $\mu, s$ the mean and standard deviation of the training part.
    Right for a series that returns to a stable level (sunspots).
``"relative"``
    inputs $z_i = (y_i - y_o)/s$ and targets $(y_{o+h} - y_o)/s$, with $s$ the standard
    deviation of the lag-1 differences $y_t - y_{t-1}$ of the training part. A trend moves
    the level out of the range seen in training; the changes since the origin stay in range
    (CO2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnbook.shapes import check_array, check_sizes

__all__ = [
    "WindowScaler",
    "sliding_windows",
    "train_windows",
    "rolling_origins",
    "origin_windows",
    "origin_targets",
]

MODES = ("level", "relative")


def _series(y) -> np.ndarray:
    return check_array("y", y, ndim=1)


def _check_split(y: np.ndarray, n_train: int) -> None:
    check_sizes(n_train=n_train)
    if n_train > len(y):
        raise ValueError(
            f"expected n_train <= len(y) = {len(y)}, got n_train = {n_train}"
        )


@dataclass(frozen=True)
class WindowScaler:
    """Scaling fitted on the training part only (see the module docstring).

    mode : ``"level"`` or ``"relative"``; center : mu (0 in relative mode); scale : s.
    """

    mode: str
    center: float
    scale: float

    @classmethod
    def fit(cls, y, n_train: int, mode: str = "level") -> WindowScaler:
        """Fit on ``y[:n_train]``; ``y`` (n,) may hold the test period too (it is not read)."""
        y = _series(y)
        _check_split(y, n_train)
        if mode not in MODES:
            raise ValueError(f"expected mode to be one of {MODES}, got {mode!r}")
        train = y[:n_train]
        if mode == "level":
            center, scale = float(train.mean()), float(train.std())
        else:
            if n_train < 3:
                raise ValueError("relative mode needs n_train >= 3 (lag-1 differences)")
            center, scale = 0.0, float(np.diff(train).std())
        if not scale > 0:
            raise ValueError("the training part is constant: cannot fit a scale")
        return cls(mode, center, scale)

    def _ref(self, X: np.ndarray) -> np.ndarray:
        """The value subtracted from window ``X[i]``: mu, or its last value (relative)."""
        if self.mode == "level":
            return np.full((X.shape[0], 1), self.center)
        return X[:, -1:]

    def inputs(self, X) -> np.ndarray:
        """Scaled inputs, (N, L) -> (N, L)."""
        X = check_array("X", X, ndim=2)
        return (X - self._ref(X)) / self.scale

    def targets(self, X, Y) -> np.ndarray:
        """Scaled targets (N, H) of the windows X (N, L)."""
        X, Y = check_array("X", X, ndim=2), check_array("Y", Y, ndim=2)
        if len(Y) != len(X):
            raise ValueError(f"expected Y with {len(X)} rows like X, got {Y.shape}")
        return (Y - self._ref(X)) / self.scale

    def inverse(self, X, Z) -> np.ndarray:
        """Predictions in the series' units from scaled outputs Z (N, ...) of windows X (N, L)."""
        X, Z = check_array("X", X, ndim=2), np.asarray(Z, dtype=np.float64)
        if len(Z) != len(X):
            raise ValueError(f"expected Z with {len(X)} rows like X, got {Z.shape}")
        ref = self._ref(X).reshape((len(X),) + (1,) * (Z.ndim - 1))
        return Z * self.scale + ref


def sliding_windows(y, L: int, H: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (input, target) pair inside ``y``: X (N, L), Y (N, H), N = len(y) - L - H + 1.

    Row i: ``X[i] = y[i : i + L]`` and ``Y[i] = y[i + L : i + L + H]`` (origin i + L - 1).
    """
    y = _series(y)
    check_sizes(L=L, H=H)
    N = len(y) - L - H + 1
    if N < 1:
        raise ValueError(f"y of length {len(y)} is too short for L = {L} and H = {H}")
    idx = np.arange(N)[:, None]
    return y[idx + np.arange(L)], y[idx + L + np.arange(H)]


def train_windows(y, n_train: int, L: int, H: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs that lie wholly in the training part ``y[:n_train]``: X (N, L), Y (N, H)."""
    y = _series(y)
    _check_split(y, n_train)
    return sliding_windows(y[:n_train], L, H)


def rolling_origins(n: int, n_test: int, H: int, step: int = 1) -> np.ndarray:
    """Origins o = n - n_test - 1, ..., every ``step``, while o + H <= n - 1.

    The first origin is the last training index; every target y[o + 1 .. o + H] lies in the
    test period ``y[n - n_test:]``.
    """
    check_sizes(n=n, n_test=n_test, H=H, step=step)
    if n_test < H or n_test >= n:
        raise ValueError(f"expected H = {H} <= n_test < n = {n}, got n_test = {n_test}")
    return np.arange(n - n_test - 1, n - H, step)


def _origins(y: np.ndarray, origins, L: int, H: int) -> np.ndarray:
    origins = np.asarray(origins)
    if origins.ndim != 1 or not np.issubdtype(origins.dtype, np.integer):
        raise TypeError("expected origins to be a 1-D array of integer indices")
    if origins.size and (origins.min() < L - 1 or origins.max() + H > len(y) - 1):
        raise ValueError(
            f"expected every origin in [L - 1, len(y) - 1 - H] = [{L - 1}, "
            f"{len(y) - 1 - H}], got [{origins.min()}, {origins.max()}]"
        )
    return origins


def origin_windows(y, origins, L: int) -> np.ndarray:
    """Input windows ending at each origin: (K, L), row k = ``y[o_k - L + 1 : o_k + 1]``."""
    y = _series(y)
    check_sizes(L=L)
    origins = _origins(y, origins, L, 0)
    return y[origins[:, None] - L + 1 + np.arange(L)]


def origin_targets(y, origins, H: int) -> np.ndarray:
    """What each origin must forecast: (K, H), row k = ``y[o_k + 1 : o_k + H + 1]``."""
    y = _series(y)
    check_sizes(H=H)
    origins = _origins(y, origins, 1, H)
    return y[origins[:, None] + 1 + np.arange(H)]
