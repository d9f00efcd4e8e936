"""Run Keras jobs in their own Python process: ``python -m rnnbook.frameworks.keras_worker DIR``.

Reads ``DIR/request.npz`` and writes ``DIR/reply.npz`` (both in the format of
``rnnbook.frameworks.convert.save_npz``); ``convert.run_keras_jobs`` starts it with a list of
jobs, so that TensorFlow starts once for all of them. Keeping Keras
(TensorFlow) out of the process that imports PyTorch avoids the crash of TensorFlow next to
PyTorch's CUDA build (see ``convert``). Each job's ``meta["task"]`` picks what it does, and
its ``meta["dtype"]`` (default float32) sets Keras' float type:

``"parity"``
    ``meta["configs"]``: a list of dicts ``kind, num_layers, bidirectional, dtype``; arrays
    ``x`` (N, T, D) and, for config ``i``, parameter sets packed as ``in{i}.{s}`` for each name
    ``s`` in ``meta["sets"]`` (``convert.pack_params``). For each set the worker builds the
    stack once (``keras_stacked.build_keras_stack``), reads out its own initial weights as
    ``keras{i}`` (packed; Keras -> NumPy), then runs ``x`` with those weights (``s = "keras"``)
    and with each given set loaded: the reply holds ``{i}.{s}.out``, ``{i}.{s}.h_n`` and (LSTM)
    ``{i}.{s}.c_n``.

``"train"``
    One recurrent layer and a ``Dense(1)`` head on its last state, trained with
    ``train_on_batch`` on the given batches. ``meta``: ``kind``, ``dtype``, ``optimizer``
    (``"sgd"`` or ``"adam"``), ``lr``, ``epsilon`` (Adam). Arrays: ``params`` (the layer),
    ``head_W`` (1, H) and ``head_b`` (1,) in ``torch.nn.Linear``'s layout, ``X`` (S, B, T, D),
    ``Y`` (S, B, 1), ``x_test``. Reply: ``losses`` (S,), the trained ``params``, ``head_W``,
    ``head_b`` and ``pred`` (predictions on ``x_test``).

``"predict"``
    The same model from ``params``, ``head_W``, ``head_b``; reply ``pred`` for ``x``.

``"bench"``
    ``rnnbook.frameworks.timing.keras_steps`` timed by ``best_of`` for ``meta["kinds"]`` at
    sizes ``meta["N"], ["T"], ["D"], ["H"]``; the reply's meta holds ``results``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from rnnbook.frameworks.convert import load_npz, pack_params, save_npz, unpack_params

_CLASSES = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def _parity(meta, arrays):
    import keras

    from rnnbook.frameworks.keras_stacked import (
        build_keras_stack,
        keras_stack_forward,
        load_numpy_weights,
        numpy_weights_from_keras,
    )

    x64 = arrays["x"]
    D = x64.shape[2]
    out = {}
    for i, c in enumerate(meta["configs"]):
        keras.utils.set_random_seed(100 + i)
        layers = build_keras_stack(
            c["kind"], D, c["H"], c["num_layers"], c["bidirectional"], c["dtype"]
        )
        # first Keras' own initialisation, read out (Keras -> NumPy), then each given set
        out.update(pack_params(f"keras{i}", numpy_weights_from_keras(layers)))
        for s in ["keras"] + list(meta["sets"]):
            if s != "keras":
                load_numpy_weights(layers, unpack_params(f"in{i}.{s}", arrays))
            o, h_n, c_n = keras_stack_forward(layers, x64.astype(c["dtype"]))
            out[f"{i}.{s}.out"], out[f"{i}.{s}.h_n"] = o, h_n
            if c_n is not None:
                out[f"{i}.{s}.c_n"] = c_n
    return {}, None, out


def _model(meta, params, head_W, head_b, T, D):
    import keras

    from rnnbook.frameworks.keras_stacked import load_numpy_weights

    dtype = meta["dtype"]
    H = head_W.shape[1]
    layer = getattr(keras.layers, _CLASSES[meta["kind"]])(H, dtype=dtype)
    model = keras.Sequential(
        [keras.Input((T, D), dtype=dtype), layer, keras.layers.Dense(1, dtype=dtype)]
    )
    load_numpy_weights([layer], params)
    model.layers[-1].set_weights([head_W.T, head_b])  # Keras' Dense kernel is (H, 1)
    return model, layer


def _train(meta, params, arrays):
    import keras

    from rnnbook.frameworks.keras_stacked import numpy_weights_from_keras

    X, Y = arrays["X"], arrays["Y"]
    model, layer = _model(
        meta, params, arrays["head_W"], arrays["head_b"], X.shape[2], X.shape[3]
    )
    if meta["optimizer"] == "sgd":
        opt = keras.optimizers.SGD(learning_rate=meta["lr"])
    else:
        opt = keras.optimizers.Adam(learning_rate=meta["lr"], epsilon=meta["epsilon"])
    model.compile(optimizer=opt, loss="mse", jit_compile=False)
    # train_on_batch returns the loss of that batch, computed before the update (as the
    # loss.item() of a PyTorch loop does)
    losses = [float(model.train_on_batch(xb, yb)) for xb, yb in zip(X, Y)]
    W, b = model.layers[-1].get_weights()
    pred = model.predict(arrays["x_test"], verbose=0)
    return (
        {},
        numpy_weights_from_keras([layer]),
        dict(losses=np.array(losses), head_W=W.T, head_b=b, pred=pred),
    )


def _predict(meta, params, arrays):
    x = arrays["x"]
    model, _ = _model(
        meta, params, arrays["head_W"], arrays["head_b"], x.shape[1], x.shape[2]
    )
    return {}, None, dict(pred=model.predict(x, verbose=0))


def _bench(meta, arrays):
    from rnnbook.frameworks.timing import best_of, keras_steps

    N, T, D, H = (meta[k] for k in "NTDH")
    results = {
        kind: best_of(keras_steps(kind, N, T, D, H), meta.get("repeats", 5))
        for kind in meta.get("kinds", ["lstm", "gru"])
    }
    import tensorflow as tf

    threads = dict(
        intra_op=tf.config.threading.get_intra_op_parallelism_threads(),
        inter_op=tf.config.threading.get_inter_op_parallelism_threads(),
        note="0 means TensorFlow's default: one thread per core",
    )
    return {"results": results, "threads": threads}, None, {}


TASKS = {"parity": _parity, "train": _train, "predict": _predict, "bench": _bench}


def _run_job(meta, params, arrays):
    import keras

    task = meta["task"]
    if task not in TASKS:
        raise ValueError(f"expected task to be one of {tuple(TASKS)}, got {task!r}")
    # float64 jobs compute losses and metrics in float64 too
    keras.config.set_floatx("float64" if meta.get("dtype") == "float64" else "float32")
    keras.utils.set_random_seed(meta.get("seed", 0))
    if task in ("parity", "bench"):
        return TASKS[task](meta, arrays)
    return TASKS[task](meta, params, arrays)


def main(workdir) -> None:
    """Run every job of ``workdir/request.npz`` and write ``workdir/reply.npz``."""
    import keras
    import tensorflow as tf

    workdir = Path(workdir)
    meta, _, data = load_npz(workdir / "request.npz")
    reply_metas, reply_arrays = [], {}
    for k, job_meta in enumerate(meta["jobs"]):
        mine = {n.split(":", 1)[1]: data[n] for n in data if n.startswith(f"{k}:")}
        params = unpack_params("params", mine)
        out_meta, out_params, out_arrays = _run_job(job_meta, params, mine)
        reply_metas.append(out_meta)
        if out_params is not None:
            reply_arrays.update(pack_params(f"{k}:params", out_params))
        reply_arrays.update({f"{k}:{n}": a for n, a in out_arrays.items()})
    versions = dict(keras=keras.__version__, tensorflow=tf.__version__)
    save_npz(
        workdir / "reply.npz",
        {"jobs": reply_metas, "versions": versions},
        **reply_arrays,
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m rnnbook.frameworks.keras_worker DIR")
    main(sys.argv[1])
