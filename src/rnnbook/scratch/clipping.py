r"""Gradient clipping, in place on a dict (or list) of gradient arrays.

Two rules, both applied to all gradients of a model together:

``clip_by_value``  element-wise: every entry is clamped to ``[-clip_value, clip_value]``. Cheap,
                   but it changes the *direction* of the gradient whenever some entries are
                   clamped and others are not.
``clip_by_global_norm``  rescales all gradients by one factor
                   :math:`\min(1, c / (\lVert g \rVert + 10^{-6}))`, where :math:`\lVert g\rVert`
                   is the Euclidean norm of all gradients concatenated (Pascanu et al., 2013).
                   The direction is kept; only the step length is capped. The small constant is
                   the one ``torch.nn.utils.clip_grad_norm_`` uses.

Both return the global norm measured *before* clipping, which is worth logging: spikes in it are
the exploding gradients.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np

__all__ = ["global_norm", "clip_by_value", "clip_by_global_norm"]


def _arrays(grads) -> list[np.ndarray]:
    arrays = list(grads.values()) if isinstance(grads, Mapping) else list(grads)
    for i, g in enumerate(arrays):
        if not isinstance(g, np.ndarray):
            raise TypeError(
                f"gradients must be numpy arrays, got {type(g).__name__} at position {i}"
            )
    return arrays


def global_norm(grads: Mapping[str, np.ndarray] | Iterable[np.ndarray]) -> float:
    """Euclidean norm of all gradient arrays taken together.

    :math:`\\sqrt{\\sum_i \\lVert g_i\\rVert^2}`.
    """
    return float(
        np.sqrt(
            sum(float(np.sum(np.square(g, dtype=np.float64))) for g in _arrays(grads))
        )
    )


def clip_by_value(grads, clip_value: float) -> float:
    """Clamp every gradient entry to ``[-clip_value, clip_value]`` in place.

    Parameters
    ----------
    grads : dict name -> array (or a list of arrays), modified in place
    clip_value : positive threshold

    Returns
    -------
    norm : the global norm of the gradients before clipping
    """
    if clip_value <= 0:
        raise ValueError(f"clip_value must be positive, got {clip_value}")
    arrays = _arrays(grads)
    norm = global_norm(arrays)
    for g in arrays:
        np.clip(g, -clip_value, clip_value, out=g)
    return norm


def clip_by_global_norm(grads, max_norm: float) -> float:
    """Rescale all gradients in place so that their global norm is at most ``max_norm``.

    Parameters
    ----------
    grads : dict name -> array (or a list of arrays), modified in place
    max_norm : positive threshold on the global norm

    Returns
    -------
    norm : the global norm of the gradients before clipping
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    arrays = _arrays(grads)
    norm = global_norm(arrays)
    scale = max_norm / (norm + 1e-6)
    if scale < 1.0:
        for g in arrays:
            g *= scale
    return norm
