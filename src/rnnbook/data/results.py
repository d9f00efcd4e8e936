"""Benchmark results that ship with the package, so that chapters plot them anywhere.

The scripts in the repository's ``benchmarks/`` folder time things that take minutes or need
a quiet machine (or a GPU), and write their results as JSON into ``rnnbook/data/benchmarks/``
with the device, date, thread counts and the machine's load. The chapters read them with
``load_benchmark``, in a checkout, in a wheel install and on Colab alike.
"""

from __future__ import annotations

import json
from importlib import resources


def available_benchmarks() -> list[str]:
    """Names (file names without ``.json``) of the benchmark results in this package."""
    folder = resources.files("rnnbook.data").joinpath("benchmarks")
    return sorted(
        p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json")
    )


def load_benchmark(name: str) -> dict:
    """The committed result ``name``, e.g. ``"scan_cpu"`` for ``benchmarks/bench_scan.py``."""
    names = available_benchmarks()
    if name not in names:
        raise ValueError(f"name must be one of {names}, got {name!r}")
    path = resources.files("rnnbook.data").joinpath("benchmarks", f"{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))
