"""tools/notebook_times.py: the per-notebook time table and the budget that CI enforces."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebook_times  # noqa: E402

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="solutions.01_a.ipynb" name="Cell 0" time="100.5" />
<testcase classname="solutions.01_a.ipynb" name="Cell 1" time="90.0" />
<testcase classname="solutions.02_b.ipynb" name="Cell 0" time="3.0" />
<testcase classname="tests.test_x" name="test_y" time="500.0" />
</testsuite></testsuites>"""


def notebook(source: str):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return nb


@pytest.fixture
def book(tmp_path):
    """A book folder with a jupyter-cache holding two chapters and an exercise set."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(tmp_path / "_build" / ".jupyter_cache"))
    times = {"chapters/01_a": 95.0, "chapters/10_c": 120.0, "exercises/01_a": 2.0}
    for rel, seconds in times.items():
        path = tmp_path / f"{rel}.ipynb"
        path.parent.mkdir(exist_ok=True)
        nb = notebook(f"x = {seconds}")
        nbformat.write(nb, path)
        cache.cache_notebook_bundle(
            CacheBundleIn(nb, str(path), data={"execution_seconds": seconds}),
            check_validity=False,
        )
    # An outdated record of chapter 1 (its code changed since): not the current time.
    old = notebook("x = 'old version'")
    cache.cache_notebook_bundle(
        CacheBundleIn(
            old, str(tmp_path / "chapters/01_a.ipynb"), data={"execution_seconds": 1.0}
        ),
        check_validity=False,
    )
    (tmp_path / "nbval.xml").write_text(JUNIT)
    return tmp_path


def test_times_come_from_the_cache_record_of_the_current_notebook(book):
    times = notebook_times.times_from_cache(book / "_build" / ".jupyter_cache", book)
    assert times == {
        "chapters/01_a.ipynb": 95.0,
        "chapters/10_c.ipynb": 120.0,
        "exercises/01_a.ipynb": 2.0,
    }


def test_junit_times_are_summed_per_notebook(book):
    assert notebook_times.times_from_junit(book / "nbval.xml", book) == {
        "solutions/01_a.ipynb": 190.5,
        "solutions/02_b.ipynb": 3.0,
    }


def test_table_is_sorted_and_budget_enforced(book, capsys):
    args = ["--root", str(book), "--junit", str(book / "nbval.xml")]
    assert notebook_times.main(args) == 0  # without --enforce: report only
    assert notebook_times.main([*args, "--enforce"]) == 1  # 190.5 s > 180 s
    out = capsys.readouterr().out
    rows = [line.split()[-1] for line in out.splitlines() if ".ipynb" in line[:60]]
    assert rows[:5] == [
        "solutions/01_a.ipynb",
        "chapters/10_c.ipynb",
        "chapters/01_a.ipynb",
        "solutions/02_b.ipynb",
        "exercises/01_a.ipynb",
    ]
    # Chapter 1 (Parts I-II) is over its 90 s budget: a warning; chapter 10 is not held to it.
    assert "over the 90 s budget of Parts I-II chapters: chapters/01_a.ipynb\n" in out
    assert "over the 180 s limit for any notebook: solutions/01_a.ipynb" in out


def test_within_budget_passes(book):
    assert notebook_times.main(["--root", str(book), "--enforce"]) == 0


def test_no_times_fails_when_enforcing(tmp_path):
    assert notebook_times.main(["--root", str(tmp_path), "--enforce"]) == 1
