r"""The Keras twin of ``seq_classifiers``, run in its own process (masking instead of packing).

Model: ``Embedding(V, E, mask_zero=True) -> [Bidirectional](GRU(H)) -> Dense(C)`` on token ids
(N, T) with 0 = padding. ``mask_zero=True`` makes the embedding emit a mask that every later
layer receives: at a masked step the GRU keeps its previous state, so the forward state at the
end is the state after the last real step, and the backward direction (which reads the padded
sequence from the end) keeps its zero initial state through the padding -- the same final
states as PyTorch's packed batch.

Why a separate process: TensorFlow and PyTorch's CUDA build can crash when imported into one
Python process (see ``rnnbook.frameworks.convert``). A notebook that uses PyTorch calls
``run_keras_classifier(workdir, task, meta, **arrays)``; it writes ``workdir/request.npz``,
starts ``python -m rnnbook.frameworks.keras_seq_classifier workdir``, and reads
``workdir/reply.npz`` (both files in ``convert.save_npz``'s format, nothing pickled). This
module imports Keras only inside the worker's functions.

Tasks (``meta["task"]``):

``"train"``
    meta: ``V, E, H, C, bidirectional, epochs, batch_size, lr, seed``; arrays ``ids`` (N, T),
    ``y`` (N,), ``ids_val``, ``y_val``. Adam, cross-entropy on logits, the weights of the epoch
    with the best validation accuracy are kept. Reply: ``w0, w1, ...`` (the model's weights in
    ``model.get_weights()`` order), ``loss`` and ``val_acc`` per epoch.
``"predict"``
    meta: ``V, E, H, C, bidirectional``; arrays ``w0, w1, ...`` (``get_weights`` order:
    embedding, GRU forward ``kernel, recurrent_kernel, bias``, backward likewise, dense
    ``kernel, bias``) and ``ids``. Reply ``logits``; with ``meta["unmasked_too"]`` also
    ``logits_unmasked`` from the same model built without the mask (padding read as data).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from rnnbook.frameworks.convert import load_npz, save_npz

__all__ = ["run_keras_classifier"]


def run_keras_classifier(
    workdir, task: str, meta: dict, timeout: float = 900, **arrays
):
    """Run one task in a fresh Python process; returns the reply's ``(meta, arrays)``."""
    workdir = Path(workdir)
    request, reply = workdir / "request.npz", workdir / "reply.npz"
    save_npz(request, {**meta, "task": task}, **arrays)
    if reply.exists():
        reply.unlink()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "rnnbook.frameworks.keras_seq_classifier", str(workdir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    if done.returncode != 0 or not reply.exists():
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(
            f"the Keras worker failed (exit code {done.returncode}):\n{tail}"
        )
    reply_meta, _, data = load_npz(reply)
    return reply_meta, data


def _build(meta, mask=True):
    import keras

    keras.utils.set_random_seed(int(meta.get("seed", 0)))
    rnn = keras.layers.GRU(int(meta["H"]))
    if meta.get("bidirectional", True):
        rnn = keras.layers.Bidirectional(rnn)
    model = keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            keras.layers.Embedding(int(meta["V"]), int(meta["E"]), mask_zero=mask),
            rnn,
            keras.layers.Dense(int(meta["C"])),
        ]
    )
    return model


def _weights(arrays):
    return [arrays[f"w{i}"] for i in range(sum(k.startswith("w") for k in arrays))]


def _train(meta, arrays):
    import keras

    model = _build(meta)
    model.compile(
        optimizer=keras.optimizers.Adam(float(meta["lr"]), clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    best = {"acc": -1.0, "weights": None}

    class KeepBest(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs["val_accuracy"] > best["acc"]:
                best["acc"] = logs["val_accuracy"]
                best["weights"] = self.model.get_weights()

    hist = model.fit(
        arrays["ids"],
        arrays["y"],
        validation_data=(arrays["ids_val"], arrays["y_val"]),
        epochs=int(meta["epochs"]),
        batch_size=int(meta["batch_size"]),
        shuffle=True,
        verbose=0,
        callbacks=[KeepBest()],
    )
    out = {f"w{i}": w for i, w in enumerate(best["weights"])}
    out["loss"] = np.array(hist.history["loss"])
    out["val_acc"] = np.array(hist.history["val_accuracy"])
    return out


def _predict(meta, arrays):
    out = {}
    masks = {"logits": True}
    if meta.get("unmasked_too"):
        masks["logits_unmasked"] = False
    for key, mask in masks.items():
        model = _build(meta, mask=mask)
        model.set_weights(_weights(arrays))
        out[key] = model.predict(arrays["ids"], batch_size=512, verbose=0)
    return out


def main(workdir: str) -> None:
    workdir = Path(workdir)
    meta, _, arrays = load_npz(workdir / "request.npz")
    tasks = {"train": _train, "predict": _predict}
    if meta.get("task") not in tasks:
        raise ValueError(f"expected task in {sorted(tasks)}, got {meta.get('task')!r}")
    out = tasks[meta["task"]](meta, arrays)
    save_npz(workdir / "reply.npz", {"task": meta["task"]}, **out)


if __name__ == "__main__":
    main(sys.argv[1])
