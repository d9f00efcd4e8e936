"""Time LSTM and GRU forward + backward in PyTorch (and our NumPy layers), float32, CPU or GPU.

    python benchmarks/bench_torch_layers.py [--repeats 10] [--threads 1] [--device cpu]
        [--compile] [--json results.json]

Problem size (issue 11): batch N = 64, T = 100 steps, D = 64 inputs, H = 128 hidden units.
For each cell type the same weights run as

- ``numpy``: ``rnnbook.scratch.lstm`` / ``gru`` forward and backward (CPU only),
- ``fused``: ``torch.nn.LSTM`` / ``torch.nn.GRU`` (cuDNN on a GPU),
- ``cell loop``: a Python loop over ``torch.nn.LSTMCell`` / ``GRUCell``,
- ``manual cell``: a loop over ``rnnbook.frameworks.torch_cells.ManualLSTMCell`` / ``GRUCell``,
- ``manual compiled`` (with ``--compile``): the same cell through ``torch.compile``, if it
  works on this machine (it needs a C++ compiler on the CPU; failures are reported, not fatal).

Each timing is the best of ``--repeats`` runs after one warm-up; the variants are timed in
turn within every repeat so that all see the same load on a shared machine. Printed: ms per
forward + backward and the ratio to the fastest. The Keras side lives in the Keras chapter's
benchmark, so that this script never imports TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch
from torch import nn

from rnnbook.frameworks.torch_cells import ManualGRUCell, ManualLSTMCell, unroll
from rnnbook.scratch.gru import gru_backward, gru_forward
from rnnbook.scratch.lstm import lstm_backward, lstm_forward


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--compile", action="store_true", help="also try torch.compile")
    parser.add_argument("--json", default=None, help="write the results to this file")
    for name, default in (("N", 64), ("T", 100), ("D", 64), ("H", 128)):
        parser.add_argument(f"--{name}", type=int, default=default)
    return parser.parse_args()


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def torch_variants(kind, args):
    """name -> function running one forward + backward pass on fixed inputs."""
    D, H, dev = args.D, args.H, args.device
    fused = (nn.LSTM if kind == "lstm" else nn.GRU)(D, H, batch_first=True).to(dev)
    cell = (nn.LSTMCell if kind == "lstm" else nn.GRUCell)(D, H).to(dev)
    manual = (ManualLSTMCell if kind == "lstm" else ManualGRUCell)(D, H).to(dev)
    weights = {k.removesuffix("_l0"): v for k, v in fused.state_dict().items()}
    cell.load_state_dict(weights)
    manual.load_state_dict(weights)
    x = torch.randn(args.N, args.T, D, device=dev)
    variants = {
        "fused": lambda: fused(x)[0].sum().backward(),
        "cell loop": lambda: unroll(cell, x)[0].sum().backward(),
        "manual cell": lambda: unroll(manual, x)[0].sum().backward(),
    }
    if args.compile:
        try:
            compiled = torch.compile(manual)
            unroll(compiled, x)[
                0
            ].sum().backward()  # compile now, not inside the timing
            variants["manual compiled"] = lambda: (
                unroll(compiled, x)[0].sum().backward()
            )
        except Exception as exc:  # no compiler, unsupported platform, ...
            print(f"torch.compile failed for {kind}: {type(exc).__name__}: {exc}"[:200])
    return variants, fused


def numpy_variant(kind, fused, args):
    rng = np.random.default_rng(0)
    p = [t.detach().cpu().numpy() for t in fused.parameters()]
    x = rng.standard_normal((args.N, args.T, args.D)).astype(np.float32)
    h0 = np.zeros((args.N, args.H), np.float32)
    dh = np.ones((args.N, args.T, args.H), np.float32)
    if kind == "lstm":
        b = p[2] + p[3]

        def run():
            _, cache = lstm_forward(x, h0, h0, p[0], p[1], b)
            lstm_backward(dh, cache)

    else:

        def run():
            _, cache = gru_forward(x, h0, *p)
            gru_backward(dh, cache)

    return run


def best_times(variants, repeats, device):
    for run in variants.values():  # warm-up
        run()
    best = {name: float("inf") for name in variants}
    for _ in range(repeats):
        for name, run in variants.items():
            sync(device)
            start = time.perf_counter()
            run()
            sync(device)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main():
    args = parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device_name = (
        torch.cuda.get_device_name() if args.device == "cuda" else platform.processor()
    )
    print(
        f"torch {torch.__version__} on {args.device} ({device_name or 'cpu'}), "
        f"{torch.get_num_threads()} threads; N={args.N} T={args.T} D={args.D} H={args.H}"
    )
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "device": args.device,
        "device_name": device_name,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "size": dict(N=args.N, T=args.T, D=args.D, H=args.H),
        "ms": {},
    }
    for kind in ("lstm", "gru"):
        variants, fused = torch_variants(kind, args)
        if args.device == "cpu":
            variants["numpy"] = numpy_variant(kind, fused, args)
        best = best_times(variants, args.repeats, args.device)
        fastest = min(best.values())
        print(f"{kind.upper():5} {'variant':16} {'ms':>8} {'ratio':>7}")
        for name, seconds in sorted(best.items(), key=lambda kv: kv[1]):
            print(f"{'':5} {name:16} {1000 * seconds:8.1f} {seconds / fastest:7.2f}")
        results["ms"][kind] = {k: round(1000 * v, 3) for k, v in best.items()}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
