"""Tests for rnnbook.scratch.checkpoint: checkpointed BPTT gives the full-BPTT gradients."""

import math

import numpy as np
import pytest

from rnnbook.scratch.checkpoint import (
    checkpoint_cost,
    rnn_backward_checkpointed,
    rnn_forward_checkpoints,
)
from rnnbook.scratch.rnn import random_rnn_problem, rnn_backward, rnn_forward


@pytest.mark.parametrize("T, every", [(12, 4), (13, 4), (7, 1), (5, 5), (5, 9), (1, 3)])
def test_same_gradients_as_full_bptt(T, every):
    rng = np.random.default_rng(T * 100 + every)
    p = random_rnn_problem(rng, N=3, T=T, D=2, H=4, V=1)
    args = (p["x"], p["h0"], p["Wxh"], p["Whh"], p["bh"])
    h, cache = rnn_forward(*args)
    dh = rng.standard_normal(h.shape)
    full = rnn_backward(dh, cache)
    h_last, checkpoints = rnn_forward_checkpoints(*args, every)
    assert checkpoints.shape == (math.ceil(T / every), 3, 4)
    np.testing.assert_allclose(h_last, h[:, -1], rtol=1e-13, atol=1e-14)
    np.testing.assert_array_equal(checkpoints[0], p["h0"])
    for j in range(1, len(checkpoints)):
        np.testing.assert_allclose(checkpoints[j], h[:, j * every - 1], atol=1e-14)
    ours = rnn_backward_checkpointed(
        dh, p["x"], checkpoints, p["Wxh"], p["Whh"], p["bh"], every
    )
    for name, a, b in zip(("dx", "dh0", "dWxh", "dWhh", "dbh"), ours, full):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13, err_msg=name)


def test_cost_counts():
    assert checkpoint_cost(100, 10) == dict(
        checkpoints=10, peak_states=20, forward_steps=200
    )
    assert checkpoint_cost(100, 100)["peak_states"] == 101
    assert checkpoint_cost(10, 3)["checkpoints"] == 4


def test_bad_arguments():
    rng = np.random.default_rng(0)
    p = random_rnn_problem(rng, N=2, T=6, D=2, H=3, V=1)
    args = (p["x"], p["h0"], p["Wxh"], p["Whh"], p["bh"])
    with pytest.raises(ValueError, match="every >= 1"):
        rnn_forward_checkpoints(*args, 0)
    with pytest.raises(TypeError, match="every to be an int"):
        rnn_forward_checkpoints(*args, 2.0)
    _, cps = rnn_forward_checkpoints(*args, 2)
    with pytest.raises(ValueError, match=r"checkpoints of shape .* = \(2, 2, 3\)"):
        rnn_backward_checkpointed(np.zeros((2, 6, 3)), p["x"], cps, *args[2:], 4)
    with pytest.raises(ValueError, match=r"dh of shape \(N, T, H\) = \(2, 6, 3\)"):
        rnn_backward_checkpointed(np.zeros((2, 6, 4)), p["x"], cps, *args[2:], 2)
