"""The package's folders follow the course, and lower layers never import higher ones.

Layers (CONTRIBUTING.md, "Package layout"): shapes < data < scratch < frameworks < plotting;
``grading`` imports nothing else from the package; ``exercise_sets`` may import anything.
Every ``import`` statement counts, including those inside functions.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "rnnbook"

# What each part of the package may import from rnnbook (besides itself).
ALLOWED = {
    "shapes": set(),
    "data": {"shapes"},
    "scratch": {"shapes", "data"},
    "frameworks": {"shapes", "data", "scratch"},
    "plotting": {"shapes", "data", "scratch", "frameworks"},
    "grading": set(),
    "grade": {"grading"},
    "exercise_sets": {"shapes", "data", "scratch", "frameworks", "plotting", "grading"},
    "__init__": set(),
}


def part_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_parts(path: Path) -> set[str]:
    parts = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            pieces = name.split(".")
            if pieces[0] == "rnnbook" and len(pieces) > 1:
                parts.add(pieces[1])
    return parts


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path):
    part = part_of(path)
    assert part in ALLOWED, f"{part}: a new top-level part; add it to CONTRIBUTING.md"
    forbidden = imported_parts(path) - ALLOWED[part] - {part}
    assert not forbidden, (
        f"{path.relative_to(PACKAGE)} ({part}) imports rnnbook.{sorted(forbidden)}, "
        f"which sits above it (allowed: {sorted(ALLOWED[part])})"
    )


def test_layer_rule_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from rnnbook.frameworks import torch_interop\n")
    assert imported_parts(bad) - ALLOWED["scratch"] == {"frameworks"}


def test_importing_the_package_imports_no_framework():
    code = (
        "import sys, rnnbook, rnnbook.shapes, rnnbook.scratch, rnnbook.data, rnnbook.grading;"
        "print(sorted(m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
