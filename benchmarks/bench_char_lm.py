"""Training throughput of the chapter 13 character language model, in characters/second.

    python benchmarks/bench_char_lm.py [--steps 10] [--threads 1 2] [--device cpu]
        [--cell lstm] [--hidden 320] [--layers 2] [--json FILE.json]

(default output: src/rnnbook/data/benchmarks/char_lm_cpu.json, which chapter 13 reads)

One training step is what ``rnnbook.frameworks.char_lm.train_char_lm`` does per update: a
forward pass of the ``CharLM`` over an ``(N, T)`` chunk from the carried (detached) state, the
cross-entropy, backward, gradient-norm clipping and an AdamW step. The default size is the
committed full configuration of ``scripts/train_char_lm.py`` (2-layer LSTM, H = 320, E = 64,
N = 64, T = 128, V = 75); the ids are random (speed does not depend on the text).

For each thread count: the median and best step time after ``--warmup`` steps, characters per
second = N * T / step time, and the rate of matrix arithmetic, GFLOP/s. A training step does
about 6 floating-point operations per weight of a matrix and per character (2 in the forward
product, 4 in the backward products for the input's and the weight's gradients), so
FLOP/char = 6 x (the number of weights in the layers' and the read-out's matrices); biases,
the embedding lookup, the gate nonlinearities and AdamW are left out of the count. The same
count for one fused ``nn.LSTM`` layer (``benchmarks/bench_frameworks.py``) is
6 x 4H(D + H) per sequence and step, which lets chapter 13 put the two rates side by side.
The JSON records the device, date, thread counts and the machine's load average (a shared
machine slows every step; compare runs only at similar load).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from results_folder import RESULTS

from rnnbook.frameworks.char_lm import CharLM, detach_state

DEFAULT_OUT = RESULTS / "char_lm_cpu.json"


def matrix_weights(model: torch.nn.Module) -> int:
    """Weights used in a matrix product once per character (not the embedding table)."""
    return sum(
        p.numel()
        for name, p in model.named_parameters()
        if p.dim() == 2 and not name.startswith("embedding")
    )


def time_steps(model, x, V, steps, warmup, device) -> list[float]:
    """Seconds per training step, for ``steps`` steps after ``warmup`` untimed ones."""
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3)
    state, times = None, []
    for step in range(warmup + steps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        logits, state = model(x[:, :-1], detach_state(state))
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, V), x[:, 1:].reshape(-1)
        )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if step >= warmup:
            times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cell", default="lstm")
    parser.add_argument("--hidden", type=int, default=320)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--embed", type=int, default=64)
    parser.add_argument("--N", type=int, default=64)
    parser.add_argument("--T", type=int, default=128)
    parser.add_argument("--V", type=int, default=75)
    parser.add_argument("--json", default=str(DEFAULT_OUT), help="output file")
    args = parser.parse_args()

    device = torch.device(args.device)
    torch.manual_seed(0)
    model = CharLM(args.V, args.embed, args.hidden, args.layers, args.cell, 0.0)
    model.to(device).train()
    x = torch.randint(0, args.V, (args.N, args.T + 1), device=device)
    chars = args.N * args.T
    flop_per_char = 6 * matrix_weights(model)
    load_before = os.getloadavg()
    runs = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        times = time_steps(model, x, args.V, args.steps, args.warmup, device)
        median, best = float(np.median(times)), float(np.min(times))
        runs.append(
            {
                "torch_threads": threads,
                "median_step_s": round(median, 4),
                "best_step_s": round(best, 4),
                "chars_per_s_median": round(chars / median),
                "chars_per_s_best": round(chars / best),
                "gflop_per_s_median": round(flop_per_char * chars / median / 1e9, 1),
            }
        )
        print(
            f"{args.cell} {args.layers}x{args.hidden}, N={args.N}, T={args.T}, "
            f"{threads} thread(s): median {median * 1e3:.0f} ms/step = "
            f"{chars / median:,.0f} chars/s (best {chars / best:,.0f}), "
            f"{runs[-1]['gflop_per_s_median']} GFLOP/s"
        )
    result = {
        "benchmark": "char LM training step (forward, backward, clip, AdamW)",
        "model": {
            "cell": args.cell,
            "layers": args.layers,
            "hidden": args.hidden,
            "embed": args.embed,
            "V": args.V,
            "parameters": sum(p.numel() for p in model.parameters()),
            "matrix_weights": matrix_weights(model),
        },
        "N": args.N,
        "T": args.T,
        "steps_timed": args.steps,
        "flop_per_char": flop_per_char,
        "runs": runs,
        "device": args.device
        if device.type != "cuda"
        else torch.cuda.get_device_name(device),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
