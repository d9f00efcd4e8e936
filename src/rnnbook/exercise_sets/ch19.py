"""Exercise set 19, "The LRU and state-space models" (solutions/19_lru_and_state_space_models).

Expected values are computed here independently of the learner's code and of
``rnnbook.scratch.ssm``: the discretised input matrix by numerical integration of
``int_0^dt exp(A s) ds B`` (composite Simpson rule), the kernel as the impulse response of the
recurrence run step by step, the convolution by a double loop, and the ring initialisation by
comparing the empirical distribution of a large sample with the specified one.
"""

from __future__ import annotations

import numpy as np

from rnnbook.grading import ExerciseSet

SET = ExerciseSet("19", "The LRU and state-space models")


# --------------------------------------------------------------------------------------------
# 19.1 The S4D convolution kernel


def _zoh_by_quadrature(A, B, dt, n=2000):
    """Abar = exp(dt A); Bbar = (int_0^dt exp(A s) ds) B by Simpson's rule on n intervals."""
    s = np.linspace(0.0, dt, n + 1)
    weights = np.ones(n + 1)
    weights[1:-1:2], weights[2:-1:2] = 4.0, 2.0
    integral = (np.exp(np.outer(A, s)) * weights).sum(axis=1) * dt / (3 * n)
    return np.exp(dt * A), integral * B


def _impulse_response(A, B, C, dt, T):
    """Run x_k = Abar x_{k-1} + Bbar u_k, y_k = Re(C . x_k) on u = (1, 0, 0, ...)."""
    Abar, Bbar = _zoh_by_quadrature(A, B, dt)
    x = np.zeros_like(Abar)
    K = []
    for k in range(T):
        x = Abar * x + Bbar * (1.0 if k == 0 else 0.0)
        K.append(np.sum(C * x).real)
    return np.array(K)


def _ssm(P, seed, dt):
    rng = np.random.default_rng(seed)
    A = -rng.uniform(0.2, 1.0, P) + 1j * np.pi * np.arange(P)
    B = rng.standard_normal(P) + 1j * rng.standard_normal(P)
    C = rng.standard_normal(P) + 1j * rng.standard_normal(P)
    return A, B, C, dt


@SET.exercise("19.1", "s4d_kernel", points=4)
def _(t):
    with t.case("returns a real array of shape (T,)", points=1):
        K = t.call(*_ssm(3, 0, 0.1), 12)
        t.expect_shape(K, (12,), "K")
        t.expect(
            not np.iscomplexobj(K),
            "K must be real: take the real part of the sum over states",
        )
    with t.case(
        "K_0 = Re(sum_p C_p Bbar_p): the first entry has no power of Abar", points=1
    ):
        A, B, C, dt = _ssm(4, 1, 0.2)
        K = t.call(A, B, C, dt, 5)
        t.expect_close(
            np.asarray(K)[:1], _impulse_response(A, B, C, dt, 1), "K[0]", rtol=1e-7
        )
    with t.case("the whole kernel for a small step dt = 0.05", points=1):
        A, B, C, dt = _ssm(5, 2, 0.05)
        t.expect_close(
            t.call(A, B, C, dt, 40),
            _impulse_response(A, B, C, dt, 40),
            "K",
            rtol=1e-7,
            atol=1e-9,
        )
    with t.case(
        "a large step dt = 0.8 (where the discretisation rule matters)", points=1
    ):
        A, B, C, dt = _ssm(3, 3, 0.8)
        t.expect_close(
            t.call(A, B, C, dt, 25),
            _impulse_response(A, B, C, dt, 25),
            "K",
            rtol=1e-7,
            atol=1e-9,
        )


# --------------------------------------------------------------------------------------------
# 19.2 The LRU's ring initialisation


@SET.exercise("19.2", "lru_ring_init", points=4)
def _(t):
    with t.case(
        "returns P complex numbers; the same seed gives the same values", points=1
    ):
        lam = t.call(6, 0.5, 0.9, np.pi, seed=0)
        t.expect_shape(lam, (6,), "lambda")
        t.expect(np.iscomplexobj(lam), "lambda must be complex (radius and phase)")
        again = t.call(6, 0.5, 0.9, np.pi, seed=0)
        t.expect(
            np.array_equal(lam, again), "two calls with seed=0 gave different values"
        )
    with t.case(
        "every |lambda| lies in [r_min, r_max], every phase in [0, max_phase]", points=1
    ):
        lam = np.asarray(t.call(5000, 0.3, 0.6, np.pi / 4, seed=1))
        r, phase = np.abs(lam), np.angle(lam) % (2 * np.pi)
        t.expect(
            r.min() >= 0.3 - 1e-12 and r.max() <= 0.6 + 1e-12,
            f"|lambda| must lie in [0.3, 0.6], got [{r.min():.3f}, {r.max():.3f}]",
        )
        t.expect(
            phase.max() <= np.pi / 4 + 1e-12,
            f"phases must lie in [0, max_phase] = [0, 0.785], got up to {phase.max():.3f}",
        )
    with t.case(
        "lambda is uniform over the ring's area: |lambda|^2 is uniform", points=1
    ):
        r_min, r_max = 0.2, 0.95
        lam = np.asarray(t.call(40_000, r_min, r_max, 2 * np.pi, seed=2))
        r2 = np.abs(lam) ** 2
        # area fraction inside radius q: (q^2 - r_min^2) / (r_max^2 - r_min^2)
        for q in (0.4, 0.6, 0.8):
            expected = (q**2 - r_min**2) / (r_max**2 - r_min**2)
            got = float(np.mean(r2 <= q**2))
            t.expect(
                abs(got - expected) < 0.015,
                f"uniform on the ring: a fraction {expected:.3f} of the eigenvalues "
                f"should have |lambda| <= {q}, got {got:.3f} (is the radius "
                "the square root of a uniform on [r_min^2, r_max^2]?)",
            )
    with t.case("phases are uniform on [0, max_phase]", points=1):
        lam = np.asarray(t.call(40_000, 0.5, 0.9, np.pi / 2, seed=3))
        phase = np.angle(lam) % (2 * np.pi)
        quarters = np.histogram(phase, bins=4, range=(0, np.pi / 2))[0] / len(phase)
        t.expect(
            np.all(np.abs(quarters - 0.25) < 0.015),
            "phases must be uniform on [0, max_phase]: each quarter of the interval "
            f"should hold 25%, got {np.round(100 * quarters, 1)} %",
        )


# --------------------------------------------------------------------------------------------
# 19.3 Causal convolution (the convolution view)


def _direct_convolution(K, u):
    N, T = u.shape
    y = np.zeros((N, T))
    for n in range(N):
        for t in range(T):
            for k in range(t + 1):
                y[n, t] += K[k] * u[n, t - k]
    return y


@SET.exercise("19.3", "causal_convolution", points=4)
def _(t):
    rng = np.random.default_rng(19)
    with t.case(
        "a single step and an impulse at the end (nothing wraps around)", points=1
    ):
        t.expect_close(
            t.call(np.array([2.0]), np.array([[3.0]])),
            np.array([[6.0]]),
            "y",
            rtol=1e-9,
        )
        u = np.zeros((1, 8))
        u[0, -1] = 1.0
        K = np.arange(1.0, 9.0)
        t.expect_close(
            t.call(K, u),
            _direct_convolution(K, u),
            "y for an impulse at t = T-1 (only y_{T-1} = K_0 may be nonzero)",
            atol=1e-9,
        )
    with t.case("an impulse at t = 0 returns the kernel itself", points=1):
        u = np.zeros((1, 10))
        u[0, 0] = 1.0
        K = rng.standard_normal(10)
        t.expect_close(t.call(K, u), K[None], "y for an impulse at t = 0", atol=1e-9)
    with t.case("random K and a batch of inputs, T = 33", points=1):
        K, u = rng.standard_normal(33), rng.standard_normal((3, 33))
        t.expect_close(t.call(K, u), _direct_convolution(K, u), "y", atol=1e-9)
    with t.case("T = 4096 within the time limit", points=1):
        K = 0.99 ** np.arange(4096)
        u = rng.standard_normal((2, 4096))
        y = np.asarray(t.call(K, u))
        # spot checks against the definition (a full double loop would take too long here)
        for n, step in ((0, 0), (1, 1000), (0, 4095)):
            ref = float(np.dot(K[: step + 1], u[n, step::-1]))
            t.expect(
                y.shape == (2, 4096) and abs(y[n, step] - ref) < 1e-8 * (1 + abs(ref)),
                f"wrong y[{n}, {step}]: expected {ref:.6g}, "
                f"got {y[n, step] if y.shape == (2, 4096) else 'shape ' + str(y.shape)}",
            )
