"""Exercise set 07, "GRU": tests for solutions/07_gru.ipynb.

Expected values are computed here, independently of the learner's code: the original-convention
GRU step from its equations written gate by gate below; the Keras layout entry by entry from
the gate names (not with the package's ``gru_to_keras``, which 7.2 asks the learner not to use
and which the check spies on); parameter counts by listing the tensors ``torch.nn.GRU``
creates; the minimal gated unit through its equivalence with an original GRU whose reset gate
is f and whose update gate is 1 - f (``1 - sigma(a) = sigma(-a)``), run by the package; the
step backward pass (7.5) by centred finite differences of the forward step written here.
"""

from __future__ import annotations

import numpy as np

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


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _original_step(x, h_prev, Wx, Wh, bx, bh):
    """Cho et al.'s GRU, gate by gate (blocks r, z, n): the reset scales h_prev first."""
    H = h_prev.shape[1]
    W = {
        g: (Wx[k * H : (k + 1) * H], Wh[k * H : (k + 1) * H])
        for k, g in enumerate("rzn")
    }
    c = {
        g: bx[k * H : (k + 1) * H] + bh[k * H : (k + 1) * H]
        for k, g in enumerate("rzn")
    }
    r = _sigmoid(x @ W["r"][0].T + h_prev @ W["r"][1].T + c["r"])
    z = _sigmoid(x @ W["z"][0].T + h_prev @ W["z"][1].T + c["z"])
    n = np.tanh(x @ W["n"][0].T + (r * h_prev) @ W["n"][1].T + c["n"])
    return (1.0 - z) * n + z * h_prev


def _original_case(seed, N, D, H, open_reset=False):
    rng = np.random.default_rng(seed)
    args = _gru_params(rng, N, D, H)
    if open_reset:  # r = 1: the original and the reset-after cell coincide
        x, h_prev, Wx, Wh, bx, bh = args
        Wx[:H] = 0.0
        Wh[:H] = 0.0
        bx[:H] = 40.0
        bh[:H] = 0.0
    return args, _original_step(*args)


@SET.exercise("7.1", "gru_original_step", points=4)
def _(t):
    # The reset placement is the one concept tested: a reset-after cell keeps only the first
    # point (the update rule and gate order, checked with the reset gate forced open).
    with t.case(
        "the reset gate forced open (r = 1): gate order r, z, n and the update rule"
    ):
        args1, expected1 = _original_case(72, 3, 4, 5, open_reset=True)
        got = t.call(*args1)
        t.expect_shape(got, (3, 5), "h_next")
        t.expect_close(got, expected1, "h_next with r = 1", rtol=1e-7, atol=1e-10)
    with t.case("the reset gate scales h_prev BEFORE the product with W_hn", points=2):
        args, expected = _original_case(71, 3, 4, 5)
        t.expect_close(t.call(*args), expected, "h_next", rtol=1e-7, atol=1e-10)
    with t.case("edge sizes: a batch of one, one hidden unit"):
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


_TORCH_BLOCK = {"r": 0, "z": 1, "n": 2}  # torch.nn.GRU's gate order
_KERAS_GATES = ("z", "r", "n")  # Keras' order (Keras calls the candidate "h")


def _to_keras(Wx, Wh, bx, bh):
    """Entry by entry: Keras column k*H + j of gate KERAS[k] is row TORCH[gate]*H + j."""
    H = Wh.shape[1]
    kernel = np.empty((Wx.shape[1], 3 * H))
    recurrent_kernel = np.empty((H, 3 * H))
    bias = np.empty((2, 3 * H))
    for k, gate in enumerate(_KERAS_GATES):
        for j in range(H):
            row, col = _TORCH_BLOCK[gate] * H + j, k * H + j
            kernel[:, col] = Wx[row, :]
            recurrent_kernel[:, col] = Wh[row, :]
            bias[0, col], bias[1, col] = bx[row], bh[row]
    return kernel, recurrent_kernel, bias


def _keras_case(seed, D, H):
    rng = np.random.default_rng(seed)
    _, _, Wx, Wh, bx, bh = _gru_params(rng, 1, D, H)
    return (Wx, Wh, bx, bh), _to_keras(Wx, Wh, bx, bh)


@SET.exercise(
    "7.2",
    "torch_gru_to_keras",
    points=4,
    forbidden=(
        "rnnbook.frameworks.keras_interop.gru_to_keras",
        "rnnbook.frameworks.keras_interop.reorder_gates",
    ),
)
def _(t):
    def call(*args):
        got = t.call(*args)
        return t.expect_tuple(got, 3, "the result (kernel, recurrent_kernel, bias)")

    args, (kernel, recurrent_kernel, bias) = _keras_case(81, 3, 4)
    with t.case(
        "returns (kernel, recurrent_kernel, bias) of shapes (D, 3H), (H, 3H), (2, 3H)"
    ):
        got = call(*args)
        t.expect_shape(got[0], (3, 12), "kernel")
        t.expect_shape(got[1], (4, 12), "recurrent_kernel")
        t.expect_shape(got[2], (2, 12), "bias")
    with t.case("kernel: transposed, gate blocks in Keras' order z, r, h"):
        t.expect_close(call(*args)[0], kernel, "kernel", rtol=0, atol=0)
    with t.case("recurrent_kernel: transposed, gate blocks z, r, h"):
        got = call(*args)
        t.expect_close(got[1], recurrent_kernel, "recurrent_kernel", rtol=0, atol=0)
    with t.case("bias: row 0 the input bias, row 1 the recurrent bias, order z, r, h"):
        t.expect_close(call(*args)[2], bias, "bias", rtol=0, atol=0)
        args1, expected1 = _keras_case(82, 1, 1)
        t.expect_close(
            list(call(*args1)),
            list(expected1),
            "(kernel, recurrent_kernel, bias) for D = H = 1",
            rtol=0,
            atol=0,
        )


# --------------------------------------------------------------------------------------------
# 7.3 Parameters of a stacked, bidirectional torch.nn.GRU


def _gru_count(D, H, num_layers, bidirectional):
    """List the tensors torch.nn.GRU creates (weight_ih_l{k}[_reverse], ...) and add them up."""
    suffixes = ["", "_reverse"] if bidirectional else [""]
    shapes = {}
    for k in range(num_layers):
        d_in = (
            D if k == 0 else len(suffixes) * H
        )  # layer k reads the states of layer k - 1
        for sfx in suffixes:
            shapes[f"weight_ih_l{k}{sfx}"] = (3 * H, d_in)
            shapes[f"weight_hh_l{k}{sfx}"] = (3 * H, H)
            shapes[f"bias_ih_l{k}{sfx}"] = (3 * H,)
            shapes[f"bias_hh_l{k}{sfx}"] = (3 * H,)
    return sum(int(np.prod(shape)) for shape in shapes.values())


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


# --------------------------------------------------------------------------------------------
# 7.5 The backward pass of the original GRU step (hard)


def _numerical_grads(args, dh_next, eps=1e-6):
    """Centred differences of L = sum(h_next * dh_next) with respect to every argument."""
    grads = []
    for k, a in enumerate(args):
        grad = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [v.copy() for v in args]
            minus = [v.copy() for v in args]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            grad[idx] = np.sum(
                (_original_step(*plus) - _original_step(*minus)) * dh_next
            )
            grad[idx] /= 2 * eps
        grads.append(grad)
    return grads


_GRU_GRADS = ("dx", "dh_prev", "dWx", "dWh", "dbx", "dbh")


def _backward_case(seed, N, D, H, open_reset=False):
    args, _ = _original_case(seed, N, D, H, open_reset=open_reset)
    dh_next = np.random.default_rng(seed + 1000).standard_normal((N, H))
    return (dh_next, *args), _numerical_grads(args, dh_next)


@SET.exercise(
    "7.5",
    "gru_original_step_backward",
    points=6,
    forbidden=(
        "rnnbook.scratch.gru.gru_step_backward",
        "rnnbook.scratch.gru.gru_backward",
    ),
)
def _(t):
    def call(*args):
        got = t.call(*args)
        return t.expect_tuple(got, 6, "the result (dx, dh_prev, dWx, dWh, dbx, dbh)")

    def expect_grads(got, expected, which, label=""):
        for k in which:
            name = f"{_GRU_GRADS[k]} {label}".strip()
            t.expect_close(got[k], expected[k], name, rtol=1e-5, atol=1e-7)

    args, expected = _backward_case(111, 3, 4, 5)
    with t.case("returns the six gradients, each shaped like its input"):
        got = call(*args)
        for k, (name, value) in enumerate(zip(_GRU_GRADS, args[1:])):
            t.expect_shape(got[k], value.shape, name)
    with t.case("reset gate forced open (r = 1): the update gate and the candidate"):
        args1, expected1 = _backward_case(112, 3, 4, 5, open_reset=True)
        expect_grads(call(*args1), expected1, range(6), "(r = 1)")
    with t.case("dh_prev: through z, through r and W_hn (r * h_prev), and directly"):
        expect_grads(call(*args), expected, [1])
    with t.case("dx, dWx and dbx"):
        expect_grads(call(*args), expected, [0, 2, 4])
    with t.case("dWh and dbh: W_hn multiplies r * h_prev, not h_prev"):
        expect_grads(call(*args), expected, [3, 5])
    with t.case("edge sizes: a batch of one, one hidden unit"):
        for seed, N, D, H in [(113, 1, 2, 3), (114, 2, 3, 1)]:
            args2, expected2 = _backward_case(seed, N, D, H)
            expect_grads(call(*args2), expected2, range(6), f"for N={N}, H={H}")
