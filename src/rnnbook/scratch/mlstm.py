r"""The mLSTM, xLSTM's matrix-memory LSTM, as a recurrence and as a parallel form (chapter 20).

Beck et al. 2024 (xLSTM). One head of width ``d``. At step t the inputs are a query, key and
value ``q_t, k_t, v_t`` (d,) and two scalar gate pre-activations ``i~_t, f~_t``:

    i_t = exp(i~_t)                          exponential input gate
    f_t = sigmoid(f~_t),  log f_t = logsigmoid(f~_t)
    k_t <- k_t / sqrt(d)                     keys are scaled inside every function here
    C_t = f_t C_{t-1} + i_t v_t k_t^T        (d, d) matrix memory,  C_{-1} = 0
    n_t = f_t n_{t-1} + i_t k_t              (d,)   normaliser,     n_{-1} = 0
    h~_t = C_t q_t / max(|n_t^T q_t|, 1)     (d,)

The layer's output is ``h_t = o_t * h~_t`` with a sigmoid output gate ``o_t``; that gate is
applied outside these functions. The gates depend on the inputs only (not on ``h_{t-1}``), so
for given inputs every step is the affine map ``C -> f_t C + i_t v_t k_t^T``: a linear
recurrence, the family of chapters 17-20.

Shapes: ``q``, ``k``, ``v`` (N, T, d); ``i_tilde``, ``f_tilde`` (N, T); output ``h_tilde``
(N, T, d). The output dtype follows NumPy's promotion of the inputs (float32 in, float32 out).

**Why a stabiliser.** ``exp(i~_t)`` overflows once ``i~_t`` exceeds ln(largest float): about
88.7 in float32, 709.8 in float64. The stabilised forms never form ``exp(i~_t)`` itself. They
keep the states scaled by ``exp(-m_t)``, ``C'_t = exp(-m_t) C_t`` and ``n'_t = exp(-m_t) n_t``,
with the running maximum

    m_t = max(log f_t + m_{t-1}, i~_t),      m_{-1} = -inf   (so m_0 = i~_0).

Substituting ``C_{t-1} = exp(m_{t-1}) C'_{t-1}`` into the update and multiplying by
``exp(-m_t)`` gives

    C'_t = exp(log f_t + m_{t-1} - m_t) C'_{t-1} + exp(i~_t - m_t) v_t k_t^T
    n'_t = exp(log f_t + m_{t-1} - m_t) n'_{t-1} + exp(i~_t - m_t) k_t

Both exponents are <= 0 and one of them is 0, so both factors lie in [0, 1]. In the output
the factor ``exp(m_t)`` of numerator and denominator cancels, except in the constant 1:

    h~_t = exp(m_t) C'_t q_t / max(exp(m_t) |n'_t^T q_t|, 1)
         = C'_t q_t / max(|n'_t^T q_t|, exp(-m_t)).

This is an exact rewriting: any finite choice of m_t gives the same h~_t; the maximum is the
choice that keeps the factors at most 1. (``exp(-m_t)`` may still over- or underflow, to inf
for a very negative m_t, giving h~_t = 0, or to 0 for a large one, leaving |n'^T q|; both are
the limits the exact formula approaches.)

**The parallel form.** Unrolling the recurrence,

    C_t q_t = sum_{s <= t} D_ts (k_s^T q_t) v_s,   log D_ts = sum_{r=s+1..t} log f_r + i~_s,

and n_t^T q_t is the same sum without the ``v_s``. With ``log D_ts = -inf`` for s > t, the
(T x T) matrix ``C~ = (q k^T) * D`` (elementwise; keys scaled) gives all steps at once:
``h~ = (C~ / b) v`` with ``b_t = max(|sum_s C~_ts|, 1)``. Stabilised per row with
``m_t = max_s log D_ts`` (which equals the recurrent m_t above, given m_{-1} = -inf):

    C~_ts = (q_t^T k_s) exp(log D_ts - m_t),   b_t = max(|sum_s C~_ts|, exp(-m_t)),
    h~_t  = sum_s (C~_ts / b_t) v_s.

This is causal attention with the softmax replaced by a decay mask and a normaliser:
O(T^2 d) work in dense matrix products, against O(T d^2) in T sequential steps.

``mlstm_recurrent``     the stabilised recurrence, T steps over a (d, d) state.
``mlstm_parallel``      the stabilised (T x T) matrix form.
``mlstm_unstabilised``  the recurrence exactly as written above, without m_t (it overflows).
"""

from __future__ import annotations

import numpy as np

from rnnbook.shapes import match_shapes

__all__ = ["mlstm_recurrent", "mlstm_parallel", "mlstm_unstabilised"]


def _check(q, k, v, i_tilde, f_tilde):
    """Validate the five inputs; return (dtype, k scaled by 1/sqrt(d), log f (N, T))."""
    sizes = match_shapes(
        {
            "q": ("N", "T", "d"),
            "k": ("N", "T", "d"),
            "v": ("N", "T", "d"),
            "i_tilde": ("N", "T"),
            "f_tilde": ("N", "T"),
        },
        {"q": q, "k": k, "v": v, "i_tilde": i_tilde, "f_tilde": f_tilde},
    )
    dtype = np.result_type(q, k, v, i_tilde, f_tilde)
    k_scaled = (k / np.sqrt(sizes["d"])).astype(dtype, copy=False)
    # log sigmoid(z) = -log(1 + exp(-z)), without overflow for very negative z.
    log_f = (-np.logaddexp(0.0, -f_tilde)).astype(dtype, copy=False)
    return dtype, k_scaled, log_f


def mlstm_recurrent(q, k, v, i_tilde, f_tilde):
    """The stabilised mLSTM recurrence, one step at a time.

    q, k, v : (N, T, d) queries, keys (scaled by 1/sqrt(d) here), values
    i_tilde : (N, T) input-gate pre-activations (gate exp(i_tilde))
    f_tilde : (N, T) forget-gate pre-activations (gate sigmoid(f_tilde))

    Returns h_tilde : (N, T, d), the output before the output gate. The state is the scaled
    memory C' (N, d, d), the scaled normaliser n' (N, d) and the stabiliser m (N,), updated
    as in the module docstring, starting from C' = 0, n' = 0, m = -inf.
    """
    dtype, k, log_f = _check(q, k, v, i_tilde, f_tilde)
    N, T, d = q.shape
    C = np.zeros(
        (N, d, d), dtype=dtype
    )  # C[n, a, b]: value coordinate a, key coordinate b
    n = np.zeros((N, d), dtype=dtype)
    m = np.full(N, -np.inf, dtype=dtype)
    h = np.empty((N, T, d), dtype=dtype)
    for t in range(T):
        m_new = np.maximum(log_f[:, t] + m, i_tilde[:, t])
        f_scaled = np.exp(log_f[:, t] + m - m_new)  # 0 at t = 0 (m = -inf)
        i_scaled = np.exp(i_tilde[:, t] - m_new)
        C = (
            f_scaled[:, None, None] * C
            + i_scaled[:, None, None] * v[:, t, :, None] * k[:, t, None, :]
        )
        n = f_scaled[:, None] * n + i_scaled[:, None] * k[:, t]
        m = m_new
        numerator = np.einsum("nab,nb->na", C, q[:, t])
        with np.errstate(over="ignore"):  # exp(-m) may be inf: then h~_t = 0
            floor = np.exp(-m)
        denominator = np.maximum(np.abs(np.sum(n * q[:, t], axis=-1)), floor)
        h[:, t] = numerator / denominator[:, None]
    return h


def mlstm_parallel(q, k, v, i_tilde, f_tilde):
    """The stabilised mLSTM in its parallel form, with a (T x T) matrix per sequence.

    q, k, v : (N, T, d) queries, keys (scaled by 1/sqrt(d) here), values
    i_tilde : (N, T) input-gate pre-activations (gate exp(i_tilde))
    f_tilde : (N, T) forget-gate pre-activations (gate sigmoid(f_tilde))

    Returns h_tilde : (N, T, d), equal to :func:`mlstm_recurrent` up to rounding. Builds
    ``log D`` (N, T, T) from cumulative sums of log f, masks s > t to -inf *before*
    exponentiating, subtracts each row's maximum m_t, and normalises each row by
    ``max(|row sum|, exp(-m_t))``.
    """
    dtype, k, log_f = _check(q, k, v, i_tilde, f_tilde)
    T = q.shape[1]
    F = np.cumsum(log_f, axis=1)  # F_t = sum_{r <= t} log f_r, (N, T)
    # log D_ts = F_t - F_s + i~_s = sum_{r=s+1..t} log f_r + i~_s
    log_D = F[:, :, None] - F[:, None, :] + i_tilde[:, None, :]  # (N, t, s)
    causal = np.tril(np.ones((T, T), dtype=bool))
    log_D = np.where(causal, log_D, -np.inf).astype(dtype, copy=False)
    m = log_D.max(axis=-1)  # (N, T); finite, since log D_tt = i~_t
    scores = q @ k.transpose(0, 2, 1)  # (N, t, s): q_t^T k_s / sqrt(d)
    C_tilde = scores * np.exp(log_D - m[:, :, None])
    with np.errstate(over="ignore"):  # exp(-m) may be inf: then h~_t = 0
        floor = np.exp(-m)
    b = np.maximum(np.abs(C_tilde.sum(axis=-1)), floor)  # (N, T)
    return (C_tilde / b[:, :, None]) @ v


def mlstm_unstabilised(q, k, v, i_tilde, f_tilde):
    """The plain recurrence with i_t = exp(i_tilde) formed directly: no stabiliser.

    q, k, v : (N, T, d); i_tilde, f_tilde : (N, T). Returns h_tilde : (N, T, d).

    Equal to the stabilised forms while exp(i_tilde) and the states stay in range. When they
    do not (i_tilde above about 88.7 in float32 or 709.8 in float64), C and n become inf and
    the output inf / inf = nan; NumPy warns about the overflow unless told otherwise
    (``np.errstate``). Kept to show why :func:`mlstm_recurrent` needs its m_t.
    """
    dtype, k, log_f = _check(q, k, v, i_tilde, f_tilde)
    N, T, d = q.shape
    f = np.exp(log_f)
    i = np.exp(i_tilde).astype(dtype, copy=False)
    C = np.zeros((N, d, d), dtype=dtype)
    n = np.zeros((N, d), dtype=dtype)
    h = np.empty((N, T, d), dtype=dtype)
    for t in range(T):
        C = f[:, t, None, None] * C + i[:, t, None, None] * (
            v[:, t, :, None] * k[:, t, None, :]
        )
        n = f[:, t, None] * n + i[:, t, None] * k[:, t]
        numerator = np.einsum("nab,nb->na", C, q[:, t])
        denominator = np.maximum(np.abs(np.sum(n * q[:, t], axis=-1)), 1.0)
        h[:, t] = numerator / denominator[:, None]
    return h
