"""rnnbook.scratch.rwkv against the WKV formula of Peng et al. (2023), summed term by term."""

from __future__ import annotations

import numpy as np
import pytest

from rnnbook.scratch.rwkv import wkv_parallel, wkv_recurrent, wkv_unstabilised

FORMS = {"recurrent": wkv_recurrent, "parallel": wkv_parallel}


def wkv_literal(w, u, k, v):
    """The formula as printed: two sums over i < t plus the current token's bonus term."""
    N, T, C = k.shape
    out = np.zeros((N, T, C))
    for n in range(N):
        for c in range(C):
            for t in range(T):
                num = np.exp(u[c] + k[n, t, c]) * v[n, t, c]
                den = np.exp(u[c] + k[n, t, c])
                for i in range(t):
                    weight = np.exp(-(t - 1 - i) * w[c] + k[n, i, c])
                    num += weight * v[n, i, c]
                    den += weight
                out[n, t, c] = num / den
    return out


def inputs(N=2, T=9, C=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.0, 2.0, C)
    u = rng.normal(size=C)
    k = rng.normal(size=(N, T, C))
    v = rng.normal(size=(N, T, C))
    return [x.astype(dtype) for x in (w, u, k, v)]


@pytest.mark.parametrize("form", [*FORMS, "unstabilised"])
@pytest.mark.parametrize("T", [1, 2, 9])
def test_every_form_equals_the_formula(form, T):
    w, u, k, v = inputs(T=T)
    fn = {**FORMS, "unstabilised": wkv_unstabilised}[form]
    np.testing.assert_allclose(fn(w, u, k, v), wkv_literal(w, u, k, v), rtol=1e-12)


def test_recurrent_and_parallel_agree_on_a_long_sequence():
    w, u, k, v = inputs(N=1, T=300, C=4, seed=1)
    w[0] = 0.0  # no decay: a running weighted mean over the whole past
    np.testing.assert_allclose(
        wkv_recurrent(w, u, k, v), wkv_parallel(w, u, k, v), rtol=1e-10
    )


def test_first_output_is_the_first_value_and_outputs_are_weighted_means():
    w, u, k, v = inputs(T=20)
    for fn in FORMS.values():
        out = fn(w, u, k, v)
        np.testing.assert_allclose(out[:, 0], v[:, 0], rtol=1e-12)
        running_min = np.minimum.accumulate(v, axis=1)
        running_max = np.maximum.accumulate(v, axis=1)
        assert np.all(out >= running_min - 1e-12) and np.all(out <= running_max + 1e-12)


def test_a_large_bonus_returns_the_current_value_and_a_fast_decay_the_last_two():
    w, u, k, v = inputs(T=6)
    for fn in FORMS.values():  # a bonus of 1000 also tests the stabiliser
        np.testing.assert_allclose(fn(w, u + 1000.0, k, v), v, rtol=1e-10)
    # w huge: only i = t-1 (no decay yet) and the current token keep weight
    w_fast = np.full_like(w, 500.0)
    out = wkv_parallel(w_fast, u, k, v)
    e_prev, e_now = np.exp(k[:, :-1]), np.exp(u + k[:, 1:])
    expected = (e_prev * v[:, :-1] + e_now * v[:, 1:]) / (e_prev + e_now)
    np.testing.assert_allclose(out[:, 1:], expected, rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shifting_every_key_changes_nothing_in_the_stabilised_forms(dtype):
    w, u, k, v = inputs(T=12, dtype=dtype)
    shift = 1000.0  # exp(1000) overflows float64 as well
    shifted = k + dtype(shift)
    # the reference: the same (rounded) keys, moved back, summed in float64
    as64 = [x.astype(np.float64) for x in (w, u, shifted, v)]
    reference = wkv_literal(as64[0], as64[1], as64[2] - shift, as64[3])
    # near 1000, float32 numbers are 6e-5 apart: u + k and p - w round by that much
    tolerance = dict(rtol=1e-4, atol=3e-4) if dtype == np.float32 else dict(rtol=1e-10)
    for fn in FORMS.values():
        out = fn(w, u, shifted, v)
        assert out.dtype == dtype
        np.testing.assert_allclose(out, reference, **tolerance)
    broken = wkv_unstabilised(w, u, shifted, v)
    assert not np.isfinite(broken).all()


def test_float32_in_float32_out():
    w, u, k, v = inputs(dtype=np.float32)
    for fn in (*FORMS.values(), wkv_unstabilised):
        assert fn(w, u, k, v).dtype == np.float32


def test_bad_inputs_are_named():
    w, u, k, v = inputs()
    with pytest.raises(ValueError, match="w"):
        wkv_recurrent(-w, u, k, v)
    with pytest.raises(ValueError, match="u"):
        wkv_parallel(w, u[:2], k, v)
    with pytest.raises(ValueError, match="v"):
        wkv_recurrent(w, u, k, v[:, :-1])
