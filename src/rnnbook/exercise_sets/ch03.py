"""Exercise set 03, "Gradient checking": tests for solutions/03_gradient_checking.

Expected values are computed here, independently of the learner's code: closed-form gradients
of small test functions, explicit centred differences, relative errors written out entry by
entry, and models whose planted bugs are known by construction.
"""

from __future__ import annotations

import math

import numpy as np

from rnnbook.grading import ExerciseSet
from rnnbook.scratch.layers import temporal_affine_backward, temporal_affine_forward
from rnnbook.scratch.losses import temporal_softmax_cross_entropy
from rnnbook.scratch.rnn import random_rnn_problem, rnn_forward

SET = ExerciseSet("03", "Gradient checking")


# --------------------------------------------------------------------------------------------
# 3.1 Centred differences for a function of several arrays


def _sum_cubes(A):
    return float(np.sum(A**3))


def _sq_product(A, B):
    return float(np.sum((A @ B) ** 2))


def _tanh_layer(W, b, x):
    return float(np.sum(np.tanh(x @ W.T + b)))


def _sum_exp(x):
    return float(np.sum(np.exp(x)))


@SET.exercise("3.1", "numerical_gradients", points=4)
def _(t):
    rng = np.random.default_rng(31)
    with t.case("one array: f(A) = sum(A**3) has gradient 3 A**2", points=1):
        A = rng.standard_normal((3, 4))
        got = t.call(_sum_cubes, [A])
        t.expect(
            isinstance(got, (list, tuple)) and len(got) == 1,
            f"return a list with one gradient per array, got {type(got).__name__}"
            + (f" of length {len(got)}" if isinstance(got, (list, tuple)) else ""),
        )
        t.expect_shape(got[0], A.shape, "the gradient of A")
        t.expect_close(got[0], 3 * A**2, "the gradient of A", rtol=1e-6, atol=1e-8)
    with t.case("two arrays: f(A, B) = sum((A @ B)**2)", points=1):
        A, B = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
        P = A @ B
        got = t.call(_sq_product, [A, B])
        t.expect(
            isinstance(got, (list, tuple)) and len(got) == 2,
            "return a list of two gradients",
        )
        t.expect_close(
            list(got), [2 * P @ B.T, 2 * A.T @ P], "(dA, dB)", rtol=1e-6, atol=1e-8
        )
    with t.case("three arrays of different shapes: a tanh layer f(W, b, x)", points=1):
        W, b, x = (
            rng.standard_normal((4, 3)),
            rng.standard_normal(4),
            rng.standard_normal((5, 3)),
        )
        da = 1 - np.tanh(x @ W.T + b) ** 2  # (5, 4)
        got = t.call(_tanh_layer, [W, b, x])
        t.expect(
            isinstance(got, (list, tuple)) and len(got) == 3,
            "return a list of three gradients",
        )
        t.expect_close(
            list(got),
            [da.T @ x, da.sum(axis=0), da @ W],
            "(dW, db, dx)",
            rtol=1e-6,
            atol=1e-8,
        )
    with t.case(
        "a centred difference with the given eps (checked with eps = 0.01)", points=1
    ):
        x = rng.standard_normal(5)
        expected = (np.exp(x + 0.01) - np.exp(x - 0.01)) / 0.02  # centred, not forward
        got = t.call(_sum_exp, [x], eps=0.01)
        t.expect(
            isinstance(got, (list, tuple)) and len(got) == 1,
            "return a list with one gradient",
        )
        t.expect_close(
            got[0], expected, "the gradient with eps=0.01", rtol=1e-9, atol=1e-12
        )


# --------------------------------------------------------------------------------------------
# 3.2 The worst relative error, and where it is


def _expect_pair(t, got, what):
    t.expect(
        isinstance(got, (tuple, list)) and len(got) == 2,
        f"{what} should return a pair (error, index), got {type(got).__name__}",
    )
    err, index = got
    t.expect(
        isinstance(err, (float, np.floating)),
        f"the error should be a float, got {type(err).__name__}",
    )
    return float(err), index


def _same_index(index, expected):
    try:
        return tuple(int(i) for i in index) == tuple(expected)
    except TypeError:
        return False


@SET.exercise("3.2", "worst_relative_error", points=4)
def _(t):
    with t.case("the error and the index of the worst entry (1-D)", points=1):
        a, n = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.2, 3.0])
        err, index = _expect_pair(t, t.call(a, n), "worst_relative_error")
        t.expect(
            math.isclose(err, 0.2 / 4.2, rel_tol=1e-9),
            f"expected error {0.2 / 4.2:.6g}, got {err:.6g}",
        )
        t.expect(_same_index(index, (1,)), f"expected index (1,), got {index!r}")
    with t.case("a 2-D array: the index is a tuple (row, column)", points=1):
        rng = np.random.default_rng(32)
        a = rng.standard_normal((4, 5))
        n = a.copy()
        n[2, 3] *= 1.5
        n[0, 1] *= 1.01
        expected = abs(a[2, 3] - n[2, 3]) / (abs(a[2, 3]) + abs(n[2, 3]))
        err, index = _expect_pair(t, t.call(a, n), "worst_relative_error")
        t.expect(
            math.isclose(err, expected, rel_tol=1e-9),
            f"expected error {expected:.6g}, got {err:.6g}",
        )
        t.expect(_same_index(index, (2, 3)), f"expected index (2, 3), got {index!r}")
    with t.case(
        "safe denominator: two zeros give 0, and the floor bounds tiny entries",
        points=1,
    ):
        err, _ = _expect_pair(
            t, t.call(np.zeros(3), np.zeros(3)), "worst_relative_error"
        )
        t.expect(err == 0.0, f"two zero arrays should give error 0.0, got {err!r}")
        err, _ = _expect_pair(
            t,
            t.call(np.array([0.0, 1.0]), np.array([1e-14, 1.0])),
            "worst_relative_error",
        )
        t.expect(
            math.isclose(err, 1e-2, rel_tol=1e-9),
            f"0 vs 1e-14 with floor 1e-12 should give 1e-14 / 1e-12 = 0.01, got {err:.6g}",
        )
        err, _ = _expect_pair(
            t,
            t.call(np.array([0.0]), np.array([1e-14]), floor=1e-16),
            "worst_relative_error",
        )
        t.expect(
            math.isclose(err, 1.0, rel_tol=1e-9),
            f"with floor=1e-16 the error should be 1.0, got {err:.6g}",
        )
    with t.case(
        "a NaN or infinity never passes: error inf at the first such entry", points=1
    ):
        a = np.array([[1.0, 2.0], [3.0, 4.0]])
        n = np.array([[1.0, 2.5], [np.nan, 4.0]])
        err, index = _expect_pair(t, t.call(a, n), "worst_relative_error")
        t.expect(
            err == math.inf,
            f"a NaN in the numerical gradient should give error inf, got {err!r}",
        )
        t.expect(
            _same_index(index, (1, 0)),
            f"expected the index of the NaN, (1, 0), got {index!r}",
        )
        err, index = _expect_pair(
            t,
            t.call(np.array([np.inf, 1.0]), np.array([1.0, 1.0])),
            "worst_relative_error",
        )
        t.expect(
            err == math.inf and _same_index(index, (0,)),
            f"an infinite analytic entry should give (inf, (0,)), got ({err!r}, {index!r})",
        )


# --------------------------------------------------------------------------------------------
# 3.3 Which parameter has a bug?


def _model(seed, N, T, D, H, V):
    rng = np.random.default_rng(seed)
    params = random_rnn_problem(rng, N, T, D, H, V)
    targets = rng.integers(0, V, size=(N, T))
    mask = rng.random((N, T)) < 0.8
    mask[:, 0] = True

    def loss(p):
        h, _ = rnn_forward(p["x"], p["h0"], p["Wxh"], p["Whh"], p["bh"])
        s, _ = temporal_affine_forward(h, p["Why"], p["by"])
        return temporal_softmax_cross_entropy(s, targets, mask)[0]

    return params, targets, mask, loss


def _grads_with_bugs(params, targets, mask, bugs=()):
    """Analytic gradients with the named bugs planted (a plain loop, not the package)."""
    p = params
    h, _ = rnn_forward(p["x"], p["h0"], p["Wxh"], p["Whh"], p["bh"])
    s, cache = temporal_affine_forward(h, p["Why"], p["by"])
    _, ds = temporal_softmax_cross_entropy(s, targets, mask)
    dh, dWhy, dby = temporal_affine_backward(ds, cache)
    if "by_mean" in bugs:
        dby = ds.mean(axis=(0, 1))
    if "Why_halved" in bugs:
        dWhy = dWhy * 0.5
    x, h0, Wxh, Whh = p["x"], p["h0"], p["Wxh"], p["Whh"]
    dx = np.zeros_like(x)
    dWxh, dWhh, dbh = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros(Whh.shape[0])
    carry = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = h[:, t - 1] if t > 0 else h0
        delta = dh[:, t] + carry
        da = delta if "no_tanh_derivative" in bugs else delta * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wxh
        dWxh += da.T @ x[:, t]
        dWhh += da.T @ (h[:, t] if "off_by_one" in bugs else h_prev)
        dbh += da[0] if "bias_first_row" in bugs else da.sum(axis=0)
        carry = da @ Whh
    return dict(x=dx, h0=carry, Wxh=dWxh, Whh=dWhh, bh=dbh, Why=dWhy, by=dby)


def _expect_names(t, got, expected, what):
    t.expect(
        isinstance(got, (list, tuple)),
        f"return a list of names, got {type(got).__name__}",
    )
    t.expect(
        list(got) == list(expected),
        f"{what}: expected {list(expected)}, got {list(got)}",
    )


@SET.exercise("3.3", "buggy_parameters", points=6, time_limit=30.0)
def _(t):
    params, targets, mask, loss = _model(33, 3, 5, 3, 4, 5)
    with t.case(
        "no false alarm (correct gradients, also for a loss scaled by 2**20), "
        "and a bug in dby is found",
        points=1,
    ):
        grads = _grads_with_bugs(params, targets, mask)
        _expect_names(t, t.call(loss, grads, params), [], "correct gradients")
        # A power of two scales the loss and every gradient exactly: relative errors do not change,
        # absolute errors grow a millionfold. The threshold is on the *relative* error.
        scale = 2.0**20
        scaled = {k: scale * g for k, g in grads.items()}
        _expect_names(
            t,
            t.call(lambda p: scale * loss(p), scaled, params),
            [],
            "correct gradients of the loss times 2**20 (compare relative, not absolute, errors)",
        )
        # an answer that never reports anything must not earn this point
        buggy = _grads_with_bugs(params, targets, mask, ("by_mean",))
        _expect_names(t, t.call(loss, buggy, params), ["by"], "dby averaged over steps")
    with t.case("an off-by-one in dWhh: only Whh is reported", points=1):
        grads = _grads_with_bugs(params, targets, mask, ("off_by_one",))
        _expect_names(
            t,
            t.call(loss, grads, params),
            ["Whh"],
            "dWhh paired with h_t instead of h_{t-1}",
        )
    with t.case(
        "a missing tanh derivative: everything behind the tanh, in the order of params",
        points=1,
    ):
        grads = _grads_with_bugs(params, targets, mask, ("no_tanh_derivative",))
        _expect_names(
            t,
            t.call(loss, grads, params),
            ["x", "h0", "Wxh", "Whh", "bh"],
            "no tanh derivative",
        )
    with t.case(
        "two bugs at once (db_h from the first sequence only; db_y averaged)", points=1
    ):
        grads = _grads_with_bugs(params, targets, mask, ("bias_first_row", "by_mean"))
        _expect_names(t, t.call(loss, grads, params), ["bh", "by"], "two bias bugs")
    with t.case(
        "a larger model (Whh has 14,400 entries), within the time limit", points=1
    ):
        big, big_targets, big_mask, big_loss = _model(34, 2, 4, 3, 120, 6)
        grads = _grads_with_bugs(big, big_targets, big_mask, ("Why_halved",))
        _expect_names(
            t,
            t.call(big_loss, grads, big),
            ["Why"],
            "a bug in dWhy of the larger model",
        )
    with t.case(
        "at most max_entries entries per array are checked (counted calls of loss)",
        points=1,
    ):
        grads = _grads_with_bugs(params, targets, mask, ("off_by_one",))
        calls = []

        def counted_loss(p):
            calls.append(1)
            return loss(p)

        m = 4
        got = t.call(counted_loss, grads, params, max_entries=m)
        _expect_names(t, got, ["Whh"], f"dWhh paired with h_t, max_entries={m}")
        # two evaluations per checked entry, plus one spare evaluation per array
        allowed = sum(2 * min(m, v.size) + 1 for v in params.values())
        t.expect(
            len(calls) <= allowed,
            f"with max_entries={m} the loss may be evaluated at most {allowed} times "
            f"({len(params)} arrays, 2 evaluations per checked entry), but it was "
            f"evaluated {len(calls)} times: check a random subset, not every entry",
        )
