"""Exercise set 02, "Backpropagation through time".

Tests for solutions/02_backpropagation_through_time.

Expected values are computed here, independently of the learner's code: gradients by centred
differences (``rnnbook.scratch.gradcheck.numerical_gradient``) of forward passes written in
this module,
and truncated BPTT by running the package's ``rnn_forward``/``rnn_backward`` window by window.
"""

from __future__ import annotations

import numpy as np

from rnnbook.grading import ExerciseSet
from rnnbook.scratch.gradcheck import numerical_gradient
from rnnbook.scratch.rnn import rnn_backward, rnn_forward

SET = ExerciseSet("02", "Backpropagation through time")

GRAD_NAMES = ("dx", "dh_prev", "dWxh", "dWhh", "dbh")


# --------------------------------------------------------------------------------------------
# Independent reference computations


def _params(rng, N, T, D, H):
    x = rng.standard_normal((N, T, D)) if T else rng.standard_normal((N, D))
    h0 = 0.5 * rng.standard_normal((N, H))
    Wxh = rng.standard_normal((H, D)) / np.sqrt(D)
    Whh = rng.standard_normal((H, H)) / np.sqrt(H)
    bh = 0.1 * rng.standard_normal(H)
    return x, h0, Wxh, Whh, bh


def _relu_step(x, h_prev, Wxh, Whh, bh):
    return np.maximum(0.0, x @ Wxh.T + h_prev @ Whh.T + bh)


def _numerical_step_grads(step, args, dh_next):
    """Centred-difference gradients of sum(step(*args) * dh_next) for every argument."""
    args = [a.copy() for a in args]
    grads = []
    for i in range(len(args)):
        grads.append(numerical_gradient(lambda _: step(*args), args[i], df=dh_next))
    return tuple(grads)


def _relu_case(seed, N, D, H):
    rng = np.random.default_rng(seed)
    x, h_prev, Wxh, Whh, bh = _params(rng, N, 0, D, H)
    a = x @ Wxh.T + h_prev @ Whh.T + bh
    # keep every pre-activation away from the kink at 0, where finite differences are meaningless
    bh = bh + np.where(np.abs(a) < 1e-3, 1e-2, 0.0).max(axis=0)
    h_next = _relu_step(x, h_prev, Wxh, Whh, bh)
    dh_next = rng.standard_normal((N, H))
    cache = (x, h_prev, Wxh, Whh, h_next)
    expected = _numerical_step_grads(_relu_step, (x, h_prev, Wxh, Whh, bh), dh_next)
    return dh_next, cache, expected


def _many_to_one_loss(x, h0, Wxh, Whh, bh, Wcls, bcls, y, lengths=None):
    """Mean cross-entropy of the classifier on each sequence's last real state (row by row)."""
    N, T, _ = x.shape
    lengths = [T] * N if lengths is None else [int(n) for n in lengths]
    total = 0.0
    for n in range(N):
        h, _ = rnn_forward(x[n : n + 1, : lengths[n]], h0[n : n + 1], Wxh, Whh, bh)
        s = Wcls @ h[0, -1] + bcls
        total += np.log(np.sum(np.exp(s - s.max()))) + s.max() - s[y[n]]
    return total / N


def _many_to_one_case(seed, N, T, D, H, C, lengths=None):
    rng = np.random.default_rng(seed)
    x, h0, Wxh, Whh, bh = _params(rng, N, T, D, H)
    Wcls = rng.standard_normal((C, H)) / np.sqrt(H)
    bcls = 0.1 * rng.standard_normal(C)
    y = rng.integers(0, C, size=N)
    args = [x, h0, Wxh, Whh, bh, Wcls, bcls]
    loss = _many_to_one_loss(*args, y, lengths)
    work = [a.copy() for a in args]
    grads = tuple(
        numerical_gradient(lambda _: _many_to_one_loss(*work, y, lengths), work[i])
        for i in range(len(work))
    )
    return args, y, loss, grads


def _truncated_reference(dh, x, h0, Wxh, Whh, bh, k):
    """Truncated BPTT as independent windows: run the package's BPTT on each window of k steps.

    The state entering a window is treated as a constant, so no gradient crosses a window
    boundary; the weight gradients of all windows add up; dh0 comes from the first window.
    """
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dWxh, dWhh, dbh = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(bh)
    h_start, dh0 = h0, None
    for start in range(0, T, k):
        stop = min(start + k, T)
        h, cache = rnn_forward(x[:, start:stop], h_start, Wxh, Whh, bh)
        gx, gh0, gWxh, gWhh, gbh = rnn_backward(dh[:, start:stop], cache)
        dx[:, start:stop] = gx
        dWxh += gWxh
        dWhh += gWhh
        dbh += gbh
        if dh0 is None:
            dh0 = gh0
        h_start = h[:, -1]
    return dx, dh0, dWxh, dWhh, dbh


def _truncated_case(seed, N, T, D, H, k):
    rng = np.random.default_rng(seed)
    x, h0, Wxh, Whh, bh = _params(rng, N, T, D, H)
    _, cache = rnn_forward(x, h0, Wxh, Whh, bh)
    dh = rng.standard_normal((N, T, H))
    return dh, cache, _truncated_reference(dh, x, h0, Wxh, Whh, bh, k)


# --------------------------------------------------------------------------------------------
# 2.1 Backward of a ReLU RNN step


@SET.exercise("2.1", "relu_rnn_step_backward", points=4)
def _(t):
    dh_next, cache, expected = _relu_case(21, 4, 3, 5)
    with t.case(
        "dx and dh_prev: the ReLU passes the gradient only where h_next > 0", points=1
    ):
        got = t.expect_tuple(t.call(dh_next, cache), 5, "the result")
        for i in (0, 1):
            t.expect_shape(got[i], expected[i].shape, GRAD_NAMES[i])
            t.expect_close(got[i], expected[i], GRAD_NAMES[i], rtol=1e-5, atol=1e-7)
    with t.case("dWxh and dWhh: summed over the batch", points=1):
        got = t.expect_tuple(t.call(dh_next, cache), 5, "the result")
        for i in (2, 3):
            t.expect_shape(got[i], expected[i].shape, GRAD_NAMES[i])
            t.expect_close(got[i], expected[i], GRAD_NAMES[i], rtol=1e-5, atol=1e-7)
    with t.case("dbh: summed over the batch, shape (H,)", points=1):
        got = t.expect_tuple(t.call(dh_next, cache), 5, "the result")
        t.expect_shape(got[4], expected[4].shape, "dbh")
        t.expect_close(got[4], expected[4], "dbh", rtol=1e-5, atol=1e-7)
    with t.case("edge sizes: a batch of one, one hidden unit", points=1):
        for seed, N, D, H in [(22, 1, 3, 4), (23, 3, 2, 1), (24, 1, 1, 1)]:
            dh_next, cache, expected = _relu_case(seed, N, D, H)
            got = t.expect_tuple(t.call(dh_next, cache), 5, "the result")
            for name, g, e in zip(GRAD_NAMES, got, expected):
                t.expect_shape(g, e.shape, f"{name} for N={N}, D={D}, H={H}")
                t.expect_close(
                    g, e, f"{name} for N={N}, D={D}, H={H}", rtol=1e-5, atol=1e-7
                )


# --------------------------------------------------------------------------------------------
# 2.2 Many-to-one: the loss only on the last state


M2O_NAMES = ("dx", "dh0", "dWxh", "dWhh", "dbh", "dWcls", "dbcls")


@SET.exercise("2.2", "many_to_one_backward", points=6)
def _(t):
    args, y, loss, expected = _many_to_one_case(31, 3, 5, 3, 4, 3)
    with t.case(
        "the loss (mean cross-entropy over the batch) and seven gradients of the right "
        "shapes",
        points=1,
    ):
        got = t.expect_tuple(t.call(*args, y), 2, "the result")
        t.expect_close(got[0], loss, "loss", rtol=1e-7, atol=1e-10)
        grads = t.expect_tuple(got[1], 7, "grads")
        for name, g, e in zip(M2O_NAMES, grads, expected):
            t.expect_shape(g, e.shape, name)
    with t.case("dWcls and dbcls", points=1):
        grads = t.expect_tuple(
            t.expect_tuple(t.call(*args, y), 2, "the result")[1], 7, "grads"
        )
        t.expect_close(
            grads[5:], list(expected[5:]), "(dWcls, dbcls)", rtol=1e-5, atol=1e-8
        )
    with t.case("dx, dh0, dWxh, dWhh, dbh: BPTT from the last step only", points=2):
        grads = t.expect_tuple(
            t.expect_tuple(t.call(*args, y), 2, "the result")[1], 7, "grads"
        )
        for name, g, e in zip(M2O_NAMES[:5], grads[:5], expected[:5]):
            t.expect_close(g, e, name, rtol=1e-5, atol=1e-8)
    with t.case(
        "lengths given: the gradient enters at each sequence's own last step", points=1
    ):
        lengths = np.array([5, 2, 3])
        args2, y2, loss2, expected2 = _many_to_one_case(32, 3, 5, 3, 4, 3, lengths)
        got = t.expect_tuple(t.call(*args2, y2, lengths=lengths), 2, "the result")
        t.expect_close(
            got[0], loss2, "loss with lengths=[5, 2, 3]", rtol=1e-7, atol=1e-10
        )
        grads = t.expect_tuple(got[1], 7, "grads")
        for name, g, e in zip(M2O_NAMES, grads, expected2):
            t.expect_close(g, e, f"{name} with lengths=[5, 2, 3]", rtol=1e-5, atol=1e-8)
    with t.case("edge sizes: N=1, T=1, H=1", points=1):
        for seed, N, T, H in [(33, 1, 4, 3), (34, 2, 1, 3), (35, 1, 1, 1)]:
            args3, y3, loss3, expected3 = _many_to_one_case(seed, N, T, 2, H, 2)
            got = t.expect_tuple(t.call(*args3, y3), 2, "the result")
            t.expect_close(
                got[0], loss3, f"loss for N={N}, T={T}, H={H}", rtol=1e-7, atol=1e-10
            )
            grads = t.expect_tuple(got[1], 7, "grads")
            for name, g, e in zip(M2O_NAMES, grads, expected3):
                t.expect_close(
                    g, e, f"{name} for N={N}, T={T}, H={H}", rtol=1e-5, atol=1e-8
                )


# --------------------------------------------------------------------------------------------
# 2.3 Truncated BPTT


TRUNC_NAMES = ("dx", "dh0", "dWxh", "dWhh", "dbh")


@SET.exercise("2.3", "rnn_backward_truncated", points=5)
def _(t):
    def expect_grads(got, expected, label, names=TRUNC_NAMES):
        for name, g, e in zip(TRUNC_NAMES, got, expected):
            if name in names:
                t.expect_close(g, e, f"{name} {label}", rtol=1e-8, atol=1e-12)

    no_dh0 = ("dx", "dWxh", "dWhh", "dbh")
    with t.case("k >= T is full BPTT: dx and the weight gradients", points=1):
        dh, cache, _ = _truncated_case(41, 3, 6, 2, 4, 6)
        full = rnn_backward(dh, cache)
        for k in (6, 10):
            got = t.expect_tuple(t.call(dh, cache, k), 5, "the result")
            expect_grads(got, full, f"with k={k} >= T=6", no_dh0)
    with t.case(
        "k = 1: no gradient flows from a step to the one before (dx, weights)", points=1
    ):
        dh, cache, expected = _truncated_case(42, 2, 5, 3, 4, 1)
        got = t.expect_tuple(t.call(dh, cache, 1), 5, "the result")
        expect_grads(got, expected, "with k=1", no_dh0)
    with t.case(
        "windows of k = 3 over T = 9, and a last window shorter than k (T = 7)",
        points=1,
    ):
        for seed, N, T, D, H in [(43, 3, 9, 2, 5), (44, 2, 7, 3, 4)]:
            dh, cache, expected = _truncated_case(seed, N, T, D, H, 3)
            got = t.expect_tuple(t.call(dh, cache, 3), 5, "the result")
            expect_grads(got, expected, f"with T={T}, k=3", no_dh0)
    with t.case(
        "dh0: the gradient the first window sends into the true h0 (not dropped)",
        points=1,
    ):
        for seed, T, k in [(41, 6, 6), (44, 7, 3), (42, 5, 1)]:
            dh, cache, expected = _truncated_case(seed, 2, T, 3, 4, k)
            got = t.expect_tuple(t.call(dh, cache, k), 5, "the result")
            expect_grads(got, expected, f"with T={T}, k={k}", ("dh0",))
    with t.case("edge sizes: N=1, H=1, T=1 (all five gradients)", points=1):
        for seed, N, T, H, k in [(45, 1, 5, 3, 2), (46, 2, 4, 1, 2), (47, 1, 1, 1, 1)]:
            dh, cache, expected = _truncated_case(seed, N, T, 2, H, k)
            got = t.expect_tuple(t.call(dh, cache, k), 5, "the result")
            expect_grads(got, expected, f"for N={N}, T={T}, H={H}, k={k}")
