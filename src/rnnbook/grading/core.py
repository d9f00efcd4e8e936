"""Exercise sets, the tester handed to each exercise's test function, and ``check``/``summary``.

A test module (``rnnbook.exercise_sets.chNN``) declares its exercises::

    SET = ExerciseSet("01", "Sequences and the recurrence")

    @SET.exercise("1.2", "stacked_rnn_param_count", points=3)
    def _(t):
        with t.case("a single layer", points=1):
            t.expect_equal(t.call(3, 4, 1), 32, "parameter count")
        ...

and a notebook runs them with ``check("1.2")``. Running an exercise never raises: every problem,
in the learner's code or in the test code, becomes a line of feedback.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import io
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from rnnbook.grading import feedback
from rnnbook.grading.box import Forbidden

DEFAULT_TIME_LIMIT = 10.0  # seconds per call of the learner's code

_REGISTRY: dict[str, "ExerciseSet"] = {}


def normalize_set_id(set_id) -> str:
    """``1``, ``"1"`` and ``"01"`` all name set ``"01"``."""
    text = str(set_id).strip()
    return text.zfill(2) if text.isdigit() else text


def set_id_of(exercise_id: str) -> str:
    """The set an exercise belongs to: ``"2.3"`` -> ``"02"``."""
    return normalize_set_id(str(exercise_id).split(".", 1)[0])


# --------------------------------------------------------------------------------------------
# Declaring exercises


@dataclass
class Exercise:
    exercise_id: str
    name: str
    points: int
    test: Callable[["Tester"], None]
    time_limit: float | None = DEFAULT_TIME_LIMIT
    forbidden: tuple[str, ...] = ()


class ExerciseSet:
    """The exercises of one notebook, in order. Creating one registers it by its id."""

    def __init__(self, set_id, title: str):
        self.set_id = normalize_set_id(set_id)
        self.title = title
        self.exercises: dict[str, Exercise] = {}
        _REGISTRY[self.set_id] = self

    def exercise(
        self,
        exercise_id: str,
        name: str,
        points: int,
        *,
        time_limit: float | None = DEFAULT_TIME_LIMIT,
        forbidden: tuple[str, ...] = (),
    ):
        """Decorator: register ``test(t)`` as the tests of exercise ``exercise_id``.

        ``name`` is the function or class the learner writes; ``points`` the exercise's total,
        which must equal the sum of its cases' points; ``time_limit`` the seconds allowed per
        call of the learner's code (None: no limit); ``forbidden`` the dotted paths of callables
        the learner's code must not call (e.g. ``"rnnbook.scratch.lstm.lstm_backward"``): a
        call of the learner's code that uses one fails its case (see ``Tester.forbid``).
        """
        forbidden = _dotted_names(forbidden, f"exercise {exercise_id}: forbidden")
        exercise_id = str(exercise_id)
        if set_id_of(exercise_id) != self.set_id:
            raise ValueError(
                f"exercise id {exercise_id!r} does not belong to set {self.set_id!r}: "
                f"use ids like '{int(self.set_id) if self.set_id.isdigit() else self.set_id}.1'"
            )
        if exercise_id in self.exercises:
            raise ValueError(
                f"exercise {exercise_id} is declared twice in set {self.set_id}"
            )
        if not isinstance(points, int) or points <= 0:
            raise ValueError(
                f"exercise {exercise_id}: points must be a positive int, got {points!r}"
            )

        def register(test):
            self.exercises[exercise_id] = Exercise(
                exercise_id, name, points, test, time_limit, forbidden
            )
            return test

        return register

    @property
    def max_points(self) -> int:
        return sum(e.points for e in self.exercises.values())

    def __repr__(self) -> str:
        return f"ExerciseSet({self.set_id!r}, {self.title!r}, {len(self.exercises)} exercises)"


def _dotted_names(names, what: str) -> tuple[str, ...]:
    """Validate dotted paths such as ``"torch._VF.gru_cell"`` (module, then attributes)."""
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    for name in names:
        parts = name.split(".") if isinstance(name, str) else []
        if len(parts) < 2 or not all(p.isidentifier() for p in parts):
            raise ValueError(
                f"{what}: expected dotted paths like 'package.module.function', "
                f"got {name!r}"
            )
    return names


# Where sets come from. The grading package never imports ``rnnbook.exercise_sets`` statically
# (the exercise sets import the grading package, not the other way round): a set's module is
# imported by name, on demand.
SETS_PACKAGE = "rnnbook.exercise_sets"
ENV_VAR = "RNNBOOK_EXERCISE_SETS"  # extra modules or .py files declaring sets, os.pathsep-separated


def _import_extra(entry: str) -> None:
    import importlib
    import importlib.util
    from pathlib import Path

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


def _load_set_module(set_id: str) -> None:
    """Import the module declaring set ``set_id`` (it registers itself when imported).

    Tries ``rnnbook.exercise_sets.ch<set_id>``, then the entries of ``RNNBOOK_EXERCISE_SETS``.
    Does nothing when no module is found (the caller reports the missing set).
    """
    import importlib
    import os

    name = f"{SETS_PACKAGE}.ch{set_id}"
    try:
        importlib.import_module(name)
        return
    except ModuleNotFoundError as exc:
        if exc.name != name:  # the module exists but one of its imports is missing
            raise
    entries = [
        m.strip() for m in os.environ.get(ENV_VAR, "").split(os.pathsep) if m.strip()
    ]
    for entry in entries:
        if set_id in _REGISTRY:
            return
        _import_extra(entry)


def find_set(set_id) -> ExerciseSet:
    """Return the registered set ``set_id``, importing its test module on demand.

    Raises LookupError with a readable message when there is no such set.
    """
    set_id = normalize_set_id(set_id)
    if set_id not in _REGISTRY:
        _load_set_module(set_id)
    if set_id not in _REGISTRY:
        raise LookupError(f"there is no exercise set {set_id!r}")
    return _REGISTRY[set_id]


def find_exercise(exercise_id) -> Exercise:
    exercise_id = str(exercise_id).strip()
    exercise_set = find_set(set_id_of(exercise_id))
    if exercise_id not in exercise_set.exercises:
        known = ", ".join(exercise_set.exercises) or "none"
        raise LookupError(
            f"set {exercise_set.set_id} has no exercise {exercise_id!r} (it has {known})"
        )
    return exercise_set.exercises[exercise_id]


# --------------------------------------------------------------------------------------------
# Results


@dataclass
class ExerciseResult:
    exercise_id: str
    name: str
    points: int
    max_points: int
    reasons: list[str] = field(default_factory=list)

    @property
    def line(self) -> str:
        return f"Exercise {self.exercise_id} {self.name}: {self.points}/{self.max_points} points"

    def report(self) -> str:
        return "\n".join([self.line] + [f"  - {r}" for r in self.reasons])

    def as_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise_id,
            "name": self.name,
            "points": self.points,
            "max_points": self.max_points,
            "reason": "; ".join(self.reasons),
        }


# Control flow inside a test run. BaseException so that nothing in test code swallows them.
class _CaseFailed(BaseException):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _NotAttempted(BaseException):
    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def _points(n: int) -> str:
    return f"{n} point" if n == 1 else f"{n} points"


class Tester:
    """What an exercise's test function receives as ``t``.

    Attributes: ``func`` (the learner's function or class), ``namespace`` (the notebook's
    globals, for tests that need another of the learner's names), ``time_limit`` (seconds per
    call of the learner's code).
    """

    def __init__(self, exercise: Exercise, func, namespace: dict):
        self.exercise = exercise
        self.func = func
        self.namespace = namespace
        self.time_limit = exercise.time_limit
        self.earned = 0
        self.lost: list[tuple[str, int, str]] = []  # (case, points, reason)
        self.declared = 0
        self._in_case = False
        self._timed_out = ""
        # (dotted names, reason) pairs in force: the exercise's, then any ``forbid`` blocks
        self._forbidden: list[tuple[tuple[str, ...], str | None]] = (
            [(exercise.forbidden, None)] if exercise.forbidden else []
        )

    # -- cases --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def case(self, description: str, points: int = 1):
        """A group of expectations worth ``points``; earned only if nothing inside fails."""
        if self._in_case:
            raise RuntimeError("t.case(...) blocks cannot be nested")
        self.declared += points
        self._in_case = True
        try:
            yield
        except _CaseFailed as failure:
            self.lost.append((description, points, failure.reason))
        except _NotAttempted:
            raise
        except (
            feedback.TimeLimitExceeded
        ):  # pragma: no cover - only if test code itself is slow
            self.lost.append((description, points, "the checker ran out of time"))
        except (
            Exception
        ) as exc:  # a bug in the test code, or a result it could not handle
            self.lost.append(
                (
                    description,
                    points,
                    f"internal test error ({type(exc).__name__}: "
                    f"{feedback.shorten(str(exc), 160)}) "
                    "while checking your result; check that you return what the docstring asks for",
                )
            )
        else:
            self.earned += points
        finally:
            self._in_case = False

    def fail(self, reason: str):
        """Fail the current case with ``reason``."""
        raise _CaseFailed(reason)

    @contextlib.contextmanager
    def forbid(self, *names: str, reason: str | None = None):
        """Inside the block, a call of the learner's code that uses one of ``names`` fails.

        ``names`` are dotted paths (``"rnnbook.scratch.lstm.lstm_backward"``,
        ``"torch._VF.gru_cell"``). While each ``t.call``/``t.run``/``t.call_with`` runs, the
        named callables are wrapped, where the learner's code runs (this process for ``check``,
        the learner's process in the batch grader), to record their use; they still work. If
        one was used, the case fails with "`f` calls `name`, which this exercise asks you to
        write yourself" (or "`f` calls `name`: " + ``reason``). For a whole exercise, pass
        ``forbidden=`` to ``ExerciseSet.exercise`` instead.
        """
        names = _dotted_names(names, "t.forbid")
        self._forbidden.append((names, reason))
        try:
            yield
        finally:
            self._forbidden.remove((names, reason))

    def _forbidden_failure(self, label: str, called) -> None:
        for name in called:
            for names, reason in self._forbidden:
                if name in names:
                    raise _CaseFailed(
                        f"{label} calls `{name}`"
                        + (
                            f": {reason}"
                            if reason
                            else ", which this exercise asks you to write yourself"
                        )
                    )

    # -- calling the learner's code -----------------------------------------------------------
    def call(self, *args, **kwargs):
        """Call the learner's function (or class) on copies of the arguments and return its result.

        Fails the case if it raises, runs past the time limit, returns None, or changes an
        argument in place. A NotImplementedError marks the whole exercise "not attempted yet".
        """
        return self.call_with(self.func, args, kwargs)

    def run(self, fn, *args, **kwargs):
        """Like ``call`` for any callable of the learner's (e.g. a method of a result)."""
        return self.call_with(fn, args, kwargs)

    def call_with(
        self,
        fn=None,
        args=(),
        kwargs=None,
        *,
        allow_none: bool = False,
        check_mutation: bool = True,
        time_limit: float | None = ...,
        what: str | None = None,
    ):
        """The general form of ``call``: options for functions that may return None, etc."""
        if self._timed_out:  # one time-out per exercise is enough: do not wait again
            raise _CaseFailed(self._timed_out)
        fn = self.func if fn is None else fn
        kwargs = dict(kwargs or {})
        label = what or f"`{getattr(fn, '__name__', self.exercise.name)}`"
        limit = self.time_limit if time_limit is ... else time_limit
        try:
            originals = copy.deepcopy((args, kwargs))
            passed_args, passed_kwargs = copy.deepcopy((args, kwargs))
        except Exception:  # uncopyable arguments: pass them as they are
            originals, (passed_args, passed_kwargs) = None, (args, kwargs)
        forbidden = [n for names, _ in self._forbidden for n in names]
        remote = getattr(fn, "_rnnbook_remote_call", None)
        if (
            remote is not None
        ):  # the learner's code lives in another process (the grader)
            outcome = remote(passed_args, passed_kwargs, limit, forbidden)
            self._forbidden_failure(label, outcome.get("forbidden_called") or ())
            result = self._remote_result(outcome, label, limit)
            passed_args, passed_kwargs = outcome["args_after"]
        else:
            spy = Forbidden(forbidden, self._learner_namespaces(fn))
            with spy:
                try:
                    result = self._local_call(
                        fn, passed_args, passed_kwargs, label, limit
                    )
                except (_CaseFailed, _NotAttempted):
                    self._forbidden_failure(label, spy.called)
                    raise
            self._forbidden_failure(label, spy.called)
        if result is None and not allow_none:
            raise _CaseFailed(f"{label} returned None (did you forget `return`?)")
        if check_mutation and originals is not None:
            changed = self._changed_arguments(
                fn, originals, (passed_args, passed_kwargs)
            )
            if changed:
                raise _CaseFailed(
                    f"{label} changed its input {changed} in place; compute new arrays instead "
                    "(e.g. `x = x + 1`, not `x += 1`)"
                )
        return result

    def _learner_namespaces(self, fn) -> list:
        """Where the learner's code finds its global names (for ``Forbidden``)."""
        found = [
            getattr(fn, "__globals__", None),
            getattr(self.func, "__globals__", None),
        ]
        found.append(self.namespace)
        return [ns for ns in found if isinstance(ns, dict)]

    def _not_implemented(self, label: str, location: str):
        if self.earned or self.lost:  # some cases already ran: a part is still missing
            return _CaseFailed(
                f"{label} raised NotImplementedError: this part is not written yet"
                + (f" ({location})" if location else "")
            )
        return _NotAttempted(location)

    def _remote_result(self, outcome: dict, label: str, limit):
        kind = outcome.get("kind")
        if kind == "result":
            return outcome["value"]
        if kind == "timeout":
            self._timed_out = (
                f"{label} did not finish within the time limit of {feedback.fmt(limit)} s "
                "(an endless loop?)"
            )
            if outcome.get("killed"):
                self._timed_out += (
                    "; it ignored the interruption, so its process was stopped"
                )
            raise _CaseFailed(self._timed_out)
        if kind == "raised":
            if outcome.get("not_implemented"):
                raise self._not_implemented(label, outcome.get("location", ""))
            raise _CaseFailed(
                f"{label} raised {outcome.get('description', 'an exception')}"
            )
        if kind == "died":
            self._timed_out = (
                f"the process running {label} died (os._exit, a crash, or out of "
                "memory) or was stopped"
            )
            raise _CaseFailed(self._timed_out)
        raise _CaseFailed(
            f"{label} {outcome.get('description', 'could not be called')}"
        )

    def _local_call(self, fn, passed_args, passed_kwargs, label, limit):
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                with feedback.time_limit(limit):
                    result = fn(*passed_args, **passed_kwargs)
        except feedback.TimeLimitExceeded:
            self._timed_out = (
                f"{label} did not finish within the time limit of {feedback.fmt(limit)} s "
                "(an endless loop?)"
            )
            raise _CaseFailed(self._timed_out) from None
        except NotImplementedError as exc:
            raise self._not_implemented(
                label, feedback.learner_location(exc.__traceback__)
            ) from None
        except KeyboardInterrupt:
            raise
        except (
            BaseException
        ) as exc:  # SystemExit too: a learner's exit() must not end the check
            raise _CaseFailed(
                f"{label} raised {feedback.describe_exception(exc)}"
            ) from None
        return result

    @staticmethod
    def _changed_arguments(fn, originals, passed) -> str:
        (orig_args, orig_kwargs), (new_args, new_kwargs) = originals, passed
        names = getattr(fn, "_rnnbook_params", None)
        if names is None:
            try:
                names = list(inspect.signature(fn).parameters)
            except (TypeError, ValueError):
                names = []
        changed = []
        for i, (a, b) in enumerate(zip(orig_args, new_args)):
            if not feedback.same_value(a, b):
                changed.append(
                    f"`{names[i]}`"
                    if i < len(names) and not names[i].startswith("*")
                    else f"argument {i + 1}"
                )
        for key in orig_kwargs:
            if key not in new_kwargs or not feedback.same_value(
                orig_kwargs[key], new_kwargs[key]
            ):
                changed.append(f"`{key}`")
        return ", ".join(changed)

    # -- expectations -------------------------------------------------------------------------
    def expect(self, condition, reason: str):
        """Fail the case with ``reason`` unless ``condition`` is true."""
        if not condition:
            raise _CaseFailed(reason)

    def expect_shape(self, value, shape, what: str):
        """Fail unless ``value`` is an array of shape ``shape``."""
        shape = tuple(shape)
        if value is None:
            raise _CaseFailed(f"{what} is None (did you forget `return`?)")
        got = feedback.shape_of(value)
        if got is None:
            raise _CaseFailed(
                f"{what} should be an array of shape {shape}, got {feedback.type_name(value)}"
            )
        if tuple(got) != shape:
            raise _CaseFailed(
                f"wrong shape for {what}: expected {shape}, got {tuple(got)}"
            )
        return value

    def expect_close(
        self, value, expected, what: str, rtol: float = 1e-6, atol: float = 1e-8
    ):
        """Fail unless ``value`` matches ``expected`` elementwise (reports shape, NaN, worst error).

        ``expected`` may be a tuple or list of arrays (e.g. several gradients); ``value`` must
        then be a sequence of the same length, compared item by item as ``what[i]``.
        """
        if isinstance(expected, (tuple, list)) and any(
            isinstance(e, np.ndarray) for e in expected
        ):
            if value is None:
                raise _CaseFailed(f"{what} is None (did you forget `return`?)")
            if not isinstance(value, (tuple, list)) or len(value) != len(expected):
                raise _CaseFailed(
                    f"{what} should be a sequence of {len(expected)} arrays, "
                    f"got {feedback.type_name(value)}"
                    + (
                        f" of length {len(value)}"
                        if isinstance(value, (tuple, list))
                        else ""
                    )
                )
            for i, (v, e) in enumerate(zip(value, expected)):
                self.expect_close(v, e, f"{what}[{i}]", rtol=rtol, atol=atol)
            return value
        reason = feedback.compare_arrays(value, expected, what, rtol, atol)
        if reason:
            raise _CaseFailed(reason)
        return value

    def expect_equal(self, value, expected, what: str):
        """Fail unless ``value == expected`` (arrays: same shape and entries)."""
        if isinstance(expected, np.ndarray) or isinstance(value, np.ndarray):
            got_shape = feedback.shape_of(value)
            if got_shape is None:
                raise _CaseFailed(
                    f"{what} should be an array, got {feedback.type_name(value)}"
                )
            if tuple(got_shape) != np.shape(expected):
                raise _CaseFailed(
                    f"wrong shape for {what}: expected {np.shape(expected)}, got {tuple(got_shape)}"
                )
            g, e = np.asarray(value), np.asarray(expected)
            diff = g != e
            if diff.any():
                first = np.argwhere(diff)[0] if diff.ndim else ()
                at = f" at index {feedback.fmt_index(first)}" if diff.ndim else ""
                raise _CaseFailed(
                    f"wrong {what}{at}: expected {feedback.fmt(e[tuple(first)])}, "
                    f"got {feedback.fmt(g[tuple(first)])} "
                    f"({int(diff.sum())} of {diff.size} entries differ)"
                )
            return value
        if value is None and expected is not None:
            raise _CaseFailed(f"{what} is None (did you forget `return`?)")
        try:
            equal = bool(value == expected)
        except Exception:
            equal = False
        if not equal:
            raise _CaseFailed(
                f"wrong {what}: expected {feedback.shorten(repr(expected), 100)}, "
                f"got {feedback.shorten(repr(value), 100)}"
            )
        return value

    def expect_tuple(self, value, length: int, what: str):
        """Fail unless ``value`` is a tuple (or list) of ``length`` items; return it."""
        if value is None:
            raise _CaseFailed(f"{what} is None (did you forget `return`?)")
        if not isinstance(value, (tuple, list)) or len(value) != length:
            got = feedback.type_name(value) + (
                f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""
            )
            raise _CaseFailed(f"{what} should be a tuple of {length} items, got {got}")
        return value


# --------------------------------------------------------------------------------------------
# Running exercises


def run_exercise(exercise_id, namespace: dict, quiet: bool = False) -> ExerciseResult:
    """Run one exercise's tests against ``namespace``; never raises (except KeyboardInterrupt)."""
    exercise_id = str(exercise_id).strip()
    try:
        exercise = find_exercise(exercise_id)
    except Exception as exc:
        return ExerciseResult(exercise_id, "?", 0, 0, [f"cannot run this check: {exc}"])
    result = ExerciseResult(exercise.exercise_id, exercise.name, 0, exercise.points)
    func = namespace.get(exercise.name) if hasattr(namespace, "get") else None
    if func is None:
        result.reasons.append(
            f"`{exercise.name}` is not defined in this notebook: run the cell that defines it first"
            + (
                " (it is None)"
                if hasattr(namespace, "get") and exercise.name in namespace
                else ""
            )
        )
        return result
    if not callable(func):
        result.reasons.append(
            f"`{exercise.name}` should be a function or class, but it is {feedback.type_name(func)}"
        )
        return result
    tester = Tester(exercise, func, namespace)
    aborted = None
    sink = io.StringIO()
    with contextlib.ExitStack() as stack:
        if quiet:
            stack.enter_context(contextlib.redirect_stdout(sink))
            stack.enter_context(contextlib.redirect_stderr(sink))
        try:
            exercise.test(tester)
        except _NotAttempted as na:
            result.reasons.append(
                "not attempted yet (your code still raises NotImplementedError"
                + (
                    f", {na.detail})"
                    if na.detail and exercise.name not in na.detail
                    else ")"
                )
            )
            return result
        except _CaseFailed as failure:  # an expectation outside any case
            aborted = failure.reason
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            aborted = (
                f"internal test error ({type(exc).__name__}: {feedback.shorten(str(exc), 160)}); "
                "this is a bug in the checker, not in your code"
            )
    earned = tester.earned
    # Consecutive cases lost for the same reason are reported on one line.
    groups: list[tuple[list[str], int, str]] = []
    for description, points, reason in tester.lost:
        if groups and groups[-1][2] == reason:
            groups[-1][0].append(description)
            groups[-1] = (groups[-1][0], groups[-1][1] + points, reason)
        else:
            groups.append(([description], points, reason))
    for descriptions, points, reason in groups:
        result.reasons.append(
            f"{', '.join(descriptions)} (-{_points(points)}): {reason}"
        )
    remaining = exercise.points - earned - sum(p for _, p, _ in tester.lost)
    if aborted is not None and remaining > 0:
        result.reasons.append(f"{aborted} (-{_points(remaining)})")
    elif aborted is not None:
        result.reasons.append(aborted)
    elif remaining != 0:
        result.reasons.append(
            f"internal test error: the cases add up to {tester.declared} points "
            "but the exercise is worth "
            f"{exercise.points}"
        )
    result.points = max(0, min(earned, exercise.points))
    return result


def _caller_namespace(depth: int = 2) -> dict:
    """The globals of the code that called ``check``/``summary`` (a notebook's namespace)."""
    try:
        return sys._getframe(depth).f_globals
    except Exception:  # pragma: no cover
        try:
            import __main__

            return vars(__main__)
        except Exception:
            return {}


def check(exercise_id, namespace: dict | None = None) -> None:
    """Run exercise ``exercise_id``'s tests on the learner's code and print the feedback.

    Prints ``Exercise 1.2 name: 2/3 points`` and one line per lost point. Never raises.
    ``namespace`` defaults to the caller's globals (in a notebook, the notebook's variables).
    """
    try:
        ns = namespace if namespace is not None else _caller_namespace()
        note = _check_cell_note(2) if namespace is None else ""
        print(run_exercise(exercise_id, ns).report() + note)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # pragma: no cover - last line of defence
        print(
            f"Exercise {exercise_id}: could not be checked "
            f"(internal test error: {type(exc).__name__}: {exc})"
        )


def _check_cell_note(depth: int) -> str:
    """A warning when the cell that called ``check`` also holds other code.

    The grader drops check cells (tagged ``exercise-check``, or calling check/summary) whole, so
    an answer written there shows full marks in the notebook but is not graded.
    """
    try:
        import ast
        import linecache

        code = sys._getframe(depth).f_code
        if code.co_name != "<module>" or not feedback._looks_like_cell(
            code.co_filename
        ):
            return ""
        tree = ast.parse("".join(linecache.getlines(code.co_filename)))
        other = []
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                func = node.value.func
                if getattr(func, "id", getattr(func, "attr", None)) in (
                    "check",
                    "summary",
                ):
                    continue
            other.append(node)
        if not other:
            return ""
        names = [
            n.name for n in other if isinstance(n, (ast.FunctionDef, ast.ClassDef))
        ]
        what = f" (`{names[0]}`)" if names else ""
        return (
            "\nNote: the grader removes check cells, so the other code in this cell"
            f"{what}\nis not graded: move it to the exercise's code cell above."
        )
    except Exception:
        return ""


def grade_set(set_id, namespace: dict) -> list[ExerciseResult]:
    """Run every exercise of set ``set_id`` quietly against ``namespace``."""
    exercise_set = find_set(set_id)
    return [run_exercise(eid, namespace, quiet=True) for eid in exercise_set.exercises]


def summary(set_id, namespace: dict | None = None) -> None:
    """Re-run every exercise of set ``set_id`` quietly; print each line and the total.

    Never raises.
    """
    try:
        ns = namespace if namespace is not None else _caller_namespace()
        try:
            exercise_set = find_set(set_id)
        except Exception as exc:
            print(f"Exercise set {set_id}: cannot run the summary: {exc}")
            return
        results = grade_set(exercise_set.set_id, ns)
        for r in results:
            print(r.line)
        total = sum(r.points for r in results)
        print(
            f"Total for exercise set {exercise_set.set_id} ({exercise_set.title}): "
            f"{total}/{exercise_set.max_points} points"
        )
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # pragma: no cover - last line of defence
        print(
            f"Exercise set {set_id}: could not be summarised "
            f"(internal test error: {type(exc).__name__}: {exc})"
        )
