"""Backward passes of the vanilla RNN and the temporal affine layer.

Checked two independent ways, in float64:
* centred differences (rnnbook.scratch.gradcheck) -- step <= 1e-7, whole model <= 1e-6
  relative error;
* PyTorch autograd through torch.nn.RNN / torch.nn.Linear with copied weights -- <= 1e-10.
"""

import numpy as np
import pytest

from rnnbook.scratch.gradcheck import grad_check, relative_error
from rnnbook.scratch.layers import temporal_affine_backward, temporal_affine_forward
from rnnbook.scratch.losses import temporal_softmax_cross_entropy
from rnnbook.scratch.rnn import (
    random_rnn_problem,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402  (after the skip when torch is missing)

from rnnbook.frameworks.torch_interop import load_rnn_weights  # noqa: E402

# (N, T, D, H, V): general sizes and the edges (batch 1, one time step, one hidden unit).
SIZES = [
    (2, 3, 4, 5, 6),
    (1, 4, 3, 5, 4),
    (3, 1, 2, 4, 3),
    (2, 5, 3, 1, 3),
    (1, 1, 1, 1, 2),
    (4, 12, 5, 7, 9),
]


def make_params(N, T, D, H, V, seed=0):
    rng = np.random.default_rng(seed)
    return random_rnn_problem(rng, N, T, D, H, V), rng


def model_loss(p, targets, mask):
    """Forward and backward of RNN -> temporal affine -> masked softmax cross-entropy."""
    h, rnn_cache = rnn_forward(p["x"], p["h0"], p["Wxh"], p["Whh"], p["bh"])
    scores, aff_cache = temporal_affine_forward(h, p["Why"], p["by"])
    loss, dscores = temporal_softmax_cross_entropy(scores, targets, mask)
    dh, dWhy, dby = temporal_affine_backward(dscores, aff_cache)
    dx, dh0, dWxh, dWhh, dbh = rnn_backward(dh, rnn_cache)
    grads = dict(x=dx, h0=dh0, Wxh=dWxh, Whh=dWhh, bh=dbh, Why=dWhy, by=dby)
    return loss, grads


@pytest.mark.parametrize("N,T,D,H,V", SIZES)
def test_step_backward_matches_finite_differences(N, T, D, H, V):
    p, rng = make_params(N, T, D, H, V)
    x, h_prev = p["x"][:, 0].copy(), p["h0"]
    dh_next = rng.standard_normal((N, H))
    _, cache = rnn_step_forward(x, h_prev, p["Wxh"], p["Whh"], p["bh"])
    grads = rnn_step_backward(dh_next, cache)
    args = dict(x=x, h_prev=h_prev, Wxh=p["Wxh"], Whh=p["Whh"], bh=p["bh"])
    for (name, value), grad in zip(args.items(), grads):
        assert grad.shape == value.shape, name
        err = grad_check(lambda _: rnn_step_forward(**args)[0], value, grad, df=dh_next)
        assert err <= 1e-7, f"d{name}: relative error {err:.2e}"


@pytest.mark.parametrize("N,T,D,H,V", SIZES)
def test_whole_model_matches_finite_differences(N, T, D, H, V):
    p, rng = make_params(N, T, D, H, V, seed=1)
    targets = rng.integers(0, V, size=(N, T))
    mask = rng.random((N, T)) < 0.7
    mask[0, 0] = True  # at least one step counts
    _, grads = model_loss(p, targets, mask)
    for name, value in p.items():
        assert grads[name].shape == value.shape, name
        err = grad_check(
            lambda _: model_loss(p, targets, mask)[0],
            value,
            grads[name],
            max_entries=60,
        )
        assert err <= 1e-6, f"d{name}: relative error {err:.2e}"


def torch_model(p, targets, mask, N, D, H, V):
    """The same model built from torch.nn layers with the NumPy weights copied in (float64)."""
    rnn = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
    load_rnn_weights(rnn, p["Wxh"], p["Whh"], p["bh"])
    out = torch.nn.Linear(H, V, dtype=torch.float64)
    with torch.no_grad():
        out.weight.copy_(torch.from_numpy(p["Why"]))
        out.bias.copy_(torch.from_numpy(p["by"]))
    x = torch.tensor(p["x"], requires_grad=True)
    h0 = torch.tensor(p["h0"], requires_grad=True)
    h, _ = rnn(x, h0[None])
    scores = out(h)
    per_step = F.cross_entropy(
        scores.reshape(-1, V), torch.from_numpy(targets).reshape(-1), reduction="none"
    )
    loss = (per_step * torch.from_numpy(mask.reshape(-1)).double()).sum() / N
    loss.backward()
    return loss.item(), dict(
        x=x.grad,
        h0=h0.grad,
        Wxh=rnn.weight_ih_l0.grad,
        Whh=rnn.weight_hh_l0.grad,
        bh=rnn.bias_ih_l0.grad,
        Why=out.weight.grad,
        by=out.bias.grad,
    )


@pytest.mark.parametrize("N,T,D,H,V", SIZES)
@pytest.mark.parametrize("seed", [0, 1])
def test_whole_model_matches_torch_autograd(N, T, D, H, V, seed):
    p, rng = make_params(N, T, D, H, V, seed=seed)
    targets = rng.integers(0, V, size=(N, T))
    mask = rng.random((N, T)) < 0.7
    loss, grads = model_loss(p, targets, mask)
    t_loss, t_grads = torch_model(p, targets, mask, N, D, H, V)
    assert abs(loss - t_loss) <= 1e-10 * max(1.0, abs(t_loss))
    for name, grad in grads.items():
        expected = t_grads[name].numpy()
        assert grad.shape == expected.shape, name
        err = relative_error(grad, expected)
        assert err <= 1e-10, f"d{name}: relative error {err:.2e} vs torch"


@pytest.mark.parametrize("N,T,D,H,V", SIZES)
def test_rnn_backward_arbitrary_upstream_matches_torch(N, T, D, H, V):
    """dh is an arbitrary (N, T, H) upstream gradient on every hidden state."""
    p, rng = make_params(N, T, D, H, V, seed=2)
    dh = rng.standard_normal((N, T, H))
    h, cache = rnn_forward(p["x"], p["h0"], p["Wxh"], p["Whh"], p["bh"])
    grads = rnn_backward(dh, cache)
    rnn = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
    load_rnn_weights(rnn, p["Wxh"], p["Whh"], p["bh"])
    x = torch.tensor(p["x"], requires_grad=True)
    h0 = torch.tensor(p["h0"], requires_grad=True)
    th, _ = rnn(x, h0[None])
    np.testing.assert_allclose(h, th.detach().numpy(), rtol=0, atol=1e-13)
    (th * torch.from_numpy(dh)).sum().backward()
    expected = [
        x.grad,
        h0.grad,
        rnn.weight_ih_l0.grad,
        rnn.weight_hh_l0.grad,
        rnn.bias_hh_l0.grad,
    ]
    for name, g, e in zip(["dx", "dh0", "dWxh", "dWhh", "dbh"], grads, expected):
        err = relative_error(g, e.numpy())
        assert err <= 1e-10, f"{name}: relative error {err:.2e} vs torch"


def test_step_backward_matches_one_step_sequence():
    p, rng = make_params(3, 1, 4, 5, 2)
    dh = rng.standard_normal((3, 1, 5))
    _, seq_cache = rnn_forward(p["x"], p["h0"], p["Wxh"], p["Whh"], p["bh"])
    _, step_cache = rnn_step_forward(p["x"][:, 0], p["h0"], p["Wxh"], p["Whh"], p["bh"])
    seq = rnn_backward(dh, seq_cache)
    step = rnn_step_backward(dh[:, 0], step_cache)
    np.testing.assert_allclose(seq[0][:, 0], step[0], rtol=1e-14, atol=1e-15)
    for a, b in zip(seq[1:], step[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


def test_temporal_affine_matches_torch_linear():
    rng = np.random.default_rng(3)
    h = rng.standard_normal((2, 3, 4))
    Why, by = rng.standard_normal((5, 4)), rng.standard_normal(5)
    dscores = rng.standard_normal((2, 3, 5))
    scores, cache = temporal_affine_forward(h, Why, by)
    dh, dWhy, dby = temporal_affine_backward(dscores, cache)
    lin = torch.nn.Linear(4, 5, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(Why))
        lin.bias.copy_(torch.from_numpy(by))
    th = torch.tensor(h, requires_grad=True)
    out = lin(th)
    np.testing.assert_allclose(scores, out.detach().numpy(), rtol=1e-14, atol=1e-14)
    (out * torch.from_numpy(dscores)).sum().backward()
    for g, e in [(dh, th.grad), (dWhy, lin.weight.grad), (dby, lin.bias.grad)]:
        assert relative_error(g, e.numpy()) <= 1e-12


def test_backward_shape_errors_name_the_shapes():
    p, _ = make_params(2, 3, 4, 5, 6)
    _, cache = rnn_forward(p["x"], p["h0"], p["Wxh"], p["Whh"], p["bh"])
    with pytest.raises(
        ValueError,
        match=r"expected dh of shape \(N, T, H\) = \(2, 3, 5\), got \(2, 5, 3\)",
    ):
        rnn_backward(np.zeros((2, 5, 3)), cache)
    _, step_cache = rnn_step_forward(p["x"][:, 0], p["h0"], p["Wxh"], p["Whh"], p["bh"])
    with pytest.raises(ValueError, match="dh_next"):
        rnn_step_backward(np.zeros((2, 4)), step_cache)
    scores, aff_cache = temporal_affine_forward(np.zeros((2, 3, 5)), p["Why"], p["by"])
    with pytest.raises(ValueError, match="dscores"):
        temporal_affine_backward(np.zeros((2, 3, 7)), aff_cache)


def test_float32_backward_stays_float32():
    p, rng = make_params(2, 3, 4, 5, 6)
    p32 = {k: v.astype(np.float32) for k, v in p.items()}
    h, cache = rnn_forward(p32["x"], p32["h0"], p32["Wxh"], p32["Whh"], p32["bh"])
    grads = rnn_backward(np.ones_like(h), cache)
    assert all(g.dtype == np.float32 for g in grads)
