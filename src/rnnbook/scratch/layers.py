r"""Output layers applied at every time step, in NumPy.

The temporal affine layer maps each hidden state to scores over V classes (for example the next
character)::

    s_t = W_hy h_t + b_y

=========  ==========  ===============================  ===================
name       shape       meaning                          ``torch.nn.Linear``
=========  ==========  ===============================  ===================
``h``      (N, T, H)   hidden states of all steps       input
``Why``    (V, H)      hidden-to-output weights         ``weight``
``by``     (V,)        output bias                      ``bias``
``scores`` (N, T, V)   unnormalised log-probabilities   output
=========  ==========  ===============================  ===================

Arguments and dtype follow the rules of every layer of ``rnnbook.scratch`` (see
``rnnbook.scratch.rnn``): float arrays of exactly these shapes, every size at least 1 (T = 0 is
rejected), a ``cache`` from the matching forward function; the forward pass computes in
``np.result_type`` of its inputs, the backward pass in ``np.result_type`` of the arrays it reads
(the cached ``h`` and ``Why`` and the upstream ``dscores``), so nothing is cast down.
"""

from __future__ import annotations

import numpy as np

from rnnbook.shapes import check_cache, check_shape, match_shapes

_AFFINE_SHAPES = {"h": ("N", "T", "H"), "Why": ("V", "H"), "by": ("V",)}
_AFFINE_CACHE = (3, 2)  # ranks of (h, Why)


def temporal_affine_forward(h, Why, by):
    """Scores for every time step: ``scores = h Why^T + by``.

    Parameters
    ----------
    h : (N, T, H) hidden states
    Why : (V, H) weights, by : (V,) bias

    Returns
    -------
    scores : (N, T, V)
    cache : tuple ``(h, Why)`` for ``temporal_affine_backward``
    """
    match_shapes(_AFFINE_SHAPES, dict(h=h, Why=Why, by=by))
    scores = h @ Why.T + by
    return scores, (h, Why)


def temporal_affine_backward(dscores, cache):
    """Backward pass of ``temporal_affine_forward``.

    Parameters
    ----------
    dscores : (N, T, V) gradient of the loss with respect to the scores
    cache : the tuple ``(h, Why)`` from the forward pass

    Returns
    -------
    dh : (N, T, H), dWhy : (V, H), dby : (V,)
        gradients in the order of the forward inputs ``(h, Why, by)``
    """
    h, Why = check_cache(cache, "temporal_affine_forward", _AFFINE_CACHE)
    (N, T, H), V = h.shape, Why.shape[0]
    check_shape("dscores", dscores, ("N", "T", "V"), dict(N=N, T=T, V=V))
    # NumPy promotion of the cached values and dscores, also for dby (which reads dscores only)
    dscores = dscores.astype(np.result_type(h, Why, dscores), copy=False)
    dh = dscores @ Why  # (N, T, H)
    ds_flat = dscores.reshape(N * T, V)
    dWhy = ds_flat.T @ h.reshape(N * T, H)  # (V, H), summed over batch and time
    dby = ds_flat.sum(axis=0)  # (V,)
    return dh, dWhy, dby
