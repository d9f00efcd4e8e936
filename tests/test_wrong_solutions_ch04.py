"""Plausible wrong solutions of exercise set 04 must lose points (see tests/exercise_harness.py)."""

from __future__ import annotations

import pytest
from exercise_harness import Wrong, assert_loses_points

# A correct char_rnn_step with markers that the wrong solutions below replace.
STEP = """
def char_rnn_step(params, inputs, targets, h0):
    Wxh, Whh, bh, Why, by = (params[k] for k in ("Wxh", "Whh", "bh", "Why", "by"))
    N, T = inputs.shape
    h = np.empty((N, T, Whh.shape[0]))
    h_prev = H_START
    for t in range(T):
        h_prev = np.tanh(Wxh[:, inputs[:, t]].T + h_prev @ Whh.T + bh)
        h[:, t] = h_prev
    s = h @ Why.T + by
    s = s - s.max(axis=-1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=-1, keepdims=True))
    rows, steps = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    loss = -logp[rows, steps, targets].mean()
    ds = np.exp(logp)
    ds[rows, steps, targets] -= 1.0
    ds /= NORMALISER
    dWhy = np.einsum("ntv,nth->vh", ds, h)
    dby = ds.sum(axis=(0, 1))
    dh = ds @ Why
    dWxh, dWhh, dbh = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(bh)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else H_START
        da = (dh[:, t] + dh_next) * (1 - SLOPE_AT ** 2)
        ACCUMULATE_WXH
        dWhh += da.T @ h_prev
        dbh += da.sum(axis=0)
        dh_next = da @ Whh
    grads = {"Wxh": dWxh, "Whh": dWhh, "bh": dbh, "Why": dWhy, "by": dby}
    return float(loss), grads, h[:, -1]
"""


def step(**changes):
    fields = {
        "H_START": "h0",
        "NORMALISER": "N * T",
        "SLOPE_AT": "h[:, t]",
        "ACCUMULATE_WXH": "np.add.at(dWxh.T, inputs[:, t], da)",
    }
    fields.update(changes)
    source = STEP
    for key, value in fields.items():
        source = source.replace(key, value)
    return source


WRONG = [
    # 4.1 top_k_probs
    Wrong(
        "4.1",
        "smallest-k-kept",
        """
        def top_k_probs(scores, k, temperature=1.0):
            top = np.argsort(scores, axis=1)[:, :k]  # the k smallest scores
            z = np.take_along_axis(scores, top, axis=1) / temperature
            e = np.exp(z - z.max(axis=1, keepdims=True))
            probs = np.zeros_like(scores, dtype=float)
            np.put_along_axis(probs, top, e / e.sum(axis=1, keepdims=True), axis=1)
            return probs
        """,
        "probabilities",
    ),
    Wrong(
        "4.1",
        "temperature-after-softmax",
        """
        def top_k_probs(scores, k, temperature=1.0):
            top = np.argsort(scores, axis=1)[:, -k:]
            z = np.take_along_axis(scores, top, axis=1)
            e = np.exp(z - z.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True) / temperature  # rows no longer sum to 1
            probs = np.zeros_like(scores, dtype=float)
            np.put_along_axis(probs, top, p, axis=1)
            return probs
        """,
        "temperature",
    ),
    Wrong(
        "4.1",
        "no-max-subtraction",
        """
        def top_k_probs(scores, k, temperature=1.0):
            top = np.argsort(scores, axis=1)[:, -k:]
            e = np.exp(np.take_along_axis(scores, top, axis=1) / temperature)
            probs = np.zeros_like(scores, dtype=float)
            np.put_along_axis(probs, top, e / e.sum(axis=1, keepdims=True), axis=1)
            return probs
        """,
        "NaN",
    ),
    # 4.2 bigram_cross_entropy
    Wrong(
        "4.2",
        "smoothing-missing-in-denominator",
        """
        def bigram_cross_entropy(train_ids, val_ids, V, alpha=1.0):
            counts = np.zeros((V, V))
            np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1.0)
            q = (counts + alpha) / (counts.sum(axis=1, keepdims=True) + alpha)  # not alpha * V
            return float(-np.mean(np.log(q[val_ids[:-1], val_ids[1:]])))
        """,
        "expected",
    ),
    Wrong(
        "4.2",
        "pair-order-swapped",
        """
        def bigram_cross_entropy(train_ids, val_ids, V, alpha=1.0):
            counts = np.zeros((V, V))
            np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1.0)
            q = (counts + alpha) / (counts.sum(axis=1, keepdims=True) + alpha * V)
            return float(-np.mean(np.log(q[val_ids[1:], val_ids[:-1]])))  # q(a | b)
        """,
        "expected",
    ),
    Wrong(
        "4.2",
        "fancy-index-drops-repeated-pairs",
        """
        def bigram_cross_entropy(train_ids, val_ids, V, alpha=1.0):
            counts = np.zeros((V, V))
            counts[train_ids[:-1], train_ids[1:]] += 1.0  # each pair counted at most once
            q = (counts + alpha) / (counts.sum(axis=1, keepdims=True) + alpha * V)
            return float(-np.mean(np.log(q[val_ids[:-1], val_ids[1:]])))
        """,
        "expected",
    ),
    # 4.3 rmsprop_update
    Wrong(
        "4.3",
        "updates-the-inputs-in-place",
        """
        def rmsprop_update(params, grads, state, lr, alpha=0.99, eps=1e-8):
            for name, p in params.items():
                v = alpha * state.get(name, np.zeros_like(p)) + (1 - alpha) * grads[name] ** 2
                state[name] = v
                p -= lr * grads[name] / (np.sqrt(v) + eps)
            return params, state
        """,
        "in place",
    ),
    Wrong(
        "4.3",
        "eps-inside-the-root",
        """
        def rmsprop_update(params, grads, state, lr, alpha=0.99, eps=1e-8):
            new_p, new_s = {}, {}
            for name, p in params.items():
                g = grads[name]
                v = alpha * state.get(name, np.zeros_like(p)) + (1 - alpha) * g**2
                new_s[name] = v
                new_p[name] = p - lr * g / np.sqrt(v + eps)
            return new_p, new_s
        """,
        "new_params['w']",
    ),
    Wrong(
        "4.3",
        "state-not-carried",
        """
        def rmsprop_update(params, grads, state, lr, alpha=0.99, eps=1e-8):
            new_p, new_s = {}, {}
            for name, p in params.items():
                g = grads[name]
                v = (1 - alpha) * g**2  # the running average restarts every step
                new_s[name] = v
                new_p[name] = p - lr * g / (np.sqrt(v) + eps)
            return new_p, new_s
        """,
        "5 steps",
    ),
    # 4.4 char_rnn_step
    Wrong(
        "4.4",
        "fancy-index-drops-repeated-characters",
        step(ACCUMULATE_WXH="dWxh[:, inputs[:, t]] += da.T"),
        "repeated",
    ),
    Wrong(
        "4.4",
        "loss-gradient-divided-by-N-only",
        step(NORMALISER="N"),
        "grads['Why']",
    ),
    Wrong(
        "4.4",
        "carried-state-ignored",
        step(H_START="np.zeros_like(h0)"),
        "non-zero h0",
    ),
    Wrong(
        "4.4",
        "tanh-derivative-of-the-previous-step",
        step(SLOPE_AT="h_prev"),
        "grads['Whh']",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)


def test_the_template_of_the_wrong_solutions_is_right():
    """The unmodified template earns full marks, so each wrong solution fails for its change."""
    from exercise_harness import run_cell

    from rnnbook.grading import run_exercise

    result = run_exercise("4.4", run_cell(step()), quiet=True)
    assert result.points == result.max_points, result.reasons
