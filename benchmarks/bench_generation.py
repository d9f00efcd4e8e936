"""Cost of generating one token as the context grows: recurrent (LRU) vs Transformer decoder.

Usage (from the repository root)::

    python benchmarks/bench_generation.py

writes src/rnnbook/data/benchmarks/generation_cpu.json (chapter 21 reads it).

The three decoders (``rnnbook.frameworks.generation_cost``) have the same width, depth and
MLPs; the Transformer's attention and the recurrent models' LRU and minGRU layers are sized so
that the parameter counts are close (all are printed and recorded): an LRU of ``n_state``
complex states has about 4 * d_model * n_state weights, a minGRU mixer 3 * d_model * n_state,
so minGRU gets ``--mingru-state`` = 4/3 * d_model states by default. For each context length T, one
generation step (batch 1) is timed with a cache or state as after T tokens (median of
``--repeats``), and the bytes of that cache or state are recorded. The training cost (one
forward + backward pass over a sequence of length T, batch 1) is recorded for the shorter
lengths. The JSON notes the machine, thread count and load average before and after: on a
shared machine absolute times move with the load, so read ratios measured in one run.
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

from rnnbook.frameworks.generation_cost import (
    RecurrentDecoder,
    TransformerDecoder,
    count_parameters,
    time_generation_step,
)

OUT = RESULTS / "generation_cpu.json"


def train_step_seconds(model, T, vocab, repeats=3):
    tokens = torch.randint(0, vocab, (1, T))
    best = float("inf")
    for _ in range(repeats):
        model.zero_grad()
        start = time.perf_counter()
        logits = model(tokens)
        torch.nn.functional.cross_entropy(
            logits.view(-1, vocab), tokens.view(-1)
        ).backward()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--n-state", type=int, default=256)
    parser.add_argument("--mingru-state", type=int, default=None, help="4/3 d_model")
    parser.add_argument("--vocab", type=int, default=256)
    parser.add_argument(
        "--contexts", type=int, nargs="+", default=[256, 1024, 4096, 16384, 65536]
    )
    parser.add_argument(
        "--train-lengths", type=int, nargs="+", default=[256, 1024, 2048]
    )
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    args.mingru_state = args.mingru_state or round(4 * args.d_model / 3)
    models = {
        "recurrent (LRU)": RecurrentDecoder(
            args.vocab, args.d_model, args.layers, args.n_state
        ),
        "recurrent (minGRU)": RecurrentDecoder(
            args.vocab, args.d_model, args.layers, args.mingru_state, mixer="mingru"
        ),
        "transformer (KV cache)": TransformerDecoder(
            args.vocab, args.d_model, args.layers, args.heads
        ),
    }
    load_before = os.getloadavg()
    result = dict(
        date=datetime.date.today().isoformat(),
        machine=f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        torch=torch.__version__,
        threads=args.threads,
        config={k: v for k, v in vars(args).items() if k != "out"},
        parameters={name: count_parameters(m) for name, m in models.items()},
        generation=[],
        training=[],
    )
    print(result["parameters"])
    for T in args.contexts:
        for name, model in models.items():
            seconds, nbytes = time_generation_step(model, T, repeats=args.repeats)
            row = dict(
                model=name,
                context=T,
                ms_per_token=round(1e3 * seconds, 3),
                memory_bytes=nbytes,
            )
            result["generation"].append(row)
            print(row, flush=True)
    for T in args.train_lengths:
        for name, model in models.items():
            seconds = train_step_seconds(model, T, args.vocab)
            row = dict(
                model=name, length=T, ms_forward_backward=round(1e3 * seconds, 1)
            )
            result["training"].append(row)
            print(row, flush=True)
    result["load_average_before"] = [round(x, 2) for x in load_before]
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
