"""Plausible wrong solutions of exercise set 09 must lose points (see tests/exercise_harness.py).

Most wrong solutions are a correct solution with one learner mistake edited in (``mutate``),
so each one isolates exactly one mistake.
"""

from __future__ import annotations

import pytest
from exercise_harness import Wrong, assert_loses_points, run_cell

from rnnbook.grading import run_exercise

PRELUDE = "from rnnbook.scratch.rnn import rnn_backward, rnn_forward\n"


def mutate(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, (
        f"the mutation target {old!r} must occur exactly once"
    )
    return source.replace(old, new)


BIDIRECTIONAL = (
    PRELUDE
    + """
def bidirectional_rnn_forward(x, h0_f, h0_b, params_f, params_b):
    h_f, _ = rnn_forward(x, h0_f, *params_f)
    h_b_reversed, _ = rnn_forward(x[:, ::-1], h0_b, *params_b)
    h_b = h_b_reversed[:, ::-1]
    return np.concatenate([h_f, h_b], axis=-1)
"""
)

DROPOUT = """
def variational_rnn_forward(x, h0, Wxh, Whh, bh, p, seed):
    rng = np.random.default_rng(seed)
    N, T, _ = x.shape
    mask = (rng.random(h0.shape) >= p) / (1.0 - p)
    h_prev = h0
    h = np.empty((N, T, h0.shape[1]))
    for t in range(T):
        h_prev = np.tanh(x[:, t] @ Wxh.T + (mask * h_prev) @ Whh.T + bh)
        h[:, t] = h_prev
    return h
"""

CHECKPOINTS = (
    PRELUDE
    + """
def backward_from_checkpoints(x, checkpoints, Wxh, Whh, bh, dh_last, k):
    N, T, _ = x.shape
    dx = np.zeros_like(x)
    dWxh, dWhh, dbh = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(bh)
    carry = dh_last
    for j in range(len(checkpoints) - 1, -1, -1):
        start, stop = j * k, min((j + 1) * k, T)
        h_seg, cache = rnn_forward(x[:, start:stop], checkpoints[j], Wxh, Whh, bh)
        dh_seg = np.zeros_like(h_seg)
        dh_seg[:, -1] = carry
        dx[:, start:stop], carry, dWxh_j, dWhh_j, dbh_j = rnn_backward(dh_seg, cache)
        dWxh += dWxh_j
        dWhh += dWhh_j
        dbh += dbh_j
    return dx, carry, dWxh, dWhh, dbh
"""
)

WRONG = [
    # 9.1 -------------------------------------------------------------------------------------
    Wrong(
        "9.1",
        "backward-outputs-not-reversed-back",
        mutate(BIDIRECTIONAL, "h_b = h_b_reversed[:, ::-1]", "h_b = h_b_reversed"),
        "reversed time order",
    ),
    Wrong(
        "9.1",
        "input-not-reversed",
        mutate(BIDIRECTIONAL, "rnn_forward(x[:, ::-1], h0_b", "rnn_forward(x, h0_b"),
        "backward direction",
    ),
    Wrong(
        "9.1",
        "directions-concatenated-in-the-wrong-order",
        mutate(BIDIRECTIONAL, "[h_f, h_b]", "[h_b, h_f]"),
        "forward direction",
    ),
    Wrong(
        "9.1",
        "forward-initial-state-for-both",
        mutate(BIDIRECTIONAL, "x[:, ::-1], h0_b,", "x[:, ::-1], h0_f,"),
        "backward direction",
    ),
    # 9.2 -------------------------------------------------------------------------------------
    Wrong(
        "9.2",
        "new-mask-every-step",
        mutate(
            DROPOUT,
            "(mask * h_prev) @ Whh.T",
            "(((rng.random(h0.shape) >= p) / (1.0 - p)) * h_prev) @ Whh.T",
        ),
        "changes from step to step",
    ),
    Wrong(
        "9.2",
        "no-rescaling",
        mutate(
            DROPOUT,
            "(rng.random(h0.shape) >= p) / (1.0 - p)",
            "rng.random(h0.shape) >= p",
        ),
        "1/(1 - p)",
    ),
    Wrong(
        "9.2",
        "p-is-the-keep-probability",
        mutate(
            DROPOUT,
            "(rng.random(h0.shape) >= p) / (1.0 - p)",
            "(rng.random(h0.shape) < p) / p",
        ),
        "should be 0",
    ),
    Wrong(
        "9.2",
        "one-mask-for-the-whole-batch",
        mutate(DROPOUT, "rng.random(h0.shape)", "rng.random(h0.shape[1])"),
        "its own mask",
    ),
    Wrong(
        "9.2",
        "mask-on-the-output-not-the-recurrence",
        mutate(
            mutate(DROPOUT, "(mask * h_prev) @ Whh.T", "h_prev @ Whh.T"),
            "h[:, t] = h_prev",
            "h[:, t] = mask * h_prev",
        ),
        "",
    ),
    # 9.3 -------------------------------------------------------------------------------------
    Wrong(
        "9.3",
        "no-gradient-across-segments-truncated",
        mutate(
            CHECKPOINTS,
            "dh_seg[:, -1] = carry",
            "dh_seg[:, -1] = dh_last if stop == T else 0",
        ),
        "wrong values for dx",
    ),
    Wrong(
        "9.3",
        "weight-gradients-overwritten",
        mutate(CHECKPOINTS, "dWhh += dWhh_j", "dWhh = dWhh_j"),
        "dWhh",
    ),
    Wrong(
        "9.3",
        "remainder-segment-dropped",
        mutate(CHECKPOINTS, "min((j + 1) * k, T)", "(j + 1) * k").replace(
            "range(len(checkpoints) - 1, -1, -1)", "range(T // k - 1, -1, -1)"
        ),
        "k does not divide T",
    ),
    Wrong(
        "9.3",
        "every-segment-recomputed-from-h0",
        mutate(
            CHECKPOINTS,
            "rnn_forward(x[:, start:stop], checkpoints[j], Wxh, Whh, bh)",
            "rnn_forward(x[:, start:stop], checkpoints[0], Wxh, Whh, bh)",
        ),
        "full BPTT",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)


@pytest.mark.parametrize(
    "exercise_id, source",
    [("9.1", BIDIRECTIONAL), ("9.2", DROPOUT), ("9.3", CHECKPOINTS)],
)
def test_correct_solution_earns_full_marks(exercise_id, source):
    result = run_exercise(exercise_id, run_cell(source), quiet=True)
    assert result.points == result.max_points, result.reasons
