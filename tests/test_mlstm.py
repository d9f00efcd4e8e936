"""mLSTM (rnnbook.scratch.mlstm): the stabilised recurrent and parallel forms against a naive
loop written here from the equations, their agreement where that loop overflows, and the
argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from rnnbook.scratch import mlstm

FORMS = [mlstm.mlstm_recurrent, mlstm.mlstm_parallel, mlstm.mlstm_unstabilised]
STABILISED = [mlstm.mlstm_recurrent, mlstm.mlstm_parallel]


def _naive(q, k, v, i_tilde, f_tilde):
    """The unstabilised equations, literally, one sequence and one step at a time (float64).

    Returns h_tilde (N, T, d) and n_t^T q_t (N, T), to see which branch of max(|.|, 1) ran.
    """
    N, T, d = q.shape
    h = np.zeros((N, T, d))
    nq = np.zeros((N, T))
    for b in range(N):
        C = np.zeros((d, d))
        n = np.zeros(d)
        for t in range(T):
            i = np.exp(i_tilde[b, t])
            f = 1.0 / (1.0 + np.exp(-f_tilde[b, t]))
            key = k[b, t] / np.sqrt(d)
            C = f * C + i * np.outer(v[b, t], key)
            n = f * n + i * key
            nq[b, t] = n @ q[b, t]
            h[b, t] = C @ q[b, t] / max(abs(nq[b, t]), 1.0)
    return h, nq


def _inputs(N, T, d, seed=0, i_low=None, i_high=None, dtype=np.float64):
    """Random q, k, v (N, T, d) and gate pre-activations (N, T).

    By default i_tilde ~ N(0, 1.5) and f_tilde ~ N(2, 1.5): |n^T q| lands on both sides of 1.
    With i_low, i_high the input pre-activations are uniform in that range instead.
    """
    rng = np.random.default_rng(seed)
    q, k, v = (rng.standard_normal((N, T, d)) for _ in range(3))
    if i_low is None:
        i_tilde = rng.normal(0.0, 1.5, (N, T))
    else:
        i_tilde = rng.uniform(i_low, i_high, (N, T))
    f_tilde = rng.normal(2.0, 1.5, (N, T))
    return tuple(a.astype(dtype) for a in (q, k, v, i_tilde, f_tilde))


def _rel(got, want):
    return np.abs(got - want).max() / np.abs(want).max()


SIZES = [(1, 1, 1), (3, 1, 4), (2, 5, 3), (4, 33, 8), (2, 320, 6), (1, 300, 16)]


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("N, T, d", SIZES)
def test_matches_the_naive_loop(form, N, T, d):
    args = _inputs(N, T, d, seed=N * 1000 + T + d)
    want, nq = _naive(*args)
    if N * T >= 100:  # both branches of max(|n^T q|, 1), so a lost 1/sqrt(d) shows
        assert (np.abs(nq) < 1).sum() >= 5 and (np.abs(nq) > 1).sum() >= 5
    got = form(*args)
    assert got.shape == (N, T, d) and got.dtype == np.float64
    assert _rel(got, want) <= 1e-10


def test_a_single_step_by_hand():
    # T = 1: h~_0 = exp(i) v (k.q / sqrt d) / max(exp(i) |k.q| / sqrt d, 1), f irrelevant.
    q = np.array([[[1.0, 2.0, 0.0, 0.0]]])
    k = np.array([[[0.5, 0.25, 3.0, 0.0]]])  # k.q = 1, / sqrt(4) = 0.5
    v = np.array([[[1.0, -1.0, 2.0, 4.0]]])
    f_tilde = np.array([[7.0]])
    for i_tilde, scale in ((0.0, 0.5), (np.log(8.0), 1.0)):  # weight 0.5 < 1; 4 > 1
        i_tilde = np.array([[i_tilde]])
        for form in FORMS:
            got = form(q, k, v, i_tilde, f_tilde)
            np.testing.assert_allclose(
                got, scale * v, rtol=1e-14, err_msg=form.__name__
            )


@pytest.mark.parametrize("N, T, d", [(2, 40, 4), (2, 300, 8)])
def test_stabilised_forms_agree_where_the_naive_loop_overflows(N, T, d):
    # exp(i~) overflows float64 above 709.78: about 30 % of these steps.
    args = _inputs(N, T, d, seed=7, i_low=0.0, i_high=1000.0)
    with np.errstate(over="ignore", invalid="ignore"):
        naive, _ = _naive(*args)
        plain = mlstm.mlstm_unstabilised(*args)
    assert not np.isfinite(naive).all()
    assert not np.isfinite(plain).all()
    rec, par = (form(*args) for form in STABILISED)
    assert np.isfinite(rec).all() and np.isfinite(par).all()
    assert _rel(rec, par) <= 1e-10


@pytest.mark.parametrize("form", STABILISED, ids=lambda f: f.__name__)
def test_large_input_gates_are_exact(form):
    # When |n^T q| >> 1 the 1 in max(|n^T q|, 1) never acts, so adding a constant c to every
    # i~ multiplies C and n by exp(c) and leaves h~ unchanged. The naive loop can compute the
    # output for i~ - 700 in [50, 250]; the stabilised forms must give it for i~ in [750, 950].
    q, k, v, i_tilde, f_tilde = _inputs(2, 300, 8, seed=3, i_low=750.0, i_high=950.0)
    want, nq = _naive(q, k, v, i_tilde - 700.0, f_tilde)
    assert np.abs(nq).min() > 1e6 and np.isfinite(want).all()
    assert _rel(form(q, k, v, i_tilde, f_tilde), want) <= 1e-10


def test_float32_in_float32_out_and_the_plain_form_overflows():
    # exp(i~) overflows float32 above 88.72.
    args32 = _inputs(2, 64, 8, seed=11, i_low=0.0, i_high=200.0, dtype=np.float32)
    args64 = tuple(a.astype(np.float64) for a in args32)
    with np.errstate(over="ignore", invalid="ignore"):
        plain = mlstm.mlstm_unstabilised(*args32)
    assert plain.dtype == np.float32 and not np.isfinite(plain).all()
    want = mlstm.mlstm_parallel(*args64)
    for form in STABILISED:
        got = form(*args32)
        assert got.dtype == np.float32 and np.isfinite(got).all()
        # float32 numbers near 200 are 1.5e-5 apart: that much error in every exponent.
        assert _rel(got.astype(np.float64), want) <= 2e-3


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "change, message",
    [
        (
            {
                "q": np.zeros((2, 0, 3)),
                "k": np.zeros((2, 0, 3)),
                "v": np.zeros((2, 0, 3)),
                "i_tilde": np.zeros((2, 0)),
                "f_tilde": np.zeros((2, 0)),
            },
            r"expected q of shape \(N, T, d\) with T >= 1",
        ),
        ({"k": np.zeros((2, 5, 4))}, r"expected k of shape \(N, T, d\) = \(2, 5, 3\)"),
        ({"v": np.zeros((3, 5, 3))}, r"expected v of shape \(N, T, d\) = \(2, 5, 3\)"),
        (
            {"i_tilde": np.zeros((2, 6))},
            r"expected i_tilde of shape \(N, T\) = \(2, 5\)",
        ),
        ({"q": np.zeros((2, 5))}, r"expected q to have 3 dimensions"),
        ({"f_tilde": np.zeros((2, 5, 1))}, r"expected f_tilde to have 2 dimensions"),
        ({"i_tilde": np.zeros(5)}, r"expected i_tilde to have 2 dimensions"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(form, change, message):
    args = dict(zip(("q", "k", "v", "i_tilde", "f_tilde"), _inputs(2, 5, 3)))
    args.update(change)
    with pytest.raises(ValueError, match=message):
        form(**args)
