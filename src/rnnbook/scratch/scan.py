r"""Linear recurrences and parallel scans in NumPy (chapter 17).

The linear recurrence

    h_t = a_t * h_{t-1} + b_t,        t = 0 .. T-1,  h_{-1} = h0   (elementwise)

is the core of minGRU/minLSTM, the LRU and the state-space models of Part V. Each step is the
affine map ``h -> a_t h + b_t``; composing two of them (first ``(a1, b1)``, then ``(a2, b2)``)
gives another one,

    (a1, b1) . (a2, b2) = (a1 * a2, a2 * b1 + b2),

and composition of maps is associative. So the prefixes ``(A_t, B_t) = e_0 . e_1 . ... . e_t``
can be computed by any parallel prefix-sum (scan) algorithm, and ``h_t = A_t * h0 + B_t``.

Functions (all arrays are ``(N, T, H)`` with time on axis 1, as everywhere in the course):

``linear_recurrence_loop``  the reference: T dependent steps.
``combine``                 the associative pair operator.
``scan_hillis_steele``      inclusive scan, log2(T) levels, O(T log T) work (Hillis & Steele 1986).
``scan_blelloch``           work-efficient exclusive scan (up-sweep, down-sweep), O(T) work and
                            2 log2(T) levels (Blelloch 1990); any T, padded to a power of two.
``linear_recurrence_scan``  ``h`` from either scan.
``linear_recurrence_log``   the log-space form for positive ``a``, ``b``, ``h0``:
                            log h_t = a*_t + logcumsumexp_k(log b_k - a*_k), a*_t = sum log a.

The scans here are vectorised over the positions of one level (a level is one NumPy expression),
so the Python loop runs over the log2(T) levels, not over the T steps. NumPy has no parallel
hardware to exploit, so these functions show the algorithm and its correctness; the speed-up is
measured with the PyTorch versions in ``rnnbook.frameworks.torch_scan``.
"""

from __future__ import annotations

import numpy as np

from rnnbook.shapes import match_shapes

__all__ = [
    "combine",
    "linear_recurrence_loop",
    "scan_hillis_steele",
    "scan_blelloch",
    "blelloch_upsweep",
    "blelloch_downsweep",
    "linear_recurrence_scan",
    "linear_recurrence_log",
    "scan_work_depth",
]


def _check(a, b, h0, names=("a", "b", "h0")):
    """Validate ``a``, ``b`` (N, T, H) and ``h0`` (N, H) or None; return h0 (zeros if None)."""
    na, nb, nh = names
    if h0 is None:
        match_shapes({na: ("N", "T", "H"), nb: ("N", "T", "H")}, {na: a, nb: b})
        return np.zeros((a.shape[0], a.shape[2]), dtype=np.result_type(a, b))
    match_shapes(
        {na: ("N", "T", "H"), nb: ("N", "T", "H"), nh: ("N", "H")},
        {na: a, nb: b, nh: h0},
    )
    return h0


def combine(left, right):
    """The associative operator on pairs: apply ``left = (a1, b1)`` first, then ``right``.

    ``(a1, b1) . (a2, b2) = (a1 * a2, a2 * b1 + b2)``, because
    ``a2 * (a1 * h + b1) + b2 = (a1 * a2) * h + (a2 * b1 + b2)``.
    Any broadcast-compatible arrays; returns the pair ``(a, b)``. Not commutative.
    """
    a1, b1 = left
    a2, b2 = right
    return a1 * a2, a2 * b1 + b2


def linear_recurrence_loop(a, b, h0=None):
    """``h_t = a_t * h_{t-1} + b_t`` step by step (the reference every scan is checked against).

    a : (N, T, H) decay, b : (N, T, H) input, h0 : (N, H) initial state (default zeros)

    Returns h : (N, T, H), ``h[:, t]`` the state after step t.
    """
    h_prev = _check(a, b, h0)
    h = np.empty(
        np.broadcast_shapes(a.shape, b.shape), dtype=np.result_type(a, b, h_prev)
    )
    for t in range(a.shape[1]):
        h_prev = a[:, t] * h_prev + b[:, t]
        h[:, t] = h_prev
    return h


def scan_hillis_steele(a, b):
    """Inclusive scan of the pairs ``(a_t, b_t)`` along axis 1 (Hillis & Steele 1986).

    At level ``d = 1, 2, 4, ...`` every position ``t >= d`` combines with position ``t - d``
    (all at once), so after ``ceil(log2 T)`` levels position t holds ``e_0 . ... . e_t``.
    Work O(T log T), depth O(log T).

    a, b : (N, T, H). Returns (A, B) : (N, T, H) each, with ``h_t = A_t * h0 + B_t``.
    """
    match_shapes({"a": ("N", "T", "H"), "b": ("N", "T", "H")}, {"a": a, "b": b})
    A, B = a.copy(), b.copy()
    T, d = a.shape[1], 1
    while d < T:
        # Right-hand sides are read before they are written: one level is one parallel step.
        A_new, B_new = combine((A[:, : T - d], B[:, : T - d]), (A[:, d:], B[:, d:]))
        A[:, d:], B[:, d:] = A_new, B_new
        d *= 2
    return A, B


def scan_blelloch(a, b, inclusive=True):
    """Work-efficient scan of the pairs ``(a_t, b_t)`` along axis 1 (Blelloch 1990).

    The sequence is padded with the identity ``(1, 0)`` to a power of two P >= T. The up-sweep
    builds a balanced tree of partial compositions in place (P - 1 combines); the down-sweep
    replaces the root with the identity and pushes prefixes down (another P - 1 combines):
    a parent's prefix goes to its left child, ``prefix . (left child's total)`` to its right
    child. That gives the *exclusive* scan (position t holds ``e_0 . ... . e_{t-1}``);
    one more combine per position makes it inclusive. Work O(T), depth 2 log2(P).

    a, b : (N, T, H); inclusive : return ``e_0 . ... . e_t`` (True) or ``... e_{t-1}`` (False).
    Returns (A, B) : (N, T, H) each.
    """
    match_shapes({"a": ("N", "T", "H"), "b": ("N", "T", "H")}, {"a": a, "b": b})
    T = a.shape[1]
    A, B = blelloch_downsweep(*blelloch_upsweep(a, b))
    A, B = A[:, :T], B[:, :T]
    if inclusive:
        return combine((A, B), (a, b))
    return A, B


def blelloch_upsweep(a, b):
    """The up-sweep of the Blelloch scan: pad to a power of two P, build partial compositions.

    a, b : (N, T, H). Returns new arrays (A, B) : (N, P, H), padded with the identity (1, 0).
    At stride s = 1, 2, 4, ..., P/2, position i = 2s-1, 4s-1, ... absorbs position i - s
    (``(A_i, B_i) <- (A_{i-s}, B_{i-s}) . (A_i, B_i)``); afterwards position P - 1 holds the
    composition of the whole sequence and position i holds that of its subtree.
    """
    match_shapes({"a": ("N", "T", "H"), "b": ("N", "T", "H")}, {"a": a, "b": b})
    N, T, H = a.shape
    P = 1 << (T - 1).bit_length()  # smallest power of two >= T
    A = np.ones((N, P, H), dtype=np.result_type(a, b))
    B = np.zeros((N, P, H), dtype=A.dtype)
    A[:, :T], B[:, :T] = a, b
    s = 1
    while s < P:
        right = np.arange(2 * s - 1, P, 2 * s)
        left = right - s
        A[:, right], B[:, right] = combine(
            (A[:, left], B[:, left]), (A[:, right], B[:, right])
        )
        s *= 2
    return A, B


def blelloch_downsweep(A, B):
    """The down-sweep: from the up-swept tree (A, B) : (N, P, H) to the exclusive scan.

    The root gets the identity (1, 0); then at stride s = P/2, ..., 1, every parent (position
    i) hands its prefix to its left child (position i - s) and ``prefix . (left child's
    total)`` to itself, the right child. Returns new arrays (N, P, H): position t holds
    ``e_0 . ... . e_{t-1}`` (position 0 the identity).
    """
    match_shapes({"A": ("N", "P", "H"), "B": ("N", "P", "H")}, {"A": A, "B": B})
    P = A.shape[1]
    if P & (P - 1):
        raise ValueError(
            f"expected A of shape (N, P, H) with P a power of two, got {A.shape}"
        )
    A, B = A.copy(), B.copy()
    A[:, P - 1], B[:, P - 1] = 1.0, 0.0
    s = P // 2
    while s >= 1:
        right = np.arange(2 * s - 1, P, 2 * s)
        left = right - s
        total_left = (A[:, left].copy(), B[:, left].copy())
        prefix = (A[:, right].copy(), B[:, right].copy())
        A[:, left], B[:, left] = prefix
        A[:, right], B[:, right] = combine(prefix, total_left)
        s //= 2
    return A, B


def linear_recurrence_scan(a, b, h0=None, method="blelloch"):
    """``h_t = a_t * h_{t-1} + b_t`` for all t through a parallel scan.

    a, b : (N, T, H); h0 : (N, H) or None (zeros); method : "blelloch" or "hillis_steele".
    Returns h : (N, T, H).
    """
    h0 = _check(a, b, h0)
    if method == "blelloch":
        A, B = scan_blelloch(a, b)
    elif method == "hillis_steele":
        A, B = scan_hillis_steele(a, b)
    else:
        raise ValueError(
            f"method must be 'blelloch' or 'hillis_steele', got {method!r}"
        )
    return A * h0[:, None, :] + B


def linear_recurrence_log(log_a, log_b, log_h0=None):
    """The recurrence for positive ``a``, ``b``, ``h0`` in log space; returns ``log h``.

    With ``a*_t = log a_0 + ... + log a_t`` (a cumulative sum),

        h_t = exp(a*_t) * (h0 + sum_{k<=t} b_k exp(-a*_k)),
        log h_t = a*_t + logcumsumexp_k(log b_k - a*_k),

    (``log h0`` joins the running log-sum-exp as a term with ``a* = 0``). Products of many
    ``a_t < 1`` underflow in ``exp(a*_t)`` alone; here they only appear as differences of
    logs, so nothing overflows or underflows for any T.

    log_a, log_b : (N, T, H); log_h0 : (N, H) or None (h0 = 0). Returns log h : (N, T, H).
    """
    names = ("log_a", "log_b", "log_h0")
    if log_h0 is not None:
        _check(log_a, log_b, log_h0, names)
    else:
        _check(log_a, log_b, None, names)
    a_star = np.cumsum(log_a, axis=1)
    terms = log_b - a_star
    if log_h0 is not None:
        terms = np.concatenate([log_h0[:, None, :], terms], axis=1)
        return a_star + np.logaddexp.accumulate(terms, axis=1)[:, 1:]
    return a_star + np.logaddexp.accumulate(terms, axis=1)


def scan_work_depth(T: int, method: str) -> tuple[int, int]:
    """Number of ``combine`` applications (work) and of dependent levels (depth) for length T.

    "loop": (T - 1, T - 1); "hillis_steele": (sum over levels of T - d, ceil(log2 T));
    "blelloch": (2 (P - 1) + T, 2 log2 P + 1) with P the padded length (including the final
    inclusive combine, counted as one level).
    """
    if T < 1:
        raise ValueError(f"T must be at least 1, got {T}")
    if method == "loop":
        return T - 1, T - 1
    if method == "hillis_steele":
        work, depth, d = 0, 0, 1
        while d < T:
            work += T - d
            depth += 1
            d *= 2
        return work, depth
    if method == "blelloch":
        P = 1 << (T - 1).bit_length()
        return 2 * (P - 1) + T, 2 * (P.bit_length() - 1) + 1
    raise ValueError(
        f"method must be 'loop', 'hillis_steele' or 'blelloch', got {method!r}"
    )
