"""Tests for rnnbook.scratch.stacked: deep and bidirectional RNNs against torch.nn.RNN."""

import numpy as np
import pytest

from rnnbook.scratch.rnn import rnn_forward
from rnnbook.scratch.stacked import deep_rnn_forward, sequential_steps


def random_layers(rng, D, H, L, dirs):
    layers = []
    for k in range(L):
        D_k = D if k == 0 else H * dirs
        layers.append(
            [
                (
                    rng.standard_normal((H, D_k)) / np.sqrt(D_k),
                    rng.standard_normal((H, H)) / np.sqrt(H),
                    0.1 * rng.standard_normal(H),
                )
                for _ in range(dirs)
            ]
        )
    return layers


def loop_reference(x, layers, h0):
    """Independent reference: explicit per-step loops, no rnn_forward, no slicing tricks."""
    N, T, _ = x.shape
    dirs = len(layers[0])
    inputs = x
    finals = []
    for k, layer in enumerate(layers):
        outs = []
        for d, (Wxh, Whh, bh) in enumerate(layer):
            H = Whh.shape[0]
            h = h0[k * dirs + d]
            out = np.zeros((N, T, H))
            order = range(T) if d == 0 else range(T - 1, -1, -1)
            for t in order:
                h = np.tanh(inputs[:, t] @ Wxh.T + h @ Whh.T + bh)
                out[:, t] = h
            finals.append(h)
            outs.append(out)
        inputs = np.concatenate(outs, axis=-1)
    return inputs, np.stack(finals)


@pytest.mark.parametrize("L, dirs", [(1, 1), (1, 2), (2, 1), (3, 2)])
def test_matches_loop_reference(L, dirs):
    rng = np.random.default_rng(L * 10 + dirs)
    N, T, D, H = 3, 6, 4, 5
    layers = random_layers(rng, D, H, L, dirs)
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((L * dirs, N, H))
    out, h_n = deep_rnn_forward(x, layers, h0)
    out_ref, h_n_ref = loop_reference(x, layers, h0)
    assert out.shape == (N, T, dirs * H) and h_n.shape == (L * dirs, N, H)
    np.testing.assert_allclose(out, out_ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(h_n, h_n_ref, rtol=1e-12, atol=1e-13)


def test_one_layer_forward_is_rnn_forward_and_default_h0_is_zero():
    rng = np.random.default_rng(0)
    layers = random_layers(rng, 2, 3, 1, 1)
    x = rng.standard_normal((2, 5, 2))
    out, h_n = deep_rnn_forward(x, layers)
    h, _ = rnn_forward(x, np.zeros((2, 3)), *layers[0][0])
    np.testing.assert_array_equal(out, h)
    np.testing.assert_array_equal(h_n[0], h[:, -1])


def test_backward_direction_depends_on_the_future_only():
    """Changing x at the last step changes the backward half at every step, the forward half
    only at the last step."""
    rng = np.random.default_rng(1)
    H = 4
    layers = random_layers(rng, 3, H, 1, 2)
    x = rng.standard_normal((2, 7, 3))
    x2 = x.copy()
    x2[:, -1] += 1.0
    a, _ = deep_rnn_forward(x, layers)
    b, _ = deep_rnn_forward(x2, layers)
    changed = np.abs(a - b).max(axis=(0, 2)) > 0
    fwd_changed = np.abs(a[..., :H] - b[..., :H]).max(axis=(0, 2)) > 0
    bwd_changed = np.abs(a[..., H:] - b[..., H:]).max(axis=(0, 2)) > 0
    assert changed.all()
    assert fwd_changed.tolist() == [False] * 6 + [True]
    assert bwd_changed.all()


def test_matches_torch_two_layer_bidirectional_float64():
    torch = pytest.importorskip("torch")
    from rnnbook.frameworks.torch_models import (
        deep_rnn_weights_from_torch,
        load_deep_rnn_weights,
    )

    torch.manual_seed(0)
    N, T, D, H, L = 3, 8, 4, 5, 2
    layer = torch.nn.RNN(D, H, num_layers=L, bidirectional=True, batch_first=True)
    layer = layer.double()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((2 * L, N, H))
    # torch -> NumPy
    layers = deep_rnn_weights_from_torch(layer)
    out, h_n = deep_rnn_forward(x, layers, h0)
    with torch.no_grad():
        out_t, h_n_t = layer(torch.from_numpy(x), torch.from_numpy(h0))
    assert np.abs(out - out_t.numpy()).max() <= 1e-10
    assert np.abs(h_n - h_n_t.numpy()).max() <= 1e-10
    # NumPy -> torch, with fresh weights
    layers = random_layers(rng, D, H, L, 2)
    load_deep_rnn_weights(layer, layers)
    out, h_n = deep_rnn_forward(x, layers, h0)
    with torch.no_grad():
        out_t, h_n_t = layer(torch.from_numpy(x), torch.from_numpy(h0))
    assert np.abs(out - out_t.numpy()).max() <= 1e-10
    assert np.abs(h_n - h_n_t.numpy()).max() <= 1e-10


def test_bad_arguments_have_clear_messages():
    rng = np.random.default_rng(3)
    layers = random_layers(rng, 3, 4, 2, 2)
    x = rng.standard_normal((2, 5, 3))
    with pytest.raises(ValueError, match=r"layers\[1\]\[0\] Wxh of shape \(4, 8\)"):
        bad = [layers[0], [(layers[1][0][0][:, :4], *layers[1][0][1:]), layers[1][1]]]
        deep_rnn_forward(x, bad)
    with pytest.raises(ValueError, match="same number of directions"):
        deep_rnn_forward(x, [layers[0], layers[1][:1]])
    with pytest.raises(ValueError, match=r"h0 of shape .* = \(4, 2, 4\)"):
        deep_rnn_forward(x, layers, np.zeros((2, 2, 4)))
    with pytest.raises(ValueError, match="expected x to have 3 dimensions"):
        deep_rnn_forward(x[0], layers)
    with pytest.raises(ValueError, match="non-empty"):
        deep_rnn_forward(x, [])


def dag_longest_path(T, L, bidirectional):
    """Brute force: longest chain in the dependency graph of (layer, direction, time) steps."""
    dirs = 2 if bidirectional else 1
    depth = {}
    for k in range(L):
        for d in range(dirs):
            order = range(T) if d == 0 else range(T - 1, -1, -1)
            prev = None
            for t in order:
                parents = [] if prev is None else [depth[(k, d, prev)]]
                if k > 0:
                    parents += [depth[(k - 1, e, t)] for e in range(dirs)]
                depth[(k, d, t)] = 1 + max(parents, default=0)
                prev = t
    return max(depth.values())


@pytest.mark.parametrize("T, L", [(1, 1), (5, 1), (5, 3), (7, 4), (3, 6)])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_sequential_steps_matches_dependency_graph(T, L, bidirectional):
    assert sequential_steps(T, L, bidirectional) == dag_longest_path(
        T, L, bidirectional
    )


def test_sequential_steps_rejects_bad_sizes():
    with pytest.raises(ValueError, match="T >= 1"):
        sequential_steps(0, 2)
    with pytest.raises(TypeError, match="L to be an int"):
        sequential_steps(3, 2.0)
