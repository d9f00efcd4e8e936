r"""Linear recurrences and parallel scans in PyTorch, differentiable (chapters 17 and 18).

The same algorithms as ``rnnbook.scratch.scan`` (read its docstring for the math), written
without in-place updates so that autograd differentiates through them:

``linear_recurrence_loop``  T dependent steps ``h_t = a_t * h_{t-1} + b_t`` (the reference).
``scan_hillis_steele``      inclusive scan in ceil(log2 T) levels, O(T log T) work.
``scan_blelloch``           work-efficient scan: the up-sweep pairs neighbours and recurses on
                            half the length, the down-sweep hands prefixes back (O(T) work,
                            2 log2 T levels); any T, padded with the identity (1, 0).
``linear_recurrence_scan``  ``h = A * h0 + B`` from either scan.
``linear_recurrence_chunked`` a scan inside chunks of C steps, a loop of T / C steps across
                            chunks: the layout GPU kernels for linear recurrences use.
``linear_recurrence_log``   log space for positive a, b, h0 with ``torch.cumsum`` and
                            ``torch.logcumsumexp`` (the form minGRU trains with).

Shapes: ``a``, ``b`` are ``(N, T, H)`` with time on dim 1, ``h0`` is ``(N, H)``.
Kept apart from the NumPy modules so that ``import rnnbook`` never pulls in torch.
"""

from __future__ import annotations

import torch

__all__ = [
    "combine",
    "linear_recurrence_loop",
    "scan_hillis_steele",
    "scan_blelloch",
    "linear_recurrence_scan",
    "linear_recurrence_chunked",
    "linear_recurrence_log",
]


def _check(names, a, b, h0=None):
    """Shapes (N, T, H), (N, T, H), (N, H) with messages that name the tensor."""
    na, nb, nh = names
    for name, value in ((na, a), (nb, b), (nh, h0)):
        if value is None:
            continue
        if not isinstance(value, torch.Tensor):
            raise TypeError(
                f"expected {name} to be a torch.Tensor, got {type(value).__name__}"
            )
        if not value.is_floating_point():
            raise TypeError(f"expected {name} to hold floats, got dtype {value.dtype}")
    if a.dim() != 3:
        raise ValueError(f"expected {na} of shape (N, T, H), got {tuple(a.shape)}")
    N, T, H = a.shape
    if T < 1:
        raise ValueError(
            f"expected {na} of shape (N, T, H) with T >= 1, got {(N, T, H)}"
        )
    if b.shape != a.shape:
        raise ValueError(
            f"expected {nb} of shape (N, T, H) = {(N, T, H)}, got {tuple(b.shape)}"
        )
    if h0 is not None and h0.shape != (N, H):
        raise ValueError(
            f"expected {nh} of shape (N, H) = {(N, H)}, got {tuple(h0.shape)}"
        )


def combine(left, right):
    """``(a1, b1) . (a2, b2) = (a1 * a2, a2 * b1 + b2)``: apply ``left`` first."""
    a1, b1 = left
    a2, b2 = right
    return a1 * a2, a2 * b1 + b2


def linear_recurrence_loop(a, b, h0=None):
    """Sequential ``h_t = a_t * h_{t-1} + b_t``; a, b : (N, T, H), h0 : (N, H) or None.

    Returns h : (N, T, H). Differentiable (autograd records all T steps).
    """
    _check(("a", "b", "h0"), a, b, h0)
    h = torch.zeros_like(a[:, 0]) if h0 is None else h0
    states = []
    # unbind, not a[:, t]: the backward pass of T slices a[:, t] writes T full-size
    # (N, T, H) gradients (quadratic in T); unbind's backward is a single stack
    for a_t, b_t in zip(a.unbind(1), b.unbind(1)):
        h = a_t * h + b_t
        states.append(h)
    return torch.stack(states, dim=1)


def scan_hillis_steele(a, b):
    """Inclusive scan of the pairs along dim 1: returns (A, B), each (N, T, H)."""
    _check(("a", "b", "h0"), a, b)
    A, B = a, b
    T, d = a.shape[1], 1
    while d < T:
        A_new, B_new = combine((A[:, :-d], B[:, :-d]), (A[:, d:], B[:, d:]))
        A = torch.cat([A[:, :d], A_new], dim=1)
        B = torch.cat([B[:, :d], B_new], dim=1)
        d *= 2
    return A, B


def _blelloch_exclusive(A, B):
    """Exclusive scan of a power-of-two length P along dim 1 (recursive up/down sweep)."""
    if A.shape[1] == 1:
        return torch.ones_like(A), torch.zeros_like(B)
    even, odd = (A[:, 0::2], B[:, 0::2]), (A[:, 1::2], B[:, 1::2])
    # Up-sweep level: each pair (2i, 2i+1) becomes one node holding e_2i . e_2i+1.
    pairs = combine(even, odd)
    # Everything above this level, then the down-sweep: node i's prefix goes to its left
    # child; the right child gets prefix . (left child's own element).
    prefix = _blelloch_exclusive(*pairs)
    prefix_odd = combine(prefix, even)
    N, half = A.shape[0], A.shape[1] // 2
    rest = A.shape[2:]
    A_out = torch.stack([prefix[0], prefix_odd[0]], dim=2).reshape(N, 2 * half, *rest)
    B_out = torch.stack([prefix[1], prefix_odd[1]], dim=2).reshape(N, 2 * half, *rest)
    return A_out, B_out


def scan_blelloch(a, b, inclusive=True):
    """Work-efficient scan of the pairs along dim 1 (Blelloch 1990): returns (A, B).

    inclusive : position t holds ``e_0 . ... . e_t`` (True) or ``e_0 . ... . e_{t-1}``
    (False; position 0 holds the identity (1, 0)).
    """
    _check(("a", "b", "h0"), a, b)
    N, T, H = a.shape
    P = 1 << (T - 1).bit_length()
    if P > T:  # pad with the identity map h -> 1 * h + 0
        a_pad = torch.cat([a, a.new_ones(N, P - T, H)], dim=1)
        b_pad = torch.cat([b, b.new_zeros(N, P - T, H)], dim=1)
    else:
        a_pad, b_pad = a, b
    A, B = _blelloch_exclusive(a_pad, b_pad)
    A, B = A[:, :T], B[:, :T]
    if inclusive:
        return combine((A, B), (a, b))
    return A, B


def linear_recurrence_scan(a, b, h0=None, method="blelloch"):
    """``h_t = a_t * h_{t-1} + b_t`` through a scan; method "blelloch" or "hillis_steele"."""
    _check(("a", "b", "h0"), a, b, h0)
    if method == "blelloch":
        A, B = scan_blelloch(a, b)
    elif method == "hillis_steele":
        A, B = scan_hillis_steele(a, b)
    else:
        raise ValueError(
            f"method must be 'blelloch' or 'hillis_steele', got {method!r}"
        )
    return B if h0 is None else A * h0[:, None, :] + B


def linear_recurrence_chunked(a, b, h0=None, chunk=64):
    """The recurrence in chunks: a scan inside each chunk of ``chunk`` steps (all chunks at
    once), then a loop over the ceil(T / chunk) chunks that carries the state across.

    Inside chunk c, ``h_t = A_t * h_carry + B_t`` with (A, B) the chunk-local inclusive scan;
    the carry of the next chunk is the last state of this one. a, b : (N, T, H).
    """
    _check(("a", "b", "h0"), a, b, h0)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    N, T, H = a.shape
    n_chunks = -(-T // chunk)
    pad = n_chunks * chunk - T
    if pad:
        a = torch.cat([a, a.new_ones(N, pad, H)], dim=1)
        b = torch.cat([b, b.new_zeros(N, pad, H)], dim=1)
    # (N, T, H) -> (N * n_chunks, chunk, H): every chunk is one row of the local scan.
    a_c = a.reshape(N * n_chunks, chunk, H)
    b_c = b.reshape(N * n_chunks, chunk, H)
    A, B = scan_hillis_steele(a_c, b_c)
    A = A.reshape(N, n_chunks, chunk, H)
    B = B.reshape(N, n_chunks, chunk, H)
    h = a.new_zeros(N, H) if h0 is None else h0
    out = []
    for c in range(n_chunks):
        h_chunk = A[:, c] * h[:, None, :] + B[:, c]
        out.append(h_chunk)
        h = h_chunk[:, -1]
    return torch.cat(out, dim=1)[:, :T]


def linear_recurrence_log(log_a, log_b, log_h0=None):
    """Log-space recurrence for positive a, b (and h0): returns ``log h`` : (N, T, H).

    ``log h_t = a*_t + logcumsumexp_k(log b_k - a*_k)`` with ``a*_t = cumsum(log a)_t``;
    ``log_h0`` (N, H) or None (h0 = 0) enters as an extra first term with ``a* = 0``.
    """
    _check(("log_a", "log_b", "log_h0"), log_a, log_b, log_h0)
    a_star = torch.cumsum(log_a, dim=1)
    terms = log_b - a_star
    if log_h0 is None:
        return a_star + torch.logcumsumexp(terms, dim=1)
    terms = torch.cat([log_h0[:, None, :], terms], dim=1)
    return a_star + torch.logcumsumexp(terms, dim=1)[:, 1:]
