"""Write the learners' notebooks in exercises/ from the complete notebooks in solutions/.

    python -m rnnbook.grading.generate          # (re)write exercises/NN_topic.ipynb
    python -m rnnbook.grading.generate --check  # exit 1, naming stale files, if out of date

Each solutions notebook is the single source of its exercise set. In the learner's copy:

- the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes, at the indentation of
  the BEGIN line, ``# YOUR CODE HERE`` and ``raise NotImplementedError("<hint>")``, where the
  hint is the text of a ``### HINT: ...`` line inside the block (or a default sentence). A block
  at the top level of a cell (no indentation) becomes comments only, so the notebook still runs;
- in markdown cells the text between the markers becomes ``YOUR ANSWER HERE``;
- cells tagged ``solution-only`` are dropped;
- outputs, execution counts and execution timings are cleared;
- ``metadata.rnnbook`` records the exercise set (the grader reads it) and the source notebook.

Generation is deterministic: the same solutions notebook always gives byte-identical output.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import textwrap
from pathlib import Path

import nbformat

BEGIN = re.compile(r"^(?P<indent>[ \t]*)#+\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^[ \t]*#+\s*END SOLUTION\s*$")
HINT = re.compile(r"^[ \t]*#+\s*HINT:\s*(?P<hint>.*?)\s*$")
SOLUTION_ONLY_TAG = "solution-only"
DEFAULT_HINT = "Replace this line with your solution."
SUMMARY_CALL = re.compile(r"""\bsummary\(\s*["']([^"']+)["']""")
SET_FROM_NAME = re.compile(r"^(\d+)_")


class GenerationError(ValueError):
    """A solutions notebook that cannot be turned into an exercise notebook (message names it)."""


# Generated lines stay within the width the book's code column shows.
MAX_LINE = 88


def _raise_lines(indent: str, hint: str) -> list[str]:
    """``raise NotImplementedError("<hint>")``, split into string pieces when too long."""
    one = f"{indent}raise NotImplementedError({json.dumps(hint, ensure_ascii=False)})"
    if len(one) <= MAX_LINE:
        return [one]
    inner = indent + "    "
    pieces = textwrap.wrap(
        hint,
        width=MAX_LINE - len(inner) - 3,
        drop_whitespace=False,
        break_long_words=False,
    )
    body = [f"{inner}{json.dumps(piece, ensure_ascii=False)}" for piece in pieces]
    return [f"{indent}raise NotImplementedError("] + body + [f"{indent})"]


def _replace_blocks(source: str, where: str, markdown: bool) -> tuple[str, bool]:
    """Replace every solution block in ``source``; return (new source, whether anything changed)."""
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    changed = False
    while i < len(lines):
        match = BEGIN.match(lines[i])
        if match is None:
            if END.match(lines[i]):
                raise GenerationError(
                    f"{where}: '### END SOLUTION' without a matching BEGIN (line {i + 1})"
                )
            out.append(lines[i])
            i += 1
            continue
        start = i
        indent = match.group("indent")
        hint = None
        i += 1
        while i < len(lines) and not END.match(lines[i]):
            if BEGIN.match(lines[i]):
                raise GenerationError(
                    f"{where}: nested '### BEGIN SOLUTION' (line {i + 1})"
                )
            hint_match = HINT.match(lines[i])
            if hint_match and hint is None:
                hint = hint_match.group("hint")
            i += 1
        if i == len(lines):
            raise GenerationError(
                f"{where}: '### BEGIN SOLUTION' on line {start + 1} is never closed"
            )
        i += 1  # skip END
        changed = True
        if markdown:
            out.append("YOUR ANSWER HERE")
        elif indent:
            out.append(f"{indent}# YOUR CODE HERE")
            out.extend(_raise_lines(indent, hint or DEFAULT_HINT))
        else:  # top level of a cell: comments only, so that the notebook still runs
            out.append("# YOUR CODE HERE")
            if hint:
                out.append(f"# HINT: {hint}")
    return "\n".join(out), changed


def _compile_check(source: str, where: str) -> None:
    """Raise GenerationError if a generated code cell is not valid (IPython) Python."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        python = TransformerManager().transform_cell(source)
    except Exception:  # IPython missing or cannot transform: check the raw text
        python = source
    try:
        compile(python, where, "exec")
    except SyntaxError as exc:
        raise GenerationError(
            f"{where}: the generated code is not valid Python ({exc.msg}, line {exc.lineno}); "
            "check the indentation of the ### BEGIN SOLUTION line"
        ) from None


def exercise_set_of(nb, name: str) -> str | None:
    """The set id of a solutions notebook.

    From its metadata, its ``summary("NN")`` call, or its file name.
    """
    meta = nb.metadata.get("rnnbook", {})
    if isinstance(meta, dict) and meta.get("exercise_set"):
        return str(meta["exercise_set"])
    for cell in reversed(nb.cells):
        if cell.cell_type == "code":
            match = SUMMARY_CALL.search(cell.source)
            if match:
                return match.group(1)
    match = SET_FROM_NAME.match(name)
    return match.group(1) if match else None


def make_student_notebook(nb, name: str):
    """Return the learner's version of solutions notebook ``nb`` (``name``: its file name)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # deep copy
    set_id = exercise_set_of(nb, name)
    if set_id is None:
        raise GenerationError(
            f'{name}: cannot tell which exercise set this is; end it with summary("NN")'
        )
    cells = []
    for index, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_ONLY_TAG in tags:
            continue
        where = f"{name}, cell {index + 1}"
        if cell.cell_type in ("code", "markdown"):
            source, changed = _replace_blocks(
                cell.source, where, markdown=cell.cell_type == "markdown"
            )
            cell.source = source
            if changed and cell.cell_type == "code":
                _compile_check(source, where)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        if "id" not in cell and nb.nbformat_minor >= 5:
            cell["id"] = hashlib.sha1(
                f"{name}:{index}:{cell.source}".encode()
            ).hexdigest()[:12]
        cells.append(cell)
    nb.cells = cells
    nb.metadata["rnnbook"] = {
        "exercise_set": set_id,
        "generated_from": f"solutions/{name}",
    }
    return nb


def render(nb) -> str:
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def generate(
    solutions: Path,
    exercises: Path,
    check_only: bool = False,
    only: list[Path] | None = None,
) -> list[str]:
    """Write (or, with ``check_only``, compare) exercises/ from solutions/; return the problems.

    Each problem is a line ``stale: PATH``, ``missing: PATH`` or ``orphan: PATH`` (check mode)
    or ``wrote: PATH`` (write mode).
    """
    sources = sorted(only) if only else sorted(solutions.glob("*.ipynb"))
    lines = []
    for src in sources:
        nb = nbformat.read(src, as_version=4)
        text = render(make_student_notebook(nb, src.name))
        target = exercises / src.name
        current = target.read_bytes() if target.exists() else None
        if current == text.encode("utf-8"):
            continue
        if check_only:
            lines.append(f"{'missing' if current is None else 'stale'}: {target}")
        else:
            exercises.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
            lines.append(f"wrote: {target}")
    if check_only and not only:
        names = {p.name for p in sources}
        lines += [
            f"orphan: {p}"
            for p in sorted(exercises.glob("*.ipynb"))
            if p.name not in names
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnbook.grading.generate",
        description="Write exercises/*.ipynb (learner notebooks) from solutions/*.ipynb.",
    )
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="solutions notebooks (default: all)"
    )
    parser.add_argument(
        "--solutions", type=Path, default=Path("solutions"), help="default: ./solutions"
    )
    parser.add_argument(
        "--exercises", type=Path, default=Path("exercises"), help="default: ./exercises"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and name the files if exercises/ is out of date",
    )
    args = parser.parse_args(argv)
    if not args.solutions.is_dir() and not args.notebooks:
        print(
            f"no solutions folder {args.solutions}: run this from the repository root "
            "or pass --solutions",
            file=sys.stderr,
        )
        return 2
    try:
        lines = generate(
            args.solutions, args.exercises, args.check, args.notebooks or None
        )
    except (GenerationError, nbformat.reader.NotJSONError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    if args.check and lines:
        print(
            "exercises/ is out of date: run `python -m rnnbook.grading.generate`",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
