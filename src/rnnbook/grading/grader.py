"""Grade a folder of submitted exercise notebooks into one CSV file.

    python -m rnnbook.grade SUBMISSIONS_DIR --out grades.csv [--solutions solutions/]
        [--timeout 300] [--grading-timeout 300] [--sandbox auto] [--resume]

Every submission is graded in two parts that never share a process:

1. the learner's process (``rnnbook.grading.box``), started fresh for each submission inside the
   strongest sandbox available (``rnnbook.grading.sandbox``), in a private working folder with a
   copy of that notebook only, runs the notebook's code cells top to bottom (check cells removed;
   errors do not stop it);
2. the grader's own process runs the tests of the exercise set. Each time a test calls the
   learner's function, the call is sent to the learner's process and only plain data comes back
   (numbers, strings, numeric arrays and containers of them), which the tests judge here.

So nothing the submission does in its own process (replacing numpy functions, patching the
grading package, rewriting ``sys.stdout``, printing fake result lines, IPython hooks) can reach
the tests or the CSV file. What such code tries is still reported, as flags: the source of each
cell is scanned (``rnnbook.grading.scan``), and the learner's process reports what it sees at run
time. Flags never change points.

Rows are written and flushed as each notebook finishes; ``--resume`` skips notebooks already in
the CSV file. CSV columns: submission, exercise, name, points, max_points, reason, flags.
"""

from __future__ import annotations

import argparse
import ast
import csv
import os
import re
import signal
import stat
import sys
import tempfile
import time
from pathlib import Path

from rnnbook.grading.core import ExerciseSet, find_set, normalize_set_id, run_exercise

CHECK_TAG = "exercise-check"
COLUMNS = ["submission", "exercise", "name", "points", "max_points", "reason", "flags"]
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
_CHECK_NAMES = {"check", "summary"}
_IGNORED_SIGNALS = ("SIGHUP", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGQUIT")


# --------------------------------------------------------------------------------------------
# Preparing a submission


def _is_check_statement(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
        "rnnbook.grading"
    ):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        name = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else None
        )
        return name in _CHECK_NAMES
    return False


def is_check_cell(source: str) -> bool:
    """True if the cell calls check()/summary() at its top level (such a cell is not graded).

    Magics and broken code that do not parse are judged by a plain search for the call.
    """
    if not re.search(r"\b(check|summary)\s*\(", source):
        return False
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return True
    return any(_is_check_statement(node) for node in tree.body)


def learner_cells(nb) -> list[dict]:
    """The code cells to run: ``{"n": number among the notebook's code cells, "src": source}``.

    Check cells are dropped whole: cells tagged ``exercise-check`` and any cell that calls
    check()/summary() at its top level (``check`` tells the learner when such a cell holds other
    code, which is therefore not graded).
    """
    cells = []
    number = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        number += 1
        tags = cell.get("metadata", {}).get("tags", [])
        if isinstance(tags, list) and CHECK_TAG in tags:
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if is_check_cell(source) or not source.strip():
            continue
        cells.append({"n": number, "src": source})
    return cells


def _describe_cell(cells: list[dict], number) -> str:
    """``code cell 5 (`import os`)``: the cell's number in the submitted notebook and first line."""
    source = next((c["src"] for c in cells if c["n"] == number), "")
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return f"code cell {number}" + (f" (`{first[:60]}`)" if first else "")


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
    """The set of a submission: its metadata, else a solutions notebook matching its name."""
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
# One submission


class Options:
    def __init__(
        self, timeout: float = 300, grading_timeout: float = 300, launcher=None
    ):
        self.timeout = timeout
        self.grading_timeout = grading_timeout
        self.launcher = launcher


def _parse(data: bytes):
    import nbformat

    try:
        return nbformat.reads(data.decode("utf-8"), as_version=4), ""
    except Exception as exc:
        first = str(exc).splitlines()[0][:120] if str(exc) else ""
        return None, f"not a valid notebook file ({type(exc).__name__}: {first})"


def _rows(
    exercise_set: ExerciseSet, results: dict, problem: str = "", note: str = ""
) -> list[dict]:
    rows = []
    for exercise in exercise_set.exercises.values():
        result = results.get(exercise.exercise_id)
        if result is None:
            points, reason = 0, problem or "this exercise was not graded"
        else:
            points, reason = result.points, "; ".join(result.reasons)
        if note:
            reason = f"{note}; {reason}" if reason else note
        points = max(0, min(int(points), exercise.points))
        rows.append(
            dict(
                exercise=exercise.exercise_id,
                name=exercise.name,
                points=points,
                max_points=exercise.points,
                reason=reason,
            )
        )
    return rows


def _set_for(
    path: Path, data: bytes | None, by_stem
) -> tuple[object, ExerciseSet | None, str]:
    """(notebook or None, its exercise set or None, problem)."""
    nb, problem = (
        (None, "file too large or unreadable") if data is None else _parse(data)
    )
    set_id = identify(nb, path, by_stem)
    if set_id is None:
        return (
            nb,
            None,
            problem
            or (
                "cannot tell which exercise set this notebook belongs to "
                "(no metadata.rnnbook.exercise_set, "
                "and the file name matches no solutions notebook)"
            ),
        )
    try:
        return nb, find_set(set_id), problem
    except Exception as exc:
        return nb, None, f"unknown exercise set {set_id}: {exc}"


def _no_set_row(problem: str) -> list[dict]:
    return [dict(exercise="", name="", points=0, max_points=0, reason=problem)]


def grade_submission(
    path: Path, data: bytes | None, by_stem: dict[str, str], options: Options
) -> tuple[list[dict], list[str]]:
    """Rows (without ``submission`` and ``flags``) and flags for one notebook; never raises."""
    nb, exercise_set, problem = _set_for(path, data, by_stem)
    if exercise_set is None:
        return _no_set_row(problem), []
    if nb is None:
        return _rows(exercise_set, {}, problem), []
    from rnnbook.grading.scan import scan_cells

    cells = learner_cells(nb)
    flags = [f"{where}: {reason}" for where, reason in scan_cells(cells)]
    try:
        rows, runtime = _run_and_test(cells, data, exercise_set, options)
    except (
        Exception
    ) as exc:  # pragma: no cover - a bug in the grader: still one row per exercise
        rows, runtime = (
            _rows(exercise_set, {}, f"grader error ({type(exc).__name__}: {exc})"),
            [],
        )
    flags += [f"{where} (at run time): {reason}" for where, reason in runtime]
    return rows, list(dict.fromkeys(flags))


def _run_and_test(cells, data: bytes, exercise_set: ExerciseSet, options: Options):
    from rnnbook.grading.sandbox import RemoteNamespace, Session

    launcher = options.launcher
    runtime: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="rnnbook-box-") as workdir:
        (Path(workdir) / "notebook.ipynb").write_bytes(
            data
        )  # its own copy, for code that reads it
        launcher.prepare_workdir(workdir)
        cpu = int(options.timeout + options.grading_timeout + 60)
        session = Session(launcher, workdir, cpu)
        try:
            ran = session.run(cells, options.timeout)
            runtime += session.runtime_flags
            note = ""
            if ran["failed"]:
                return _rows(
                    exercise_set, {}, f"{ran['failed']}; nothing could be graded"
                ), runtime
            if ran["killed_in"] is None and (
                ran["died_in"] is not None or session.dead
            ):
                where = ran["died_in"]
                cell = (
                    f" while running {_describe_cell(cells, where)}"
                    if where is not None
                    else ""
                )
                return _rows(
                    exercise_set,
                    {},
                    f"the kernel died{cell} (os._exit, a crash, or out of "
                    "memory); nothing could be graded",
                ), runtime
            prefix = cells
            if ran["killed_in"] is not None:
                n = ran["killed_in"]
                prefix = [c for c in cells if c["n"] < n]
                note = (
                    f"the notebook hit its {options.timeout:g} s time limit in "
                    f"{_describe_cell(cells, n)}, "
                    f"which ignored the interruption and was stopped; the cells before it were run "
                    "again and the later ones skipped"
                )
                session.close()
                session.run(prefix, options.timeout)
            elif ran["interrupted"] is not None:
                n = ran["interrupted"]
                prefix = [c for c in cells if c["n"] <= n]
                note = (
                    f"the notebook hit its {options.timeout:g} s time limit in "
                    f"{_describe_cell(cells, n)}, "
                    "which was interrupted"
                    + (
                        f"; {ran['skipped']} later cell(s) were skipped"
                        if ran["skipped"]
                        else ""
                    )
                )
            results = {}
            deadline = time.monotonic() + options.grading_timeout
            late = f"grading did not finish within {options.grading_timeout:g} s"
            restarts = 0
            for exercise_id in exercise_set.exercises:
                if time.monotonic() >= deadline:
                    break
                if session.dead and restarts >= 2:
                    break
                if (
                    session.dead
                ):  # an earlier exercise's call killed it: rebuild the notebook state
                    restarts += 1
                    runtime += session.runtime_flags
                    session.close()
                    session.hard_deadline = None
                    session.run(prefix, options.timeout)
                session.hard_deadline = deadline
                result = run_exercise(exercise_id, RemoteNamespace(session), quiet=True)
                if time.monotonic() >= deadline and result.points < result.max_points:
                    result.reasons = [late]
                results[exercise_id] = result
            runtime += session.runtime_flags
            return _rows(exercise_set, results, late, note), runtime
        finally:
            session.close()


# --------------------------------------------------------------------------------------------
# The batch


def find_submissions(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )


def _read_bytes(path: Path) -> bytes | None:
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return None
        return path.read_bytes()
    except OSError:
        return None


def _stamp(path: Path):
    try:
        st = path.stat()
        return (st.st_size, st.st_mtime_ns, st.st_ino)
    except OSError:
        return None


class CsvOut:
    """The CSV file: every row kept in memory, appended and flushed as each notebook finishes.

    Before each append the file is checked against what was written; if anything else changed
    it, it is rewritten from memory (and the caller flags the notebook that was running). At the
    end the whole file is rewritten atomically.
    """

    def __init__(self, path: Path, resume: bool):
        self.path = path
        self.rows: list[dict] = []
        if resume and path.exists():
            with path.open(newline="", encoding="utf-8") as f:
                self.rows = [
                    {c: r.get(c, "") or "" for c in COLUMNS} for r in csv.DictReader(f)
                ]
        path.parent.mkdir(parents=True, exist_ok=True)
        self._rewrite()

    def done(self) -> set[str]:
        return {r["submission"] for r in self.rows}

    def _rewrite(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(self.rows)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        self.stamp = _stamp(self.path)

    def add(self, rows: list[dict]) -> bool:
        """Append ``rows``; returns False if the file had been changed by something else."""
        intact = _stamp(self.path) == self.stamp
        self.rows += rows
        if not intact:
            self._rewrite()
            return False
        with self.path.open("a", newline="", encoding="utf-8") as f:
            csv.DictWriter(f, fieldnames=COLUMNS).writerows(rows)
            f.flush()
            os.fsync(f.fileno())
        self.stamp = _stamp(self.path)
        return True

    def finish(self) -> None:
        self._rewrite()


def _readable_by_others(path: Path) -> bool:
    try:
        mode = path.resolve().stat().st_mode
        return bool(mode & stat.S_IROTH)
    except OSError:
        return False


def _progress(items, total: int):
    try:
        from tqdm.auto import tqdm

        return tqdm(
            items, total=total, desc="grading", unit="notebook", file=sys.stderr
        )
    except ImportError:  # pragma: no cover
        return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnbook.grade",
        description="Grade every submitted .ipynb under SUBMISSIONS_DIR into a CSV file.",
    )
    parser.add_argument(
        "submissions", type=Path, help="folder searched recursively for .ipynb files"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("grades.csv"),
        help="CSV file to write (default grades.csv)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the rows already in --out and grade only the notebooks not in it",
    )
    parser.add_argument(
        "--solutions",
        type=Path,
        default=Path("solutions"),
        help="solutions folder, used to recognise a submission by its file name "
        "(default ./solutions)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300,
        help="seconds each notebook's own cells may run in total (default 300)",
    )
    parser.add_argument(
        "--grading-timeout",
        type=float,
        default=300,
        help="seconds the tests of one notebook may run in total (default 300)",
    )
    parser.add_argument(
        "--exercise-module",
        action="append",
        default=[],
        metavar="MODULE_OR_FILE",
        help="extra module (or .py file) declaring exercise sets; may be repeated",
    )
    parser.add_argument(
        "--sandbox",
        choices=["auto", "bwrap", "user", "none"],
        default="auto",
        help="how to isolate submissions (default auto: the strongest that works here)",
    )
    args = parser.parse_args(argv)

    if not args.submissions.is_dir():
        print(f"error: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    if args.exercise_module:
        from rnnbook.grading.core import ENV_VAR

        entries = [
            str(Path(m).resolve()) if m.endswith(".py") else m
            for m in args.exercise_module
        ]
        old = os.environ.get(ENV_VAR, "")
        os.environ[ENV_VAR] = os.pathsep.join(entries + ([old] if old else []))
    from rnnbook.grading.sandbox import choose_launcher

    try:
        launcher, skipped = choose_launcher(args.sandbox)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"sandbox: {launcher.mode} - {launcher.describe()}", file=sys.stderr)
    for note in skipped:
        print(f"  (not used: {note})", file=sys.stderr)
    if launcher.mode != "bwrap":
        for label, folder in (
            ("submissions", args.submissions),
            ("solutions", args.solutions),
            ("output", args.out.parent),
        ):
            if folder.exists() and (
                launcher.mode == "none" or _readable_by_others(folder)
            ):
                print(
                    f"warning: the {label} folder {folder} is readable by the submissions' code in "
                    f"this mode; see the instructors' page",
                    file=sys.stderr,
                )
    options = Options(args.timeout, args.grading_timeout, launcher)
    by_stem = solution_sets(args.solutions)
    paths = find_submissions(args.submissions)
    names = {p: p.relative_to(args.submissions).as_posix() for p in paths}
    # Every notebook is read before any code runs: grading uses these copies, so a submission
    # that changes another's file on disk cannot change that one's grade.
    contents = {p: _read_bytes(p) for p in paths}
    stamps = {p: _stamp(p) for p in paths}
    out = CsvOut(args.out, args.resume)
    journal = args.out.with_name(args.out.name + ".grading")
    done = out.done()
    if args.resume and journal.exists():
        stopped = journal.read_text(encoding="utf-8").strip()
        if stopped and stopped not in done:
            path = next(
                (p for p in paths if names[p] == stopped), args.submissions / stopped
            )
            _, exercise_set, problem = _set_for(path, contents.get(path), by_stem)
            why = (
                "the grader itself was stopped while grading this notebook (killed, possibly by "
                "this notebook's code); it was not graded again"
            )
            rows = _rows(exercise_set, {}, why) if exercise_set else _no_set_row(why)
            out.add(
                [
                    {
                        "submission": stopped,
                        **r,
                        "flags": "the grader stopped while grading it",
                    }
                    for r in rows
                ]
            )
            done.add(stopped)
    todo = [p for p in paths if names[p] not in done]
    previous = {
        name: signal.signal(getattr(signal, name), signal.SIG_IGN)
        for name in _IGNORED_SIGNALS
        if hasattr(signal, name)
    }
    try:
        for path in _progress(todo, len(todo)):
            name = names[path]
            journal.write_text(name, encoding="utf-8")
            try:
                rows, flags = grade_submission(path, contents[path], by_stem, options)
            except (
                Exception
            ) as exc:  # pragma: no cover - grade_submission already catches everything
                rows, flags = _no_set_row(f"grader error: {exc}"), []
            changed = [names[p] for p in paths if p != path and _stamp(p) != stamps[p]]
            if changed:
                flags.append(
                    "while it ran, other submissions' files changed on disk "
                    f"({', '.join(changed[:3])}); "
                    "they are graded from the copies read at the start"
                )
                stamps.update({p: _stamp(p) for p in paths})
            full = [{"submission": name, **r, "flags": "; ".join(flags)} for r in rows]
            if not out.add(full):
                for r in full:
                    r["flags"] = "; ".join(
                        flags + ["while it ran, the CSV file was changed (rewritten)"]
                    )
                out.finish()
        out.finish()
        journal.unlink(missing_ok=True)
    except (
        KeyboardInterrupt
    ):  # Ctrl-C: the rows so far are on disk; grade this one again later
        journal.unlink(missing_ok=True)
        out.finish()
        print(
            f"interrupted: {len(out.rows)} rows in {args.out}; run again with --resume to go on",
            file=sys.stderr,
        )
        return 130
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)
    total = sum(
        int(r["points"]) for r in out.rows if str(r["points"]).lstrip("-").isdigit()
    )
    print(
        f"graded {len(todo)} notebook(s) -> {args.out} "
        f"({len(out.rows)} rows, {total} points in all)"
    )
    return 0
