"""Plausible wrong solutions of exercise set 08 must lose points (see tests/exercise_harness.py).

Most wrong solutions are a correct solution with one learner mistake edited in (``mutate``),
so each one isolates exactly one mistake.
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


MULTIPLICATION = """
def multiplication_problem(n, T, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.random((n, T))
    half = T // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T, size=n)
    rows = np.arange(n)
    markers = np.zeros((n, T))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = values[rows, first] * values[rows, second]
    return x, y
"""

BASELINE = """
def product_baseline(a, b):
    mean = (a + b) / 2
    second_moment = (a * a + a * b + b * b) / 3
    return mean**2, second_moment**2 - mean**4
"""

REPORT = """
def copy_recall_report(scores, y):
    correct = scores[:, -10:].argmax(axis=-1) == y[:, -10:]
    return correct.mean(axis=0), float(correct.all(axis=1).mean())
"""

WRONG = [
    # 8.1 -------------------------------------------------------------------------------------
    Wrong(
        "8.1",
        "markers-fixed-at-0-and-half",
        mutate(
            mutate(
                MULTIPLICATION,
                "rng.integers(0, half, size=n)",
                "np.zeros(n, dtype=int)",
            ),
            "rng.integers(half, T, size=n)",
            "np.full(n, half)",
        ),
        "marker must be uniform",
    ),
    Wrong(
        "8.1",
        "values-cubed",
        mutate(
            MULTIPLICATION,
            "values = rng.random((n, T))",
            "values = rng.random((n, T)) ** 3",
        ),
        "uniform on [0, 1]",
    ),
    Wrong(
        "8.1",
        "markers-anywhere",
        mutate(
            mutate(
                MULTIPLICATION,
                "rng.integers(0, half, size=n)",
                "rng.integers(0, T, size=n)",
            ),
            "rng.integers(half, T, size=n)",
            "(first + rng.integers(1, T, size=n)) % T",
        ),
        "one marker in each half",
    ),
    Wrong(
        "8.1",
        "sum-instead-of-product",
        mutate(
            MULTIPLICATION,
            "values[rows, first] * values[rows, second]",
            "values[rows, first] + values[rows, second]",
        ),
        "y for N=",
    ),
    Wrong(
        "8.1",
        "ignores-seed",
        mutate(
            MULTIPLICATION, "np.random.default_rng(seed)", "np.random.default_rng()"
        ),
        "different batches",
    ),
    # 8.2 -------------------------------------------------------------------------------------
    Wrong(
        "8.2",
        "constant-is-the-mean-of-one-factor",
        mutate(BASELINE, "return mean**2,", "return mean,"),
        "(constant, mse)",
    ),
    Wrong(
        "8.2",
        "mse-is-variance-of-one-factor-squared",
        mutate(
            BASELINE, "second_moment**2 - mean**4", "(second_moment - mean**2) ** 2"
        ),
        "(constant, mse)",
    ),
    Wrong(
        "8.2",
        "second-moment-of-0-1-only",
        mutate(BASELINE, "(a * a + a * b + b * b) / 3", "(b - a) ** 2 / 3"),
        "[-1, 1]",
    ),
    # 8.3 -------------------------------------------------------------------------------------
    Wrong(
        "8.3",
        "exact-match-also-over-blank-steps",
        mutate(
            REPORT,
            "float(correct.all(axis=1).mean())",
            "float((scores.argmax(axis=-1) == y).all(axis=1).mean())",
        ),
        "blank",
    ),
    Wrong(
        "8.3",
        "exact-match-is-mean-accuracy",
        mutate(REPORT, "float(correct.all(axis=1).mean())", "float(correct.mean())"),
        "exact_match",
    ),
    Wrong(
        "8.3",
        "averaged-over-positions-not-sequences",
        mutate(REPORT, "correct.mean(axis=0)", "np.resize(correct.mean(axis=1), 10)"),
        "per_position",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)


@pytest.mark.parametrize(
    "exercise_id, source",
    [("8.1", MULTIPLICATION), ("8.2", BASELINE), ("8.3", REPORT)],
)
def test_correct_solution_earns_full_marks(exercise_id, source):
    result = run_exercise(exercise_id, run_cell(source), quiet=True)
    assert result.points == result.max_points, result.reasons
