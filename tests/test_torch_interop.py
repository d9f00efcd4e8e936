"""NumPy <-> PyTorch parity: RNN, LSTM and GRU; one layer, stacked, bidirectional; both ways.

The NumPy reference is ``rnnbook.frameworks.numpy_stacked.stacked_forward``, which runs the
from-scratch layers of ``rnnbook.scratch`` layer by layer (the backward direction on the
time-reversed sequence). float64 must agree to 1e-10, float32 to 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pad_sequence  # noqa: E402

from rnnbook.frameworks import torch_interop as ti  # noqa: E402
from rnnbook.frameworks.numpy_stacked import stacked_forward  # noqa: E402
from rnnbook.frameworks.torch_cells import (  # noqa: E402
    ManualGRUCell,
    ManualLSTMCell,
    unroll,
)
from rnnbook.frameworks.torch_sequences import (  # noqa: E402
    gather_last_steps,
    last_layer_state,
    run_packed,
    split_h_n,
)

MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
CONFIGS = [(1, False), (3, False), (1, True), (2, True)]  # (num_layers, bidirectional)
TOL = {torch.float64: 1e-10, torch.float32: 1e-5}
N, T, D, H = 3, 6, 4, 5


def random_params(rng, kind, num_layers, bidirectional):
    """Random NumPy parameters params[layer][direction], independent of torch's init."""
    G, dirs = GATES[kind], 2 if bidirectional else 1
    params = []
    for layer in range(num_layers):
        d_in = D if layer == 0 else dirs * H
        layer_params = []
        for _ in range(dirs):
            arrays = [
                rng.standard_normal((G * H, d_in)) / np.sqrt(d_in),
                rng.standard_normal((G * H, H)) / np.sqrt(H),
                0.3 * rng.standard_normal(G * H),
            ]
            if kind == "gru":
                arrays.append(0.3 * rng.standard_normal(G * H))
            layer_params.append(tuple(arrays))
        params.append(layer_params)
    return params


def torch_run(module, x, h0, c0=None):
    dtype = module.weight_ih_l0.dtype
    xt = torch.as_tensor(x, dtype=dtype)
    state = torch.as_tensor(h0, dtype=dtype)
    if c0 is not None:
        state = (state, torch.as_tensor(c0, dtype=dtype))
    with torch.no_grad():
        out, s = module(xt, state)
    h_n, c_n = s if isinstance(s, tuple) else (s, None)
    return (
        out.double().numpy(),
        h_n.double().numpy(),
        None if c_n is None else c_n.double().numpy(),
    )


def max_err(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"L{c[0]}-bi{int(c[1])}")
@pytest.mark.parametrize("kind", list(MODULES))
def test_numpy_to_torch(kind, config, dtype):
    num_layers, bidir = config
    seed = 100 * list(MODULES).index(kind) + CONFIGS.index(config)
    rng = np.random.default_rng(seed)
    params = random_params(rng, kind, num_layers, bidir)
    x = rng.standard_normal((N, T, D))
    n_states = num_layers * (2 if bidir else 1)
    h0 = 0.5 * rng.standard_normal((n_states, N, H))
    c0 = 0.5 * rng.standard_normal((n_states, N, H)) if kind == "lstm" else None
    module = MODULES[kind](
        D, H, num_layers=num_layers, bidirectional=bidir, batch_first=True, dtype=dtype
    )
    ti.load_numpy_weights(module, params)
    out, h_n, c_n = torch_run(module, x, h0, c0)
    ref_out, ref_h, ref_c = stacked_forward(kind, x, params, h0, c0)
    tol = TOL[dtype]
    assert out.shape == (N, T, (2 if bidir else 1) * H)
    assert max_err(out, ref_out) <= tol
    assert max_err(h_n, ref_h) <= tol
    if kind == "lstm":
        assert max_err(c_n, ref_c) <= tol


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"L{c[0]}-bi{int(c[1])}")
@pytest.mark.parametrize("kind", list(MODULES))
def test_torch_to_numpy(kind, config, dtype):
    num_layers, bidir = config
    torch.manual_seed(7)
    module = MODULES[kind](
        D, H, num_layers=num_layers, bidirectional=bidir, batch_first=True, dtype=dtype
    )
    with torch.no_grad():  # nonzero bias_hh, so that a dropped bias would show
        for name, p in module.named_parameters():
            if name.startswith("bias_hh"):
                p.uniform_(-0.5, 0.5)
    params = ti.numpy_weights_from(module)
    assert all(a.dtype == np.float64 for dirs in params for p in dirs for a in p)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((N, T, D))
    n_states = num_layers * (2 if bidir else 1)
    h0 = np.zeros((n_states, N, H))
    c0 = np.zeros((n_states, N, H)) if kind == "lstm" else None
    out, h_n, c_n = torch_run(module, x, h0, c0)
    ref_out, ref_h, ref_c = stacked_forward(kind, x, params, h0, c0)
    tol = TOL[dtype]
    assert max_err(out, ref_out) <= tol
    assert max_err(h_n, ref_h) <= tol
    if kind == "lstm":
        assert max_err(c_n, ref_c) <= tol


@pytest.mark.parametrize("kind", list(MODULES))
def test_round_trip_is_exact(kind):
    rng = np.random.default_rng(11)
    params = random_params(rng, kind, 2, True)
    sd = ti.numpy_to_state_dict(kind, params)
    back = ti.state_dict_to_numpy(kind, sd, 2, True)
    for layer in range(2):
        for d in range(2):
            for a, b in zip(params[layer][d], back[layer][d]):
                np.testing.assert_array_equal(a, b)
    module = MODULES[kind](D, H, num_layers=2, bidirectional=True, dtype=torch.float64)
    module.load_state_dict(sd)  # strict: the names match torch's exactly


def test_lstm_bias_is_the_sum_of_torch_biases():
    module = nn.LSTM(D, H, dtype=torch.float64)
    ((Wx, Wh, b),) = ti.numpy_weights_from(module)[0]
    expected = (module.bias_ih_l0 + module.bias_hh_l0).detach().numpy()
    np.testing.assert_allclose(b, expected, rtol=0, atol=1e-15)


def test_param_names_match_torch():
    module = nn.GRU(D, H, num_layers=2, bidirectional=True)
    names = {
        n for layer in range(2) for d in range(2) for n in ti.param_names(layer, d)
    }
    assert names == set(module.state_dict())


def test_bad_shapes_name_the_array():
    rng = np.random.default_rng(0)
    params = random_params(rng, "lstm", 2, True)
    bad = [list(p) for p in params]
    Wx, Wh, b = bad[1][0]
    bad[1][0] = (Wx[:, :H], Wh, b)  # layer 1 must read 2H inputs
    with pytest.raises(ValueError, match=r"params\[1\]\[0\]\[0\] of shape \(20, 10\)"):
        ti.numpy_to_state_dict("lstm", bad)
    with pytest.raises(ValueError, match="num_layers=3"):
        ti.load_numpy_weights(nn.LSTM(D, H, num_layers=3, bidirectional=True), params)
    with pytest.raises(ValueError, match="proj_size"):
        ti.numpy_weights_from(nn.LSTM(D, H, proj_size=2))
    with pytest.raises(TypeError, match="GRUCell"):
        ti.numpy_weights_from(nn.GRUCell(D, H))


def test_one_layer_helpers_still_work():
    rng = np.random.default_rng(5)
    ((Wx, Wh, b),) = random_params(rng, "lstm", 1, False)[0]
    layer = nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    ti.load_lstm_weights(layer, Wx, Wh, b)
    for got, want in zip(ti.lstm_weights_from_torch(layer), (Wx, Wh, b)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    ((Wx, Wh, bx, bh),) = random_params(rng, "gru", 1, False)[0]
    layer = nn.GRU(D, H, batch_first=True, dtype=torch.float64)
    ti.load_gru_weights(layer, Wx, Wh, bx, bh)
    for got, want in zip(ti.gru_weights_from_torch(layer), (Wx, Wh, bx, bh)):
        np.testing.assert_array_equal(got, want)


# ----------------------------------------------------------------------------- custom cells


@pytest.mark.parametrize(
    "manual, builtin, layer",
    [(ManualLSTMCell, nn.LSTMCell, nn.LSTM), (ManualGRUCell, nn.GRUCell, nn.GRU)],
    ids=["lstm", "gru"],
)
def test_manual_cells_equal_torch(manual, builtin, layer):
    torch.manual_seed(0)
    ref_cell = builtin(D, H, dtype=torch.float64)
    cell = manual(D, H, dtype=torch.float64)
    cell.load_state_dict(ref_cell.state_dict())
    fused = layer(D, H, batch_first=True, dtype=torch.float64)
    fused.load_state_dict({f"{k}_l0": v for k, v in ref_cell.state_dict().items()})
    x = torch.randn(N, T, D, dtype=torch.float64, requires_grad=True)
    out_manual, _ = unroll(cell, x)
    out_builtin, _ = unroll(ref_cell, x)
    out_fused, _ = fused(x)
    assert (out_manual - out_fused).abs().max() <= 1e-12
    assert (out_builtin - out_fused).abs().max() <= 1e-12
    (g_manual,) = torch.autograd.grad(out_manual.sum(), x)
    (g_fused,) = torch.autograd.grad(out_fused.sum(), x)
    assert (g_manual - g_fused).abs().max() <= 1e-12


def test_manual_cell_checks_shapes():
    cell = ManualGRUCell(D, H)
    with pytest.raises(ValueError, match=r"expected x of shape \(N, D\) with D = 4"):
        cell(torch.zeros(2, D + 1), torch.zeros(2, H))
    with pytest.raises(ValueError, match="h_prev"):
        cell(torch.zeros(2, D), torch.zeros(3, H))


# ----------------------------------------------------------------------------- packing


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_packed_batch_equals_sequences_alone(kind):
    torch.manual_seed(1)
    lengths = [4, 7, 2, 7, 5]
    seqs = [torch.randn(L, D, dtype=torch.float64) for L in lengths]
    x = pad_sequence(
        seqs, batch_first=True, padding_value=3.0
    )  # padding must be ignored
    rnn = MODULES[kind](
        D, H, num_layers=2, bidirectional=True, batch_first=True, dtype=torch.float64
    )
    with torch.no_grad():
        output, state = run_packed(rnn, x, lengths)
        h_n = state[0] if kind == "lstm" else state
        last = last_layer_state(h_n, 2, True)
        for n, s in enumerate(seqs):
            out_alone, state_alone = rnn(s[None])
            h_alone = state_alone[0] if kind == "lstm" else state_alone
            L = lengths[n]
            assert (output[n, :L] - out_alone[0]).abs().max() <= 1e-12
            assert output[n, L:].abs().max() == 0 if L < x.shape[1] else True
            assert (h_n[:, n] - h_alone[:, 0]).abs().max() <= 1e-12
            # forward half: last real step; backward half: step 0
            assert (last[n, :H] - out_alone[0, -1, :H]).abs().max() <= 1e-12
            assert (last[n, H:] - out_alone[0, 0, H:]).abs().max() <= 1e-12
        fwd_last = gather_last_steps(output[..., :H], lengths)
        assert (fwd_last - last[:, :H]).abs().max() <= 1e-12


def test_split_h_n_layout():
    h_n = torch.arange(3 * 2 * 1 * 1.0).view(6, 1, 1)
    v = split_h_n(h_n, 3, True)
    assert v[2, 1, 0, 0] == 5 and v[1, 0, 0, 0] == 2
    with pytest.raises(ValueError, match="num_layers \\* dirs = 4"):
        split_h_n(h_n, 2, True)


def test_run_packed_rejects_bad_lengths():
    rnn = nn.GRU(D, H, batch_first=True)
    with pytest.raises(ValueError, match="lengths"):
        run_packed(rnn, torch.zeros(2, 3, D), [1, 4])
    with pytest.raises(ValueError, match="batch_first"):
        run_packed(nn.GRU(D, H), torch.zeros(2, 3, D), [1, 3])
