"""Plausible wrong solutions of exercise set 03 must lose points (see tests/exercise_harness.py)."""

from __future__ import annotations

import pytest
from exercise_harness import Wrong, assert_loses_points

WRONG = [
    # 3.1 numerical_gradients
    Wrong(
        "3.1",
        "forward-difference",
        """
        def numerical_gradients(f, arrays, eps=1e-5):
            grads, f0 = [], f(*arrays)
            for A in arrays:
                g = np.zeros(A.shape)
                for i in np.ndindex(A.shape):
                    old = A[i]
                    A[i] = old + eps
                    g[i] = (f(*arrays) - f0) / eps
                    A[i] = old
                grads.append(g)
            return grads
        """,
        "eps=0.01",
    ),
    Wrong(
        "3.1",
        "entry-not-restored",
        """
        def numerical_gradients(f, arrays, eps=1e-5):
            grads = []
            for A in arrays:
                g = np.zeros(A.shape)
                for i in np.ndindex(A.shape):
                    A[i] += eps
                    f_plus = f(*arrays)
                    A[i] -= 2 * eps
                    f_minus = f(*arrays)  # A[i] is left at old - eps
                    g[i] = (f_plus - f_minus) / (2 * eps)
                grads.append(g)
            return grads
        """,
        "",
    ),
    Wrong(
        "3.1",
        "only-the-first-array",
        """
        def numerical_gradients(f, arrays, eps=1e-5):
            A = arrays[0]
            g = np.zeros(A.shape)
            for i in np.ndindex(A.shape):
                old = A[i]
                A[i] = old + eps
                f_plus = f(*arrays)
                A[i] = old - eps
                f_minus = f(*arrays)
                A[i] = old
                g[i] = (f_plus - f_minus) / (2 * eps)
            return [g]
        """,
        "two gradients",
    ),
    # 3.2 worst_relative_error
    Wrong(
        "3.2",
        "nan-slips-through-np-max",
        """
        def worst_relative_error(a, n, floor=1e-12):
            a, n = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
            err = np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)
            flat = int(np.nanargmax(err))
            return float(err.reshape(-1)[flat]), np.unravel_index(flat, a.shape)
        """,
        "NaN",
    ),
    Wrong(
        "3.2",
        "flat-index-not-unravelled",
        """
        import math

        def worst_relative_error(a, n, floor=1e-12):
            a, n = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
            bad = ~(np.isfinite(a) & np.isfinite(n))
            if bad.any():
                return math.inf, (int(np.argmax(bad.reshape(-1))),)
            err = np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)
            return float(err.max()), (int(np.argmax(err)),)
        """,
        "index",
    ),
    Wrong(
        "3.2",
        "denominator-without-floor",
        """
        import math

        def worst_relative_error(a, n, floor=1e-12):
            a, n = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
            bad = ~(np.isfinite(a) & np.isfinite(n))
            if bad.any():
                return math.inf, tuple(int(i) for i in np.argwhere(bad)[0])
            with np.errstate(all="ignore"):
                err = np.nan_to_num(np.abs(a - n) / (np.abs(a) + np.abs(n)))
            flat = int(np.argmax(err))
            return float(err.reshape(-1)[flat]), np.unravel_index(flat, a.shape)
        """,
        "floor",
    ),
    # 3.3 buggy_parameters
    Wrong(
        "3.3",
        "stub-reports-nothing",
        """
        def buggy_parameters(loss, grads, params, threshold=1e-5, max_entries=50):
            return []
        """,
        "",
    ),
    Wrong(
        "3.3",
        "max_entries-ignored",
        """
        from rnnbook.scratch.gradcheck import grad_check

        def buggy_parameters(loss, grads, params, threshold=1e-5, max_entries=50):
            failed = []
            for name, value in params.items():
                err = grad_check(lambda _: loss(params), value, grads[name], max_entries=None)
                if not err <= threshold:
                    failed.append(name)
            return failed
        """,
        "max_entries",
    ),
    Wrong(
        "3.3",
        "absolute-error-threshold",
        """
        def buggy_parameters(loss, grads, params, threshold=1e-5, max_entries=50):
            rng, failed = np.random.default_rng(0), []
            for name, value in params.items():
                flat, g = value.reshape(-1), grads[name].reshape(-1)
                worst = 0.0
                for i in rng.choice(flat.size, min(max_entries, flat.size), replace=False):
                    old = flat[i]
                    flat[i] = old + 1e-5
                    f_plus = loss(params)
                    flat[i] = old - 1e-5
                    f_minus = loss(params)
                    flat[i] = old
                    worst = max(worst, abs((f_plus - f_minus) / 2e-5 - g[i]))  # absolute
                if worst > threshold:
                    failed.append(name)
            return failed
        """,
        "2**20",
    ),
    Wrong(
        "3.3",
        "perturbs-a-copy",
        """
        from rnnbook.scratch.gradcheck import grad_check

        def buggy_parameters(loss, grads, params, threshold=1e-5, max_entries=50):
            failed = []
            for name, value in params.items():
                copy = value.copy()  # loss(params) never sees the perturbation
                err = grad_check(lambda _: loss(params), copy, grads[name],
                                 max_entries=max_entries)
                if not err <= threshold:
                    failed.append(name)
            return failed
        """,
        "",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)


def test_a_stub_that_reports_nothing_earns_nothing():
    result = assert_loses_points(WRONG[6])
    assert result.points == 0, result.reasons
