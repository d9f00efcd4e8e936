"""Exercise set 07, "GRU": tests for solutions/07_gru.

Expected values are computed here, independently of the learner's code: the original-convention
GRU step by the package's ``gru_step_forward(variant="original")``; the Keras layout by
``rnnbook.frameworks.keras_interop.gru_to_keras``; parameter counts from the formula written below; the
minimal gated unit through its equivalence with an original GRU whose reset gate is f and whose
update gate is 1 - f (``1 - sigma(a) = sigma(-a)``).
"""

from __future__ import annotations

import numpy as np

from rnnbook.frameworks.keras_interop import gru_to_keras
from rnnbook.grading import ExerciseSet
from rnnbook.scratch.gru import gru_step_forward

SET = ExerciseSet("07", "GRU")


def _gru_params(rng, N, D, H, blocks=3):
    x = rng.standard_normal((N, D))
    h_prev = 0.8 * rng.standard_normal((N, H))
    Wx = rng.standard_normal((blocks * H, D)) / np.sqrt(D)
    Wh = rng.standard_normal((blocks * H, H)) / np.sqrt(H)
    bx = 0.3 * rng.standard_normal(blocks * H)
    bh = 0.3 * rng.standard_normal(blocks * H)
    return x, h_prev, Wx, Wh, bx, bh


# --------------------------------------------------------------------------------------------
# 7.1 The original GRU step from PyTorch-layout weights


def _original_case(seed, N, D, H, open_reset=False):
    rng = np.random.default_rng(seed)
    args = _gru_params(rng, N, D, H)
    if open_reset:  # r = 1: the original and the reset-after cell coincide
        x, h_prev, Wx, Wh, bx, bh = args
        Wx[:H] = 0.0
        Wh[:H] = 0.0
        bx[:H] = 40.0
        bh[:H] = 0.0
    h_next, _ = gru_step_forward(*args, variant="original")
    return args, h_next


@SET.exercise("7.1", "gru_original_step", points=4)
def _(t):
    args, expected = _original_case(71, 3, 4, 5)
    with t.case("returns h_next of shape (N, H)", points=1):
        t.expect_shape(t.call(*args), (3, 5), "h_next")
    with t.case(
        "with the reset gate forced open (r = 1): gate order r, z, n and the update rule",
        points=1,
    ):
        args1, expected1 = _original_case(72, 3, 4, 5, open_reset=True)
        t.expect_close(
            t.call(*args1), expected1, "h_next with r = 1", rtol=1e-7, atol=1e-10
        )
    with t.case("the reset gate scales h_prev BEFORE the product with W_hn", points=1):
        t.expect_close(t.call(*args), expected, "h_next", rtol=1e-7, atol=1e-10)
    with t.case("edge sizes: a batch of one, one hidden unit", points=1):
        for seed, N, D, H in [(73, 1, 3, 4), (74, 3, 2, 1), (75, 1, 1, 1)]:
            args2, expected2 = _original_case(seed, N, D, H)
            t.expect_close(
                t.call(*args2),
                expected2,
                f"h_next for N={N}, D={D}, H={H}",
                rtol=1e-7,
                atol=1e-10,
            )


# --------------------------------------------------------------------------------------------
# 7.2 PyTorch -> Keras


def _keras_case(seed, D, H):
    rng = np.random.default_rng(seed)
    _, _, Wx, Wh, bx, bh = _gru_params(rng, 1, D, H)
    return (Wx, Wh, bx, bh), gru_to_keras(Wx, Wh, bx, bh, reset_after=True)


@SET.exercise("7.2", "torch_gru_to_keras", points=4)
def _(t):
    args, (kernel, recurrent_kernel, bias) = _keras_case(81, 3, 4)
    with t.case(
        "returns (kernel, recurrent_kernel, bias) of shapes (D, 3H), (H, 3H), (2, 3H)",
        points=1,
    ):
        got = t.expect_tuple(t.call(*args), 3, "the result")
        t.expect_shape(got[0], (3, 12), "kernel")
        t.expect_shape(got[1], (4, 12), "recurrent_kernel")
        t.expect_shape(got[2], (2, 12), "bias")
    with t.case("kernel: transposed, gate blocks in Keras' order z, r, h", points=1):
        got = t.expect_tuple(t.call(*args), 3, "the result")
        t.expect_close(got[0], kernel, "kernel", rtol=0, atol=0)
    with t.case("recurrent_kernel: transposed, gate blocks z, r, h", points=1):
        got = t.expect_tuple(t.call(*args), 3, "the result")
        t.expect_close(got[1], recurrent_kernel, "recurrent_kernel", rtol=0, atol=0)
    with t.case(
        "bias: row 0 the input bias, row 1 the recurrent bias, each in order z, r, h",
        points=1,
    ):
        got = t.expect_tuple(t.call(*args), 3, "the result")
        t.expect_close(got[2], bias, "bias", rtol=0, atol=0)
        args1, expected1 = _keras_case(82, 1, 1)
        got = t.expect_tuple(t.call(*args1), 3, "the result")
        t.expect_close(
            list(got),
            list(expected1),
            "(kernel, recurrent_kernel, bias) for D = H = 1",
            rtol=0,
            atol=0,
        )


# --------------------------------------------------------------------------------------------
# 7.3 Parameters of a stacked, bidirectional torch.nn.GRU


def _gru_count(D, H, num_layers, bidirectional):
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        inputs = D if layer == 0 else directions * H
        total += directions * 3 * (H * inputs + H * H + 2 * H)
    return total


@SET.exercise("7.3", "gru_param_count", points=3)
def _(t):
    with t.case("one unidirectional layer: 3 (H D + H^2 + 2H)", points=1):
        for D, H in [(10, 20), (1, 1)]:
            t.expect_equal(
                t.call(D, H, 1, False),
                _gru_count(D, H, 1, False),
                f"count for D={D}, H={H}, 1 layer",
            )
    with t.case("stacked layers: layer 2 and above read H inputs", points=1):
        t.expect_equal(
            t.call(10, 20, 3, False),
            _gru_count(10, 20, 3, False),
            "count for D=10, H=20, 3 layers",
        )
    with t.case(
        "bidirectional: two directions per layer, and layers above read 2H inputs",
        points=1,
    ):
        for D, H, L in [(10, 20, 1), (64, 128, 2), (3, 5, 4)]:
            t.expect_equal(
                t.call(D, H, L, True),
                _gru_count(D, H, L, True),
                f"count for D={D}, H={H}, {L} bidirectional layers",
            )


# --------------------------------------------------------------------------------------------
# 7.4 The minimal gated unit


def _mgu_case(seed, N, D, H):
    rng = np.random.default_rng(seed)
    x, h_prev, Wx, Wh, b, _ = _gru_params(rng, N, D, H, blocks=2)
    f_, n_ = slice(0, H), slice(H, 2 * H)
    # An original GRU with r = f and z = 1 - f is the MGU.
    Wx3 = np.concatenate([Wx[f_], -Wx[f_], Wx[n_]])
    Wh3 = np.concatenate([Wh[f_], -Wh[f_], Wh[n_]])
    b3 = np.concatenate([b[f_], -b[f_], b[n_]])
    h_next, _ = gru_step_forward(
        x, h_prev, Wx3, Wh3, b3, np.zeros(3 * H), variant="original"
    )
    return (x, h_prev, Wx, Wh, b), h_next


@SET.exercise("7.4", "mgu_step_forward", points=3)
def _(t):
    args, expected = _mgu_case(91, 3, 4, 5)
    with t.case("returns h_next of shape (N, H)", points=1):
        t.expect_shape(t.call(*args), (3, 5), "h_next")
    with t.case(
        "h_next = (1 - f) h_prev + f n, with n computed from f * h_prev", points=1
    ):
        t.expect_close(t.call(*args), expected, "h_next", rtol=1e-7, atol=1e-10)
    with t.case("edge sizes: a batch of one, one hidden unit", points=1):
        for seed, N, D, H in [(92, 1, 2, 3), (93, 2, 3, 1), (94, 1, 1, 1)]:
            args2, expected2 = _mgu_case(seed, N, D, H)
            t.expect_close(
                t.call(*args2),
                expected2,
                f"h_next for N={N}, D={D}, H={H}",
                rtol=1e-7,
                atol=1e-10,
            )
