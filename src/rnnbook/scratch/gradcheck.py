r"""Numerical gradient checking (chapter 3).

A backward pass is trusted only after it agrees with a numerical derivative. For a scalar
function ``f`` of an array ``x`` the centred difference

.. math::

    \frac{\partial f}{\partial x_i} \approx
    \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}

has truncation error :math:`O(\varepsilon^2)` (the one-sided difference has
:math:`O(\varepsilon)`), and in float64 with :math:`\varepsilon = 10^{-5}` round-off stays far
below the thresholds used in the book. The functions here therefore insist on float64.

* ``numerical_gradient(f, x, df=None, eps=1e-5)``: every entry of the gradient.
* ``relative_error(a, b, floor=1e-12, rel_floor=0.0)``: the largest entry-wise relative error.
  With ``rel_floor > 0`` an entry far smaller than the largest one of the array is compared on
  the array's scale instead of its own (see below).
* ``grad_check(f, x, analytic, ...)``: compare an analytic gradient with the numerical one on
  all entries, or on a random subset for large tensors; returns the largest relative error,
  computed with ``rel_floor=1e-3`` by default.

Why ``rel_floor``: a finite difference carries an absolute error of roughly
``u |f| / eps`` (about 1e-11 for a loss of order one in float64), whatever the size of the
entry. Entries of a correct gradient can be far smaller than that -- in a 40-step RNN whose loss
sits on the last step, the gradient on the first inputs is around 1e-23 -- and their plain
relative error is then about 1 although nothing is wrong. Dividing by at least
``rel_floor * max_j (|a_j| + |b_j|)`` measures such entries on the scale of the array: a bug that
changes an entry by more than about ``rel_floor`` times the largest entry still shows.

``f`` is called with no arguments changed except ``x``, which is perturbed *in place* (and always
restored), so ``f`` is usually a closure that reads ``x``: ``lambda z: loss(z, W)``. If ``f``
returns an array rather than a scalar, pass the upstream gradient ``df`` (same shape as that
array) and the objective becomes ``sum(f(x) * df)`` -- the way a layer is checked on its own.
"""

from __future__ import annotations

import numpy as np


def _require_float64(name, x):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"expected {name} to be a numpy array, got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(
            f"gradient checks need float64; {name} has dtype {x.dtype} "
            f"(cast it first: {name}.astype(np.float64))"
        )


def _objective(f, x, df):
    out = f(x)
    if df is None:
        out = np.asarray(out)
        if out.size != 1:
            raise ValueError(
                f"f returned an array of shape {out.shape}; pass df (the upstream gradient, "
                "same shape) to check sum(f(x) * df)"
            )
        return float(out.reshape(()))
    out = np.asarray(out)
    if out.shape != np.shape(df):
        raise ValueError(
            f"expected f(x) of the shape of df {np.shape(df)}, got {out.shape}"
        )
    return float(np.sum(out * df))


def _partial(f, x, flat_index, df, eps):
    """Centred difference of the objective along one flat entry of ``x`` (restores ``x``)."""
    flat = x.reshape(-1)  # a view: x must be contiguous
    old = flat[flat_index]
    flat[flat_index] = old + eps
    f_plus = _objective(f, x, df)
    flat[flat_index] = old - eps
    f_minus = _objective(f, x, df)
    flat[flat_index] = old
    return (f_plus - f_minus) / (2.0 * eps)


def numerical_gradient(f, x, df=None, eps=1e-5):
    """Centred-difference gradient of ``f`` with respect to every entry of ``x``.

    Parameters
    ----------
    f : callable taking ``x`` and returning a scalar (or an array, if ``df`` is given)
    x : float64 array of any shape; perturbed in place one entry at a time and restored
    df : optional array of the shape of ``f(x)``: checks the scalar ``sum(f(x) * df)``
    eps : step size (1e-5 suits float64 functions of order 1)

    Returns
    -------
    grad : float64 array of the shape of ``x``
    """
    _require_float64("x", x)
    if not x.flags.c_contiguous:
        raise ValueError(
            "x must be C-contiguous (np.ascontiguousarray) so it can be perturbed in place"
        )
    grad = np.empty(x.size, dtype=np.float64)
    for i in range(x.size):
        grad[i] = _partial(f, x, i, df, eps)
    return grad.reshape(x.shape)


def relative_error(a, b, floor=1e-12, rel_floor=0.0):
    r"""Largest entry-wise relative error between two arrays of the same shape.

    .. math::

        \max_i \frac{|a_i - b_i|}{\max\bigl(|a_i| + |b_i|,\ \text{floor},\
        \text{rel\_floor} \cdot \max_j (|a_j| + |b_j|)\bigr)}

    Parameters
    ----------
    a, b : arrays of the same shape (any shape)
    floor : absolute lower bound of the denominator: two exact zeros give 0, not NaN
    rel_floor : lower bound of the denominator *relative to the largest entry* of the arrays.
        0 (the default) gives the plain entry-wise relative error. ``grad_check`` uses 1e-3, so
        that entries at round-off level are judged on the scale of the whole gradient.

    Returns 0.0 for empty arrays, and inf if either array holds NaN or inf.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"expected arrays of the same shape, got {a.shape} and {b.shape}"
        )
    if not rel_floor >= 0:
        raise ValueError(f"expected rel_floor >= 0, got {rel_floor}")
    if a.size == 0:
        return 0.0
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("inf")  # a NaN must never look like a small error
    size = np.abs(a) + np.abs(b)
    denominator = np.maximum(size, max(floor, rel_floor * float(size.max())))
    return float(np.max(np.abs(a - b) / denominator))


def grad_check(
    f,
    x,
    analytic,
    df=None,
    eps=1e-5,
    max_entries=200,
    rng=None,
    verbose=False,
    rel_floor=1e-3,
):
    """Compare an analytic gradient with centred differences; return the largest error.

    Parameters
    ----------
    f : callable taking ``x`` (see ``numerical_gradient``)
    x : float64 array; perturbed in place and restored
    analytic : array of the shape of ``x``: the gradient your backward pass computed
    df : optional upstream gradient when ``f`` returns an array
    eps : step size of the centred difference
    max_entries : if ``x`` has more entries than this, check this many, chosen at random
        without replacement (``None``: check every entry)
    rng : ``np.random.Generator`` or seed for choosing the entries (default: seed 0)
    verbose : print each checked entry (index, analytic, numerical, error)
    rel_floor : passed to ``relative_error``: an entry smaller than ``rel_floor`` times the
        largest checked entry is compared on that scale (0 gives the plain relative error,
        which flags correct entries that sit below the finite-difference noise)

    Returns
    -------
    float : max error over the checked entries (``relative_error(..., rel_floor=rel_floor)``)
    """
    _require_float64("x", x)
    analytic = np.asarray(analytic)
    if analytic.shape != x.shape:
        raise ValueError(
            f"expected analytic gradient of the shape of x {x.shape}, got {analytic.shape}"
        )
    if not x.flags.c_contiguous:
        raise ValueError(
            "x must be C-contiguous (np.ascontiguousarray) so it can be perturbed in place"
        )
    if max_entries is None or x.size <= max_entries:
        indices = np.arange(x.size)
    else:
        rng = np.random.default_rng(0 if rng is None else rng)
        indices = np.sort(rng.choice(x.size, size=max_entries, replace=False))
    a = analytic.reshape(-1)[indices].astype(np.float64)
    n = np.array([_partial(f, x, i, df, eps) for i in indices])
    if verbose:
        size = np.abs(a) + np.abs(n)
        scale = max(1e-12, rel_floor * float(size.max())) if a.size else 1e-12
        for i, ai, ni, si in zip(indices, a, n, size):
            idx = tuple(int(j) for j in np.unravel_index(i, x.shape))
            err = abs(ai - ni) / max(si, scale)
            print(f"{idx}: analytic {ai:+.6e}  numerical {ni:+.6e}  error {err:.1e}")
    return relative_error(a, n, rel_floor=rel_floor)
