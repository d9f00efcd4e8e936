"""Plain-language descriptions of what went wrong in a learner's code.

Everything here turns a raw Python event (an exception, an array that differs, a call that runs
too long) into one deterministic sentence a learner can act on. No machine paths are ever
printed: a failing line is named by its function, its line number within the notebook cell (or
file) and its source text.
"""

from __future__ import annotations

import linecache
import os
import re
import signal
import sys
import sysconfig
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])  # .../rnnbook
_LIBRARY_DIRS = tuple(
    str(Path(p).resolve())
    for p in {
        sysconfig.get_paths().get("stdlib"),
        sysconfig.get_paths().get("platstdlib"),
    }
    if p
)
_MAX_MESSAGE = 240


class TimeLimitExceeded(BaseException):
    """Raised inside the learner's code by SIGALRM when a call runs past its time limit.

    It derives from BaseException so that a learner's ``except Exception:`` cannot swallow it.
    """


@contextmanager
def time_limit(seconds: float | None):
    """Raise TimeLimitExceeded in the current code if it runs longer than ``seconds``.

    Uses ``signal.setitimer`` (SIGALRM), which only works in the main thread of a POSIX process.
    Anywhere else (Windows, a worker thread) the block simply runs without a limit.
    The timer re-fires every 0.5 s after the first expiry, so code that swallows the first
    TimeLimitExceeded (a bare ``except:``) and then runs on is stopped again. (A bare ``except:``
    inside an endless loop does defeat it; the grader's per-notebook time-out covers that case.)
    """
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def _on_alarm(signum, frame):
        raise TimeLimitExceeded()

    try:
        previous_handler = signal.signal(signal.SIGALRM, _on_alarm)
    except (ValueError, OSError):  # not allowed here: run without a limit
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, float(seconds), 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)


# --------------------------------------------------------------------------------------------
# Exceptions: where in the learner's code did it happen?


def _is_library_file(filename: str) -> bool:
    if not filename or filename.startswith(
        ("<frozen", "<rnnbook_box")
    ):  # the grader's own code
        return True
    try:
        resolved = str(Path(filename).resolve())
    except (OSError, ValueError):
        return False
    if resolved.startswith(_PACKAGE_DIR + os.sep):
        return True
    if "site-packages" in resolved or "dist-packages" in resolved:
        return True
    return any(resolved.startswith(d + os.sep) for d in _LIBRARY_DIRS)


def _is_package_file(filename: str) -> bool:
    try:
        return str(Path(filename).resolve()).startswith(_PACKAGE_DIR + os.sep)
    except (OSError, ValueError):
        return False


def learner_location(tb) -> str:
    """Describe the deepest traceback frame that belongs to the learner, or return ''.

    The learner's frame is the deepest one that is neither inside the ``rnnbook`` package nor in
    an installed library or the standard library; failing that, the deepest one outside
    ``rnnbook``. The result reads ``in `f`, line 3 of its cell: `return x @ W```.
    """
    frames = []
    while tb is not None:
        frames.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    chosen = None
    for frame, lineno in reversed(frames):
        if not _is_library_file(frame.f_code.co_filename):
            chosen = (frame, lineno)
            break
    if chosen is None:
        for frame, lineno in reversed(frames):
            if not _is_package_file(frame.f_code.co_filename):
                chosen = (frame, lineno)
                break
    if chosen is None:
        return ""
    frame, lineno = chosen
    code = frame.f_code
    where = (
        "at the top level of a cell"
        if code.co_name == "<module>"
        else f"in `{code.co_name}`"
    )
    text = linecache.getline(code.co_filename, lineno, frame.f_globals).strip()
    if code.co_name == "<module>":
        unit = "the cell"
    else:
        unit = "its cell" if _looks_like_cell(code.co_filename) else "its file"
    line = f"{where}, line {lineno} of {unit}"
    if text:
        line += f": `{shorten(text, 120)}`"
    return line


def _looks_like_cell(filename: str) -> bool:
    """IPython compiles a cell as <tempdir>/ipykernel_123/456.py or <ipython-input-...>."""
    return (
        "ipykernel" in filename
        or filename.startswith("<ipython-input")
        or filename.startswith("<cell")
    )


_CELL_PATH = re.compile(
    r"""(?:/[^\s'"/]+)*/ipykernel_\d+/\d+\.py|<ipython-input-[^>]*>"""
)
_LONG_PATH = re.compile(r"""(?:/[^\s'"/:]+){2,}/([^\s'"/:]+)""")


def hide_paths(text: str) -> str:
    """Replace machine paths: cell files by 'your cell', other paths by their file name."""
    return _LONG_PATH.sub(r"\1", _CELL_PATH.sub("your cell", text))


def describe_exception(exc: BaseException) -> str:
    """``ValueError: shapes do not match`` plus where it happened in the learner's code."""
    message = hide_paths(str(exc).strip().replace("\n", " / "))
    text = type(exc).__name__ + (
        f": {shorten(message, _MAX_MESSAGE)}" if message else ""
    )
    location = learner_location(exc.__traceback__)
    return f"{text} ({location})" if location else text


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------
# Numbers and arrays


def fmt(x) -> str:
    """A short, deterministic rendering of a number (4 significant digits)."""
    try:
        if isinstance(x, (bool, np.bool_)):
            return str(bool(x))
        if isinstance(x, (int, np.integer)):
            return str(int(x))
        if isinstance(x, (complex, np.complexfloating)):
            return f"{complex(x):.4g}"
        return f"{float(x):.4g}"
    except (TypeError, ValueError):
        return shorten(repr(x), 80)


def fmt_index(index) -> str:
    return (
        "(" + ", ".join(str(int(i)) for i in index) + ")"
        if len(index) != 1
        else f"({int(index[0])},)"
    )


def shape_of(value):
    """The shape of an array-like, or None when it is not array-like."""
    if isinstance(value, np.ndarray):
        return value.shape
    if hasattr(value, "shape") and isinstance(getattr(value, "shape"), tuple):
        return tuple(value.shape)
    try:
        arr = np.asarray(value)
    except Exception:
        return None
    if arr.dtype == object:
        return None
    return arr.shape


def type_name(value) -> str:
    if value is None:
        return "None"
    remote = getattr(type(value), "_rnnbook_remote", False) and getattr(
        value, "_rnnbook_type_name", None
    )
    if remote:  # a value that stayed in the learner's process (the grader)
        return remote
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def compare_arrays(got, expected, what: str, rtol: float, atol: float) -> str | None:
    """Return None if ``got`` matches ``expected`` within tolerances, else the reason."""
    if got is None:
        return f"{what} is None (did you forget `return`?)"
    try:
        g = np.asarray(got)
    except Exception:
        return f"{what} should be an array, got {type_name(got)}"
    e = np.asarray(expected)
    if g.dtype == object or not (np.issubdtype(g.dtype, np.number) or g.dtype == bool):
        return f"{what} should hold numbers, got {type_name(got)} with dtype {g.dtype}"
    if g.shape != e.shape:
        return f"wrong shape for {what}: expected {e.shape}, got {g.shape}"
    g = g.astype(np.complex128 if np.iscomplexobj(g) else np.float64)
    e = e.astype(np.complex128 if np.iscomplexobj(e) else np.float64)
    bad = ~np.isfinite(g) & np.isfinite(e)
    if bad.any():
        first = np.argwhere(bad)[0]
        kind = "NaN" if np.isnan(g[tuple(first)]) else "inf"
        where = f" at index {fmt_index(first)}" if g.ndim else ""
        return (
            f"{what} contains {kind}{where} "
            f"({int(bad.sum())} of {g.size} entries are NaN or inf)"
        )
    with np.errstate(all="ignore"):
        abs_err = np.abs(g - e)
        abs_err = np.where(np.isfinite(e) | np.isfinite(g), abs_err, 0.0)
        abs_err = np.nan_to_num(abs_err, nan=np.inf)
        ok = abs_err <= atol + rtol * np.abs(e)
        if ok.all():
            return None
        rel_err = abs_err / np.maximum(np.abs(e), np.finfo(np.float64).tiny)
    worst = np.unravel_index(int(np.argmax(abs_err)), abs_err.shape) if g.ndim else ()
    n_bad = int((~ok).sum())
    detail = f"max abs error {fmt(abs_err[worst])}"
    if g.ndim:
        detail += f" at index {fmt_index(worst)}"
    detail += f" (got {fmt(g[worst])}, expected {fmt(e[worst])}), "
    detail += f"max rel error {fmt(np.max(rel_err))}"
    if g.ndim:
        detail += f"; {n_bad} of {g.size} entries differ"
    return f"wrong values for {what}: {detail}"


def _same_torch(torch, a, b):
    """same_value for tensors and modules (a module's state_dict); None if neither is one."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            return False
        return (
            a.shape == b.shape
            and a.dtype == b.dtype
            and bool(torch.equal(a.detach(), b.detach()) or _both_nan(torch, a, b))
        )
    if isinstance(a, torch.nn.Module):
        if getattr(b, "_rnnbook_module_state", False):  # from the learner's process
            after = b.state
        elif isinstance(b, torch.nn.Module) and type(a) is type(b):
            after = b.state_dict()
        else:
            return False
        before = a.state_dict()
        return before.keys() == after.keys() and all(
            _same_torch(torch, before[k], after[k]) for k in before
        )
    return None


def _both_nan(torch, a, b) -> bool:
    if not (a.is_floating_point() or a.is_complex()):
        return False
    a, b = a.detach(), b.detach()
    return bool(
        torch.equal(torch.isnan(a), torch.isnan(b))
        and torch.equal(torch.nan_to_num(a, nan=0.0), torch.nan_to_num(b, nan=0.0))
    )


def same_value(a, b) -> bool:
    """True if ``a`` and ``b`` hold the same data (used to detect mutated arguments)."""
    try:
        torch = sys.modules.get("torch")
        if torch is not None:
            same = _same_torch(torch, a, b)
            if same is not None:
                return same
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
                return False
            return (
                a.shape == b.shape
                and a.dtype == b.dtype
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
            )
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            return (
                type(a) is type(b)
                and len(a) == len(b)
                and all(same_value(x, y) for x, y in zip(a, b))
            )
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
        result = a == b
        if isinstance(result, (bool, np.bool_)):
            return bool(result) or (a != a and b != b)  # NaN == NaN for our purpose
        return True  # cannot tell: assume unchanged
    except Exception:
        return True
