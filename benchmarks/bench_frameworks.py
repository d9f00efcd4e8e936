"""Time one LSTM and one GRU layer, forward + backward, in NumPy, PyTorch and Keras on the CPU.

    python benchmarks/bench_frameworks.py [--repeats 10] [--no-compile] [--out FILE.json]

(default output: src/rnnbook/data/benchmarks/frameworks_cpu.json, which chapter 12 reads)

Problem size (issue 11): batch N = 64, T = 100 steps, D = 64 inputs, H = 128 hidden units,
float32. The variants (``rnnbook.frameworks.timing`` says exactly what each one runs):

- our NumPy layer (``rnnbook.scratch``);
- PyTorch: the fused ``nn.LSTM``/``nn.GRU``, ``nn.LSTMCell``/``nn.GRUCell`` in a Python loop, the
  custom cell of chapter 10 (``torch_cells``) in eager mode and through ``torch.compile``;
- Keras: ``model.fit``, a ``GradientTape`` step under ``tf.function``, and the same step eager.

Each framework is timed in a process of its own, best of ``--repeats`` after a warm-up: NumPy
and PyTorch in fresh interpreters (``multiprocessing``'s "spawn"), Keras in
``rnnbook.frameworks.keras_worker`` (TensorFlow and PyTorch's CUDA build can crash in one
process). The thread pools of the libraries must not compete: with NumPy timed in PyTorch's
process, OpenBLAS's idle-spinning threads made the fused LSTM take 106 ms instead of 31-38 ms.
Prints a table of times and ratios to the fastest variant, and writes a JSON file with the
device, date, versions, thread counts and the machine's load average before and after (a shared
machine makes every time longer; ratios suffer less).
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from results_folder import RESULTS


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--N", type=int, default=64)
    parser.add_argument("--T", type=int, default=100)
    parser.add_argument("--D", type=int, default=64)
    parser.add_argument("--H", type=int, default=128)
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    parser.add_argument(
        "--out",
        default=str(RESULTS / "frameworks_cpu.json"),
    )
    return parser.parse_args()


def version(package: str) -> str | None:
    """Installed version of ``package`` without importing it (no TensorFlow here)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed(package)
    except PackageNotFoundError:
        return None


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def time_in_this_process(part: str, sizes: dict, repeats: int, compile: bool):
    """Time the ``part`` ("numpy" or "torch") variants of both layers; runs in a child."""
    from rnnbook.frameworks.timing import best_of, numpy_step, torch_steps

    results, threads = {}, None
    for kind in ("lstm", "gru"):
        if part == "numpy":
            steps = {"NumPy (rnnbook.scratch)": numpy_step(kind, **sizes)}
        else:
            built = torch_steps(kind, **sizes, compile=compile)
            steps = {f"PyTorch {name}": fn for name, fn in built.items()}
        results[kind] = best_of(steps, repeats)
    if part == "torch":
        import torch

        threads = torch.get_num_threads()
    return results, threads


def time_in_child(part: str, sizes: dict, repeats: int, compile: bool):
    pool = multiprocessing.get_context("spawn").Pool(1)
    try:
        return pool.apply(time_in_this_process, (part, sizes, repeats, compile))
    finally:
        pool.close()
        pool.join()


def main() -> None:
    args = parse_args()
    from rnnbook.frameworks.convert import run_keras_worker
    from rnnbook.frameworks.timing import ratio_table

    sizes = dict(N=args.N, T=args.T, D=args.D, H=args.H)
    load_before = os.getloadavg()
    start = time.time()
    results = {"lstm": {}, "gru": {}}
    torch_threads = None
    for part in ("numpy", "torch"):
        timings, threads = time_in_child(part, sizes, args.repeats, not args.no_compile)
        torch_threads = threads or torch_threads
        for kind in results:
            results[kind].update(timings[kind])
        print(f"{part} done ({time.time() - start:.0f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        meta, _, _ = run_keras_worker(
            tmp, "bench", meta=dict(**sizes, repeats=args.repeats)
        )
    for kind, timings in meta["results"].items():
        results[kind].update({f"Keras {k}": v for k, v in timings.items()})
    load_after = os.getloadavg()

    for kind, timings in results.items():
        fastest = min(r["best_ms"] for r in timings.values() if "best_ms" in r)
        for r in timings.values():
            if "best_ms" in r:
                r["ratio"] = r["best_ms"] / fastest
    report = dict(
        benchmark="forward + backward of one recurrent layer, float32, CPU",
        sizes=sizes,
        date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        device=cpu_name(),
        cpu_count=os.cpu_count(),
        torch_threads=torch_threads,
        versions=dict(
            python=platform.python_version(),
            numpy=np.__version__,
            torch=version("torch"),
            keras=version("keras"),
            tensorflow=version("tensorflow-cpu") or version("tensorflow"),
        ),
        keras_threads=meta["threads"],
        load_average_1_5_15min=dict(before=load_before, after=load_after),
        repeats=args.repeats,
        wall_s=round(time.time() - start, 1),
        results=results,
    )
    print("\n".join(ratio_table(results)))
    errors = {
        f"{k}/{v}": r["error"]
        for k, t in results.items()
        for v, r in t.items()
        if "error" in r
    }
    for name, err in errors.items():
        print(f"{name} failed: {err}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
