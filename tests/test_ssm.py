"""Diagonal SSMs and the LRU initialisation (rnnbook.scratch.ssm), against independent references.

References: the matrix exponential of scipy.linalg.expm (dense, including the augmented-matrix
identity for ZOH), plain Python loops for the recurrence and the convolution, and the empirical
distribution of a large sample for the ring initialisation.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnbook.scratch import ssm

expm = pytest.importorskip("scipy.linalg").expm


def _random_ssm(H=3, P=4, seed=0):
    rng = np.random.default_rng(seed)
    A = -rng.uniform(0.1, 1.0, (H, P)) + 1j * rng.uniform(-3, 3, (H, P))
    B = rng.standard_normal((H, P)) + 1j * rng.standard_normal((H, P))
    C = rng.standard_normal((H, P)) + 1j * rng.standard_normal((H, P))
    dt = rng.uniform(0.01, 0.5, H)
    return A, B, C, dt


def test_zoh_matches_augmented_matrix_exponential():
    # expm(dt [[A, B], [0, 0]]) = [[exp(dt A), A^{-1}(exp(dt A) - I) B], [0, I]]
    A, B, _, dt = _random_ssm()
    Abar, Bbar = ssm.discretize_zoh(A, B, dt)
    for h in range(A.shape[0]):
        P = A.shape[1]
        M = np.zeros((P + 1, P + 1), dtype=complex)
        M[:P, :P] = np.diag(A[h])
        M[:P, P] = B[h]
        E = expm(dt[h] * M)
        np.testing.assert_allclose(Abar[h], np.diag(E[:P, :P]), rtol=1e-12)
        np.testing.assert_allclose(Bbar[h], E[:P, P], rtol=1e-10, atol=1e-13)


def test_dense_zoh_matches_expm_for_a_non_diagonal_A():
    rng = np.random.default_rng(1)
    P, D, dt = 5, 2, 0.3
    A = rng.standard_normal((P, P)) - 2 * np.eye(P)
    B = rng.standard_normal((P, D))
    Abar, Bbar = ssm.discretize_zoh_dense(A, B, dt)
    M = np.zeros((P + D, P + D))
    M[:P, :P], M[:P, P:] = A, B
    E = expm(dt * M)
    np.testing.assert_allclose(Abar, E[:P, :P], atol=1e-12)
    np.testing.assert_allclose(Bbar, E[:P, P:], atol=1e-12)
    # the exact solution of x' = A x + B u with constant u over one step, by fine Euler steps
    u, x0 = rng.standard_normal(D), rng.standard_normal(P)
    x, n = x0.copy(), 200_000
    for _ in range(n):
        x = x + dt / n * (A @ x + B @ u)
    np.testing.assert_allclose(Abar @ x0 + Bbar @ u, x, atol=1e-4)


def test_bilinear_is_the_trapezoid_rule():
    A, B, _, dt = _random_ssm(seed=2)
    Abar, Bbar = ssm.discretize_bilinear(A, B, dt)
    # (I - dt/2 A) x_k = (I + dt/2 A) x_{k-1} + dt B u  with x_{k-1} = 1, u = 1
    lhs = (1 - dt[:, None] / 2 * A) * (Abar + Bbar)
    np.testing.assert_allclose(
        lhs, 1 + dt[:, None] / 2 * A + dt[:, None] * B, rtol=1e-12
    )
    # both rules agree to O(dt^3) for Abar on a tiny step
    small = np.full_like(dt, 1e-3)
    z, _ = ssm.discretize_zoh(A, B, small)
    b, _ = ssm.discretize_bilinear(A, B, small)
    assert np.max(np.abs(z - b)) < 1e-8


@pytest.mark.parametrize("T", [1, 7, 300])
def test_recurrence_equals_convolution_float64(T):
    A, B, C, dt = _random_ssm(seed=T)
    Abar, Bbar = ssm.discretize_zoh(A, B, dt)
    u = np.random.default_rng(T).standard_normal((2, T, A.shape[0]))
    y_rec = ssm.ssm_recurrence(Abar, Bbar, C, u)
    K = ssm.ssm_kernel(Abar, Bbar, C, T)
    for method in ("fft", "direct"):
        y_conv = ssm.causal_convolution(K, u, method=method)
        scale = np.max(np.abs(y_rec))
        assert np.max(np.abs(y_conv - y_rec)) <= 1e-10 * scale, method


def test_kernel_against_a_python_loop():
    A, B, C, dt = _random_ssm(H=2, P=3, seed=5)
    Abar, Bbar = ssm.discretize_zoh(A, B, dt)
    K = ssm.ssm_kernel(Abar, Bbar, C, 20)
    for h in range(2):
        for k in range(20):
            ref = sum(C[h, p] * Abar[h, p] ** k * Bbar[h, p] for p in range(3)).real
            assert abs(K[h, k] - ref) < 1e-12


def test_convolution_is_causal_not_circular():
    u = np.zeros((1, 8, 1))
    u[0, -1, 0] = 1.0  # an impulse at the last step must not wrap around to t = 0
    K = np.ones((1, 8))
    y = ssm.causal_convolution(K, u)
    np.testing.assert_allclose(y[0, :, 0], [0] * 7 + [1], atol=1e-12)


def test_ring_initialisation_distribution():
    r_min, r_max, max_phase = 0.4, 0.9, np.pi / 3
    lam = ssm.lru_ring_init(200_000, r_min, r_max, max_phase, seed=0)
    r = np.abs(lam)
    assert r.min() >= r_min and r.max() <= r_max
    # uniform per unit area: P(|lam| <= r) = (r^2 - r_min^2) / (r_max^2 - r_min^2)
    for q in (0.5, 0.6, 0.7, 0.8):
        expected = (q**2 - r_min**2) / (r_max**2 - r_min**2)
        assert abs(np.mean(r <= q) - expected) < 0.005
    phase = np.angle(lam) % (2 * np.pi)
    assert phase.max() <= max_phase + 1e-12
    assert abs(np.mean(phase <= max_phase / 4) - 0.25) < 0.005


def test_lru_parameters_round_trip_and_stability():
    lam = ssm.lru_ring_init(50, 0.5, 0.99, 2 * np.pi, seed=3)
    nu_log, theta_log, gamma_log = ssm.lru_parameters(lam)
    np.testing.assert_allclose(ssm.lru_eigenvalues(nu_log, theta_log), lam, atol=1e-12)
    np.testing.assert_allclose(np.exp(2 * gamma_log) + np.abs(lam) ** 2, 1.0)
    wild = np.random.default_rng(0).normal(0, 5, (2, 1000))
    assert np.all(np.abs(ssm.lru_eigenvalues(*wild)) < 1)


def test_gamma_normalisation_keeps_the_state_variance():
    # white noise u with variance 1: Var(x) = gamma^2 / (1 - |lam|^2) = 1 for every |lam|
    rng = np.random.default_rng(0)
    lam = np.array([0.5, 0.9, 0.99])
    gamma = np.sqrt(1 - lam**2)
    x = np.zeros((20_000, 3))  # 20000 independent chains, run past their memory
    for _ in range(1000):
        x = lam * x + gamma * rng.standard_normal((20_000, 3))
    np.testing.assert_allclose(np.var(x, axis=0), 1.0, atol=0.05)
    # without gamma the variance is 1 / (1 - |lam|^2): 50 times larger at |lam| = 0.99
    np.testing.assert_allclose(np.var(x / gamma, axis=0), 1 / (1 - lam**2), rtol=0.05)


def test_errors_name_the_argument():
    A, B, C, dt = _random_ssm()
    with pytest.raises(ValueError, match="dt"):
        ssm.discretize_zoh(A, B, dt[:2])
    with pytest.raises(ValueError, match="B of shape"):
        ssm.discretize_zoh(A, B[:, :2], dt)
    with pytest.raises(ValueError, match="K of shape"):
        ssm.causal_convolution(np.ones((3, 5)), np.ones((2, 4, 3)))
    with pytest.raises(ValueError, match="r_min"):
        ssm.lru_ring_init(4, 0.9, 0.5)
