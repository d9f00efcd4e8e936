"""Time the NumPy RNN (forward + backward, float32) against torch.nn.RNN on the same sizes.

    .venv/bin/python benchmarks/bench_rnn.py [--N 64 --T 100 --D 64 --H 128 --repeats 7]

Prints the best-of-``repeats`` time of each and their ratio. The NumPy backward is vectorised:
the only loop over time is the recurrence ``dh_{t-1} = da_t W_hh``; dx, dWxh, dWhh and dbh are
each one matrix product over all N*T rows after the loop.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from rnnbook.frameworks.torch_interop import load_rnn_weights
from rnnbook.scratch.rnn import rnn_backward, rnn_forward


def best_of(fn, repeats):
    fn()  # warm-up (allocations, thread pools)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in [("N", 64), ("T", 100), ("D", 64), ("H", 128), ("repeats", 7)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args()
    N, T, D, H = args.N, args.T, args.D, args.H

    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, D)).astype(np.float32)
    h0 = np.zeros((N, H), dtype=np.float32)
    Wxh = (rng.standard_normal((H, D)) / np.sqrt(D)).astype(np.float32)
    Whh = (rng.standard_normal((H, H)) / np.sqrt(H)).astype(np.float32)
    bh = np.zeros(H, dtype=np.float32)
    dh = rng.standard_normal((N, T, H)).astype(np.float32)

    def numpy_step():
        _, cache = rnn_forward(x, h0, Wxh, Whh, bh)
        return rnn_backward(dh, cache)

    torch.manual_seed(0)
    layer = torch.nn.RNN(D, H, batch_first=True)
    load_rnn_weights(layer, Wxh, Whh, bh)
    tx = torch.from_numpy(x).requires_grad_(True)
    th0 = torch.from_numpy(h0)[None]
    tdh = torch.from_numpy(dh)

    def torch_step():
        layer.zero_grad(set_to_none=True)
        tx.grad = None
        out, _ = layer(tx, th0)
        out.backward(tdh)

    # Same numbers first: the benchmark compares two implementations of one computation.
    grads = numpy_step()
    torch_step()
    ref = layer.weight_ih_l0.grad.numpy()
    rel_diff = float(np.linalg.norm(grads[2] - ref) / np.linalg.norm(ref))

    t_np = best_of(numpy_step, args.repeats)
    t_torch = best_of(torch_step, args.repeats)
    print(
        f"sizes: N={N} T={T} D={D} H={H}, float32, forward + backward, best of {args.repeats}"
    )
    print(
        f"torch threads: {torch.get_num_threads()}; "
        f"||dWxh numpy - dWxh torch|| / ||dWxh torch|| = {rel_diff:.1e}"
    )
    print(f"NumPy rnn_forward + rnn_backward : {1e3 * t_np:8.2f} ms")
    print(f"torch.nn.RNN forward + backward  : {1e3 * t_torch:8.2f} ms")
    print(f"ratio NumPy / torch              : {t_np / t_torch:8.2f}")


if __name__ == "__main__":
    main()
