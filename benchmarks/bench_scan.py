"""Parallel scans vs the sequential loop for h_t = a_t * h_{t-1} + b_t in PyTorch (chapter 17).

Usage (from the repository root)::

    python benchmarks/bench_scan.py                # CPU
    python benchmarks/bench_scan.py --device cuda --out src/rnnbook/data/benchmarks/scan_gpu.json

The CPU run writes src/rnnbook/data/benchmarks/scan_cpu.json, which chapter 17 reads.

For every T the same float32 inputs ``a`` (in (0.5, 1)), ``b`` (positive, so that the log-space
form applies) of shape (N, T, H) go through each method; the best of ``--repeats`` runs is
kept, for the forward pass alone and for forward + backward (the gradient of ``h.sum()``).
Before timing, every method's output is compared with the loop's. The JSON records the machine
(device, threads, load average before and after) because on a shared machine the absolute
times move with the load; ratios measured in one run are the numbers to read.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import torch
from results_folder import RESULTS

from rnnbook.frameworks.torch_scan import (
    linear_recurrence_chunked,
    linear_recurrence_log,
    linear_recurrence_loop,
    linear_recurrence_scan,
)

METHODS = {
    "loop": lambda a, b: linear_recurrence_loop(a, b),
    "hillis_steele": lambda a, b: linear_recurrence_scan(a, b, method="hillis_steele"),
    "blelloch": lambda a, b: linear_recurrence_scan(a, b, method="blelloch"),
    "chunked_64": lambda a, b: linear_recurrence_chunked(a, b, chunk=64),
    "log_space": lambda a, b: linear_recurrence_log(a.log(), b.log()).exp(),
}


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_method(fn, a, b, repeats, backward, device):
    best = float("inf")
    for _ in range(repeats):
        a_ = a.detach().requires_grad_(backward)
        b_ = b.detach().requires_grad_(backward)
        _sync(device)
        start = time.perf_counter()
        h = fn(a_, b_)
        if backward:
            h.sum().backward()
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=["1x64", "16x64"],
        help="state sizes N x H to measure (N sequences of H units)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (1: on a shared, loaded 2-core machine extra "
        "threads mostly wait for each other)",
    )
    parser.add_argument(
        "--T", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096, 8192, 16384]
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--max-elements",
        type=int,
        default=16 * 4096 * 64,
        help="skip sizes with N * T * H above this (Hillis-Steele's backward pass at "
        "N = 16, T = 16384 takes minutes per repeat on a CPU)",
    )
    parser.add_argument(
        "--out",
        default=str(RESULTS / "scan_cpu.json"),
    )
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    load_before = os.getloadavg()
    results = []
    sizes = [tuple(int(n) for n in size.split("x")) for size in args.sizes]
    skipped = []
    for (N, H), T in [(size, T) for size in sizes for T in args.T]:
        if N * T * H > args.max_elements:
            skipped.append({"N": N, "H": H, "T": T})
            continue
        a = (0.5 + 0.5 * torch.rand(N, T, H)).to(device)
        b = (0.01 + torch.rand(N, T, H)).to(device)
        row = {"N": N, "H": H, "T": T, "max_rel_error": {}}
        with torch.no_grad():
            ref = METHODS["loop"](a, b)
            for name, fn in METHODS.items():
                err = ((fn(a, b) - ref).abs().max() / ref.abs().max()).item()
                # float32: the log-space form loses about |sum log a| * 6e-8 relative
                # precision (a difference of two large logs), hence the loose bound.
                assert err < 1e-3, f"{name} differs from the loop at T={T}: {err:.2e}"
                row["max_rel_error"][name] = err
        row.update(forward_s={}, forward_backward_s={})
        for name, fn in METHODS.items():
            for key, backward in (("forward_s", False), ("forward_backward_s", True)):
                if backward:
                    seconds = time_method(fn, a, b, args.repeats, True, device)
                else:
                    with torch.no_grad():
                        seconds = time_method(fn, a, b, args.repeats, False, device)
                row[key][name] = seconds
        fwd = row["forward_s"]
        print(
            f"N={N:3d} H={H:3d} T={T:6d} loop {fwd['loop'] * 1e3:8.1f} ms | "
            + " ".join(
                f"{k} x{fwd['loop'] / v:6.1f}" for k, v in fwd.items() if k != "loop"
            )
        )
        results.append(row)
        write(args, device, load_before, results, skipped)
    print(f"wrote {args.out}")


def write(args, device, load_before, results, skipped):
    """Write the results so far (after every row: an interrupted run keeps its rows)."""
    record = {
        "description": "h_t = a_t * h_{t-1} + b_t, float32, best of repeats; ratios "
        "are loop time / method time",
        "date": datetime.date.today().isoformat(),
        "device": str(device)
        if device.type != "cuda"
        else torch.cuda.get_device_name(device),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "repeats": args.repeats,
        "max_elements": args.max_elements,
        "skipped": skipped,
        "results": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
