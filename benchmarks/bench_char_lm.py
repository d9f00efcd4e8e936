"""Training throughput of the chapter 13 character LSTM language model, in characters/second.

    python benchmarks/bench_char_lm.py [--steps 10] [--threads 1] [--device cpu]
        [--hidden 256] [--layers 2] [--json benchmarks/results/char_lm_cpu.json]

One training step is what ``rnnbook.frameworks.char_lm.train_char_lm`` does per update: a
forward pass of the ``CharLM`` over an ``(N, T)`` chunk from the carried (detached) state, the
cross-entropy, backward, gradient-norm clipping and an AdamW step. The default size is the
committed full configuration (2-layer LSTM, H = 256, E = 64, N = 64, T = 128, V = 75); the
ids are random (speed does not depend on the text). Reported: the median and best step time
after ``--warmup`` steps, and characters/second = N * T / step time, with the device, date,
thread count and the machine's load average (this is a shared machine: compare runs only at
similar load). For the fused-layer peak of Part III see ``benchmarks/bench_torch_layers.py``
(an ``nn.LSTM`` with N = 64, T = 100, D = 64, H = 128).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import torch

from rnnbook.frameworks.char_lm import CharLM, detach_state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cell", default="lstm")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--embed", type=int, default=64)
    parser.add_argument("--N", type=int, default=64)
    parser.add_argument("--T", type=int, default=128)
    parser.add_argument("--V", type=int, default=75)
    parser.add_argument("--json", default=None, help="write the results to this file")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    model = CharLM(args.V, args.embed, args.hidden, args.layers, args.cell, 0.0)
    model.to(device).train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randint(0, args.V, (args.N, args.T + 1), device=device)
    state, times = None, []
    load_before = os.getloadavg()
    for step in range(args.warmup + args.steps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        logits, state = model(x[:, :-1], detach_state(state))
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, args.V), x[:, 1:].reshape(-1)
        )
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if step >= args.warmup:
            times.append(time.perf_counter() - t0)
    chars = args.N * args.T
    median, best = float(np.median(times)), float(np.min(times))
    result = {
        "benchmark": "char LM training step (forward, backward, clip, AdamW)",
        "model": {
            "cell": args.cell,
            "layers": args.layers,
            "hidden": args.hidden,
            "embed": args.embed,
            "V": args.V,
            "parameters": sum(p.numel() for p in model.parameters()),
        },
        "N": args.N,
        "T": args.T,
        "steps_timed": args.steps,
        "median_step_s": round(median, 4),
        "best_step_s": round(best, 4),
        "chars_per_s_median": round(chars / median),
        "chars_per_s_best": round(chars / best),
        "device": args.device
        if device.type != "cuda"
        else torch.cuda.get_device_name(device),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": args.threads,
        "torch": torch.__version__,
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    print(
        f"{args.cell} {args.layers}x{args.hidden}, N={args.N}, T={args.T}: "
        f"median {median * 1e3:.0f} ms/step = {chars / median:,.0f} chars/s "
        f"(best {chars / best:,.0f}); load {result['load_average_after'][0]}"
    )
    if args.json:
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
