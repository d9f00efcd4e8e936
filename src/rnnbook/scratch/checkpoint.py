r"""Gradient checkpointing for backpropagation through time (Chen et al. 2016), in NumPy.

Full BPTT keeps all T hidden states for the backward pass. Truncated BPTT saves memory by
cutting the gradient after k steps, which changes the gradient. Checkpointing keeps the exact
gradient and trades memory for computation instead:

1. forward: run the recurrence but keep only the states at the start of each segment of ``k``
   steps, ``h_0, h_k, h_2k, ...`` (``ceil(T / k)`` checkpoints);
2. backward, last segment first: recompute the segment's k states from its checkpoint with
   ``rnn_forward``, backpropagate through them with ``rnn_backward``, and hand the gradient
   with respect to the checkpoint (the segment's ``dh0``) to the segment before it.

At most ``ceil(T / k) + k`` states are held at once (``k ~ sqrt(T)`` makes that about
``2 sqrt(T)``), for one extra forward pass over the sequence.

Shapes as in ``rnnbook.scratch.rnn``: ``x`` (N, T, D), ``h0`` (N, H), ``Wxh`` (H, D),
``Whh`` (H, H), ``bh`` (H,), ``dh`` (N, T, H).
"""

from __future__ import annotations

import math

import numpy as np

from rnnbook.scratch.rnn import rnn_backward, rnn_forward
from rnnbook.shapes import match_shapes

_SHAPES = {
    "x": ("N", "T", "D"),
    "h0": ("N", "H"),
    "Wxh": ("H", "D"),
    "Whh": ("H", "H"),
    "bh": ("H",),
}


def _check_every(every, T):
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)):
        raise TypeError(f"expected every to be an int, got {every!r}")
    if every < 1:
        raise ValueError(f"expected every >= 1, got {every}")
    if T < 1:
        raise ValueError(f"expected a sequence with T >= 1 steps, got T = {T}")
    return int(every)


def rnn_forward_checkpoints(x, h0, Wxh, Whh, bh, every):
    """Forward pass that keeps only the segment-start states.

    Returns
    -------
    h_last : (N, H) the final state h_T
    checkpoints : (ceil(T / every), N, H), ``checkpoints[j] = h_{j * every}`` (``h_0 = h0``)
    """
    sizes = match_shapes(_SHAPES, dict(x=x, h0=h0, Wxh=Wxh, Whh=Whh, bh=bh))
    T = sizes["T"]
    every = _check_every(every, T)
    checkpoints = np.empty(
        (math.ceil(T / every),) + h0.shape, dtype=np.result_type(x, h0)
    )
    h = h0
    for t in range(T):
        if t % every == 0:
            checkpoints[t // every] = h
        h = np.tanh(x[:, t] @ Wxh.T + h @ Whh.T + bh)
    return h, checkpoints


def rnn_backward_checkpointed(dh, x, checkpoints, Wxh, Whh, bh, every):
    """BPTT from checkpoints: the same gradients as ``rnn_backward``, far fewer stored states.

    Parameters
    ----------
    dh : (N, T, H) upstream gradient on every hidden state
    x : (N, T, D) the inputs of the forward pass
    checkpoints : (C, N, H) from ``rnn_forward_checkpoints`` with the same ``every``
    Wxh, Whh, bh : the parameters of the forward pass

    Returns
    -------
    dx : (N, T, D), dh0 : (N, H), dWxh : (H, D), dWhh : (H, H), dbh : (H,)
    """
    sizes = match_shapes(_SHAPES, dict(x=x, h0=checkpoints[0], Wxh=Wxh, Whh=Whh, bh=bh))
    N, T, H = sizes["N"], sizes["T"], sizes["H"]
    every = _check_every(every, T)
    if checkpoints.shape != (math.ceil(T / every), N, H):
        raise ValueError(
            f"expected checkpoints of shape (ceil(T / every), N, H) = "
            f"{(math.ceil(T / every), N, H)}, got {checkpoints.shape}"
        )
    if not isinstance(dh, np.ndarray) or dh.shape != (N, T, H):
        got = getattr(dh, "shape", type(dh).__name__)
        raise ValueError(f"expected dh of shape (N, T, H) = {(N, T, H)}, got {got}")
    dx = np.empty(x.shape, dtype=np.result_type(x, dh))
    dtype = dx.dtype
    dWxh, dWhh = np.zeros(Wxh.shape, dtype), np.zeros(Whh.shape, dtype)
    dbh = np.zeros(bh.shape, dtype)
    carry = np.zeros((N, H), dtype)  # gradient on the last state of the current segment
    for j in range(len(checkpoints) - 1, -1, -1):
        start, stop = j * every, min((j + 1) * every, T)
        h_seg, cache = rnn_forward(x[:, start:stop], checkpoints[j], Wxh, Whh, bh)
        dh_seg = dh[:, start:stop].copy()
        dh_seg[:, -1] += carry  # what the later segments send back into this one
        dx_seg, carry, dWxh_seg, dWhh_seg, dbh_seg = rnn_backward(dh_seg, cache)
        dx[:, start:stop] = dx_seg
        dWxh += dWxh_seg
        dWhh += dWhh_seg
        dbh += dbh_seg
    return dx, carry, dWxh, dWhh, dbh


def checkpoint_cost(T: int, every: int) -> dict:
    """States held and steps computed by checkpointed BPTT with segments of ``every`` steps.

    Returns a dict: ``checkpoints`` (ceil(T / every)), ``peak_states`` (the checkpoints plus
    one recomputed segment) and ``forward_steps`` (T in the forward pass plus T recomputed).
    Full BPTT, for comparison, holds T states and computes T forward steps.
    """
    every = _check_every(every, T)
    segment = min(every, T)
    return {
        "checkpoints": math.ceil(T / every),
        "peak_states": math.ceil(T / every) + segment,
        "forward_steps": 2 * T,
    }
