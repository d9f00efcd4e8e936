"""The NumPy LSTM (rnnbook.scratch.lstm) against torch.nn.LSTM with copied weights, in float64.

Independent reference: PyTorch's own LSTM and autograd.  Every output, final state and gradient
must agree to 1e-10; the step functions are also checked by centred differences.
"""

import numpy as np
import pytest
import torch

from rnnbook.frameworks.torch_interop import (
    load_lstm_weights,
    lstm_grads_from_torch,
    lstm_weights_from_torch,
)
from rnnbook.scratch.gradcheck import numerical_gradient, relative_error
from rnnbook.scratch.lstm import (
    GATE_ORDER,
    gate_slice,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)

# Gradient checks: |analytic - numeric| / max(|analytic| + |numeric|, FLOOR) <= 1e-7.  The floor
# turns the test into an absolute one (<= 1e-10) for entries below 1e-3, where the centred
# difference's round-off (about 1e-16 / eps = 1e-11) would dominate a purely relative error.
FLOOR = 1e-3
GRAD_TOL = 1e-7

SIZES = [  # (N, T, D, H)
    (3, 5, 4, 6),
    (1, 7, 3, 5),  # batch 1
    (4, 1, 2, 3),  # one time step
    (2, 6, 3, 1),  # one hidden unit
    (1, 1, 1, 1),  # everything minimal
]


def make_params(rng, N, T, D, H, scale=0.6):
    return dict(
        x=rng.normal(size=(N, T, D)),
        h0=rng.normal(size=(N, H)),
        c0=rng.normal(size=(N, H)),
        Wx=rng.normal(scale=scale, size=(4 * H, D)),
        Wh=rng.normal(scale=scale, size=(4 * H, H)),
        b=rng.normal(scale=scale, size=4 * H),
    )


def torch_lstm(p, dh, dc_T):
    """Run torch.nn.LSTM (float64) with p's weights; return outputs and autograd gradients."""
    N, T, D = p["x"].shape
    H = p["h0"].shape[1]
    layer = torch.nn.LSTM(D, H, batch_first=True).double()
    load_lstm_weights(layer, p["Wx"], p["Wh"], p["b"])
    x = torch.tensor(p["x"], requires_grad=True)
    h0 = torch.tensor(p["h0"][None], requires_grad=True)
    c0 = torch.tensor(p["c0"][None], requires_grad=True)
    out, (h_n, c_n) = layer(x, (h0, c0))
    loss = (out * torch.from_numpy(dh)).sum() + (c_n[0] * torch.from_numpy(dc_T)).sum()
    loss.backward()
    grads = (
        x.grad.numpy(),
        h0.grad[0].numpy(),
        c0.grad[0].numpy(),
        *lstm_grads_from_torch(layer),
    )
    return out.detach().numpy(), c_n[0].detach().numpy(), grads


@pytest.mark.parametrize("N,T,D,H", SIZES)
def test_sequence_matches_torch(N, T, D, H):
    rng = np.random.default_rng(N * 1000 + T * 100 + D * 10 + H)
    p = make_params(rng, N, T, D, H)
    (h, c), cache = lstm_forward(**p)
    assert h.shape == c.shape == (N, T, H)
    dh = rng.normal(size=(N, T, H))
    dc_T = rng.normal(size=(N, H))
    grads = lstm_backward(dh, cache, dc_T=dc_T)
    out_t, c_n_t, grads_t = torch_lstm(p, dh, dc_T)
    np.testing.assert_allclose(h, out_t, rtol=0, atol=1e-10)
    np.testing.assert_allclose(c[:, -1], c_n_t, rtol=0, atol=1e-10)
    names = ["dx", "dh0", "dc0", "dWx", "dWh", "db"]
    for name, g, gt in zip(names, grads, grads_t):
        assert g.shape == gt.shape, name
        np.testing.assert_allclose(g, gt, rtol=0, atol=1e-10, err_msg=name)


def test_backward_without_dc_T_equals_zero_dc_T():
    rng = np.random.default_rng(1)
    p = make_params(rng, 2, 4, 3, 5)
    (h, _), cache = lstm_forward(**p)
    dh = rng.normal(size=h.shape)
    for g0, g1 in zip(
        lstm_backward(dh, cache), lstm_backward(dh, cache, dc_T=np.zeros((2, 5)))
    ):
        np.testing.assert_array_equal(g0, g1)


@pytest.mark.parametrize("N,T,D,H", SIZES)
def test_step_matches_sequence(N, T, D, H):
    """Stepping lstm_step_forward/backward by hand gives the sequence functions' results."""
    rng = np.random.default_rng(7)
    p = make_params(rng, N, T, D, H)
    (h, c), cache = lstm_forward(**p)
    dh = rng.normal(size=(N, T, H))
    seq_grads = lstm_backward(dh, cache)
    h_prev, c_prev, caches = p["h0"], p["c0"], []
    for t in range(T):
        (h_prev, c_prev), ct = lstm_step_forward(
            p["x"][:, t], h_prev, c_prev, p["Wx"], p["Wh"], p["b"]
        )
        np.testing.assert_allclose(h_prev, h[:, t], rtol=0, atol=1e-12)
        np.testing.assert_allclose(c_prev, c[:, t], rtol=0, atol=1e-12)
        caches.append(ct)
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    dx = np.zeros((N, T, D))
    dWx, dWh, db = 0, 0, 0
    for t in reversed(range(T)):
        dx[:, t], dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh[:, t] + dh_next, dc_next, caches[t]
        )
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    for g, g_seq in zip((dx, dh_next, dc_next, dWx, dWh, db), seq_grads):
        np.testing.assert_allclose(g, g_seq, rtol=0, atol=1e-10)


@pytest.mark.parametrize("N,D,H", [(3, 4, 5), (1, 2, 1)])
def test_step_gradient_check(N, D, H):
    rng = np.random.default_rng(3)
    p = make_params(rng, N, 1, D, H)
    args = dict(
        x=p["x"][:, 0].copy(),
        h_prev=p["h0"],
        c_prev=p["c0"],
        Wx=p["Wx"],
        Wh=p["Wh"],
        b=p["b"],
    )
    dh_next = rng.normal(size=(N, H))
    dc_next = rng.normal(size=(N, H))
    _, cache = lstm_step_forward(**args)
    analytic = dict(zip(args, lstm_step_backward(dh_next, dc_next, cache)))

    def objective():
        (h, c), _ = lstm_step_forward(**args)
        return np.sum(h * dh_next) + np.sum(c * dc_next)

    for name, value in args.items():
        numeric = numerical_gradient(lambda _: objective(), value)
        assert relative_error(analytic[name], numeric, floor=FLOOR) <= GRAD_TOL, name


def test_sequence_gradient_check_with_final_cell_gradient():
    rng = np.random.default_rng(4)
    p = make_params(rng, 2, 3, 2, 3)
    (h, _), cache = lstm_forward(**p)
    dh = rng.normal(size=h.shape)
    dc_T = rng.normal(size=(2, 3))
    analytic = dict(
        zip(["x", "h0", "c0", "Wx", "Wh", "b"], lstm_backward(dh, cache, dc_T=dc_T))
    )

    def objective():
        (h, c), _ = lstm_forward(**p)
        return np.sum(h * dh) + np.sum(c[:, -1] * dc_T)

    for name, value in p.items():
        numeric = numerical_gradient(lambda _: objective(), value)
        assert relative_error(analytic[name], numeric, floor=FLOOR) <= GRAD_TOL, name


def test_float32_stays_float32_and_agrees_with_float64():
    rng = np.random.default_rng(5)
    p = make_params(rng, 3, 4, 2, 5)
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    (h32, c32), cache32 = lstm_forward(**p32)
    (h64, _), cache64 = lstm_forward(**p)
    assert h32.dtype == c32.dtype == np.float32
    np.testing.assert_allclose(h32, h64, atol=1e-5)
    dh = rng.normal(size=h64.shape)
    for g32, g64 in zip(
        lstm_backward(dh.astype(np.float32), cache32), lstm_backward(dh, cache64)
    ):
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32, g64, atol=1e-4)


def test_forget_gate_slice_and_gate_order():
    assert GATE_ORDER == ("i", "f", "g", "o")
    assert gate_slice("f", 5) == slice(5, 10)
    # With a huge forget bias and a closed input gate, the cell state is carried unchanged.
    rng = np.random.default_rng(6)
    p = make_params(rng, 2, 5, 3, 4)
    p["Wx"][:] = 0
    p["Wh"][:] = 0
    p["b"][:] = 0
    p["b"][gate_slice("f", 4)] = 50.0
    p["b"][gate_slice("i", 4)] = -50.0
    (_, c), _ = lstm_forward(**p)
    np.testing.assert_allclose(c[:, -1], p["c0"], atol=1e-12)


def test_weights_round_trip_through_torch():
    rng = np.random.default_rng(8)
    p = make_params(rng, 1, 1, 3, 4)
    layer = torch.nn.LSTM(3, 4, batch_first=True).double()
    load_lstm_weights(layer, p["Wx"], p["Wh"], p["b"])
    for got, want in zip(lstm_weights_from_torch(layer), (p["Wx"], p["Wh"], p["b"])):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="hidden_size"):
        load_lstm_weights(torch.nn.LSTM(3, 5), p["Wx"], p["Wh"], p["b"])


@pytest.mark.parametrize(
    "name,bad_shape,message",
    [
        (
            "x",
            (2, 3, 5),
            r"expected x of shape \(N, T, D\) = \(2, 3, 3\), got \(2, 3, 5\)",
        ),
        ("h0", (2, 5), r"expected h0 of shape \(N, H\) = \(2, 4\), got \(2, 5\)"),
        ("c0", (3, 4), r"expected c0 of shape \(N, H\) = \(2, 4\), got \(3, 4\)"),
        ("Wh", (12, 4), r"expected Wh of shape \(4H, H\) = \(16, 4\), got \(12, 4\)"),
        ("b", (4,), r"expected b of shape \(4H,?\) = \(16,\), got \(4,\)"),
    ],
)
def test_shape_errors_name_the_shapes(name, bad_shape, message):
    rng = np.random.default_rng(9)
    p = make_params(rng, 2, 3, 3, 4)
    p[name] = rng.normal(size=bad_shape)
    with pytest.raises(ValueError, match=message):
        lstm_forward(**p)


def test_stacking_error_and_dh_shape_error():
    rng = np.random.default_rng(10)
    p = make_params(rng, 2, 3, 3, 4)
    p["Wx"], p["Wh"], p["b"] = p["Wx"][:12], p["Wh"][:12], p["b"][:12]
    with pytest.raises(ValueError, match=r"4 gates of H = 4"):
        lstm_forward(**p)
    p = make_params(rng, 2, 3, 3, 4)
    _, cache = lstm_forward(**p)
    with pytest.raises(
        ValueError,
        match=r"expected dh of shape \(N, T, H\) = \(2, 3, 4\), got \(2, 4, 3\)",
    ):
        lstm_backward(np.zeros((2, 4, 3)), cache)
    with pytest.raises(
        ValueError, match=r"expected h_prev of shape \(N, H\) = \(2, 4\), got \(2, 3\)"
    ):
        lstm_step_forward(
            p["x"][:, 0], p["h0"][:, :3], p["c0"], p["Wx"], p["Wh"], p["b"]
        )
