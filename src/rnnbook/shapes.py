"""Argument checks whose error messages name the argument, the expected and the actual shapes.

Every public NumPy layer in the package validates its inputs with these helpers, so that a
learner who passes ``x`` of shape (4, 3, 7) where (4, 7, 3) was meant reads

    expected x of shape (N, T, D) = (4, 7, 3), got (4, 3, 7)

instead of a broadcasting error three calls deeper.  The rules they enforce, for every layer:

* an array argument is a ``numpy.ndarray`` of floats with exactly the documented rank and
  shape: no scalar, no list, no (1, H) or (H,) that NumPy would broadcast across a batch;
* every dimension is at least 1: an empty batch, an empty sequence (T = 0) or a layer without
  units is rejected, naming the array and the dimension;
* a ``cache`` is the tuple that the matching forward function returned.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

# What a zero size means, for the symbols the layers use.
_EMPTY_HINTS = {"T": " (at least one time step)", "N": " (at least one sequence)"}


def check_array(name: str, value, ndim: int | None = None) -> np.ndarray:
    """Return ``value`` if it is a float ndarray of rank ``ndim``; else raise naming ``name``.

    Raises ``TypeError`` for a non-array (a list, a Python or NumPy scalar) or a non-float
    dtype, ``ValueError`` for a wrong number of dimensions.
    """
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"expected {name} to be a numpy array, got {type(value).__name__}"
        )
    if ndim is not None and value.ndim != ndim:
        plural = "" if ndim == 1 else "s"
        raise ValueError(
            f"expected {name} to have {ndim} dimension{plural}, "
            f"got {value.ndim} (shape {value.shape})"
        )
    if not np.issubdtype(value.dtype, np.floating):
        raise TypeError(f"expected {name} to hold floats, got dtype {value.dtype}")
    return value


def match_shapes(
    spec: dict[str, tuple[str, ...]], arrays: dict[str, np.ndarray]
) -> dict[str, int]:
    """Check that named arrays agree on symbolic dimensions; return the dimension sizes.

    Parameters
    ----------
    spec : maps an argument name to its symbolic shape, e.g. ``{"x": ("N", "T", "D")}``.
    arrays : maps the same names to the arrays passed in.

    Each symbol takes the size that most of its occurrences agree on (ties go to the array that
    comes first in ``spec``), so the odd one out is the array blamed:
    ``ValueError("expected h0 of shape (N, H) = (4, 5), got (4, 6)")``.  A symbol of size 0
    is rejected: ``ValueError("expected x of shape (N, T, D) with T >= 1 (at least one time
    step), got (4, 0, 3)")``.
    """
    votes: dict[str, Counter] = {}
    for name, symbols in spec.items():
        arr = check_array(name, arrays[name], ndim=len(symbols))
        for symbol, size in zip(symbols, arr.shape):
            votes.setdefault(symbol, Counter())[size] += 1
    # Counter.most_common keeps insertion order among equal counts: ties go to the first array.
    sizes = {symbol: counter.most_common(1)[0][0] for symbol, counter in votes.items()}
    tied = {
        symbol
        for symbol, counter in votes.items()
        if len(counter) > 1
        and counter.most_common(2)[1][1] == counter.most_common(1)[0][1]
    }
    for name, symbols in spec.items():
        expected = tuple(sizes[s] for s in symbols)
        got = arrays[name].shape
        if got != expected:
            message = (
                f"expected {name} of shape {_symbolic(symbols)} = {expected}, got {got}"
            )
            # A tie means the vote cannot tell which array is wrong: name the other one too.
            for symbol, size in zip(symbols, got):
                if symbol in tied and size != sizes[symbol]:
                    setter = next(
                        other
                        for other, syms in spec.items()
                        if any(
                            s == symbol and n == sizes[symbol]
                            for s, n in zip(syms, arrays[other].shape)
                        )
                    )
                    message += (
                        f"; {symbol} = {sizes[symbol]} was read from {setter} of shape "
                        f"{arrays[setter].shape}, which may be the wrong one"
                    )
            raise ValueError(message)
    for name, symbols in spec.items():
        for symbol in symbols:
            if sizes[symbol] == 0:
                raise ValueError(
                    f"expected {name} of shape {_symbolic(symbols)} with {symbol} >= 1"
                    f"{_EMPTY_HINTS.get(symbol, '')}, got {arrays[name].shape}"
                )
    return sizes


def check_shape(
    name: str, value, symbols: tuple[str, ...], sizes: dict[str, int]
) -> np.ndarray:
    """Check one array against sizes that are already known, e.g. read from a forward cache.

    Unlike ``match_shapes`` nothing is voted on: an upstream gradient ``dh_next`` of shape
    (1, H) is wrong even when it is the only array passed, because the cache fixes N.
    """
    arr = check_array(name, value, ndim=len(symbols))
    expected = tuple(sizes[s] for s in symbols)
    if arr.shape != expected:
        raise ValueError(
            f"expected {name} of shape {_symbolic(symbols)} = {expected}, got {arr.shape}"
        )
    return arr


def check_cache(cache, producer: str, ndims: tuple[int | None, ...]) -> tuple:
    """Check that ``cache`` is the tuple ``producer`` returns; return it.

    ``ndims`` gives, per entry, the rank of the array stored there (``None``: not an array, or
    not checked).  The ranks tell a one-step cache (2-D ``x``) from a sequence cache (3-D ``x``),
    which have the same length in some layers.
    """
    expected = f"expected cache to be the tuple returned by {producer}"
    if not isinstance(cache, tuple):
        raise TypeError(f"{expected}, got {type(cache).__name__}")
    if len(cache) != len(ndims):
        raise ValueError(
            f"{expected} ({len(ndims)} entries), got a tuple of {len(cache)} entries"
        )
    for k, (entry, ndim) in enumerate(zip(cache, ndims)):
        if ndim is None:
            continue
        if not isinstance(entry, np.ndarray) or entry.ndim != ndim:
            got = (
                f"{entry.ndim}-D array"
                if isinstance(entry, np.ndarray)
                else type(entry).__name__
            )
            raise ValueError(
                f"{expected}: entry {k} should be a {ndim}-D array, got a {got}"
            )
    return cache


def check_sizes(**sizes) -> None:
    """Check that each keyword argument is a positive integer (a dimension size)."""
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(
                f"expected {name} to be a positive integer, got {type(value).__name__}"
            )
        if value < 1:
            raise ValueError(f"expected {name} to be a positive integer, got {value}")


def _symbolic(symbols: tuple[str, ...]) -> str:
    """Format symbolic dimensions like a Python tuple: ('H',) -> '(H,)', ('N', 'D') -> '(N, D)'."""
    return f"({symbols[0]},)" if len(symbols) == 1 else f"({', '.join(symbols)})"
