"""minGRU / minLSTM: the parallel (log-space scan) mode equals the sequential mode, and the
step equals the paper's equations written out here in NumPy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnbook.frameworks.min_rnn import (
    MinGRU,
    MinLSTM,
    MinRNNLM,
    MinRNNRegressor,
    count_parameters,
    g,
    log_g,
)

RTOL = 1e-10


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _g_numpy(x):
    return np.where(x >= 0, x + 0.5, _sigmoid(x))


def _layer(cls, D=3, H=5, seed=0):
    torch.manual_seed(seed)
    layer = cls(D, H).double()
    with torch.no_grad():  # spread the gates so that both branches of g are used
        layer.linear.weight.mul_(3.0)
    return layer


def _rel(got, ref):
    got, ref = np.asarray(got), np.asarray(ref)
    return float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))


def test_g_is_continuous_positive_and_log_g_matches():
    x = torch.linspace(-30, 30, 2001, dtype=torch.float64)
    assert (g(x) > 0).all()
    xn = x.numpy()
    # log sigmoid(x) = -log(1 + exp(-x)), written with logaddexp for very negative x
    expected = np.where(xn >= 0, np.log(np.abs(xn) + 0.5), -np.logaddexp(0.0, -xn))
    np.testing.assert_allclose(log_g(x).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(np.exp(expected), _g_numpy(xn), rtol=1e-12)
    # continuity at 0: both branches give 1/2
    assert (
        g(torch.tensor(0.0)).item() == 0.5 and torch.sigmoid(torch.tensor(0.0)) == 0.5
    )
    # no NaN gradient from the branch torch.where does not select
    x = x.clone().requires_grad_(True)
    log_g(x).sum().backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
def test_step_equals_the_equations(cls):
    layer = _layer(cls)
    W = layer.linear.weight.detach().numpy()
    c = layer.linear.bias.detach().numpy()
    rng = np.random.default_rng(0)
    x, h_prev = rng.standard_normal((4, 3)), rng.uniform(0.1, 2.0, (4, 5))
    pre = x @ W.T + c
    if cls is MinGRU:
        k, p = pre[:, :5], pre[:, 5:]
        z = _sigmoid(k)
        expected = (1 - z) * h_prev + z * _g_numpy(p)
    else:
        f, i, p = _sigmoid(pre[:, :5]), _sigmoid(pre[:, 5:10]), pre[:, 10:]
        expected = f / (f + i) * h_prev + i / (f + i) * _g_numpy(p)
    got = layer.step(torch.tensor(x), torch.tensor(h_prev)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
@pytest.mark.parametrize("T", [1, 7, 512, 2048])
@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize("mode", ["parallel", "scan"])
def test_parallel_equals_sequential(cls, T, with_h0, mode):
    layer = _layer(cls, seed=T)
    torch.manual_seed(T + 1)
    x = 2.0 * torch.randn(2, T, 3, dtype=torch.float64)
    h0 = torch.rand(2, 5, dtype=torch.float64) + 0.1 if with_h0 else None
    with torch.no_grad():
        par = layer(x, h0, mode=mode).numpy()
        seq = layer(x, h0, mode="sequential").numpy()
    assert _rel(par, seq) <= RTOL


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
def test_parallel_gradients_equal_sequential(cls):
    layer = _layer(cls, seed=3)
    torch.manual_seed(4)
    x = torch.randn(2, 200, 3, dtype=torch.float64)
    w = torch.randn(2, 200, 5, dtype=torch.float64)
    grads = {}
    for mode in ("parallel", "scan", "sequential"):
        layer.zero_grad()
        xi = x.clone().requires_grad_(True)
        (layer(xi, mode=mode) * w).sum().backward()
        grads[mode] = [xi.grad.numpy()] + [
            p.grad.numpy().copy() for p in layer.parameters()
        ]
    for mode in ("parallel", "scan"):
        for got, ref in zip(grads[mode], grads["sequential"]):
            assert _rel(got, ref) <= RTOL


def test_negative_h0_and_bad_shapes_are_rejected():
    layer = MinGRU(3, 5)
    x = torch.randn(2, 4, 3)
    with pytest.raises(ValueError, match="h0 >= 0"):
        layer(x, -torch.ones(2, 5))
    with pytest.raises(ValueError, match="h0 of shape"):
        layer(x, torch.ones(3, 5))
    with pytest.raises(ValueError, match="x of shape"):
        layer(torch.randn(2, 4, 2))
    with pytest.raises(ValueError, match="mode"):
        layer(x, mode="log")


def test_parameter_counts():
    assert count_parameters(MinGRU(3, 5)) == 2 * 5 * (3 + 1)
    assert count_parameters(MinLSTM(3, 5)) == 3 * 5 * (3 + 1)
    assert (
        count_parameters(MinRNNRegressor(2, 4, layers=2)) == 2 * 4 * 3 + 2 * 4 * 5 + 5
    )


def test_language_model_carries_its_state_across_chunks():
    torch.manual_seed(0)
    lm = MinRNNLM(V=11, embed=6, hidden=8, layers=3).double()
    x = torch.randint(0, 11, (3, 20))
    with torch.no_grad():
        whole, _ = lm(x)
        first, state = lm(x[:, :12])
        second, _ = lm(x[:, 12:], state)
        seq, _ = lm(x, mode="sequential")
        lm.mode = "scan"  # the default mode of forward(), used by the training loop
        scanned, _ = lm(x)
    assert _rel(torch.cat([first, second], 1).numpy(), whole.numpy()) <= RTOL
    assert _rel(seq.numpy(), whole.numpy()) <= RTOL
    assert _rel(scanned.numpy(), whole.numpy()) <= RTOL


def test_language_model_trains_with_the_char_lm_loop():
    from rnnbook.frameworks.char_lm import evaluate

    torch.manual_seed(0)
    ids = np.tile(np.arange(7), 200)  # a periodic text: easy to learn
    lm = MinRNNLM(V=7, embed=8, hidden=16, layers=2)
    before = evaluate(lm, ids, N=4, T=50)
    opt = torch.optim.Adam(lm.parameters(), lr=1e-2)
    x = torch.as_tensor(ids[:-1]).view(1, -1)
    y = torch.as_tensor(ids[1:]).view(1, -1)
    for _ in range(60):
        logits, _ = lm(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 7), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = evaluate(lm, ids, N=4, T=50)
    assert after < 0.2 < before


def test_block_language_model_matches_its_own_sequential_mode_and_torch_pieces():
    """The block architecture, checked against a hand-written loop over torch modules."""
    torch.manual_seed(1)
    lm = MinRNNLM(V=9, embed=8, hidden=8, layers=2, mlp_ratio=2).double()
    x = torch.randint(0, 9, (2, 15))
    with torch.no_grad():
        logits, last = lm(x)
        seq, _ = lm(x, mode="sequential")
        first, state = lm(x[:, :6])
        second, _ = lm(x[:, 6:], state)
        # independent: step every layer by hand with MinGRU.step and the block formula
        u = lm.embedding(x)
        for k in range(2):
            v = lm.rnn_norms[k](u)
            h = torch.zeros(2, 8, dtype=torch.float64)
            states = []
            for t in range(15):
                h = lm.rnns[k].step(v[:, t], h)
                states.append(h)
            u = u + torch.stack(states, 1)
            u = u + lm.mlps[k](lm.mlp_norms[k](u))
            assert _rel(last[k].numpy(), states[-1].numpy()) <= RTOL
        expected = lm.readout(lm.final_norm(u))
    assert _rel(logits.numpy(), expected.numpy()) <= RTOL
    assert _rel(seq.numpy(), logits.numpy()) <= RTOL
    assert _rel(torch.cat([first, second], 1).numpy(), logits.numpy()) <= RTOL


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(embed=8, hidden=16, mlp_ratio=2), "embed must equal hidden"),
        (dict(mlp_ratio=-1), "mlp_ratio"),
        (dict(hidden=0), "hidden"),
        (dict(layers=0), "layers"),
        (dict(mode="log"), "mode"),
    ],
)
def test_language_model_rejects_bad_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MinRNNLM(V=9, **kwargs)
