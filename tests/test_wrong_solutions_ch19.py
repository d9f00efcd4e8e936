"""Plausible wrong solutions of exercise set 19 must lose points (see tests/exercise_harness.py).

Each wrong solution is the reference solution with one learner mistake edited in (``mutate``).
"""

from __future__ import annotations

import pytest
from exercise_harness import Wrong, assert_loses_points, run_cell

from rnnbook.grading import run_exercise


def mutate(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, (
        f"the mutation target {old!r} must occur exactly once"
    )
    return source.replace(old, new)


KERNEL = """
def s4d_kernel(A, B, C, dt, T):
    Abar = np.exp(dt * A)
    Bbar = (Abar - 1) / A * B
    k = np.arange(T)
    return (C * Bbar * Abar ** k[:, None]).sum(axis=1).real
"""

RING = """
def lru_ring_init(P, r_min, r_max, max_phase, seed=0):
    rng = np.random.default_rng(seed)
    radius = np.sqrt(rng.uniform(r_min**2, r_max**2, size=P))
    phase = rng.uniform(0.0, max_phase, size=P)
    return radius * np.exp(1j * phase)
"""

CONV = """
def causal_convolution(K, u):
    T = u.shape[1]
    n = 2 * T
    spectrum = np.fft.rfft(u, n=n, axis=1) * np.fft.rfft(K, n=n)
    return np.fft.irfft(spectrum, n=n, axis=1)[:, :T]
"""

WRONG = [
    # 19.1 ------------------------------------------------------------------------------------
    Wrong(
        "19.1",
        "no-discretisation",
        mutate(
            mutate(KERNEL, "Abar = np.exp(dt * A)", "Abar = A"),
            "Bbar = (Abar - 1) / A * B",
            "Bbar = B",
        ),
        "K",
    ),
    Wrong(
        "19.1",
        "exponent-starts-at-one",
        mutate(KERNEL, "k = np.arange(T)", "k = np.arange(1, T + 1)"),
        "K[0]",
    ),
    Wrong(
        "19.1",
        "euler-B",
        mutate(KERNEL, "Bbar = (Abar - 1) / A * B", "Bbar = dt * B"),
        "large step",
    ),
    Wrong(
        "19.1",
        "complex-kernel",
        mutate(KERNEL, ".sum(axis=1).real", ".sum(axis=1)"),
        "must be real",
    ),
    # 19.2 ------------------------------------------------------------------------------------
    Wrong(
        "19.2",
        "radius-uniform",
        mutate(
            RING,
            "np.sqrt(rng.uniform(r_min**2, r_max**2, size=P))",
            "rng.uniform(r_min, r_max, size=P)",
        ),
        "uniform on the ring",
    ),
    Wrong(
        "19.2",
        "sqrt-of-uniform-radius",
        mutate(
            RING,
            "np.sqrt(rng.uniform(r_min**2, r_max**2, size=P))",
            "np.sqrt(rng.uniform(r_min, r_max, size=P))",
        ),
        "must lie in",
    ),
    Wrong(
        "19.2",
        "phase-ignores-max-phase",
        mutate(
            RING,
            "rng.uniform(0.0, max_phase, size=P)",
            "rng.uniform(0.0, 2 * np.pi, size=P)",
        ),
        "max_phase",
    ),
    Wrong(
        "19.2",
        "no-seed",
        mutate(RING, "np.random.default_rng(seed)", "np.random.default_rng()"),
        "seed=0",
    ),
    # 19.3 ------------------------------------------------------------------------------------
    Wrong(
        "19.3",
        "circular-no-padding",
        mutate(CONV, "n = 2 * T", "n = T"),
        "impulse at t = T-1",
    ),
    Wrong(
        "19.3",
        "numpy-convolve-same",
        """
def causal_convolution(K, u):
    return np.stack([np.convolve(row, K, mode="same") for row in u])
""",
        "y",
    ),
    Wrong(
        "19.3",
        "kernel-off-by-one",
        mutate(CONV, "np.fft.rfft(K, n=n)", "np.fft.rfft(np.r_[K[1:], 0.0], n=n)"),
        "y",
    ),
    Wrong(
        "19.3",
        "correlation-not-convolution",
        """
def causal_convolution(K, u):
    N, T = u.shape
    y = np.zeros((N, T))
    for t in range(T):
        y[:, t] = u[:, t:] @ K[: T - t]
    return y
""",
        "y",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)


@pytest.mark.parametrize("source", [KERNEL, RING, CONV], ids=["19.1", "19.2", "19.3"])
def test_reference_solutions_earn_full_marks(source):
    exercise_id = {KERNEL: "19.1", RING: "19.2", CONV: "19.3"}[source]
    result = run_exercise(exercise_id, run_cell(source), quiet=True)
    assert result.points == result.max_points, result.reasons
