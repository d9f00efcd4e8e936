"""The gradient checker itself, on functions whose gradients are known in closed form."""

import numpy as np
import pytest

from rnnbook.scratch.gradcheck import grad_check, numerical_gradient, relative_error


def test_numerical_gradient_of_known_functions():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    A = rng.standard_normal((4, 4))
    cases = [
        (lambda z: np.sum(z**3), lambda z: 3 * z**2),
        (lambda z: np.sum(np.sin(z) * z), lambda z: np.cos(z) * z + np.sin(z)),
        (lambda z: np.sum((z @ A) ** 2), lambda z: 2 * (z @ A) @ A.T),
        (lambda z: np.log(np.sum(np.exp(z))), lambda z: np.exp(z) / np.sum(np.exp(z))),
    ]
    for f, grad in cases:
        x_before = x.copy()
        num = numerical_gradient(f, x)
        assert np.array_equal(x, x_before), "x must be restored"
        assert relative_error(num, grad(x)) < 1e-7


def test_numerical_gradient_with_upstream_df():
    rng = np.random.default_rng(1)
    x, df = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    num = numerical_gradient(np.tanh, x, df=df)
    assert relative_error(num, df * (1 - np.tanh(x) ** 2)) < 1e-8


def test_truncation_error_is_second_order():
    """Halving eps divides the centred-difference error by about 4."""
    x = np.array([0.7])
    exact = np.exp(0.7)
    errs = [
        abs(numerical_gradient(lambda z: np.exp(z).sum(), x, eps=eps)[0] - exact)
        for eps in (1e-2, 5e-3)
    ]
    assert 3.5 < errs[0] / errs[1] < 4.5


def test_relative_error_definition():
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert relative_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0  # no 0/0
    assert relative_error(np.array([1.0, 0.0]), np.array([1.0, 1e-3])) == pytest.approx(
        1.0
    )
    assert relative_error(np.array([]), np.array([])) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        relative_error(np.zeros(2), np.zeros(3))


def test_grad_check_passes_correct_and_flags_wrong_gradient():
    rng = np.random.default_rng(2)
    W = rng.standard_normal((6, 5))
    f = lambda z: np.sum(np.tanh(z))  # noqa: E731
    good = 1 - np.tanh(W) ** 2
    assert grad_check(f, W, good) < 1e-8
    forgot_derivative = np.ones_like(W)  # the classic bug: tanh' left out
    assert grad_check(f, W, forgot_derivative) > 1e-2
    one_entry_wrong = good.copy()
    one_entry_wrong[3, 2] *= 1.01
    assert grad_check(f, W, one_entry_wrong) > 1e-3


def test_grad_check_samples_large_tensors():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((50, 40))
    calls = []

    def f(z):
        calls.append(1)
        return np.sum(z**2)

    err = grad_check(f, x, 2 * x, max_entries=30)
    assert err < 1e-6  # f is of order 2000, so round-off is larger here
    assert len(calls) == 60  # two evaluations per checked entry
    calls.clear()
    small = rng.standard_normal(7)
    grad_check(f, small, 2 * small, max_entries=30)
    assert len(calls) == 14  # small tensors: every entry
    # the same seed checks the same entries
    wrong = 2 * x
    wrong.reshape(-1)[rng.choice(x.size, 400, replace=False)] = 0.0
    assert grad_check(f, x, wrong, max_entries=30, rng=5) == grad_check(
        f, x, wrong, max_entries=30, rng=5
    )


def test_float64_is_required_and_messages_are_clear():
    x32 = np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(np.sum, x32)
    with pytest.raises(TypeError, match="float64"):
        grad_check(np.sum, x32, np.ones(3))
    with pytest.raises(ValueError, match="pass df"):
        numerical_gradient(lambda z: z * 2, np.ones(3))
    with pytest.raises(ValueError, match="analytic gradient"):
        grad_check(np.sum, np.ones(3), np.ones(4))
