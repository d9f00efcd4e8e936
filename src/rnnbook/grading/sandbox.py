"""Starting a submission's process in the strongest sandbox the machine offers, and talking to it.

Three modes, chosen once per grader run (``--sandbox auto`` tries them in this order):

``bwrap``  bubblewrap: new PID, network, IPC and mount namespaces; run by root, the process
           switches to an unused unprivileged uid before anything else, otherwise it is uid
           65534 in a new user namespace. The process sees the
           Python installation, ``/usr``, ``/etc``, the ``rnnbook`` package without its
           ``grading`` and ``exercise_sets`` folders, an empty ``/tmp``, and its private working
           folder as ``/home/learner``; nothing else of the machine's files, no other process,
           no network.
``user``   the grader runs as root and bubblewrap is unusable: the process runs as an
           unprivileged uid with no supplementary groups in a private folder (mode 0700). It sees
           every file that is readable by "other" users.
``none``   the process runs as the grader's own user in a private folder. Nothing is enforced by
           the operating system; attacks are caught by design (the tests and the CSV never live
           in that process) or flagged.

In every mode the process starts in its own session with a stripped environment (no paths to the
submissions, the solutions or the output), behind a sacrificial parent process (so that
``os.kill(os.getppid(), ...)`` hits that parent), with a CPU-time limit it cannot raise.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from collections import OrderedDict
from pathlib import Path

from rnnbook.grading import box as wire

_HERE = Path(__file__).resolve().parent
HOME_IN_BOX = "/home/learner"
MODES = ("bwrap", "user", "none")
STARTUP_SECONDS = (
    120.0  # for the learner's process to start (not counted in its time limits)
)


def _drop_code(uid: int | None) -> str:
    return (
        ""
        if uid is None
        else f"import os; os.setgroups([]); os.setgid({uid}); os.setuid({uid})\n"
    )


def _boot_code(cpu_seconds: int, drop_to: int | None = None) -> str:
    """The program given to ``python -I -c``: limits, a sacrificial parent, then the box.

    ``drop_to``: a uid (and gid) to switch to before anything else (bubblewrap run by root).
    """
    feedback_src = (_HERE / "feedback.py").read_text(encoding="utf-8")
    box_src = (_HERE / "box.py").read_text(encoding="utf-8")
    return f"""{_drop_code(drop_to)}
import os, sys, types, resource
try:
    resource.setrlimit(resource.RLIMIT_CPU, ({cpu_seconds}, {cpu_seconds}))
except (ValueError, OSError):
    pass
pid = os.fork()
if pid:
    os.close(0); os.close(1)
    try:
        _, status = os.waitpid(pid, 0)
    except BaseException:
        os._exit(1)
    os._exit(os.waitstatus_to_exitcode(status) & 255)
def _load(name, src, file):
    module = types.ModuleType(name)
    module.__file__ = file
    sys.modules[name] = module
    exec(compile(src, "<" + name + ">", "exec"), module.__dict__)
    return module
_fb = _load("rnnbook_box_feedback", {feedback_src!r}, {str(_HERE / "feedback.py")!r})
_box = _load("rnnbook_box", {box_src!r}, {str(_HERE / "box.py")!r})
_box.main(_fb)
"""


def _clean_env(home: str) -> dict:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "TMPDIR": "/tmp",
        "PYTHONHASHSEED": "0",
    }
    for key, value in os.environ.items():  # thread counts and BLAS tuning only
        if key.startswith(("OPENBLAS_", "OMP_", "MKL_")):
            env[key] = value
    return env


def _python_roots() -> list[str]:
    """Folders the interpreter and its packages live in (bound read-only into bubblewrap)."""
    import site
    import sysconfig

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots.update(p for p in sysconfig.get_paths().values() if p)
    try:
        roots.update(site.getsitepackages())
    except AttributeError:  # pragma: no cover
        pass
    roots.add(str(Path(sys.executable).parent))
    try:
        roots.add(str(Path(os.path.realpath(sys.executable)).parent.parent))
    except OSError:  # pragma: no cover
        pass
    kept = sorted(r for r in roots if r and os.path.isdir(r) and r != "/")
    # Drop folders inside another kept folder.
    return [
        r for r in kept if not any(r != o and r.startswith(o + os.sep) for o in kept)
    ]


def _package_dir() -> Path:
    return _HERE.parent  # .../rnnbook


class Launcher:
    """How to start a box process in the chosen mode."""

    def __init__(self, mode: str, uid: int | None = None):
        self.mode = mode
        self.uid = uid

    def describe(self) -> str:
        who = (
            f"uid {self.uid}"
            if self.uid is not None
            else "uid 65534 in a user namespace"
        )
        return {
            "bwrap": f"bubblewrap as {who} (no other files, processes or network visible)",
            "user": f"unprivileged uid {self.uid} (sees files readable by other users)",
            "none": "same user as the grader (nothing enforced by the system; attacks are flagged)",
        }[self.mode]

    @property
    def drops_uid(self) -> bool:
        """bubblewrap started by root: the boot code switches to ``self.uid`` itself."""
        return self.mode == "bwrap" and self.uid is not None

    def command(self, workdir: str, cpu_seconds: int) -> tuple[list[str], str]:
        """The argv and the working folder as the process sees it.

        bubblewrap started by root: no user namespace; the process keeps only the capabilities
        to change its uid, and the boot code switches to ``self.uid`` before anything else.
        Started by another user: a user namespace in which the process is uid 65534.
        """
        drop = self.uid if self.drops_uid else None
        python = [sys.executable, "-I", "-c", _boot_code(cpu_seconds, drop)]
        if self.mode != "bwrap":
            return python, workdir
        pkg = _package_dir()
        args = ["bwrap", "--die-with-parent", "--new-session"]
        if self.drops_uid:
            args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
            args += [
                "--unshare-cgroup-try",
                "--cap-add",
                "CAP_SETUID",
                "--cap-add",
                "CAP_SETGID",
            ]
        else:
            args += ["--unshare-all", "--uid", "65534", "--gid", "65534"]
        made = {"/"}

        def bind(option: str, source: str, target: str) -> None:
            # Parent folders that bubblewrap creates must be traversable by the dropped uid.
            for parent in reversed(Path(target).parents):
                if str(parent) not in made:
                    args.extend(["--perms", "0755", "--dir", str(parent)])
                    made.add(str(parent))
            args.extend([option, source, target])
            made.add(target)

        bind("--ro-bind", "/usr", "/usr")
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"):
            if os.path.exists(top):
                bind("--ro-bind", top, top)
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        made.update({"/proc", "/dev", "/tmp"})
        for root in _python_roots():
            bind("--ro-bind", root, root)
        bind("--ro-bind", str(pkg), str(pkg))
        for hidden in ("grading", "exercise_sets"):
            if (pkg / hidden).is_dir():
                args += ["--tmpfs", str(pkg / hidden)]
        bind("--bind", workdir, HOME_IN_BOX)
        args += ["--chdir", HOME_IN_BOX, "--"]
        return args + python, HOME_IN_BOX

    def start(self, workdir: str, cpu_seconds: int) -> subprocess.Popen:
        argv, home = self.command(workdir, cpu_seconds)
        kwargs = dict(
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_clean_env(home),
            start_new_session=True,
            close_fds=True,
        )
        if self.mode == "bwrap":
            kwargs["cwd"] = "/"
        else:
            kwargs["cwd"] = workdir
        if self.mode == "user":
            kwargs.update(user=self.uid, group=self.uid, extra_groups=[], umask=0o077)
        return subprocess.Popen(argv, **kwargs)

    def prepare_workdir(self, workdir: str) -> None:
        os.chmod(workdir, 0o700)
        if self.uid is not None:
            for folder, dirs, files in os.walk(workdir):
                for name in [folder] + [os.path.join(folder, n) for n in dirs + files]:
                    os.chown(name, self.uid, self.uid)

    def kill(self, proc: subprocess.Popen) -> None:
        """Stop the box and everything it started."""
        for target in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
            try:
                target()
            except (ProcessLookupError, PermissionError, OSError):
                pass
        if (
            self.uid is not None
        ):  # also processes that left the session: all of that uid
            _kill_uid(self.uid)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass


def _kill_uid(uid: int) -> None:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


def _free_uid() -> int:
    used = {p.pw_uid for p in pwd.getpwall()}
    for uid in range(64_990, 60_000, -1):
        if uid not in used:
            return uid
    return 65534  # pragma: no cover


def _works(launcher: Launcher) -> str:
    """'' if a box starts in this mode and imports numpy, else why not."""
    import tempfile

    probe = "import numpy, sys; sys.stdout.write('ok')"
    with tempfile.TemporaryDirectory(prefix="rnnbook-probe-") as workdir:
        try:
            launcher.prepare_workdir(workdir)
            argv, home = launcher.command(workdir, 60)
            drop = _drop_code(launcher.uid if launcher.drops_uid else None)
            argv = argv[: argv.index("-c") + 1] + [drop + probe]
            kwargs = dict(
                capture_output=True,
                text=True,
                env=_clean_env(home),
                timeout=60,
                cwd="/" if launcher.mode == "bwrap" else workdir,
            )
            if launcher.mode == "user":
                kwargs.update(user=launcher.uid, group=launcher.uid, extra_groups=[])
            run = subprocess.run(argv, **kwargs)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"{type(exc).__name__}: {exc}"
        if run.stdout != "ok":
            return (
                run.stderr.strip().splitlines() or [f"exit status {run.returncode}"]
            )[-1][:200]
    return ""


def choose_launcher(requested: str = "auto") -> tuple[Launcher, list[str]]:
    """The launcher for ``requested`` (a mode, or ``auto``), and notes on skipped modes."""
    notes = []
    candidates = MODES if requested == "auto" else (requested,)
    for mode in candidates:
        if mode == "bwrap" and not shutil.which("bwrap"):
            notes.append("bwrap: bubblewrap is not installed")
            continue
        if mode == "user" and os.geteuid() != 0:
            notes.append("user: the grader is not running as root")
            continue
        as_root = os.geteuid() == 0
        own_uid = mode == "user" or (mode == "bwrap" and as_root)
        launcher = Launcher(mode, _free_uid() if own_uid else None)
        if mode == "none":
            return launcher, notes
        why = _works(launcher)
        if not why:
            return launcher, notes
        notes.append(f"{mode}: {why}")
    if requested != "auto":
        raise RuntimeError(
            f"sandbox mode {requested!r} is not usable here: {'; '.join(notes)}"
        )
    return Launcher("none"), notes  # pragma: no cover - "none" always works


# --------------------------------------------------------------------------------------------
# The grader's end of the conversation


class BoxDied(Exception):
    pass


class BoxTimeout(Exception):
    pass


class Remote:
    """A value that stayed in the submission's process (a function, an object)."""

    _rnnbook_remote = True

    def __init__(self, session: "Session", data: dict):
        self._session = session
        self._generation = session.generation
        self._id = int(data["id"])
        self._type = str(data.get("type", "object"))[:80]
        self._repr = str(data.get("repr", ""))[:200]
        name = data.get("name")
        self.__name__ = str(name)[:80] if isinstance(name, str) and name else self._type
        params = data.get("params")
        if isinstance(params, list) and all(isinstance(p, str) for p in params):
            self._rnnbook_params = params
        if isinstance(data.get("shape"), list):
            self.shape = tuple(int(s) for s in data["shape"])

    # what feedback.type_name prints
    @property
    def _rnnbook_type_name(self) -> str:
        return f"{'an' if self._type[:1].lower() in 'aeiou' else 'a'} {self._type}"

    def __repr__(self) -> str:
        return self._repr

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __getattr__(self, name: str):
        if name.startswith("__") or name.startswith("_rnnbook") or name == "shape":
            raise AttributeError(name)
        return self._session.getattr(self, name)

    def _rnnbook_remote_call(self, args, kwargs, limit, forbidden=()):
        return self._session.call(self, args, kwargs, limit, forbidden)

    def __call__(self, *args, **kwargs):
        outcome = self._session.call(self, args, kwargs, None)
        if outcome["kind"] == "result":
            return outcome["value"]
        raise RuntimeError(outcome.get("description", outcome["kind"]))


def _widen_pipe(fd: int) -> None:
    """Give a pipe a 1 MiB buffer (Linux; default 64 KiB): big arrays cross in fewer switches
    between the two processes, which matters on a loaded machine (and for timed tests)."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass


def _by_value(obj) -> bool:
    """Objects of the tests that the learner's code gets a copy of (pickled), not a handle.

    Torch modules (``nn.GRU``, a test's own ``nn.Module`` subclass), and the non-callable
    objects of numpy and torch (random generators).
    """
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, torch.nn.Module):
        return True
    top = str(getattr(type(obj), "__module__", "")).split(".")[0]
    return top in ("numpy", "torch") and not callable(obj)


def _replace(value, swap: dict, depth: int = 0):
    """``value`` with the objects whose id is in ``swap`` replaced (inside containers too)."""
    if id(value) in swap:
        return swap[id(value)]
    if depth > wire.MAX_DEPTH:
        return value
    if type(value) in (list, tuple, set, frozenset):
        return type(value)(_replace(v, swap, depth + 1) for v in value)
    if isinstance(value, dict) and type(value) in (dict, OrderedDict):
        return type(value)((k, _replace(v, swap, depth + 1)) for k, v in value.items())
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a packed sequence
        return type(value)(*(_replace(v, swap, depth + 1) for v in value))
    return value


class RemoteNamespace:
    """The notebook's variables, looked up one name at a time in the submission's process."""

    def __init__(self, session: "Session"):
        self._session = session

    def get(self, name, default=None):
        found, value = self._session.lookup(name)
        return value if found else default

    def __contains__(self, name) -> bool:
        return self._session.lookup(name)[0]

    def __getitem__(self, name):
        found, value = self._session.lookup(name)
        if not found:
            raise KeyError(name)
        return value


class Session:
    """One box process: run the learner's cells, then answer the tests' calls."""

    def __init__(self, launcher: Launcher, workdir: str, cpu_seconds: int):
        self.launcher = launcher
        self.workdir = workdir
        self.cpu_seconds = cpu_seconds
        self.proc: subprocess.Popen | None = None
        self.channel: wire.Channel | None = None
        self.generation = 0
        self.callbacks: list = []
        self.runtime_flags: list[tuple[str, str]] = []
        self.dead = ""
        self.hard_deadline: float | None = (
            None  # no reply is awaited past this (grading budget)
        )

    # -- process ----------------------------------------------------------------------------
    def start(self) -> None:
        self.generation += 1
        self.callbacks = []
        self.dead = ""
        self.proc = self.launcher.start(self.workdir, self.cpu_seconds)
        for stream in (self.proc.stdin, self.proc.stdout):
            _widen_pipe(stream.fileno())
        self.channel = wire.Channel(self.proc.stdout.fileno(), self.proc.stdin.fileno())
        # Starting Python and IPython is not the learner's time: wait for it separately.
        msg, _ = self._receive(time.monotonic() + STARTUP_SECONDS)
        if msg.get("op") != "ready":
            self._kill("died")
            raise BoxDied("no ready message")

    def close(self) -> None:
        if self.proc is None:
            return
        try:
            self.channel.send({"op": "exit"})
        except (OSError, wire.WireError):
            pass
        self.launcher.kill(self.proc)
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.proc = None

    def _kill(self, why: str) -> None:
        self.dead = why
        if self.proc is not None:
            self.launcher.kill(self.proc)

    def _receive(self, deadline: float | None):
        if self.hard_deadline is not None:
            deadline = (
                self.hard_deadline
                if deadline is None
                else min(deadline, self.hard_deadline)
            )
        self.channel.deadline = deadline
        while True:
            try:
                msg, buffers = self.channel.receive()
            except TimeoutError:
                self._kill("timeout")
                raise BoxTimeout() from None
            except (EOFError, OSError, ValueError, wire.WireError) as exc:
                self._kill("died")
                raise BoxDied(str(exc)) from None
            flags = msg.get("flags")
            if isinstance(flags, list):
                self.runtime_flags = [
                    (str(w)[:80], str(r)[:200])
                    for w, r in flags[:50]
                    if isinstance(w, str) and isinstance(r, str)
                ] or self.runtime_flags
            return msg, buffers

    # -- the notebook ---------------------------------------------------------------------------
    def run(self, cells: list[dict], budget: float) -> dict:
        """Run the cells; return {interrupted, skipped, killed_in, died_in, failed}."""
        try:
            self.start()
            self.channel.send({"op": "run", "cells": cells, "budget": budget})
        except (BoxDied, BoxTimeout, OSError):
            self._kill("died")
            return {
                "interrupted": None,
                "skipped": 0,
                "killed_in": None,
                "died_in": None,
                "failed": "the learner's process could not be started",
            }
        deadline = time.monotonic() + budget + 3.0
        current = None
        while True:
            try:
                msg, _ = self._receive(deadline)
            except BoxTimeout:
                return {
                    "interrupted": None,
                    "skipped": 0,
                    "killed_in": current,
                    "died_in": None,
                    "failed": "",
                }
            except BoxDied:
                return {
                    "interrupted": None,
                    "skipped": 0,
                    "killed_in": None,
                    "died_in": current,
                    "failed": "",
                }
            if msg.get("op") == "cell":
                current = msg.get("n")
            elif msg.get("op") == "ran":
                return {
                    "interrupted": msg.get("interrupted"),
                    "skipped": int(msg.get("skipped") or 0),
                    "killed_in": None,
                    "died_in": None,
                    "failed": "",
                }

    # -- values ---------------------------------------------------------------------------------
    def _decoder(self, buffers):
        def resolve(data):
            if data.get("t") == "ref":
                return Remote(self, data)
            if data.get("t") == "cb" and 0 <= int(data.get("id", -1)) < len(
                self.callbacks
            ):
                return self.callbacks[int(data["id"])]  # a test's function, passed back
            raise wire.WireError("unexpected tag")

        return wire.Decoder(buffers, resolve)

    def _encoder(self):
        def refer(obj):
            if isinstance(obj, Remote):
                if obj._session is not self or obj._generation != self.generation:
                    raise wire.WireError("a value from an earlier run of the notebook")
                return {"t": "ref", "id": obj._id}
            if _by_value(obj):
                data, classes = wire.pickle_by_value(obj)
                enc.buffers.append(data)
                return {"t": "pickled", "b": len(enc.buffers) - 1, "classes": classes}
            if callable(obj):
                self.callbacks.append(obj)
                return {"t": "cb", "id": len(self.callbacks) - 1}
            raise wire.WireError(
                f"cannot send a {type(obj).__name__} to the learner's code"
            )

        enc = wire.Encoder(refer)
        return enc

    def lookup(self, name: str):
        if self.dead:
            return False, None
        try:
            self.channel.send({"op": "lookup", "name": name})
            msg, buffers = self._receive(time.monotonic() + 30)
        except (BoxDied, BoxTimeout, OSError):
            return False, None
        if msg.get("op") != "value":
            return False, None
        try:
            return True, self._decoder(buffers)(msg.get("value"))
        except (wire.WireError, KeyError, ValueError, TypeError, IndexError):
            return False, None

    def getattr(self, remote: Remote, name: str):
        if self.dead or remote._generation != self.generation:
            raise AttributeError(name)
        self.channel.send({"op": "getattr", "ref": remote._id, "name": name})
        msg, buffers = self._receive(time.monotonic() + 30)
        if msg.get("op") != "value":
            raise AttributeError(f"{name}: {msg.get('description', '')}")
        return self._decoder(buffers)(msg.get("value"))

    def call(self, remote: Remote, args, kwargs, limit, forbidden=()) -> dict:
        """Call the learner's ``remote`` on ``args``; the outcome as a dict with ``kind``:

        ``result`` (``value``, ``args_after``), ``raised`` (``description``, ``location``,
        ``not_implemented``), ``timeout`` (``killed``), ``died``, ``unsendable`` (``description``);
        and ``forbidden_called``: which of the callables named in ``forbidden`` the call used
        (the learner's process records them, see ``box.Forbidden``).

        Tensors that require grad in ``args`` arrive as leaves; if the result depends on them,
        its tensors come back joined to them by ``_bridge``, so that autograd in the tests
        backpropagates through the learner's code (in the learner's process).
        """
        if self.dead or remote._generation != self.generation:
            return {"kind": "died"}
        enc = self._encoder()
        try:
            enc.track = True
            head = {
                "op": "call",
                "ref": remote._id,
                "args": enc(list(args)),
                "kwargs": enc(dict(kwargs)),
                "limit": limit,
                "forbidden": [str(n) for n in forbidden],
            }
        except wire.WireError as exc:
            return {
                "kind": "unsendable",
                "description": f"the test could not pass its arguments ({exc})",
            }
        grace = 2.0 + (0.5 * limit if limit else 0.0)
        deadline = None if limit is None else time.monotonic() + limit + grace
        try:
            self.channel.send(head, enc.buffers)
            while True:
                msg, buffers = self._receive(deadline)
                op = msg.get("op")
                if op != "callback":
                    break
                started = time.monotonic()
                self._answer_callback(msg, buffers)
                if deadline is not None:
                    deadline += time.monotonic() - started
        except BoxTimeout:
            return {"kind": "timeout", "killed": True}
        except (BoxDied, OSError):
            return {"kind": "died"}
        except (
            BaseException
        ):  # e.g. the tests' own time limit: the reply is lost, stop it
            self._kill("interrupted")
            raise
        wanted = {str(n) for n in forbidden}
        called = msg.get("forbidden_called")
        called = [
            n for n in (called if isinstance(called, list) else []) if n in wanted
        ]
        outcome = self._outcome(op, msg, buffers, enc.marked)
        outcome["forbidden_called"] = called
        return outcome

    def _outcome(self, op, msg: dict, buffers, inputs: list) -> dict:
        if op == "timeout":
            return {"kind": "timeout", "killed": False}
        if op == "raised":
            return {
                "kind": "raised",
                "description": str(msg.get("description", ""))[:600],
                "location": str(msg.get("location", ""))[:300],
                "not_implemented": bool(msg.get("not_implemented")),
            }
        if op == "unsendable":
            return {
                "kind": "unsendable",
                "description": "returned something that cannot be checked "
                f"({str(msg.get('message'))[:200]})",
            }
        if op != "result":
            return {
                "kind": "unsendable",
                "description": "the learner's process sent an unexpected reply",
            }
        try:
            decode = self._decoder(buffers)
            value = decode(msg.get("value"))
            result, args_after, kwargs_after = value
            outputs = [decode.marked[k] for k in sorted(decode.marked)]
            if inputs and outputs and isinstance(msg.get("graph"), int):
                result = self._bridge(msg["graph"], inputs, outputs, result)
        except (wire.WireError, ValueError, TypeError, KeyError, IndexError):
            return {
                "kind": "unsendable",
                "description": "the learner's process sent an unreadable reply",
            }
        return {
            "kind": "result",
            "value": result,
            "args_after": (tuple(args_after), kwargs_after),
        }

    def _bridge(self, graph: int, inputs: list, outputs: list, result):
        """Join the result's tensors ``outputs`` to the test's tensors ``inputs`` in autograd.

        A ``torch.autograd.Function`` whose forward hands back the outputs and whose backward
        asks the learner's process for the gradients (``Box.grad``).
        """
        import torch

        session, generation = self, self.generation

        class LearnersFunction(torch.autograd.Function):
            @staticmethod
            def forward(ctx, *tensors):
                return tuple(o.detach().clone() for o in outputs)

            @staticmethod
            def backward(ctx, *grads):
                found = session.backward(generation, graph, list(grads))
                if len(found) != len(inputs):
                    raise RuntimeError(
                        "the learner's process sent a wrong number of gradients"
                    )
                return tuple(found)

        joined = LearnersFunction.apply(*inputs)
        joined = joined if isinstance(joined, tuple) else (joined,)
        swap = {id(o): j for o, j in zip(outputs, joined)}
        return _replace(result, swap)

    def backward(self, generation: int, graph: int, grads: list) -> list:
        """Gradients of an earlier call's result, computed in the learner's process."""
        if self.dead or generation != self.generation:
            raise RuntimeError("the learner's process is gone; cannot backpropagate")
        enc = self._encoder()
        head = {"op": "grad", "graph": graph, "grads": enc(grads), "limit": 30}
        try:
            self.channel.send(head, enc.buffers)
            msg, buffers = self._receive(time.monotonic() + 35)
        except (BoxTimeout, BoxDied, OSError):
            raise RuntimeError(
                "backpropagating through the learner's result did not finish"
            ) from None
        except BaseException:
            self._kill("interrupted")
            raise
        if msg.get("op") != "value":
            what = msg.get("description") or msg.get("message") or msg.get("op")
            raise RuntimeError(
                f"backpropagating through the learner's result failed: {str(what)[:300]}"
            )
        found = self._decoder(buffers)(msg.get("value"))
        if not isinstance(found, list):
            raise RuntimeError("the learner's process sent unreadable gradients")
        return found

    def _answer_callback(self, msg: dict, buffers) -> None:
        try:
            fn = self.callbacks[int(msg["id"])]
            decode = self._decoder(buffers)
            args, kwargs = decode(msg.get("args")), decode(msg.get("kwargs"))
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise wire.WireError("bad arguments")
            value = fn(*args, **{str(k): v for k, v in kwargs.items()})
            enc = self._encoder()
            data = enc(value)
            self.channel.send({"op": "cb_result", "value": data}, enc.buffers)
        except Exception as exc:
            self.channel.send(
                {"op": "cb_error", "message": f"{type(exc).__name__}: {exc}"[:300]}
            )
