"""Exercise set 18, "minGRU and minLSTM": tests for solutions/18_mingru_minlstm.ipynb.

Expected values are computed here, independently of the learner's code and of the package's
``rnnbook.frameworks.min_rnn``: the minGRU step from its equations with a plain sigmoid and
the piecewise g; the log coefficients by the naive formulas where they are accurate (|k| < 15)
and by their asymptotes where they are not (|k| = 40, 800); the parallel states by running the
step one time step at a time.
"""

from __future__ import annotations

import numpy as np

from rnnbook.grading import ExerciseSet

SET = ExerciseSet("18", "minGRU and minLSTM")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _g(x):
    return np.where(x >= 0, x + 0.5, _sigmoid(x))


def _step(x, h_prev, W, c):
    H = h_prev.shape[1]
    pre = x @ W.T + c
    z = _sigmoid(pre[:, :H])
    return (1 - z) * h_prev + z * _g(pre[:, H:])


def _params(seed, D, H, scale=1.0):
    rng = np.random.default_rng(seed)
    W = scale * rng.standard_normal((2 * H, D)) / np.sqrt(D)
    c = 0.5 * rng.standard_normal(2 * H)
    return W, c


# --------------------------------------------------------------------------------------------
# 18.1 One minGRU step


@SET.exercise("18.1", "mingru_step", points=3)
def _(t):
    rng = np.random.default_rng(181)
    with t.case("z = 1/2 and a positive candidate: h = (h_prev + p + 1/2) / 2"):
        W, c = np.zeros((4, 3)), np.array([0.0, 0.0, 0.7, 2.0])
        x, h_prev = rng.standard_normal((2, 3)), rng.uniform(0.1, 1.0, (2, 2))
        got = t.call(x, h_prev, W, c)
        t.expect_shape(got, (2, 2), "h")
        t.expect_close(got, (h_prev + np.array([1.2, 2.5])) / 2, "h with z = 1/2")
    with t.case("random weights: both branches of g, gates in (0, 1)", 2):
        W, c = _params(1, 3, 4, scale=3.0)
        x, h_prev = rng.standard_normal((5, 3)), rng.uniform(0.1, 1.0, (5, 4))
        got = t.call(x, h_prev, W, c)
        t.expect_close(got, _step(x, h_prev, W, c), "h", rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------------------------
# 18.2 Log coefficients


@SET.exercise("18.2", "mingru_log_coefficients", points=3)
def _(t):
    with t.case("moderate gates: log(1 - z) and log z + log g(p)", 2):
        W, c = _params(2, 3, 4, scale=2.0)
        x = np.random.default_rng(3).standard_normal((2, 6, 3))
        got = t.expect_tuple(t.call(x, W, c), 2, "the result (log_a, log_b)")
        pre = x @ W.T + c
        z = _sigmoid(pre[..., :4])
        t.expect_close(got[0], np.log(1 - z), "log_a", rtol=1e-10, atol=1e-12)
        t.expect_close(
            got[1], np.log(z * _g(pre[..., 4:])), "log_b", rtol=1e-10, atol=1e-12
        )
    with t.case("saturated gates k = +-40 and +-800: finite, on their asymptotes"):
        k = np.array([40.0, -40.0, 800.0, -800.0])
        W = np.zeros((8, 1))
        c = np.concatenate([k, np.zeros(4)])  # p = 0: g(p) = 1/2
        got = t.expect_tuple(t.call(np.zeros((1, 1, 1)), W, c), 2, "(log_a, log_b)")
        # log(1 - sigmoid(k)) -> -k for k >> 0 and -> 0 for k << 0; log sigmoid the mirror.
        expected_a = np.where(k > 0, -k, 0.0)[None, None]
        expected_b = np.where(k > 0, 0.0, k)[None, None] + np.log(0.5)
        t.expect_close(
            got[0], expected_a, "log_a for saturated gates", rtol=1e-12, atol=1e-15
        )
        t.expect_close(
            got[1], expected_b, "log_b for saturated gates", rtol=1e-12, atol=1e-15
        )


# --------------------------------------------------------------------------------------------
# 18.3 The parallel mode


@SET.exercise(
    "18.3",
    "mingru_parallel",
    points=5,
    forbidden=(
        "rnnbook.scratch.scan.linear_recurrence_log",
        "rnnbook.scratch.scan.linear_recurrence_loop",
        "rnnbook.scratch.scan.linear_recurrence_scan",
    ),
)
def _(t):
    def case(seed, N, T, D, H, scale=1.0, label=""):
        W, c = _params(seed, D, H, scale)
        rng = np.random.default_rng(seed + 1)
        x = rng.standard_normal((N, T, D))
        h0 = rng.uniform(0.1, 1.0, (N, H))
        got = t.call(x, W, c, h0)
        t.expect_shape(got, (N, T, H), "h")
        h, expected = h0, np.empty((N, T, H))
        for step in range(T):
            h = _step(x[:, step], h, W, c)
            expected[:, step] = h
        t.expect_close(got, expected, f"h {label}", rtol=1e-8, atol=1e-12)

    with t.case("T = 1: one step from h0"):
        case(5, 2, 1, 3, 4, label="(T = 1)")
    with t.case("T = 20: equals the sequential steps, h0 included", 2):
        case(6, 3, 20, 3, 4, label="(T = 20)")
    with t.case("T = 2000 with strong gates: no underflow, still equal", 2):
        case(7, 1, 2000, 2, 3, scale=4.0, label="(T = 2000)")
