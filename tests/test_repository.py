"""Repository-wide invariants of the notebooks: Colab set-up cells, TOC coverage, clean storage."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebook_setup  # noqa: E402

ALL_NOTEBOOKS = notebook_setup.notebooks()
MACHINE_PATH = re.compile(r"(/work/|/tmp/|/root/|/home/\w+/|[A-Z]:\\\\Users)")
# A path literal relative to the notebook ("../data.csv", './x.npy') breaks on Colab, where the
# notebook is opened alone; data must come from installed packages.
RELATIVE_PATH = re.compile(r"""['"]\.\.?/""")


def toc_files() -> set[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return {toc["root"]} | {
        c["file"] for part in toc["parts"] for c in part["chapters"]
    }


def test_notebooks_exist():
    assert any(p.parent.name == "chapters" for p in ALL_NOTEBOOKS)


@pytest.mark.parametrize(
    "path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_colab_setup_cell_is_current(path):
    nb = nbformat.read(path, as_version=4)
    source = notebook_setup.setup_cell_source(notebook_setup.repository_url())
    assert notebook_setup.is_current(nb, source), (
        f"{path.name}: first code cell is not the current Colab setup cell; "
        "run `python tools/notebook_setup.py`"
    )


def test_setup_cell_does_nothing_locally():
    source = notebook_setup.setup_cell_source("https://example.invalid/repo")
    result = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""


@pytest.mark.parametrize(
    "path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_notebook_is_portable(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        match = MACHINE_PATH.search(cell.source)
        assert not match, (
            f"{path.name} cell {i} mentions a machine path {match.group(0)!r}"
        )
        assert "os.chdir" not in cell.source, f"{path.name} cell {i} changes directory"
        if cell.cell_type == "code":
            rel = RELATIVE_PATH.search(cell.source)
            assert not rel, (
                f"{path.name} cell {i} uses a path relative to the notebook: {rel.group(0)!r}"
            )


@pytest.mark.parametrize(
    "path",
    [p for p in ALL_NOTEBOOKS if p.parent.name == "chapters"],
    ids=lambda p: p.name,
)
def test_chapters_are_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    with_outputs = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs
    ]
    assert not with_outputs, (
        f"{path.name}: cells {with_outputs} have stored outputs (the book executes chapters)"
    )


@pytest.mark.parametrize(
    "path",
    [p for p in ALL_NOTEBOOKS if p.parent.name in ("chapters", "exercises")],
    ids=lambda p: p.name,
)
def test_notebook_is_in_the_table_of_contents(path):
    rel = f"{path.parent.name}/{path.stem}"
    assert rel in toc_files(), f"{rel} is missing from _toc.yml"


def test_readme_local_instructions_have_jupyterlab():
    # README and book/how_to_use.md tell learners to run `.venv/bin/jupyter lab`.
    import importlib.util

    assert importlib.util.find_spec("jupyterlab") is not None, (
        "jupyterlab is not installed"
    )


MAX_CODE_LINE = (
    88  # what the book's code column shows without scrolling (ruff line-length)
)


@pytest.mark.parametrize(
    "path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_notebook_code_lines_fit_the_column(path):
    nb = nbformat.read(path, as_version=4)
    long_lines = [
        f"cell {i} line {j}: {len(line)} characters"
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for j, line in enumerate(cell.source.splitlines(), start=1)
        if len(line) > MAX_CODE_LINE
    ]
    assert not long_lines, (
        f"{path.name}: code lines longer than {MAX_CODE_LINE} characters "
        f"(run `ruff format`; split strings and comments by hand): {long_lines}"
    )


# Code that selects a GPU: such a notebook must be listed in book/how_to_use.md's GPU table,
# and every notebook listed there must select one, so the page stays true as chapters land.
SELECTS_GPU = re.compile(
    r"""torch\.cuda\.is_available|torch\.device\(\s*["']cuda|"""
    r"""list_physical_devices\(\s*["']GPU|torch\.backends\.mps"""
)


def test_gpu_notebooks_are_the_ones_documented():
    page = (ROOT / "book" / "how_to_use.md").read_text()
    section = page.split("(sec-how-to-gpu)=", 1)[1].split("\n## ", 2)[1]
    documented = set(re.findall(r"^\| \[`([\w/.-]+\.ipynb)`\]", section, re.MULTILINE))
    selecting = set()
    for path in ALL_NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        if SELECTS_GPU.search(code):
            selecting.add(f"{path.parent.name}/{path.name}")
    assert documented, "no GPU table found in book/how_to_use.md"
    assert selecting == documented, (
        f"notebooks that select a GPU {sorted(selecting)} differ from those listed in "
        f"book/how_to_use.md's table {sorted(documented)}"
    )


RECORDS = sorted(
    [
        *(ROOT / "src" / "rnnbook" / "data" / "checkpoints").iterdir(),
        *(ROOT / "src" / "rnnbook" / "data" / "benchmarks").glob("*.json"),
    ]
)


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.name)
def test_committed_logs_and_checkpoints_name_no_machine_path(path):
    """Logs and checkpoints travel with the package: a path of the machine that wrote them
    means nothing elsewhere (and leaks how that machine is laid out)."""
    # torch.save stores its pickle uncompressed inside the zip, so strings are visible as bytes
    data = path.read_bytes().decode("latin-1")
    match = MACHINE_PATH.search(data)
    assert not match, f"{path.name} holds the machine path {match.group(0)!r}"
