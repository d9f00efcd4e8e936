"""Tests for rnnbook.scratch.layer_norm: statistics, gradients by finite differences, torch."""

import numpy as np
import pytest

from rnnbook.scratch.gradcheck import numerical_gradient
from rnnbook.scratch.layer_norm import (
    layer_norm_backward,
    layer_norm_forward,
    ln_rnn_step_backward,
    ln_rnn_step_forward,
)


def test_rows_are_standardised_and_independent_of_the_batch():
    rng = np.random.default_rng(0)
    a = 3.0 + 5.0 * rng.standard_normal((6, 10))
    out, _ = layer_norm_forward(a, np.ones(10), np.zeros(10), eps=0.0)
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=1), 1.0, rtol=1e-12)
    single, _ = layer_norm_forward(a[2:3], np.ones(10), np.zeros(10), eps=0.0)
    np.testing.assert_allclose(
        single[0], out[2], rtol=1e-12
    )  # batch of one: same answer


def test_layer_norm_gradients_by_finite_differences():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 6))
    gamma, beta = 1 + 0.3 * rng.standard_normal(6), 0.1 * rng.standard_normal(6)
    dout = rng.standard_normal((4, 6))
    _, cache = layer_norm_forward(a, gamma, beta)
    da, dgamma, dbeta = layer_norm_backward(dout, cache)
    f = lambda _: layer_norm_forward(a, gamma, beta)[0]  # noqa: E731
    np.testing.assert_allclose(da, numerical_gradient(f, a, dout), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        dgamma, numerical_gradient(f, gamma, dout), rtol=1e-6, atol=1e-9
    )
    np.testing.assert_allclose(
        dbeta, numerical_gradient(f, beta, dout), rtol=1e-6, atol=1e-9
    )


def test_ln_rnn_step_gradients_by_finite_differences():
    rng = np.random.default_rng(2)
    N, D, H = 3, 4, 5
    args = dict(
        x=rng.standard_normal((N, D)),
        h_prev=rng.standard_normal((N, H)),
        Wxh=rng.standard_normal((H, D)) / 2,
        Whh=rng.standard_normal((H, H)) / 2,
        gamma=1 + 0.2 * rng.standard_normal(H),
        beta=0.1 * rng.standard_normal(H),
    )
    dh = rng.standard_normal((N, H))
    _, cache = ln_rnn_step_forward(**args)
    grads = ln_rnn_step_backward(dh, cache)
    for name, grad in zip(args, grads):
        f = lambda _: ln_rnn_step_forward(**args)[0]  # noqa: E731
        num = numerical_gradient(f, args[name], dh)
        np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-9, err_msg=name)


def test_matches_torch_layer_norm():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 7))
    gamma, beta = rng.standard_normal(7), rng.standard_normal(7)
    out, _ = layer_norm_forward(a, gamma, beta, eps=1e-5)
    expected = torch.nn.functional.layer_norm(
        torch.from_numpy(a), (7,), torch.from_numpy(gamma), torch.from_numpy(beta), 1e-5
    )
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-12, atol=1e-12)


def test_bad_arguments_name_the_array():
    rng = np.random.default_rng(4)
    with pytest.raises(ValueError, match=r"expected gamma of shape \(H,\) = \(5,\)"):
        layer_norm_forward(rng.standard_normal((2, 5)), np.ones(4), np.zeros(5))
    _, cache = ln_rnn_step_forward(
        np.ones((2, 3)),
        np.zeros((2, 5)),
        np.ones((5, 3)),
        np.eye(5),
        np.ones(5),
        np.zeros(5),
    )
    with pytest.raises(ValueError, match="expected dh_next of shape"):
        ln_rnn_step_backward(np.ones((1, 5)), cache)
    with pytest.raises(ValueError, match="expected Whh of shape"):
        ln_rnn_step_forward(
            np.ones((2, 3)),
            np.zeros((2, 5)),
            np.ones((5, 3)),
            np.eye(4),
            np.ones(5),
            np.zeros(5),
        )
