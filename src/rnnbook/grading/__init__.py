"""Instant-feedback checks for the exercise notebooks, and the tools around them.

In a notebook::

    from rnnbook.grading import check, summary
    check("1.2")      # prints "Exercise 1.2 stacked_rnn_param_count: 3/3 points" (never raises)
    summary("01")     # one line per exercise of set 01 and the total

In a test module (``rnnbook.exercise_sets.chNN``)::

    from rnnbook.grading import ExerciseSet
    SET = ExerciseSet("01", "Sequences and the recurrence")

    @SET.exercise("1.2", "stacked_rnn_param_count", points=3)
    def _(t):
        with t.case("a single layer", points=1):
            t.expect_equal(t.call(3, 4, 1), 36, "parameter count")

Tools: ``python -m rnnbook.grading.generate`` writes exercises/ from solutions/;
``python -m rnnbook.grade SUBMISSIONS_DIR --out grades.csv`` grades learners' notebooks.
``check``/``summary`` need numpy only; the grader also needs nbformat and IPython (the ``grade``
extra), imported only when it runs. This package imports neither torch nor tensorflow, and never
imports ``rnnbook.exercise_sets`` statically (the set modules import it, and are loaded by name).
"""

from rnnbook.grading.core import (
    DEFAULT_TIME_LIMIT,
    Exercise,
    ExerciseResult,
    ExerciseSet,
    Tester,
    check,
    find_exercise,
    find_set,
    grade_set,
    run_exercise,
    summary,
)

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "Exercise",
    "ExerciseResult",
    "ExerciseSet",
    "Tester",
    "check",
    "find_exercise",
    "find_set",
    "grade_set",
    "run_exercise",
    "summary",
]
