"""Selective scan (rnnbook.scratch.selective_scan): loop, parallel scan and chunked form agree,
and a hand-written recurrence over scalars is the independent reference."""

from __future__ import annotations

import numpy as np
import pytest

from rnnbook.scratch import selective_scan as ss


def _inputs(N=2, T=37, D=3, P=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    delta = rng.uniform(0.01, 1.0, (N, T, D))
    A = -rng.uniform(0.1, 2.0, (D, P))
    B = rng.standard_normal((N, T, P))
    C = rng.standard_normal((N, T, P))
    h0 = rng.standard_normal((N, D, P))
    return x, delta, A, B, C, h0


def _scalar_reference(x, delta, A, B, C, h0):
    """Every (n, d, p) state as its own Python scalar recurrence."""
    N, T, D = x.shape
    P = A.shape[1]
    y = np.zeros((N, T, D))
    for n in range(N):
        for d in range(D):
            for p in range(P):
                h = h0[n, d, p]
                for t in range(T):
                    a = np.exp(delta[n, t, d] * A[d, p])
                    h = a * h + delta[n, t, d] * B[n, t, p] * x[n, t, d]
                    y[n, t, d] += C[n, t, p] * h
    return y


def test_loop_equals_scalar_reference():
    args = _inputs(T=9)
    y, _ = ss.selective_scan_loop(*args)
    np.testing.assert_allclose(y, _scalar_reference(*args), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("T", [1, 2, 37, 1024])
@pytest.mark.parametrize("method", ["blelloch", "hillis_steele"])
def test_parallel_equals_loop(T, method):
    args = _inputs(T=T, seed=T)
    y_ref, h_ref = ss.selective_scan_loop(*args)
    y, h = ss.selective_scan_parallel(*args, method=method)
    assert np.max(np.abs(y - y_ref)) <= 1e-10 * np.max(np.abs(y_ref))
    np.testing.assert_allclose(h, h_ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("chunk", [1, 5, 16, 64])
def test_chunked_equals_loop(chunk):
    args = _inputs(T=50, seed=chunk)
    y_ref, h_ref = ss.selective_scan_loop(*args)
    y, h = ss.selective_scan_chunked(*args, chunk=chunk)
    assert np.max(np.abs(y - y_ref)) <= 1e-10 * np.max(np.abs(y_ref))
    np.testing.assert_allclose(h, h_ref, rtol=1e-10, atol=1e-12)


def test_chunked_does_not_overflow_with_strong_decay():
    x, delta, A, B, C, h0 = _inputs(T=64)
    A = A * 200  # exp(-L_s) alone would overflow; the masked difference must not
    with np.errstate(over="raise", invalid="raise"):
        y, _ = ss.selective_scan_chunked(x, delta, A, B, C, chunk=64, h0=h0)
    y_ref, _ = ss.selective_scan_loop(x, delta, A, B, C, h0)
    np.testing.assert_allclose(y, y_ref, rtol=1e-9, atol=1e-12)


def test_selectivity_breaks_time_invariance():
    # The same input impulse gives a different response when delta depends on the input.
    rng = np.random.default_rng(0)
    D, P, T = 1, 2, 12
    W_delta, b_delta = rng.standard_normal((D, D)), np.zeros(D)
    W_B, W_C = rng.standard_normal((P, D)), rng.standard_normal((P, D))
    A = -np.ones((D, P))
    responses = []
    for shift in (0, 3):
        x = np.full((1, T, D), 0.5)
        x[0, shift] += 1.0
        params = ss.selective_params(x, W_delta, b_delta, W_B, W_C)
        y, _ = ss.selective_scan_loop(x, params[0], A, params[1], params[2])
        responses.append(y[0, shift:, 0])
    assert not np.allclose(responses[0][: T - 3], responses[1])


def test_errors_name_the_argument():
    x, delta, A, B, C, h0 = _inputs()
    with pytest.raises(ValueError, match="B"):
        ss.selective_scan_loop(x, delta, A, B[:, :5], C)
    with pytest.raises(ValueError, match="delta > 0"):
        ss.selective_scan_loop(x, -delta, A, B, C)
    with pytest.raises(ValueError, match="h0"):
        ss.selective_scan_loop(x, delta, A, B, C, h0[:, :1])
    with pytest.raises(ValueError, match="chunk"):
        ss.selective_scan_chunked(x, delta, A, B, C, chunk=0)
