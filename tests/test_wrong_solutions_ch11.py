"""Plausible wrong solutions of exercise set 11 (Keras) must lose points, for the right reason."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from exercise_harness import Wrong, assert_loses_points, run_cell  # noqa: E402

# ------------------------------------------------------------------------------ 11.1
SHAPES_TEMPLATE = """
def keras_output_shapes(kind, N, T, H, return_sequences=False, return_state=False,
                        bidirectional=None):
    step = (N, T, H) if return_sequences else (N, H)
    directions = 1 if bidirectional is None else 2
    if bidirectional == "concat":
        outputs = [step[:-1] + ({CONCAT},)]
    elif bidirectional == "unmerged":
        outputs = {UNMERGED}
    else:
        outputs = [step]
    if not return_state:
        return outputs
    n_states = {N_STATES}
    return outputs + {STATES}
"""
RIGHT_SHAPES = dict(
    CONCAT="2 * H",
    UNMERGED="[step, step]",
    N_STATES='2 if kind == "LSTM" else 1',
    STATES="[(N, H)] * (n_states * directions)",
)


def shapes_variant(**change):
    return SHAPES_TEMPLATE.format(**{**RIGHT_SHAPES, **change})


# ------------------------------------------------------------------------------ 11.3
TO_NUMPY = """
def keras_lstm_to_numpy(kernel, recurrent_kernel, bias):
    H = recurrent_kernel.shape[0]
    D = kernel.shape[0]
    {BODY}
"""

# ------------------------------------------------------------------------------ 11.4
MASKED = """
def masked_lstm_final_state(x, mask, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    H = recurrent_kernel.shape[0]
    h, c = np.zeros((N, H)), np.zeros((N, H))

    def sigma(a):
        return 1 / (1 + np.exp(-a))

    for t in range(T):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        {GATES}
        c_new = sigma(f) * c + sigma(i) * np.tanh(g)
        h_new = sigma(o) * np.tanh(c_new)
        m = mask[:, t][:, None]
        {UPDATE}
    return {RETURN}
"""
RIGHT_MASKED = dict(
    GATES="i, f, g, o = np.split(z, 4, axis=1)",
    UPDATE="h, c = np.where(m, h_new, h), np.where(m, c_new, c)",
    RETURN="h, c",
)


def masked_variant(**change):
    return MASKED.format(**{**RIGHT_MASKED, **change})


WRONG = [
    # 11.1 keras_output_shapes
    Wrong(
        "11.1",
        "an LSTM returns only h as its state",
        shapes_variant(N_STATES="1"),
        "Keras returns",
    ),
    Wrong(
        "11.1",
        "concat merge keeps H features",
        shapes_variant(CONCAT="H"),
        "bidirectional='concat'",
    ),
    Wrong(
        "11.1",
        "a bidirectional layer returns one state of 2H per state",
        shapes_variant(STATES="[(N, directions * H)] * n_states"),
        "Keras returns",
    ),
    Wrong(
        "11.1",
        "return_sequences ignored (always the last step)",
        shapes_variant().replace(
            "step = (N, T, H) if return_sequences else (N, H)", "step = (N, H)"
        ),
        "return_sequences=True",
    ),
    # 11.2 masked_mean
    Wrong(
        "11.2",
        "divides by T instead of the real length",
        """
        def masked_mean(h, mask):
            return (h * mask[:, :, None]).sum(axis=1) / h.shape[1]
        """,
        "zero-padded",
    ),
    Wrong(
        "11.2",
        "plain mean over time, the mask ignored",
        """
        def masked_mean(h, mask):
            return h.mean(axis=1)
        """,
        "zero-padded",
    ),
    Wrong(
        "11.2",
        "divides by the number of real steps in the whole batch",
        """
        def masked_mean(h, mask):
            return (h * mask[:, :, None]).sum(axis=1) / mask.sum()
        """,
        "no padding",
    ),
    Wrong(
        "11.2",
        "averages the padded steps too when they are not zero (divides by length only)",
        """
        def masked_mean(h, mask):
            lengths = mask.sum(axis=1)
            return h.sum(axis=1) / lengths[:, None]
        """,
        "padded rows",
    ),
    # 11.3 keras_lstm_to_numpy
    Wrong(
        "11.3",
        "gate order i, f, o, c",
        TO_NUMPY.format(
            BODY="""def order(w):
        i, f, c, o = np.split(w, 4, axis=-1)
        return np.concatenate([i, f, o, c], axis=-1)
    return order(kernel).T, order(recurrent_kernel).T, order(bias)"""
        ),
        "c_t",
    ),
    Wrong(
        "11.3",
        "forgets the transpose",
        TO_NUMPY.format(BODY="return kernel, recurrent_kernel, bias"),
        "shape",
    ),
    Wrong(
        "11.3",
        "transposes with reshape (right shapes, scrambled entries)",
        TO_NUMPY.format(
            BODY="return kernel.reshape(4 * H, D), recurrent_kernel.reshape(4 * H, H), bias"
        ),
        "lstm_step_forward",
    ),
    Wrong(
        "11.3",
        "applies torch's GRU-style reordering (swaps the first two blocks)",
        TO_NUMPY.format(
            BODY="""def order(w):
        i, f, c, o = np.split(w, 4, axis=-1)
        return np.concatenate([f, i, c, o], axis=-1)
    return order(kernel).T, order(recurrent_kernel).T, order(bias)"""
        ),
        "c_t",
    ),
    # 11.4 masked_lstm_final_state
    Wrong(
        "11.4",
        "ignores the mask: output[:, -1] of a run over the padding",
        masked_variant(UPDATE="h, c = h_new, c_new"),
        "right-padded",
    ),
    Wrong(
        "11.4",
        "gate order i, f, o, c",
        masked_variant(GATES="i, f, o, g = np.split(z, 4, axis=1)"),
        "without padding",
    ),
    Wrong(
        "11.4",
        "masked steps reset the state to zero",
        masked_variant(UPDATE="h, c = h_new * m, c_new * m"),
        "right-padded",
    ),
    Wrong(
        "11.4",
        "masked steps keep h but update c",
        masked_variant(UPDATE="h, c = np.where(m, h_new, h), c_new"),
        "right-padded",
    ),
    Wrong(
        "11.4",
        "reads the state at step length - 1 of an unmasked run (wrong with holes)",
        """
        def masked_lstm_final_state(x, mask, kernel, recurrent_kernel, bias):
            N, T, D = x.shape
            H = recurrent_kernel.shape[0]
            h, c = np.zeros((N, H)), np.zeros((N, H))
            hs, cs = [], []
            for t in range(T):
                z = x[:, t] @ kernel + h @ recurrent_kernel + bias
                i, f, g, o = np.split(z, 4, axis=1)
                s = lambda a: 1 / (1 + np.exp(-a))
                c = s(f) * c + s(i) * np.tanh(g)
                h = s(o) * np.tanh(c)
                hs.append(h)
                cs.append(c)
            last = mask.sum(axis=1) - 1
            rows = np.arange(N)
            return np.stack(hs, 1)[rows, last], np.stack(cs, 1)[rows, last]
        """,
        "masked steps inside",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(wrong)


@pytest.mark.parametrize(
    "source",
    [shapes_variant(), masked_variant()],
    ids=["11.1-template", "11.4-template"],
)
def test_right_templates_earn_full_marks(source):
    """The templates the wrong solutions are cut from are right: only the change loses points."""
    from rnnbook.grading import run_exercise

    namespace = run_cell(source)
    exercise_id = "11.1" if "keras_output_shapes" in namespace else "11.4"
    result = run_exercise(exercise_id, namespace, quiet=True)
    assert result.points == result.max_points, result.reasons
