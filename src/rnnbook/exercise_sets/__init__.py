"""The tests and reference data of the exercise sets: one module ``chNN`` per set.

``check("2.3")`` imports ``rnnbook.exercise_sets.ch02`` by name, on demand; that module creates
``SET = ExerciseSet("02", ...)`` and declares its exercises (see CONTRIBUTING.md and the "How
exercises work" page of the book). The dependency goes one way only: the set modules import
``rnnbook.grading``; the grading package never imports this package statically.

Extra sets that do not ship with the package (an instructor's own, or the test suite's fixtures)
can be made known through the environment variable ``RNNBOOK_EXERCISE_SETS``: a list, separated
by ``os.pathsep``, of importable module names or paths to ``.py`` files. Each is imported when a
set is not found in the package.
"""

from __future__ import annotations

from pathlib import Path

ENV_VAR = "RNNBOOK_EXERCISE_SETS"  # the same name as rnnbook.grading.core.ENV_VAR


def module_name(set_id: str) -> str:
    return f"{__name__}.ch{set_id}"


def available_sets() -> list[str]:
    """Ids of the sets shipped in this package (``ch01.py`` -> ``"01"``)."""
    here = Path(__file__).parent
    return sorted(p.stem[2:] for p in here.glob("ch*.py"))
