"""Train the full-configuration character LSTM language model of chapter 13 (CPU, fixed seed).

Usage (from the repository root)::

    python scripts/train_char_lm.py                      # the committed configuration
    python scripts/train_char_lm.py --steps 20 --dry-run # measure throughput only

Same corpus, vocabulary and train/validation split as chapter 4 (``load_shakespeare()``, all 38
plays; ``CharVocab`` of the whole text; ``train_val_split(ids, 0.1)``). The number of steps is
fixed (not a wall-clock limit) so that a rerun with the same seed and thread count repeats the
run. The best checkpoint (by validation loss on the first ``eval_chars`` validation characters)
is written in float16 to ``src/rnnbook/data/checkpoints/char_lstm_<H>x<layers>.pt``; after
training, that checkpoint is evaluated on the *whole* validation split and the log
(configuration, every validation record, final numbers, wall time, machine load) goes to the
``.json`` file next to it.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from rnnbook.data.text import CharVocab, load_shakespeare, train_val_split
from rnnbook.frameworks.char_lm import (
    CharLM,
    LMConfig,
    config_dict,
    count_parameters,
    evaluate,
    load_checkpoint,
    save_checkpoint,
    train_char_lm,
)

OUT_DIR = (
    Path(__file__).resolve().parents[1] / "src" / "rnnbook" / "data" / "checkpoints"
)


def write_log(path, name, args, model, cfg, vocab, train_ids, val_ids, results):
    """Write the JSON log: model, configuration, data, results and the machine."""
    log_data = {
        "name": name,
        "model": {
            "cell": args.cell,
            "V": vocab.V,
            "embed": args.embed,
            "hidden": args.hidden,
            "layers": args.layers,
            "dropout": args.dropout,
            "parameters": count_parameters(model),
        },
        "config": config_dict(cfg),
        "data": {
            "corpus": "load_shakespeare() (all 38 plays)",
            "split": "train_val_split(ids, val_fraction=0.1)",
            "train_chars": len(train_ids),
            "val_chars": len(val_ids),
        },
        **results,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "torch_threads": args.threads,
            "torch": torch.__version__,
            "load_average": os.getloadavg(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        },
    }
    path.write_text(json.dumps(log_data, indent=1) + "\n")


def finalize(ckpt_path, log_path, val_ids, reason: str) -> None:
    """Evaluate the best checkpoint of a stopped run and close its log."""
    log_data = json.loads(log_path.read_text())
    best, _ = load_checkpoint(ckpt_path)
    t0 = time.perf_counter()
    val_full = evaluate(best, val_ids, N=32, T=256)
    records = log_data["validation_records"]
    log_data["status"] = f"stopped after {log_data['steps_done']} steps: {reason}"
    log_data["final"] = {
        "best_step": min(records, key=lambda r: r["val"])["step"],
        "val_full_nats_per_char_fp16_checkpoint": round(val_full, 4),
        "val_full_bits_per_char": round(val_full / np.log(2), 4),
        "eval_seconds": round(time.perf_counter() - t0, 1),
    }
    log_path.write_text(json.dumps(log_data, indent=1) + "\n")
    print(f"{log_data['status']}; full validation {val_full:.4f} nats/char")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    parser.add_argument("--hidden", type=int, default=320)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--embed", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--steps", type=int, default=3400)
    parser.add_argument("--N", type=int, default=64)
    parser.add_argument("--T", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument(
        "--dry-run", action="store_true", help="time steps, save nothing"
    )
    parser.add_argument(
        "--finalize",
        metavar="REASON",
        help="for a run that was stopped before its last step: evaluate its best checkpoint "
        "on the whole validation split and mark the log as stopped, giving REASON",
    )
    args = parser.parse_args()

    args.out_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    text = load_shakespeare()
    vocab = CharVocab(text)
    train_ids, val_ids = train_val_split(vocab.encode(text), val_fraction=0.1)
    model = CharLM(
        vocab.V, args.embed, args.hidden, args.layers, args.cell, args.dropout
    )
    cfg = LMConfig(
        N=args.N,
        T=args.T,
        steps=args.steps,
        lr=args.lr,
        eval_every=args.eval_every if not args.dry_run else 10**9,
        eval_chars=50_000,
        seed=args.seed,
    )
    name = f"char_{args.cell}_{args.hidden}x{args.layers}"
    ckpt_path = args.out_dir / f"{name}.pt"
    log_path = args.out_dir / f"{name}.json"
    if args.finalize:
        finalize(ckpt_path, log_path, val_ids, args.finalize)
        return
    print(f"{name}: {count_parameters(model):,} parameters, V = {vocab.V}", flush=True)
    print(
        f"train {len(train_ids):,} chars, validation {len(val_ids):,} chars", flush=True
    )

    def checkpoint(m, record):
        if not args.dry_run:
            save_checkpoint(ckpt_path, m, vocab.chars, extra={"record": record})

    records = []
    # everything but the results is fixed for the run
    write_run_log = functools.partial(
        write_log, log_path, name, args, model, cfg, vocab, train_ids, val_ids
    )

    def log(record):
        # the log is rewritten at every validation, so a run stopped early still
        # leaves a consistent log next to its best checkpoint
        print(json.dumps(record), flush=True)
        records.append(record)
        if not args.dry_run:
            write_run_log(
                {
                    "validation_records": records,
                    "status": "running",
                    "steps_done": record["step"],
                    "train_seconds": record["seconds"],
                },
            )

    t0 = time.perf_counter()
    history = train_char_lm(model, train_ids, val_ids, cfg, checkpoint, log)
    train_seconds = time.perf_counter() - t0
    steps_done = len(history["loss"])
    speed = steps_done * cfg.N * cfg.T / train_seconds
    print(
        f"{steps_done} steps in {train_seconds:.0f} s: {speed:,.0f} chars/s", flush=True
    )
    if args.dry_run:
        return

    best, _ = load_checkpoint(ckpt_path)  # the float16 weights, as shipped
    t1 = time.perf_counter()
    val_full = evaluate(best, val_ids, N=32, T=256)
    eval_seconds = time.perf_counter() - t1
    print(f"best checkpoint, full validation: {val_full:.4f} nats/char", flush=True)
    write_run_log(
        {
            "status": "finished",
            "validation_records": history["val"],
            "train_loss_every_step": [round(v, 4) for v in history["loss"]],
            "grad_norm_every_step": [round(v, 4) for v in history["grad_norm"]],
            "steps_done": steps_done,
            "train_seconds": round(train_seconds, 1),
            "train_chars_per_second": round(speed),
            "final": {
                "best_step": min(history["val"], key=lambda r: r["val"])["step"],
                "val_full_nats_per_char_fp16_checkpoint": round(val_full, 4),
                "val_full_bits_per_char": round(val_full / np.log(2), 4),
                "eval_seconds": round(eval_seconds, 1),
            },
        },
    )
    print(f"wrote {ckpt_path} ({ckpt_path.stat().st_size / 1e6:.2f} MB) and {log_path}")


if __name__ == "__main__":
    main()
