"""Exercise set 09, "Deep, bidirectional and regularised RNNs": tests for solutions/09_...

Expected values are computed here, independently of the learner's code: the bidirectional pass
and the gradients by explicit per-step loops (no ``rnn_forward``/``rnn_backward``, no slicing
tricks); the dropout masks are *recovered* from the learner's states by inverting the
recurrence, so any correct use of the random generator passes.
"""

from __future__ import annotations

import math

import numpy as np

from rnnbook.grading import ExerciseSet

SET = ExerciseSet("09", "Deep, bidirectional and regularised RNNs")


def _orthogonal(rng, H):
    q, r = np.linalg.qr(rng.standard_normal((H, H)))
    return q * np.sign(np.diag(r))


def _params(rng, D, H, scale=1.0):
    return (
        rng.standard_normal((H, D)) / np.sqrt(D),
        scale * rng.standard_normal((H, H)) / np.sqrt(H),
        0.1 * rng.standard_normal(H),
    )


def _direction_by_loop(x, h0, Wxh, Whh, bh, backward):
    N, T, _ = x.shape
    out = np.zeros((N, T, Whh.shape[0]))
    h = h0
    for t in range(T - 1, -1, -1) if backward else range(T):
        h = np.tanh(x[:, t] @ Wxh.T + h @ Whh.T + bh)
        out[:, t] = h
    return out


# --------------------------------------------------------------------------------------------
# 9.1 Bidirectional forward pass


@SET.exercise("9.1", "bidirectional_rnn_forward", points=4)
def _(t):
    rng = np.random.default_rng(90)
    N, T, D, H = 3, 7, 4, 5
    x = rng.standard_normal((N, T, D))
    h0_f, h0_b = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    pf, pb = _params(rng, D, H), _params(rng, D, H)
    fwd = _direction_by_loop(x, h0_f, *pf, backward=False)
    bwd = _direction_by_loop(x, h0_b, *pb, backward=True)
    with t.case("returns the outputs of shape (N, T, 2H)", points=1):
        out = t.call(x, h0_f, h0_b, pf, pb)
        t.expect_shape(out, (N, T, 2 * H), "the output")
    with t.case("the first H features are the forward direction", points=1):
        out = np.asarray(t.call(x, h0_f, h0_b, pf, pb))
        t.expect_close(
            out[..., :H], fwd, "out[..., :H] (forward direction)", atol=1e-10
        )
    with t.case(
        "the last H features are the backward direction, in time order", points=1
    ):
        out = np.asarray(t.call(x, h0_f, h0_b, pf, pb))
        got = out[..., H:]
        if not np.allclose(got, bwd, atol=1e-10) and np.allclose(
            got, bwd[:, ::-1], atol=1e-10
        ):
            t.fail(
                "out[..., H:] holds the backward states in reversed time order: reverse "
                "them back so that step t of both directions sits at position t"
            )
        t.expect_close(got, bwd, "out[..., H:] (backward direction)", atol=1e-10)
    with t.case(
        "other sizes: T = 1, a batch of one, a wider input (and inputs unchanged)",
        points=1,
    ):
        for N2, T2, D2, H2 in [(2, 1, 3, 4), (1, 9, 6, 3)]:
            x2 = rng.standard_normal((N2, T2, D2))
            a, b = rng.standard_normal((N2, H2)), rng.standard_normal((N2, H2))
            p2, q2 = _params(rng, D2, H2), _params(rng, D2, H2)
            expected = np.concatenate(
                [
                    _direction_by_loop(x2, a, *p2, backward=False),
                    _direction_by_loop(x2, b, *q2, backward=True),
                ],
                axis=-1,
            )
            t.expect_close(
                t.call(x2, a, b, p2, q2),
                expected,
                f"the output for N={N2}, T={T2}",
                atol=1e-10,
            )


# --------------------------------------------------------------------------------------------
# 9.2 Dropout with a mask shared across time


def _recover_masks(x, h, h0, Wxh, Whh, bh):
    """Invert h_t = tanh(x_t Wxh^T + (m_t * h_{t-1}) Whh^T + bh) for m_t: (T, N, H).

    Entries where |h_{t-1}| is small are unreliable and returned as NaN.
    """
    h = np.asarray(h, dtype=float)
    N, T, H = h.shape
    Whh_inv_T = np.linalg.inv(Whh.T)
    masks = np.full((T, N, H), np.nan)
    h_prev = h0
    for t in range(T):
        pre = np.arctanh(np.clip(h[:, t], -1 + 1e-12, 1 - 1e-12)) - x[:, t] @ Wxh.T - bh
        masked = pre @ Whh_inv_T  # m_t * h_{t-1}
        ok = np.abs(h_prev) > 0.05
        masks[t][ok] = masked[ok] / h_prev[ok]
        h_prev = h[:, t]
    return masks


def _dropout_problem(seed, N, T, D=3, H=6):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    h0 = rng.uniform(0.2, 0.7, (N, H)) * rng.choice([-1.0, 1.0], (N, H))
    Wxh = 0.3 * rng.standard_normal((H, D))
    Whh = 0.4 * _orthogonal(rng, H)
    bh = 0.1 * rng.standard_normal(H)
    return x, h0, Wxh, Whh, bh


@SET.exercise("9.2", "variational_rnn_forward", points=4)
def _(t):
    p = 0.25
    x, h0, Wxh, Whh, bh = _dropout_problem(91, N=400, T=5)
    with t.case("p = 0: the plain RNN, output of shape (N, T, H)", points=1):
        h = t.call(x, h0, Wxh, Whh, bh, 0.0, 0)
        t.expect_shape(h, (400, 5, 6), "the hidden states")
        expected = _direction_by_loop(x, h0, Wxh, Whh, bh, backward=False)
        t.expect_close(h, expected, "the hidden states for p = 0", atol=1e-10)

    def recovered():
        h = t.call(x, h0, Wxh, Whh, bh, p, 1)
        t.expect_shape(h, (400, 5, 6), "the hidden states")
        return _recover_masks(x, h, h0, Wxh, Whh, bh)

    with t.case("the mask is the same at every time step", points=1):
        masks = recovered()
        spread = np.nanmax(masks, axis=0) - np.nanmin(masks, axis=0)  # (N, H)
        t.expect(
            np.nanmax(spread) < 1e-6,
            "the mask applied to h_{t-1} changes from step to step; draw it once per "
            "sequence and use the same mask at every step",
        )
    with t.case("entries are 0 or 1/(1 - p) (inverted dropout)", points=1):
        masks = recovered()
        values = masks[np.isfinite(masks)]
        near = np.minimum(np.abs(values), np.abs(values - 1 / (1 - p)))
        t.expect(
            values.size > 0 and np.max(near) < 1e-6,
            f"mask entries must be 0 or 1/(1 - p) = {1 / (1 - p):.4f}; got values such as "
            f"{np.unique(np.round(values, 4))[:5]}",
        )
    with t.case(
        "a fraction p of the units is dropped, independently for every sequence",
        points=1,
    ):
        first = recovered()[0]  # at t = 0, h_{t-1} = h0 has no small entries
        same_as_first_row = np.mean(np.all(np.isclose(first, first[0]), axis=1))
        t.expect(
            same_as_first_row < 0.5,
            "every sequence of the batch needs its own mask of shape (N, H), not one "
            "mask of shape (H,) shared by the batch",
        )
        dropped = np.mean(np.abs(first) < 1e-6)
        t.expect(
            abs(dropped - p) < 0.05,
            f"with p = {p} about {p:.0%} of the mask entries should be 0, got {dropped:.0%}",
        )


# --------------------------------------------------------------------------------------------
# 9.3 Backpropagation from checkpoints


def _bptt_by_loop(x, h0, Wxh, Whh, bh, dh_last):
    """Full BPTT for a loss on the last state, one step at a time (the reference)."""
    N, T, _ = x.shape
    states = [h0]
    for t in range(T):
        states.append(np.tanh(x[:, t] @ Wxh.T + states[-1] @ Whh.T + bh))
    dx = np.zeros_like(x)
    dWxh, dWhh, dbh = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(bh)
    g = dh_last
    for t in range(T, 0, -1):
        da = g * (1 - states[t] ** 2)
        dx[:, t - 1] = da @ Wxh
        dWxh += da.T @ x[:, t - 1]
        dWhh += da.T @ states[t - 1]
        dbh += da.sum(axis=0)
        g = da @ Whh
    return (dx, g, dWxh, dWhh, dbh), states


def _checkpoint_problem(seed, N, T, k, D=3, H=5):
    rng = np.random.default_rng(seed)
    x = 0.5 * rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    Wxh, Whh, bh = _params(rng, D, H, scale=1.2)
    dh_last = rng.standard_normal((N, H))
    expected, states = _bptt_by_loop(x, h0, Wxh, Whh, bh, dh_last)
    checkpoints = np.stack([states[j * k] for j in range(math.ceil(T / k))])
    return (x, checkpoints, Wxh, Whh, bh, dh_last, k), expected


_NAMES = ("dx", "dh0", "dWxh", "dWhh", "dbh")


def _expect_grads(t, got, expected, label):
    got = t.expect_tuple(got, 5, "the return value (dx, dh0, dWxh, dWhh, dbh)")
    for name, g, e in zip(_NAMES, got, expected):
        t.expect_close(g, e, f"{name} ({label})", rtol=1e-7, atol=1e-10)


@SET.exercise("9.3", "backward_from_checkpoints", points=5)
def _(t):
    with t.case(
        "returns (dx, dh0, dWxh, dWhh, dbh) with the shapes of the inputs", points=1
    ):
        args, expected = _checkpoint_problem(930, N=2, T=8, k=4)
        got = t.expect_tuple(
            t.call(*args), 5, "the return value (dx, dh0, dWxh, dWhh, dbh)"
        )
        for name, g, e in zip(_NAMES, got, expected):
            t.expect_shape(g, e.shape, name)
    with t.case("k divides T: the gradients of full BPTT", points=1):
        args, expected = _checkpoint_problem(931, N=3, T=12, k=4)
        _expect_grads(t, t.call(*args), expected, "T = 12, k = 4")
    with t.case("k does not divide T (a shorter last segment)", points=1):
        for T, k in [(13, 4), (10, 3)]:
            args, expected = _checkpoint_problem(932 + T, N=2, T=T, k=k)
            _expect_grads(t, t.call(*args), expected, f"T = {T}, k = {k}")
    with t.case("one step per segment (k = 1) and one segment (k >= T)", points=1):
        for T, k in [(6, 1), (5, 5), (4, 9)]:
            args, expected = _checkpoint_problem(940 + 10 * T + k, N=2, T=T, k=k)
            _expect_grads(t, t.call(*args), expected, f"T = {T}, k = {k}")
    with t.case("a longer sequence, several segment lengths", points=1):
        for k in (5, 7, 16):
            args, expected = _checkpoint_problem(950 + k, N=4, T=40, k=k)
            _expect_grads(t, t.call(*args), expected, f"T = 40, k = {k}")
