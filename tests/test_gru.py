"""The NumPy GRU (rnnbook.scratch.gru) in both reset-gate conventions, in float64.

* variant="reset_after" against torch.nn.GRU with copied weights (outputs and every gradient).
* variant="original" has no torch.nn layer: it is checked against an independent implementation
  written here with torch tensors and autograd, and by centred differences.
* The Keras conversions (rnnbook.frameworks.keras_interop) against keras.layers.GRU / LSTM.
"""

import os

import numpy as np
import pytest
import torch

from rnnbook.frameworks.torch_interop import (
    gru_grads_from_torch,
    gru_weights_from_torch,
    load_gru_weights,
)
from rnnbook.scratch.gradcheck import numerical_gradient, relative_error
from rnnbook.scratch.gru import (
    GATE_ORDER,
    gate_slice,
    gru_backward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
)

FLOOR = 1e-3  # see tests/test_lstm.py: absolute test (<= 1e-10) for entries below 1e-3
GRAD_TOL = 1e-7
SIZES = [
    (3, 5, 4, 6),
    (1, 7, 3, 5),
    (4, 1, 2, 3),
    (2, 6, 3, 1),
    (1, 1, 1, 1),
]  # (N, T, D, H)
NAMES = ["x", "h0", "Wx", "Wh", "bx", "bh"]


def make_params(rng, N, T, D, H, scale=0.6):
    return dict(
        x=rng.normal(size=(N, T, D)),
        h0=rng.normal(size=(N, H)),
        Wx=rng.normal(scale=scale, size=(3 * H, D)),
        Wh=rng.normal(scale=scale, size=(3 * H, H)),
        bx=rng.normal(scale=scale, size=3 * H),
        bh=rng.normal(scale=scale, size=3 * H),
    )


def torch_original_gru(p, dh):
    """Cho et al.'s GRU written directly in torch (no code shared with rnnbook.scratch.gru)."""
    t = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    H = p["h0"].shape[1]
    W_ir, W_iz, W_in = t["Wx"].split(H)
    W_hr, W_hz, W_hn = t["Wh"].split(H)
    b_ir, b_iz, b_in = t["bx"].split(H)
    b_hr, b_hz, b_hn = t["bh"].split(H)
    h = t["h0"]
    outs = []
    for step in range(p["x"].shape[1]):
        x_t = t["x"][:, step]
        r = torch.sigmoid(x_t @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x_t @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
        n = torch.tanh(x_t @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
        h = (1 - z) * n + z * h
        outs.append(h)
    out = torch.stack(outs, dim=1)
    (out * torch.from_numpy(dh)).sum().backward()
    return out.detach().numpy(), [t[k].grad.numpy() for k in NAMES]


def torch_reset_after_gru(p, dh):
    N, T, D = p["x"].shape
    H = p["h0"].shape[1]
    layer = torch.nn.GRU(D, H, batch_first=True).double()
    load_gru_weights(layer, p["Wx"], p["Wh"], p["bx"], p["bh"])
    x = torch.tensor(p["x"], requires_grad=True)
    h0 = torch.tensor(p["h0"][None], requires_grad=True)
    out, h_n = layer(x, h0)
    (out * torch.from_numpy(dh)).sum().backward()
    assert torch.equal(out[:, -1], h_n[0])
    return out.detach().numpy(), [
        x.grad.numpy(),
        h0.grad[0].numpy(),
        *gru_grads_from_torch(layer),
    ]


@pytest.mark.parametrize(
    "variant,reference",
    [("reset_after", torch_reset_after_gru), ("original", torch_original_gru)],
)
@pytest.mark.parametrize("N,T,D,H", SIZES)
def test_sequence_matches_torch(variant, reference, N, T, D, H):
    rng = np.random.default_rng(N * 1000 + T * 100 + D * 10 + H)
    p = make_params(rng, N, T, D, H)
    h, cache = gru_forward(**p, variant=variant)
    assert h.shape == (N, T, H)
    dh = rng.normal(size=(N, T, H))
    grads = gru_backward(dh, cache)
    h_ref, grads_ref = reference(p, dh)
    np.testing.assert_allclose(h, h_ref, rtol=0, atol=1e-10)
    for name, g, g_ref in zip(NAMES, grads, grads_ref):
        assert g.shape == g_ref.shape, name
        np.testing.assert_allclose(g, g_ref, rtol=0, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("variant", ["reset_after", "original"])
@pytest.mark.parametrize("N,D,H", [(3, 4, 5), (1, 2, 1)])
def test_step_gradient_check(variant, N, D, H):
    rng = np.random.default_rng(11)
    p = make_params(rng, N, 1, D, H)
    args = dict(
        x=p["x"][:, 0].copy(),
        h_prev=p["h0"],
        Wx=p["Wx"],
        Wh=p["Wh"],
        bx=p["bx"],
        bh=p["bh"],
    )
    dh_next = rng.normal(size=(N, H))
    _, cache = gru_step_forward(**args, variant=variant)
    analytic = dict(zip(args, gru_step_backward(dh_next, cache)))

    def objective():
        h_next, _ = gru_step_forward(**args, variant=variant)
        return np.sum(h_next * dh_next)

    for name, value in args.items():
        numeric = numerical_gradient(lambda _: objective(), value)
        assert relative_error(analytic[name], numeric, floor=FLOOR) <= GRAD_TOL, (
            variant,
            name,
        )


def test_original_sequence_gradient_check():
    rng = np.random.default_rng(12)
    p = make_params(rng, 2, 3, 2, 3)
    h, cache = gru_forward(**p, variant="original")
    dh = rng.normal(size=h.shape)
    analytic = dict(zip(NAMES, gru_backward(dh, cache)))
    for name in NAMES:
        numeric = numerical_gradient(
            lambda _: np.sum(gru_forward(**p, variant="original")[0] * dh), p[name]
        )
        assert relative_error(analytic[name], numeric, floor=FLOOR) <= GRAD_TOL, name


def test_variants_differ_but_agree_when_reset_gate_is_open():
    rng = np.random.default_rng(13)
    p = make_params(rng, 2, 4, 3, 5)
    h_after, _ = gru_forward(**p, variant="reset_after")
    h_orig, _ = gru_forward(**p, variant="original")
    assert np.abs(h_after - h_orig).max() > 1e-3
    # With r = 1 everywhere, r*(W h + b) = W (r*h) + b: both conventions are the same cell.
    p["Wx"][gate_slice("r", 5)] = 0
    p["Wh"][gate_slice("r", 5)] = 0
    p["bx"][gate_slice("r", 5)] = 60.0
    h_after, _ = gru_forward(**p, variant="reset_after")
    h_orig, _ = gru_forward(**p, variant="original")
    np.testing.assert_allclose(h_after, h_orig, rtol=0, atol=1e-12)


def test_step_matches_sequence_and_update_gate_convention():
    assert GATE_ORDER == ("r", "z", "n")
    rng = np.random.default_rng(14)
    p = make_params(rng, 2, 3, 3, 4)
    h, _ = gru_forward(**p)
    h1, _ = gru_step_forward(p["x"][:, 0], p["h0"], p["Wx"], p["Wh"], p["bx"], p["bh"])
    np.testing.assert_allclose(h1, h[:, 0], rtol=0, atol=1e-14)
    # z = 1 (huge update-gate bias) keeps the old state: h_t = h_{t-1}.
    p["bx"][gate_slice("z", 4)] = 60.0
    h, _ = gru_forward(**p)
    np.testing.assert_allclose(h[:, -1], p["h0"], atol=1e-12)


def test_float32_stays_float32():
    rng = np.random.default_rng(15)
    p = {k: v.astype(np.float32) for k, v in make_params(rng, 2, 3, 3, 4).items()}
    for variant in ("reset_after", "original"):
        h, cache = gru_forward(**p, variant=variant)
        assert h.dtype == np.float32
        assert all(g.dtype == np.float32 for g in gru_backward(np.ones_like(h), cache))


def test_weights_round_trip_through_torch():
    rng = np.random.default_rng(16)
    p = make_params(rng, 1, 1, 3, 4)
    layer = torch.nn.GRU(3, 4, batch_first=True).double()
    load_gru_weights(layer, p["Wx"], p["Wh"], p["bx"], p["bh"])
    for got, name in zip(gru_weights_from_torch(layer), ["Wx", "Wh", "bx", "bh"]):
        np.testing.assert_array_equal(got, p[name])


def test_shape_errors_name_the_shapes():
    rng = np.random.default_rng(17)
    p = make_params(rng, 2, 3, 3, 4)
    with pytest.raises(
        ValueError, match=r"expected h0 of shape \(N, H\) = \(2, 4\), got \(2, 5\)"
    ):
        gru_forward(**{**p, "h0": np.zeros((2, 5))})
    with pytest.raises(
        ValueError, match=r"expected bh of shape \(3H,?\) = \(12,\), got \(4,\)"
    ):
        gru_forward(**{**p, "bh": np.zeros(4)})
    with pytest.raises(
        ValueError, match=r"expected x of shape \(N, D\) = \(2, 3\), got \(2, 4\)"
    ):
        gru_step_forward(np.zeros((2, 4)), p["h0"], p["Wx"], p["Wh"], p["bx"], p["bh"])
    with pytest.raises(ValueError, match="variant must be one of"):
        gru_forward(**p, variant="reset_before")
    _, cache = gru_forward(**p)
    with pytest.raises(
        ValueError, match=r"expected dh of shape \(N, T, H\) = \(2, 3, 4\)"
    ):
        gru_backward(np.zeros((2, 4, 3)), cache)


# ----------------------------------------------------------------------------- Keras layouts


def test_reorder_gates():
    from rnnbook.frameworks.keras_interop import reorder_gates

    w = np.arange(6)[:, None] * np.ones((1, 2))  # blocks of H = 2 rows: r, z, n
    out = reorder_gates(w, ("r", "z", "n"), ("z", "r", "n"))
    np.testing.assert_array_equal(out[:, 0], [2, 3, 0, 1, 4, 5])
    np.testing.assert_array_equal(
        reorder_gates(out, ("z", "r", "n"), ("r", "z", "n")), w
    )
    with pytest.raises(ValueError, match="different gates"):
        reorder_gates(w, ("r", "z", "n"), ("i", "f", "g"))


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_matches_keras(reset_after):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    keras = pytest.importorskip("keras")
    from rnnbook.frameworks.keras_interop import (
        build_keras_layer,
        gru_from_keras,
        gru_to_keras,
    )

    rng = np.random.default_rng(18)
    p = make_params(rng, 2, 4, 3, 5)
    if not reset_after:
        p["bh"][:] = 0
    layer = build_keras_layer(
        "GRU", 3, 5, reset_after=reset_after, return_sequences=True, dtype="float64"
    )
    layer.set_weights(
        gru_to_keras(p["Wx"], p["Wh"], p["bx"], p["bh"], reset_after=reset_after)
    )
    out = keras.ops.convert_to_numpy(layer(p["x"], initial_state=[p["h0"]]))
    h, _ = gru_forward(**p, variant="reset_after" if reset_after else "original")
    np.testing.assert_allclose(h, out, rtol=0, atol=1e-10)
    for got, name in zip(gru_from_keras(layer.get_weights()), ["Wx", "Wh", "bx", "bh"]):
        np.testing.assert_allclose(got, p[name], rtol=0, atol=0)


def test_lstm_matches_keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    keras = pytest.importorskip("keras")
    from rnnbook.frameworks.keras_interop import (
        build_keras_layer,
        lstm_from_keras,
        lstm_to_keras,
    )
    from rnnbook.scratch.lstm import lstm_forward

    rng = np.random.default_rng(19)
    N, T, D, H = 2, 4, 3, 5
    x, h0, c0 = (
        rng.normal(size=(N, T, D)),
        rng.normal(size=(N, H)),
        rng.normal(size=(N, H)),
    )
    Wx, Wh, b = (
        rng.normal(size=(4 * H, D)),
        rng.normal(size=(4 * H, H)),
        rng.normal(size=4 * H),
    )
    layer = build_keras_layer("LSTM", D, H, return_sequences=True, dtype="float64")
    layer.set_weights(lstm_to_keras(Wx, Wh, b))
    out = keras.ops.convert_to_numpy(layer(x, initial_state=[h0, c0]))
    (h, _), _ = lstm_forward(x, h0, c0, Wx, Wh, b)
    np.testing.assert_allclose(h, out, rtol=0, atol=1e-10)
    for got, want in zip(lstm_from_keras(layer.get_weights()), (Wx, Wh, b)):
        np.testing.assert_array_equal(got, want)
