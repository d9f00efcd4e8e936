"""Train the name -> language classifiers of chapter 14 and store them as package data.

    .venv/bin/python scripts/train_name_classifiers.py           # 10-30 minutes on 2 busy CPUs
    .venv/bin/python scripts/train_name_classifiers.py --keras   # also train the Keras twin

Trains, on the training part of ``rnnbook.data.names.load_names()`` with early stopping on its
validation part, four PyTorch models (``rnnbook.frameworks.seq_classifiers``):

- ``gru-uni``: a unidirectional character GRU
- ``gru-bi``: a bidirectional character GRU
- ``lstm-bi``: a bidirectional character LSTM
- ``gru-bi-weighted``: ``gru-bi`` trained with class weights N / (C * N_c)

and, with ``--keras``, a Keras twin of ``gru-bi`` (masking instead of packing) trained from
scratch in its own process (``rnnbook.frameworks.keras_seq_classifier``); chapter 14 does not
use it (it runs the PyTorch weights in Keras instead), and it is slow on a busy CPU. It
writes, under ``src/rnnbook/data/checkpoints/``:

- ``names_<model>.pt``: ``save_classifier``'s bytes of each PyTorch model;
- ``names_vocab.json``: the character vocabulary and the faker version;
- ``names_training.log``: one JSON line per model (settings, loss and validation accuracy per
  epoch, seconds), written as each model finishes;
- with ``--keras``, ``names_keras-gru-bi.npz`` (Keras weights).

Chapter 14 loads them with ``importlib.resources`` and evaluates them on the test part; test
names are never used here.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from rnnbook.data.names import CharVocabulary, encode_names, load_names, pad_ids
from rnnbook.frameworks.keras_seq_classifier import run_keras_classifier
from rnnbook.frameworks.seq_classifiers import (
    SeqClassifier,
    save_classifier,
    train_classifier,
)

OUT = Path(__file__).resolve().parents[1] / "src" / "rnnbook" / "data" / "checkpoints"
SETTINGS = dict(embed_dim=32, hidden_size=64, dropout=0.2)
TRAIN = dict(epochs=12, batch_size=128, lr=3e-3)
MODELS = {
    "gru-uni": dict(kind="gru", bidirectional=False, weighted=False),
    "gru-bi": dict(kind="gru", bidirectional=True, weighted=False),
    "lstm-bi": dict(kind="lstm", bidirectional=True, weighted=False),
    "gru-bi-weighted": dict(kind="gru", bidirectional=True, weighted=True),
}


def balanced_weights(y, C):
    counts = np.bincount(y, minlength=C)
    return len(y) / (C * counts)


def write_vocabulary(vocab):
    # the checkpoints' character ids, with the faker version the names came from
    from importlib.metadata import version

    info = {"faker": version("faker"), "chars": vocab.chars}
    (OUT / "names_vocab.json").write_text(json.dumps(info, ensure_ascii=False) + "\n")


def main():
    # the course's machine is shared: one thread per process is the fastest there
    torch.set_num_threads(1)
    data = load_names()
    C = len(data.languages)
    vocab = CharVocabulary(data.train[0])
    ids, lengths = pad_ids(encode_names(data.train[0], vocab))
    ids_val, lengths_val = pad_ids(encode_names(data.val[0], vocab))
    y, y_val = data.train[1], data.val[1]
    OUT.mkdir(parents=True, exist_ok=True)
    write_vocabulary(vocab)
    log_path = OUT / "names_training.log"
    log_path.write_text("")

    def log(entry):
        with open(log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    for name, spec in MODELS.items():
        torch.manual_seed(0)
        model = SeqClassifier(
            C,
            vocab_size=len(vocab),
            kind=spec["kind"],
            bidirectional=spec["bidirectional"],
            **SETTINGS,
        )
        weights = balanced_weights(y, C) if spec["weighted"] else None
        start = time.time()
        hist = train_classifier(
            model,
            ids,
            lengths,
            y,
            class_weights=weights,
            val=(ids_val, lengths_val, y_val),
            seed=0,
            progress=lambda e, h: print(
                f"{name} epoch {e}: loss {h['loss'][-1]:.3f} val {h['val_acc'][-1]:.3f}",
                flush=True,
            ),
            **TRAIN,
        )
        seconds = time.time() - start
        (OUT / f"names_{name}.pt").write_bytes(save_classifier(model))
        log({"model": name, **spec, **SETTINGS, **TRAIN, **hist, "seconds": seconds})
    if "--keras" in sys.argv[1:]:
        train_keras_twin(vocab, C, ids, y, ids_val, y_val, log)


def train_keras_twin(vocab, C, ids, y, ids_val, y_val, log):
    # the Keras twin of gru-bi, in a separate process
    meta = dict(
        V=len(vocab),
        E=SETTINGS["embed_dim"],
        H=SETTINGS["hidden_size"],
        C=C,
        bidirectional=True,
        seed=0,
        **TRAIN,
    )
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        _, reply = run_keras_classifier(
            tmp, "train", meta, ids=ids, y=y, ids_val=ids_val, y_val=y_val
        )
    seconds = time.time() - start
    weights = {k: v for k, v in reply.items() if k.startswith("w")}
    np.savez(OUT / "names_keras-gru-bi.npz", **weights)
    log(
        {
            "model": "keras-gru-bi",
            **meta,
            "loss": reply["loss"].tolist(),
            "val_acc": reply["val_acc"].tolist(),
            "best_epoch": int(np.argmax(reply["val_acc"])),
            "seconds": seconds,
        }
    )
    print(f"keras: best val {max(reply['val_acc']):.3f} in {seconds:.0f} s")


if __name__ == "__main__":
    main()
