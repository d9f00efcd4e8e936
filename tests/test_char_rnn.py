"""CharRNN: gradient check of the whole model, and agreement with torch.nn in float64."""

import numpy as np
import pytest
import torch

from rnnbook.data.text import tbptt_batches
from rnnbook.frameworks.torch_interop import load_rnn_weights
from rnnbook.scratch.char_rnn import CharRNN, one_hot, softmax_with_temperature
from rnnbook.scratch.gradcheck import numerical_gradient, relative_error

SIZES = [
    (3, 4, 5, 6),
    (1, 1, 3, 1),
    (1, 5, 2, 4),
    (2, 1, 4, 3),
]  # (N, T, V, H): batch 1, one step, one unit


def _data(N, T, V, seed=1):
    rng = np.random.default_rng(seed)
    inputs = rng.integers(0, V, size=(N, T))
    targets = rng.integers(0, V, size=(N, T))
    return inputs, targets, rng


@pytest.mark.parametrize("N,T,V,H", SIZES)
def test_whole_model_gradient_check(N, T, V, H):
    model = CharRNN(V, H, seed=0, dtype=np.float64)
    inputs, targets, rng = _data(N, T, V)
    h0 = 0.5 * rng.standard_normal((N, H))
    _, grads, _ = model.loss(inputs, targets, h0)
    for name, p in model.params.items():
        num = numerical_gradient(lambda _: model.loss(inputs, targets, h0)[0], p)
        err = relative_error(grads[name], num)
        assert err <= 1e-6, f"{name}: relative error {err:.2e}"


def _torch_reference(model, inputs, targets, h0):
    """Loss, gradients and last state of the same model written with torch.nn layers."""
    V, H = model.V, model.H
    rnn = torch.nn.RNN(V, H, batch_first=True, dtype=torch.float64)
    out_layer = torch.nn.Linear(H, V, dtype=torch.float64)
    p = model.params
    load_rnn_weights(rnn, p["Wxh"], p["Whh"], p["bh"])
    with torch.no_grad():
        out_layer.weight.copy_(torch.tensor(p["Why"]))
        out_layer.bias.copy_(torch.tensor(p["by"]))
    x = torch.nn.functional.one_hot(torch.tensor(inputs), V).double()
    h, h_last = rnn(x, torch.tensor(h0)[None])
    scores = out_layer(h)
    loss = torch.nn.functional.cross_entropy(
        scores.reshape(-1, V), torch.tensor(targets).reshape(-1)
    )
    loss.backward()
    grads = {
        "Wxh": rnn.weight_ih_l0.grad,
        "Whh": rnn.weight_hh_l0.grad,
        "bh": rnn.bias_ih_l0.grad,
        "Why": out_layer.weight.grad,
        "by": out_layer.bias.grad,
    }
    return (
        loss.item(),
        {k: v.numpy() for k, v in grads.items()},
        h_last[0].detach().numpy(),
    )


@pytest.mark.parametrize("N,T,V,H", SIZES + [(4, 12, 7, 16)])
def test_matches_torch_nn(N, T, V, H):
    model = CharRNN(V, H, seed=3, dtype=np.float64)
    inputs, targets, rng = _data(N, T, V, seed=2)
    h0 = 0.5 * rng.standard_normal((N, H))
    loss, grads, h_last = model.loss(inputs, targets, h0)
    t_loss, t_grads, t_h_last = _torch_reference(model, inputs, targets, h0)
    assert abs(loss - t_loss) <= 1e-12
    np.testing.assert_allclose(h_last, t_h_last, rtol=0, atol=1e-12)
    for name in model.params:
        assert grads[name].shape == model.params[name].shape
        np.testing.assert_allclose(
            grads[name], t_grads[name], rtol=1e-9, atol=1e-12, err_msg=name
        )


def test_float32_model_stays_float32():
    model = CharRNN(5, 4, dtype=np.float32)
    inputs, targets, _ = _data(2, 3, 5)
    loss, grads, h_last = model.loss(inputs, targets)
    assert h_last.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())


def test_evaluate_carries_state_like_training():
    model = CharRNN(6, 5, seed=0, dtype=np.float64)
    ids = np.random.default_rng(0).integers(0, 6, size=131)
    h, total = model.init_hidden(3), []
    for inputs, targets in tbptt_batches(ids, 3, 7):
        loss, _, h = model.loss(inputs, targets, h)
        total.append(loss)
    assert model.evaluate(ids, N=3, T=7) == pytest.approx(np.mean(total), rel=1e-12)


def test_sampling():
    model = CharRNN(6, 8, seed=0, dtype=np.float64)
    prefix = np.array([1, 2, 3])
    a = model.sample(prefix, 50, temperature=1.0, rng=0)
    assert a.shape == (50,) and a.dtype == np.int64 and a.min() >= 0 and a.max() < 6
    np.testing.assert_array_equal(
        a, model.sample(prefix, 50, temperature=1.0, rng=0)
    )  # seeded
    greedy = model.sample(prefix, 20, greedy=True)
    np.testing.assert_array_equal(
        greedy, model.sample(prefix, 20, temperature=1e-6, rng=5)
    )
    # the first greedy character is the argmax of the scores after the prefix
    scores, _, _ = model.forward(prefix[None])
    assert greedy[0] == np.argmax(scores[0, -1])


def test_softmax_with_temperature():
    s = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(softmax_with_temperature(s, 1.0).sum(), 1.0)
    np.testing.assert_allclose(
        softmax_with_temperature(s, 1e9), np.full((1, 3), 1 / 3), atol=1e-8
    )
    np.testing.assert_allclose(
        softmax_with_temperature(s, 0.5), softmax_with_temperature(2 * s, 1.0)
    )
    with pytest.raises(ValueError, match="temperature must be positive"):
        softmax_with_temperature(s, 0.0)


def test_one_hot_and_errors():
    np.testing.assert_array_equal(
        one_hot(np.array([[2, 0]]), 3), [[[0, 0, 1], [1, 0, 0]]]
    )
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        one_hot(np.array([3]), 3)
    model = CharRNN(4, 3)
    with pytest.raises(ValueError, match=r"expected inputs of shape \(N, T\)"):
        model.forward(np.array([1, 2]))
    with pytest.raises(
        ValueError, match=r"expected h0 of shape \(N, H\) = \(2, 3\), got \(2, 4\)"
    ):
        model.forward(np.zeros((2, 5), dtype=int), np.zeros((2, 4), dtype=np.float32))
