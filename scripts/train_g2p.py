"""Train the full-configuration grapheme-to-phoneme model of chapter 16 (CPU, fixed seed).

Usage (from the repository root)::

    python scripts/train_g2p.py                        # the committed configuration
    python scripts/train_g2p.py --max-batches 20 --dry-run   # measure throughput only

Data: ``rnnbook.data.g2p.load_g2p(stress=False)`` (CMUdict, stress stripped, md5 split 90/5/5,
one training example per reference pronunciation). Model: bidirectional LSTM encoder, LSTM
decoder with additive attention and input feeding (``rnnbook.frameworks.seq2seq``). The number
of epochs is fixed (not a wall-clock limit). After every epoch the greedy PER/WER on a fixed
subset of the validation words is logged; the checkpoint with the best validation WER is kept.
At the end that checkpoint is decoded greedily and with beam search on the *whole* validation
and test parts, and the log (configuration, every epoch, final numbers, wall time, load) is
written to the ``.json`` file next to the float16 checkpoint
``src/rnnbook/data/checkpoints/g2p_attention.pt``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from rnnbook.data.g2p import iterate_batches, load_g2p, training_pairs
from rnnbook.frameworks.decoding import transcribe
from rnnbook.frameworks.seq2seq import (
    Seq2Seq,
    Seq2SeqConfig,
    count_parameters,
    load_checkpoint,
    save_checkpoint,
    train_epoch,
)
from rnnbook.scratch.edit_distance import phoneme_error_rate, word_error_rate

OUT_DIR = (
    Path(__file__).resolve().parents[1] / "src" / "rnnbook" / "data" / "checkpoints"
)


def per_wer(model, part, vocab, method="greedy", words=None, beam_size=5):
    words = sorted(part) if words is None else words
    hyps = transcribe(model, words, vocab, method=method, beam_size=beam_size)
    refs = [part[w] for w in words]
    return phoneme_error_rate(hyps, refs), word_error_rate(hyps, refs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attention", default="additive")
    parser.add_argument("--embed", type=int, default=64)
    parser.add_argument("--enc-hidden", type=int, default=192)
    parser.add_argument("--dec-hidden", type=int, default=192)
    parser.add_argument("--attn-dim", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument(
        "--lr-decay-from", type=int, default=9, help="halve lr from epoch"
    )
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--val-subset", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-batches", type=int, default=None)
    parser.add_argument("--name", default="g2p_attention")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument(
        "--dry-run", action="store_true", help="time steps, save nothing"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from the training state (weights, optimiser, rng) in --state",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=Path(tempfile.gettempdir()) / "g2p_train_state.pt",
        help="full-precision training state written after every epoch (not committed)",
    )
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    data = load_g2p(stress=False)
    vocab = data.vocab
    pairs = training_pairs(data.train)
    cfg = Seq2SeqConfig(
        n_src=vocab.n_graphemes,
        n_tgt=vocab.n_phonemes,
        attention=args.attention,
        embed=args.embed,
        enc_hidden=args.enc_hidden,
        dec_hidden=args.dec_hidden,
        attn_dim=args.attn_dim,
        dropout=args.dropout,
    )
    model = Seq2Seq(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    val_words = sorted(data.val)
    val_subset = [
        val_words[i]
        for i in np.linspace(0, len(val_words) - 1, args.val_subset).astype(int)
    ]
    log = {
        # paths are left out: an absolute path names the machine, not the run
        "config": {
            k: v for k, v in vars(args).items() if k not in ("out_dir", "state")
        },
        "model": cfg.__dict__,
        "parameters": count_parameters(model),
        "train_pairs": len(pairs),
        "train_words": len(data.train),
        "machine": platform.processor() or platform.machine(),
        "load_at_start": os.getloadavg()[0],
        "epochs": [],
    }
    print(f"{log['parameters']} parameters, {len(pairs)} training pairs", flush=True)
    out = args.out_dir / f"{args.name}.pt"
    t0 = time.time()
    best = None
    first = 1
    if args.resume:
        st = torch.load(args.state, weights_only=False)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        rng.bit_generator.state = st["rng"]
        torch.set_rng_state(st["torch_rng"])
        log["epochs"], best = st["epochs"], st["best"]
        log["best_epoch"] = st["best_epoch"]
        log["resumed_at_epoch"] = first = st["epoch"] + 1
    for epoch in range(first, args.epochs + 1):
        if epoch >= args.lr_decay_from:
            for g in opt.param_groups:
                g["lr"] = args.lr * 0.5 ** (epoch - args.lr_decay_from + 1)
        t_ep = time.time()
        batches = iterate_batches(pairs, vocab, args.batch_size, rng)
        loss = train_epoch(model, batches, opt, clip=5.0, max_batches=args.max_batches)
        t_train = time.time() - t_ep
        if args.dry_run:
            n = args.max_batches or int(np.ceil(len(pairs) / args.batch_size))
            print(
                f"{n} batches in {t_train:.1f} s = {t_train / n * 1000:.0f} ms/batch, "
                f"epoch would take {t_train / n * len(pairs) / args.batch_size / 60:.1f}"
                " min",
                flush=True,
            )
            return
        model.eval()
        per, wer = per_wer(model, data.val, vocab, words=val_subset)
        rec = {
            "epoch": epoch,
            "lr": opt.param_groups[0]["lr"],
            "train_loss": round(loss, 4),
            "val_subset_per": round(per, 4),
            "val_subset_wer": round(wer, 4),
            "epoch_s": round(time.time() - t_ep, 1),
            "elapsed_s": round(time.time() - t0, 1),
            "load": os.getloadavg()[0],
        }
        log["epochs"].append(rec)
        print(json.dumps(rec), flush=True)
        if best is None or wer < best:
            best = wer
            log["best_epoch"] = epoch
            save_checkpoint(model, out, {"epoch": epoch, "config": log["config"]})
        torch.save(
            {
                "model": model.state_dict(),
                "opt": opt.state_dict(),
                "rng": rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(),
                "epochs": log["epochs"],
                "best": best,
                "best_epoch": log["best_epoch"],
                "epoch": epoch,
            },
            args.state,
        )
        # the log so far, so that an interrupted run is documented too
        (args.out_dir / f"{args.name}.json").write_text(
            json.dumps(log, indent=1) + "\n"
        )
    log["train_s"] = round(time.time() - t0, 1)

    model, _ = load_checkpoint(out)
    final = {}
    for part in ("val", "test"):
        for method in ("greedy", "beam"):
            t1 = time.time()
            per, wer = per_wer(
                model, data.part(part), vocab, method, beam_size=args.beam
            )
            final[f"{part}_{method}"] = {
                "per": round(per, 5),
                "wer": round(wer, 5),
                "s": round(time.time() - t1, 1),
            }
            print(part, method, final[f"{part}_{method}"], flush=True)
    log["final"] = final
    log["wall_s"] = round(time.time() - t0, 1)
    log["load_at_end"] = os.getloadavg()[0]
    log["checkpoint_bytes"] = out.stat().st_size
    (args.out_dir / f"{args.name}.json").write_text(json.dumps(log, indent=1) + "\n")
    print(
        f"done in {log['wall_s'] / 60:.1f} min; checkpoint {out.stat().st_size} bytes"
    )


if __name__ == "__main__":
    main()
