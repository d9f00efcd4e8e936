"""PyTorch <-> Keras conversions composed in rnnbook.frameworks.convert, the .npz exchange, the
Keras worker process, and the stored references of exercise set 12 against the real frameworks.

PyTorch and Keras are compared in one process here: CI installs PyTorch's CPU build, which has
no triton, so the crash that chapter 12 avoids with a worker process cannot happen in CI.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

from torch import nn  # noqa: E402

from rnnbook.exercise_sets import ch12  # noqa: E402
from rnnbook.frameworks import torch_interop as ti  # noqa: E402
from rnnbook.frameworks.convert import (  # noqa: E402
    keras_to_state_dict,
    load_npz,
    pack_params,
    run_keras_worker,
    save_npz,
    state_dict_to_keras,
    unpack_params,
)
from rnnbook.frameworks.keras_stacked import (  # noqa: E402
    build_keras_stack,
    keras_stack_forward,
)

MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
SHAPES = [(1, False), (3, False), (1, True), (2, True)]
TOL = {"float64": 1e-10, "float32": 1e-5}
N, T, D, H = 3, 6, 4, 5


def torch_run(module, x):
    with torch.no_grad():
        out, state = module(torch.as_tensor(x, dtype=module.weight_ih_l0.dtype))
    states = state if isinstance(state, tuple) else (state,)
    return [t.double().numpy() for t in (out, *states)]


def keras_directions(layer):
    if isinstance(layer, keras.layers.Bidirectional):
        return [layer.forward_layer, layer.backward_layer]
    return [layer]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("num_layers,bidirectional", SHAPES)
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_torch_to_keras_and_back(kind, num_layers, bidirectional, dtype):
    torch.manual_seed(1)
    keras.utils.set_random_seed(1)
    x = np.random.default_rng(2).standard_normal((N, T, D))
    module = MODULES[kind](
        D, H, num_layers, batch_first=True, bidirectional=bidirectional,
        dtype=getattr(torch, dtype),
    )  # fmt: skip
    # PyTorch -> Keras
    layers = build_keras_stack(kind, D, H, num_layers, bidirectional, dtype=dtype)
    weights = state_dict_to_keras(kind, module.state_dict(), num_layers, bidirectional)
    for layer, per_dir in zip(layers, weights):
        for rnn, w in zip(keras_directions(layer), per_dir):
            rnn.set_weights(w)
    keras_result = [
        a for a in keras_stack_forward(layers, x.astype(dtype)) if a is not None
    ]
    torch_result = torch_run(module, x)
    for k, t in zip(keras_result, torch_result):
        np.testing.assert_allclose(k, t, rtol=0, atol=TOL[dtype])
    # Keras -> PyTorch, from Keras' own initialisation
    fresh = build_keras_stack(kind, D, H, num_layers, bidirectional, dtype=dtype)
    keras_weights = [[r.get_weights() for r in keras_directions(ly)] for ly in fresh]
    back = MODULES[kind](
        D, H, num_layers, batch_first=True, bidirectional=bidirectional,
        dtype=getattr(torch, dtype),
    )  # fmt: skip
    back.load_state_dict(
        keras_to_state_dict(kind, keras_weights, getattr(torch, dtype))
    )
    expected = [a for a in keras_stack_forward(fresh, x.astype(dtype)) if a is not None]
    for t, k in zip(torch_run(back, x), expected):
        np.testing.assert_allclose(t, k, rtol=0, atol=TOL[dtype])


def test_lstm_bias_goes_to_bias_ih_and_sums_back():
    rng = np.random.default_rng(3)
    kernel, rec, bias = (
        rng.standard_normal(s) for s in [(D, 4 * H), (H, 4 * H), (4 * H,)]
    )
    sd = keras_to_state_dict("lstm", [[[kernel, rec, bias]]])
    np.testing.assert_array_equal(sd["bias_ih_l0"].numpy(), bias)
    np.testing.assert_array_equal(sd["bias_hh_l0"].numpy(), np.zeros(4 * H))
    np.testing.assert_array_equal(sd["weight_ih_l0"].numpy(), kernel.T)
    sd["bias_hh_l0"] += 1.0  # a PyTorch state with both biases: Keras gets the sum
    [[(k2, r2, b2)]] = state_dict_to_keras("lstm", sd, 1, False)
    np.testing.assert_allclose(b2, bias + 1.0)
    np.testing.assert_array_equal(k2, kernel)


def test_gru_reset_before_is_refused():
    rng = np.random.default_rng(4)
    w = [
        rng.standard_normal((D, 3 * H)),
        rng.standard_normal((H, 3 * H)),
        np.zeros(3 * H),
    ]
    with pytest.raises(ValueError, match="reset_after=False"):
        keras_to_state_dict("gru", [[w]])
    with pytest.raises(ValueError, match="kind"):
        keras_to_state_dict("lstmx", [[w]])


def test_npz_round_trip(tmp_path):
    rng = np.random.default_rng(5)
    params = [[(rng.standard_normal((2, 3)), rng.standard_normal(2))] * 2] * 3
    path = save_npz(tmp_path / "f.npz", {"kind": "rnn", "H": 2}, params, x=np.arange(4))
    meta, back, arrays = load_npz(path)
    assert meta == {"kind": "rnn", "H": 2}
    assert set(arrays) == {"x"}
    assert len(back) == 3 and all(len(d) == 2 for d in back)
    for pl, bl in zip(params, back):
        for pd, bd in zip(pl, bl):
            for a, b in zip(pd, bd):
                np.testing.assert_array_equal(a, b)
    packed = pack_params("w", params)
    assert unpack_params("w", packed)[2][1][0].shape == (2, 3) and not packed
    with pytest.raises(ValueError, match="reserved"):
        save_npz(tmp_path / "g.npz", meta=None, **{"params/0/0/0": np.zeros(1)})


def test_keras_worker_predicts_like_torch(tmp_path):
    """The worker process builds the chapter's model from NumPy weights; PyTorch agrees."""
    rng = np.random.default_rng(6)
    params = [[(0.3 * rng.standard_normal((4 * H, D)), 0.3 * rng.standard_normal((4 * H, H)),
                0.1 * rng.standard_normal(4 * H))]]  # fmt: skip
    W, b, x = (
        rng.standard_normal((1, H)),
        rng.standard_normal(1),
        rng.standard_normal((N, T, D)),
    )
    meta, _, reply = run_keras_worker(
        tmp_path, "predict", meta=dict(kind="lstm", dtype="float64"), params=params,
        x=x, head_W=W, head_b=b,
    )  # fmt: skip
    rnn = nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    ti.load_numpy_weights(rnn, params)
    with torch.no_grad():
        expected = torch_run(rnn, x)[0][:, -1] @ W.T + b
    np.testing.assert_allclose(reply["pred"], expected, rtol=0, atol=1e-12)
    with pytest.raises(RuntimeError, match="task"):
        run_keras_worker(tmp_path, "no such task")


def test_ch12_adam_references_match_the_frameworks():
    hp = ch12.ADAM_HYPER
    p = torch.tensor(ch12.ADAM_THETA0, requires_grad=True)
    opt = torch.optim.Adam(
        [p], lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"]
    )
    for g, expected in zip(ch12.ADAM_GRADS, ch12.ADAM_TORCH):
        p.grad = torch.tensor(g)
        opt.step()
        np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12)
    floatx = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        v = keras.Variable(ch12.ADAM_THETA0.copy(), dtype="float64")
        kopt = keras.optimizers.Adam(
            learning_rate=hp["lr"], beta_1=hp["beta1"], beta_2=hp["beta2"],
            epsilon=hp["eps"],
        )  # fmt: skip
        for g, expected in zip(ch12.ADAM_GRADS, ch12.ADAM_KERAS):
            kopt.apply_gradients([(keras.ops.convert_to_tensor(g, "float64"), v)])
            np.testing.assert_allclose(np.asarray(v.numpy()), expected, rtol=1e-12)
    finally:
        keras.config.set_floatx(floatx)


@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True)])
def test_ch12_reference_lstms_match_the_frameworks(num_layers, bidirectional):
    """The grader's two hand-written LSTMs equal nn.LSTM and keras.layers.LSTM."""
    rng = np.random.default_rng(7)
    kw = ch12._keras_weights(rng, D, H, num_layers, bidirectional)
    x = rng.standard_normal((N, T, D))
    layers = build_keras_stack("lstm", D, H, num_layers, bidirectional, dtype="float64")
    for layer, per_dir in zip(layers, kw):
        for r, w in zip(keras_directions(layer), per_dir):
            r.set_weights(w)
    keras_out = keras_stack_forward(layers, x)[0]
    np.testing.assert_allclose(
        ch12._stack(x, kw, ch12._lstm_keras_layout), keras_out, rtol=0, atol=1e-12
    )
    module = nn.LSTM(D, H, num_layers, batch_first=True, bidirectional=bidirectional,
                     dtype=torch.float64)  # fmt: skip
    module.load_state_dict(keras_to_state_dict("lstm", kw))
    sd = {k: v.numpy() for k, v in module.state_dict().items()}
    assert list(sd) == ch12.torch_names(num_layers, bidirectional)
    torch_layers = [
        [[sd[n] for n in ti.param_names(layer, d)] for d in range(1 + bidirectional)]
        for layer in range(num_layers)
    ]
    np.testing.assert_allclose(
        ch12._stack(x, torch_layers, ch12._lstm_torch_layout),
        torch_run(module, x)[0],
        rtol=0,
        atol=1e-12,
    )
