"""Plausible wrong solutions of exercise set 05 must lose points (see tests/exercise_harness.py)."""

from __future__ import annotations

import pytest
from exercise_harness import Wrong, assert_loses_points

WRONG = [
    # 5.1 step_jacobians
    Wrong(
        "5.1",
        "slope-scales-columns",
        """
        def step_jacobians(h_next, Whh, nonlinearity="tanh"):
            slope = 1.0 - h_next**2 if nonlinearity == "tanh" else (h_next > 0) * 1.0
            return slope[:, None, :] * Whh[None, :, :]  # scales column j, not row i
        """,
        "Jacobians",
    ),
    Wrong(
        "5.1",
        "tanh-applied-twice",
        """
        def step_jacobians(h_next, Whh, nonlinearity="tanh"):
            if nonlinearity == "tanh":
                slope = 1.0 - np.tanh(h_next) ** 2  # h_next is already tanh(a)
            else:
                slope = (h_next > 0) * 1.0
            return slope[:, :, None] * Whh[None]
        """,
        "Jacobians",
    ),
    Wrong(
        "5.1",
        "relu-ignored",
        """
        def step_jacobians(h_next, Whh, nonlinearity="tanh"):
            return (1.0 - h_next**2)[:, :, None] * Whh[None]
        """,
        "ReLU",
    ),
    # 5.2 jacobian_norms
    Wrong(
        "5.2",
        "product-in-reverse-order",
        """
        def jacobian_norms(h, Whh):
            T, H = h.shape
            P, norms = np.eye(H), [1.0]
            for t in range(T - 1, 0, -1):
                P = ((1.0 - h[t] ** 2)[:, None] * Whh) @ P  # earliest factor on the left
                norms.append(np.linalg.norm(P, 2))
            return np.array(norms)
        """,
        "norms",
    ),
    Wrong(
        "5.2",
        "off-by-one-starts-at-h_T-minus-1",
        """
        def jacobian_norms(h, Whh):
            T, H = h.shape
            P, norms = np.eye(H), [1.0]
            for t in range(T - 2, -1, -1):  # J_T uses h[-1], not h[-2]
                P = P @ ((1.0 - h[t] ** 2)[:, None] * Whh)
                norms.append(np.linalg.norm(P, 2))
            return np.array(norms)
        """,
        "norms",
    ),
    Wrong(
        "5.2",
        "product-rebuilt-for-every-distance",
        """
        def jacobian_norms(h, Whh):
            T, H = h.shape
            norms = []
            for d in range(T):
                P = np.eye(H)
                for t in range(T - 1, T - 1 - d, -1):
                    P = P @ ((1.0 - h[t] ** 2)[:, None] * Whh)
                norms.append(np.linalg.norm(P, 2))
            return np.array(norms)
        """,
        "running product",
    ),
    Wrong(
        "5.2",
        "frobenius-norm",
        """
        def jacobian_norms(h, Whh):
            T, H = h.shape
            P, norms = np.eye(H), [1.0]
            for t in range(T - 1, 0, -1):
                P = P @ ((1.0 - h[t] ** 2)[:, None] * Whh)
                norms.append(np.linalg.norm(P))  # Frobenius, not spectral
            return np.array(norms)
        """,
        "norms",
    ),
    # 5.3 clip_global_norm
    Wrong(
        "5.3",
        "clips-in-place",
        """
        def clip_global_norm(grads, max_norm):
            norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
            coef = min(1.0, max_norm / (norm + 1e-6))
            for g in grads.values():
                g *= coef
            return grads, norm
        """,
        "in place",
    ),
    Wrong(
        "5.3",
        "clips-each-tensor-separately",
        """
        def clip_global_norm(grads, max_norm):
            norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
            out = {}
            for k, g in grads.items():
                out[k] = g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6))
            return out, norm
        """,
        "global",
    ),
    Wrong(
        "5.3",
        "returns-norm-after-clipping",
        """
        def clip_global_norm(grads, max_norm):
            norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
            coef = min(1.0, max_norm / (norm + 1e-6))
            return {k: g * coef for k, g in grads.items()}, norm * coef
        """,
        "norm before clipping",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)
