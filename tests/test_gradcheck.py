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


def test_relative_error_rel_floor_measures_tiny_entries_on_the_array_scale():
    a = np.array([1.0, 1e-23])
    b = np.array([1.0, 3e-11])  # finite-difference noise on an entry that is really ~0
    assert relative_error(a, b) == pytest.approx(1.0)  # the plain definition: "a bug"
    # with rel_floor the tiny entry is divided by 1e-3 * (|1| + |1|) = 2e-3
    assert relative_error(a, b, rel_floor=1e-3) == pytest.approx(3e-11 / 2e-3)
    # entries above the floor are unaffected
    c, d = np.array([1.0, 0.5]), np.array([1.0, 0.6])
    assert relative_error(c, d, rel_floor=1e-3) == relative_error(c, d)
    with pytest.raises(ValueError, match="rel_floor"):
        relative_error(a, b, rel_floor=-1.0)


def test_relative_error_never_lets_nan_or_inf_pass():
    assert relative_error(np.array([1.0, np.nan]), np.array([1.0, 1.0])) == np.inf
    assert relative_error(np.array([np.inf]), np.array([1.0]), rel_floor=1e-3) == np.inf


def _long_rnn_problem(T=40, whh_scale=0.5, seed=0):
    """A correct BPTT whose early-step gradients are far below finite-difference noise."""
    from rnnbook.scratch.rnn import rnn_backward, rnn_forward

    rng = np.random.default_rng(seed)
    N, D, H = 2, 4, 6
    p = dict(
        x=rng.standard_normal((N, T, D)),
        h0=0.5 * rng.standard_normal((N, H)),
        Wxh=rng.standard_normal((H, D)) / np.sqrt(D),
        Whh=whh_scale * rng.standard_normal((H, H)) / np.sqrt(H),
        bh=0.1 * rng.standard_normal(H),
    )
    g = np.zeros((N, T, H))
    g[:, -1] = rng.standard_normal((N, H))  # loss on the last step only
    _, cache = rnn_forward(**p)
    grads = dict(zip(p, rnn_backward(g, cache)))
    return p, g, grads, lambda _: rnn_forward(**p)[0]


def test_correct_long_rnn_gradient_is_a_false_alarm_only_for_the_plain_relative_error():
    p, g, grads, f = _long_rnn_problem()
    assert (
        np.abs(grads["x"][:, 0]).max() < 1e-15
    )  # the early entries are at round-off level
    numerical = numerical_gradient(f, p["x"], df=g)
    assert (
        relative_error(grads["x"], numerical) > 0.5
    )  # plain definition: a false alarm
    for name, value in p.items():
        assert grad_check(f, value, grads[name], df=g, max_entries=None) < 1e-6, name


def test_rel_floor_still_catches_bugs_in_the_long_rnn():
    p, g, grads, f = _long_rnn_problem()
    # a wrong entry that matters: the last step's dx, off by 1 %
    wrong = grads["x"].copy()
    wrong[0, -1, 0] *= 1.01
    assert grad_check(f, p["x"], wrong, df=g, max_entries=None) > 1e-3
    # an entry 100 times smaller than the largest, doubled, is still far above the floor
    wrong = grads["x"].copy()
    size = np.abs(wrong).max()
    t, d = np.argwhere(np.abs(wrong[0]) < size / 50)[-1]
    wrong[0, t, d] = 2 * wrong[0, t, d] + size / 100
    assert grad_check(f, p["x"], wrong, df=g, max_entries=None) > 1e-3
    # a gradient scaled by 1.5 changes the large entries too
    assert grad_check(f, p["Whh"], grads["Whh"] * 1.5, df=g) > 1e-2
    # rel_floor=0 restores the plain relative error
    assert grad_check(f, p["x"], grads["x"], df=g, max_entries=None, rel_floor=0) > 0.5
