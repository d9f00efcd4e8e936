"""Exercise set 06, "LSTM": tests for solutions/06_lstm.ipynb.

Expected values are computed here, independently of the learner's code: the peephole step
from the equations written gate by gate below; the coupled input-forget LSTM through its
equivalence with a standard LSTM (``1 - sigma(a) = sigma(-a)``) run by the package's
``lstm_forward``; the cell-state gradient by the package's ``lstm_backward``; the forgetting
horizon by running the leak sigma(b_f)^k step by step (not the closed form the learner
writes); the peephole step backward pass (6.5) by centred finite differences of the
peephole forward step written here, so neither the package's nor the learner's
backward pass is the yardstick.

"No loop over time" in 6.3 is tested by time: on a sequence of 50 000 steps the learner's
function must run within a generous factor of a vectorised version timed at the same moment
(a Python loop over the steps is about a hundred times slower).
"""

from __future__ import annotations

import math
import time

import numpy as np

from rnnbook.grading import ExerciseSet
from rnnbook.scratch.lstm import lstm_backward, lstm_forward, lstm_step_forward

SET = ExerciseSet("06", "LSTM")


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _lstm_params(rng, N, D, H, T=None, blocks=4):
    x = rng.standard_normal((N, D) if T is None else (N, T, D))
    h0 = 0.5 * rng.standard_normal((N, H))
    c0 = rng.standard_normal((N, H))
    Wx = rng.standard_normal((blocks * H, D)) / np.sqrt(D)
    Wh = rng.standard_normal((blocks * H, H)) / np.sqrt(H)
    b = 0.3 * rng.standard_normal(blocks * H)
    return x, h0, c0, Wx, Wh, b


# --------------------------------------------------------------------------------------------
# 6.1 An LSTM step with peephole connections


def _peephole_reference(x, h_prev, c_prev, Wx, Wh, b, P):
    """Gers et al. (2002): i and f peek at c_{t-1}, o at the new c_t. P rows: p_i, p_f, p_o."""
    H = h_prev.shape[1]
    W_i, W_f, W_g, W_o = (Wx[k * H : (k + 1) * H] for k in range(4))
    U_i, U_f, U_g, U_o = (Wh[k * H : (k + 1) * H] for k in range(4))
    b_i, b_f, b_g, b_o = (b[k * H : (k + 1) * H] for k in range(4))
    i = _sigmoid(x @ W_i.T + h_prev @ U_i.T + P[0] * c_prev + b_i)
    f = _sigmoid(x @ W_f.T + h_prev @ U_f.T + P[1] * c_prev + b_f)
    g = np.tanh(x @ W_g.T + h_prev @ U_g.T + b_g)
    c_next = f * c_prev + i * g
    o = _sigmoid(x @ W_o.T + h_prev @ U_o.T + P[2] * c_next + b_o)
    return o * np.tanh(c_next), c_next


def _peephole_case(seed, N, D, H, zero_peepholes=False):
    rng = np.random.default_rng(seed)
    args = _lstm_params(rng, N, D, H)
    P = np.zeros((3, H)) if zero_peepholes else rng.standard_normal((3, H))
    return (*args, P), _peephole_reference(*args, P)


@SET.exercise("6.1", "lstm_peephole_step_forward", points=4)
def _(t):
    args, expected = _peephole_case(61, 3, 4, 5)
    with t.case("returns (h_next, c_next), each of shape (N, H)", points=1):
        got = t.expect_tuple(t.call(*args), 2, "the result")
        t.expect_shape(got[0], (3, 5), "h_next")
        t.expect_shape(got[1], (3, 5), "c_next")
    with t.case(
        "with all peephole weights zero it is the standard LSTM step", points=1
    ):
        args0, _ = _peephole_case(62, 3, 4, 5, zero_peepholes=True)
        (h_std, c_std), _ = lstm_step_forward(*args0[:6])
        got = t.expect_tuple(t.call(*args0), 2, "the result")
        t.expect_close(got[1], c_std, "c_next with P = 0", rtol=1e-7, atol=1e-10)
        t.expect_close(got[0], h_std, "h_next with P = 0", rtol=1e-7, atol=1e-10)
    with t.case("input and forget gates peek at c_prev: c_next is right", points=1):
        got = t.expect_tuple(t.call(*args), 2, "the result")
        t.expect_close(got[1], expected[1], "c_next", rtol=1e-7, atol=1e-10)
    with t.case(
        "the output gate peeks at the NEW cell state c_next: h_next is right", points=1
    ):
        got = t.expect_tuple(t.call(*args), 2, "the result")
        t.expect_close(got[0], expected[0], "h_next", rtol=1e-7, atol=1e-10)
        for seed, N, D, H in [(63, 1, 2, 3), (64, 2, 3, 1), (65, 1, 1, 1)]:
            args2, expected2 = _peephole_case(seed, N, D, H)
            got = t.expect_tuple(t.call(*args2), 2, "the result")
            t.expect_close(
                got[0],
                expected2[0],
                f"h_next for N={N}, D={D}, H={H}",
                rtol=1e-7,
                atol=1e-10,
            )
            t.expect_close(
                got[1],
                expected2[1],
                f"c_next for N={N}, D={D}, H={H}",
                rtol=1e-7,
                atol=1e-10,
            )


# --------------------------------------------------------------------------------------------
# 6.2 Coupled input-forget gate (CIFG)


def _cifg_reference(x, h0, c0, Wx, Wh, b):
    """A CIFG LSTM (blocks i, g, o) is a standard LSTM whose forget block is minus its input
    block."""
    H = h0.shape[1]
    i_, g_, o_ = slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)
    Wx4 = np.concatenate([Wx[i_], -Wx[i_], Wx[g_], Wx[o_]])
    Wh4 = np.concatenate([Wh[i_], -Wh[i_], Wh[g_], Wh[o_]])
    b4 = np.concatenate([b[i_], -b[i_], b[g_], b[o_]])
    (h, c), _ = lstm_forward(x, h0, c0, Wx4, Wh4, b4)
    return h, c


def _cifg_case(seed, N, T, D, H):
    rng = np.random.default_rng(seed)
    args = _lstm_params(rng, N, D, H, T=T, blocks=3)
    return args, _cifg_reference(*args)


@SET.exercise("6.2", "cifg_lstm_forward", points=4)
def _(t):
    args, expected = _cifg_case(71, 3, 6, 4, 5)
    with t.case("returns (h, c), each of shape (N, T, H)", points=1):
        got = t.expect_tuple(t.call(*args), 2, "the result")
        t.expect_shape(got[0], (3, 6, 5), "h")
        t.expect_shape(got[1], (3, 6, 5), "c")
    with t.case("one time step (gate order i, g, o; f = 1 - i)", points=1):
        args1, expected1 = _cifg_case(72, 2, 1, 3, 4)
        got = t.expect_tuple(t.call(*args1), 2, "the result")
        t.expect_close(got[1], expected1[1], "c after one step", rtol=1e-7, atol=1e-10)
        t.expect_close(got[0], expected1[0], "h after one step", rtol=1e-7, atol=1e-10)
    with t.case("a whole sequence: the state is carried from step to step", points=1):
        got = t.expect_tuple(t.call(*args), 2, "the result")
        t.expect_close(got[1], expected[1], "c", rtol=1e-7, atol=1e-10)
        t.expect_close(got[0], expected[0], "h", rtol=1e-7, atol=1e-10)
    with t.case("edge sizes: a batch of one, one hidden unit", points=1):
        for seed, N, T, D, H in [(73, 1, 4, 2, 3), (74, 2, 3, 2, 1), (75, 1, 1, 1, 1)]:
            args2, expected2 = _cifg_case(seed, N, T, D, H)
            got = t.expect_tuple(t.call(*args2), 2, "the result")
            t.expect_close(
                got[0],
                expected2[0],
                f"h for N={N}, T={T}, H={H}",
                rtol=1e-7,
                atol=1e-10,
            )
            t.expect_close(
                got[1],
                expected2[1],
                f"c for N={N}, T={T}, H={H}",
                rtol=1e-7,
                atol=1e-10,
            )


# --------------------------------------------------------------------------------------------
# 6.3 The gradient of c_T with respect to c_0 through the forget gates


def _carousel_case(seed, N, T, D, H):
    """Gates that read only x (Wh = 0): the package's BPTT gives dL/dc0 for L = sum(c_T * dc_T)."""
    rng = np.random.default_rng(seed)
    x, h0, c0, Wx, _, b = _lstm_params(rng, N, D, H, T=T)
    b[H : 2 * H] += 1.0  # forget gates mostly open, so the gradient is not tiny
    dc_T = rng.standard_normal((N, H))
    _, cache = lstm_forward(x, h0, c0, Wx, np.zeros((4 * H, H)), b)
    dc0 = lstm_backward(np.zeros((N, T, H)), cache, dc_T=dc_T)[2]
    return (x, Wx, b, dc_T), dc0


_SLOWER = 10  # generous: a Python loop over 50 000 steps is ~100 times slower


def _timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def _dc0_vectorised(x, Wx, b, dc_T):
    """The yardstick for the timing case: all forget gates at once, one product over time."""
    H = dc_T.shape[1]
    f = _sigmoid(x @ Wx[H : 2 * H].T + b[H : 2 * H])
    return dc_T * np.exp(np.sum(np.log(f), axis=1))


@SET.exercise("6.3", "dc0_through_forget_gates", points=4)
def _(t):
    args, expected = _carousel_case(81, 3, 5, 4, 6)
    with t.case("returns an array of shape (N, H)", points=1):
        t.expect_shape(t.call(*args), (3, 6), "dc0")
    with t.case("one time step: dc0 = dc_T * f_1", points=1):
        args1, expected1 = _carousel_case(82, 2, 1, 3, 4)
        t.expect_close(
            t.call(*args1), expected1, "dc0 for T = 1", rtol=1e-7, atol=1e-12
        )
    with t.case(
        "T steps: the product of the forget gates (matches full BPTT)", points=1
    ):
        t.expect_close(t.call(*args), expected, "dc0", rtol=1e-7, atol=1e-12)
        args2, expected2 = _carousel_case(83, 1, 30, 2, 1)
        t.expect_close(
            t.call(*args2), expected2, "dc0 for N=1, T=30, H=1", rtol=1e-7, atol=1e-14
        )
    with t.case(
        "no loop over time: T = 50 000 steps in about the time of one", points=1
    ):
        rng = np.random.default_rng(84)
        T_long, H = 50_000, 2
        x = rng.standard_normal((1, T_long, 1))
        Wx = 0.1 * rng.standard_normal((4 * H, 1))
        b = np.zeros(4 * H)
        b[H : 2 * H] = 9.0  # f close to 1, so the product over 50 000 steps stays > 0
        dc_T = np.ones((1, H))
        expected = _dc0_vectorised(x, Wx, b, dc_T)
        reference = min(_timed(_dc0_vectorised, x, Wx, b, dc_T)[1] for _ in range(3))
        limit = _SLOWER * reference + 0.02
        got, seconds = _timed(t.call, x, Wx, b, dc_T)
        if seconds > limit:  # a second try, in case the machine stalled
            got, seconds = _timed(t.call, x, Wx, b, dc_T)
        t.expect_close(got, expected, "dc0 for T = 50 000", rtol=1e-6, atol=0)
        t.expect(
            seconds <= limit,
            f"took {seconds:.2f} s where a vectorised version takes {reference:.3f} s: "
            "compute all forget gates with one product and multiply them along the time "
            "axis instead of looping over the steps",
        )


# --------------------------------------------------------------------------------------------
# 6.4 How long does a cell remember at initialisation?


def _horizon(forget_bias, fraction):
    """Run the leak: keep multiplying by sigma(b_f) and count the steps until <= fraction."""
    keep = 1.0 / (1.0 + math.exp(-forget_bias))
    content, k = 1.0, 0
    while content > fraction:
        content *= keep
        k += 1
    return k


@SET.exercise("6.4", "forgetting_horizon", points=2)
def _(t):
    with t.case("b_f = 0 (f = 1/2) and b_f = 1, fraction 0.01", points=1):
        for bf in (0.0, 1.0):
            got = t.call(bf, 0.01)
            t.expect(
                isinstance(got, (int, np.integer)),
                f"return an int (a number of steps), got {type(got).__name__}",
            )
            t.expect_equal(
                int(got), _horizon(bf, 0.01), f"horizon for b_f = {bf}, fraction 0.01"
            )
    with t.case("other biases and fractions, including b_f = 5", points=1):
        for bf, frac in [(3.0, 0.01), (5.0, 0.5), (2.0, 1e-6), (-1.0, 0.1)]:
            t.expect_equal(
                int(t.call(bf, frac)),
                _horizon(bf, frac),
                f"horizon for b_f = {bf}, fraction {frac}",
            )


# --------------------------------------------------------------------------------------------
# 6.5 The backward pass of an LSTM step with peepholes (hard)


def _numerical_grads(step, args, upstream, eps=1e-6):
    """Centred differences of L = sum(out_k * upstream_k) with respect to every argument."""

    def loss(values):
        return sum(np.sum(o * u) for o, u in zip(step(*values), upstream))

    grads = []
    for k, a in enumerate(args):
        grad = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [v.copy() for v in args]
            minus = [v.copy() for v in args]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            grad[idx] = (loss(plus) - loss(minus)) / (2 * eps)
        grads.append(grad)
    return grads


_PEEPHOLE_GRADS = ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db", "dP")


def _peephole_backward_case(seed, N, D, H, dh=True, dc=True, zero_peepholes=False):
    """Inputs (dh_next, dc_next, x, h_prev, c_prev, Wx, Wh, b, P) and the numerical grads."""
    rng = np.random.default_rng(seed)
    args = _lstm_params(rng, N, D, H)
    P = np.zeros((3, H)) if zero_peepholes else rng.standard_normal((3, H))
    dh_next = rng.standard_normal((N, H)) if dh else np.zeros((N, H))
    dc_next = rng.standard_normal((N, H)) if dc else np.zeros((N, H))
    expected = _numerical_grads(_peephole_reference, (*args, P), (dh_next, dc_next))
    return (dh_next, dc_next, *args, P), expected


@SET.exercise(
    "6.5",
    "lstm_peephole_step_backward",
    points=6,
    forbidden=(
        "rnnbook.scratch.lstm.lstm_step_backward",
        "rnnbook.scratch.lstm.lstm_backward",
    ),
)
def _(t):
    def call(*args):
        got = t.call(*args)
        return t.expect_tuple(
            got, 7, "the result (dx, dh_prev, dc_prev, dWx, dWh, db, dP)"
        )

    def expect_grads(got, expected, which, label=""):
        for k in which:
            name = f"{_PEEPHOLE_GRADS[k]} {label}".strip()
            t.expect_close(got[k], expected[k], name, rtol=1e-5, atol=1e-7)

    args, expected = _peephole_backward_case(101, 3, 4, 5)
    with t.case("returns the seven gradients, each shaped like its input"):
        got = call(*args)
        for k, (name, value) in enumerate(zip(_PEEPHOLE_GRADS, args[2:])):
            t.expect_shape(got[k], value.shape, name)
    with t.case("P = 0, only dc_next arrives (dh_next = 0): the carousel through f"):
        args1, expected1 = _peephole_backward_case(
            102, 3, 4, 5, dh=False, zero_peepholes=True
        )
        expect_grads(call(*args1), expected1, range(7), "(P = 0, dh_next = 0)")
    with t.case("P = 0, only dh_next arrives (dc_next = 0): through o and tanh(c_t)"):
        args1, expected1 = _peephole_backward_case(
            103, 3, 4, 5, dc=False, zero_peepholes=True
        )
        expect_grads(call(*args1), expected1, range(7), "(P = 0, dc_next = 0)")
    with t.case("with peepholes: dc_prev collects the paths through f, i and p_i, p_f"):
        expect_grads(call(*args), expected, [2])
    with t.case("with peepholes: dx, dh_prev, dWx, dWh and db"):
        expect_grads(call(*args), expected, [0, 1, 3, 4, 5])
    with t.case(
        "with peepholes: dP (o peeks at the new cell), also for N = 1 and H = 1"
    ):
        expect_grads(call(*args), expected, [6])
        for seed, N, D, H in [(104, 1, 2, 3), (105, 2, 3, 1)]:
            args2, expected2 = _peephole_backward_case(seed, N, D, H)
            expect_grads(call(*args2), expected2, range(7), f"for N={N}, H={H}")
