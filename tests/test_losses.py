"""temporal_softmax_cross_entropy against torch.nn.functional.cross_entropy (float64)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from rnnbook.scratch.gradcheck import grad_check, relative_error  # noqa: E402
from rnnbook.scratch.losses import log_softmax, temporal_softmax_cross_entropy  # noqa: E402


def data(N, T, V, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return scale * rng.standard_normal((N, T, V)), rng.integers(0, V, size=(N, T)), rng


def torch_loss(scores, targets, weights, reduction):
    s = torch.tensor(scores, requires_grad=True)
    N, T, V = scores.shape
    per_step = F.cross_entropy(
        s.reshape(-1, V), torch.from_numpy(targets).reshape(-1), reduction="none"
    )
    w = torch.from_numpy(np.asarray(weights, dtype=np.float64).reshape(-1))
    loss = (per_step * w).sum() / (N if reduction == "batch" else w.sum())
    loss.backward()
    return loss.item(), s.grad.numpy()


@pytest.mark.parametrize("N,T,V", [(2, 3, 5), (1, 1, 2), (1, 6, 3), (4, 1, 7)])
def test_no_mask_matches_torch_sum_over_batch(N, T, V):
    scores, targets, _ = data(N, T, V)
    loss, dscores = temporal_softmax_cross_entropy(scores, targets)
    ref = (
        F.cross_entropy(
            torch.from_numpy(scores).reshape(-1, V),
            torch.from_numpy(targets).reshape(-1),
            reduction="sum",
        )
        / N
    )
    assert abs(loss - ref.item()) <= 1e-12 * max(1, abs(loss))
    t_loss, t_grad = torch_loss(scores, targets, np.ones((N, T)), "batch")
    assert relative_error(dscores, t_grad) <= 1e-10


def test_bool_mask_matches_torch_ignore_index():
    scores, targets, rng = data(3, 5, 4, seed=1)
    mask = rng.random((3, 5)) < 0.6
    padded = np.where(mask, targets, -100)  # masked targets may hold anything
    for normalize, reduction in [("batch", "sum"), ("tokens", "mean")]:
        loss, dscores = temporal_softmax_cross_entropy(
            scores, padded, mask, normalize=normalize
        )
        s = torch.tensor(scores, requires_grad=True)
        ref = F.cross_entropy(
            s.reshape(-1, 4),
            torch.from_numpy(padded).reshape(-1),
            ignore_index=-100,
            reduction=reduction,
        )
        if normalize == "batch":
            ref = ref / 3
        ref.backward()
        assert abs(loss - ref.item()) <= 1e-12 * max(1, abs(loss)), normalize
        assert relative_error(dscores, s.grad.numpy()) <= 1e-10, normalize
        assert np.all(dscores[~mask] == 0)


def test_float_mask_weights_each_step():
    scores, targets, rng = data(2, 4, 6, seed=2)
    weights = rng.random((2, 4))
    for normalize in ["batch", "tokens"]:
        loss, dscores = temporal_softmax_cross_entropy(
            scores, targets, weights, normalize=normalize
        )
        t_loss, t_grad = torch_loss(scores, targets, weights, normalize)
        assert abs(loss - t_loss) <= 1e-12 * max(1, abs(loss))
        assert relative_error(dscores, t_grad) <= 1e-10


def test_gradient_matches_finite_differences():
    scores, targets, rng = data(2, 3, 5, seed=3, scale=1.0)
    mask = np.array([[1, 1, 0], [1, 0, 0]], dtype=bool)
    for normalize in ["batch", "tokens"]:
        _, dscores = temporal_softmax_cross_entropy(
            scores, targets, mask, normalize=normalize
        )
        err = grad_check(
            lambda s: temporal_softmax_cross_entropy(
                s, targets, mask, normalize=normalize
            )[0],
            scores,
            dscores,
        )
        assert err <= 1e-7


def test_stable_for_huge_scores():
    scores = np.array([[[1000.0, 0.0, -1000.0], [-1e4, 1e4, 0.0]]])
    loss, dscores = temporal_softmax_cross_entropy(scores, np.array([[0, 0]]))
    assert np.isfinite(loss) and np.all(np.isfinite(dscores))
    assert loss == pytest.approx(2e4)
    np.testing.assert_allclose(log_softmax(np.array([1e308, 0.0])), [0.0, -1e308])


def test_all_masked_gives_zero():
    scores, targets, _ = data(2, 3, 4)
    mask = np.zeros((2, 3), dtype=bool)
    for normalize in ["batch", "tokens"]:
        loss, dscores = temporal_softmax_cross_entropy(
            scores, targets, mask, normalize=normalize
        )
        assert loss == 0.0 and np.all(dscores == 0)


def test_bad_input_messages():
    scores, targets, _ = data(2, 3, 4)
    with pytest.raises(
        ValueError, match=r"expected targets of shape \(N, T\) = \(2, 3\), got \(3, 2\)"
    ):
        temporal_softmax_cross_entropy(scores, targets.T)
    with pytest.raises(TypeError, match="integer class indices"):
        temporal_softmax_cross_entropy(scores, targets.astype(float))
    with pytest.raises(ValueError, match=r"\[0, 4\).*found 4 at \(n, t\) = \(0, 1\)"):
        bad = targets.copy()
        bad[0, 1] = 4
        temporal_softmax_cross_entropy(scores, bad)
    with pytest.raises(ValueError, match=r"expected mask of shape"):
        temporal_softmax_cross_entropy(scores, targets, np.ones((2, 4), dtype=bool))
    with pytest.raises(ValueError, match="normalize"):
        temporal_softmax_cross_entropy(scores, targets, normalize="mean")
