"""Plausible wrong solutions of exercise set 10 must lose points (see tests/exercise_harness.py)."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

pytest.importorskip("torch")

from exercise_harness import Wrong, assert_loses_points, run_cell  # noqa: E402

from rnnbook.grading import run_exercise  # noqa: E402

IMPORTS = "import numpy as np\nimport torch\nfrom torch import nn\n"

GRU_RIGHT = """
def gru_cell_forward(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    ax_r, ax_z, ax_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)
    ah_r, ah_z, ah_n = (h_prev @ weight_hh.T + bias_hh).chunk(3, dim=1)
    r = torch.sigmoid(ax_r + ah_r)
    z = torch.sigmoid(ax_z + ah_z)
    n = torch.tanh(ax_n + r * ah_n)
    return (1 - z) * n + z * h_prev
"""

LAST_RIGHT = """
def last_real_states(output, lengths):
    lengths = torch.as_tensor(lengths, dtype=torch.int64)
    H = output.shape[2] // 2
    rows = torch.arange(output.shape[0])
    return torch.cat([output[rows, lengths - 1, :H], output[:, 0, H:]], dim=1)
"""

SD_RIGHT = """
def lstm_state_dict_from_numpy(params):
    sd = {}
    for layer, directions in enumerate(params):
        for direction, p in enumerate(directions):
            sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
            sd["weight_ih" + sfx] = torch.as_tensor(p["Wx"], dtype=torch.float64)
            sd["weight_hh" + sfx] = torch.as_tensor(p["Wh"], dtype=torch.float64)
            sd["bias_ih" + sfx] = torch.as_tensor(p["b"], dtype=torch.float64)
            sd["bias_hh" + sfx] = torch.zeros(len(p["b"]), dtype=torch.float64)
    return sd
"""

WRONG = [
    # ---------------------------------------------------------------- 10.1 gru_cell_forward
    Wrong(
        "10.1",
        "reset-before-product",  # the original (Cho et al.) convention, not torch's
        """
        def gru_cell_forward(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
            H = h_prev.shape[1]
            ax_r, ax_z, ax_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)
            ah = h_prev @ weight_hh[: 2 * H].T + bias_hh[: 2 * H]
            r = torch.sigmoid(ax_r + ah[:, :H])
            z = torch.sigmoid(ax_z + ah[:, H:])
            n = torch.tanh(ax_n + (r * h_prev) @ weight_hh[2 * H :].T + bias_hh[2 * H :])
            return (1 - z) * n + z * h_prev
        """,
        "wrong values for h_next",
    ),
    Wrong(
        "10.1",
        "keras-gate-order-z-r-n",
        """
        def gru_cell_forward(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
            ax_z, ax_r, ax_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)
            ah_z, ah_r, ah_n = (h_prev @ weight_hh.T + bias_hh).chunk(3, dim=1)
            r = torch.sigmoid(ax_r + ah_r)
            z = torch.sigmoid(ax_z + ah_z)
            n = torch.tanh(ax_n + r * ah_n)
            return (1 - z) * n + z * h_prev
        """,
        "wrong values for h_next",
    ),
    Wrong(
        "10.1",
        "b_hn-outside-the-reset",  # bias_ih + bias_hh folded together before the gate
        """
        def gru_cell_forward(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
            b = bias_ih + bias_hh
            ax_r, ax_z, ax_n = (x @ weight_ih.T + b).chunk(3, dim=1)
            ah_r, ah_z, ah_n = (h_prev @ weight_hh.T).chunk(3, dim=1)
            r = torch.sigmoid(ax_r + ah_r)
            z = torch.sigmoid(ax_z + ah_z)
            n = torch.tanh(ax_n + r * ah_n)
            return (1 - z) * n + z * h_prev
        """,
        "wrong values for h_next",
    ),
    Wrong(
        "10.1",
        "update-roles-swapped",  # Cho et al.'s labelling with torch's weights
        """
        def gru_cell_forward(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
            ax_r, ax_z, ax_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)
            ah_r, ah_z, ah_n = (h_prev @ weight_hh.T + bias_hh).chunk(3, dim=1)
            r = torch.sigmoid(ax_r + ah_r)
            z = torch.sigmoid(ax_z + ah_z)
            n = torch.tanh(ax_n + r * ah_n)
            return z * n + (1 - z) * h_prev
        """,
        "wrong values for h_next",
    ),
    Wrong(
        "10.1",
        "numpy-inside-no-autograd",
        """
        def gru_cell_forward(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
            x, h, Wi, Wh, bi, bh = (
                a.detach().numpy() for a in (x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
            )
            sig = lambda a: 1 / (1 + np.exp(-a))
            ax_r, ax_z, ax_n = np.split(x @ Wi.T + bi, 3, axis=1)
            ah_r, ah_z, ah_n = np.split(h @ Wh.T + bh, 3, axis=1)
            r, z = sig(ax_r + ah_r), sig(ax_z + ah_z)
            n = np.tanh(ax_n + r * ah_n)
            return torch.as_tensor((1 - z) * n + z * h)
        """,
        "autograd",
    ),
    Wrong(
        "10.1",
        "calls-nn-GRUCell",
        """
        def gru_cell_forward(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
            cell = nn.GRUCell(x.shape[1], h_prev.shape[1], dtype=x.dtype)
            with torch.no_grad():
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(cell, name).copy_(locals()[name])
            return cell(x, h_prev)
        """,
        "write the GRU cell yourself",
    ),
    # ---------------------------------------------------------------- 10.2 last_real_states
    Wrong(
        "10.2",
        "last-step-read-from-padding",
        """
        def last_real_states(output, lengths):
            H = output.shape[2] // 2
            return torch.cat([output[:, -1, :H], output[:, 0, H:]], dim=1)
        """,
        "forward half",
    ),
    Wrong(
        "10.2",
        "whole-output-at-the-last-step",
        """
        def last_real_states(output, lengths):
            return output[:, -1]
        """,
        "backward half",
    ),
    Wrong(
        "10.2",
        "directions-concatenated-backward-first",
        """
        def last_real_states(output, lengths):
            lengths = torch.as_tensor(lengths)
            H = output.shape[2] // 2
            rows = torch.arange(output.shape[0])
            return torch.cat([output[:, 0, H:], output[rows, lengths - 1, :H]], dim=1)
        """,
        "wrong values",
    ),
    Wrong(
        "10.2",
        "backward-read-at-the-last-real-step",
        """
        def last_real_states(output, lengths):
            lengths = torch.as_tensor(lengths)
            return output[torch.arange(output.shape[0]), lengths - 1]
        """,
        "backward half",
    ),
    Wrong(
        "10.2",
        "off-by-one-length",
        """
        def last_real_states(output, lengths):
            lengths = torch.as_tensor(lengths).clamp(max=output.shape[1] - 1)
            H = output.shape[2] // 2
            rows = torch.arange(output.shape[0])
            return torch.cat([output[rows, lengths, :H], output[:, 0, H:]], dim=1)
        """,
        "forward half",
    ),
    # ------------------------------------------------------ 10.3 lstm_state_dict_from_numpy
    Wrong(
        "10.3",
        "b_ih-plus-b_hh-double-counted",
        SD_RIGHT.replace(
            'torch.zeros(len(p["b"]), dtype=torch.float64)',
            'torch.as_tensor(p["b"], dtype=torch.float64)',
        ),
        "wrong values for LSTM output",
    ),
    Wrong(
        "10.3",
        "directions-swapped",
        SD_RIGHT.replace(
            '("_reverse" if direction == 1 else "")',
            '("_reverse" if direction == 0 else "")',
        ),
        "bidirectional=True",
    ),
    Wrong(
        "10.3",
        "keras-layout-transposed-kernels",
        SD_RIGHT.replace(
            'torch.as_tensor(p["Wx"], dtype=torch.float64)',
            'torch.as_tensor(p["Wx"].T, dtype=torch.float64)',
        ),
        "load_state_dict refused",
    ),
    Wrong(
        "10.3",
        "own-name-for-the-backward-direction",
        SD_RIGHT.replace('"_reverse"', '"_backward"'),
        "lacks",
    ),
    Wrong(
        "10.3",
        "bias-hh-left-out",  # load_state_dict(strict=True) refuses a missing key
        SD_RIGHT.replace(
            '            sd["bias_hh" + sfx] = torch.zeros(len(p["b"]), dtype=torch.float64)\n',
            "",
        ),
        "bias_hh_l0",
    ),
]


@pytest.mark.parametrize("wrong", WRONG, ids=str)
def test_wrong_solution_loses_points(wrong):
    assert_loses_points(
        dataclasses.replace(wrong, source=IMPORTS + textwrap.dedent(wrong.source))
    )


@pytest.mark.parametrize(
    "exercise_id, source",
    [("10.1", GRU_RIGHT), ("10.2", LAST_RIGHT), ("10.3", SD_RIGHT)],
)
def test_reference_solution_earns_full_marks(exercise_id, source):
    result = run_exercise(exercise_id, run_cell(IMPORTS + source, {}), quiet=True)
    assert result.points == result.max_points, result.reasons
