"""Plausible wrong solutions of exercise set 12 (one model, three implementations) must lose
points, for the right reason."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from exercise_harness import Wrong, assert_loses_points  # noqa: E402

# ------------------------------------------------------------------------------ 12.1
REL = """
def max_relative_difference(loss_a, loss_b):
    a, b = np.asarray(loss_a, dtype=float), np.asarray(loss_b, dtype=float)
    {BODY}
"""

# ------------------------------------------------------------------------------ 12.2
ADAM = """
def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
              convention="torch"):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * {SQUARE}
    k = {STEP}
    if convention == "torch"{KERAS_SAME}:
        m_hat, v_hat = m / (1 - beta1**k), v / (1 - beta2**k)
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    alpha = lr * np.sqrt(1 - beta2**k) / (1 - beta1**k)
    return theta - alpha * m / ({KERAS_DENOM}), m, v
"""
RIGHT_ADAM = dict(
    SQUARE="g**2", STEP="t", KERAS_SAME="", KERAS_DENOM="np.sqrt(v) + eps"
)


def adam_variant(**change):
    return ADAM.format(**{**RIGHT_ADAM, **change})


# ------------------------------------------------------------------------------ 12.3
CONVERT = """
def keras_lstm_to_torch(keras_weights):
    state = {{}}
    layers = {LAYERS}
    for layer, directions in enumerate(layers):
        for d, (kernel, recurrent_kernel, bias) in enumerate(directions):
            H = recurrent_kernel.shape[0]
            sfx = f"_l{{layer}}" + ("_reverse" if d == {REVERSE} else "")
            state["weight_ih" + sfx] = {W_IH}
            state["weight_hh" + sfx] = {W_HH}
            state["bias_ih" + sfx] = {B_IH}
            state["bias_hh" + sfx] = {B_HH}
    return state
"""
RIGHT_CONVERT = dict(
    LAYERS="keras_weights",
    REVERSE="1",
    W_IH="np.array(kernel).T",
    W_HH="np.array(recurrent_kernel).T",
    B_IH="np.array(bias)",
    B_HH="np.zeros_like(bias)",
)
GRU_SWAP = "np.concatenate([{0}[H:2*H], {0}[:H], {0}[2*H:]])"


def convert_variant(**change):
    return CONVERT.format(**{**RIGHT_CONVERT, **change})


WRONG = [
    Wrong(
        "12.1",
        "divides by the first curve only",
        REL.format(BODY="return float(np.max(np.abs(a - b) / np.abs(a)))"),
        "f(b, a)",
    ),
    Wrong(
        "12.1",
        "mean instead of max",
        REL.format(
            BODY="s = np.maximum(np.abs(a), np.abs(b))\n"
            "    return float(np.mean(np.abs(a - b) / np.where(s > 0, s, 1)))"
        ),
        "largest relative difference",
    ),
    Wrong(
        "12.1",
        "0/0 gives nan",
        REL.format(
            BODY="return float(np.max(np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))))"
        ),
        "finite",
    ),
    Wrong(
        "12.1",
        "absolute difference",
        REL.format(BODY="return float(np.max(np.abs(a - b)))"),
        "largest relative difference",
    ),
    Wrong(
        "12.2",
        "Keras convention computed like PyTorch",
        adam_variant(KERAS_SAME=' or convention == "keras"'),
        "keras convention",
    ),
    Wrong(
        "12.2",
        "second moment of g, not g squared",
        adam_variant(SQUARE="np.abs(g)"),
        "torch convention",
    ),
    Wrong(
        "12.2",
        "step counted from 0 in the bias correction",
        adam_variant(STEP="t + 1"),
        "after step 1",
    ),
    Wrong(
        "12.2",
        "Keras: epsilon added after the bias correction of v",
        adam_variant(KERAS_DENOM="np.sqrt(v) + eps * np.sqrt(1 - beta2**k)"),
        "keras convention",
    ),
    Wrong(
        "12.3",
        "reshape instead of transpose",
        convert_variant(
            W_IH="np.array(kernel).reshape(kernel.shape[1], kernel.shape[0])",
            W_HH="np.array(recurrent_kernel).reshape(4 * H, H)",
        ),
        "output of the converted",
    ),
    Wrong(
        "12.3",
        "bias counted twice (in bias_ih and bias_hh)",
        convert_variant(B_HH="np.array(bias)"),
        "output of the converted",
    ),
    Wrong(
        "12.3",
        "directions swapped",
        convert_variant(REVERSE="0"),
        "bidirectional=True",
    ),
    Wrong(
        "12.3",
        "layers in reverse order",
        convert_variant(LAYERS="keras_weights[::-1]"),
        "layer",
    ),
    Wrong(
        "12.3",
        "GRU-style gate swap (treats Keras' order as f, i, ...)",
        convert_variant(
            W_IH=GRU_SWAP.format("np.array(kernel).T"),
            W_HH=GRU_SWAP.format("np.array(recurrent_kernel).T"),
            B_IH=GRU_SWAP.format("np.array(bias)"),
        ),
        "output of the converted",
    ),
    Wrong(
        "12.3",
        "forgets bias_hh",
        convert_variant(B_HH="None").replace(
            '            state["bias_hh" + sfx] = None\n', ""
        ),
        "missing",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)
