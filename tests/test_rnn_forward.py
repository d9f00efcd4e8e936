"""The NumPy forward pass of rnnbook.scratch.rnn against torch.nn.RNN (float64, copied weights).

The reference is an independent implementation: PyTorch's own RNN layer, with our parameters
copied into it by rnnbook.frameworks.torch_interop.load_rnn_weights.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnnbook.frameworks.torch_interop import load_rnn_weights  # noqa: E402
from rnnbook.scratch.rnn import rnn_forward, rnn_step_forward  # noqa: E402

TOL = 1e-12

# (N, T, D, H): typical sizes and every edge size (one example, one step, one input feature,
# one hidden unit, all of them at once).
SIZES = [
    (4, 7, 3, 5),
    (1, 6, 3, 4),
    (3, 1, 2, 5),
    (2, 5, 4, 1),
    (2, 5, 1, 3),
    (1, 1, 1, 1),
    (8, 20, 10, 16),
]


def make_params(N, T, D, H, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D)).astype(dtype)
    h0 = rng.standard_normal((N, H)).astype(dtype)
    Wxh = (rng.standard_normal((H, D)) / np.sqrt(D)).astype(dtype)
    Whh = (rng.standard_normal((H, H)) / np.sqrt(H)).astype(dtype)
    bh = (0.1 * rng.standard_normal(H)).astype(dtype)
    return x, h0, Wxh, Whh, bh


def torch_rnn(x, h0, Wxh, Whh, bh):
    """torch.nn.RNN in float64 with our weights; returns the (N, T, H) outputs as NumPy."""
    H, D = Wxh.shape
    layer = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
    load_rnn_weights(layer, Wxh, Whh, bh)
    with torch.no_grad():
        out, h_last = layer(torch.from_numpy(x), torch.from_numpy(h0)[None])
    assert torch.equal(out[:, -1], h_last[0])
    return out.numpy()


@pytest.mark.parametrize("N,T,D,H", SIZES)
def test_rnn_forward_matches_torch(N, T, D, H):
    x, h0, Wxh, Whh, bh = make_params(N, T, D, H)
    h, cache = rnn_forward(x, h0, Wxh, Whh, bh)
    expected = torch_rnn(x, h0, Wxh, Whh, bh)
    assert h.shape == (N, T, H)
    assert h.dtype == np.float64
    assert np.max(np.abs(h - expected)) <= TOL
    assert isinstance(cache, tuple)


@pytest.mark.parametrize("N,T,D,H", SIZES)
def test_rnn_step_forward_matches_torch(N, T, D, H):
    x, h0, Wxh, Whh, bh = make_params(N, T, D, H, seed=1)
    # One step of torch.nn.RNN is the layer applied to a length-1 sequence.
    expected = torch_rnn(x[:, :1], h0, Wxh, Whh, bh)[:, 0]
    h_next, cache = rnn_step_forward(x[:, 0], h0, Wxh, Whh, bh)
    assert h_next.shape == (N, H)
    assert np.max(np.abs(h_next - expected)) <= TOL
    assert isinstance(cache, tuple)


@pytest.mark.parametrize("N,T,D,H", SIZES)
def test_steps_chain_into_sequence(N, T, D, H):
    """Calling rnn_step_forward T times reproduces rnn_forward (and torch) step by step."""
    x, h0, Wxh, Whh, bh = make_params(N, T, D, H, seed=2)
    expected = torch_rnn(x, h0, Wxh, Whh, bh)
    h_prev = h0
    for t in range(T):
        h_prev, _ = rnn_step_forward(x[:, t], h_prev, Wxh, Whh, bh)
        assert np.max(np.abs(h_prev - expected[:, t])) <= TOL


def test_forward_does_not_modify_inputs():
    args = make_params(3, 4, 2, 5)
    copies = [a.copy() for a in args]
    rnn_forward(*args)
    rnn_step_forward(args[0][:, 0], *args[1:])
    for a, c in zip(args, copies):
        assert np.array_equal(a, c)


@pytest.mark.parametrize("fn", ["step", "sequence"])
def test_float32_stays_float32(fn):
    x, h0, Wxh, Whh, bh = make_params(2, 3, 4, 5, dtype=np.float32)
    if fn == "step":
        out, _ = rnn_step_forward(x[:, 0], h0, Wxh, Whh, bh)
    else:
        out, _ = rnn_forward(x, h0, Wxh, Whh, bh)
    assert out.dtype == np.float32
    x64, h064, Wxh64, Whh64, bh64 = (
        a.astype(np.float64) for a in (x, h0, Wxh, Whh, bh)
    )
    ref = torch_rnn(x64, h064, Wxh64, Whh64, bh64)
    ref = ref[:, 0] if fn == "step" else ref
    assert np.max(np.abs(out - ref)) < 1e-5


# Each bad argument and the exact message. match_shapes fixes a symbol by majority; on a tie
# (x and h0 for N, x and Wxh for D) the first array wins and the message names both.
N, T, D, H = 4, 7, 3, 5


@pytest.mark.parametrize(
    "name,change,message",
    [
        (
            "Wxh",
            lambda a: a.T,
            "expected Wxh of shape (H, D) = (5, 3), got (3, 5); D = 3 was read from x "
            "of shape (4, 7, 3), which may be the wrong one",
        ),
        (
            "h0",
            lambda a: a[:3],
            "expected h0 of shape (N, H) = (4, 5), got (3, 5); N = 4 was read from x "
            "of shape (4, 7, 3), which may be the wrong one",
        ),
        ("h0", lambda a: a[:, :4], "expected h0 of shape (N, H) = (4, 5), got (4, 4)"),
        (
            "Whh",
            lambda a: a[:, :4],
            "expected Whh of shape (H, H) = (5, 5), got (5, 4)",
        ),
        ("bh", lambda a: a[:4], "expected bh of shape (H,) = (5,), got (4,)"),
        (
            "bh",
            lambda a: a[None],
            "expected bh to have 1 dimension, got 2 (shape (1, 5))",
        ),
        (
            "x",
            lambda a: a[:, :, 0],
            "expected x to have 3 dimensions, got 2 (shape (4, 7))",
        ),
        # x with T and D swapped: D is read as 7, so the weights are the first to disagree;
        # x and Wxh tie on D, so the message names x as the other suspect.
        (
            "x",
            lambda a: a.transpose(0, 2, 1),
            "expected Wxh of shape (H, D) = (5, 7), got (5, 3); D = 7 was read from x "
            "of shape (4, 3, 7), which may be the wrong one",
        ),
    ],
)
def test_rnn_forward_shape_errors_name_the_shapes(name, change, message):
    args = dict(zip(["x", "h0", "Wxh", "Whh", "bh"], make_params(N, T, D, H)))
    args[name] = np.ascontiguousarray(change(args[name]))
    with pytest.raises(ValueError) as excinfo:
        rnn_forward(**args)
    assert str(excinfo.value) == message


def test_non_array_and_integer_inputs_are_rejected():
    x, h0, Wxh, Whh, bh = make_params(N, T, D, H)
    with pytest.raises(TypeError, match="expected x to be a numpy array, got list"):
        rnn_forward(x.tolist(), h0, Wxh, Whh, bh)
    with pytest.raises(TypeError, match="expected h0 to hold floats, got dtype int64"):
        rnn_forward(x, np.zeros((N, H), dtype=np.int64), Wxh, Whh, bh)


def test_rnn_step_forward_shape_error_names_the_shapes():
    x, h0, Wxh, Whh, bh = make_params(N, T, D, H)
    with pytest.raises(ValueError) as excinfo:
        rnn_step_forward(
            x, h0, Wxh, Whh, bh
        )  # a whole sequence where one step is expected
    assert (
        str(excinfo.value) == "expected x to have 2 dimensions, got 3 (shape (4, 7, 3))"
    )
    with pytest.raises(ValueError) as excinfo:
        rnn_step_forward(x[:, 0], h0, Wxh, Whh.T[:, :4], bh)
    assert str(excinfo.value) == "expected Whh of shape (H, H) = (5, 5), got (5, 4)"
