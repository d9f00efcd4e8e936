"""Train minGRU language models against LSTM, GRU and RNN ones of equal size (CPU).

Usage (from the repository root)::

    python scripts/train_min_rnn_lm.py                     # the committed configuration
    python scripts/train_min_rnn_lm.py --steps 20 --dry-run  # measure throughput only

Five character language models with (about) the same number of weights, trained one after
the other by the same loop (``rnnbook.frameworks.char_lm.train_char_lm``: truncated BPTT with
the state carried and detached, AdamW, clipping, warm-up + cosine schedule) with the same
configuration, seed and order of batches, on the same corpus and split as chapters 4 and 13
(``load_shakespeare()``, ``train_val_split(ids, 0.1)``):

- ``lstm``: ``CharLM`` with two ``nn.LSTM`` layers of ``--lstm-hidden`` units;
- ``gru``, ``rnn``: ``CharLM`` with two ``nn.GRU`` or ``nn.RNN`` (tanh) layers;
- ``mingru``: ``MinRNNLM``, two minGRU layers (plain stack);
- ``mingru_mlp``: ``MinRNNLM`` with ``mlp_ratio=2`` (normalised residual blocks of a minGRU
  layer and a GELU MLP).

Both minGRU models train in ``mode="scan"`` (the Blelloch scan in linear space), which gives
the same states as the paper's log-space form and runs several times faster on a CPU.

The other models' state sizes are the ones whose parameter counts are closest to the LSTM's.
Every model's best weights (by validation loss on the first 50,000 validation characters) are
kept, stored in float16 in ``src/rnnbook/data/checkpoints/min_rnn_lm.pt``, and evaluated on the
*whole* validation split; the log (configuration, curves, wall times, machine load) goes to
``min_rnn_lm.json`` next to it. Chapters 13 and 18 load both and re-run the evaluation.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from rnnbook.data.text import CharVocab, load_shakespeare, train_val_split
from rnnbook.frameworks.char_lm import (
    LMConfig,
    config_dict,
    count_parameters,
    evaluate,
    train_char_lm,
)
from rnnbook.frameworks.lm_comparison import (
    EMBED,
    MODELS,
    build,
    load_models,
    matched_hidden,
)

OUT_DIR = (
    Path(__file__).resolve().parents[1] / "src" / "rnnbook" / "data" / "checkpoints"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lstm-hidden", type=int, default=128)
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--N", type=int, default=64)
    parser.add_argument("--T", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--eval-every", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument(
        "--dry-run", action="store_true", help="time steps, save nothing"
    )
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    text = load_shakespeare()
    vocab = CharVocab(text)
    train_ids, val_ids = train_val_split(vocab.encode(text), val_fraction=0.1)
    target = count_parameters(build("lstm", vocab.V, args.lstm_hidden))
    cfg = LMConfig(
        N=args.N,
        T=args.T,
        steps=args.steps,
        lr=args.lr,
        eval_every=args.eval_every if not args.dry_run else 10**9,
        eval_chars=50_000,
        seed=args.seed,
    )
    log = {
        "task": "character LM, chapter 13's corpus and split",
        "config": config_dict(cfg),
        "embed": EMBED,
        "data": {
            "corpus": "load_shakespeare() (all 38 plays)",
            "split": "train_val_split(ids, val_fraction=0.1)",
            "train_chars": len(train_ids),
            "val_chars": len(val_ids),
        },
        "models": {},
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "torch_threads": args.threads,
            "torch": torch.__version__,
            "load_average_start": [round(v, 2) for v in os.getloadavg()],
        },
        "date": time.strftime("%Y-%m-%d"),
    }
    weights = {"chars": vocab.chars, "models": {}}
    args.out_dir.mkdir(parents=True, exist_ok=True)
    log_path = args.out_dir / "min_rnn_lm.json"
    weights_path = args.out_dir / "min_rnn_lm.pt"
    for name in args.models:
        hidden = (
            args.lstm_hidden
            if name == "lstm"
            else matched_hidden(name, vocab.V, target)
        )
        torch.manual_seed(args.seed)
        np.random.seed(args.seed)
        model = build(name, vocab.V, hidden)
        print(
            f"{name}: H = {hidden}, {count_parameters(model):,} parameters", flush=True
        )
        best = {}

        def keep(m, record, best=best):
            best["state"] = copy.deepcopy(m.state_dict())
            best["record"] = record

        def show(record, name=name):
            print(name, json.dumps(record), flush=True)

        start, cpu_start = time.perf_counter(), time.process_time()
        history = train_char_lm(model, train_ids, val_ids, cfg, keep, show)
        seconds = time.perf_counter() - start
        # CPU time of this process: with one thread it is the time an idle machine
        # would take, and unlike wall time it does not grow when other jobs share it
        cpu_seconds = time.process_time() - cpu_start
        steps_done = len(history["loss"])
        speed = steps_done * cfg.N * cfg.T / seconds
        print(
            f"{name}: {steps_done} steps in {seconds:.0f} s ({cpu_seconds:.0f} s CPU), "
            f"{speed:,.0f} chars/s"
        )
        if args.dry_run:
            continue
        half = {k: v.half() for k, v in best["state"].items()}
        weights["models"][name] = {"hidden": hidden, "state_dict": half}
        # evaluate exactly what is shipped: the float16 weights, rebuilt as chapters do
        model = load_models(weights, vocab.V, [name])[name]
        t1 = time.perf_counter()
        val_full = evaluate(model, val_ids, N=32, T=256)
        print(f"{name}: whole validation split {val_full:.4f} nats/char", flush=True)
        log["models"][name] = {
            "hidden": hidden,
            "parameters": count_parameters(model),
            "validation_records": history["val"],
            "steps_done": steps_done,
            "train_seconds": round(seconds, 1),
            "train_cpu_seconds": round(cpu_seconds, 1),
            "train_chars_per_second": round(speed),
            "best_step": best["record"]["step"],
            "val_full_nats_per_char_fp16": round(val_full, 4),
            "eval_seconds": round(time.perf_counter() - t1, 1),
        }
        log["machine"]["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
        # Written after every model, so an interrupted run still leaves a consistent pair.
        # Models trained by another run with the same configuration are kept, so the
        # models can be trained by separate processes (--models) on separate cores.
        if log_path.exists() and weights_path.exists():
            old_log = json.loads(log_path.read_text())
            if old_log["config"] == log["config"]:
                old_weights = torch.load(weights_path)
                for other, entry in old_log["models"].items():
                    if other not in args.models:
                        log["models"][other] = entry
                        weights["models"][other] = old_weights["models"][other]
        torch.save(weights, weights_path)
        log_path.write_text(json.dumps(log, indent=1) + "\n")
    if not args.dry_run:
        size = weights_path.stat().st_size / 1e6
        print(f"wrote {weights_path} ({size:.2f} MB) and {log_path}")


if __name__ == "__main__":
    main()
