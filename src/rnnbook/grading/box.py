"""The untrusted side of the grader: runs one learner's cells and serves calls to their code.

The grader (``rnnbook.grading.sandbox``) starts a fresh Python process per submission, inside
whatever sandbox the machine offers, and sends it this file's source (with ``feedback.py``) on
its command line; nothing of the grading package or of the exercise sets is imported there. The
process talks to the grader over its stdin/stdout pipes only; the learner's own output goes to
``/dev/null``. The tests themselves never run here: the grader asks for a call of the learner's
function, gets back plain data (numbers, strings, numeric arrays, tuples, lists, dicts) and judges
it in its own process. Code in the submission can therefore lie about what its functions return,
which earns nothing, but it cannot report points.

The same module provides the wire format for both sides (``encode``/``decode``, ``Channel``).
It imports only the standard library and numpy.
"""

from __future__ import annotations

import json
import os
import struct
import sys

import numpy as np

MAX_FRAME = (
    512 * 1024 * 1024
)  # bytes; a bigger message is refused (not read into memory)
MAX_DEPTH = 40
_NUMERIC_KINDS = "biufcSU"


class WireError(Exception):
    """A message that cannot be encoded or decoded."""


# --------------------------------------------------------------------------------------------
# Values <-> JSON plus binary buffers


class Encoder:
    """Turns a value into JSON-able data and a list of byte buffers.

    ``refer(obj)`` is called for anything that is not plain data (functions, objects); it returns
    the JSON form of a reference to it (a handle the other side can call or inspect).
    """

    def __init__(self, refer):
        self.refer = refer
        self.buffers: list[bytes] = []

    def __call__(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise WireError("the value is nested too deeply")
        if value is None or isinstance(value, (bool, str)):
            return value
        if type(value) is int:
            return value if abs(value) < 2**53 else {"t": "bigint", "v": str(value)}
        if type(value) is float:
            return {"t": "float", "v": repr(value)}
        if type(value) is complex:
            return {"t": "complex", "v": [repr(value.real), repr(value.imag)]}
        if isinstance(value, np.ndarray) and type(value) is np.ndarray:
            return self._array(value, "nd")
        if isinstance(value, np.generic) and value.dtype.kind in _NUMERIC_KINDS:
            return self._array(np.asarray(value), "np")
        if type(value) in (list, tuple, set, frozenset):
            kind = type(value).__name__
            return {"t": kind, "v": [self(v, depth + 1) for v in value]}
        if type(value) is dict:
            return {
                "t": "dict",
                "v": [
                    [self(k, depth + 1), self(v, depth + 1)] for k, v in value.items()
                ],
            }
        if type(value) is bytes:
            self.buffers.append(value)
            return {"t": "bytes", "b": len(self.buffers) - 1}
        return self.refer(value)

    def _array(self, arr: np.ndarray, tag: str):
        if arr.dtype.kind not in _NUMERIC_KINDS:
            raise WireError(f"arrays of dtype {arr.dtype} cannot be sent")
        self.buffers.append(arr.tobytes(order="C"))
        return {
            "t": tag,
            "dtype": arr.dtype.str,
            "shape": list(arr.shape),
            "b": len(self.buffers) - 1,
        }


class Decoder:
    """The inverse of ``Encoder``; ``resolve(data)`` turns a reference back into an object."""

    def __init__(self, buffers: list[bytes], resolve):
        self.buffers = buffers
        self.resolve = resolve

    def __call__(self, data, depth: int = 0):
        if depth > MAX_DEPTH + 2:
            raise WireError("message nested too deeply")
        if (
            data is None
            or isinstance(data, (bool, str, int))
            and not isinstance(data, float)
        ):
            return data
        if not isinstance(data, dict):
            raise WireError(f"unexpected {type(data).__name__} in a message")
        tag = data.get("t")
        if tag == "float":
            return float(data["v"])
        if tag == "bigint":
            return int(data["v"])
        if tag == "complex":
            return complex(float(data["v"][0]), float(data["v"][1]))
        if tag in ("nd", "np"):
            dtype = np.dtype(str(data["dtype"]))
            if dtype.kind not in _NUMERIC_KINDS or dtype.hasobject:
                raise WireError(f"refused dtype {dtype}")
            shape = tuple(int(s) for s in data["shape"])
            arr = (
                np.frombuffer(self.buffers[int(data["b"])], dtype=dtype)
                .reshape(shape)
                .copy()
            )
            return arr[()] if tag == "np" else arr
        if tag in ("list", "tuple", "set", "frozenset"):
            items = [self(v, depth + 1) for v in data["v"]]
            return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[
                tag
            ](items)
        if tag == "dict":
            return {self(k, depth + 1): self(v, depth + 1) for k, v in data["v"]}
        if tag == "bytes":
            return bytes(self.buffers[int(data["b"])])
        return self.resolve(data)


class Channel:
    """Length-prefixed messages: a JSON header and binary buffers, over two file descriptors."""

    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.deadline: float | None = (
            None  # time.monotonic() after which a read gives up
        )

    def send(self, header: dict, buffers: list[bytes] = ()) -> None:
        head = json.dumps(header).encode()
        sizes = struct.pack(
            f"<I{len(buffers)}Q", len(buffers), *[len(b) for b in buffers]
        )
        payload_len = 4 + len(head) + len(sizes) + sum(len(b) for b in buffers)
        if payload_len > MAX_FRAME:
            raise WireError(f"message of {payload_len} bytes is too large")
        parts = [struct.pack("<QI", payload_len, len(head)), head, sizes, *buffers]
        for part in parts:
            view = memoryview(part)
            while view:
                written = os.write(self.write_fd, view)
                view = view[written:]

    def _read_exact(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            if self.deadline is not None:
                import select
                import time

                wait = self.deadline - time.monotonic()
                if wait <= 0 or not select.select([self.read_fd], [], [], wait)[0]:
                    raise TimeoutError("no message in time")
            chunk = os.read(self.read_fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError("the other side closed the channel")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def receive(self) -> tuple[dict, list[bytes]]:
        payload_len, head_len = struct.unpack("<QI", self._read_exact(12))
        if payload_len > MAX_FRAME or head_len > payload_len:
            raise WireError(f"message of {payload_len} bytes is too large")
        header = json.loads(self._read_exact(head_len))
        (count,) = struct.unpack("<I", self._read_exact(4))
        if count > 100_000:
            raise WireError("too many buffers")
        sizes = (
            struct.unpack(f"<{count}Q", self._read_exact(8 * count)) if count else ()
        )
        if 4 + head_len + 4 + 8 * count + sum(sizes) != payload_len:
            raise WireError("inconsistent message sizes")
        buffers = [self._read_exact(s) for s in sizes]
        if not isinstance(header, dict):
            raise WireError("a message header must be an object")
        return header, buffers


# --------------------------------------------------------------------------------------------
# The learner's side (runs inside the sandbox)

# Attribute changes to these modules are reported as flags (they are how a submission would try
# to change the tests' behaviour if the tests ran in its process; here they only affect itself).
_WATCHED_MODULES = ("numpy", "builtins", "sys", "os", "io", "json", "IPython")


class _Interrupted(BaseException):
    """Raised in a learner's cell when the notebook's time budget runs out."""


class Box:
    def __init__(self, channel: Channel, feedback, workdir: str):
        self.channel = channel
        self.feedback = feedback
        self.workdir = os.path.realpath(workdir)
        self.objects: dict[int, object] = {}
        self.callbacks: dict[int, tuple[int, object]] = {}  # id(stub) -> (test function id, stub)
        self.cell = 0  # the cell being run (its number in the submitted notebook)
        self.phase = "cell"
        self.flags: list[tuple[str, str]] = []
        self.flagged: set[tuple[str, str]] = set()
        self.shell = None
        self.snapshot = self._snapshot()

    # -- flags ----------------------------------------------------------------------------------
    def flag(self, reason: str) -> None:
        where = f"code cell {self.cell}" if self.phase == "cell" else self.phase
        key = (where, reason)
        if key not in self.flagged and len(self.flagged) < 50:
            self.flagged.add(key)
            self.flags.append(key)

    def _snapshot(self) -> dict:
        snap = {}
        for name in _WATCHED_MODULES:
            module = sys.modules.get(name)
            if module is not None:
                snap[name] = {k: id(v) for k, v in list(vars(module).items())}
        snap["fds"] = (id(sys.stdout), id(sys.stderr))
        snap["hooks"] = self._hook_count()
        return snap

    def _hook_count(self) -> int:
        try:
            return (
                sum(len(v) for v in self.shell.events.callbacks.values())
                if self.shell
                else 0
            )
        except Exception:
            return 0

    def compare(self) -> None:
        """Flag changes to watched modules, sys.stdout/stderr and IPython's event hooks."""
        old, new = self.snapshot, self._snapshot()
        for name in _WATCHED_MODULES:
            before, after = old.get(name), new.get(name)
            if before is None or after is None:
                continue
            changed = sorted(
                k
                for k in after
                if k in before
                and after[k] != before[k]
                and not k.startswith("_")
                and k not in ("last_type", "last_value", "last_traceback", "ps1", "ps2")
            )
            changed += sorted(
                k for k in before if k not in after and not k.startswith("_")
            )
            if changed:
                shown = ", ".join(f"`{name}.{k}`" for k in changed[:5])
                self.flag(
                    f"replaced or deleted {shown} (an attribute of the `{name}` module)"
                )
        if new["fds"] != old["fds"]:
            self.flag("replaced sys.stdout or sys.stderr")
        if new["hooks"] > old["hooks"]:
            self.flag("registered an IPython event hook")
        self.snapshot = new

    def audit(self, event: str, args) -> None:
        try:
            if event == "open" and args and isinstance(args[0], (str, bytes)):
                path = os.fsdecode(args[0])
                mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
                self._check_path(path, mode)
            elif event in ("os.kill", "os.killpg"):
                self.flag("sent a signal to a process (os.kill)")
            elif event == "sys.addaudithook":
                self.flag("installed an audit hook")
            elif event == "import" and args and isinstance(args[0], str):
                if args[0].startswith(("rnnbook.grading", "rnnbook.exercise_sets")):
                    self.flag(
                        f"imported `{args[0]}` (grading internals or reference solutions)"
                    )
        except Exception:
            pass

    def _check_path(self, path: str, mode: str) -> None:
        if path.startswith("/proc/") and not path.startswith(
            ("/proc/self/", "/proc/thread-self/")
        ):
            self.flag("read files under /proc (information about other processes)")
            return
        full = os.path.realpath(os.path.join(self.workdir, path))
        if (
            full == self.workdir
            or full.startswith(self.workdir + os.sep)
            or full.startswith("/dev/")
        ):
            return
        if any(c in mode for c in "wax+"):
            if not full.startswith(("/tmp/", "/var/tmp/")):
                self.flag(
                    f"opened a file outside its working folder for writing ({full[-60:]})"
                )
        elif (
            full.endswith((".ipynb", ".csv"))
            or "/exercise_sets/" in full
            or "/grading/" in full
        ):
            self.flag(f"read a file outside its working folder ({full[-60:]})")

    # -- values ---------------------------------------------------------------------------------
    def _refer(self, obj):
        if id(obj) in self.callbacks:  # a test's own function, passed back: name it as such
            return {"t": "cb", "id": self.callbacks[id(obj)][0]}
        key = len(self.objects) + 1
        self.objects[key] = obj
        try:
            text = repr(obj)
        except BaseException:
            text = f"<{type(obj).__name__} object>"
        shape = getattr(obj, "shape", None)
        ref = {
            "t": "ref",
            "id": key,
            "type": type(obj).__name__,
            "repr": text[:200],
            "callable": callable(obj),
            "name": str(getattr(obj, "__name__", ""))[:80],
        }
        if callable(obj):
            try:
                import inspect

                ref["params"] = [str(p) for p in inspect.signature(obj).parameters][:50]
            except BaseException:
                pass
        if isinstance(shape, tuple) and all(isinstance(s, int) for s in shape):
            ref["shape"] = list(shape)
        if hasattr(obj, "__array__") and not callable(obj):
            try:
                arr = np.asarray(obj)
                if arr.dtype.kind in _NUMERIC_KINDS:
                    ref["array"] = True
                    self.objects[key] = arr
            except BaseException:
                pass
        return ref

    def encode(self, value) -> tuple[object, list[bytes]]:
        enc = Encoder(self._refer)
        data = enc(value)
        if isinstance(data, dict) and data.get(
            "array"
        ):  # an array-like (e.g. a tensor): send its data
            arr = self.objects[data["id"]]
            enc2 = Encoder(self._refer)
            return enc2(arr), enc2.buffers
        return data, enc.buffers

    def _resolve(self, data):
        if data.get("t") == "ref":
            return self.objects[int(data["id"])]
        if data.get("t") == "cb":
            return self._callback(int(data["id"]))
        raise WireError(f"unknown tag {data.get('t')!r}")

    def _callback(self, key: int):
        box = self

        def callback(*args, **kwargs):
            enc = Encoder(box._refer)
            head = {
                "op": "callback",
                "id": key,
                "args": enc(list(args)),
                "kwargs": enc(kwargs),
            }
            box.channel.send(head, enc.buffers)
            reply, buffers = box.channel.receive()
            if reply.get("op") == "cb_error":
                raise RuntimeError(
                    str(reply.get("message", "the test's function failed"))
                )
            return Decoder(buffers, box._resolve)(reply.get("value"))

        callback.__name__ = callback.__qualname__ = "test_function"
        self.callbacks[id(callback)] = (key, callback)  # keeps it alive, so the id stays unique
        return callback

    # -- running the notebook -------------------------------------------------------------------
    def setup(self) -> None:
        self._stub_modules()
        try:
            from IPython.core.interactiveshell import InteractiveShell

            self.shell = InteractiveShell.instance()
            self.namespace = self.shell.user_ns
        except (
            Exception
        ):  # IPython missing: plain exec (magics and shell escapes do not work)
            self.shell = None
            import __main__

            self.namespace = vars(__main__)

    @staticmethod
    def _stub_modules() -> None:
        """Stand-ins for ``rnnbook.grading`` and ``rnnbook.exercise_sets``.

        A notebook's setup cell imports ``check`` and ``summary``; here they do nothing (the
        tests run in the grader). The real packages, with the reference solutions, are not
        importable through these names (in the bubblewrap sandbox they are not there at all).
        """
        import types

        grading = types.ModuleType("rnnbook.grading")
        grading.__doc__ = "check/summary run in the grader, not in this process."
        grading.check = grading.summary = lambda *args, **kwargs: None
        sys.modules["rnnbook.grading"] = grading
        sys.modules["rnnbook.exercise_sets"] = types.ModuleType("rnnbook.exercise_sets")
        try:
            import rnnbook

            rnnbook.grading = grading
        except Exception:
            pass

    def run_cells(self, cells: list[dict], budget: float) -> dict:
        self.snapshot = self._snapshot()
        interrupted = None
        skipped = 0
        deadline = _monotonic() + budget
        for position, cell in enumerate(cells):
            self.cell = cell["n"]
            left = deadline - _monotonic()
            if left <= 0:
                interrupted = interrupted or cell["n"]
                skipped = len(cells) - position
                break
            self.channel.send({"op": "cell", "n": cell["n"]})
            error = self._run_one(cell, left)
            self.compare()
            if isinstance(error, _Interrupted):
                interrupted = cell["n"]
                skipped = len(cells) - position - 1
                break
        self.phase = "setup"
        return {"interrupted": interrupted, "skipped": skipped}

    def _run_one(self, cell: dict, seconds: float):
        import signal

        def on_alarm(signum, frame):
            raise _Interrupted()

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01), 0.5)
        error = None
        try:
            if self.shell is not None:
                result = self.shell.run_cell(
                    cell["src"], store_history=True, silent=False
                )
                error = result.error_in_exec or result.error_before_exec
            else:
                exec(
                    compile(cell["src"], f"<cell {cell['n']}>", "exec"), self.namespace
                )
        except (
            BaseException
        ) as exc:  # the alarm landing outside the cell's own code, or exit()
            error = exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return error

    def lookup(self, name: str):
        if name not in self.namespace:
            return {"op": "missing"}, []
        data, buffers = self.encode(self.namespace[name])
        return {"op": "value", "value": data}, buffers

    def call(self, msg: dict, buffers: list[bytes]):
        fb = self.feedback
        fn = self.objects.get(int(msg["ref"]))
        decode = Decoder(buffers, self._resolve)
        args, kwargs = decode(msg["args"]), decode(msg["kwargs"])
        self.phase = f"a call of `{getattr(fn, '__name__', '?')}` by the tests"
        limit = msg.get("limit")
        try:
            import warnings

            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                with fb.time_limit(limit):
                    result = fn(*args, **kwargs)
        except fb.TimeLimitExceeded:
            return {"op": "timeout"}, []
        except BaseException as exc:
            described = fb.describe_exception(exc)
            location = fb.learner_location(exc.__traceback__)
            return {
                "op": "raised",
                "description": described,
                "location": location,
                "not_implemented": isinstance(exc, NotImplementedError),
            }, []
        finally:
            self.compare()
        try:
            data, out = self.encode([result, list(args), kwargs])
        except WireError as exc:
            return {"op": "unsendable", "message": str(exc)}, []
        return {"op": "result", "value": data}, out

    def getattr(self, msg: dict):
        obj = self.objects.get(int(msg["ref"]))
        try:
            value = getattr(obj, str(msg["name"]))
        except BaseException as exc:
            return {
                "op": "raised",
                "description": self.feedback.describe_exception(exc),
                "location": "",
                "not_implemented": False,
            }, []
        data, buffers = self.encode(value)
        return {"op": "value", "value": data}, buffers

    def serve(self) -> None:
        while True:
            msg, buffers = self.channel.receive()
            op = msg.get("op")
            if op == "run":
                outcome = self.run_cells(msg["cells"], float(msg["budget"]))
                self.channel.send({"op": "ran", **outcome, "flags": self.flags})
                continue
            if op == "lookup":
                reply, out = self.lookup(str(msg["name"]))
            elif op == "call":
                reply, out = self.call(msg, buffers)
            elif op == "getattr":
                reply, out = self.getattr(msg)
            elif op == "exit":
                return
            else:
                reply, out = {"op": "error", "message": f"unknown op {op!r}"}, []
            reply["flags"] = self.flags
            self.phase = "setup"
            self.channel.send(reply, out)


def _monotonic() -> float:
    import time

    return time.monotonic()


def main(feedback) -> None:
    """Entry point inside the sandbox: take over fds 0 and 1 as the channel, then serve."""
    read_fd, write_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    channel = Channel(read_fd, write_fd)
    box = Box(channel, feedback, os.getcwd())
    box.setup()
    sys.addaudithook(box.audit)
    channel.send({"op": "ready"})
    try:
        box.serve()
    except EOFError:
        pass
    os._exit(0)
