"""Plausible wrong solutions of exercise set 18 must lose points (see tests/exercise_harness.py).

Each wrong solution is a correct one with one learner mistake edited in (``mutate``).
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


STEP = """
def mingru_step(x, h_prev, W, c):
    H = h_prev.shape[1]
    pre = x @ W.T + c
    k, p = pre[:, :H], pre[:, H:]
    z = 1.0 / (1.0 + np.exp(-k))
    h_tilde = np.where(p >= 0, p + 0.5, 1.0 / (1.0 + np.exp(-p)))
    return (1.0 - z) * h_prev + z * h_tilde
"""

COEFFS = """
def mingru_log_coefficients(x, W, c):
    H = W.shape[0] // 2
    pre = x @ W.T + c
    k, p = pre[..., :H], pre[..., H:]
    log_a = -np.logaddexp(0.0, k)
    log_g = np.where(p >= 0, np.log(np.abs(p) + 0.5), -np.logaddexp(0.0, -p))
    log_b = -np.logaddexp(0.0, -k) + log_g
    return log_a, log_b
"""

PARALLEL = (
    COEFFS
    + """
def mingru_parallel(x, W, c, h0):
    log_a, log_b = mingru_log_coefficients(x, W, c)
    a_star = np.cumsum(log_a, axis=1)
    terms = np.concatenate([np.log(h0)[:, None, :], log_b - a_star], axis=1)
    return np.exp(a_star + np.logaddexp.accumulate(terms, axis=1)[:, 1:])
"""
)

WRONG = [
    # 18.1
    Wrong(
        "18.1",
        "tanh-candidate",
        mutate(
            STEP,
            "np.where(p >= 0, p + 0.5, 1.0 / (1.0 + np.exp(-p)))",
            "np.tanh(p)",
        ),
    ),
    Wrong(
        "18.1",
        "gate-roles-swapped",
        mutate(
            STEP, "(1.0 - z) * h_prev + z * h_tilde", "z * h_prev + (1.0 - z) * h_tilde"
        ),
        "random weights",
    ),
    Wrong("18.1", "g-without-the-half", mutate(STEP, "p + 0.5", "p")),
    Wrong(
        "18.1",
        "blocks-read-in-the-wrong-order",
        mutate(STEP, "k, p = pre[:, :H], pre[:, H:]", "p, k = pre[:, :H], pre[:, H:]"),
    ),
    # 18.2
    Wrong(
        "18.2",
        "naive-logs-of-sigmoids",
        """
def mingru_log_coefficients(x, W, c):
    H = W.shape[0] // 2
    pre = x @ W.T + c
    k, p = pre[..., :H], pre[..., H:]
    z = 1.0 / (1.0 + np.exp(-k))
    h_tilde = np.where(p >= 0, p + 0.5, 1.0 / (1.0 + np.exp(-p)))
    return np.log(1.0 - z), np.log(z * h_tilde)
""",
        "saturated",
    ),
    Wrong(
        "18.2",
        "log-a-and-log-z-swapped",
        mutate(
            COEFFS, "log_a = -np.logaddexp(0.0, k)", "log_a = -np.logaddexp(0.0, -k)"
        ),
    ),
    Wrong(
        "18.2",
        "candidate-not-through-g",
        mutate(
            COEFFS,
            "log_b = -np.logaddexp(0.0, -k) + log_g",
            "log_b = -np.logaddexp(0.0, -k) + p",
        ),
    ),
    # 18.3
    Wrong(
        "18.3",
        "forgets-h0",
        mutate(
            PARALLEL,
            "np.log(h0)[:, None, :]",
            "np.full_like(h0[:, None, :], -np.inf)",
        ),
        "h0",
    ),
    Wrong(
        "18.3",
        "products-outside-log-space",
        COEFFS
        + """
def mingru_parallel(x, W, c, h0):
    log_a, log_b = mingru_log_coefficients(x, W, c)
    A = np.exp(np.cumsum(log_a, axis=1))
    return A * (h0[:, None, :] + np.cumsum(np.exp(log_b) / A, axis=1))
""",
        "T = 2000",
    ),
    Wrong(
        "18.3",
        "states-shifted-by-one",
        mutate(
            PARALLEL,
            "np.logaddexp.accumulate(terms, axis=1)[:, 1:]",
            "np.logaddexp.accumulate(terms, axis=1)[:, :-1]",
        ),
    ),
    Wrong(
        "18.3",
        "calls-the-package-log-scan",
        COEFFS
        + """
from rnnbook.scratch.scan import linear_recurrence_log

def mingru_parallel(x, W, c, h0):
    log_a, log_b = mingru_log_coefficients(x, W, c)
    return np.exp(linear_recurrence_log(log_a, log_b, np.log(h0)))
""",
        "linear_recurrence_log",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)


@pytest.mark.parametrize(
    "exercise_id, source", [("18.1", STEP), ("18.2", COEFFS), ("18.3", PARALLEL)]
)
def test_correct_solution_earns_full_marks(exercise_id, source):
    result = run_exercise(exercise_id, run_cell(source), quiet=True)
    assert result.points == result.max_points, result.reasons
