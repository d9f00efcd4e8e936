"""Exercise set 15, "Forecasting": tests for solutions/15_forecasting.

The references here are written independently of the package and of the solutions: windows
and statistics by explicit loops over Python lists (15.1), the MASE scale by a loop over the
training values (15.2), and recursive forecasts by a scalar loop that grows a Python list one
prediction at a time (15.3). Leakage is tested by behaviour: the test period is replaced by
other numbers, or by NaN, and nothing the learner builds for training may change.
"""

from __future__ import annotations

import math

import numpy as np

from rnnbook.grading import ExerciseSet

SET = ExerciseSet("15", "Forecasting")


def _series(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 20 + 0.3 * t + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, n)


# --------------------------------------------------------------------------------------------
# 15.1 Leakage-free scaled windows


def _windows_reference(y, n_train, L, H):
    train = [float(v) for v in y[:n_train]]
    mean = sum(train) / len(train)
    std = math.sqrt(sum((v - mean) ** 2 for v in train) / len(train))
    X, Y = [], []
    for start in range(len(train)):
        if start + L + H > len(train):
            break
        X.append([(v - mean) / std for v in train[start : start + L]])
        Y.append([(v - mean) / std for v in train[start + L : start + L + H]])
    return np.array(X), np.array(Y), mean, std


@SET.exercise("15.1", "scaled_train_windows", points=4)
def _(t):
    y, n_train, L, H = _series(151, 60), 45, 6, 3
    X_ref, Y_ref, mean, std = _windows_reference(y, n_train, L, H)
    N = n_train - L - H + 1
    with t.case("returns X (N, L) and Y (N, H) with N = n_train - L - H + 1", points=1):
        X, Y, _, _ = t.expect_tuple(t.call(y, n_train, L, H), 4, "the result")
        t.expect_shape(X, (N, L), "X (a target beyond y[n_train - 1] is test data)")
        t.expect_shape(Y, (N, H), "Y")
    with t.case("mean and std come from the training part y[:n_train] only", points=1):
        _, _, got_mean, got_std = t.expect_tuple(t.call(y, n_train, L, H), 4, "result")
        t.expect_close(got_mean, mean, "mean of the training part y[:n_train]")
        t.expect_close(got_std, std, "std of the training part (np.std, ddof=0)")
    with t.case("inputs and targets follow each other and are scaled", points=1):
        X, Y, _, _ = t.expect_tuple(t.call(y, n_train, L, H), 4, "the result")
        t.expect_shape(X, X_ref.shape, "X")
        t.expect_close(X, X_ref, "X (inputs y[i : i + L], scaled)")
        t.expect_close(Y, Y_ref, "Y (targets y[i + L : i + L + H], scaled)")
    with t.case("nothing changes when the test period changes", points=1):
        got = t.expect_tuple(t.call(y, n_train, L, H), 4, "the result")
        other = y.copy()
        other[n_train:] = np.random.default_rng(5).normal(500, 100, len(y) - n_train)
        got2 = t.expect_tuple(t.call(other, n_train, L, H), 4, "the result")
        for a, b, what in zip(got, got2, ("X", "Y", "mean", "std")):
            t.expect_close(
                b, a, f"{what} after changing y[n_train:] (test data leaks in)"
            )


# --------------------------------------------------------------------------------------------
# 15.2 MASE


def _mase_reference(y_true, y_pred, y_train, m):
    errors = [abs(a - b) for a, b in zip(y_true.ravel(), y_pred.ravel())]
    naive = [abs(y_train[i] - y_train[i - m]) for i in range(m, len(y_train))]
    return (sum(errors) / len(errors)) / (sum(naive) / len(naive))


@SET.exercise("15.2", "mase", points=4)
def _(t):
    y_train = np.array([1.0, 3.0, 2.0, 6.0, 5.0])
    with t.case("a small case by hand (m = 1)", points=1):
        # MAE 1; naive errors 2, 1, 4, 1: scale 2
        got = t.call(np.array([4.0, 8.0]), np.array([5.0, 7.0]), y_train, 1)
        t.expect_close(got, 0.5, "MASE")
    y = _series(152, 50)
    fit, test = y[:36], y[36:]
    pred = test + np.random.default_rng(0).normal(0, 2, len(test))
    with t.case("the scale uses lag m for a seasonal series (m = 7)", points=1):
        got = t.call(test, pred, fit, 7)
        t.expect_close(got, _mase_reference(test, pred, fit, 7), "MASE with m = 7")
    with t.case("the scale comes from y_train, never from the test period", points=1):
        got = t.call(test, pred, fit, 1)
        t.expect_close(got, _mase_reference(test, pred, fit, 1), "MASE with m = 1")
        shifted = t.call(test + 100.0, pred + 100.0, fit, 1)
        t.expect_close(
            shifted, got, "MASE after shifting the test period (same errors)"
        )
    with t.case(
        "forecasts of shape (K, H); the naive forecast scores 1 in sample", points=1
    ):
        K = pred[:12].reshape(3, 4)
        got = t.call(test[:12].reshape(3, 4), K, fit, 7)
        t.expect_close(
            got, _mase_reference(test[:12], pred[:12], fit, 7), "MASE of a (3, 4) block"
        )
        naive = np.array([fit[i - 7] for i in range(7, len(fit))])
        t.expect_close(
            t.call(fit[7:], naive, fit, 7), 1.0, "MASE of the naive forecast"
        )


# --------------------------------------------------------------------------------------------
# 15.3 Recursive multi-step forecasts from a one-step model


def _ar_model(coef, c, calls=None):
    """A one-step model: windows (K, L) -> next values (K,), an AR model; counts calls."""
    coef = np.asarray(coef, dtype=np.float64)

    def one_step(windows):
        windows = np.asarray(windows, dtype=np.float64)
        if windows.ndim != 2 or windows.shape[1] != len(coef):
            raise ValueError(
                f"one_step expects windows of shape (K, L) with L = {len(coef)}, "
                f"got {windows.shape}"
            )
        if calls is not None:
            calls.append(windows.shape[0])
        return windows @ coef + c

    return one_step


def _recursive_reference(coef, c, y, origin, L, H):
    history = [float(v) for v in y[origin - L + 1 : origin + 1]]
    for _ in range(H):
        history.append(sum(a * b for a, b in zip(coef, history[-L:])) + c)
    return history[L:]


COEF = [0.1, -0.2, 0.3, 0.6]


@SET.exercise("15.3", "recursive_forecast", points=5)
def _(t):
    y = _series(153, 40)
    L, H, c = len(COEF), 6, 2.0
    origins = np.array([10, 17, 25])
    ref = np.array([_recursive_reference(COEF, c, y, o, L, H) for o in origins])
    with t.case("returns forecasts of shape (K, H)", points=1):
        got = t.call(_ar_model(COEF, c), y, origins, L, H)
        t.expect_shape(got, (len(origins), H), "the forecasts")
    with t.case("equals feeding the model its own predictions", points=2):
        got = t.call(_ar_model(COEF, c), y, origins, L, H)
        t.expect_close(got[:, 0], ref[:, 0], "the one-step forecasts (h = 1)")
        t.expect_close(got, ref, "the forecasts at h = 2..H")
    with t.case("reads nothing after the origin (no teacher forcing)", points=1):
        for o in origins:
            hidden = y.copy()
            hidden[o + 1 :] = np.nan  # the future is unknown at the origin
            got = t.call(_ar_model(COEF, c), hidden, np.array([o]), L, H)
            t.expect(
                np.all(np.isfinite(got)),
                f"the forecast from origin {o} read values after the origin "
                "(true future values must not be fed back)",
            )
            t.expect_close(got[0], ref[list(origins).index(o)], f"forecast from {o}")
    with t.case("one model call per step for all origins together", points=1):
        calls = []
        t.call(_ar_model(COEF, c, calls), y, origins, L, H)
        t.expect(
            calls == [len(origins)] * H,
            f"the model was called {len(calls)} times (batch sizes {calls[:8]}); "
            f"expected {H} calls, each on all {len(origins)} windows at once",
        )
