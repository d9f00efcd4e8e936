"""Parity of the NumPy <-> Keras conversions (rnnbook.frameworks.keras_interop, keras_stacked).

For SimpleRNN, LSTM and GRU, single-layer, stacked and bidirectional, in both directions:

* NumPy -> Keras: random NumPy parameters are loaded into Keras layers; the Keras outputs and
  final states equal those of the NumPy layers of Parts I-II run layer by layer
  (``numpy_stacked.stacked_forward``, the backward direction on the reversed sequence);
* Keras -> NumPy: the Keras layers' own (random) initial weights are read out and run in NumPy.

float64 layers agree to 1e-10, float32 layers (Keras' default) to 1e-5. The block layout is also
checked by hand, without the conversion code: each gate's block of a Keras kernel is filled with
a known value and found where Keras' documentation puts it.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
keras = pytest.importorskip("keras")

from rnnbook.frameworks.keras_interop import (  # noqa: E402
    from_keras,
    gru_from_keras,
    gru_to_keras,
    lstm_from_keras,
    lstm_to_keras,
    rnn_from_keras,
    rnn_to_keras,
    to_keras,
)
from rnnbook.frameworks.keras_stacked import (  # noqa: E402
    build_keras_stack,
    keras_stack_forward,
    layer_kind,
    load_numpy_weights,
    numpy_weights_from_keras,
)
from rnnbook.frameworks.numpy_stacked import stacked_forward  # noqa: E402
from rnnbook.scratch.gru import gru_forward  # noqa: E402
from rnnbook.scratch.lstm import lstm_forward  # noqa: E402

BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}
SHAPES = [(1, False), (3, False), (1, True), (2, True)]  # (num_layers, bidirectional)
TOL = {"float64": 1e-10, "float32": 1e-5}
N, T, D, H = 3, 6, 4, 5


def random_params(rng, kind, D, H, num_layers, bidirectional, scale=0.5):
    """params[layer][direction] with the NumPy shapes of ``kind``."""
    k, n_dirs = BLOCKS[kind], 2 if bidirectional else 1
    params = []
    for layer in range(num_layers):
        d_in = D if layer == 0 else n_dirs * H
        shapes = [(k * H, d_in), (k * H, H), (k * H,)]
        if kind == "gru":
            shapes.append((k * H,))
        params.append(
            [
                tuple(scale * rng.standard_normal(s) for s in shapes)
                for _ in range(n_dirs)
            ]
        )
    return params


def max_diff(keras_result, numpy_result):
    return max(
        np.abs(np.asarray(a, np.float64) - b).max()
        for a, b in zip(keras_result, numpy_result)
        if a is not None
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("num_layers,bidirectional", SHAPES)
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_numpy_to_keras(kind, num_layers, bidirectional, dtype):
    seed = ["rnn", "lstm", "gru"].index(kind) * 10 + num_layers + 5 * bidirectional
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    params = random_params(rng, kind, D, H, num_layers, bidirectional)
    layers = build_keras_stack(kind, D, H, num_layers, bidirectional, dtype=dtype)
    load_numpy_weights(layers, params)
    got = keras_stack_forward(layers, x.astype(dtype))
    expected = stacked_forward(kind, x, params)
    n_dirs = 2 if bidirectional else 1
    assert got[0].shape == (N, T, n_dirs * H)
    assert got[1].shape == (num_layers * n_dirs, N, H)
    assert max_diff(got, expected) <= TOL[dtype]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("num_layers,bidirectional", SHAPES)
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_keras_to_numpy(kind, num_layers, bidirectional, dtype):
    keras.utils.set_random_seed(num_layers + 2 * bidirectional)
    x = np.random.default_rng(1).standard_normal((N, T, D))
    layers = build_keras_stack(kind, D, H, num_layers, bidirectional, dtype=dtype)
    params = numpy_weights_from_keras(layers)
    params64 = [[tuple(w.astype(np.float64) for w in p) for p in ps] for ps in params]
    got = keras_stack_forward(layers, x.astype(dtype))
    expected = stacked_forward(kind, x, params64)
    assert max_diff(got, expected) <= TOL[dtype]


@pytest.mark.parametrize("direction", ["numpy_to_keras", "keras_to_numpy"])
def test_gru_original_convention(direction):
    """GRU(reset_after=False): one bias; NumPy runs variant="original" with bh = 0."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((N, T, D))
    (layer,) = build_keras_stack("gru", D, H, dtype="float64", reset_after=False)
    if direction == "numpy_to_keras":
        Wx, Wh, bx, _ = random_params(rng, "gru", D, H, 1, False)[0][0]
        load_numpy_weights([layer], [[(Wx, Wh, bx, np.zeros(3 * H))]])
    ((Wx, Wh, bx, bh),) = numpy_weights_from_keras([layer])[0]
    assert layer.get_weights()[2].shape == (3 * H,) and not bh.any()
    h, _ = gru_forward(x, np.zeros((N, H)), Wx, Wh, bx, bh, variant="original")
    out, h_n, _ = keras_stack_forward([layer], x)
    assert np.abs(out - h).max() <= 1e-10 and np.abs(h_n[0] - h[:, -1]).max() <= 1e-10
    h_after, _ = gru_forward(x, np.zeros((N, H)), Wx, Wh, bx, bh)
    assert np.abs(out - h_after).max() > 1e-3  # the two conventions are different cells


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_round_trip_is_exact(kind):
    rng = np.random.default_rng(7)
    p = random_params(rng, kind, D, H, 1, False)[0][0]
    back = from_keras(kind, to_keras(kind, p))
    assert all(np.array_equal(a, b) for a, b in zip(p, back))


def test_keras_blocks_by_hand():
    """Where each gate lands in Keras' arrays, from Keras' documented layout, not our code."""
    D_, H_ = 2, 3
    # LSTM: ours i, f, g, o (rows of Wx); Keras i, f, c, o (columns of kernel).
    Wx = np.repeat(np.arange(4.0), H_)[:, None] * np.ones((1, D_))  # block k holds k
    Wh = np.repeat(np.arange(4.0), H_)[:, None] * np.ones((1, H_))
    kernel, recurrent_kernel, bias = lstm_to_keras(
        Wx, Wh, np.repeat(np.arange(4.0), H_)
    )
    assert kernel.shape == (D_, 4 * H_) and recurrent_kernel.shape == (H_, 4 * H_)
    assert np.array_equal(kernel[0], np.repeat([0.0, 1.0, 2.0, 3.0], H_))
    assert np.array_equal(bias, np.repeat([0.0, 1.0, 2.0, 3.0], H_))
    # GRU: ours r, z, n; Keras z, r, h; bias rows (input, recurrent).
    Wx = np.repeat(np.arange(3.0), H_)[:, None] * np.ones(
        (1, D_)
    )  # r = 0, z = 1, n = 2
    Wh = np.repeat(np.arange(3.0), H_)[:, None] * np.ones((1, H_))
    bx, bh = np.repeat([0.0, 1.0, 2.0], H_), np.repeat([10.0, 11.0, 12.0], H_)
    kernel, recurrent_kernel, bias = gru_to_keras(Wx, Wh, bx, bh)
    assert np.array_equal(kernel[1], np.repeat([1.0, 0.0, 2.0], H_))
    assert np.array_equal(recurrent_kernel[2], np.repeat([1.0, 0.0, 2.0], H_))
    assert np.array_equal(
        bias, [np.repeat([1.0, 0, 2], H_), np.repeat([11.0, 10, 12], H_)]
    )
    # SimpleRNN: only the transposes.
    Wxh = np.arange(6.0).reshape(3, 2)
    kernel, recurrent_kernel, bias = rnn_to_keras(Wxh, np.eye(3), np.ones(3))
    assert np.array_equal(kernel, Wxh.T)


def test_lstm_layer_matches_keras_computation_written_out():
    """lstm_from_keras, checked against Keras' own equations in its layout (x @ kernel ...)."""
    keras.utils.set_random_seed(3)
    layer = keras.layers.LSTM(H, return_sequences=True, dtype="float64")
    x = np.random.default_rng(3).standard_normal((N, T, D))
    out = keras.ops.convert_to_numpy(layer(x))
    kernel, recurrent_kernel, bias = layer.get_weights()
    h = c = np.zeros((N, H))
    for t in range(T):  # Keras layout: z = x K + h R + b, split in the order i, f, c, o
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        i, f, g, o = np.split(z, 4, axis=1)
        c = 1 / (1 + np.exp(-f)) * c + 1 / (1 + np.exp(-i)) * np.tanh(g)
        h = 1 / (1 + np.exp(-o)) * np.tanh(c)
        assert np.abs(out[:, t] - h).max() <= 1e-10
    (hs, _), _ = lstm_forward(
        x, np.zeros((N, H)), np.zeros((N, H)), *lstm_from_keras(layer.get_weights())
    )
    assert np.abs(hs - out).max() <= 1e-10


def test_masked_batch_final_state_is_last_real_state():
    """With a mask, Keras' final state is the state at each sequence's last real step."""
    rng = np.random.default_rng(11)
    lengths = np.array([6, 2, 4])
    x = rng.standard_normal((N, T, D))
    mask = np.arange(T)[None] < lengths[:, None]
    for num_layers, bidirectional in [(1, False), (2, True)]:
        params = random_params(rng, "lstm", D, H, num_layers, bidirectional)
        layers = build_keras_stack("lstm", D, H, num_layers, bidirectional, "float64")
        load_numpy_weights(layers, params)
        _, h_n, c_n = keras_stack_forward(layers, x, mask=mask)
        for n, length in enumerate(lengths):  # each sequence alone, without its padding
            _, h_alone, c_alone = stacked_forward("lstm", x[n : n + 1, :length], params)
            assert np.abs(h_n[:, n] - h_alone[:, 0]).max() <= 1e-10
            assert np.abs(c_n[:, n] - c_alone[:, 0]).max() <= 1e-10


def test_layer_kind_and_errors():
    layers = build_keras_stack("gru", D, H, 2, True)
    assert [layer_kind(layer) for layer in layers] == ["gru", "gru"]
    with pytest.raises(TypeError, match="SimpleRNN, LSTM or GRU"):
        layer_kind(keras.layers.Dense(3))
    with pytest.raises(ValueError, match="params for 2 layers"):
        load_numpy_weights(
            layers, random_params(np.random.default_rng(0), "gru", D, H, 1, 1)
        )
    with pytest.raises(ValueError, match="2 direction"):
        load_numpy_weights(
            layers, random_params(np.random.default_rng(0), "gru", D, H, 2, 0)
        )
    (original,) = build_keras_stack("gru", D, H, reset_after=False)
    with pytest.raises(ValueError, match="bh = 0"):
        load_numpy_weights(
            [original], random_params(np.random.default_rng(0), "gru", D, H, 1, 0)
        )
    with pytest.raises(ValueError, match="return_state=True"):
        keras_stack_forward(
            [keras.layers.LSTM(H, return_sequences=True)], np.zeros((1, 2, D))
        )
    with pytest.raises(ValueError, match=r"x of shape \(N, T, D\)"):
        keras_stack_forward(layers, np.zeros((2, D)))
    with pytest.raises(ValueError, match="kind"):
        to_keras("rnnn", ())


@pytest.mark.parametrize(
    "call,message",
    [
        (
            lambda: lstm_to_keras(np.zeros((8, 3)), np.zeros((8, 2)), np.zeros(7)),
            "b of shape",
        ),
        (
            lambda: lstm_to_keras(np.zeros((8, 3)), np.zeros((6, 2)), np.zeros(8)),
            "Wh of shape",
        ),
        (
            lambda: rnn_to_keras(np.zeros((3, 2)), np.zeros((3, 3)), np.zeros(4)),
            "bh of shape",
        ),
        (
            lambda: lstm_from_keras([np.zeros((8, 3)), np.zeros((2, 8)), np.zeros(8)]),
            "kernel",
        ),
        (
            lambda: gru_from_keras(
                [np.zeros((3, 6)), np.zeros((2, 6)), np.zeros((3, 6))]
            ),
            "bias",
        ),
        (lambda: rnn_from_keras([np.zeros((3, 2)), np.zeros((2, 2))]), "use_bias=True"),
    ],
)
def test_conversion_errors_name_the_array(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_output_shape_table_of_exercise_11_1_matches_keras():
    """The reference of exercise 11.1 (written out by hand) against what Keras returns."""
    from rnnbook.exercise_sets.ch11 import CONFIGS, expected_shapes

    x = np.zeros((2, 5, 3), dtype="float32")
    for config in CONFIGS:
        kind, return_sequences, return_state, bidirectional = config
        inner = getattr(keras.layers, kind)(
            4, return_sequences=return_sequences, return_state=return_state
        )
        layer = inner
        if bidirectional is not None:
            merge_mode = None if bidirectional == "unmerged" else bidirectional
            layer = keras.layers.Bidirectional(inner, merge_mode=merge_mode)
        out = layer(x)
        got = (
            [tuple(o.shape) for o in out]
            if isinstance(out, (list, tuple))
            else [tuple(out.shape)]
        )
        assert got == expected_shapes(config, N=2, T=5, H=4), config
