r"""Layer normalisation and the layer-normalised RNN step (Ba, Kiros & Hinton 2016), in NumPy.

Layer normalisation standardises each example's pre-activation over its H hidden units, so
its statistics depend on neither the batch nor the time step::

    mu    = mean_j a_j,          sigma^2 = mean_j (a_j - mu)^2
    a_hat = (a - mu) / sqrt(sigma^2 + eps)
    LN(a) = gamma * a_hat + beta                       gamma, beta: (H,)

The layer-normalised vanilla RNN normalises the summed input of the recurrence at every step
(``beta`` takes the place of the bias ``b_h``)::

    a_t = W_xh x_t + W_hh h_{t-1}
    h_t = tanh(LN(a_t))

Shapes: ``x`` (N, D), ``h_prev`` (N, H), ``Wxh`` (H, D), ``Whh`` (H, H), ``gamma`` and
``beta`` (H,). Forward functions return ``(out, cache)``; backward functions return the
gradients in the order of the forward inputs.
"""

from __future__ import annotations

import numpy as np

from rnnbook.shapes import match_shapes

_LN_SHAPES = {"a": ("N", "H"), "gamma": ("H",), "beta": ("H",)}
_STEP_SHAPES = {
    "x": ("N", "D"),
    "h_prev": ("N", "H"),
    "Wxh": ("H", "D"),
    "Whh": ("H", "H"),
    "gamma": ("H",),
    "beta": ("H",),
}


def layer_norm_forward(a, gamma, beta, eps=1e-5):
    """Normalise every row of ``a`` over its H entries, then scale and shift.

    Parameters
    ----------
    a : (N, H) pre-activations;  gamma : (H,) gain;  beta : (H,) shift
    eps : added to the variance for stability

    Returns
    -------
    out : (N, H);  cache for ``layer_norm_backward``
    """
    match_shapes(_LN_SHAPES, dict(a=a, gamma=gamma, beta=beta))
    mu = a.mean(axis=1, keepdims=True)  # (N, 1): one mean per example
    centred = a - mu
    inv_std = 1.0 / np.sqrt((centred**2).mean(axis=1, keepdims=True) + eps)
    a_hat = centred * inv_std
    return gamma * a_hat + beta, (a_hat, inv_std, gamma)


def layer_norm_backward(dout, cache):
    """Gradients of layer normalisation.

    With ``g = dout * gamma`` (the gradient on ``a_hat``) and H entries per row::

        da = inv_std * (g - mean_j g_j - a_hat * mean_j (g_j a_hat_j))

    (the two means remove the directions that the normalisation itself removed).

    Returns
    -------
    da : (N, H), dgamma : (H,), dbeta : (H,)
    """
    a_hat, inv_std, gamma = cache
    if not isinstance(dout, np.ndarray) or dout.shape != a_hat.shape:
        got = getattr(dout, "shape", type(dout).__name__)
        raise ValueError(f"expected dout of shape (N, H) = {a_hat.shape}, got {got}")
    dgamma = (dout * a_hat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    g = dout * gamma
    da = inv_std * (
        g
        - g.mean(axis=1, keepdims=True)
        - a_hat * (g * a_hat).mean(axis=1, keepdims=True)
    )
    return da, dgamma, dbeta


def ln_rnn_step_forward(x, h_prev, Wxh, Whh, gamma, beta, eps=1e-5):
    """One layer-normalised RNN step: ``h_next = tanh(LN(x Wxh^T + h_prev Whh^T))``.

    Returns
    -------
    h_next : (N, H);  cache for ``ln_rnn_step_backward``
    """
    match_shapes(
        _STEP_SHAPES,
        dict(x=x, h_prev=h_prev, Wxh=Wxh, Whh=Whh, gamma=gamma, beta=beta),
    )
    a = x @ Wxh.T + h_prev @ Whh.T
    z, ln_cache = layer_norm_forward(a, gamma, beta, eps)
    h_next = np.tanh(z)
    return h_next, (x, h_prev, Wxh, Whh, h_next, ln_cache)


def ln_rnn_step_backward(dh_next, cache):
    """Backward pass of ``ln_rnn_step_forward``.

    Returns
    -------
    dx : (N, D), dh_prev : (N, H), dWxh : (H, D), dWhh : (H, H), dgamma : (H,), dbeta : (H,)
    """
    x, h_prev, Wxh, Whh, h_next, ln_cache = cache
    if not isinstance(dh_next, np.ndarray) or dh_next.shape != h_next.shape:
        got = getattr(dh_next, "shape", type(dh_next).__name__)
        raise ValueError(
            f"expected dh_next of shape (N, H) = {h_next.shape}, got {got}"
        )
    dz = dh_next * (1.0 - h_next**2)  # through tanh
    da, dgamma, dbeta = layer_norm_backward(dz, ln_cache)
    return da @ Wxh, da @ Whh, da.T @ x, da.T @ h_prev, dgamma, dbeta
