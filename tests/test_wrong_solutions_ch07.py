"""Plausible wrong solutions of exercise set 07 must lose points (see tests/exercise_harness.py).

Most wrong solutions are a correct solution with one learner mistake edited in (``mutate``),
so each one isolates exactly one mistake.
"""

from __future__ import annotations

import pytest
from exercise_harness import Wrong, assert_loses_points, run_cell

from rnnbook.grading import run_exercise


def mutate(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, (
        f"the mutation target {old!r} must occur exactly once"
    )
    return source.replace(old, new)


ORIGINAL = """
def gru_original_step(x, h_prev, Wx, Wh, bx, bh):
    H = h_prev.shape[1]
    ax = x @ Wx.T + bx
    rz = 1.0 / (1.0 + np.exp(-(ax[:, : 2 * H] + h_prev @ Wh[: 2 * H].T + bh[: 2 * H])))
    r, z = rz[:, :H], rz[:, H:]
    n = np.tanh(ax[:, 2 * H :] + (r * h_prev) @ Wh[2 * H :].T + bh[2 * H :])
    return (1.0 - z) * n + z * h_prev
"""

TO_KERAS = """
def torch_gru_to_keras(Wx, Wh, bx, bh):
    def to_zrn(w):
        r, z, n = np.split(w, 3, axis=0)
        return np.concatenate([z, r, n], axis=0)

    return to_zrn(Wx).T, to_zrn(Wh).T, np.stack([to_zrn(bx), to_zrn(bh)])
"""

COUNT = """
def gru_param_count(D, H, num_layers, bidirectional):
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d_in = D if layer == 0 else directions * H
        total += directions * 3 * (H * (d_in + H) + 2 * H)
    return total
"""

MGU = """
def mgu_step_forward(x, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    f = 1.0 / (1.0 + np.exp(-(x @ Wx[:H].T + h_prev @ Wh[:H].T + b[:H])))
    n = np.tanh(x @ Wx[H:].T + (f * h_prev) @ Wh[H:].T + b[H:])
    return (1.0 - f) * h_prev + f * n
"""

BACKWARD = """
def gru_original_step_backward(dh_next, x, h_prev, Wx, Wh, bx, bh):
    H = h_prev.shape[1]
    ax = x @ Wx.T + bx
    rz = 1.0 / (1.0 + np.exp(-(ax[:, : 2 * H] + h_prev @ Wh[: 2 * H].T + bh[: 2 * H])))
    r, z = rz[:, :H], rz[:, H:]
    rh = r * h_prev
    n = np.tanh(ax[:, 2 * H :] + rh @ Wh[2 * H :].T + bh[2 * H :])
    dan = dh_next * (1.0 - z) * (1.0 - n**2)
    daz = dh_next * (h_prev - n) * z * (1.0 - z)
    drh = dan @ Wh[2 * H :]
    dar = drh * h_prev * r * (1.0 - r)
    da = np.concatenate([dar, daz, dan], axis=1)
    dh_prev = dh_next * z + drh * r + da[:, : 2 * H] @ Wh[: 2 * H]
    dWh = np.concatenate([da[:, : 2 * H].T @ h_prev, dan.T @ rh])
    db = da.sum(axis=0)
    return da @ Wx, dh_prev, da.T @ x, dWh, db, db.copy()
"""

# The reset-after cell's backward pass, written for the original convention's arguments:
# the convention mix-up a learner who copies section 7.3 makes.
BACKWARD_RESET_AFTER = """
def gru_original_step_backward(dh_next, x, h_prev, Wx, Wh, bx, bh):
    H = h_prev.shape[1]
    ax = x @ Wx.T + bx
    ah = h_prev @ Wh.T + bh
    rz = 1.0 / (1.0 + np.exp(-(ax[:, : 2 * H] + ah[:, : 2 * H])))
    r, z = rz[:, :H], rz[:, H:]
    hn = ah[:, 2 * H :]
    n = np.tanh(ax[:, 2 * H :] + r * hn)
    dan = dh_next * (1.0 - z) * (1.0 - n**2)
    daz = dh_next * (h_prev - n) * z * (1.0 - z)
    dar = dan * hn * r * (1.0 - r)
    dax = np.concatenate([dar, daz, dan], axis=1)
    dah = np.concatenate([dar, daz, dan * r], axis=1)
    dh_prev = dh_next * z + dah @ Wh
    return dax @ Wx, dh_prev, dax.T @ x, dah.T @ h_prev, dax.sum(0), dah.sum(0)
"""

WRONG = [
    # 7.1 original GRU step
    Wrong(
        "7.1",
        "reset-after-convention",
        mutate(
            ORIGINAL,
            "(r * h_prev) @ Wh[2 * H :].T + bh[2 * H :]",
            "r * (h_prev @ Wh[2 * H :].T + bh[2 * H :])",
        ),
        "BEFORE",
    ),
    Wrong(
        "7.1",
        "update-gate-swapped",
        mutate(ORIGINAL, "(1.0 - z) * n + z * h_prev", "z * n + (1.0 - z) * h_prev"),
        "r = 1",
    ),
    Wrong(
        "7.1",
        "gate-order-z-r-n",
        mutate(ORIGINAL, "r, z = rz[:, :H], rz[:, H:]", "z, r = rz[:, :H], rz[:, H:]"),
        "r = 1",
    ),
    # 7.2 PyTorch -> Keras
    Wrong(
        "7.2",
        "calls-the-forbidden-helper",
        """
        from rnnbook.frameworks.keras_interop import gru_to_keras

        def torch_gru_to_keras(Wx, Wh, bx, bh):
            return tuple(gru_to_keras(Wx, Wh, bx, bh, reset_after=True))
        """,
        "write yourself",
    ),
    Wrong(
        "7.2",
        "calls-the-forbidden-helper-through-the-module",
        """
        import rnnbook.frameworks.keras_interop as ki

        def torch_gru_to_keras(Wx, Wh, bx, bh):
            order = (("r", "z", "n"), ("z", "r", "n"))
            k, rk = (ki.reorder_gates(w, *order).T for w in (Wx, Wh))
            return k, rk, np.stack([ki.reorder_gates(b, *order) for b in (bx, bh)])
        """,
        "write yourself",
    ),
    Wrong(
        "7.2",
        "gate-order-kept",
        mutate(
            TO_KERAS,
            "np.concatenate([z, r, n], axis=0)",
            "np.concatenate([r, z, n], axis=0)",
        ),
        "kernel",
    ),
    Wrong(
        "7.2",
        "not-transposed",
        mutate(TO_KERAS, "to_zrn(Wx).T, to_zrn(Wh).T", "to_zrn(Wx), to_zrn(Wh)"),
        "shape",
    ),
    Wrong(
        "7.2",
        "biases-summed-into-one-row",
        mutate(
            TO_KERAS,
            "np.stack([to_zrn(bx), to_zrn(bh)])",
            "np.stack([to_zrn(bx + bh), np.zeros_like(bh)])",
        ),
        "bias",
    ),
    # 7.3 parameter count
    Wrong(
        "7.3",
        "upper-layers-read-H-when-bidirectional",
        mutate(
            COUNT,
            "d_in = D if layer == 0 else directions * H",
            "d_in = D if layer == 0 else H",
        ),
        "bidirectional",
    ),
    Wrong(
        "7.3",
        "one-bias-per-gate",
        mutate(COUNT, "+ 2 * H)", "+ H)"),
        "one unidirectional layer",
    ),
    Wrong(
        "7.3",
        "directions-not-multiplied",
        mutate(COUNT, "total += directions * 3 *", "total += 3 *"),
        "bidirectional",
    ),
    # 7.4 minimal gated unit
    Wrong(
        "7.4",
        "update-roles-swapped",
        mutate(MGU, "(1.0 - f) * h_prev + f * n", "f * h_prev + (1.0 - f) * n"),
        "h_next",
    ),
    Wrong(
        "7.4",
        "candidate-ignores-the-gate",
        mutate(MGU, "(f * h_prev) @ Wh[H:].T", "h_prev @ Wh[H:].T"),
        "h_next",
    ),
    # 7.5 original GRU step backward (hard)
    Wrong("7.5", "reset-after-derivative", BACKWARD_RESET_AFTER, "dh_prev"),
    Wrong(
        "7.5",
        "z-and-1-minus-z-swapped",
        mutate(
            mutate(
                BACKWARD,
                "dh_next * (1.0 - z) * (1.0 - n**2)",
                "dh_next * z * (1.0 - n**2)",
            ),
            "dh_prev = dh_next * z +",
            "dh_prev = dh_next * (1.0 - z) +",
        ),
        "r = 1",
    ),
    Wrong(
        "7.5",
        "missing-tanh-prime",
        mutate(BACKWARD, "dh_next * (1.0 - z) * (1.0 - n**2)", "dh_next * (1.0 - z)"),
        "r = 1",
    ),
    Wrong(
        "7.5",
        "no-path-through-r-times-h_prev",
        mutate(
            BACKWARD, "dh_prev = dh_next * z + drh * r +", "dh_prev = dh_next * z +"
        ),
        "dh_prev",
    ),
    Wrong(
        "7.5",
        "W_hn-gradient-uses-h_prev",
        mutate(BACKWARD, "dan.T @ rh", "dan.T @ h_prev"),
        "dWh",
    ),
    Wrong(
        "7.5",
        "calls-the-package-backward",
        """
        from rnnbook.scratch import gru as G

        def gru_original_step_backward(dh_next, x, h_prev, Wx, Wh, bx, bh):
            _, cache = G.gru_step_forward(x, h_prev, Wx, Wh, bx, bh, variant="original")
            return G.gru_step_backward(dh_next, cache)
        """,
        "write yourself",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)


def test_reset_after_convention_loses_nearly_everything_in_7_1():
    """7.1 tests one concept, the reset placement: the other convention keeps at most 1/4."""
    result = assert_loses_points(WRONG[0])
    assert result.points <= 1, result.reasons


@pytest.mark.parametrize(
    "exercise_id, source",
    [
        ("7.1", ORIGINAL),
        ("7.2", TO_KERAS),
        ("7.3", COUNT),
        ("7.4", MGU),
        ("7.5", BACKWARD),
    ],
)
def test_the_unmutated_solutions_earn_full_marks(exercise_id, source):
    """The templates the mutations start from are right: the mutations alone cost the points."""
    result = run_exercise(exercise_id, run_cell(source), quiet=True)
    assert result.points == result.max_points, result.reasons
