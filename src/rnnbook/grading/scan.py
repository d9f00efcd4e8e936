"""Static flags: what a submission's source does that an instructor should look at.

The grader reads every code cell it runs (after removing check cells) and names, per cell, the
constructs a learner has no reason to write in an exercise notebook but that someone gaming a
grader would need: changing attributes of modules (numpy, builtins, sys, the grading package),
replacing ``sys.stdout``, IPython event hooks, raw writes to file descriptors, signals, reading
``/proc`` or files by absolute path, importing the grading package or the exercise sets (the
reference solutions), and dynamic code (``exec``, ``eval``, ``__import__``) that could hide all
of these. Flags never change points: they are printed in the CSV for the instructor to judge.
"""

from __future__ import annotations

import ast
import re

_MAGIC = re.compile(r"^(\s*)([%!].*)$", re.MULTILINE)
_SENSITIVE_MODULES = ("rnnbook.grading", "rnnbook.exercise_sets")
_DYNAMIC = {
    "exec",
    "eval",
    "compile",
    "__import__",
    "globals",
    "vars",
    "setattr",
    "delattr",
}
_PROCESS = {"kill", "killpg", "getppid", "abort", "fork", "setsid", "ptrace"}


def _python_source(source: str) -> str:
    """The cell with IPython magics and shell escapes commented out, so that it parses."""
    return _MAGIC.sub(lambda m: f"{m.group(1)}#{m.group(2)}", source)


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):  # get_ipython().events...
        inner = _dotted(node.func)
        if inner:
            parts.append(inner + "()")
            return ".".join(reversed(parts))
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, modules: dict[str, str]):
        self.modules = modules  # local name -> module it is bound to (notebook-wide)
        self.reasons: list[str] = []

    def add(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    def _module_of(self, dotted: str) -> str | None:
        root = dotted.split(".")[0]
        if root in ("__builtins__", "builtins"):
            return "builtins"
        return self.modules.get(root)

    def _import(self, module: str) -> None:
        if module.startswith(_SENSITIVE_MODULES):
            what = (
                "the reference solutions"
                if "exercise_sets" in module
                else "grading internals"
            )
            self.add(f"imports `{module}` ({what})")

    def visit_Import(self, node):
        for alias in node.names:
            self.modules[(alias.asname or alias.name).split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0]
            )
            self._import(alias.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        for alias in node.names:
            full = f"{module}.{alias.name}"
            self.modules[alias.asname or alias.name] = full
            if module == "rnnbook.grading" and alias.name in ("check", "summary"):
                continue
            self._import(full if module.startswith("rnnbook") else module)
        self.generic_visit(node)

    def _store(self, target) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                self._store(t)
            return
        if isinstance(target, ast.Starred):
            self._store(target.value)
            return
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            dotted = _dotted(
                target.value if isinstance(target, ast.Subscript) else target
            )
            if dotted is None:
                return
            module = self._module_of(dotted)
            if module is not None:
                if module == "sys" and dotted.split(".")[1:2] in (
                    ["stdout"],
                    ["stderr"],
                    ["__stdout__"],
                ):
                    self.add(f"replaces `{dotted}`")
                else:
                    self.add(f"assigns to `{dotted}` (part of `{module}`)")

    def visit_Assign(self, node):
        for target in node.targets:
            self._store(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._store(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._store(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for target in node.targets:
            self._store(target)
        self.generic_visit(node)

    def visit_Global(self, node):
        self.generic_visit(node)

    def visit_Call(self, node):
        dotted = _dotted(node.func) or ""
        last = dotted.split(".")[-1]
        module = self._module_of(dotted) if dotted else None
        if last in _DYNAMIC and (module in (None, "builtins") or last == "__import__"):
            if last in ("setattr", "delattr") and node.args:
                target = _dotted(node.args[0])
                if target and self._module_of(target):
                    self.add(
                        f"calls `{last}` on the module `{self._module_of(target)}`"
                    )
            elif last not in ("globals", "vars", "setattr", "delattr"):
                self.add(
                    f"runs dynamic code (`{last}`), which hides what it does from this scan"
                )
        if dotted.endswith("events.register"):
            self.add("registers an IPython event hook")
        if module in ("os", "posix") and last in ("write", "dup2", "dup", "fdopen"):
            self.add(f"writes to a raw file descriptor (`{dotted}`)")
        if module in ("os", "signal", "ctypes") and last in _PROCESS:
            self.add(f"signals or inspects other processes (`{dotted}`)")
        if (
            module
            and module.split(".")[0] in ("importlib", "ctypes", "gc", "inspect")
            and last
            in (
                "import_module",
                "reload",
                "CDLL",
                "get_objects",
                "get_referrers",
                "getsource",
                "getfile",
                "find_spec",
                "currentframe",
                "stack",
            )
        ):
            self.add(f"uses `{dotted}` (introspection or dynamic import)")
        if dotted in (
            "sys._getframe",
            "sys.settrace",
            "sys.setprofile",
            "sys.addaudithook",
        ):
            self.add(f"uses `{dotted}` (reaches into the interpreter)")
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr in (
            "__file__",
            "__path__",
            "__spec__",
            "__loader__",
        ) and self._module_of(_dotted(node.value) or ""):
            self.add(f"looks up where a module's files are (`{_dotted(node)}`)")
        if node.attr in (
            "f_globals",
            "f_locals",
            "f_back",
            "gi_frame",
            "tb_frame",
            "__globals__",
        ):
            self.add(f"reaches into stack frames or function globals (`.{node.attr}`)")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str):
            text = node.value
            if "/proc" in text:
                self.add("names `/proc` (information about other processes)")
            elif re.match(r"^(/|~|\.\./)", text) and not text.startswith("/dev/null"):
                self.add(f"names a path outside its working folder ({text[:40]!r})")
            elif (
                text.endswith((".ipynb", ".csv"))
                or "exercise_sets" in text
                or "rnnbook.grading" in text
            ):
                self.add(f"names a notebook, CSV or grading file ({text[:40]!r})")


def scan_cells(cells: list[dict]) -> list[tuple[str, str]]:
    """Flags for the cells (each ``{"n": number, "src": source}``), as (where, reason) pairs."""
    # Names a notebook usually binds to modules before the cell at hand.
    modules: dict[str, str] = {
        "np": "numpy",
        "numpy": "numpy",
        "os": "os",
        "sys": "sys",
        "builtins": "builtins",
        "rnnbook": "rnnbook",
    }
    flags = []
    for cell in cells:
        try:
            tree = ast.parse(_python_source(cell["src"]))
        except SyntaxError:
            continue
        scanner = _Scanner(modules)
        scanner.visit(tree)
        flags += [(f"code cell {cell['n']}", reason) for reason in scanner.reasons]
    return flags
