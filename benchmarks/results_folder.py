"""Where the benchmark scripts of this folder write their JSON results.

The results are package data (``src/rnnbook/data/benchmarks/``), so that chapters can plot
them with ``rnnbook.data.results.load_benchmark`` wherever the package is installed. Scripts
write into the repository's source tree, never into an installed copy of the package.
"""

from pathlib import Path

RESULTS = (
    Path(__file__).resolve().parents[1] / "src" / "rnnbook" / "data" / "benchmarks"
)
