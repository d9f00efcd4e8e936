r"""A small Mamba-style selective scan in NumPy (chapter 20; Gu & Dao 2023).

Each of ``D`` channels carries ``P`` real states. At step t the step size ``delta_t``, the input
matrix ``B_t`` and the output matrix ``C_t`` depend on the input (they are *selective*):

    Abar_t = exp(delta_t A)                 (N, D, P)   A : (D, P), negative entries
    Bbar_t = delta_t B_t                    (N, D, P)   first-order form of the ZOH B
    h_t    = Abar_t * h_{t-1} + Bbar_t x_t  (N, D, P)
    y_t    = sum_p C_t[p] h_t[:, p]         (N, D)

Shapes: ``x``, ``delta`` (N, T, D); ``B``, ``C`` (N, T, P) (shared by the D channels);
``A`` (D, P); states ``h`` (N, D, P).

Because ``Abar_t`` changes with t, the output is no longer a convolution with one fixed kernel
(the kernel of chapter 19 would depend on *where* it is applied). But each step is still the
affine map ``h -> a_t h + b_t`` of chapter 17, so the associative scan still applies:

``selective_scan_step``       one step (the generation path).
``selective_scan_loop``       the reference: T steps.
``selective_scan_parallel``   the chapter-17 scan (``rnnbook.scratch.scan``) over (a_t, b_t).
``selective_scan_chunked``    inside a chunk, closed form with a (C x C) matrix of decays
                              ``exp(L_t - L_s)``; a loop over chunks carries the state.
``selective_params``          delta, B, C computed from x by linear maps (softplus for delta).
"""

from __future__ import annotations

import numpy as np

from rnnbook.scratch.scan import linear_recurrence_scan
from rnnbook.shapes import match_shapes

__all__ = [
    "selective_params",
    "selective_scan_step",
    "selective_scan_loop",
    "selective_scan_parallel",
    "selective_scan_chunked",
]


def _check(x, delta, A, B, C, h0):
    sizes = match_shapes(
        {
            "x": ("N", "T", "D"),
            "delta": ("N", "T", "D"),
            "A": ("D", "P"),
            "B": ("N", "T", "P"),
            "C": ("N", "T", "P"),
        },
        {"x": x, "delta": delta, "A": A, "B": B, "C": C},
    )
    N, D, P = sizes["N"], sizes["D"], sizes["P"]
    if np.any(delta <= 0):
        raise ValueError(f"expected delta > 0 (a step size), got min {delta.min()}")
    if h0 is None:
        return np.zeros((N, D, P))
    if not isinstance(h0, np.ndarray) or h0.shape != (N, D, P):
        raise ValueError(
            f"expected h0 of shape (N, D, P) = {(N, D, P)}, "
            f"got {getattr(h0, 'shape', type(h0).__name__)}"
        )
    return h0


def _softplus(z):
    return np.logaddexp(0.0, z)


def selective_params(x, W_delta, b_delta, W_B, W_C):
    """Input-dependent parameters from x (N, T, D).

    delta = softplus(x W_delta^T + b_delta) : (N, T, D)   W_delta (D, D), b_delta (D,)
    B = x W_B^T : (N, T, P), C = x W_C^T : (N, T, P)       W_B, W_C (P, D)
    """
    match_shapes(
        {
            "x": ("N", "T", "D"),
            "W_delta": ("D", "D"),
            "b_delta": ("D",),
            "W_B": ("P", "D"),
            "W_C": ("P", "D"),
        },
        {"x": x, "W_delta": W_delta, "b_delta": b_delta, "W_B": W_B, "W_C": W_C},
    )
    return _softplus(x @ W_delta.T + b_delta), x @ W_B.T, x @ W_C.T


def selective_scan_step(h_prev, x_t, delta_t, A, B_t, C_t):
    """One step. h_prev (N, D, P); x_t, delta_t (N, D); A (D, P); B_t, C_t (N, P).

    Returns (h_t (N, D, P), y_t (N, D)): the state is updated first, then read by C_t.
    """
    Abar = np.exp(delta_t[:, :, None] * A)
    Bbar = delta_t[:, :, None] * B_t[:, None, :]
    h_t = Abar * h_prev + Bbar * x_t[:, :, None]
    return h_t, np.einsum("ndp,np->nd", h_t, C_t)


def selective_scan_loop(x, delta, A, B, C, h0=None):
    """The reference: T calls of :func:`selective_scan_step`.

    Returns y (N, T, D) and the last state h (N, D, P).
    """
    h = _check(x, delta, A, B, C, h0)
    y = np.empty(x.shape)
    for t in range(x.shape[1]):
        h, y[:, t] = selective_scan_step(h, x[:, t], delta[:, t], A, B[:, t], C[:, t])
    return y, h


def _decays_and_inputs(x, delta, A, B):
    """a_t = exp(delta_t A), b_t = delta_t B_t x_t, both (N, T, D, P)."""
    a = np.exp(delta[..., None] * A)
    b = (delta * x)[..., None] * B[:, :, None, :]
    return a, b


def selective_scan_parallel(x, delta, A, B, C, h0=None, method="blelloch"):
    """The same recurrence through the associative scan of chapter 17 (all t at once).

    The (D, P) states are flattened into the scan's hidden axis. Returns (y, h_last).
    """
    h0 = _check(x, delta, A, B, C, h0)
    N, T, D = x.shape
    P = A.shape[1]
    a, b = _decays_and_inputs(x, delta, A, B)
    h = linear_recurrence_scan(
        a.reshape(N, T, D * P),
        b.reshape(N, T, D * P),
        h0.reshape(N, D * P),
        method=method,
    ).reshape(N, T, D, P)
    return np.einsum("ntdp,ntp->ntd", h, C), h[:, -1]


def selective_scan_chunked(x, delta, A, B, C, h0=None, chunk=16):
    """Chunked form: a closed form inside each chunk, a loop over chunks for the state.

    With ``L_t = sum_{r <= t} delta_r A`` (cumulative within the chunk),

        h_t = exp(L_t) h_in + sum_{s <= t} exp(L_t - L_s) b_s,

    an einsum with the (C x C) lower-triangular matrix of decays ``exp(L_t - L_s)``
    (entries with s > t are set to exp(-inf) = 0 *before* exponentiating, so nothing
    overflows). This is the layout of the chunked algorithms of Mamba-2-style kernels.
    Returns (y, h_last).
    """
    h = _check(x, delta, A, B, C, h0)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    T = x.shape[1]
    y = np.empty(x.shape)
    for start in range(0, T, chunk):
        sl = slice(start, min(start + chunk, T))
        a_log = delta[:, sl, :, None] * A  # (N, c, D, P), log of the decays
        _, b = _decays_and_inputs(x[:, sl], delta[:, sl], A, B[:, sl])
        L = np.cumsum(a_log, axis=1)  # (N, c, D, P)
        c = L.shape[1]
        diff = L[:, :, None] - L[:, None, :]  # (N, t, s, D, P): L_t - L_s
        causal = np.tril(np.ones((c, c), dtype=bool))[None, :, :, None, None]
        decay = np.exp(np.where(causal, diff, -np.inf))
        h_chunk = np.exp(L) * h[:, None] + np.einsum("ntsdp,nsdp->ntdp", decay, b)
        y[:, sl] = np.einsum("ntdp,ntp->ntd", h_chunk, C[:, sl])
        h = h_chunk[:, -1]
    return y, h
