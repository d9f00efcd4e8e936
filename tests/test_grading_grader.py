"""The instructor grader (`python -m rnnbook.grade`) on simulated submissions.

One grader run (one fresh kernel per submission, a few seconds each) grades a batch of notebooks
built from a small solutions notebook for the test-only set "97" (tests/fixtures/grading_set.py):
correct, partly wrong, raising, returning None, NaN, an edited check cell, deleted check cells,
corrupt JSON, a kernel crash, an endless loop at the top level, a missing exercise, and the
untouched learner notebook, and an endless loop inside a function. Each must get the expected points and reason, and the batch must
complete.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from rnnbook.grading import generate as gen
from rnnbook.grading.grader import prepare, strip_check_code

FIXTURE = Path(__file__).parent / "fixtures" / "grading_set.py"

SCALE = "def scale(x, a):\n    ### BEGIN SOLUTION\n    ### HINT: multiply\n    return a * x\n    ### END SOLUTION"
COUNT = "def count_params(D, H):\n    ### BEGIN SOLUTION\n    return H * D + H * H + H\n    ### END SOLUTION"
CHECK1 = 'from rnnbook.grading import check\ncheck("97.1")'
CHECK2 = 'check("97.2")'


def solutions_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [
        nbformat.v4.new_markdown_cell("# 97. Fixture set"),
        nbformat.v4.new_code_cell("import numpy as np"),
        nbformat.v4.new_code_cell(SCALE),
        nbformat.v4.new_code_cell(CHECK1),
        nbformat.v4.new_code_cell(COUNT),
        nbformat.v4.new_code_cell(CHECK2),
        nbformat.v4.new_code_cell('from rnnbook.grading import summary\nsummary("97")'),
    ]
    for i, c in enumerate(cells):
        c["id"] = f"c{i}"
    cells[3].metadata["tags"] = ["exercise-check"]
    cells[5].metadata["tags"] = ["exercise-check"]
    nb.cells = cells
    return nb


def variant(exercise_nb, replace: dict[int, str | None], extra: list[tuple[int, str]] = ()):
    """A copy of the learner notebook with cells replaced (None: deleted) and cells inserted."""
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(exercise_nb), as_version=4))
    for index, source in replace.items():
        if source is not None:
            nb.cells[index].source = source
    for index, source in sorted(extra, reverse=True):
        nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    nb.cells = [c for i, c in enumerate(nb.cells) if replace.get(i, "") is not None]
    return nb


GOOD_SCALE = "def scale(x, a):\n    return a * x"
GOOD_COUNT = "def count_params(D, H):\n    return H * D + H * H + H"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    (root / "solutions").mkdir()
    nbformat.write(solutions_notebook(), root / "solutions" / "97_fixture.ipynb")
    assert gen.main(["--solutions", str(root / "solutions"), "--exercises", str(root / "exercises")]) == 0
    exercise = nbformat.read(root / "exercises" / "97_fixture.ipynb", as_version=4)
    subs = root / "submissions"
    (subs / "bob").mkdir(parents=True)
    notebooks = {
        "correct.ipynb": variant(exercise, {2: GOOD_SCALE, 4: GOOD_COUNT}),
        "partly_wrong.ipynb": variant(exercise, {2: "def scale(x, a):\n    return a * x + (x > 3)", 4: GOOD_COUNT}),
        "raising.ipynb": variant(exercise, {2: "def scale(x, a):\n    b = a\n    return x @ np.ones(4)", 4: GOOD_COUNT},
                                 [(4, "1 / 0  # a top-level error does not stop the later cells")]),
        "none.ipynb": variant(exercise, {2: "def scale(x, a):\n    y = a * x", 4: GOOD_COUNT}),
        "nan.ipynb": variant(exercise, {2: "def scale(x, a):\n    return a * x * np.nan", 4: GOOD_COUNT}),
        "edited_check.ipynb": variant(exercise, {2: "def scale(x, a):\n    return a * x + (x > 3)", 3: 'print("Exercise 97.1 scale: 3/3 points")',
                                                 4: GOOD_COUNT, 5: 'print("RNNBOOK-GRADES-JSON: []")'}),
        "deleted_checks.ipynb": variant(exercise, {2: GOOD_SCALE, 3: None, 4: GOOD_COUNT, 5: None, 6: None}),
        "crash.ipynb": variant(exercise, {2: GOOD_SCALE, 4: GOOD_COUNT}, [(5, "import os\nos._exit(1)")]),
        "endless.ipynb": variant(exercise, {2: GOOD_SCALE}, [(4, "while True:\n    print('spam' * 100)")]),
        "loop_in_function.ipynb": variant(exercise, {2: "def scale(x, a):\n    while True:\n        pass", 4: GOOD_COUNT}),
        "missing.ipynb": variant(exercise, {2: GOOD_SCALE, 4: "# I gave up on this one"}),
        "untouched.ipynb": exercise,
    }
    for name, nb in notebooks.items():
        nbformat.write(nb, subs / name)
    # No metadata: recognised by its file name ending in a solutions notebook's name.
    nameless = variant(exercise, {2: GOOD_SCALE, 4: GOOD_COUNT})
    del nameless.metadata["rnnbook"]
    nbformat.write(nameless, subs / "bob" / "bob_97_fixture.ipynb")
    (subs / "alice_97_fixture.ipynb").write_text('{"cells": [ this is not json')
    (subs / "notes.ipynb").write_text('{"cells": [ unknown')
    out = root / "grades.csv"
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "rnnbook.grade", str(subs), "--out", str(out), "--solutions", str(root / "solutions"),
         "--timeout", "6", "--exercise-module", str(FIXTURE)],
        capture_output=True, text=True, cwd=root, timeout=400,
    )
    elapsed = time.monotonic() - start
    assert run.returncode == 0, run.stderr[-3000:]
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return {"rows": rows, "stderr": run.stderr, "stdout": run.stdout, "elapsed": elapsed}


def rows_of(graded, submission):
    rows = {r["exercise"]: r for r in graded["rows"] if r["submission"] == submission}
    assert rows, f"no rows for {submission}"
    return rows


def points(graded, submission):
    return {eid: (int(r["points"]), int(r["max_points"])) for eid, r in rows_of(graded, submission).items()}


def test_csv_has_the_columns_and_every_submission(graded):
    assert list(graded["rows"][0]) == ["submission", "exercise", "name", "points", "max_points", "reason"]
    subs = {r["submission"] for r in graded["rows"]}
    assert len(subs) == 15
    assert "bob/bob_97_fixture.ipynb" in subs
    assert "grading" in graded["stderr"]  # the tqdm bar
    assert "graded 15 notebook(s)" in graded["stdout"]


def test_correct(graded):
    assert points(graded, "correct.ipynb") == {"97.1": (3, 3), "97.2": (2, 2)}
    assert all(r["reason"] == "" for r in rows_of(graded, "correct.ipynb").values())
    assert points(graded, "bob/bob_97_fixture.ipynb") == {"97.1": (3, 3), "97.2": (2, 2)}


def test_partly_wrong(graded):
    row = rows_of(graded, "partly_wrong.ipynb")["97.1"]
    assert (row["points"], row["name"]) == ("2", "scale")
    assert "wrong values for the result" in row["reason"] and "at index (1, 1)" in row["reason"]


def test_raising(graded):
    row = rows_of(graded, "raising.ipynb")["97.1"]
    assert row["points"] == "0"
    assert "raised ValueError" in row["reason"]
    assert "in `scale`, line 3 of its cell: `return x @ np.ones(4)`" in row["reason"]
    assert "ipykernel" not in row["reason"]
    assert rows_of(graded, "raising.ipynb")["97.2"]["points"] == "2"


def test_none_and_nan(graded):
    assert "did you forget `return`?" in rows_of(graded, "none.ipynb")["97.1"]["reason"]
    assert "contains NaN at index (0, 0)" in rows_of(graded, "nan.ipynb")["97.1"]["reason"]
    assert points(graded, "nan.ipynb")["97.1"] == (0, 3)


def test_edited_check_cell_cannot_change_the_score(graded):
    row = rows_of(graded, "edited_check.ipynb")["97.1"]
    assert row["points"] == "2", row  # not the 3/3 its edited check cell printed
    assert points(graded, "edited_check.ipynb")["97.2"] == (2, 2)


def test_deleted_check_cells(graded):
    assert points(graded, "deleted_checks.ipynb") == {"97.1": (3, 3), "97.2": (2, 2)}


def test_corrupt_json(graded):
    rows = rows_of(graded, "alice_97_fixture.ipynb")
    assert set(rows) == {"97.1", "97.2"}
    assert all(r["points"] == "0" and "not a valid notebook file" in r["reason"] for r in rows.values())
    unknown = rows_of(graded, "notes.ipynb")[""]
    assert "not a valid notebook file" in unknown["reason"]


def test_kernel_crash(graded):
    rows = rows_of(graded, "crash.ipynb")
    assert all(r["points"] == "0" and "the kernel died while running code cell 5 (`import os`)" in r["reason"] for r in rows.values())


def test_endless_loop_at_top_level(graded):
    rows = rows_of(graded, "endless.ipynb")
    assert rows["97.1"]["points"] == "3"  # defined before the loop: still graded
    assert "6 s time limit in code cell 4 (`while True:`), which was interrupted" in rows["97.1"]["reason"]
    assert rows["97.2"]["points"] == "0"
    assert "`count_params` is not defined" in rows["97.2"]["reason"]


def test_endless_loop_in_a_function_hits_the_per_call_limit(graded):
    row = rows_of(graded, "loop_in_function.ipynb")["97.1"]
    assert row["points"] == "0" and "did not finish within the time limit of 1 s" in row["reason"]
    assert points(graded, "loop_in_function.ipynb")["97.2"] == (2, 2)


def test_missing_exercise(graded):
    rows = rows_of(graded, "missing.ipynb")
    assert rows["97.1"]["points"] == "3"
    assert rows["97.2"]["points"] == "0" and "`count_params` is not defined in this notebook" in rows["97.2"]["reason"]


def test_untouched_learner_notebook_gets_zero_without_errors(graded):
    rows = rows_of(graded, "untouched.ipynb")
    assert all(r["points"] == "0" and "not attempted yet" in r["reason"] for r in rows.values())


def test_batch_is_reasonably_fast(graded):
    assert graded["elapsed"] < 150


# Pure functions of the grader (no kernel)

def test_strip_check_code():
    assert strip_check_code('from rnnbook.grading import check\ncheck("1.2")') is None
    assert strip_check_code("x = 1") == "x = 1"
    mixed = 'def f():\n    return 1\ncheck("1.2")\ny = f()'
    assert strip_check_code(mixed) == "def f():\n    return 1\npass\ny = f()"
    assert strip_check_code("%time check('1.2')") == "%time check('1.2')"  # magics: left alone


def test_prepare_appends_one_grading_cell():
    nb = solutions_notebook()
    prepared = prepare(nb, "97")
    sources = [c.source for c in prepared.cells]
    assert not any("check(" in s or "summary(" in s for s in sources[:-1])
    assert "report_for_grader('97', globals())" in sources[-1]
