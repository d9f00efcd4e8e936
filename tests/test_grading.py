"""Unit tests of rnnbook.grading: check/summary feedback and the notebook generator.

The learner's code is simulated by compiling source text under an IPython-like file name
registered in linecache, as a notebook cell would be. The exercise set is the test-only fixture
tests/fixtures/grading_set.py (set "97"), made known through RNNBOOK_EXERCISE_SETS.
"""

from __future__ import annotations

import itertools
import json
import linecache
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

from rnnbook.exercise_sets import ENV_VAR
from rnnbook.grading import ExerciseSet, check, run_exercise, summary
from rnnbook.grading import generate as gen

FIXTURE = Path(__file__).parent / "fixtures" / "grading_set.py"
_counter = itertools.count()


@pytest.fixture(autouse=True)
def fixture_set(monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(FIXTURE))


def cell(source: str, namespace: dict | None = None) -> dict:
    """Run ``source`` as if it were a notebook cell; return the namespace."""
    source = textwrap.dedent(source).lstrip("\n")
    filename = f"<ipython-input-{next(_counter)}-fake>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np} if namespace is None else namespace
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def feedback(exercise_id: str, source: str | None, capsys) -> str:
    ns = cell(source) if source is not None else {"np": np}
    check(exercise_id, ns)
    return capsys.readouterr().out


CORRECT_SCALE = """
def scale(x, a):
    return a * x
"""


def test_fully_correct(capsys):
    out = feedback("97.1", CORRECT_SCALE, capsys)
    assert out == "Exercise 97.1 scale: 3/3 points\n"


def test_check_uses_the_callers_globals(capsys):
    ns = cell("from rnnbook.grading import check\ncheck('97.1')\n", cell(CORRECT_SCALE))
    assert capsys.readouterr().out == "Exercise 97.1 scale: 3/3 points\n"
    assert "scale" in ns


def test_partly_wrong_names_case_index_and_errors(capsys):
    out = feedback(
        "97.1",
        """
        def scale(x, a):
            return a * x + (x > 3)
        """,
        capsys,
    )
    lines = out.splitlines()
    assert lines[0] == "Exercise 97.1 scale: 2/3 points"
    assert len(lines) == 2
    assert "a scalar factor on a (2, 3) array (-1 point)" in lines[1]
    assert "wrong values for the result" in lines[1]
    assert "max abs error 1 at index (1, 1) (got 9, expected 8)" in lines[1]
    assert "max rel error 0.125" in lines[1]
    assert "2 of 6 entries differ" in lines[1]


def test_raising_reports_exception_and_learner_line(capsys):
    out = feedback(
        "97.1",
        """
        def scale(x, a):
            factor = np.ones((4,))
            return a * (x @ factor)
        """,
        capsys,
    )
    assert out.startswith("Exercise 97.1 scale: 0/3 points\n")
    assert "raised ValueError: matmul" in out
    assert "in `scale`, line 3 of its cell: `return a * (x @ factor)`" in out
    assert "ipykernel" not in out and "/tmp" not in out and "<ipython" not in out


def test_exception_inside_library_points_at_learner_line(capsys):
    out = feedback(
        "97.1",
        """
        from rnnbook.shapes import match_shapes
        def scale(x, a):
            match_shapes({"x": ("N", "T", "D")}, {"x": x})
            return a * x
        """,
        capsys,
    )
    assert "expected x to have 3 dimensions" in out
    assert "line 3 of its cell: `match_shapes(" in out
    assert "shapes.py" not in out


def test_returning_none(capsys):
    out = feedback(
        "97.1",
        """
        def scale(x, a):
            y = a * x
        """,
        capsys,
    )
    assert out.splitlines()[0] == "Exercise 97.1 scale: 0/3 points"
    assert "returned None (did you forget `return`?)" in out


def test_wrong_shape(capsys):
    out = feedback(
        "97.1",
        """
        def scale(x, a):
            return (a * x).T
        """,
        capsys,
    )
    assert (
        "Exercise 97.1 scale: 2/3 points" in out
    )  # the (1, 1) case is unaffected by .T
    assert "wrong shape for the result: expected (2, 3), got (3, 2)" in out


def test_nan(capsys):
    out = feedback(
        "97.1",
        """
        def scale(x, a):
            y = a * x
            return y / (x - x)
        """,
        capsys,
    )
    assert "0/3 points" in out
    assert "the result contains NaN at index (0, 0)" in out


def test_mutating_input(capsys):
    out = feedback(
        "97.1",
        """
        def scale(x, a):
            x *= a
            return x
        """,
        capsys,
    )
    assert "0/3 points" in out
    assert "changed its input `x` in place" in out


def test_infinite_loop_times_out_quickly(capsys):
    import time

    start = time.monotonic()
    out = feedback(
        "97.1",
        """
        def scale(x, a):
            while True:
                pass
        """,
        capsys,
    )
    elapsed = time.monotonic() - start
    assert "0/3 points" in out
    assert "did not finish within the time limit of 1 s" in out
    assert elapsed < 5, "after one time-out the other cases must not wait again"


def test_except_exception_cannot_swallow_the_time_limit(capsys):
    out = feedback(
        "97.1",
        """
        def scale(x, a):
            try:
                while True:
                    pass
            except Exception:
                return a * x
        """,
        capsys,
    )
    assert "time limit" in out


def test_not_implemented(capsys):
    out = feedback(
        "97.1",
        """
        def scale(x, a):
            # YOUR CODE HERE
            raise NotImplementedError("Multiply.")
        """,
        capsys,
    )
    assert (
        out == "Exercise 97.1 scale: 0/3 points\n"
        "  - not attempted yet (your code still raises NotImplementedError)\n"
    )


def test_not_implemented_after_some_cases_is_a_missing_part(capsys):
    out = feedback(
        "97.1",
        """
        def scale(x, a):
            if x.size > 1:
                return a * x
            raise NotImplementedError("later")
        """,
        capsys,
    )
    assert out.splitlines()[0] == "Exercise 97.1 scale: 1/3 points"
    assert (
        "raised NotImplementedError: this part is not written yet (in `scale`, line 4 of its cell"
        in out
    )


def test_name_bound_to_a_non_callable(capsys):
    ns = {"scale": 3}
    check("97.1", ns)
    assert (
        "`scale` should be a function or class, but it is an int"
        in capsys.readouterr().out
    )


def test_undefined_name(capsys):
    out = feedback("97.1", None, capsys)
    assert out.splitlines() == [
        "Exercise 97.1 scale: 0/3 points",
        "  - `scale` is not defined in this notebook: run the cell that defines it first",
    ]


def test_exit_and_wrong_type_do_not_escape(capsys):
    out = feedback(
        "97.2",
        """
        import sys
        def count_params(D, H):
            if H == 1:
                sys.exit(3)
            return str(H * D + H * H + H)
        """,
        capsys,
    )
    assert "0/2 points" in out
    assert "wrong parameter count: expected 32, got '32'" in out
    assert "raised SystemExit: 3" in out


def test_unknown_exercise_and_set_never_raise(capsys):
    check("97.9", {})
    check("42.1", {})
    summary("42", {})
    out = capsys.readouterr().out
    assert "set 97 has no exercise '97.9'" in out
    assert "there is no exercise set '42'" in out


def test_bug_in_test_code_is_an_internal_error(capsys):
    bad = ExerciseSet("96", "Broken tests")

    @bad.exercise("96.1", "f", points=2)
    def _(t):
        with t.case("first", points=1):
            t.expect_equal(t.call(1), 2, "f(1)")
        with t.case("second", points=1):
            {}["missing"]

    @bad.exercise("96.2", "f", points=2)
    def _(t):
        raise RuntimeError("oops")

    @bad.exercise("96.3", "f", points=3)
    def _(t):
        with t.case("only", points=1):
            t.expect_equal(t.call(1), 2, "f(1)")

    ns = {"f": lambda n: n + 1}
    for eid in ("96.1", "96.2", "96.3"):
        check(eid, ns)
    out = capsys.readouterr().out
    assert "Exercise 96.1 f: 1/2 points" in out
    assert "second (-1 point): internal test error (KeyError: 'missing')" in out
    assert "Exercise 96.2 f: 0/2 points" in out
    assert "internal test error (RuntimeError: oops)" in out
    assert "Exercise 96.3 f: 1/3 points" in out
    assert "the cases add up to 1 points but the exercise is worth 3" in out


def test_exercise_ids_must_match_their_set():
    s = ExerciseSet("95", "ids")
    with pytest.raises(ValueError, match="does not belong to set '95'"):
        s.exercise("9.1", "f", points=1)
    with pytest.raises(ValueError, match="positive int"):
        s.exercise("95.1", "f", points=0)


def test_summary_lists_every_exercise_and_total(capsys):
    ns = cell(
        CORRECT_SCALE
        + """
def count_params(D, H):
    print("this print is hidden by summary")
    return H * D + H * H
"""
    )
    summary("97", ns)
    assert capsys.readouterr().out.splitlines() == [
        "Exercise 97.1 scale: 3/3 points",
        "Exercise 97.2 count_params: 0/2 points",
        "Total for exercise set 97 (Grading test fixture): 3/5 points",
    ]


def test_results_are_deterministic():
    ns = cell("""
        def scale(x, a):
            return a * x + 0.1 * np.sin(x)
        """)
    first = run_exercise("97.1", ns).report()
    assert first == run_exercise("97.1", ns).report()


def test_grading_does_not_import_frameworks():
    code = (
        "import sys, rnnbook.grading, rnnbook.grading.generate, rnnbook.grading.grader, "
        "rnnbook.grade;"
        "bad = [m for m in ('torch', 'tensorflow') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_check_warns_that_code_in_a_check_cell_is_not_graded(capsys):
    # The learner wrote the answer inside the check cell: check() runs it and gives full marks,
    # but the grader drops check cells, so it must say that this code is not graded.
    ns = cell(CORRECT_SCALE + "\ncheck('97.1')\n", {"np": np, "check": check})
    out = capsys.readouterr().out
    assert "3/3 points" in out
    assert "is not graded" in out and "(`scale`)" in out
    assert all(len(line) <= 88 for line in out.splitlines())
    cell("check('97.1')\n", ns)  # a check cell holding only the call: no note
    assert "not graded" not in capsys.readouterr().out


def test_grading_and_exercise_sets_do_not_import_each_other():
    import ast as ast_module

    src = Path(__file__).parents[1] / "src" / "rnnbook"
    tree = ast_module.parse((src / "exercise_sets" / "__init__.py").read_text())
    imported = [
        n.module for n in ast_module.walk(tree) if isinstance(n, ast_module.ImportFrom)
    ]
    imported += [
        a.name
        for n in ast_module.walk(tree)
        if isinstance(n, ast_module.Import)
        for a in n.names
    ]
    assert not any(m and m.startswith("rnnbook.grading") for m in imported)
    for path in (src / "grading").glob("*.py"):
        text = path.read_text()
        assert (
            "from rnnbook.exercise_sets" not in text
            and "import rnnbook.exercise_sets" not in text
        ), path


def test_learner_side_and_grader_import_no_notebook_machinery():
    # check/summary need numpy only; the grader imports nbformat (and tqdm) only when it runs.
    code = (
        "import sys, rnnbook.grading, rnnbook.grading.grader, rnnbook.grading.sandbox, "
        "rnnbook.grade;"
        "print([m for m in ('nbformat', 'nbclient', 'ipykernel', 'IPython', 'tqdm', "
        "'jupyter_client')"
        " if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_wire_format_round_trip_and_refusals():
    from rnnbook.grading.box import Decoder, Encoder, WireError

    refs = []
    value = [
        np.arange(6.0).reshape(2, 3),
        (1, 2.5, float("nan"), 3 + 4j, None, "s", True, 2**70),
        {"a": np.float32(1.5), 3: [np.int64(7)]},
        {1, 2},
        b"raw",
        np.array(["ab", "c"]),
    ]
    enc = Encoder(lambda obj: refs.append(obj) or {"t": "ref", "id": len(refs)})
    data = enc(value)
    back = Decoder(enc.buffers, lambda d: ("ref", d["id"]))(
        json.loads(json.dumps(data))
    )
    assert back[0].shape == (2, 3) and np.array_equal(back[0], value[0])
    assert (
        back[1][:2] == (1, 2.5)
        and np.isnan(back[1][2])
        and back[1][3:] == (3 + 4j, None, "s", True, 2**70)
    )
    assert type(back[2]["a"]) is np.float32 and type(back[2][3][0]) is np.int64
    assert back[3] == {1, 2} and back[4] == b"raw" and list(back[5]) == ["ab", "c"]
    assert enc(len) == {"t": "ref", "id": 1} and refs == [
        len
    ]  # a function stays a reference
    with pytest.raises(WireError):
        Encoder(lambda o: None)(np.array([object()]))  # object arrays never cross
    with pytest.raises(WireError):
        Decoder([b"x" * 8], None)({"t": "nd", "dtype": "|O", "shape": [1], "b": 0})
    deep = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(WireError):
        Encoder(lambda o: None)(deep)


def test_scan_flags_tampering_but_not_honest_code():
    from rnnbook.grading.scan import scan_cells

    honest = [
        {"n": 1, "src": "import numpy as np\nfrom rnnbook.grading import check"},
        {
            "n": 2,
            "src": "def scale(x, a):\n    y = np.zeros_like(x)\n    y[:] = a * x\n    return y",
        },
        {
            "n": 3,
            "src": "%time scale(np.ones(3), 2.0)\nresult = {'a': 1}\nresult['a'] = 2",
        },
    ]
    assert scan_cells(honest) == []
    attacks = {
        "np.abs = lambda a, *r, **k: a * 0": "`np.abs`",
        "import rnnbook.grading.grader as g\ng.report_for_grader = print": "grading internals",
        "from rnnbook.grading.core import ExerciseResult\nExerciseResult.as_dict = 1": (
            "grading internals"
        ),
        "import sys\nsys.stdout = None": "replaces `sys.stdout`",
        "get_ipython().events.register('pre_run_cell', print)": "IPython event hook",
        "import os\ndef f():\n    os.write(1, b'x')": "raw file descriptor",
        "from rnnbook.exercise_sets.ch01 import leaky_rnn_forward": "reference solutions",
        "open('/proc/1/cmdline').read()": "/proc",
        "import os\nos.kill(os.getppid(), 9)": "os.kill",
        "exec(open('x').read())": "dynamic code",
        "import rnnbook\np = rnnbook.__file__": "where a module's files are",
        "import builtins\nbuiltins.print = None": "`builtins.print`",
    }
    for source, expected in attacks.items():
        flags = scan_cells([{"n": 4, "src": source}])
        assert any(
            expected in reason and where == "code cell 4" for where, reason in flags
        ), (source, flags)


# --------------------------------------------------------------------------------------------
# The generator

SOLUTION_CELLS = [
    ("markdown", "# 97. A fixture exercise set\n\nWrite `scale`."),
    ("code", "import numpy as np"),
    (
        "code",
        textwrap.dedent('''\
        def scale(x, a):
            """Return a * x."""
            ### BEGIN SOLUTION
            ### HINT: multiply "x" by a (one line)
            y = a * x
            return y
            ### END SOLUTION
        ''').rstrip(),
    ),
    ("code", 'from rnnbook.grading import check\ncheck("97.1")'),
    (
        "code",
        textwrap.dedent("""\
        class Counter:
            def count(self, D, H):
                if H > 0:
                    ### BEGIN SOLUTION
                    return H * D + H * H + H
                    ### END SOLUTION
                return 0


        def count_params(D, H):
            ### BEGIN SOLUTION
            return Counter().count(D, H)
            ### END SOLUTION
        """).rstrip(),
    ),
    (
        "code",
        "answer = 1\n### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\nprint(answer)",
    ),
    (
        "markdown",
        "Why?\n\n### BEGIN SOLUTION\nBecause the weights are shared.\n### END SOLUTION",
    ),
    ("code", "# only in the solutions\nprint('secret')"),
    ("code", 'from rnnbook.grading import summary\nsummary("97")'),
]


def write_solutions(folder: Path, name: str = "97_fixture.ipynb") -> Path:
    nb = nbformat.v4.new_notebook()
    for i, (kind, source) in enumerate(SOLUTION_CELLS):
        c = (
            nbformat.v4.new_code_cell(source)
            if kind == "code"
            else nbformat.v4.new_markdown_cell(source)
        )
        c["id"] = f"cell-{i}"
        if kind == "code":
            c.execution_count = i
            c.outputs = [
                nbformat.v4.new_output("stream", name="stdout", text="output\n")
            ]
            c.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00"}
        if "only in the solutions" in source:
            c.metadata["tags"] = ["solution-only"]
        nb.cells.append(c)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb, path)
    return path


def test_generator_replaces_solutions(tmp_path, capsys):
    sol = write_solutions(tmp_path / "solutions")
    assert (
        gen.main(
            [
                "--solutions",
                str(tmp_path / "solutions"),
                "--exercises",
                str(tmp_path / "exercises"),
            ]
        )
        == 0
    )
    out = tmp_path / "exercises" / sol.name
    nb = nbformat.read(out, as_version=4)
    text = out.read_text()
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert (
        "y = a * x" not in text
        and "H * D + H * H" not in text
        and "weights are shared" not in text
    )
    assert "secret" not in text, "solution-only cell kept"
    assert len(nb.cells) == len(SOLUTION_CELLS) - 1
    codes = [c for c in nb.cells if c.cell_type == "code"]
    assert codes[1].source == textwrap.dedent('''\
        def scale(x, a):
            """Return a * x."""
            # YOUR CODE HERE
            raise NotImplementedError("multiply \\"x\\" by a (one line)")''')
    assert (
        '        raise NotImplementedError("Replace this line with your solution.")\n'
        "        return 0" in codes[3].source
    )
    assert codes[4].source == "answer = 1\n# YOUR CODE HERE\nprint(answer)"
    assert "YOUR ANSWER HERE" in nb.cells[-2].source
    for c in codes:
        compile(c.source, "cell", "exec")
        assert c.outputs == [] and c.execution_count is None
        assert "execution" not in c.metadata
    assert nb.metadata["rnnbook"] == {
        "exercise_set": "97",
        "generated_from": "solutions/97_fixture.ipynb",
    }
    # The stub really raises the hint, and the whole learner notebook runs, at 0 points.
    ns: dict = {}
    capsys.readouterr()
    for c in codes:
        exec(c.source, ns)
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == [
        "Exercise 97.1 scale: 0/3 points",
        "  - not attempted yet (your code still raises NotImplementedError)",
    ]
    assert printed[-1] == "Total for exercise set 97 (Grading test fixture): 0/5 points"
    with pytest.raises(NotImplementedError, match='multiply "x" by a'):
        ns["scale"](1, 2)


def test_generator_is_deterministic_and_check_detects_staleness(tmp_path, capsys):
    sol = write_solutions(tmp_path / "solutions")
    args = [
        "--solutions",
        str(tmp_path / "solutions"),
        "--exercises",
        str(tmp_path / "exercises"),
    ]
    assert gen.main(args + ["--check"]) == 1
    assert f"missing: {tmp_path / 'exercises' / sol.name}" in capsys.readouterr().out
    gen.main(args)
    first = (tmp_path / "exercises" / sol.name).read_bytes()
    capsys.readouterr()
    assert gen.main(args) == 0 and capsys.readouterr().out == ""
    assert (tmp_path / "exercises" / sol.name).read_bytes() == first
    assert gen.main(args + ["--check"]) == 0
    # Edit the solutions: --check names the stale file and changes nothing.
    nb = nbformat.read(sol, as_version=4)
    nb.cells[0].source += "\nOne more sentence."
    nbformat.write(nb, sol)
    capsys.readouterr()
    assert gen.main(args + ["--check"]) == 1
    assert f"stale: {tmp_path / 'exercises' / sol.name}" in capsys.readouterr().out
    assert (tmp_path / "exercises" / sol.name).read_bytes() == first
    gen.main(args)
    (tmp_path / "exercises" / "99_orphan.ipynb").write_text("{}")
    capsys.readouterr()
    assert gen.main(args + ["--check"]) == 1
    assert "orphan:" in capsys.readouterr().out


def test_generator_command_line(tmp_path):
    write_solutions(tmp_path / "solutions")
    run = subprocess.run(
        [sys.executable, "-m", "rnnbook.grading.generate", "--check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and "missing: exercises/97_fixture.ipynb" in run.stdout
    run = subprocess.run(
        [sys.executable, "-m", "rnnbook.grading.generate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0 and "wrote: exercises/97_fixture.ipynb" in run.stdout


def test_generator_rejects_broken_markers(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n")
    ]
    (tmp_path / "solutions").mkdir()
    nbformat.write(nb, tmp_path / "solutions" / "97_broken.ipynb")
    code = gen.main(
        [
            "--solutions",
            str(tmp_path / "solutions"),
            "--exercises",
            str(tmp_path / "ex"),
        ]
    )
    assert code == 2
    assert (
        "97_broken.ipynb, cell 1: '### BEGIN SOLUTION' on line 2 is never closed"
        in capsys.readouterr().err
    )


def test_set_id_from_summary_metadata_or_name():
    nb = nbformat.v4.new_notebook()
    assert gen.exercise_set_of(nb, "03_lstm.ipynb") == "03"
    nb.cells = [nbformat.v4.new_code_cell('summary("04")')]
    assert gen.exercise_set_of(nb, "03_lstm.ipynb") == "04"
    nb.metadata["rnnbook"] = {"exercise_set": "05"}
    assert gen.exercise_set_of(nb, "03_lstm.ipynb") == "05"
    assert gen.exercise_set_of(nbformat.v4.new_notebook(), "lstm.ipynb") is None
    json.dumps(nb)  # metadata stays serialisable


def test_messages_never_show_machine_paths(capsys):
    from rnnbook.grading.feedback import hide_paths

    assert (
        hide_paths('File "/tmp/ipykernel_123/456.py", line 3')
        == 'File "your cell", line 3'
    )
    assert hide_paths("No such file: '/home/me/data/x.csv'") == "No such file: 'x.csv'"
    out = feedback(
        "97.1",
        """
        def scale(x, a):
            return open("/nonexistent/folder/weights.npy").read()
        """,
        capsys,
    )
    assert (
        "raised FileNotFoundError: [Errno 2] No such file or directory: 'weights.npy'"
        in out
    )
    assert "/nonexistent" not in out.replace(
        'open("/nonexistent/folder/weights.npy")', ""
    )
