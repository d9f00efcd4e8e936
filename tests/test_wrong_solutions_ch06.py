"""Plausible wrong solutions of exercise set 06 must lose points (see tests/exercise_harness.py).

Most wrong solutions are a correct solution with one learner mistake edited in (``mutate``),
so each one isolates exactly one mistake.
"""

from __future__ import annotations

import pytest
from exercise_harness import Wrong, assert_loses_points


def mutate(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, (
        f"the mutation target {old!r} must occur exactly once"
    )
    return source.replace(old, new)


PEEPHOLE_FORWARD = """
def lstm_peephole_step_forward(x, h_prev, c_prev, Wx, Wh, b, P):
    H = h_prev.shape[1]
    a = x @ Wx.T + h_prev @ Wh.T + b
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))
    i = sig(a[:, :H] + P[0] * c_prev)
    f = sig(a[:, H : 2 * H] + P[1] * c_prev)
    g = np.tanh(a[:, 2 * H : 3 * H])
    c_next = f * c_prev + i * g
    o = sig(a[:, 3 * H :] + P[2] * c_next)
    return o * np.tanh(c_next), c_next
"""

CIFG = """
def cifg_lstm_forward(x, h0, c0, Wx, Wh, b):
    N, T, _ = x.shape
    H = h0.shape[1]
    ax = x @ Wx.T + b
    h, c = np.empty((N, T, H)), np.empty((N, T, H))
    h_prev, c_prev = h0, c0
    for t in range(T):
        a = ax[:, t] + h_prev @ Wh.T
        i = 1.0 / (1.0 + np.exp(-a[:, :H]))
        g = np.tanh(a[:, H : 2 * H])
        o = 1.0 / (1.0 + np.exp(-a[:, 2 * H :]))
        c_prev = (1.0 - i) * c_prev + i * g
        h_prev = o * np.tanh(c_prev)
        h[:, t], c[:, t] = h_prev, c_prev
    return h, c
"""

CAROUSEL = """
def dc0_through_forget_gates(x, Wx, b, dc_T):
    H = dc_T.shape[1]
    f = 1.0 / (1.0 + np.exp(-(x @ Wx[H : 2 * H].T + b[H : 2 * H])))
    return dc_T * np.prod(f, axis=1)
"""

HORIZON = """
import math

def forgetting_horizon(forget_bias, fraction):
    s = 1.0 / (1.0 + math.exp(-forget_bias))
    return math.ceil(math.log(fraction) / math.log(s))
"""

PEEPHOLE_BACKWARD = """
def lstm_peephole_step_backward(dh_next, dc_next, x, h_prev, c_prev, Wx, Wh, b, P):
    H = h_prev.shape[1]
    a = x @ Wx.T + h_prev @ Wh.T + b
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))
    i = sig(a[:, :H] + P[0] * c_prev)
    f = sig(a[:, H : 2 * H] + P[1] * c_prev)
    g = np.tanh(a[:, 2 * H : 3 * H])
    c_next = f * c_prev + i * g
    o = sig(a[:, 3 * H :] + P[2] * c_next)
    tanh_c = np.tanh(c_next)
    dao = dh_next * tanh_c * o * (1.0 - o)
    dc = dc_next + dh_next * o * (1.0 - tanh_c**2) + dao * P[2]
    dai = dc * g * i * (1.0 - i)
    daf = dc * c_prev * f * (1.0 - f)
    dag = dc * i * (1.0 - g**2)
    dc_prev = dc * f + dai * P[0] + daf * P[1]
    da = np.concatenate([dai, daf, dag, dao], axis=1)
    dP = np.stack([(dai * c_prev).sum(0), (daf * c_prev).sum(0), (dao * c_next).sum(0)])
    return da @ Wx, da @ Wh, dc_prev, da.T @ x, da.T @ h_prev, da.sum(axis=0), dP
"""

WRONG = [
    # 6.1 peepholes
    Wrong(
        "6.1",
        "output-gate-peeks-at-old-cell",
        mutate(PEEPHOLE_FORWARD, "P[2] * c_next)", "P[2] * c_prev)"),
        "h_next",
    ),
    Wrong(
        "6.1",
        "peephole-rows-swapped",
        mutate(
            mutate(PEEPHOLE_FORWARD, "P[0] * c_prev)", "P[1] * c_prev)"),
            "a[:, H : 2 * H] + P[1]",
            "a[:, H : 2 * H] + P[0]",
        ),
        "c_next",
    ),
    Wrong(
        "6.1",
        "gate-order-i-g-f-o",
        mutate(
            mutate(
                PEEPHOLE_FORWARD,
                "f = sig(a[:, H : 2 * H]",
                "f = sig(a[:, 2 * H : 3 * H]",
            ),
            "g = np.tanh(a[:, 2 * H : 3 * H])",
            "g = np.tanh(a[:, H : 2 * H])",
        ),
        "standard LSTM",
    ),
    # 6.2 CIFG
    Wrong(
        "6.2",
        "forget-gate-equals-input-gate",
        mutate(CIFG, "(1.0 - i) * c_prev", "i * c_prev"),
        "c after one step",
    ),
    Wrong(
        "6.2",
        "gate-order-i-o-g",
        mutate(
            mutate(CIFG, "g = np.tanh(a[:, H : 2 * H])", "g = np.tanh(a[:, 2 * H :])"),
            "o = 1.0 / (1.0 + np.exp(-a[:, 2 * H :]))",
            "o = 1.0 / (1.0 + np.exp(-a[:, H : 2 * H]))",
        ),
        "one time step",
    ),
    Wrong(
        "6.2",
        "state-not-carried",
        mutate(CIFG, "h_prev @ Wh.T", "h0 @ Wh.T"),
        "whole sequence",
    ),
    # 6.3 carousel
    Wrong(
        "6.3",
        "input-gate-instead-of-forget-gate",
        mutate(
            CAROUSEL,
            "(x @ Wx[H : 2 * H].T + b[H : 2 * H])",
            "(x @ Wx[:H].T + b[:H])",
        ),
        "dc0",
    ),
    Wrong(
        "6.3",
        "drops-the-last-forget-gate",
        mutate(CAROUSEL, "np.prod(f, axis=1)", "np.prod(f[:, :-1], axis=1)"),
        "dc0",
    ),
    Wrong(
        "6.3",
        "python-loop-over-time",
        """
        def dc0_through_forget_gates(x, Wx, b, dc_T):
            H = dc_T.shape[1]
            dc = dc_T
            for t in range(x.shape[1] - 1, -1, -1):
                f_t = 1.0 / (1.0 + np.exp(-(x[:, t] @ Wx[H : 2 * H].T + b[H : 2 * H])))
                dc = dc * f_t
            return dc
        """,
        "vectorised",
    ),
    # 6.4 horizon
    Wrong(
        "6.4",
        "rounds-down",
        mutate(HORIZON, "math.ceil(", "int("),
        "horizon",
    ),
    Wrong(
        "6.4",
        "bias-used-as-gate-value",
        """
        import math

        def forgetting_horizon(forget_bias, fraction):
            s = min(max(forget_bias, 1e-3), 0.999)  # forgot the sigmoid
            return math.ceil(math.log(fraction) / math.log(s))
        """,
        "horizon",
    ),
    Wrong(
        "6.4",
        "returns-a-float",
        mutate(HORIZON, "return math.ceil(", "return 1.0 * math.ceil("),
        "int",
    ),
    # 6.5 peephole backward (hard)
    Wrong(
        "6.5",
        "missing-tanh-prime-on-c",
        mutate(PEEPHOLE_BACKWARD, "dh_next * o * (1.0 - tanh_c**2)", "dh_next * o"),
        "dc_next = 0",
    ),
    Wrong(
        "6.5",
        "forgets-dc_next",
        mutate(PEEPHOLE_BACKWARD, "dc = dc_next + dh_next", "dc = dh_next"),
        "dh_next = 0",
    ),
    Wrong(
        "6.5",
        "gate-order-i-g-f-o-in-da",
        mutate(PEEPHOLE_BACKWARD, "[dai, daf, dag, dao]", "[dai, dag, daf, dao]"),
        "dx",
    ),
    Wrong(
        "6.5",
        "no-carousel-factor-f",
        mutate(PEEPHOLE_BACKWARD, "dc_prev = dc * f + ", "dc_prev = dc + "),
        "dc_prev",
    ),
    Wrong(
        "6.5",
        "output-peephole-path-to-c-missing",
        mutate(PEEPHOLE_BACKWARD, " + dao * P[2]", ""),
        "dc_prev",
    ),
    Wrong(
        "6.5",
        "peephole-terms-missing-from-dc_prev",
        mutate(PEEPHOLE_BACKWARD, "dc * f + dai * P[0] + daf * P[1]", "dc * f"),
        "dc_prev",
    ),
    Wrong(
        "6.5",
        "dP-for-o-uses-old-cell",
        mutate(PEEPHOLE_BACKWARD, "(dao * c_next).sum(0)", "(dao * c_prev).sum(0)"),
        "dP",
    ),
    Wrong(
        "6.5",
        "calls-the-package-backward",
        """
        from rnnbook.scratch.lstm import lstm_step_backward as package_backward
        from rnnbook.scratch.lstm import lstm_step_forward

        def lstm_peephole_step_backward(dh_next, dc_next, x, h_prev, c_prev, Wx, Wh, b, P):
            # ignores the peepholes and lets the package do the work
            _, cache = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
            grads = package_backward(dh_next, dc_next, cache)
            return (*grads, np.zeros_like(P))
        """,
        "write yourself",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)


def test_the_unmutated_solutions_earn_full_marks():
    """The templates the mutations start from are right: the mutations alone cost the points."""
    from exercise_harness import run_cell

    from rnnbook.grading import run_exercise

    for exercise_id, source in [
        ("6.1", PEEPHOLE_FORWARD),
        ("6.2", CIFG),
        ("6.3", CAROUSEL),
        ("6.4", HORIZON),
        ("6.5", PEEPHOLE_BACKWARD),
    ]:
        result = run_exercise(exercise_id, run_cell(source), quiet=True)
        assert result.points == result.max_points, (exercise_id, result.reasons)
