"""Tests for rnnbook.data.tasks: layouts, seeding, and the trivial baselines on large samples."""

import math

import numpy as np
import pytest

from rnnbook.data.tasks import (
    BLANK,
    DELIMITER,
    N_TOKENS,
    adding_baseline_mse,
    adding_problem,
    copy_memory,
    copy_memory_baseline,
    copy_memory_baseline_probs,
    one_hot,
)


@pytest.mark.parametrize("n, T", [(1, 2), (5, 7), (64, 50), (3, 3)])
def test_adding_shapes_markers_and_target(n, T):
    x, y = adding_problem(n, T, seed=3)
    assert x.shape == (n, T, 2) and y.shape == (n,)
    values, markers = x[..., 0], x[..., 1]
    assert np.all((values >= 0) & (values < 1))
    assert set(np.unique(markers)) <= {0.0, 1.0}
    np.testing.assert_array_equal(markers.sum(axis=1), 2.0)
    half = T // 2
    np.testing.assert_array_equal(
        markers[:, :half].sum(axis=1), 1.0
    )  # one marker per half
    np.testing.assert_array_equal(markers[:, half:].sum(axis=1), 1.0)
    # target, computed independently with a loop over the rows
    for i in range(n):
        marked = [values[i, t] for t in range(T) if markers[i, t] == 1.0]
        assert y[i] == pytest.approx(sum(marked), abs=1e-12)


def test_adding_seeding_and_dtype():
    a = adding_problem(4, 10, seed=1)
    b = adding_problem(4, 10, seed=1)
    c = adding_problem(4, 10, seed=2)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    x, y = adding_problem(4, 10, seed=np.random.default_rng(0), dtype=np.float32)
    assert x.dtype == np.float32 and y.dtype == np.float32


@pytest.mark.parametrize("bad", [dict(n=0, T=5), dict(n=2, T=1), dict(n=2.5, T=5)])
def test_adding_bad_arguments(bad):
    with pytest.raises(ValueError, match="expected|T >= 2"):
        adding_problem(**bad)


def test_adding_baseline_on_large_sample():
    _, y = adding_problem(200_000, 20, seed=0)
    assert adding_baseline_mse() == pytest.approx(1 / 6)
    # predicting the constant 1 (the mean of the target)
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, rel=0.01)
    assert y.mean() == pytest.approx(1.0, abs=0.005)


@pytest.mark.parametrize("n, T", [(1, 1), (3, 5), (16, 30)])
def test_copy_memory_layout(n, T):
    x, y = copy_memory(n, T, seed=5)
    L = T + 20
    assert x.shape == (n, L) and y.shape == (n, L)
    assert x.dtype == np.int64 and y.dtype == np.int64
    assert np.all((x[:, :10] >= 1) & (x[:, :10] <= 8))  # ten data symbols
    np.testing.assert_array_equal(x[:, 10 : T + 9], BLANK)  # T - 1 blanks
    np.testing.assert_array_equal(x[:, T + 9], DELIMITER)  # the delimiter
    np.testing.assert_array_equal(x[:, T + 10 :], BLANK)  # ten blanks while writing
    np.testing.assert_array_equal(y[:, : T + 10], BLANK)
    np.testing.assert_array_equal(y[:, T + 10 :], x[:, :10])  # the copy
    assert (x == DELIMITER).sum() == n


def test_copy_memory_seeding_and_symbol_distribution():
    np.testing.assert_array_equal(
        copy_memory(3, 4, seed=9)[0], copy_memory(3, 4, seed=9)[0]
    )
    x, _ = copy_memory(20_000, 1, seed=0)
    counts = np.bincount(x[:, :10].ravel(), minlength=N_TOKENS)
    assert counts[0] == 0 and counts[9] == 0
    np.testing.assert_allclose(counts[1:9] / counts.sum(), 1 / 8, atol=0.005)


@pytest.mark.parametrize("T", [1, 10, 100])
def test_copy_memory_baseline_against_sampled_cross_entropy(T):
    _, y = copy_memory(2000, T, seed=1)
    probs = copy_memory_baseline_probs(T)  # (L, 10)
    picked = probs[
        np.arange(T + 20)[None, :], y
    ]  # (N, L) probability of the true token
    ce = -np.mean(np.log(picked))
    assert copy_memory_baseline(T) == pytest.approx(10 * math.log(8) / (T + 20))
    assert ce == pytest.approx(
        copy_memory_baseline(T), rel=1e-12
    )  # exact: every symbol has p = 1/8


def test_one_hot():
    tokens = np.array([[0, 9], [3, 1]])
    out = one_hot(tokens)
    assert out.shape == (2, 2, 10) and out.dtype == np.float32
    np.testing.assert_array_equal(out.argmax(-1), tokens)
    np.testing.assert_array_equal(out.sum(-1), 1.0)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        one_hot(np.array([10]))
    with pytest.raises(TypeError):
        one_hot(np.array([0.5]))


def test_copy_memory_accuracy_counts_only_recalled_positions():
    from rnnbook.data.tasks import copy_memory_accuracy

    x, y = copy_memory(4, 3, seed=0)
    perfect = one_hot(y, 10)
    assert copy_memory_accuracy(perfect, y) == 1.0
    blanks = one_hot(
        np.zeros_like(y), 10
    )  # right on the T + 10 blank steps, wrong on the copy
    assert copy_memory_accuracy(blanks, y) == 0.0
    half = perfect.copy()
    half[:, -5:] = blanks[:, -5:]  # last five recalled symbols wrong
    assert copy_memory_accuracy(half, y) == 0.5
    # batch 1, independent loop
    s = np.random.default_rng(1).normal(size=(1, 23, 10))
    expected = np.mean([np.argmax(s[0, t]) == y[0, t] for t in range(13, 23)])
    assert copy_memory_accuracy(s, y[:1]) == pytest.approx(expected)
    with pytest.raises(ValueError, match="expected scores"):
        copy_memory_accuracy(perfect[:, :, 0], y)
