r"""Stacked (deep) and bidirectional vanilla RNNs in NumPy, built on ``rnn.rnn_forward``.

A stacked RNN feeds the hidden states of layer ``l`` as the inputs of layer ``l + 1``; a
bidirectional layer runs one RNN forward in time and a second one on the time-reversed
sequence, reverses the second one's outputs back, and concatenates the two at every step::

    forward  : h^f_t = tanh(W^f_xh x_t + W^f_hh h^f_{t-1} + b^f_h),   t = 1 .. T
    backward : h^b_t = tanh(W^b_xh x_t + W^b_hh h^b_{t+1} + b^b_h),   t = T .. 1
    output   : y_t   = [h^f_t ; h^b_t]                                 (N, T, 2H)

Parameters are given per layer and per direction, in the layout of ``torch.nn.RNN``:

==================  ==============  ==========================================
``layers[l][d]``    shapes          ``torch.nn.RNN(num_layers=L, ...)``
==================  ==============  ==========================================
``Wxh``             (H, D_l)        ``weight_ih_l{l}`` (``_reverse`` if d = 1)
``Whh``             (H, H)          ``weight_hh_l{l}``
``bh``              (H,)            ``bias_ih_l{l} + bias_hh_l{l}``
==================  ==============  ==========================================

``D_0 = D`` (the input size) and ``D_l = H * num_directions`` for ``l >= 1``. Initial and
final states are stacked like PyTorch's ``h_0`` / ``h_n``: shape (L * num_directions, N, H), index
``l * num_directions + d``.
"""

from __future__ import annotations

import numpy as np

from rnnbook.scratch.rnn import rnn_forward
from rnnbook.shapes import check_array


def _check_layers(layers, D):
    """Validate the nested parameter list; return (L, num_directions, H)."""
    if not isinstance(layers, (list, tuple)) or len(layers) == 0:
        raise ValueError("expected layers to be a non-empty list of layers")
    dirs = None
    H = None
    for k, layer in enumerate(layers):
        if not isinstance(layer, (list, tuple)) or len(layer) not in (1, 2):
            raise ValueError(
                f"expected layers[{k}] to be a list of 1 (unidirectional) or 2 "
                f"(bidirectional) (Wxh, Whh, bh) tuples, got {type(layer).__name__}"
            )
        if dirs is None:
            dirs = len(layer)
        elif len(layer) != dirs:
            raise ValueError(
                f"every layer needs the same number of directions: layers[0] has "
                f"{dirs}, layers[{k}] has {len(layer)}"
            )
        for d, params in enumerate(layer):
            name = f"layers[{k}][{d}]"
            if not isinstance(params, (list, tuple)) or len(params) != 3:
                raise ValueError(f"expected {name} to be a tuple (Wxh, Whh, bh)")
            Wxh = check_array(f"{name} Wxh", params[0], ndim=2)
            Whh = check_array(f"{name} Whh", params[1], ndim=2)
            bh = check_array(f"{name} bh", params[2], ndim=1)
            H = Whh.shape[0] if H is None else H
            D_k = D if k == 0 else H * dirs
            for what, arr, shape in (
                ("Wxh", Wxh, (H, D_k)),
                ("Whh", Whh, (H, H)),
                ("bh", bh, (H,)),
            ):
                if arr.shape != shape:
                    raise ValueError(
                        f"expected {name} {what} of shape {shape}, got {arr.shape}"
                    )
    return len(layers), dirs, H


def deep_rnn_forward(x, layers, h0=None):
    """Forward pass of a stacked, optionally bidirectional, tanh RNN.

    Parameters
    ----------
    x : (N, T, D) input sequences
    layers : list of L layers; each is a list of one ``(Wxh, Whh, bh)`` tuple
        (unidirectional) or two (forward direction first, then backward); shapes in the module
        docstring
    h0 : (L * num_directions, N, H) initial states, or None for zeros

    Returns
    -------
    out : (N, T, num_directions * H) hidden states of the top layer, directions concatenated
        as ``[forward ; backward]`` at every step (``torch.nn.RNN``'s ``output``)
    h_n : (L * num_directions, N, H) final states: step T for the forward direction, step 1
        (the last one it computes) for the backward direction (``torch.nn.RNN``'s ``h_n``)
    """
    x = check_array("x", x, ndim=3)
    N, T, D = x.shape
    L, dirs, H = _check_layers(layers, D)
    if h0 is None:
        h0 = np.zeros((L * dirs, N, H), dtype=x.dtype)
    h0 = check_array("h0", h0, ndim=3)
    if h0.shape != (L * dirs, N, H):
        raise ValueError(
            f"expected h0 of shape (L * num_directions, N, H) = {(L * dirs, N, H)}, "
            f"got {h0.shape}"
        )
    inputs = x
    finals = []
    for k, layer in enumerate(layers):
        outputs = []
        for d, (Wxh, Whh, bh) in enumerate(layer):
            if d == 0:
                h, _ = rnn_forward(inputs, h0[k * dirs + d], Wxh, Whh, bh)
                finals.append(h[:, -1])
            else:
                # run on the reversed sequence, then put the outputs back in time order
                h_rev, _ = rnn_forward(inputs[:, ::-1], h0[k * dirs + d], Wxh, Whh, bh)
                finals.append(h_rev[:, -1])  # computed last: it belongs to step 1
                h = h_rev[:, ::-1]
            outputs.append(h)
        inputs = np.concatenate(outputs, axis=-1)  # (N, T, dirs * H)
    return inputs, np.stack(finals)


def sequential_steps(T: int, L: int, bidirectional: bool = False) -> int:
    """Length of the longest chain of dependent recurrent steps (the critical path).

    Every step ``(layer l, time t)`` waits for ``(l, t - 1)`` in its own direction and for the
    layer below at the same time step. A unidirectional stack can therefore run as a
    wavefront: ``T + L - 1`` dependent steps. In a bidirectional stack, step 1 of a layer's
    forward direction needs the layer below's backward state at step 1, which that direction
    computes last, so the layers cannot overlap: ``L * T`` (the two directions of one layer run
    side by side).
    """
    for name, value in (("T", T), ("L", L)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected {name} to be an int, got {value!r}")
        if value < 1:
            raise ValueError(f"expected {name} >= 1, got {value}")
    return L * T if bidirectional else T + L - 1
