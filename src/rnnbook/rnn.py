r"""The vanilla (Elman) recurrent layer in NumPy, vectorised over a batch.

Equations (the notation page of the book defines every symbol)::

    h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)

Weights are stored as in the equations and as in ``torch.nn.RNN``, so a row of ``Wxh`` belongs to
one hidden unit:

=========  ==========  ===================================  ====================
name       shape       meaning                              ``torch.nn.RNN``
=========  ==========  ===================================  ====================
``x``      (N, T, D)   batch of N input sequences           ``batch_first=True``
``h0``     (N, H)      initial hidden state                 ``h_0[0]``
``Wxh``    (H, D)      input-to-hidden weights              ``weight_ih_l0``
``Whh``    (H, H)      hidden-to-hidden weights             ``weight_hh_l0``
``bh``     (H,)        hidden bias                          ``bias_ih_l0 + bias_hh_l0``
``h``      (N, T, H)   hidden state at every time step      ``output``
=========  ==========  ===================================  ====================

Forward functions return ``(result, cache)``; the matching backward functions take the upstream
gradient and that cache and return gradients in the order of the forward inputs.
"""

from __future__ import annotations

import numpy as np

from rnnbook.shapes import match_shapes

_STEP_SHAPES = {"x": ("N", "D"), "h_prev": ("N", "H"), "Wxh": ("H", "D"), "Whh": ("H", "H"), "bh": ("H",)}
_SEQ_SHAPES = {"x": ("N", "T", "D"), "h0": ("N", "H"), "Wxh": ("H", "D"), "Whh": ("H", "H"), "bh": ("H",)}


def rnn_step_forward(x, h_prev, Wxh, Whh, bh):
    """One time step for a batch: ``h_next = tanh(x Wxh^T + h_prev Whh^T + bh)``.

    Parameters
    ----------
    x : (N, D) inputs at this time step
    h_prev : (N, H) hidden state from the previous step
    Wxh : (H, D), Whh : (H, H), bh : (H,) parameters

    Returns
    -------
    h_next : (N, H) new hidden state
    cache : tuple ``(x, h_prev, Wxh, Whh, h_next)`` for ``rnn_step_backward``
    """
    match_shapes(_STEP_SHAPES, dict(x=x, h_prev=h_prev, Wxh=Wxh, Whh=Whh, bh=bh))
    h_next = np.tanh(x @ Wxh.T + h_prev @ Whh.T + bh)
    return h_next, (x, h_prev, Wxh, Whh, h_next)


def rnn_forward(x, h0, Wxh, Whh, bh):
    """Run the recurrence over whole sequences.

    The input projection ``x Wxh^T + bh`` does not depend on the hidden state, so it is computed
    for all T steps in one matrix product; only ``h_{t-1} Whh^T`` stays inside the time loop.

    Parameters
    ----------
    x : (N, T, D) input sequences
    h0 : (N, H) initial hidden state
    Wxh : (H, D), Whh : (H, H), bh : (H,) parameters

    Returns
    -------
    h : (N, T, H) hidden states h_1 ... h_T
    cache : tuple ``(x, h0, Wxh, Whh, h)`` for ``rnn_backward``
    """
    sizes = match_shapes(_SEQ_SHAPES, dict(x=x, h0=h0, Wxh=Wxh, Whh=Whh, bh=bh))
    N, T, H = sizes["N"], sizes["T"], sizes["H"]
    input_part = x @ Wxh.T + bh  # (N, T, H), all time steps at once
    h = np.empty((N, T, H), dtype=np.result_type(x, h0, Wxh))
    h_prev = h0
    for t in range(T):
        h_prev = np.tanh(input_part[:, t] + h_prev @ Whh.T)
        h[:, t] = h_prev
    return h, (x, h0, Wxh, Whh, h)
