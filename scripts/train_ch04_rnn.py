"""Retrain chapter 4's NumPy character RNN (its default configuration) and save its weights.

Chapter 13 compares its language models with chapter 4's vanilla RNN on the same validation
split. Chapter 4 trains that model inside its notebook and stores nothing, so this script repeats
chapter 4's default run step for step (same corpus, vocabulary, split, seed, H = 128, N = 32,
T = 50, 3000 Adam steps at lr 3e-3, global-norm clipping at 5, state reset at every epoch) and
writes the weights to ``src/rnnbook/data/checkpoints/ch04_char_rnn_128.npz`` (float32, about
0.2 MB). Chapter 13 loads them and evaluates them itself.

Usage (from the repository root): ``python scripts/train_ch04_rnn.py``
"""

from __future__ import annotations

import os
import time
from pathlib import Path

OUT = (
    Path(__file__).resolve().parents[1]
    / "src/rnnbook/data/checkpoints/ch04_char_rnn_128.npz"
)


def main() -> None:
    # One OpenBLAS thread, as in chapter 4; it must be set before NumPy is imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import numpy as np

    from rnnbook.data.text import (
        CharVocab,
        load_shakespeare,
        tbptt_batches,
        train_val_split,
    )
    from rnnbook.scratch.char_rnn import CharRNN
    from rnnbook.scratch.clipping import clip_by_global_norm
    from rnnbook.scratch.optim import Adam

    text = load_shakespeare()
    vocab = CharVocab(text)
    train_ids, val_ids = train_val_split(vocab.encode(text), val_fraction=0.1)
    N, T, steps, lr, max_norm, H = 32, 50, 3000, 3e-3, 5.0, 128
    model = CharRNN(vocab.V, H, seed=0, dtype=np.float32)
    optimizer = Adam(model.params, lr=lr)

    def batches_forever():
        while True:
            yield None
            yield from tbptt_batches(train_ids, N, T)

    stream, h, t0 = batches_forever(), None, time.perf_counter()
    for step in range(1, steps + 1):
        batch = next(stream)
        if batch is None:
            h, batch = model.init_hidden(N), next(stream)
        loss, grads, h = model.loss(*batch, h)
        clip_by_global_norm(grads, max_norm)
        optimizer.step(grads)
        if step % 500 == 0:
            print(f"step {step}: loss {loss:.3f} ({time.perf_counter() - t0:.0f} s)")
    val = model.evaluate(val_ids, N=16, T=T)
    print(f"validation (N=16, T={T}): {val:.4f} nats/char")
    np.savez(OUT, V=vocab.V, H=H, val=val, **model.params)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
