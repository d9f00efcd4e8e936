"""Every exercise of every shipped set is tested against at least two plausible wrong solutions."""

from __future__ import annotations

import importlib
import sys
from collections import Counter
from pathlib import Path

import pytest

from rnnbook.exercise_sets import available_sets
from rnnbook.grading.core import find_set

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

MIN_WRONG = 2


@pytest.mark.parametrize("set_id", available_sets())
def test_every_exercise_has_wrong_solutions(set_id):
    path = HERE / f"test_wrong_solutions_ch{set_id}.py"
    assert path.exists(), f"exercise set {set_id} has no {path.name}"
    module = importlib.import_module(path.stem)
    counts = Counter(w.exercise_id for w in module.WRONG)
    exercises = [e.exercise_id for e in find_set(set_id).exercises.values()]
    missing = {e: counts[e] for e in exercises if counts[e] < MIN_WRONG}
    assert not missing, (
        f"set {set_id}: exercises with fewer than {MIN_WRONG} wrong solutions: {missing}"
    )
