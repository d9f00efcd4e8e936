"""Plausible wrong solutions of exercise set 01 must lose points (see tests/exercise_harness.py)."""

from __future__ import annotations

import pytest
from exercise_harness import Wrong, assert_loses_points

WRONG = [
    # 1.1 stacked_rnn_param_count
    Wrong(
        "1.1",
        "upper-layers-read-D",
        """
        def stacked_rnn_param_count(D, H, V, L, torch_biases=False):
            bias = 2 * H if torch_biases else H
            return L * (H * D + H * H + bias) + V * H + V  # every layer reads D inputs
        """,
        "L=3",
    ),
    Wrong(
        "1.1",
        "torch-second-bias-once",
        """
        def stacked_rnn_param_count(D, H, V, L, torch_biases=False):
            total = H * D + H * H + H + (L - 1) * (2 * H * H + H) + V * H + V
            return total + (H if torch_biases else 0)  # one extra bias, not one per layer
        """,
        "PyTorch parameter count",
    ),
    Wrong(
        "1.1",
        "float-result",
        """
        def stacked_rnn_param_count(D, H, V, L, torch_biases=False):
            bias = 2 * H if torch_biases else H
            return float(H * D + H * H + bias + (L - 1) * (2 * H * H + bias) + V * H + V)
        """,
        "integer",
    ),
    # 1.2 many_to_one_scores
    Wrong(
        "1.2",
        "stub-zeros-of-the-right-shape",
        """
        def many_to_one_scores(x, h0, Wxh, Whh, bh, Wcls, bcls, lengths=None):
            return np.zeros((x.shape[0], Wcls.shape[0]))
        """,
        "scores",
    ),
    Wrong(
        "1.2",
        "lengths-ignored",
        """
        from rnnbook.scratch.rnn import rnn_forward

        def many_to_one_scores(x, h0, Wxh, Whh, bh, Wcls, bcls, lengths=None):
            h, _ = rnn_forward(x, h0, Wxh, Whh, bh)
            return h[:, -1] @ Wcls.T + bcls  # always the last padded step
        """,
        "lengths",
    ),
    Wrong(
        "1.2",
        "off-by-one-index-lengths",
        """
        from rnnbook.scratch.rnn import rnn_forward

        def many_to_one_scores(x, h0, Wxh, Whh, bh, Wcls, bcls, lengths=None):
            h, _ = rnn_forward(x, h0, Wxh, Whh, bh)
            N, T, _ = x.shape
            last = np.full(N, T - 1) if lengths is None else np.minimum(lengths, T - 1)
            return h[np.arange(N), last] @ Wcls.T + bcls  # lengths[n] instead of - 1
        """,
        "lengths",
    ),
    Wrong(
        "1.2",
        "classifier-bias-forgotten",
        """
        from rnnbook.scratch.rnn import rnn_forward

        def many_to_one_scores(x, h0, Wxh, Whh, bh, Wcls, bcls, lengths=None):
            h, _ = rnn_forward(x, h0, Wxh, Whh, bh)
            N, T, _ = x.shape
            last = np.full(N, T - 1) if lengths is None else np.asarray(lengths) - 1
            return h[np.arange(N), last] @ Wcls.T  # + bcls left out
        """,
        "scores",
    ),
    # 1.3 leaky_rnn_forward
    Wrong(
        "1.3",
        "stub-zeros-of-the-right-shape",
        """
        def leaky_rnn_forward(x, h0, Wxh, Whh, bh, alpha):
            return np.zeros((x.shape[0], x.shape[1], Whh.shape[0]))
        """,
        "h with alpha",
    ),
    Wrong(
        "1.3",
        "alpha-on-the-wrong-term",
        """
        def leaky_rnn_forward(x, h0, Wxh, Whh, bh, alpha):
            N, T, _ = x.shape
            h, h_prev = np.empty((N, T, Whh.shape[0])), h0
            for t in range(T):
                cand = np.tanh(x[:, t] @ Wxh.T + h_prev @ Whh.T + bh)
                h_prev = alpha * h_prev + (1 - alpha) * cand  # roles of alpha swapped
                h[:, t] = h_prev
            return h
        """,
        "alpha",
    ),
    Wrong(
        "1.3",
        "leak-uses-h0-instead-of-h_prev",
        """
        def leaky_rnn_forward(x, h0, Wxh, Whh, bh, alpha):
            N, T, _ = x.shape
            h, h_prev = np.empty((N, T, Whh.shape[0])), h0
            for t in range(T):
                cand = np.tanh(x[:, t] @ Wxh.T + h_prev @ Whh.T + bh)
                h_prev = (1 - alpha) * h0 + alpha * cand
                h[:, t] = h_prev
            return h
        """,
        "alpha=0.3",
    ),
    # 1.4 memory_steps
    Wrong(
        "1.4",
        "alpha-ignored",
        """
        import math

        def memory_steps(w, alpha, fraction=0.1):
            lam = abs(w)  # the plain unit's rate: the leak is forgotten
            if lam >= 1:
                return math.inf
            if lam == 0:
                return 1
            return math.floor(math.log(fraction) / math.log(lam)) + 1
        """,
        "memory_steps",
    ),
    Wrong(
        "1.4",
        "negative-w-not-handled",
        """
        import math

        def memory_steps(w, alpha, fraction=0.1):
            lam = 1 - alpha + alpha * w  # no abs(): a negative lambda breaks the logarithm
            if lam >= 1:
                return math.inf
            return math.floor(math.log(fraction) / math.log(abs(lam) if lam > 0 else 1e-300)) + 1
        """,
        "memory_steps",
    ),
    Wrong(
        "1.4",
        "no-inf-returns-none",
        """
        import math

        def memory_steps(w, alpha, fraction=0.1):
            lam = abs(1 - alpha + alpha * w)
            if lam >= 1:
                return -1
            return math.floor(math.log(fraction) / math.log(lam)) + 1
        """,
        "math.inf",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)
