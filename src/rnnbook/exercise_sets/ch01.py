"""Exercise set 01, "Sequences and the recurrence": tests for solutions/01_sequences_and_recurrence.

Expected values are computed here, independently of the learner's code: parameter counts from
explicit lists of weight shapes, hidden states from ``rnnbook.scratch.rnn.rnn_forward`` or
from plain
per-example loops written from the equations, memory lengths by simulating the decay step by step.
"""

from __future__ import annotations

import math

import numpy as np

from rnnbook.grading import ExerciseSet
from rnnbook.scratch.rnn import rnn_forward

SET = ExerciseSet("01", "Sequences and the recurrence")


# --------------------------------------------------------------------------------------------
# Independent reference computations


def _stacked_shapes(D, H, V, L, torch_biases):
    """Every parameter array of an L-layer RNN plus output layer, as a list of shapes."""
    shapes = []
    for layer in range(L):
        inputs = D if layer == 0 else H
        shapes += [(H, inputs), (H, H), (H,)]  # Wxh, Whh, bh of this layer
        if torch_biases:
            shapes.append((H,))  # PyTorch's second bias, bias_hh_l{k}
    shapes += [(V, H), (V,)]  # Why, by
    return shapes


def _count(D, H, V, L, torch_biases=False):
    return int(sum(math.prod(s) for s in _stacked_shapes(D, H, V, L, torch_biases)))


def _params(rng, N, T, D, H, C=None):
    x = rng.standard_normal((N, T, D))
    h0 = 0.5 * rng.standard_normal((N, H))
    Wxh = rng.standard_normal((H, D)) / np.sqrt(D)
    Whh = rng.standard_normal((H, H)) / np.sqrt(H)
    bh = 0.1 * rng.standard_normal(H)
    if C is None:
        return x, h0, Wxh, Whh, bh
    Wcls = rng.standard_normal((C, H)) / np.sqrt(H)
    bcls = 0.1 * rng.standard_normal(C)
    return x, h0, Wxh, Whh, bh, Wcls, bcls


def _last_state_scores(x, h0, Wxh, Whh, bh, Wcls, bcls, lengths=None):
    """Reference many-to-one scores: each sequence run alone, truncated to its own length."""
    N, T, _ = x.shape
    lengths = [T] * N if lengths is None else [int(n) for n in lengths]
    scores = np.empty((N, Wcls.shape[0]))
    for n in range(N):
        h, _ = rnn_forward(x[n : n + 1, : lengths[n]], h0[n : n + 1], Wxh, Whh, bh)
        scores[n] = Wcls @ h[0, -1] + bcls
    return scores


def _leaky_loop(x, h0, Wxh, Whh, bh, alpha):
    """Reference leaky RNN: one example and one step at a time, column-vector equations."""
    N, T, _ = x.shape
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), (Whh.shape[0],))
    h = np.empty((N, T, Whh.shape[0]))
    for n in range(N):
        state = h0[n]
        for t in range(T):
            candidate = np.tanh(Wxh @ x[n, t] + Whh @ state + bh)
            state = (1.0 - alpha) * state + alpha * candidate
            h[n, t] = state
    return h


def _memory_by_simulation(w, alpha, fraction):
    """Steps k until |lambda|^k < fraction, found by multiplying step by step."""
    lam = abs((1.0 - alpha) + alpha * w)
    if lam >= 1.0:
        return math.inf
    k, size = 0, 1.0
    while size >= fraction:
        size *= lam
        k += 1
    return k


# --------------------------------------------------------------------------------------------
# 1.1 Parameters of a stacked RNN


@SET.exercise("1.1", "stacked_rnn_param_count", points=4)
def _(t):
    with t.case("one layer: the chapter's formula H(D + H + 1) + V(H + 1)", points=1):
        t.expect_equal(
            t.call(10, 16, 5, 1),
            _count(10, 16, 5, 1),
            "parameter count for D=10, H=16, V=5, L=1",
        )
    with t.case(
        "three layers with D != H (layers 2 and 3 read H numbers, not D)", points=1
    ):
        for D, H, V, L in [(3, 8, 2, 3), (50, 20, 7, 3)]:
            t.expect_equal(
                t.call(D, H, V, L),
                _count(D, H, V, L),
                f"parameter count for D={D}, H={H}, V={V}, L={L}",
            )
    with t.case("torch_biases=True: one extra bias vector per layer", points=1):
        for D, H, V, L in [(10, 16, 5, 1), (4, 6, 3, 2), (7, 5, 2, 4)]:
            t.expect_equal(
                t.call(D, H, V, L, torch_biases=True),
                _count(D, H, V, L, True),
                f"PyTorch parameter count for D={D}, H={H}, V={V}, L={L}",
            )
    with t.case(
        "edge sizes (one unit, one input, one output) and an integer result", points=1
    ):
        for D, H, V, L in [(1, 1, 1, 1), (1, 1, 1, 5), (2, 1, 3, 2)]:
            got = t.call(D, H, V, L)
            t.expect(
                isinstance(got, (int, np.integer)) and not isinstance(got, bool),
                f"return an integer count, got {type(got).__name__}",
            )
            t.expect_equal(
                got,
                _count(D, H, V, L),
                f"parameter count for D={D}, H={H}, V={V}, L={L}",
            )


# --------------------------------------------------------------------------------------------
# 1.2 Many-to-one: classify each sequence from its last hidden state


@SET.exercise("1.2", "many_to_one_scores", points=6)
def _(t):
    rng = np.random.default_rng(12)
    N, T, D, H, C = 4, 6, 3, 5, 2
    args = _params(rng, N, T, D, H, C)
    with t.case(
        "equal lengths: scores of shape (N, C) from the state at the last step",
        points=2,
    ):
        got = t.call(*args)
        t.expect_shape(got, (N, C), "scores")
        t.expect_close(got, _last_state_scores(*args), "scores", rtol=1e-7, atol=1e-10)
    lengths = np.array([6, 2, 4, 1])
    with t.case(
        "lengths given: each sequence uses the state at its own last step", points=2
    ):
        t.expect_close(
            t.call(*args, lengths=lengths),
            _last_state_scores(*args, lengths=lengths),
            "scores with lengths=[6, 2, 4, 1]",
            rtol=1e-7,
            atol=1e-10,
        )
    with t.case(
        "padding is ignored: steps after a sequence's end may hold any values", points=1
    ):
        x, *rest = args
        padded = x.copy()
        for n, length in enumerate(lengths):
            padded[n, length:] = 100.0 * rng.standard_normal((T - length, D))
        expected = _last_state_scores(x, *rest, lengths=lengths)
        t.expect_close(
            t.call(padded, *rest, lengths=lengths),
            expected,
            "scores when the padded steps hold large junk values",
            rtol=1e-7,
            atol=1e-10,
        )
    with t.case("edge sizes: N=1, T=1, H=1, C=1; lengths all equal to T", points=1):
        small = _params(np.random.default_rng(5), 1, 1, 2, 1, 1)
        t.expect_close(
            t.call(*small),
            _last_state_scores(*small),
            "scores for N=T=H=C=1",
            rtol=1e-7,
            atol=1e-10,
        )
        t.expect_close(
            t.call(*args, lengths=np.full(N, T)),
            _last_state_scores(*args),
            "scores with lengths=[T, T, T, T]",
            rtol=1e-7,
            atol=1e-10,
        )


# --------------------------------------------------------------------------------------------
# 1.3 A leaky-integrator RNN


@SET.exercise("1.3", "leaky_rnn_forward", points=6)
def _(t):
    rng = np.random.default_rng(13)
    N, T, D, H = 3, 7, 4, 5
    args = _params(rng, N, T, D, H)
    with t.case("alpha = 1 gives the plain Elman-style RNN, shape (N, T, H)", points=2):
        expected, _ = rnn_forward(*args)
        got = t.call(*args, 1.0)
        t.expect_shape(got, (N, T, H), "h")
        t.expect_close(got, expected, "h with alpha=1", rtol=1e-7, atol=1e-10)
    with t.case("alpha = 0.3 matches the leaky recurrence", points=2):
        t.expect_close(
            t.call(*args, 0.3),
            _leaky_loop(*args, 0.3),
            "h with alpha=0.3",
            rtol=1e-7,
            atol=1e-10,
        )
    with t.case("one alpha per hidden unit (an array of shape (H,))", points=1):
        alpha = np.array([1.0, 0.5, 0.2, 0.05, 0.8])
        t.expect_close(
            t.call(*args, alpha),
            _leaky_loop(*args, alpha),
            "h with per-unit alpha",
            rtol=1e-7,
            atol=1e-10,
        )
    with t.case("edge sizes: N=1, T=1, H=1", points=1):
        small = _params(np.random.default_rng(3), 1, 1, 2, 1)
        t.expect_close(
            t.call(*small, 0.25),
            _leaky_loop(*small, 0.25),
            "h for N=T=H=1",
            rtol=1e-7,
            atol=1e-10,
        )


# --------------------------------------------------------------------------------------------
# 1.4 How long a leaky unit remembers


@SET.exercise("1.4", "memory_steps", points=4)
def _(t):
    # Cases are chosen away from the boundary where ln(fraction)/ln(lambda) is a whole number, so
    # that a closed-form answer and a step-by-step simulation agree.
    with t.case(
        "plain unit (alpha = 1): the chapter's ln(0.1)/ln(w), rounded up", points=1
    ):
        for w in [0.5, 0.9, 0.3]:
            t.expect_equal(
                t.call(w, 1.0),
                _memory_by_simulation(w, 1.0, 0.1),
                f"memory_steps({w}, 1.0)",
            )
    with t.case("a leaky unit remembers longer", points=1):
        for w, alpha in [(0.5, 0.1), (0.9, 0.25), (0.0, 0.2)]:
            t.expect_equal(
                t.call(w, alpha),
                _memory_by_simulation(w, alpha, 0.1),
                f"memory_steps({w}, {alpha})",
            )
    with t.case("another fraction, and a negative recurrent weight", points=1):
        for w, alpha, fraction in [
            (0.8, 0.5, 0.01),
            (-0.7, 1.0, 0.1),
            (-0.5, 0.4, 0.05),
        ]:
            t.expect_equal(
                t.call(w, alpha, fraction=fraction),
                _memory_by_simulation(w, alpha, fraction),
                f"memory_steps({w}, {alpha}, fraction={fraction})",
            )
    with t.case("no decay (|lambda| >= 1) returns math.inf", points=1):
        for w, alpha in [(1.0, 0.3), (1.5, 1.0), (-3.0, 1.0)]:
            got = t.call(w, alpha)
            t.expect(
                got == math.inf,
                f"memory_steps({w}, {alpha}) should be math.inf, got {got!r}",
            )
