"""Exercise set 10, "Recurrent layers in PyTorch": tests for solutions/10_pytorch_recurrent_layers.

Expected values come from torch.nn itself, never from the package functions the exercises
re-implement: 10.1 compares with ``torch.nn.GRUCell`` (values and gradients); 10.2 runs every
sequence of the batch alone through the same ``torch.nn.GRU`` and reads its ``h_n``; 10.3 loads
the learner's state_dict into a ``torch.nn.LSTM`` and compares its outputs with the NumPy
layers of ``rnnbook.scratch`` run layer by layer (``rnnbook.frameworks.numpy_stacked``).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

from rnnbook.frameworks.numpy_stacked import stacked_forward
from rnnbook.grading import ExerciseSet

SET = ExerciseSet("10", "Recurrent layers in PyTorch")

F64 = torch.float64


def _numpy(value):
    """A learner's tensor (possibly requiring grad) as a NumPy array, for comparison."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


# --------------------------------------------------------------------------------------------
# 10.1 A GRU cell from the equations


def _gru_case(seed, N, D, H):
    gen = torch.Generator().manual_seed(seed)
    cell = nn.GRUCell(D, H, dtype=F64)
    with torch.no_grad():
        for (
            p
        ) in cell.parameters():  # larger than torch's default, so every term matters
            p.copy_(torch.randn(p.shape, generator=gen, dtype=F64) / np.sqrt(H))
    x = torch.randn(N, D, generator=gen, dtype=F64)
    h_prev = 0.8 * torch.randn(N, H, generator=gen, dtype=F64)
    args = (x, h_prev, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    args = tuple(a.detach().clone() for a in args)
    with torch.no_grad():
        expected = cell(x, h_prev).numpy()
    return cell, args, expected


# Torch's own GRU kernels (``nn.GRUCell`` and ``nn.GRU`` call them), which 10.1 asks the
# learner not to use: a call of one fails the case (``t.forbid``).
_TORCH_GRU_KERNELS = (
    "torch.gru_cell",
    "torch.gru",
    "torch._VF.gru_cell",
    "torch._VF.gru",
)


@SET.exercise("10.1", "gru_cell_forward", points=5)
def _(t):
    cell, args, expected = _gru_case(101, 3, 4, 5)
    with t.case("returns h_next of shape (N, H)", points=1):
        t.expect_shape(t.call(*args), (3, 5), "h_next")
    with t.case(
        "equals torch.nn.GRUCell (gate order r, z, n; reset after the product)",
        points=2,
    ):
        t.expect_close(_numpy(t.call(*args)), expected, "h_next", rtol=1e-9, atol=1e-12)
        for seed, N, D, H in [(102, 1, 1, 1), (103, 2, 3, 1), (104, 1, 2, 3)]:
            _, args2, expected2 = _gru_case(seed, N, D, H)
            t.expect_close(
                _numpy(t.call(*args2)),
                expected2,
                f"h_next for N={N}, D={D}, H={H}",
                rtol=1e-9,
                atol=1e-12,
            )
    with t.case(
        "autograd flows through it: gradients equal torch.nn.GRUCell's", points=1
    ):
        leaves = [a.clone().requires_grad_(True) for a in args]
        # the learner's function must see these very leaves, so no copies are made
        got = t.call_with(
            fn=lambda: t.func(*leaves),
            check_mutation=False,
            what=f"`{t.exercise.name}`",
        )
        t.expect(
            isinstance(got, torch.Tensor) and got.requires_grad,
            "h_next should be a torch tensor computed with torch operations, so that "
            "autograd can differentiate it (no NumPy inside)",
        )
        weights = torch.randn(
            got.shape, generator=torch.Generator().manual_seed(5), dtype=F64
        )
        grads = torch.autograd.grad((got * weights).sum(), leaves, allow_unused=True)
        ref = cell(
            args[0].clone().requires_grad_(True), args[1].clone().requires_grad_(True)
        )
        ref_grads = torch.autograd.grad((ref * weights).sum(), list(cell.parameters()))
        for name, g, r in zip(
            ("weight_ih", "weight_hh", "bias_ih", "bias_hh"), grads[2:], ref_grads
        ):
            t.expect(g is not None, f"h_next does not depend on {name}")
            t.expect_close(
                g.numpy(), r.numpy(), f"gradient w.r.t. {name}", rtol=1e-9, atol=1e-12
            )
    with t.case("written from the equations, without torch's own GRU", points=1):
        with t.forbid(
            *_TORCH_GRU_KERNELS,
            reason="this exercise asks you to write the GRU cell yourself",
        ):
            got = t.call(*args)
        t.expect_close(_numpy(got), expected, "h_next", rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------------------------
# 10.2 The last real states of a packed bidirectional batch


def _packed_case(seed, lengths, D=3, H=4, num_layers=2):
    torch.manual_seed(seed)
    rnn = nn.GRU(
        D, H, num_layers=num_layers, bidirectional=True, batch_first=True, dtype=F64
    )
    seqs = [torch.randn(L, D, dtype=F64) for L in lengths]
    x = pad_sequence(seqs, batch_first=True)
    with torch.no_grad():
        packed = pack_padded_sequence(
            x, torch.tensor(lengths), batch_first=True, enforce_sorted=False
        )
        out, _ = rnn(packed)
        output, _ = pad_packed_sequence(out, batch_first=True)
        expected = []
        for s in seqs:  # each sequence alone: no padding anywhere
            _, h_n = rnn(s[None])
            expected.append(torch.cat([h_n[-2, 0], h_n[-1, 0]]))  # last layer: fwd, bwd
    return output, np.stack([e.numpy() for e in expected])


@SET.exercise("10.2", "last_real_states", points=5)
def _(t):
    lengths = [5, 2, 7, 3]
    output, expected = _packed_case(201, lengths)
    with t.case("returns a tensor of shape (N, 2H)", points=1):
        t.expect_shape(t.call(output, list(lengths)), (4, 8), "the last real states")
    with t.case(
        "equal lengths (no padding): forward half at the last step, backward half at step 0",
        points=1,
    ):
        out_eq, exp_eq = _packed_case(202, [6, 6, 6])
        got = _numpy(t.call(out_eq, [6, 6, 6]))
        t.expect_close(got, exp_eq, "the last real states", rtol=1e-9, atol=1e-12)
    with t.case(
        "variable lengths: the forward state is read at step L_n - 1, not in the padding",
        points=2,
    ):
        got = _numpy(t.call(output, list(lengths)))
        t.expect_shape(got, (4, 8), "the last real states")
        t.expect_close(
            got[:, :4], expected[:, :4], "forward half", rtol=1e-9, atol=1e-12
        )
        t.expect_close(
            got[:, 4:], expected[:, 4:], "backward half", rtol=1e-9, atol=1e-12
        )
    with t.case("lengths given as a tensor; a batch of one; H = 1", points=1):
        got = _numpy(t.call(output, torch.tensor(lengths)))
        t.expect_close(got, expected, "the last real states", rtol=1e-9, atol=1e-12)
        out1, exp1 = _packed_case(203, [4], D=2, H=1, num_layers=1)
        got = _numpy(t.call(out1, [4]))
        t.expect_close(
            got, exp1, "the last real states for N = 1, H = 1", rtol=1e-9, atol=1e-12
        )


# --------------------------------------------------------------------------------------------
# 10.3 NumPy LSTM weights -> a torch state_dict


def _lstm_params(seed, D, H, num_layers, bidirectional):
    rng = np.random.default_rng(seed)
    dirs = 2 if bidirectional else 1
    params = []
    for layer in range(num_layers):
        d_in = D if layer == 0 else dirs * H
        params.append(
            [
                {
                    "Wx": rng.standard_normal((4 * H, d_in)) / np.sqrt(d_in),
                    "Wh": rng.standard_normal((4 * H, H)) / np.sqrt(H),
                    "b": 0.5 * rng.standard_normal(4 * H),
                }
                for _ in range(dirs)
            ]
        )
    return params


def _check_lstm_state_dict(t, seed, D, H, num_layers, bidirectional):
    params = _lstm_params(seed, D, H, num_layers, bidirectional)
    sd = t.call(params)
    t.expect(
        isinstance(sd, dict), f"expected a dict (a state_dict), got {type(sd).__name__}"
    )
    lstm = nn.LSTM(
        D,
        H,
        num_layers=num_layers,
        bidirectional=bidirectional,
        batch_first=True,
        dtype=F64,
    )
    missing = sorted(set(lstm.state_dict()) - set(sd))
    extra = sorted(set(sd) - set(lstm.state_dict()))
    t.expect(
        not missing, f"the state_dict lacks {missing[:3]} (torch's parameter names)"
    )
    t.expect(not extra, f"the state_dict has keys torch does not know: {extra[:3]}")
    try:
        lstm.load_state_dict(sd)
    except Exception as exc:
        msg = " ".join(str(exc).split())[:200]
        t.fail(f"torch.nn.LSTM.load_state_dict refused it: {msg}")
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((2, 5, D))
    nested = [[(p["Wx"], p["Wh"], p["b"]) for p in dirs] for dirs in params]
    ref_out, ref_h, ref_c = stacked_forward("lstm", x, nested)
    with torch.no_grad():
        out, (h_n, c_n) = lstm(torch.as_tensor(x))
    what = f"{num_layers} layer(s), bidirectional={bidirectional}"
    t.expect_close(out.numpy(), ref_out, f"LSTM output ({what})", rtol=1e-9, atol=1e-10)
    t.expect_close(h_n.numpy(), ref_h, f"h_n ({what})", rtol=1e-9, atol=1e-10)
    t.expect_close(c_n.numpy(), ref_c, f"c_n ({what})", rtol=1e-9, atol=1e-10)


@SET.exercise("10.3", "lstm_state_dict_from_numpy", points=5)
def _(t):
    with t.case(
        "one layer: torch's names, tensors that load_state_dict accepts", points=1
    ):
        params = _lstm_params(301, 3, 4, 1, False)
        sd = t.call(params)
        t.expect(isinstance(sd, dict), f"expected a dict, got {type(sd).__name__}")
        names = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
        t.expect(
            set(sd) == names, f"expected the keys {sorted(names)}, got {sorted(sd)}"
        )
        t.expect(
            all(isinstance(v, torch.Tensor) for v in sd.values()),
            "every value of a state_dict should be a torch tensor",
        )
    with t.case("one layer: the LSTM computes what the NumPy layer computes", points=1):
        _check_lstm_state_dict(t, 302, 3, 4, 1, False)
    with t.case(
        "three stacked layers (layers above the first read H inputs)", points=1
    ):
        _check_lstm_state_dict(t, 303, 3, 4, 3, False)
    with t.case(
        "two bidirectional layers (backward direction, 2H inputs above)", points=2
    ):
        _check_lstm_state_dict(t, 304, 3, 4, 2, True)
        _check_lstm_state_dict(t, 305, 1, 1, 1, True)
