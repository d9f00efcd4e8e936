"""Every scan equals the sequential loop; gradients equal autograd through the loop.

float64 throughout, relative error <= 1e-10 (measured against the largest |h|), lengths from 1
to 4097 (a power of two plus one, so the Blelloch scan pads almost a full extra tree).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnbook.frameworks import torch_scan as ts
from rnnbook.scratch import scan as ns

LENGTHS = [1, 2, 3, 5, 8, 63, 64, 65, 1000, 4096, 4097]
RTOL = 1e-10


def _inputs(T, seed, positive=False, N=2, H=3):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.3, 1.0, (N, T, H))
    b = rng.standard_normal((N, T, H))
    h0 = rng.standard_normal((N, H))
    if positive:
        b, h0 = np.abs(b) + 1e-3, np.abs(h0) + 1e-3
    return a, b, h0


def _rel(got, ref):
    return float(
        np.max(np.abs(np.asarray(got) - np.asarray(ref))) / np.max(np.abs(ref))
    )


def _loop_by_hand(a, b, h0):
    """An independent loop over single numbers (not the package's vectorised loop)."""
    N, T, H = a.shape
    h = np.empty_like(b)
    for n in range(N):
        for j in range(H):
            state = h0[n, j]
            for t in range(T):
                state = a[n, t, j] * state + b[n, t, j]
                h[n, t, j] = state
    return h


def test_numpy_loop_matches_a_scalar_loop():
    a, b, h0 = _inputs(37, 0)
    assert _rel(ns.linear_recurrence_loop(a, b, h0), _loop_by_hand(a, b, h0)) == 0.0


def test_combine_is_associative_and_not_commutative():
    rng = np.random.default_rng(1)
    e1, e2, e3 = [(rng.standard_normal(4), rng.standard_normal(4)) for _ in range(3)]
    left = ns.combine(ns.combine(e1, e2), e3)
    right = ns.combine(e1, ns.combine(e2, e3))
    for x, y in zip(left, right):
        np.testing.assert_allclose(x, y, rtol=1e-12)
    swapped = ns.combine(e2, e1)
    assert not np.allclose(ns.combine(e1, e2)[1], swapped[1])
    # The pair (A, B) applied to h equals the two maps applied one after the other.
    h = rng.standard_normal(4)
    A, B = ns.combine(e1, e2)
    np.testing.assert_allclose(A * h + B, e2[0] * (e1[0] * h + e1[1]) + e2[1])


@pytest.mark.parametrize("T", LENGTHS)
@pytest.mark.parametrize("method", ["blelloch", "hillis_steele"])
def test_numpy_scan_equals_loop(T, method):
    a, b, h0 = _inputs(T, T)
    ref = ns.linear_recurrence_loop(a, b, h0)
    assert _rel(ns.linear_recurrence_scan(a, b, h0, method=method), ref) <= RTOL
    assert (
        _rel(
            ns.linear_recurrence_scan(a, b, method=method),
            ns.linear_recurrence_loop(a, b),
        )
        <= RTOL
    )


@pytest.mark.parametrize("T", [1, 2, 7, 16, 100])
def test_blelloch_exclusive_is_shifted_inclusive(T):
    a, b, _ = _inputs(T, 3)
    A_inc, B_inc = ns.scan_blelloch(a, b)
    A_exc, B_exc = ns.scan_blelloch(a, b, inclusive=False)
    np.testing.assert_array_equal(A_exc[:, 0], 1.0)
    np.testing.assert_array_equal(B_exc[:, 0], 0.0)
    np.testing.assert_allclose(B_exc[:, 1:], B_inc[:, :-1], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(A_exc[:, 1:], A_inc[:, :-1], rtol=1e-12)


@pytest.mark.parametrize("T", LENGTHS)
def test_numpy_log_space_equals_loop(T):
    a, b, h0 = _inputs(T, T + 1, positive=True)
    ref = ns.linear_recurrence_loop(a, b, h0)
    log_h = ns.linear_recurrence_log(np.log(a), np.log(b), np.log(h0))
    assert _rel(np.exp(log_h), ref) <= RTOL
    log_h = ns.linear_recurrence_log(np.log(a), np.log(b))
    assert _rel(np.exp(log_h), ns.linear_recurrence_loop(a, b)) <= RTOL


def test_log_space_survives_where_the_product_underflows():
    # prod a_t = 0.5 ** 5000 underflows to 0 in float64, yet every h_t is about 1.
    T = 5000
    a = np.full((1, T, 1), 0.5)
    b = np.full((1, T, 1), 0.5)
    assert np.prod(a) == 0.0
    h = np.exp(
        ns.linear_recurrence_log(np.log(a), np.log(b), np.log(np.full((1, 1), 3.0)))
    )
    assert _rel(h, ns.linear_recurrence_loop(a, b, np.full((1, 1), 3.0))) <= RTOL


@pytest.mark.parametrize("T", [1, 2, 3, 4, 5, 8, 9, 1000, 4096])
def test_work_and_depth_counts(T):
    assert ns.scan_work_depth(T, "loop") == (T - 1, T - 1)
    work, depth = ns.scan_work_depth(T, "hillis_steele")
    assert depth == (0 if T == 1 else int(np.ceil(np.log2(T))))
    assert work == sum(T - 2**k for k in range(depth))
    work_b, depth_b = ns.scan_work_depth(T, "blelloch")
    P = 2 ** int(np.ceil(np.log2(T)))
    assert work_b <= 3 * P and depth_b == 2 * int(np.log2(P)) + 1


def test_numpy_errors_name_the_array():
    a, b, h0 = _inputs(5, 0)
    with pytest.raises(ValueError, match="b of shape"):
        ns.linear_recurrence_scan(a, b[:, :4], h0)
    with pytest.raises(ValueError, match="h0 of shape"):
        ns.linear_recurrence_loop(a, b, h0[:, :2])
    with pytest.raises(ValueError, match="method"):
        ns.linear_recurrence_scan(a, b, h0, method="sklansky")


# ------------------------------------------------------------------------------- PyTorch


def _torch(*arrays, grad=False):
    return [torch.tensor(x, dtype=torch.float64, requires_grad=grad) for x in arrays]


TORCH_METHODS = {
    "blelloch": lambda a, b, h0: ts.linear_recurrence_scan(a, b, h0, "blelloch"),
    "hillis_steele": lambda a, b, h0: ts.linear_recurrence_scan(
        a, b, h0, "hillis_steele"
    ),
    "chunked_1": lambda a, b, h0: ts.linear_recurrence_chunked(a, b, h0, chunk=1),
    "chunked_7": lambda a, b, h0: ts.linear_recurrence_chunked(a, b, h0, chunk=7),
    "chunked_64": lambda a, b, h0: ts.linear_recurrence_chunked(a, b, h0, chunk=64),
}


@pytest.mark.parametrize("T", LENGTHS)
@pytest.mark.parametrize("method", sorted(TORCH_METHODS))
def test_torch_scan_equals_loop(T, method):
    a, b, h0 = _inputs(T, 10 + T)
    ref = ns.linear_recurrence_loop(a, b, h0)
    got = TORCH_METHODS[method](*_torch(a, b, h0))
    assert _rel(got.detach().numpy(), ref) <= RTOL
    ta, tb, _ = _torch(a, b, h0)
    no_h0 = TORCH_METHODS[method](ta, tb, None)
    assert _rel(no_h0.numpy(), ns.linear_recurrence_loop(a, b)) <= RTOL


@pytest.mark.parametrize("T", [1, 5, 64, 1000, 4097])
def test_torch_log_space_equals_loop(T):
    a, b, h0 = _inputs(T, 20 + T, positive=True)
    la, lb, lh0 = _torch(np.log(a), np.log(b), np.log(h0))
    got = torch.exp(ts.linear_recurrence_log(la, lb, lh0)).numpy()
    assert _rel(got, ns.linear_recurrence_loop(a, b, h0)) <= RTOL
    got = torch.exp(ts.linear_recurrence_log(la, lb)).numpy()
    assert _rel(got, ns.linear_recurrence_loop(a, b)) <= RTOL


def _grads(fn, a, b, h0, weights):
    ta, tb, th0 = _torch(a, b, h0, grad=True)
    loss = (fn(ta, tb, th0) * torch.tensor(weights)).sum()
    loss.backward()
    return [x.grad.numpy() for x in (ta, tb, th0)]


@pytest.mark.parametrize("T", [1, 6, 100, 4096])
@pytest.mark.parametrize("method", sorted(TORCH_METHODS))
def test_torch_scan_gradients_equal_autograd_through_loop(T, method):
    a, b, h0 = _inputs(T, 30 + T)
    weights = np.random.default_rng(T).standard_normal(b.shape)
    ref = _grads(ts.linear_recurrence_loop, a, b, h0, weights)
    got = _grads(TORCH_METHODS[method], a, b, h0, weights)
    for name, g, r in zip(("a", "b", "h0"), got, ref):
        assert _rel(g, r) <= RTOL, name


@pytest.mark.parametrize("T", [1, 6, 100, 4096])
def test_torch_log_space_gradients_equal_autograd_through_loop(T):
    a, b, h0 = _inputs(T, 40 + T, positive=True)
    weights = np.random.default_rng(T).standard_normal(b.shape)

    def via_logs(ta, tb, th0):
        return torch.exp(ts.linear_recurrence_log(ta.log(), tb.log(), th0.log()))

    ref = _grads(ts.linear_recurrence_loop, a, b, h0, weights)
    got = _grads(via_logs, a, b, h0, weights)
    for name, g, r in zip(("a", "b", "h0"), got, ref):
        assert _rel(g, r) <= RTOL, name


def test_torch_matches_numpy_exclusive_scan():
    a, b, _ = _inputs(13, 5)
    A, B = ts.scan_blelloch(*_torch(a, b), inclusive=False)
    A_np, B_np = ns.scan_blelloch(a, b, inclusive=False)
    np.testing.assert_allclose(A.numpy(), A_np, rtol=1e-12)
    np.testing.assert_allclose(B.numpy(), B_np, rtol=1e-12, atol=1e-14)


def test_torch_errors_name_the_tensor():
    a, b, h0 = _torch(*_inputs(5, 0))
    with pytest.raises(ValueError, match="b of shape"):
        ts.linear_recurrence_scan(a, b[:, :4], h0)
    with pytest.raises(ValueError, match="h0 of shape"):
        ts.linear_recurrence_loop(a, b, h0[:, :2])
    with pytest.raises(ValueError, match="chunk"):
        ts.linear_recurrence_chunked(a, b, h0, chunk=0)
    with pytest.raises(ValueError, match="log_b of shape"):
        ts.linear_recurrence_log(a, b[:1])
