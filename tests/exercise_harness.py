"""Shared harness for the wrong-solution tests of the exercise sets (tests/test_wrong_solutions_*).

Each ``tests/test_wrong_solutions_chNN.py`` defines a list ``WRONG`` of plausible wrong
solutions -- the mistakes learners actually make -- as :class:`Wrong` records, and runs them with
:func:`assert_loses_points`. ``tests/test_wrong_solutions_coverage.py`` checks that every exercise
of every shipped set has at least two of them.

A wrong solution is learner code given as source text, compiled under a notebook-like file name
(so feedback can quote its lines), exactly as a notebook cell would run it.
"""

from __future__ import annotations

import itertools
import linecache
import textwrap
from dataclasses import dataclass

import numpy as np

from rnnbook.grading import run_exercise

_counter = itertools.count()


@dataclass(frozen=True)
class Wrong:
    exercise_id: str  # e.g. "2.3"
    mistake: str  # what the learner got wrong, in words (the test id)
    source: str  # the learner's cell: defines the graded function (and helpers)
    reason: str = (
        ""  # a substring the feedback must contain ("" = any lost point will do)
    )

    def __str__(self) -> str:
        return f"{self.exercise_id}-{self.mistake}"


def run_cell(source: str, namespace: dict | None = None) -> dict:
    """Execute ``source`` like a notebook cell and return its namespace."""
    source = textwrap.dedent(source).lstrip("\n")
    filename = f"<ipython-input-{next(_counter)}-wrong>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np} if namespace is None else namespace
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def assert_loses_points(wrong: Wrong):
    """The wrong solution must score below full marks, with the expected reason."""
    result = run_exercise(wrong.exercise_id, run_cell(wrong.source), quiet=True)
    assert result.max_points > 0, (
        f"exercise {wrong.exercise_id} not found: {result.reasons}"
    )
    assert result.points < result.max_points, (
        f"{wrong}: a wrong solution earned full marks ({result.points}/{result.max_points})"
    )
    if wrong.reason:
        text = " ".join(result.reasons)
        assert wrong.reason.lower() in text.lower(), (
            f"{wrong}: expected a reason mentioning {wrong.reason!r}, got: {result.reasons}"
        )
    return result
