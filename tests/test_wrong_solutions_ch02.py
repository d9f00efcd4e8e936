"""Plausible wrong solutions of exercise set 02 must lose points (see tests/exercise_harness.py)."""

from __future__ import annotations

import pytest
from exercise_harness import Wrong, assert_loses_points

# A correct truncated BPTT, with a switch for the ways learners get dh0 wrong.
TRUNCATED = """
def rnn_backward_truncated(dh, cache, k):
    x, h0, Wxh, Whh, h = cache
    N, T, _ = x.shape
    dx = np.zeros_like(x)
    dWxh, dWhh, dbh = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros(Whh.shape[0])
    dh_from_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else h0
        da = (dh[:, t] + dh_from_next) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wxh
        dWxh += da.T @ x[:, t]
        dWhh += da.T @ h_prev
        dbh += da.sum(axis=0)
        dh_from_next = da @ Whh
        if t % k == 0 and t > 0:
            dh_from_next = np.zeros_like(h0)
    return dx, DH0, dWxh, dWhh, dbh
"""

WRONG = [
    # 2.1 relu_rnn_step_backward
    Wrong(
        "2.1",
        "stub-zeros-of-the-right-shapes",
        """
        def relu_rnn_step_backward(dh_next, cache):
            x, h_prev, Wxh, Whh, h_next = cache
            return (np.zeros_like(x), np.zeros_like(h_prev), np.zeros_like(Wxh),
                    np.zeros_like(Whh), np.zeros(Whh.shape[0]))
        """,
        "dx",
    ),
    Wrong(
        "2.1",
        "tanh-derivative-kept",
        """
        def relu_rnn_step_backward(dh_next, cache):
            x, h_prev, Wxh, Whh, h_next = cache
            da = dh_next * (1 - h_next**2)  # copied from the tanh step
            return da @ Wxh, da @ Whh, da.T @ x, da.T @ h_prev, da.sum(axis=0)
        """,
        "dx",
    ),
    Wrong(
        "2.1",
        "dbh-not-summed-over-batch",
        """
        def relu_rnn_step_backward(dh_next, cache):
            x, h_prev, Wxh, Whh, h_next = cache
            da = dh_next * (h_next > 0)
            return da @ Wxh, da @ Whh, da.T @ x, da.T @ h_prev, da.mean(axis=0)
        """,
        "dbh",
    ),
    Wrong(
        "2.1",
        "weight-gradients-transposed",
        """
        def relu_rnn_step_backward(dh_next, cache):
            x, h_prev, Wxh, Whh, h_next = cache
            da = dh_next * (h_next > 0)
            return da @ Wxh, da @ Whh.T, da.T @ x, h_prev.T @ da, da.sum(axis=0)
        """,
        "dh_prev",
    ),
    # 2.2 many_to_one_backward
    Wrong(
        "2.2",
        "gradient-at-last-padded-step",
        """
        from rnnbook.scratch.rnn import rnn_backward, rnn_forward

        def many_to_one_backward(x, h0, Wxh, Whh, bh, Wcls, bcls, y, lengths=None):
            N, T, _ = x.shape
            last = np.full(N, T - 1)  # lengths ignored
            h, cache = rnn_forward(x, h0, Wxh, Whh, bh)
            rows = np.arange(N)
            s = h[rows, last] @ Wcls.T + bcls
            s = s - s.max(axis=1, keepdims=True)
            logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
            ds = np.exp(logp)
            ds[rows, y] -= 1.0
            ds /= N
            dh = np.zeros_like(h)
            dh[rows, last] = ds @ Wcls
            dx, dh0, dWxh, dWhh, dbh = rnn_backward(dh, cache)
            grads = (dx, dh0, dWxh, dWhh, dbh, ds.T @ h[rows, last], ds.sum(axis=0))
            return -logp[rows, y].mean(), grads
        """,
        "lengths",
    ),
    Wrong(
        "2.2",
        "mean-over-batch-forgotten-in-gradient",
        """
        from rnnbook.scratch.rnn import rnn_backward, rnn_forward

        def many_to_one_backward(x, h0, Wxh, Whh, bh, Wcls, bcls, y, lengths=None):
            N, T, _ = x.shape
            last = np.full(N, T - 1) if lengths is None else np.asarray(lengths) - 1
            h, cache = rnn_forward(x, h0, Wxh, Whh, bh)
            rows = np.arange(N)
            s = h[rows, last] @ Wcls.T + bcls
            s = s - s.max(axis=1, keepdims=True)
            logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
            ds = np.exp(logp)
            ds[rows, y] -= 1.0  # no division by N
            dh = np.zeros_like(h)
            dh[rows, last] = ds @ Wcls
            dx, dh0, dWxh, dWhh, dbh = rnn_backward(dh, cache)
            grads = (dx, dh0, dWxh, dWhh, dbh, ds.T @ h[rows, last], ds.sum(axis=0))
            return -logp[rows, y].mean(), grads
        """,
        "dWcls",
    ),
    Wrong(
        "2.2",
        "direct-gradient-on-every-step",
        """
        from rnnbook.scratch.rnn import rnn_backward, rnn_forward

        def many_to_one_backward(x, h0, Wxh, Whh, bh, Wcls, bcls, y, lengths=None):
            N, T, _ = x.shape
            last = np.full(N, T - 1) if lengths is None else np.asarray(lengths) - 1
            h, cache = rnn_forward(x, h0, Wxh, Whh, bh)
            rows = np.arange(N)
            s = h[rows, last] @ Wcls.T + bcls
            s = s - s.max(axis=1, keepdims=True)
            logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
            ds = np.exp(logp)
            ds[rows, y] -= 1.0
            ds /= N
            dh = np.repeat((ds @ Wcls)[:, None, :], T, axis=1)  # as if every step had a loss
            dx, dh0, dWxh, dWhh, dbh = rnn_backward(dh, cache)
            grads = (dx, dh0, dWxh, dWhh, dbh, ds.T @ h[rows, last], ds.sum(axis=0))
            return -logp[rows, y].mean(), grads
        """,
        "dx",
    ),
    # 2.3 rnn_backward_truncated
    Wrong(
        "2.3",
        "dh0-dropped-as-the-chapter-might-suggest",
        TRUNCATED.replace("DH0", "np.zeros_like(h0)"),
        "dh0",
    ),
    Wrong(
        "2.3",
        "no-truncation",
        TRUNCATED.replace("DH0", "dh_from_next").replace(
            "if t % k == 0 and t > 0:", "if False:"
        ),
        "k=1",
    ),
    Wrong(
        "2.3",
        "window-boundary-off-by-one",
        TRUNCATED.replace("DH0", "dh_from_next").replace(
            "if t % k == 0 and t > 0:", "if (t + 1) % k == 0 and t > 0:"
        ),
        "k=3",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)


def test_truncated_bptt_right_except_dh0_keeps_partial_credit():
    """Issue 9: a truncated BPTT that is right except for dh0 must not score 0."""
    result = assert_loses_points(WRONG[7])
    assert result.points == 3, result.reasons


def test_the_template_of_the_truncated_wrong_solutions_is_right():
    from exercise_harness import run_cell

    from rnnbook.grading import run_exercise

    source = TRUNCATED.replace("DH0", "dh_from_next")
    result = run_exercise("2.3", run_cell(source), quiet=True)
    assert result.points == result.max_points, result.reasons
