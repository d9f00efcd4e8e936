"""Print pip's options for PyTorch's CPU wheel index, or nothing if it cannot be reached.

    pip install $(python tools/torch_index.py https://download.pytorch.org/whl/cpu) torch

PyPI's Linux wheel of torch is the CUDA build (about 2 GB with its CUDA libraries and triton);
PyTorch's CPU index has the same version as ``+cpu`` (no CUDA). Given as an extra index, pip
prefers ``2.13.0+cpu`` over ``2.13.0`` for the pin ``torch==2.13.0``. Where the index cannot be
reached (a network that allows only PyPI), pip would retry it for every package it looks up;
this probe costs at most ``--timeout`` seconds once, says so on stderr, and pip then uses the
default index alone. Standard library only: it runs before the venv has anything installed.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request


def reachable(index: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(f"{index.rstrip('/')}/torch/", timeout=timeout):
            return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


def pip_options(index: str, timeout: float = 5.0) -> list[str]:
    if not index:
        return []
    if reachable(index, timeout):
        return ["--extra-index-url", index]
    print(
        f"[torch-index] {index} is unreachable: torch comes from the default index "
        "(on Linux that is the CUDA build unless your pip is configured otherwise)",
        file=sys.stderr,
    )
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", nargs="?", default="", help="index URL (empty: none)")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    print(" ".join(pip_options(args.index, args.timeout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
