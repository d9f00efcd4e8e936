r"""RWKV's WKV operator as a recurrence and as a parallel form (chapter 20).

Peng et al. 2023 (RWKV-4). Per channel c (the operator acts on every channel separately),
with a decay rate ``w_c >= 0``, a bonus ``u_c`` for the current token, keys ``k_t`` and
values ``v_t``, the output at step t is a weighted average of the values so far:

    wkv_t = ( sum_{i<t} exp(-(t-1-i) w + k_i) v_i + exp(u + k_t) v_t )
          / ( sum_{i<t} exp(-(t-1-i) w + k_i)     + exp(u + k_t)     )

(In the full time-mixing block, ``k``, ``v`` and a receptance ``r`` are linear maps of the
input, and the block outputs ``W_o (sigmoid(r_t) * wkv_t)``; those maps are outside these
functions.)

**As a recurrence.** Numerator and denominator are two linear recurrences with the constant
per-channel factor ``exp(-w)``: with ``a_t = sum_{i<=t} exp(-(t-i) w + k_i) v_i`` and ``b_t``
the same sum without ``v_i``,

    a_t = exp(-w) a_{t-1} + exp(k_t) v_t,      b_t = exp(-w) b_{t-1} + exp(k_t),
    wkv_t = (a_{t-1} + exp(u + k_t) v_t) / (b_{t-1} + exp(u + k_t)),     a_{-1} = b_{-1} = 0.

A generating model keeps only ``(a, b)``: two numbers per channel, whatever t is.

**As a parallel form.** Every weight is ``exp`` of a score, and the scores are divided by
their sum, so ``wkv_t`` is a softmax over the positions i <= t of

    s_ti = k_i - (t-1-i) w    for i < t,       s_tt = u + k_t,

applied to the values: causal attention per channel with no query, whose score of position i
falls linearly with its distance from t. The (T x T) score matrix gives all steps at once.

**Why a stabiliser.** ``exp(k_t)`` overflows for keys above ln(largest float) (about 88.7
in float32). A softmax does not change when all its scores move by the same amount, so the
parallel form subtracts each row's maximum score. The stabilised recurrence keeps
``a' = exp(-p) a`` and ``b' = exp(-p) b`` with ``p`` the largest exponent seen so far
(``p_{-1} = -inf``), and rescales at every step so that no factor exceeds 1:

    output:  q = max(p_{t-1}, u + k_t),
             wkv_t = (e^{p_{t-1}-q} a' + e^{u+k_t-q} v_t) / (e^{p_{t-1}-q} b' + e^{u+k_t-q})
    update:  p_t = max(p_{t-1} - w, k_t),
             a' <- e^{p_{t-1}-w-p_t} a' + e^{k_t-p_t} v_t,   b' likewise without v_t.

Shapes: ``w``, ``u`` (C,); ``k``, ``v`` (N, T, C); output ``wkv`` (N, T, C), in the dtype
NumPy's promotion of the inputs gives.

``wkv_recurrent``     the stabilised recurrence, T steps over a state of 3 numbers per channel.
``wkv_parallel``      the (T x T) softmax form, stabilised per row.
``wkv_unstabilised``  the recurrence exactly as written first (it overflows for large keys).
"""

from __future__ import annotations

import numpy as np

from rnnbook.shapes import match_shapes

__all__ = ["wkv_recurrent", "wkv_parallel", "wkv_unstabilised"]


def _check(w, u, k, v):
    """Validate the four inputs; return the result dtype."""
    match_shapes(
        {"w": ("C",), "u": ("C",), "k": ("N", "T", "C"), "v": ("N", "T", "C")},
        {"w": w, "u": u, "k": k, "v": v},
    )
    if np.any(np.asarray(w) < 0):
        raise ValueError(
            "w (decay rates) must be >= 0: a negative rate makes old tokens grow, "
            f"got min(w) = {np.min(w)}"
        )
    return np.result_type(w, u, k, v)


def wkv_recurrent(w, u, k, v):
    """The stabilised WKV recurrence, one step at a time.

    w : (C,) decay rates (>= 0), u : (C,) bonus of the current token,
    k, v : (N, T, C) keys and values. Returns wkv : (N, T, C).
    """
    dtype = _check(w, u, k, v)
    N, T, C = k.shape
    a = np.zeros((N, C), dtype=dtype)  # scaled numerator state a'
    b = np.zeros((N, C), dtype=dtype)  # scaled denominator state b'
    p = np.full((N, C), -np.inf, dtype=dtype)  # exponent of the scale
    out = np.empty((N, T, C), dtype=dtype)
    for t in range(T):
        k_t, v_t = k[:, t], v[:, t]
        q = np.maximum(p, u + k_t)
        old, new = np.exp(p - q), np.exp(u + k_t - q)  # old = 0 while p = -inf
        out[:, t] = (old * a + new * v_t) / (old * b + new)
        p_next = np.maximum(p - w, k_t)
        old, new = np.exp(p - w - p_next), np.exp(k_t - p_next)
        a = old * a + new * v_t
        b = old * b + new
        p = p_next
    return out


def wkv_parallel(w, u, k, v):
    """WKV for all steps at once: a causal softmax per channel over (T x T) scores.

    w : (C,) decay rates (>= 0), u : (C,) bonus of the current token,
    k, v : (N, T, C) keys and values. Returns wkv : (N, T, C), equal to
    :func:`wkv_recurrent` up to rounding. Memory: N * C * T * T scores.
    """
    dtype = _check(w, u, k, v)
    T = k.shape[1]
    t = np.arange(T)
    distance = (t[:, None] - 1 - t[None, :]).astype(dtype)  # t - 1 - i, (T, T)
    # scores (N, C, t, i): k_i - (t-1-i) w below the diagonal, u + k_t on it
    k_nc = np.moveaxis(k, 2, 1)  # (N, C, T)
    scores = k_nc[:, :, None, :] - distance * w[None, :, None, None]
    diagonal = u[None, :, None] + k_nc  # (N, C, T)
    scores[:, :, t, t] = diagonal
    scores = np.where(t[:, None] >= t[None, :], scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=-1, keepdims=True)
    out = weights @ np.moveaxis(v, 2, 1)[..., None]  # (N, C, T, 1)
    return np.moveaxis(out[..., 0], 1, 2).astype(dtype, copy=False)


def wkv_unstabilised(w, u, k, v):
    """The WKV recurrence exactly as in the module docstring, with exp(k_t) formed as is.

    w : (C,), u : (C,), k, v : (N, T, C). Returns wkv : (N, T, C); inf or nan once
    ``exp(k_t)`` or ``exp(u + k_t)`` overflows the dtype.
    """
    dtype = _check(w, u, k, v)
    N, T, C = k.shape
    a = np.zeros((N, C), dtype=dtype)
    b = np.zeros((N, C), dtype=dtype)
    decay = np.exp(-w).astype(dtype)
    out = np.empty((N, T, C), dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # the overflow is the point
        for t in range(T):
            bonus = np.exp(u + k[:, t])
            out[:, t] = (a + bonus * v[:, t]) / (b + bonus)
            a = decay * a + np.exp(k[:, t]) * v[:, t]
            b = decay * b + np.exp(k[:, t])
    return out
