"""The tests and reference data of the exercise sets: one module ``chNN`` per set.

``check("2.3")`` imports ``rnnbook.exercise_sets.ch02`` on demand; that module creates
``SET = ExerciseSet("02", ...)`` and declares its exercises (see CONTRIBUTING.md and the
"How exercises work" page of the book).

Extra sets that do not ship with the package (an instructor's own, or the test suite's fixtures)
can be made known through the environment variable ``RNNBOOK_EXERCISE_SETS``: a list, separated
by ``os.pathsep``, of importable module names or paths to ``.py`` files. Each is imported when a
set is not found in the package; the grader passes the variable on to the kernels it starts.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path

ENV_VAR = "RNNBOOK_EXERCISE_SETS"


def module_name(set_id: str) -> str:
    return f"{__name__}.ch{set_id}"


def _extra_modules() -> list[str]:
    return [
        m.strip() for m in os.environ.get(ENV_VAR, "").split(os.pathsep) if m.strip()
    ]


def _import_extra(entry: str) -> None:
    if entry.endswith(".py"):
        path = Path(entry).expanduser().resolve()
        name = "rnnbook_extra_set_" + "".join(
            c if c.isalnum() else "_" for c in path.stem
        )
        if name in sys.modules:
            return
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load exercise set file {path.name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    else:
        importlib.import_module(entry)


def load_set_module(set_id: str) -> None:
    """Import the module that declares set ``set_id`` (it registers itself on import).

    Tries ``rnnbook.exercise_sets.ch<set_id>``, then the entries of ``RNNBOOK_EXERCISE_SETS``.
    Does nothing when no module is found (the caller reports the missing set).
    """
    name = module_name(set_id)
    try:
        importlib.import_module(name)
        return
    except ModuleNotFoundError as exc:
        if exc.name != name:  # the module exists but one of its imports is missing
            raise
    from rnnbook.grading.core import _REGISTRY

    for entry in _extra_modules():
        if set_id in _REGISTRY:
            return
        _import_extra(entry)


def available_sets() -> list[str]:
    """Ids of the sets shipped in this package (``ch01.py`` -> ``"01"``)."""
    here = Path(__file__).parent
    return sorted(p.stem[2:] for p in here.glob("ch*.py"))
