"""Gradient clipping against torch.nn.utils and an element-wise reference."""

import numpy as np
import pytest
import torch

from rnnbook.scratch.clipping import clip_by_global_norm, clip_by_value, global_norm


def _grads(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return {
        "Wxh": rng.standard_normal((5, 3)) * scale,
        "Whh": rng.standard_normal((5, 5)) * scale,
        "bh": rng.standard_normal(5) * scale,
        "one": rng.standard_normal(1) * scale,
    }


@pytest.mark.parametrize(
    "max_norm,scale", [(1.0, 1.0), (100.0, 1.0), (0.5, 1e-3), (5.0, 1e3)]
)
def test_global_norm_clipping_matches_torch(max_norm, scale):
    grads = _grads(scale=scale)
    tensors = [
        torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        for g in grads.values()
    ]
    for t, g in zip(tensors, grads.values()):
        t.grad = torch.tensor(g.copy())
    torch_norm = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    norm = clip_by_global_norm(grads, max_norm)
    assert abs(norm - float(torch_norm)) <= 1e-10 * max(1.0, norm)
    for t, g in zip(tensors, grads.values()):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_global_norm_clipping_keeps_direction_and_caps_norm():
    grads = _grads(scale=10.0)
    before = np.concatenate([g.ravel() for g in grads.values()])
    norm = clip_by_global_norm(grads, 1.0)
    after = np.concatenate([g.ravel() for g in grads.values()])
    assert norm == pytest.approx(np.linalg.norm(before), rel=1e-12)
    assert np.linalg.norm(after) == pytest.approx(1.0, rel=1e-5)
    cosine = before @ after / (np.linalg.norm(before) * np.linalg.norm(after))
    assert cosine == pytest.approx(1.0, abs=1e-12)


def test_value_clipping_matches_reference_and_torch():
    grads = _grads(scale=3.0)
    originals = {k: v.copy() for k, v in grads.items()}
    tensors = [
        torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        for g in grads.values()
    ]
    for t, g in zip(tensors, grads.values()):
        t.grad = torch.tensor(g.copy())
    torch.nn.utils.clip_grad_value_(tensors, 2.0)
    norm = clip_by_value(grads, 2.0)
    assert norm == pytest.approx(
        np.sqrt(sum(np.sum(v**2) for v in originals.values())), rel=1e-12
    )
    for (k, g), t in zip(grads.items(), tensors):
        # element-wise reference written out: min(max(g, -c), c)
        expected = np.array(
            [min(max(v, -2.0), 2.0) for v in originals[k].ravel()]
        ).reshape(g.shape)
        np.testing.assert_array_equal(g, expected)
        np.testing.assert_array_equal(g, t.grad.numpy())


def test_accepts_lists_and_float32():
    grads = [np.full(4, 3.0, dtype=np.float32)]  # norm 6
    assert clip_by_global_norm(grads, 3.0) == pytest.approx(6.0)
    assert grads[0].dtype == np.float32
    np.testing.assert_allclose(grads[0], 1.5, rtol=1e-5)
    assert global_norm(grads) == pytest.approx(3.0, rel=1e-5)


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_norm must be positive"):
        clip_by_global_norm(_grads(), 0.0)
    with pytest.raises(ValueError, match="clip_value must be positive"):
        clip_by_value(_grads(), -1.0)
    with pytest.raises(TypeError, match="numpy arrays"):
        clip_by_global_norm([[1.0, 2.0]], 1.0)
