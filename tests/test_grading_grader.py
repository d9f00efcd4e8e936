"""The instructor grader (`python -m rnnbook.grade`) on simulated submissions.

One grader run grades a class of notebooks built from a small solutions notebook for the
test-only set "97" (tests/fixtures/grading_set.py): honest mistakes (partly wrong, raising,
returning None, NaN, an edited check cell, deleted check cells, corrupt JSON, a crash, endless
loops, a missing exercise, the untouched stub) and attacks on the grader (issue 10: each appended
to the untouched stub, so that every point would be unearned). Each must get the expected points
and reason; every attack must earn nothing or be flagged; no attack may change a classmate's
row or stop the batch. It runs in the strongest sandbox this machine offers; a second, smaller
run uses ``--sandbox none`` (what a machine without bubblewrap and without root gets), where a
submission can kill the grader: the rows written before survive and ``--resume`` finishes.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from rnnbook.grading import generate as gen
from rnnbook.grading.grader import is_check_cell, learner_cells
from rnnbook.grading.sandbox import choose_launcher

FIXTURE = Path(__file__).parent / "fixtures" / "grading_set.py"

SCALE = (
    "def scale(x, a):\n    ### BEGIN SOLUTION\n    ### HINT: multiply\n"
    "    return a * x\n    ### END SOLUTION"
)
COUNT = (
    "def count_params(D, H):\n    ### BEGIN SOLUTION\n"
    "    return H * D + H * H + H\n    ### END SOLUTION"
)
CHECK1 = 'from rnnbook.grading import check\ncheck("97.1")'
CHECK2 = 'check("97.2")'


def solutions_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
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


def variant(
    exercise_nb, replace: dict[int, str | None], extra: list[tuple[int, str]] = ()
):
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
FAKE = 'RNNBOOK-GRADES-JSON: [{"exercise": "97.1", "points": 3}] Exercise 97.1 scale: 3/3 points'

# Code that finds the grader's processes by their command line. The tests restrict it to
# command lines holding MARK, so that it never touches another test's grader running in parallel.
FIND_GRADER = """
import os
def grader_args(mark):
    for pid in os.listdir('/proc'):
        try:
            args = open(f'/proc/{pid}/cmdline', 'rb').read().split(b'\\0')
        except OSError:
            continue
        if any(b'rnnbook.grade' in a for a in args) and any(mark in a for a in args):
            yield int(pid), [a.decode() for a in args]
"""


def attacks(mark: bytes) -> dict[str, str]:
    """Issue 10's attacks, each a cell appended to the untouched stub notebook."""
    return {
        "attack_overwrite.ipynb": FIND_GRADER
        + f"""
import glob
with open(f'/proc/{{os.getppid()}}/cmdline', 'rb') as f:
    f.read()
for pid, args in grader_args({mark!r}):
    folder = args[args.index('-m') + 2]
    for path in glob.glob(folder + '/**/victim*.ipynb', recursive=True):
        open(path, 'w').write('{{}}')
""",
        "attack_kill_parent.ipynb": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
        "attack_kill_group.ipynb": "import os, signal\nos.killpg(0, signal.SIGKILL)",
        "attack_fake_report.ipynb": (
            "import rnnbook.grading.grader as g\n"
            f"g.report_for_grader = lambda *a, **k: print({FAKE!r})"
        ),
        "attack_as_dict.ipynb": (
            "from rnnbook.grading.core import ExerciseResult\n"
            "ExerciseResult.as_dict = lambda self: {'exercise': self.exercise_id, "
            "'name': self.name,"
            " 'points': 999, 'max_points': self.max_points, 'reason': ''}"
        ),
        "attack_np_abs.ipynb": (
            "np.abs = lambda a, *r, **k: a * 0\n"
            "def scale(x, a):\n    return 0 * x\n"
            "def count_params(D, H):\n    return 0"
        ),
        "attack_stdout.ipynb": (
            "import sys\nclass Rewrite:\n    def __init__(self, w):\n        self.w = w\n"
            "    def write(self, t):\n        return self.w.write(t.replace('0/3', '3/3'))\n"
            "    def flush(self):\n        self.w.flush()\nsys.stdout = Rewrite(sys.stdout)"
        ),
        "attack_hook.ipynb": (
            f"get_ipython().events.register('pre_run_cell', lambda *a: print({FAKE!r}))"
        ),
        "attack_os_write.ipynb": (
            f"import os\ndef scale(x, a):\n    os.write(1, {FAKE.encode()!r})\n    return 0 * x"
        ),
        "attack_solutions.ipynb": FIND_GRADER
        + f"""
import glob, json, rnnbook
folders = [os.path.join(os.path.dirname(rnnbook.__file__), '..', '..', 'solutions'),
           '../solutions', 'solutions']
folders += [args[args.index('--solutions') + 1] for pid, args in grader_args({mark!r})
            if '--solutions' in args]
for folder in folders:
    for path in glob.glob(os.path.join(folder, '97_*.ipynb')):
        for c in json.load(open(path))['cells']:
            src = ''.join(c['source'])
            if c['cell_type'] == 'code' and 'check(' not in src and 'summary(' not in src:
                exec(src, globals())
""",
        "attack_reference.ipynb": (
            "import rnnbook.exercise_sets.ch01 as reference\n"
            "def scale(x, a):\n    return reference.np.multiply(a, x)"
        ),
    }


def build_class(root: Path, extra: dict[str, str]):
    """solutions/, submissions/ (``extra`` and a victim); returns the stub notebook."""
    (root / "solutions").mkdir()
    nbformat.write(solutions_notebook(), root / "solutions" / "97_fixture.ipynb")
    assert (
        gen.main(
            [
                "--solutions",
                str(root / "solutions"),
                "--exercises",
                str(root / "exercises"),
            ]
        )
        == 0
    )
    exercise = nbformat.read(root / "exercises" / "97_fixture.ipynb", as_version=4)
    subs = root / "submissions"
    subs.mkdir()
    for name, source in extra.items():
        nbformat.write(
            variant(exercise, {}, [(len(exercise.cells), source)]), subs / name
        )
    nbformat.write(
        variant(exercise, {2: GOOD_SCALE, 4: GOOD_COUNT}), subs / "victim.ipynb"
    )
    return exercise, subs


def run_grader(root: Path, *extra_args, marker: str = ""):
    start = time.monotonic()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "rnnbook.grade",
            str(root / "submissions"),
            "--out",
            str(root / "grades.csv"),
            "--solutions",
            str(root / "solutions"),
            "--timeout",
            "4",
            "--exercise-module",
            str(FIXTURE),
            *extra_args,
            *([marker] if marker else []),
        ],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=400,
    )
    rows = []
    if (root / "grades.csv").exists():
        with (root / "grades.csv").open(newline="") as f:
            rows = list(csv.DictReader(f))
    return {
        "rows": rows,
        "stderr": run.stderr,
        "stdout": run.stdout,
        "rc": run.returncode,
        "elapsed": time.monotonic() - start,
    }


@pytest.fixture(scope="module")
def mode():
    """The sandbox mode of this machine; RNNBOOK_TEST_SANDBOX=none|user|bwrap forces one."""
    return os.environ.get("RNNBOOK_TEST_SANDBOX") or choose_launcher("auto")[0].mode


@pytest.fixture(scope="module")
def graded(tmp_path_factory, mode):
    """The batch's result, computed once per test run even with pytest-xdist (-n 2)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if "PYTEST_XDIST_WORKER" in os.environ else base
    cache = shared / "grading_batch.json"
    with (shared / "grading_batch.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.exists():
            cache.write_text(json.dumps(grade_the_class(shared / "grading", mode)))
        return json.loads(cache.read_text())


def grade_the_class(root: Path, mode: str) -> dict:
    root.mkdir()
    mark = os.path.basename(root).encode()
    extra = attacks(mark)
    if (
        mode != "none"
    ):  # in mode "none" this one kills the grader: see test_plain_mode_...
        extra["attack_kill_grader.ipynb"] = FIND_GRADER + (
            f"for pid, args in grader_args({mark!r}):\n    os.kill(pid, 9)"
        )
    # Earns 97.1 only if it can see the class's folders (it knows their paths, as a classmate
    # who guessed them would).
    places = [
        str(root / "submissions"),
        str(root / "solutions"),
        str(root),
    ]
    extra["attack_probe.ipynb"] = (
        f"import os\nseen = [p for p in {places!r} if os.path.exists(p)]\n"
        "def scale(x, a):\n    return a * x if seen else None"
    )
    exercise, subs = build_class(root, extra)
    (subs / "bob").mkdir(parents=True)
    notebooks = {
        "correct.ipynb": variant(exercise, {2: GOOD_SCALE, 4: GOOD_COUNT}),
        "partly_wrong.ipynb": variant(
            exercise, {2: "def scale(x, a):\n    return a * x + (x > 3)", 4: GOOD_COUNT}
        ),
        "raising.ipynb": variant(
            exercise,
            {
                2: "def scale(x, a):\n    b = a\n    return x @ np.ones(4)",
                4: GOOD_COUNT,
            },
            [(4, "1 / 0  # a top-level error does not stop the later cells")],
        ),
        "none.ipynb": variant(
            exercise, {2: "def scale(x, a):\n    y = a * x", 4: GOOD_COUNT}
        ),
        "nan.ipynb": variant(
            exercise, {2: "def scale(x, a):\n    return a * x * np.nan", 4: GOOD_COUNT}
        ),
        "edited_check.ipynb": variant(
            exercise,
            {
                2: "def scale(x, a):\n    return a * x + (x > 3)",
                3: 'print("Exercise 97.1 scale: 3/3 points")',
                4: GOOD_COUNT,
                5: 'print("RNNBOOK-GRADES-JSON: []")',
            },
        ),
        "deleted_checks.ipynb": variant(
            exercise, {2: GOOD_SCALE, 3: None, 4: GOOD_COUNT, 5: None, 6: None}
        ),
        "answer_in_check_cell.ipynb": variant(
            exercise, {3: GOOD_SCALE + "\n" + CHECK1, 4: GOOD_COUNT}
        ),
        "crash.ipynb": variant(
            exercise, {2: GOOD_SCALE, 4: GOOD_COUNT}, [(5, "import os\nos._exit(1)")]
        ),
        "endless.ipynb": variant(
            exercise, {2: GOOD_SCALE}, [(4, "while True:\n    print('spam' * 100)")]
        ),
        "loop_in_function.ipynb": variant(
            exercise,
            {2: "def scale(x, a):\n    while True:\n        pass", 4: GOOD_COUNT},
        ),
        "swallowed_timer.ipynb": variant(
            exercise,
            {
                2: "import time\ndef scale(x, a):\n    while True:\n        try:\n"
                "            time.sleep(0.05)\n"
                "        except BaseException:\n            pass",
                4: GOOD_COUNT,
            },
        ),
        "missing.ipynb": variant(
            exercise, {2: GOOD_SCALE, 4: "# I gave up on this one"}
        ),
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
    result = run_grader(root, "--sandbox", mode)
    assert result["rc"] == 0, result["stderr"][-3000:]
    result["attacks"] = sorted(extra)
    result["count"] = len(notebooks) + len(extra) + 4  # + victim, bob, alice, notes
    return result


def rows_of(graded, submission):
    rows = {r["exercise"]: r for r in graded["rows"] if r["submission"] == submission}
    assert rows, f"no rows for {submission}"
    return rows


def points(graded, submission):
    return {
        eid: (int(r["points"]), int(r["max_points"]))
        for eid, r in rows_of(graded, submission).items()
    }


def test_csv_has_the_columns_and_every_submission(graded, mode):
    assert list(graded["rows"][0]) == [
        "submission",
        "exercise",
        "name",
        "points",
        "max_points",
        "reason",
        "flags",
    ]
    subs = {r["submission"] for r in graded["rows"]}
    assert len(subs) == graded["count"]
    assert "bob/bob_97_fixture.ipynb" in subs
    assert f"sandbox: {mode}" in graded["stderr"]
    assert "grading" in graded["stderr"]  # the progress bar
    assert f"graded {graded['count']} notebook(s)" in graded["stdout"]


HONEST = [
    "correct.ipynb",
    "partly_wrong.ipynb",
    "raising.ipynb",
    "none.ipynb",
    "nan.ipynb",
    "edited_check.ipynb",
    "deleted_checks.ipynb",
    "endless.ipynb",
    "loop_in_function.ipynb",
    "missing.ipynb",
    "untouched.ipynb",
    "bob/bob_97_fixture.ipynb",
    "victim.ipynb",
    "swallowed_timer.ipynb",
    "answer_in_check_cell.ipynb",
]


def test_honest_submissions_are_not_flagged(graded):
    for name in HONEST:
        assert all(r["flags"] == "" for r in rows_of(graded, name).values()), (
            name,
            rows_of(graded, name),
        )


def test_correct(graded):
    assert points(graded, "correct.ipynb") == {"97.1": (3, 3), "97.2": (2, 2)}
    assert all(r["reason"] == "" for r in rows_of(graded, "correct.ipynb").values())
    assert points(graded, "bob/bob_97_fixture.ipynb") == {
        "97.1": (3, 3),
        "97.2": (2, 2),
    }


def test_partly_wrong(graded):
    row = rows_of(graded, "partly_wrong.ipynb")["97.1"]
    assert (row["points"], row["name"]) == ("2", "scale")
    assert (
        "wrong values for the result" in row["reason"]
        and "at index (1, 1)" in row["reason"]
    )


def test_raising(graded):
    row = rows_of(graded, "raising.ipynb")["97.1"]
    assert row["points"] == "0"
    assert "raised ValueError" in row["reason"]
    assert "in `scale`, line 3 of its cell: `return x @ np.ones(4)`" in row["reason"]
    assert "ipykernel" not in row["reason"] and "/tmp" not in row["reason"]
    assert rows_of(graded, "raising.ipynb")["97.2"]["points"] == "2"


def test_none_and_nan(graded):
    assert "did you forget `return`?" in rows_of(graded, "none.ipynb")["97.1"]["reason"]
    assert (
        "contains NaN at index (0, 0)" in rows_of(graded, "nan.ipynb")["97.1"]["reason"]
    )
    assert points(graded, "nan.ipynb")["97.1"] == (0, 3)


def test_edited_check_cell_cannot_change_the_score(graded):
    row = rows_of(graded, "edited_check.ipynb")["97.1"]
    assert row["points"] == "2", row  # not the 3/3 its edited check cell printed
    assert points(graded, "edited_check.ipynb")["97.2"] == (2, 2)


def test_deleted_check_cells(graded):
    assert points(graded, "deleted_checks.ipynb") == {"97.1": (3, 3), "97.2": (2, 2)}


def test_answer_written_in_a_check_cell_is_not_graded(graded):
    # check() warns the learner about this (tests/test_grading.py); the grader drops the cell.
    row = rows_of(graded, "answer_in_check_cell.ipynb")["97.1"]
    assert row["points"] == "0" and "not attempted yet" in row["reason"]


def test_corrupt_json(graded):
    rows = rows_of(graded, "alice_97_fixture.ipynb")
    assert set(rows) == {"97.1", "97.2"}
    assert all(
        r["points"] == "0" and "not a valid notebook file" in r["reason"]
        for r in rows.values()
    )
    unknown = rows_of(graded, "notes.ipynb")[""]
    assert "not a valid notebook file" in unknown["reason"]


def test_kernel_crash(graded):
    rows = rows_of(graded, "crash.ipynb")
    assert all(
        r["points"] == "0"
        and "the kernel died while running code cell 5 (`import os`)" in r["reason"]
        for r in rows.values()
    )


def test_endless_loop_at_top_level(graded):
    rows = rows_of(graded, "endless.ipynb")
    assert rows["97.1"]["points"] == "3"  # defined before the loop: still graded
    assert (
        "4 s time limit in code cell 4 (`while True:`), which was interrupted"
        in rows["97.1"]["reason"]
    )
    assert rows["97.2"]["points"] == "0"
    assert "`count_params` is not defined" in rows["97.2"]["reason"]


def test_endless_loop_in_a_function_hits_the_per_call_limit(graded):
    row = rows_of(graded, "loop_in_function.ipynb")["97.1"]
    assert (
        row["points"] == "0"
        and "did not finish within the time limit of 1 s" in row["reason"]
    )
    assert points(graded, "loop_in_function.ipynb")["97.2"] == (2, 2)


def test_a_loop_that_swallows_the_timer_is_stopped_with_the_documented_reason(graded):
    row = rows_of(graded, "swallowed_timer.ipynb")["97.1"]
    assert (
        row["points"] == "0"
        and "did not finish within the time limit of 1 s" in row["reason"]
    )
    assert "ignored the interruption" in row["reason"]
    assert points(graded, "swallowed_timer.ipynb")["97.2"] == (
        2,
        2,
    )  # graded in a fresh process


def test_missing_exercise(graded):
    rows = rows_of(graded, "missing.ipynb")
    assert rows["97.1"]["points"] == "3"
    assert (
        rows["97.2"]["points"] == "0"
        and "`count_params` is not defined in this notebook" in rows["97.2"]["reason"]
    )


def test_untouched_learner_notebook_gets_zero_without_errors(graded):
    rows = rows_of(graded, "untouched.ipynb")
    assert all(
        r["points"] == "0" and "not attempted yet" in r["reason"] for r in rows.values()
    )


def test_every_attack_earns_nothing_or_is_flagged(graded, mode):
    for name in graded["attacks"]:
        rows = rows_of(graded, name).values()
        assert all(0 <= int(r["points"]) <= int(r["max_points"]) for r in rows), name
        earned = sum(int(r["points"]) for r in rows)
        flags = {r["flags"] for r in rows}
        assert len(flags) == 1 and flags != {""}, (
            name,
            flags,
        )  # every attack is flagged...
        if mode == "bwrap":  # ...and in the sandbox none earns anything
            assert earned == 0, (name, list(rows))


@pytest.mark.parametrize(
    "name, expected",
    [
        ("attack_overwrite.ipynb", "/proc"),
        ("attack_kill_parent.ipynb", "os.kill"),
        ("attack_kill_group.ipynb", "os.killpg"),
        ("attack_fake_report.ipynb", "grading internals"),
        ("attack_as_dict.ipynb", "grading internals"),
        ("attack_np_abs.ipynb", "`np.abs`"),
        ("attack_stdout.ipynb", "replaces `sys.stdout`"),
        ("attack_hook.ipynb", "registers an IPython event hook"),
        ("attack_os_write.ipynb", "raw file descriptor (`os.write`)"),
        ("attack_solutions.ipynb", "where a module's files are"),
        ("attack_reference.ipynb", "reference solutions"),
    ],
)
def test_each_attack_is_named_with_its_cell(graded, name, expected):
    flags = next(iter(rows_of(graded, name).values()))["flags"]
    assert "code cell 7: " in flags and expected in flags, flags  # the appended cell


def test_forged_results_earn_nothing(graded):
    # Whatever the mode: results travel as data from the learner's process to the tests.
    for name in [
        "attack_fake_report.ipynb",
        "attack_as_dict.ipynb",
        "attack_np_abs.ipynb",
        "attack_stdout.ipynb",
        "attack_hook.ipynb",
        "attack_os_write.ipynb",
        "attack_kill_parent.ipynb",
        "attack_kill_group.ipynb",
        "attack_overwrite.ipynb",
    ]:
        assert all(r["points"] == "0" for r in rows_of(graded, name).values()), name


def test_no_attack_harms_a_classmate(graded):
    assert points(graded, "victim.ipynb") == {"97.1": (3, 3), "97.2": (2, 2)}
    assert all(r["reason"] == "" for r in rows_of(graded, "victim.ipynb").values())


def test_sandbox_hides_solutions_reference_and_other_processes(graded, mode):
    if mode != "bwrap":
        pytest.skip("bubblewrap is not usable on this machine")
    for name in [
        "attack_solutions.ipynb",
        "attack_reference.ipynb",
        "attack_kill_grader.ipynb",
        "attack_probe.ipynb",
    ]:
        assert all(r["points"] == "0" for r in rows_of(graded, name).values()), name


def test_batch_is_reasonably_fast(graded):
    assert graded["elapsed"] < 150


def test_plain_mode_flags_everything_and_resume_finishes_after_the_grader_is_killed(
    tmp_path,
):
    # Without bubblewrap and without root, a submission runs as the grader's own user and can
    # kill it. The rows written before survive; --resume gives the killer a row and grades the rest.
    mark = os.path.basename(tmp_path).encode()
    extra = {
        name: src
        for name, src in attacks(mark).items()
        if name
        in (
            "attack_np_abs.ipynb",
            "attack_solutions.ipynb",
            "attack_reference.ipynb",
            "attack_kill_parent.ipynb",
        )
    }
    extra["m_kill_grader.ipynb"] = (
        FIND_GRADER + f"for pid, args in grader_args({mark!r}):\n    os.kill(pid, 9)"
    )
    extra["p_overwrite.ipynb"] = attacks(mark)["attack_overwrite.ipynb"]
    build_class(tmp_path, extra)
    first = run_grader(tmp_path, "--sandbox", "none")
    assert first["rc"] != 0  # killed
    before = {r["submission"] for r in first["rows"]}
    assert before == {
        "attack_kill_parent.ipynb",
        "attack_np_abs.ipynb",
        "attack_reference.ipynb",
        "attack_solutions.ipynb",
    }
    assert (tmp_path / "grades.csv.grading").read_text() == "m_kill_grader.ipynb"
    second = run_grader(tmp_path, "--sandbox", "none", "--resume")
    assert second["rc"] == 0, second["stderr"][-2000:]
    assert (
        second["rows"][: len(first["rows"])] == first["rows"]
    )  # rows of the first run kept
    killer = rows_of(second, "m_kill_grader.ipynb")
    assert all(
        r["points"] == "0" and "grader itself was stopped" in r["reason"]
        for r in killer.values()
    )
    for name in extra:
        assert rows_of(second, name)["97.1"]["flags"], name
    overwrite = rows_of(second, "p_overwrite.ipynb")["97.1"]["flags"]
    assert (
        "/proc" in overwrite
        and "other submissions' files changed on disk (victim.ipynb)" in overwrite
    )
    assert points(second, "victim.ipynb") == {
        "97.1": (3, 3),
        "97.2": (2, 2),
    }  # graded from its copy
    assert not (tmp_path / "grades.csv.grading").exists()


# Pure functions of the grader (no process)


def test_check_cells_are_recognised():
    assert is_check_cell('from rnnbook.grading import check\ncheck("1.2")')
    assert not is_check_cell("x = 1")
    assert is_check_cell(
        'def f():\n    return 1\ncheck("1.2")\ny = f()'
    )  # mixed: dropped whole
    assert is_check_cell("%time check('1.2')")  # magics: found by a search


def test_learner_cells_drop_check_cells_and_number_the_rest():
    cells = learner_cells(solutions_notebook())
    assert [c["n"] for c in cells] == [
        1,
        2,
        4,
    ]  # code cells 3, 5 (tagged) and 6 (summary) dropped
    assert not any("check(" in c["src"] or "summary(" in c["src"] for c in cells)
