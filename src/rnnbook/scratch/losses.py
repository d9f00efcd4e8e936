r"""Sequence losses in NumPy.

``temporal_softmax_cross_entropy`` is the loss of a language model or tagger: a softmax over V
classes at every time step, with a mask for padded steps.

Conventions (chosen to match the book; both are common in practice):

* ``normalize="batch"`` (default): the loss is the **sum over sequences and unmasked steps** of
  the per-step cross-entropies, **divided by the batch size N**,

  .. math::

     L = \frac{1}{N} \sum_{n=1}^{N} \sum_{t=1}^{T} m_{n,t}\,\bigl(-\log p_{n,t,y_{n,t}}\bigr).

  This is "loss per sequence". Its gradient on every step has the same scale whatever the length
  of the other sequences in the batch, so BPTT gradients add up over time exactly as derived in
  chapter 2. In PyTorch: ``F.cross_entropy(..., reduction="sum") / N``.
* ``normalize="tokens"``: divide by ``sum(m)`` instead (the mean over unmasked tokens). This
  is PyTorch's default ``reduction="mean"`` with ``ignore_index``; its value does not grow with
  T, so it is what one reports as "loss per character" (and ``exp`` of it is the perplexity).

The mask ``m`` may be boolean (padding on/off) or float (a weight per step).

Arguments follow the rules of every layer of ``rnnbook.scratch`` (see ``rnnbook.scratch.rnn``):
``scores`` is a float array of shape (N, T, V) with every size at least 1 (T = 0 is rejected);
``targets`` and ``mask`` must have shape (N, T) exactly (no broadcasting); every error names the
argument.  dtype: the gradient ``dscores`` has the dtype of ``scores``.
"""

from __future__ import annotations

import numpy as np

from rnnbook.shapes import check_array, match_shapes

_NORMALIZE = ("batch", "tokens")


def _as_array(name, value):
    """``np.asarray(value)`` (lists of indices are fine), with an error that names ``name``."""
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as err:  # e.g. a ragged list of lists
        raise ValueError(
            f"expected {name} to be an array of shape (N, T), could not read it: {err}"
        ) from None


def log_softmax(scores, axis=-1):
    """Numerically stable ``log softmax``: subtract the maximum before exponentiating.

    Parameters
    ----------
    scores : (..., V) array of unnormalised log-probabilities

    Returns
    -------
    logp : array of the same shape, ``logp = scores - logsumexp(scores)`` along ``axis``
    """
    check_array("scores", scores)
    if scores.ndim == 0:
        raise ValueError(
            "expected scores to have at least 1 dimension, got a 0-d array"
        )
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"expected axis to be an integer, got {type(axis).__name__}")
    if not -scores.ndim <= axis < scores.ndim:
        raise ValueError(
            f"axis {axis} is out of range for scores with {scores.ndim} dimensions"
        )
    if scores.shape[axis] == 0:
        raise ValueError(
            f"expected scores to have at least one class along axis {axis}, "
            f"got shape {scores.shape}"
        )
    shifted = scores - scores.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def temporal_softmax_cross_entropy(scores, targets, mask=None, normalize="batch"):
    """Softmax cross-entropy at every time step, with optional padding mask.

    Parameters
    ----------
    scores : (N, T, V) float scores (logits)
    targets : (N, T) integer class indices in ``[0, V)``; where ``mask`` is 0 they are ignored
        and may hold anything (for example -100 for padding)
    mask : (N, T) bool or float, optional. 1/True: the step counts; 0/False: padding. A float
        mask weights each step's cross-entropy. ``None`` means every step counts.
    normalize : ``"batch"`` (default): divide the masked sum by N (loss per sequence);
        ``"tokens"``: divide by ``mask.sum()`` (mean loss per unmasked step; 0 if there is none).

    Returns
    -------
    loss : float
    dscores : (N, T, V) gradient of ``loss`` with respect to ``scores``:
        ``(softmax(scores) - onehot(targets)) * mask / denominator``
    """
    sizes = match_shapes({"scores": ("N", "T", "V")}, dict(scores=scores))
    N, T, V = sizes["N"], sizes["T"], sizes["V"]
    targets = _as_array("targets", targets)
    if targets.shape != (N, T):
        raise ValueError(
            f"expected targets of shape (N, T) = {(N, T)}, got {targets.shape}"
        )
    if not np.issubdtype(targets.dtype, np.integer):
        raise TypeError(
            f"expected targets to hold integer class indices, got dtype {targets.dtype}"
        )
    if mask is None:
        weights = np.ones((N, T), dtype=scores.dtype)
    else:
        mask = _as_array("mask", mask)
        if mask.shape != (N, T):
            raise ValueError(
                f"expected mask of shape (N, T) = {(N, T)}, got {mask.shape}"
            )
        if not (mask.dtype == bool or np.issubdtype(mask.dtype, np.number)):
            raise TypeError(
                f"expected mask to hold bools or numbers, got dtype {mask.dtype}"
            )
        weights = mask.astype(scores.dtype)
    if normalize not in _NORMALIZE:
        raise ValueError(f"normalize must be one of {_NORMALIZE}, got {normalize!r}")

    active = weights != 0
    bad = active & ((targets < 0) | (targets >= V))
    if bad.any():
        n, t = np.argwhere(bad)[0]
        raise ValueError(
            f"expected targets to lie in [0, V) = [0, {V}) where the mask is on; "
            f"found {targets[n, t]} at (n, t) = ({n}, {t})"
        )
    safe_targets = np.where(
        active, targets, 0
    )  # masked entries: any valid index, weight 0

    logp = log_softmax(scores)  # (N, T, V)
    picked = np.take_along_axis(logp, safe_targets[..., None], axis=-1)[
        ..., 0
    ]  # (N, T)
    total = -(weights * picked).sum()
    denom = float(N) if normalize == "batch" else float(weights.sum())
    if denom == 0.0:
        return 0.0, np.zeros_like(scores)
    loss = float(total / denom)

    dscores = np.exp(logp)  # softmax probabilities p
    np.put_along_axis(
        dscores,
        safe_targets[..., None],
        np.take_along_axis(dscores, safe_targets[..., None], axis=-1) - 1.0,
        axis=-1,
    )  # p - onehot(y)
    dscores *= weights[..., None] / denom
    return loss, dscores
