"""Argument checks whose error messages name the expected and the actual shapes.

Every public NumPy layer in the package validates its inputs with these helpers, so that a
learner who passes ``x`` of shape (4, 3, 7) where (4, 7, 3) was meant reads

    expected x of shape (N, T, D) = (4, 7, 3), got (4, 3, 7)

instead of a broadcasting error three calls deeper.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def check_array(name: str, value, ndim: int | None = None) -> np.ndarray:
    """Return ``value`` as an ndarray, or raise TypeError/ValueError naming ``name``."""
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"expected {name} to be a numpy array, got {type(value).__name__}"
        )
    if ndim is not None and value.ndim != ndim:
        plural = "" if ndim == 1 else "s"
        raise ValueError(
            f"expected {name} to have {ndim} dimension{plural}, got {value.ndim} (shape {value.shape})"
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
    ``ValueError("expected h0 of shape (N, H) = (4, 5), got (4, 6)")``.
    """
    votes: dict[str, Counter] = {}
    for name, symbols in spec.items():
        arr = check_array(name, arrays[name], ndim=len(symbols))
        for symbol, size in zip(symbols, arr.shape):
            votes.setdefault(symbol, Counter())[size] += 1
    # Counter.most_common keeps insertion order among equal counts: ties go to the first array.
    sizes = {symbol: counter.most_common(1)[0][0] for symbol, counter in votes.items()}
    for name, symbols in spec.items():
        expected = tuple(sizes[s] for s in symbols)
        got = arrays[name].shape
        if got != expected:
            raise ValueError(
                f"expected {name} of shape {_symbolic(symbols)} = {expected}, got {got}"
            )
    return sizes


def _symbolic(symbols: tuple[str, ...]) -> str:
    """Format symbolic dimensions like a Python tuple: ('H',) -> '(H,)', ('N', 'D') -> '(N, D)'."""
    return f"({symbols[0]},)" if len(symbols) == 1 else f"({', '.join(symbols)})"
