"""A Keras twin of the direct forecaster, trained in its own Python process.

``fit_predict_keras(X, Z, X_test, ...)`` writes the arrays to ``request.npz`` in a temporary
folder, runs ``python -m rnnbook.frameworks.keras_forecaster FOLDER`` and reads
``reply.npz``. TensorFlow therefore never starts in the caller's process: next to PyTorch's
CUDA build (Colab's default) the two can crash each other at import or optimizer time. This
module imports only NumPy at the top; Keras is imported in the worker process.

The model: ``Input((L, 1))`` -> ``GRU(H)`` or ``LSTM(H)`` -> ``Dense(n_out)``, trained with
Adam on the mean squared error, ``epochs`` passes over mini-batches of ``batch_size``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["fit_predict_keras"]


def fit_predict_keras(
    X,
    Z,
    X_test,
    kind: str = "gru",
    hidden_size: int = 32,
    epochs: int = 100,
    lr: float = 1e-2,
    batch_size: int = 32,
    seed: int = 0,
    timeout: float = 600,
) -> tuple[np.ndarray, np.ndarray]:
    """Train on scaled windows X (N, L) -> Z (N, n_out); return (predictions on X_test
    (K, n_out), training losses (epochs,))."""
    meta = dict(
        kind=kind, hidden_size=hidden_size, epochs=epochs, lr=lr, batch_size=batch_size,
        seed=seed,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        np.savez(folder / "request.npz", X=X, Z=Z, X_test=X_test, meta=json.dumps(meta))
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
        done = subprocess.run(
            [sys.executable, "-m", __name__, str(folder)],
            capture_output=True, text=True, env=env, timeout=timeout,
        )  # fmt: skip
        reply = folder / "reply.npz"
        if done.returncode != 0 or not reply.exists():
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"the Keras worker failed ({done.returncode}):\n{tail}")
        with np.load(reply) as r:
            return r["pred"], r["losses"]


def _worker(folder: Path) -> None:
    import keras

    with np.load(folder / "request.npz") as r:
        X, Z, X_test = r["X"], r["Z"], r["X_test"]
        meta = json.loads(str(r["meta"]))
    keras.utils.set_random_seed(meta["seed"])
    layer = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}[meta["kind"]]
    model = keras.Sequential(
        [
            keras.Input((X.shape[1], 1)),
            layer(meta["hidden_size"]),
            keras.layers.Dense(Z.shape[1]),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(meta["lr"]), loss="mse")
    hist = model.fit(
        X[..., None].astype("float32"),
        Z.astype("float32"),
        epochs=meta["epochs"],
        batch_size=meta["batch_size"],
        shuffle=True,
        verbose=0,
    )
    pred = model.predict(X_test[..., None].astype("float32"), verbose=0)
    np.savez(
        folder / "reply.npz",
        pred=pred.astype(np.float64),
        losses=np.array(hist.history["loss"]),
    )


if __name__ == "__main__":
    _worker(Path(sys.argv[1]))
