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
import tempfile
from collections import OrderedDict

import numpy as np

# Writing scratch files to the system's temporary folder is ordinary and never flagged.
_SCRATCH_DIRS = tuple(
    {os.path.join(os.path.realpath(tempfile.gettempdir()), ""), "/var/tmp/"}
)

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
        # Autograd across the pipe: while ``track`` is true, every tensor that requires grad
        # is numbered ("g") and kept in ``marked`` (see ``rnnbook.grading.sandbox``).
        self.track = False
        self.marked: list = []
        # The learner's side sends torch modules among the arguments after a call as a
        # snapshot of their state (for the tests' "changed its input" check).
        self.modules_as_state = False

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
        if type(value) in (dict, OrderedDict):
            return {
                "t": "dict" if type(value) is dict else "odict",
                "v": [
                    [self(k, depth + 1), self(v, depth + 1)] for k, v in value.items()
                ],
            }
        if type(value) is bytes:
            self.buffers.append(value)
            return {"t": "bytes", "b": len(self.buffers) - 1}
        torch = sys.modules.get("torch")
        if torch is not None and hasattr(torch, "Tensor"):
            data = self._torch(torch, value, depth)
            if data is not None:
                return data
        return self.refer(value)

    def _torch(self, torch, value, depth: int):
        """Torch tensors (as arrays), sizes, dtypes, devices and packed sequences; else None."""
        if type(value) in (torch.Tensor, torch.nn.Parameter):
            if value.layout != torch.strided or value.is_quantized or value.is_meta:
                raise WireError(f"{value.layout} tensors cannot be sent")
            data = value.detach()
            if data.device.type != "cpu":
                data = data.cpu()
            if data.is_conj():
                data = data.resolve_conj()
            carrier = _sent_as(torch, data.dtype)
            if carrier is None:
                raise WireError(f"tensors of dtype {data.dtype} cannot be sent")
            arr = data.to(carrier).contiguous().numpy()
            out = {
                "t": "tensor",
                "dtype": str(value.dtype).replace("torch.", ""),
                "a": self._array(arr, "nd"),
                "rg": bool(value.requires_grad),
                "param": type(value) is torch.nn.Parameter,
            }
            if self.track and value.requires_grad:
                self.marked.append(value)
                out["g"] = len(self.marked) - 1
            return out
        if type(value) is torch.Size:
            return {"t": "tsize", "v": [int(v) for v in value]}
        if type(value) is torch.dtype:
            return {"t": "tdtype", "v": str(value).replace("torch.", "")}
        if type(value) is torch.device:
            return {"t": "tdevice", "v": str(value)}
        rnn = sys.modules.get("torch.nn.utils.rnn")
        if rnn is not None and type(value) is getattr(rnn, "PackedSequence", None):
            return {"t": "packed", "v": [self(v, depth + 1) for v in value]}
        if self.modules_as_state and isinstance(value, torch.nn.Module):
            try:
                state = {str(k): v for k, v in value.state_dict().items()}
            except Exception:
                return None
            return {
                "t": "modstate",
                "type": type(value).__name__[:80],
                "v": self(state, depth + 1),
            }
        return None

    def _array(self, arr: np.ndarray, tag: str):
        if arr.dtype.kind not in _NUMERIC_KINDS:
            raise WireError(f"arrays of dtype {arr.dtype} cannot be sent")
        # the array's own memory (a flat byte view), not a copy: big arrays cross faster
        self.buffers.append(np.ascontiguousarray(arr).reshape(-1).view(np.uint8))
        return {
            "t": tag,
            "dtype": arr.dtype.str,
            "shape": list(arr.shape),
            "b": len(self.buffers) - 1,
        }


class Decoder:
    """The inverse of ``Encoder``; ``resolve(data)`` turns a reference back into an object."""

    def __init__(self, buffers: list[bytes], resolve, trusted: bool = False):
        self.buffers = buffers
        self.resolve = resolve
        self.marked: dict[int, object] = {}  # tensors numbered "g" by the encoder
        self.used: set[int] = set()  # buffers already turned into arrays
        # Only the learner's process decodes objects sent by value (pickles, from the grader);
        # the grader never unpickles anything (a pickle can run any code).
        self.trusted = trusted

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
            index = int(data["b"])
            buffer = self.buffers[index]
            arr = np.frombuffer(buffer, dtype=dtype).reshape(shape)
            # A buffer read from the pipe becomes the array's memory; anything else (or a
            # buffer named twice) is copied, so that no two values share memory.
            if not isinstance(buffer, bytearray) or index in self.used:
                arr = arr.copy()
            self.used.add(index)
            return arr[()] if tag == "np" else arr
        if tag in ("list", "tuple", "set", "frozenset"):
            items = [self(v, depth + 1) for v in data["v"]]
            return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[
                tag
            ](items)
        if tag in ("dict", "odict"):
            items = [(self(k, depth + 1), self(v, depth + 1)) for k, v in data["v"]]
            return dict(items) if tag == "dict" else OrderedDict(items)
        if tag == "modstate":
            state = self(data["v"], depth + 1)
            if not isinstance(state, dict):
                raise WireError("a module's state must be a dict")
            return ModuleState(str(data.get("type", "Module"))[:80], state)
        if tag == "pickled":
            if not self.trusted:
                raise WireError("refused an object sent by value")
            return _unpickle(self.buffers[int(data["b"])], data.get("classes") or [])
        if tag == "bytes":
            return bytes(self.buffers[int(data["b"])])
        if tag in ("tensor", "tsize", "tdtype", "tdevice", "packed"):
            return self._torch(tag, data, depth)
        return self.resolve(data)

    def _torch(self, tag: str, data: dict, depth: int):
        try:
            import torch
        except ImportError:
            raise WireError(
                "a torch value arrived, but torch is not installed"
            ) from None
        if tag == "tsize":
            return torch.Size([int(v) for v in data["v"]])
        if tag == "tdtype":
            return _torch_dtype(torch, data["v"])
        if tag == "tdevice":
            return torch.device(str(data["v"])[:40])
        if tag == "packed":
            items = [self(v, depth + 1) for v in data["v"]]
            if len(items) != 4:
                raise WireError("a packed sequence has four fields")
            return torch.nn.utils.rnn.PackedSequence(*items)
        dtype = _torch_dtype(torch, data["dtype"])
        arr = self(data["a"], depth + 1)
        if not isinstance(arr, np.ndarray):
            raise WireError("a tensor's data must be an array")
        tensor = torch.from_numpy(arr).to(dtype)
        requires_grad = bool(data.get("rg")) and (
            dtype.is_floating_point or dtype.is_complex
        )
        if data.get("param"):
            tensor = torch.nn.Parameter(tensor, requires_grad=requires_grad)
        elif requires_grad:
            tensor.requires_grad_(True)
        if requires_grad and "g" in data:
            self.marked[int(data["g"])] = tensor
        return tensor


# torch dtypes that can travel; bfloat16 travels as float32 (NumPy has no bfloat16)
_TORCH_DTYPES = (
    "float64", "float32", "float16", "bfloat16", "complex128", "complex64",
    "int64", "int32", "int16", "int8", "uint8", "bool",
)  # fmt: skip


def _sent_as(torch, dtype):
    """The torch dtype whose NumPy twin carries ``dtype``'s data; None if it cannot travel."""
    name = str(dtype).replace("torch.", "")
    if name not in _TORCH_DTYPES:
        return None
    return torch.float32 if name == "bfloat16" else dtype


def _torch_dtype(torch, name):
    """The torch dtype called ``name``; only the dtypes that can travel are accepted."""
    dtype = getattr(torch, str(name)[:20], None) if str(name).isidentifier() else None
    if not isinstance(dtype, torch.dtype) or _sent_as(torch, dtype) is None:
        raise WireError(f"refused torch dtype {str(name)[:20]!r}")
    return dtype


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

    def _read_exact(self, n: int) -> bytearray:
        data = bytearray(n)
        view, done = memoryview(data), 0
        while done < n:
            if self.deadline is not None:
                import select
                import time

                wait = self.deadline - time.monotonic()
                if wait <= 0 or not select.select([self.read_fd], [], [], wait)[0]:
                    raise TimeoutError("no message in time")
            got = os.readv(self.read_fd, [view[done : min(n, done + (1 << 24))]])
            if not got:
                raise EOFError("the other side closed the channel")
            done += got
        return data

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
# Forbidden helpers: used by ``check`` (in the notebook's process) and by the box alike


class ModuleState:
    """What a torch module among a call's arguments held after the call (its state_dict).

    ``feedback.same_value`` compares it with the module the tests passed.
    """

    _rnnbook_module_state = True

    def __init__(self, type_name: str, state: dict):
        self.type_name = type_name
        self.state = state

    def __repr__(self) -> str:
        return f"<state of a {self.type_name}>"


# --------------------------------------------------------------------------------------------
# Objects the tests pass by value (a torch module, a random generator): pickled by the grader,
# unpickled in the learner's process. Classes the learner's process cannot import (those of
# the exercise sets, which it must not see) travel as source, run there with the imports of
# their module (the modules and importable functions it names; nothing else of it).

_HIDDEN_PACKAGES = ("rnnbook.grading", "rnnbook.exercise_sets", "__main__")


def _hidden(module_name: str) -> bool:
    return any(
        module_name == h or module_name.startswith(h + ".") for h in _HIDDEN_PACKAGES
    )


def pickle_by_value(obj) -> tuple[bytes, list[dict]]:
    """The grader's side: pickle ``obj``; its hidden classes as source (see ``_unpickle``)."""
    import inspect
    import io
    import pickle
    import types

    classes: list[dict] = []
    seen: dict[int, int] = {}

    class Pickler(pickle.Pickler):
        def persistent_id(self, value):
            if not isinstance(value, type) or not _hidden(value.__module__):
                return None
            if id(value) not in seen:
                module = sys.modules.get(value.__module__)
                imports = {}
                for key, item in vars(module).items() if module else ():
                    if isinstance(item, types.ModuleType) and not _hidden(
                        item.__name__
                    ):
                        imports[key] = [item.__name__, ""]
                    elif (
                        callable(item)
                        and isinstance(getattr(item, "__module__", None), str)
                        and not _hidden(item.__module__)
                        and isinstance(getattr(item, "__qualname__", None), str)
                        and "<" not in item.__qualname__
                    ):
                        imports[key] = [item.__module__, item.__qualname__]
                try:
                    source = inspect.getsource(value)
                except (OSError, TypeError) as exc:
                    raise WireError(f"cannot send a {value.__name__}: {exc}") from None
                seen[id(value)] = len(classes)
                classes.append(
                    {"name": value.__name__, "src": source, "imports": imports}
                )
            return ("class", seen[id(value)])

    out = io.BytesIO()
    try:
        Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    except WireError:
        raise
    except Exception as exc:
        raise WireError(f"cannot send a {type(obj).__name__}: {exc}") from None
    return out.getvalue(), classes


def _unpickle(data: bytes, classes: list):
    """The learner's side of ``pickle_by_value``."""
    import importlib
    import io
    import pickle
    import textwrap

    made: dict[int, type] = {}

    def build(index: int) -> type:
        if index not in made:
            spec = classes[index]
            namespace = {"__name__": "rnnbook_test_objects"}
            for key, (module, qualname) in dict(spec.get("imports", {})).items():
                try:
                    value = importlib.import_module(module)
                    for part in qualname.split(".") if qualname else ():
                        value = getattr(value, part)
                    namespace[key] = value
                except Exception:
                    pass
            exec(
                compile(textwrap.dedent(spec["src"]), f"<test {spec['name']}>", "exec"),
                namespace,
            )
            made[index] = namespace[spec["name"]]
        return made[index]

    class Unpickler(pickle.Unpickler):
        def persistent_load(self, pid):
            if isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "class":
                return build(int(pid[1]))
            raise pickle.UnpicklingError("unknown persistent id")

    return Unpickler(io.BytesIO(data)).load()


def _resolve_dotted(dotted: str):
    """``"pkg.module.attr"`` -> (owner, "attr", value), importing the module part; else None."""
    import importlib

    parts = str(dotted).split(".")
    if len(parts) < 2 or not all(p.isidentifier() for p in parts):
        return None
    for cut in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:cut]))
        except Exception:  # not a module (or not installed): try a shorter prefix
            continue
        try:
            for part in parts[cut:-1]:
                owner = getattr(owner, part)
            return owner, parts[-1], getattr(owner, parts[-1])
        except AttributeError:
            return None
    return None


class Forbidden:
    """While the block runs, record calls of the callables named by dotted paths.

    Each named callable is replaced by a recording wrapper wherever it is bound: at the dotted
    path itself, in every loaded module of the same top-level package (re-exports such as
    ``rnnbook.scratch.lstm_backward``) and in the given namespaces (the learner's globals, where
    ``from module import name as alias`` put it). The wrappers call through, so the learner's
    code runs as usual; ``called`` lists the dotted names called, in order, without repeats.
    Everything is restored on exit. The grading package and the exercise sets are left alone.
    """

    _SKIPPED = ("rnnbook.grading", "rnnbook.exercise_sets", "rnnbook_box")

    def __init__(self, names, namespaces=()):
        self.names = [str(n) for n in names]
        self.namespaces = [ns for ns in namespaces if isinstance(ns, dict)]
        self.called: list[str] = []
        self._undo: list = []

    def _spy(self, dotted: str, original):
        called = self.called

        def forbidden_helper(*args, **kwargs):
            if dotted not in called:
                called.append(dotted)
            return original(*args, **kwargs)

        for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
            try:
                setattr(forbidden_helper, attr, getattr(original, attr))
            except (AttributeError, TypeError):
                pass
        return forbidden_helper

    def _set(self, owner, attr: str, value) -> None:
        had = attr in getattr(owner, "__dict__", {})
        old = getattr(owner, attr) if had else None
        try:
            setattr(owner, attr, value)
        except (AttributeError, TypeError):
            return
        self._undo.append((owner, attr, had, old))

    def __enter__(self):
        spies: dict[int, object] = {}  # id(original) -> its recording wrapper
        tops = set()
        for dotted in self.names:
            found = _resolve_dotted(dotted)
            if found is None or not callable(found[2]):
                continue  # nothing to call there (e.g. a framework that is not installed)
            owner, attr, original = found
            spy = spies.setdefault(id(original), self._spy(dotted, original))
            self._set(owner, attr, spy)
            tops.add(dotted.split(".")[0])
        if not spies:
            return self
        for name, module in list(sys.modules.items()):
            if name.split(".")[0] not in tops or name.startswith(self._SKIPPED):
                continue
            for key, value in list(getattr(module, "__dict__", {}).items()):
                if id(value) in spies and value is not spies[id(value)]:
                    self._set(module, key, spies[id(value)])
        for namespace in self.namespaces:
            for key, value in list(namespace.items()):
                if id(value) in spies:
                    self._undo.append((namespace, key, True, value))
                    namespace[key] = spies[id(value)]
        return self

    def __exit__(self, *exc) -> None:
        for owner, attr, had, old in reversed(self._undo):
            try:
                if isinstance(owner, dict):
                    owner[attr] = old
                elif had:
                    setattr(owner, attr, old)
                else:
                    delattr(owner, attr)
            except (AttributeError, TypeError):
                pass
        self._undo = []


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
        self.callbacks: dict[
            int, tuple[int, object]
        ] = {}  # id(stub) -> (test function id, stub)
        self.cell = 0  # the cell being run (its number in the submitted notebook)
        self.phase = "cell"
        self.flags: list[tuple[str, str]] = []
        self.flagged: set[tuple[str, str]] = set()
        self.shell = None
        self.snapshot = self._snapshot()
        # Autograd graphs of recent calls: id -> (outputs, leaves); see ``grad``.
        self.graphs: dict[int, tuple[list, list]] = {}
        self.graph_count = 0

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
            if not full.startswith(_SCRATCH_DIRS):
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
        if (
            id(obj) in self.callbacks
        ):  # a test's own function, passed back: name it as such
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

    def encode(self, value, enc: Encoder | None = None) -> tuple[object, list[bytes]]:
        enc = Encoder(self._refer) if enc is None else enc
        data = enc(value)
        if isinstance(data, dict) and data.get(
            "array"
        ):  # an array-like that is not a tensor: send its data
            arr = self.objects[data["id"]]
            data = enc(arr)
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
            return Decoder(buffers, box._resolve, trusted=True)(reply.get("value"))

        callback.__name__ = callback.__qualname__ = "test_function"
        self.callbacks[id(callback)] = (
            key,
            callback,
        )  # keeps it alive, so the id stays unique
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
        decode = Decoder(buffers, self._resolve, trusted=True)
        args, kwargs = decode(msg["args"]), decode(msg["kwargs"])
        leaves = [decode.marked[k] for k in sorted(decode.marked)]
        self.phase = f"a call of `{getattr(fn, '__name__', '?')}` by the tests"
        limit = msg.get("limit")
        names = msg.get("forbidden") or []
        names = [n for n in names if isinstance(n, str)][:50]
        spy = Forbidden(names, [self.namespace, getattr(fn, "__globals__", None)])
        try:
            import warnings

            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                with fb.time_limit(limit):
                    with spy:
                        result = fn(*args, **kwargs)
        except fb.TimeLimitExceeded:
            return {"op": "timeout", "forbidden_called": spy.called}, []
        except BaseException as exc:
            described = fb.describe_exception(exc)
            location = fb.learner_location(exc.__traceback__)
            return {
                "op": "raised",
                "description": described,
                "location": location,
                "not_implemented": isinstance(exc, NotImplementedError),
                "forbidden_called": spy.called,
            }, []
        finally:
            self.compare()
        try:
            enc = Encoder(self._refer)
            enc.track = bool(leaves)  # tensors of the result that autograd can reach
            first, _ = self.encode(result, enc)
            enc.track = False
            enc.modules_as_state = True
            rest = [enc(list(args)), enc(kwargs)]
            data = {"t": "list", "v": [first, *rest]}
        except WireError as exc:
            return {
                "op": "unsendable",
                "message": str(exc),
                "forbidden_called": spy.called,
            }, []
        reply = {"op": "result", "value": data, "forbidden_called": spy.called}
        if leaves and enc.marked:
            self.graph_count += 1
            self.graphs[self.graph_count] = (enc.marked, leaves)
            for old in [k for k in self.graphs if k <= self.graph_count - 32]:
                del self.graphs[old]
            reply["graph"] = self.graph_count
        return reply, enc.buffers

    def grad(self, msg: dict, buffers: list[bytes]):
        """Backpropagate through the graph of an earlier call (the tests' ``backward``).

        Returns the gradients with respect to the call's arguments that required grad, in the
        order they were sent (None where the result does not depend on one).
        """
        graph = self.graphs.get(int(msg.get("graph", -1)))
        if graph is None:
            return {"op": "error", "message": "no such autograd graph"}, []
        outputs, leaves = graph
        grads = Decoder(buffers, self._resolve, trusted=True)(msg.get("grads"))
        self.phase = "backpropagation through the learner's result by the tests"
        try:
            import torch

            with self.feedback.time_limit(msg.get("limit")):
                found = torch.autograd.grad(
                    outputs,
                    leaves,
                    grad_outputs=grads,
                    allow_unused=True,
                    retain_graph=True,
                )
        except self.feedback.TimeLimitExceeded:
            return {"op": "timeout"}, []
        except BaseException as exc:
            return {
                "op": "raised",
                "description": self.feedback.describe_exception(exc),
                "location": self.feedback.learner_location(exc.__traceback__),
                "not_implemented": False,
            }, []
        finally:
            self.compare()
        data, out = self.encode(list(found))
        return {"op": "value", "value": data}, out

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
            elif op == "grad":
                reply, out = self.grad(msg, buffers)
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
