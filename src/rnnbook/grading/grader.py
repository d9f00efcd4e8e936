"""Grade a folder of submitted exercise notebooks into one CSV file.

    python -m rnnbook.grade SUBMISSIONS_DIR --out grades.csv [--solutions solutions/] [--timeout 300]

Each submission runs top to bottom in its own fresh kernel (errors do not stop it). The learner's
check cells are removed and one pristine grading cell is appended; it runs every exercise of the
set and prints a JSON line behind a marker. Only that cell's output is read, so editing or
deleting a check cell cannot change a score. Whatever goes wrong with a submission (not JSON, the
kernel dies, an endless loop, an exercise missing), it still gets one row per exercise with the
reason, and the batch goes on.

CSV columns: submission, exercise, name, points, max_points, reason.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rnnbook.grading.core import ExerciseSet, find_set, grade_set, normalize_set_id

MARKER = "RNNBOOK-GRADES-JSON:"
GRADING_TAG = "rnnbook-grading"
CHECK_TAG = "exercise-check"
COLUMNS = ["submission", "exercise", "name", "points", "max_points", "reason"]
_CHECK_NAMES = {"check", "summary"}


def report_for_grader(set_id, namespace: dict | None = None) -> None:
    """Run in the grading cell: print every exercise's result as one JSON line behind MARKER."""
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    try:
        results = [r.as_dict() for r in grade_set(set_id, namespace)]
    except BaseException as exc:  # report instead of failing: the grader turns this into reasons
        results = {"error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(MARKER + " " + json.dumps(results, sort_keys=True) + "\n")
    sys.stdout.flush()


def grading_cell_source(set_id: str) -> str:
    return (
        "import rnnbook.grading.grader as __rnnbook_grader\n"
        f"__rnnbook_grader.report_for_grader({set_id!r}, globals())"
    )


# --------------------------------------------------------------------------------------------
# Preparing a submission


def _is_check_statement(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rnnbook.grading"):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        return name in _CHECK_NAMES
    return False


def strip_check_code(source: str) -> str | None:
    """Return ``source`` without its top-level check()/summary() calls, or None to drop the cell.

    A cell that holds only such calls (and imports from rnnbook.grading) is dropped; in a cell
    that mixes them with the learner's code only those statements are blanked out.
    """
    if not re.search(r"\b(check|summary)\s*\(", source):
        return source
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source  # not plain Python (magics, or broken): leave it; it cannot affect scores
    if all(_is_check_statement(node) for node in tree.body):
        return None
    lines = source.split("\n")
    for node in tree.body:
        if _is_check_statement(node) and not isinstance(node, ast.ImportFrom):
            for i in range(node.lineno - 1, node.end_lineno):
                lines[i] = ""
            lines[node.lineno - 1] = " " * node.col_offset + "pass"
    return "\n".join(lines)


def prepare(nb, set_id: str):
    """The notebook to execute: check cells removed, outputs cleared, grading cell appended.

    Each kept code cell's metadata records ``rnnbook_cell``: its 1-based position among the code
    cells of the submitted notebook (what a learner counts), used in time-out and crash reasons.
    """
    import nbformat

    cells = []
    code_number = 0
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            code_number += 1
            cell.setdefault("metadata", {})["rnnbook_cell"] = code_number
            if CHECK_TAG in cell.get("metadata", {}).get("tags", []):
                continue
            source = strip_check_code(cell.get("source", ""))
            if source is None:
                continue
            cell.source = source
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    grading = nbformat.v4.new_code_cell(grading_cell_source(set_id))
    grading.metadata["tags"] = [GRADING_TAG]
    cells.append(grading)
    nb.cells = cells
    return nb


# --------------------------------------------------------------------------------------------
# Running it


def _client_class():
    from nbclient import NotebookClient

    class GradingClient(NotebookClient):
        """Learner cells share one wall-clock budget; the grading cell has its own."""

        def __init__(self, nb, *, budget: float, grading_budget: float, **kw):
            super().__init__(nb, **kw)
            self.budget = budget
            self.grading_budget = grading_budget
            self.deadline = None
            self.current_index = None
            self.timed_out_cell = None
            self.skipped = 0

        @staticmethod
        def _is_grading(cell) -> bool:
            return GRADING_TAG in cell.get("metadata", {}).get("tags", [])

        def _get_timeout(self, cell):
            if cell is not None and self._is_grading(cell):
                return self.grading_budget
            if self.deadline is None:
                self.deadline = time.monotonic() + self.budget
            return max(1.0, self.deadline - time.monotonic())

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if self.deadline is None:
                self.deadline = time.monotonic() + self.budget
            if cell.cell_type == "code" and not self._is_grading(cell) and (
                    self.timed_out_cell is not None or time.monotonic() >= self.deadline):
                self.skipped += 1
                return cell
            self.current_index = cell_index
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

        def output(self, outs, msg, display_id, cell_index):
            # Only the grading cell's output is read; dropping the learner's keeps memory bounded
            # even for a cell that prints in an endless loop.
            if not self._is_grading(self.nb.cells[cell_index]):
                return None
            return super().output(outs, msg, display_id, cell_index)

        async def _async_handle_timeout(self, timeout, cell=None):
            if cell is not None and not self._is_grading(cell):
                self.timed_out_cell = self.current_index
            return await super()._async_handle_timeout(timeout, cell)

    return GradingClient


@dataclass
class Outcome:
    results: dict | None  # exercise id -> result dict, from the grading cell
    problem: str = ""  # why there are no results (for every row)
    note: str = ""  # something every row should mention (a time-out)


def _describe_cell(nb, index) -> str:
    """``code cell 5 (`import os`)``: the cell's number in the submitted notebook and first line."""
    cell = nb.cells[index]
    number = cell.get("metadata", {}).get("rnnbook_cell", "?")
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    return f"code cell {number}" + (f" (`{first[:60]}`)" if first else "")


def execute(nb, set_id: str, timeout: float, grading_timeout: float, kernel_name: str) -> Outcome:
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb = prepare(nb, set_id)
    client_cls = _client_class()
    with tempfile.TemporaryDirectory(prefix="rnnbook-grade-") as workdir:
        client = client_cls(
            nb,
            budget=timeout,
            grading_budget=grading_timeout,
            kernel_name=kernel_name,
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": "TimeoutError", "evalue": "the notebook ran out of time", "traceback": []},
            record_timing=False,
            shutdown_kernel="immediate",
            resources={"metadata": {"path": workdir}},
        )
        try:
            client.execute()
        except DeadKernelError:
            where = client.current_index
            cell = f" while running {_describe_cell(nb, where)}" if where is not None else ""
            if where is not None and client._is_grading(nb.cells[where]):
                cell = " while grading"
            return Outcome(None, f"the kernel died{cell} (os._exit, a crash, or out of memory); nothing could be graded")
        except CellTimeoutError:
            return Outcome(None, "the notebook did not finish in time")
        except Exception as exc:  # kernel failed to start, etc.
            return Outcome(None, f"could not run the notebook ({type(exc).__name__}: {exc})")
    note = ""
    if client.timed_out_cell is not None:
        note = (f"the notebook hit its {timeout:g} s time limit in "
                f"{_describe_cell(nb, client.timed_out_cell)}, which was interrupted"
                + (f"; {client.skipped} later cell(s) were skipped" if client.skipped else ""))
    grading_cell = nb.cells[-1]
    text = "".join(o.get("text", "") for o in grading_cell.get("outputs", []) if o.get("output_type") == "stream")
    errors = [o for o in grading_cell.get("outputs", []) if o.get("output_type") == "error"]
    for line in text.splitlines():
        if line.startswith(MARKER):
            try:
                payload = json.loads(line[len(MARKER):])
            except ValueError:
                return Outcome(None, "the grading cell printed an unreadable result", note)
            if isinstance(payload, dict) and "error" in payload:
                return Outcome(None, f"internal grading error: {payload['error']}", note)
            return Outcome({r["exercise"]: r for r in payload}, "", note)
    if errors:
        e = errors[0]
        if e.get("ename") == "TimeoutError":
            return Outcome(None, f"grading did not finish within {grading_timeout:g} s", note)
        return Outcome(None, f"the grading cell failed ({e.get('ename')}: {e.get('evalue')})", note)
    return Outcome(None, "the grading cell printed no result", note)


# --------------------------------------------------------------------------------------------
# Which set is this?


def solution_sets(solutions: Path | None) -> dict[str, str]:
    """Map each solutions notebook's file stem to its set id."""
    if solutions is None or not solutions.is_dir():
        return {}
    import nbformat

    from rnnbook.grading.generate import exercise_set_of

    mapping = {}
    for path in sorted(solutions.glob("*.ipynb")):
        try:
            set_id = exercise_set_of(nbformat.read(path, as_version=4), path.name)
        except Exception:
            set_id = None
        if set_id:
            mapping[path.stem] = normalize_set_id(set_id)
    return mapping


def identify(nb, path: Path, by_stem: dict[str, str]) -> str | None:
    """The set of a submission: notebook metadata, else its file name matching a solutions notebook."""
    if nb is not None:
        meta = nb.get("metadata", {}).get("rnnbook", {})
        if isinstance(meta, dict) and meta.get("exercise_set"):
            return normalize_set_id(meta["exercise_set"])
    stem = path.stem
    for sol_stem in sorted(by_stem, key=len, reverse=True):  # longest match first
        if stem == sol_stem or stem.endswith(sol_stem) or stem.startswith(sol_stem):
            return by_stem[sol_stem]
    return None


# --------------------------------------------------------------------------------------------
# The batch


def grade_notebook(path: Path, by_stem: dict[str, str], timeout: float, grading_timeout: float,
                   kernel_name: str) -> list[dict]:
    """Rows (without the ``submission`` column) for one submission; never raises."""
    import nbformat

    nb, unreadable = None, ""
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except Exception as exc:
        unreadable = f"not a valid notebook file ({type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''})"
    set_id = identify(nb, path, by_stem)
    if set_id is None:
        return [dict(exercise="", name="", points=0, max_points=0,
                     reason=unreadable or "cannot tell which exercise set this notebook belongs to "
                     "(no metadata.rnnbook.exercise_set, and the file name matches no solutions notebook)")]
    try:
        exercise_set: ExerciseSet = find_set(set_id)
    except Exception as exc:
        return [dict(exercise="", name="", points=0, max_points=0, reason=f"unknown exercise set {set_id}: {exc}")]
    if unreadable:
        outcome = Outcome(None, unreadable)
    else:
        try:
            outcome = execute(nb, exercise_set.set_id, timeout, grading_timeout, kernel_name)
        except Exception as exc:
            outcome = Outcome(None, f"could not run the notebook ({type(exc).__name__}: {exc})")
    rows = []
    for exercise in exercise_set.exercises.values():
        result = (outcome.results or {}).get(exercise.exercise_id)
        if result is None:
            reason = outcome.problem or "the grading cell did not report this exercise"
            points = 0
        else:
            reason, points = result.get("reason", ""), int(result.get("points", 0))
        if outcome.note:
            reason = f"{outcome.note}; {reason}" if reason else outcome.note
        rows.append(dict(exercise=exercise.exercise_id, name=exercise.name, points=points,
                         max_points=exercise.points, reason=reason))
    return rows


def find_submissions(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnbook.grade",
        description="Grade every submitted .ipynb under SUBMISSIONS_DIR into a CSV file.")
    parser.add_argument("submissions", type=Path, help="folder searched recursively for .ipynb files")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"), help="CSV file to write (default grades.csv)")
    parser.add_argument("--solutions", type=Path, default=Path("solutions"),
                        help="solutions folder, used to recognise a submission by its file name (default ./solutions)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds each notebook's own cells may run in total (default 300)")
    parser.add_argument("--grading-timeout", type=float, default=300,
                        help="seconds the appended grading cell may run (default 300)")
    parser.add_argument("--exercise-module", action="append", default=[], metavar="MODULE_OR_FILE",
                        help="extra module (or .py file) declaring exercise sets; may be repeated")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    args = parser.parse_args(argv)

    if not args.submissions.is_dir():
        print(f"error: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    if args.exercise_module:
        from rnnbook.exercise_sets import ENV_VAR

        entries = [str(Path(m).resolve()) if m.endswith(".py") else m for m in args.exercise_module]
        old = os.environ.get(ENV_VAR, "")
        os.environ[ENV_VAR] = os.pathsep.join(entries + ([old] if old else []))  # kernels inherit it
    os.environ.setdefault("MPLBACKEND", "Agg")

    from tqdm.auto import tqdm

    by_stem = solution_sets(args.solutions)
    paths = find_submissions(args.submissions)
    rows = []
    for path in tqdm(paths, desc="grading", unit="notebook", file=sys.stderr):
        name = path.relative_to(args.submissions).as_posix()
        try:
            graded = grade_notebook(path, by_stem, args.timeout, args.grading_timeout, args.kernel)
        except Exception as exc:  # pragma: no cover - grade_notebook already catches everything
            graded = [dict(exercise="", name="", points=0, max_points=0, reason=f"grader error: {exc}")]
        rows += [{"submission": name, **row} for row in graded]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    total = sum(r["points"] for r in rows)
    print(f"graded {len(paths)} notebook(s) -> {args.out} ({len(rows)} rows, {total} points in all)")
    return 0
