"""Time the NumPy LSTM against ``torch.nn.LSTM``: forward + backward, float32, on the CPU.

    python benchmarks/bench_lstm.py [--repeats 30] [--blas-threads 1]

Problem size (NOTES.md): batch N = 64, T = 100 steps, D = 64 inputs, H = 128 hidden units.
Both sides compute the same thing: the hidden states for all steps, then every gradient
(inputs, initial state, weights, biases) for a random upstream gradient ``dh``.  The two are
timed alternately (NumPy, PyTorch, NumPy, ...) so that both see the same load on a shared
machine, and each timing is the best of ``--repeats`` runs after a warm-up (the minimum is the
least noisy estimate).  Prints both timings and the ratio NumPy / PyTorch.

``--blas-threads K`` limits NumPy's BLAS (OpenBLAS) to K threads; it must be set before NumPy is
imported, which is why it is read from the command line first.  The per-step products here are
small ((4H, H) times (H, N)), and handing each one to two threads costs more than it saves when
the cores are shared; PyTorch keeps its own thread pool (``torch.get_num_threads()``).
"""

from __future__ import annotations

import argparse
import os
import time


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="threads for NumPy's BLAS (default: the library's own choice)",
    )
    parser.add_argument("--N", type=int, default=64)
    parser.add_argument("--T", type=int, default=100)
    parser.add_argument("--D", type=int, default=64)
    parser.add_argument("--H", type=int, default=128)
    return parser.parse_args()


ARGS = parse_args()
if ARGS.blas_threads is not None:
    os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.blas_threads)

import numpy as np  # noqa: E402  (after the BLAS thread setting)
import torch  # noqa: E402

from rnnbook.frameworks.torch_interop import load_lstm_weights  # noqa: E402
from rnnbook.scratch.lstm import lstm_backward, lstm_forward  # noqa: E402


def best_of_alternating(fns, repeats: int) -> list[float]:
    """Best wall time of each function, running them in turn so they share the machine's load."""
    for fn in fns:
        fn()  # warm-up
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - start)
    return best


def main() -> None:
    args = ARGS
    N, T, D, H = args.N, args.T, args.D, args.H

    rng = np.random.default_rng(0)
    f32 = np.float32
    x = rng.standard_normal((N, T, D)).astype(f32)
    h0 = np.zeros((N, H), f32)
    c0 = np.zeros((N, H), f32)
    scale = 1 / np.sqrt(H)
    Wx = rng.uniform(-scale, scale, (4 * H, D)).astype(f32)
    Wh = rng.uniform(-scale, scale, (4 * H, H)).astype(f32)
    b = rng.uniform(-scale, scale, 4 * H).astype(f32)
    dh = rng.standard_normal((N, T, H)).astype(f32)

    def numpy_step():
        (h, _), cache = lstm_forward(x, h0, c0, Wx, Wh, b)
        return lstm_backward(dh, cache)

    torch.manual_seed(0)
    layer = torch.nn.LSTM(D, H, batch_first=True)
    load_lstm_weights(layer, Wx, Wh, b)
    xt = torch.from_numpy(x).requires_grad_()
    dht = torch.from_numpy(dh)

    def torch_step():
        layer.zero_grad()
        xt.grad = None
        out, _ = layer(xt)
        out.backward(dht)

    # Same numbers first, then timings.
    grads = numpy_step()
    torch_step()
    err = np.abs(grads[0] - xt.grad.numpy()).max()
    t_np, t_torch = best_of_alternating([numpy_step, torch_step], args.repeats)
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(
        f"LSTM forward+backward, N={N} T={T} D={D} H={H}, float32, best of {args.repeats}"
    )
    print(
        f"  torch threads: {torch.get_num_threads()}; NumPy BLAS threads: {blas}; "
        f"max |dx numpy - dx torch| = {err:.1e}"
    )
    print(f"  NumPy   : {t_np * 1e3:7.1f} ms")
    print(f"  PyTorch : {t_torch * 1e3:7.1f} ms")
    print(f"  ratio NumPy / PyTorch: {t_np / t_torch:.2f}")


if __name__ == "__main__":
    main()
