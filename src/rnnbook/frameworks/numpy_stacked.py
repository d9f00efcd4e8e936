r"""Stacked and bidirectional recurrent layers built from the NumPy layers of Parts I-II.

The reference that framework layers are compared with: it calls ``rnn_forward``,
``lstm_forward`` and ``gru_forward`` of ``rnnbook.scratch`` layer by layer, and runs the
backward direction of a bidirectional layer by reversing the sequence in time, running the same
NumPy layer, and reversing its outputs back. Nothing here imports a framework (the Keras side
uses it too); it lives in ``frameworks/`` because it exists to check framework layers.

Layout of the parameters (the same nesting as ``torch_interop.load_numpy_weights``)::

    params[layer][direction] = (Wxh, Whh, bh)        kind "rnn"   (H, D_l), (H, H), (H,)
                             = (Wx, Wh, b)           kind "lstm"  (4H, D_l), (4H, H), (4H,)
                             = (Wx, Wh, bx, bh)      kind "gru"   (3H, D_l), (3H, H), (3H,) x2

``direction`` 0 reads the sequence forwards, 1 backwards (only when bidirectional).
``D_0 = D``; a layer above reads ``D_l = num_directions * H`` inputs: the concatenation
``[forward, backward]`` of the layer below at each step.

Returned states follow ``torch.nn``'s layout: ``h_n`` has shape
``(num_layers * num_directions, N, H)`` with row ``layer * num_directions + direction``.
"""

from __future__ import annotations

import numpy as np

from rnnbook.scratch.gru import gru_forward
from rnnbook.scratch.lstm import lstm_forward
from rnnbook.scratch.rnn import rnn_forward

KINDS = ("rnn", "lstm", "gru")
N_PARAMS = {"rnn": 3, "lstm": 3, "gru": 4}


def _check_params(kind, params):
    if kind not in KINDS:
        raise ValueError(f"expected kind to be one of {KINDS}, got {kind!r}")
    if not isinstance(params, (list, tuple)) or not params:
        raise ValueError(
            "expected params to be a non-empty list over layers of lists over directions"
        )
    n_dirs = len(params[0])
    if n_dirs not in (1, 2):
        raise ValueError(f"expected 1 or 2 directions in params[0], got {n_dirs}")
    for layer, dirs in enumerate(params):
        if len(dirs) != n_dirs:
            raise ValueError(
                f"expected {n_dirs} directions in params[{layer}] like params[0], "
                f"got {len(dirs)}"
            )
        for d, p in enumerate(dirs):
            if len(p) != N_PARAMS[kind]:
                raise ValueError(
                    f"expected params[{layer}][{d}] to hold {N_PARAMS[kind]} arrays for "
                    f"kind {kind!r}, got {len(p)}"
                )
    return n_dirs


def _run_one(kind, x, p, h0, c0):
    """One direction of one layer: returns the hidden states (N, T, H) and final (h, c)."""
    if kind == "rnn":
        h, _ = rnn_forward(x, h0, *p)
        return h, h[:, -1], None
    if kind == "lstm":
        (h, c), _ = lstm_forward(x, h0, c0, *p)
        return h, h[:, -1], c[:, -1]
    h, _ = gru_forward(x, h0, *p, variant="reset_after")
    return h, h[:, -1], None


def stacked_forward(kind, x, params, h0=None, c0=None):
    """Run a stacked (optionally bidirectional) recurrent network on whole sequences.

    Parameters
    ----------
    kind : ``"rnn"`` (tanh), ``"lstm"`` or ``"gru"`` (reset-after, as ``torch.nn.GRU``)
    x : (N, T, D) input sequences, batch first
    params : nested list ``params[layer][direction]`` (see the module docstring)
    h0, c0 : (num_layers * num_directions, N, H) initial states (zeros if None);
        ``c0`` for the LSTM only

    Returns
    -------
    output : (N, T, num_directions * H) the last layer's states, ``[forward, backward]``
    h_n : (num_layers * num_directions, N, H) final hidden state of each layer and direction
        (the backward direction's final state is the one at step 0)
    c_n : same shape, LSTM cell states; None for "rnn" and "gru"
    """
    n_dirs = _check_params(kind, params)
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"expected x of shape (N, T, D), got {x.shape}")
    N = x.shape[0]
    H = np.shape(params[0][0][1])[1]
    n_states = len(params) * n_dirs
    dtype = np.result_type(x, *params[0][0])
    if h0 is None:
        h0 = np.zeros((n_states, N, H), dtype=dtype)
    if kind == "lstm" and c0 is None:
        c0 = np.zeros((n_states, N, H), dtype=dtype)
    for name, s in (("h0", h0), ("c0", c0 if kind == "lstm" else None)):
        if s is not None and np.shape(s) != (n_states, N, H):
            raise ValueError(
                f"expected {name} of shape (num_layers * num_directions, N, H) = "
                f"{(n_states, N, H)}, got {np.shape(s)}"
            )
    h_n, c_n = [], []
    inp = x
    for layer, dirs in enumerate(params):
        outs = []
        for d, p in enumerate(dirs):
            k = layer * n_dirs + d
            c_init = c0[k] if kind == "lstm" else None
            seq = (
                inp if d == 0 else inp[:, ::-1]
            )  # backward: read the reversed sequence
            h, h_last, c_last = _run_one(kind, seq, p, h0[k], c_init)
            outs.append(
                h if d == 0 else h[:, ::-1]
            )  # ... and put its outputs back in order
            h_n.append(h_last)
            c_n.append(c_last)
        inp = np.concatenate(outs, axis=2)
    c_n = np.stack(c_n) if kind == "lstm" else None
    return inp, np.stack(h_n), c_n
