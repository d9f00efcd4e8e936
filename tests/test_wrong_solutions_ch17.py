"""Plausible wrong solutions of exercise set 17 must lose points (see tests/exercise_harness.py).

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


COMBINE = """
def combine(left, right):
    a1, b1 = left
    a2, b2 = right
    return a1 * a2, a2 * b1 + b2
"""

HILLIS = (
    COMBINE
    + """
def hillis_steele_scan(a, b):
    A, B = a.copy(), b.copy()
    T, d = a.shape[1], 1
    while d < T:
        A_new, B_new = combine((A[:, :-d], B[:, :-d]), (A[:, d:], B[:, d:]))
        A[:, d:], B[:, d:] = A_new, B_new
        d *= 2
    return A, B
"""
)

DOWNSWEEP = (
    COMBINE
    + """
def blelloch_downsweep_exclusive(A, B):
    A, B = A.copy(), B.copy()
    P = A.shape[1]
    A[:, P - 1], B[:, P - 1] = 1.0, 0.0
    s = P // 2
    while s >= 1:
        right = np.arange(2 * s - 1, P, 2 * s)
        left = right - s
        total_left = (A[:, left], B[:, left])
        prefix = (A[:, right], B[:, right])
        A[:, left], B[:, left] = prefix
        A[:, right], B[:, right] = combine(prefix, total_left)
        s //= 2
    return A, B
"""
)

LOG = """
def log_linear_recurrence(log_a, log_b, log_h0):
    a_star = np.cumsum(log_a, axis=1)
    terms = np.concatenate([log_h0[:, None, :], log_b - a_star], axis=1)
    return a_star + np.logaddexp.accumulate(terms, axis=1)[:, 1:]
"""

WRONG = [
    # 17.1
    Wrong(
        "17.1",
        "order-swapped",
        mutate(COMBINE, "a2 * b1 + b2", "a1 * b2 + b1"),
        "composed map",
    ),
    Wrong("17.1", "forgets-to-decay-b1", mutate(COMBINE, "a2 * b1 + b2", "b1 + b2")),
    Wrong("17.1", "adds-the-decays", mutate(COMBINE, "a1 * a2,", "a1 + a2,")),
    # 17.2
    Wrong(
        "17.2",
        "non-associative-combine",
        mutate(HILLIS, "a2 * b1 + b2", "a2 * b1 + a1 * b2"),
    ),
    Wrong(
        "17.2",
        "exclusive-instead-of-inclusive",
        HILLIS.replace(
            "    return A, B\n",
            "    A = np.concatenate([np.ones_like(A[:, :1]), A[:, :-1]], axis=1)\n"
            "    B = np.concatenate([np.zeros_like(B[:, :1]), B[:, :-1]], axis=1)\n"
            "    return A, B\n",
        ),
        "inclusive",
    ),
    Wrong(
        "17.2",
        "later-element-first",
        mutate(
            HILLIS,
            "combine((A[:, :-d], B[:, :-d]), (A[:, d:], B[:, d:]))",
            "combine((A[:, d:], B[:, d:]), (A[:, :-d], B[:, :-d]))",
        ),
    ),
    Wrong(
        "17.2", "one-level-short", mutate(HILLIS, "while d < T:", "while 2 * d < T:")
    ),
    Wrong(
        "17.2",
        "calls-the-package-scan",
        """
from rnnbook.scratch.scan import scan_hillis_steele

def hillis_steele_scan(a, b):
    return scan_hillis_steele(a, b)
""",
        "scan_hillis_steele",
    ),
    # 17.3
    Wrong(
        "17.3",
        "root-not-reset-to-identity",
        mutate(DOWNSWEEP, "    A[:, P - 1], B[:, P - 1] = 1.0, 0.0\n", ""),
    ),
    Wrong(
        "17.3",
        "left-total-before-prefix",
        mutate(DOWNSWEEP, "combine(prefix, total_left)", "combine(total_left, prefix)"),
        "exclusive prefixes",
    ),
    Wrong(
        "17.3",
        "overwrites-before-reading",
        mutate(
            DOWNSWEEP,
            "        A[:, left], B[:, left] = prefix\n"
            "        A[:, right], B[:, right] = combine(prefix, total_left)\n",
            "        A[:, left], B[:, left] = prefix\n"
            "        A[:, right], B[:, right] = combine(prefix, (A[:, left], B[:, left]))\n",
        ),
    ),
    Wrong(
        "17.3",
        "calls-the-package-downsweep",
        """
from rnnbook.scratch.scan import blelloch_downsweep

def blelloch_downsweep_exclusive(A, B):
    return blelloch_downsweep(A, B)
""",
        "blelloch_downsweep",
    ),
    # 17.4
    Wrong(
        "17.4",
        "products-outside-log-space",
        """
def log_linear_recurrence(log_a, log_b, log_h0):
    A = np.exp(np.cumsum(log_a, axis=1))
    inner = np.exp(log_h0)[:, None, :] + np.cumsum(np.exp(log_b) / A, axis=1)
    return np.log(A * inner)
""",
        "T = 3000",
    ),
    Wrong(
        "17.4",
        "forgets-h0",
        mutate(
            LOG,
            "terms = np.concatenate([log_h0[:, None, :], log_b - a_star], axis=1)",
            "terms = np.concatenate([np.full_like(log_h0[:, None, :], -np.inf), "
            "log_b - a_star], axis=1)",
        ),
    ),
    Wrong(
        "17.4",
        "exclusive-cumulative-sum",
        mutate(
            LOG,
            "a_star = np.cumsum(log_a, axis=1)",
            "a_star = np.cumsum(log_a, axis=1) - log_a",
        ),
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)


@pytest.mark.parametrize(
    "exercise_id, source",
    [("17.1", COMBINE), ("17.2", HILLIS), ("17.3", DOWNSWEEP), ("17.4", LOG)],
)
def test_correct_solution_earns_full_marks(exercise_id, source):
    result = run_exercise(exercise_id, run_cell(source), quiet=True)
    assert result.points == result.max_points, result.reasons
