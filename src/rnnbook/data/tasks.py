r"""Synthetic long-range benchmarks in NumPy: the adding problem and the copy-memory task.

Both tasks hide a short piece of information early in a long sequence and ask for it at the end,
so a model can only beat a trivial baseline if it carries that information across many steps.

Adding problem (Hochreiter & Schmidhuber 1997; layout of Le et al. 2015 and Arjovsky et al. 2016)
---------------------------------------------------------------------------------------------------
``x`` (N, T, 2): channel 0 holds values drawn uniformly from [0, 1]; channel 1 is a marker with
exactly two ones, one at a uniformly chosen step in the first half ``[0, T//2)`` and one in the
second half ``[T//2, T)``. The target ``y`` (N,) is the sum of the two marked values. Predicting
the constant 1 = E[X_1 + X_2] gives the baseline mean squared error Var(X_1 + X_2) = 2/12 = 1/6.

Copy memory (the variant of Arjovsky et al. 2016)
-------------------------------------------------
Tokens: ``BLANK = 0``, data symbols ``1 .. 8``, ``DELIMITER = 9`` (``N_TOKENS = 10``). With
``L = T + 20`` steps, position by position (0-based)::

    input : s_1 ... s_10 | 0 ... 0 (T - 1 blanks) | 9 | 0 ... 0 (10 blanks)
    target: 0  ...  0  (T + 10 blanks)                  | s_1 ... s_10
    index : 0 ...  9   | 10 ... T + 8              | T + 9 | T + 10 ... T + 19

The ten symbols are drawn uniformly from 1..8. The delimiter tells the model to start writing; the
target is blank everywhere except the last ten steps, which repeat the first ten inputs. Predicting
blank with certainty for the first T + 10 steps and a uniform guess over the 8 symbols for the
last ten gives the baseline cross-entropy ``10 ln 8 / (T + 20)`` per time step.
"""

from __future__ import annotations

import math

import numpy as np

BLANK = 0
DELIMITER = 9
N_DATA_SYMBOLS = 8
N_TOKENS = 10
N_RECALL = 10


def _positive_int(name: str, value) -> int:
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or value < 1
    ):
        raise ValueError(f"expected {name} to be a positive integer, got {value!r}")
    return int(value)


def adding_problem(n: int, T: int, seed=0, dtype=np.float64):
    """A batch of the adding problem.

    Parameters
    ----------
    n : number of sequences N
    T : sequence length (T >= 2: one marker in each half)
    seed : int or ``np.random.Generator``; the same int always gives the same batch
    dtype : floating dtype of ``x`` and ``y``

    Returns
    -------
    x : (N, T, 2) inputs; ``x[..., 0]`` values in [0, 1), ``x[..., 1]`` markers (two ones per row)
    y : (N,) targets, the sum of the two marked values
    """
    n, T = _positive_int("n", n), _positive_int("T", T)
    if T < 2:
        raise ValueError(
            f"the adding problem needs T >= 2 (one marker per half), got T={T}"
        )
    rng = np.random.default_rng(seed)
    values = rng.random((n, T))
    half = T // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T, size=n)
    rows = np.arange(n)
    markers = np.zeros((n, T))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype(dtype)
    y = (values[rows, first] + values[rows, second]).astype(dtype)
    return x, y


def adding_baseline_mse() -> float:
    """MSE of always predicting 1 on the adding problem: Var(U_1 + U_2) = 2 * 1/12 = 1/6."""
    return 2.0 / 12.0


def copy_memory(n: int, T: int, seed=0):
    """A batch of the copy-memory task as integer tokens (layout in the module docstring).

    Parameters
    ----------
    n : number of sequences N
    T : length of the gap; each sequence has L = T + 20 steps (T >= 1)
    seed : int or ``np.random.Generator``

    Returns
    -------
    x : (N, T + 20) int64 input tokens in {0, ..., 9}
    y : (N, T + 20) int64 target tokens in {0, ..., 8}
    """
    n, T = _positive_int("n", n), _positive_int("T", T)
    rng = np.random.default_rng(seed)
    L = T + 2 * N_RECALL
    symbols = rng.integers(1, N_DATA_SYMBOLS + 1, size=(n, N_RECALL))
    x = np.full((n, L), BLANK, dtype=np.int64)
    y = np.full((n, L), BLANK, dtype=np.int64)
    x[:, :N_RECALL] = symbols
    x[:, T + N_RECALL - 1] = DELIMITER
    y[:, -N_RECALL:] = symbols
    return x, y


def one_hot(tokens, n_classes: int = N_TOKENS, dtype=np.float32):
    """One-hot encode integer tokens.

    Parameters
    ----------
    tokens : (...) integer array with values in [0, n_classes)

    Returns
    -------
    (..., n_classes) array of ``dtype``
    """
    tokens = np.asarray(tokens)
    if not np.issubdtype(tokens.dtype, np.integer):
        raise TypeError(f"expected integer tokens, got dtype {tokens.dtype}")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= n_classes):
        raise ValueError(
            f"expected tokens in [0, {n_classes}), got values in [{tokens.min()}, {tokens.max()}]"
        )
    return np.eye(n_classes, dtype=dtype)[tokens]


def copy_memory_baseline(T: int) -> float:
    """Cross-entropy per step (nats) of the memoryless baseline: ``10 ln 8 / (T + 20)``."""
    T = _positive_int("T", T)
    return N_RECALL * math.log(N_DATA_SYMBOLS) / (T + 2 * N_RECALL)


def copy_memory_baseline_probs(T: int) -> np.ndarray:
    """The baseline's predicted distribution at every step.

    Returns
    -------
    (T + 20, 10) probabilities: one-hot on BLANK for the first T + 10 steps, uniform over the
    data symbols 1..8 for the last ten.
    """
    T = _positive_int("T", T)
    probs = np.zeros((T + 2 * N_RECALL, N_TOKENS))
    probs[: T + N_RECALL, BLANK] = 1.0
    probs[T + N_RECALL :, 1 : N_DATA_SYMBOLS + 1] = 1.0 / N_DATA_SYMBOLS
    return probs


def copy_memory_accuracy(scores, y) -> float:
    """Fraction of correctly recalled symbols: the argmax of ``scores`` on the last ten steps.

    Parameters
    ----------
    scores : (N, T + 20, V) model outputs (logits or probabilities), V >= 9
    y : (N, T + 20) integer targets from ``copy_memory``

    Blank positions are ignored: a model that always outputs blank scores 0, not (T + 10)/(T + 20).
    """
    scores, y = np.asarray(scores), np.asarray(y)
    if scores.ndim != 3 or y.shape != scores.shape[:2] or y.shape[1] <= 2 * N_RECALL:
        raise ValueError(
            f"expected scores of shape (N, L, V) and y of shape (N, L) with L > {2 * N_RECALL}, "
            f"got {scores.shape} and {y.shape}"
        )
    predicted = scores[:, -N_RECALL:].argmax(axis=-1)
    return float(np.mean(predicted == y[:, -N_RECALL:]))
