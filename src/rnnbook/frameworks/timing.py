"""Forward + backward timings of one LSTM or GRU layer: NumPy, PyTorch variants and Keras.

Used by ``benchmarks/bench_frameworks.py`` (the full size, N 64, T 100, D 64, H 128, float32)
and by chapter 12 (a smaller size). Every variant computes the hidden states for all steps from
zero initial states and then the gradients of ``sum(h * dh)`` for a fixed random ``dh``: the
weight and bias gradients in the frameworks, and also the input and initial-state gradients in
the NumPy layers (their backward returns them anyway).

- ``numpy_step``: ``rnnbook.scratch`` ``lstm_forward``/``lstm_backward`` (``gru_*``)
- ``torch_steps``: ``"fused"`` (``nn.LSTM``/``nn.GRU``), ``"cell loop"`` (``nn.LSTMCell`` in a
  Python loop), ``"custom cell"`` (``torch_cells.ManualLSTMCell``, written from the equations)
  and ``"custom cell, compiled"`` (the same cell through ``torch.compile``)
- ``keras_steps`` (imports Keras; run it in its own process, see ``convert``): ``"fit"``
  (``model.fit`` on a sequence-output model with an MSE loss and an SGD step of learning rate
  0), ``"tf.function"`` and ``"eager"`` (a ``GradientTape`` step, compiled or not)

Each ``*_steps`` function returns ``{name: fn}``; ``best_of`` times them one after the other,
all repeats of one variant before the next, and keeps the best and the median of the repeats.
Interleaving the variants (one call of each per round) would share a busy machine's load more
evenly, but it measured PyTorch's fused LSTM at 106 ms instead of 31-38 ms (N 64, T 100, D 64,
H 128, two cores): NumPy's OpenBLAS threads keep spinning for a while after each NumPy call and
take the cores that PyTorch's threads need. Timed in blocks it measured 39-42 ms; the benchmark
script goes further and times NumPy and PyTorch in separate processes.
"""

from __future__ import annotations

import statistics
import time

import numpy as np


def _data(kind, N, T, D, H, seed=0):
    rng = np.random.default_rng(seed)
    G = {"lstm": 4, "gru": 3}[kind]
    s = 1 / np.sqrt(H)
    f32 = np.float32
    return dict(
        x=rng.standard_normal((N, T, D)).astype(f32),
        dh=rng.standard_normal((N, T, H)).astype(f32),
        Wx=rng.uniform(-s, s, (G * H, D)).astype(f32),
        Wh=rng.uniform(-s, s, (G * H, H)).astype(f32),
        bx=rng.uniform(-s, s, G * H).astype(f32),
        bh=rng.uniform(-s, s, G * H).astype(f32),
    )


def numpy_step(kind: str, N: int, T: int, D: int, H: int):
    """The NumPy layer of Parts I-II: one forward + backward pass, float32."""
    from rnnbook.scratch import gru, lstm

    d = _data(kind, N, T, D, H)
    h0 = np.zeros((N, H), np.float32)
    if kind == "lstm":
        b = d["bx"] + d["bh"]

        def step():
            (_, _), cache = lstm.lstm_forward(d["x"], h0, h0, d["Wx"], d["Wh"], b)
            return lstm.lstm_backward(d["dh"], cache)

    else:

        def step():
            _, cache = gru.gru_forward(d["x"], h0, d["Wx"], d["Wh"], d["bx"], d["bh"])
            return gru.gru_backward(d["dh"], cache)

    return step


def torch_steps(kind: str, N: int, T: int, D: int, H: int, compile: bool = True):
    """``{variant: fn}`` for PyTorch; a variant that cannot be built maps to its error text."""
    import torch
    from torch import nn

    from rnnbook.frameworks.torch_cells import ManualGRUCell, ManualLSTMCell, unroll

    torch.manual_seed(0)
    d = _data(kind, N, T, D, H)
    x, dh = torch.from_numpy(d["x"]), torch.from_numpy(d["dh"])
    fused = {"lstm": nn.LSTM, "gru": nn.GRU}[kind](D, H, batch_first=True)
    cell = {"lstm": nn.LSTMCell, "gru": nn.GRUCell}[kind](D, H)
    custom = {"lstm": ManualLSTMCell, "gru": ManualGRUCell}[kind](D, H)

    def run(forward, module):
        def step():
            module.zero_grad(set_to_none=True)
            (forward(x) * dh).sum().backward()

        return step

    steps = {
        "fused": run(lambda x: fused(x)[0], fused),
        "cell loop": run(lambda x: unroll(cell, x)[0], cell),
        "custom cell": run(lambda x: unroll(custom, x)[0], custom),
    }
    if compile:
        try:
            # Module.compile() compiles in place and keeps the class, which unroll reads
            compiled = type(custom)(D, H)
            compiled.load_state_dict(custom.state_dict())
            compiled.compile()
            step = run(lambda x: unroll(compiled, x)[0], compiled)
            step()  # compiles now, so that a failure is caught here
            steps["custom cell, compiled"] = step
        except Exception as err:  # any failure of the compiler is a result to report
            steps["custom cell, compiled"] = f"{type(err).__name__}: {err}"[:300]
    return steps


def keras_steps(kind: str, N: int, T: int, D: int, H: int, fit_batches: int = 4):
    """``{variant: fn}`` for Keras (imports it): ``fit``, ``tf.function`` and eager."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    d = _data(kind, N, T, D, H)
    layer_cls = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[kind]
    # float32 stated explicitly: the worker may have run float64 jobs before this one
    layer = layer_cls(H, return_sequences=True, dtype="float32")
    layer.build((None, T, D))
    x, dh = tf.constant(d["x"]), tf.constant(d["dh"])

    def eager():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x) * dh)
        return tape.gradient(loss, layer.trainable_variables)

    graph = tf.function(eager)
    model = keras.Sequential(
        [
            keras.Input((T, D), dtype="float32"),
            layer_cls(H, return_sequences=True, dtype="float32"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    xs = np.concatenate([d["x"]] * fit_batches)
    ys = np.concatenate([d["dh"]] * fit_batches)

    def fit():
        # one call runs fit_batches steps; divide its time by that number
        model.fit(xs, ys, batch_size=N, epochs=1, shuffle=False, verbose=0)

    fit.steps_per_call = fit_batches
    return {"fit": fit, "tf.function": graph, "eager": eager}


def best_of(steps: dict, repeats: int = 5) -> dict:
    """Time each callable of ``steps``: one warm-up call, then ``repeats`` timed calls.

    The variants run one after the other (see the module's docstring for why not in turn).
    Returns ``{name: {"best_ms": ..., "median_ms": ...}}`` per step (divided by a callable's
    ``steps_per_call`` attribute when it has one); entries that are strings (a variant that
    could not be built) are returned as ``{"error": text}``.
    """
    runnable = {k: f for k, f in steps.items() if callable(f)}
    times = {k: [] for k in runnable}
    for k, f in runnable.items():
        f()
        for _ in range(repeats):
            start = time.perf_counter()
            f()
            times[k].append(
                (time.perf_counter() - start) / getattr(f, "steps_per_call", 1)
            )
    out = {}
    for k, f in steps.items():
        if callable(f):
            out[k] = {
                "best_ms": 1e3 * min(times[k]),
                "median_ms": 1e3 * statistics.median(times[k]),
            }
        else:
            out[k] = {"error": f}
    return out


def ratio_table(results: dict) -> list[str]:
    """Lines of a table: per kind, each variant's best time and its ratio to the fastest.

    ``results[kind][variant]`` as returned by ``best_of`` (merged over frameworks).
    """
    kinds = list(results)
    variants = list(dict.fromkeys(v for k in kinds for v in results[k]))
    best = {
        k: min(r["best_ms"] for r in results[k].values() if "best_ms" in r)
        for k in kinds
    }
    head = f"{'variant':29}" + "".join(
        f"{k.upper() + ' ms':>11}{'ratio':>7}" for k in kinds
    )
    lines = [head, "-" * len(head)]
    for v in variants:
        row = f"{v:29}"
        for k in kinds:
            r = results[k].get(v, {})
            if "best_ms" in r:
                row += f"{r['best_ms']:11.1f}{r['best_ms'] / best[k]:7.1f}"
            else:
                row += f"{'failed':>11}{'':7}"
        lines.append(row)
    return lines
