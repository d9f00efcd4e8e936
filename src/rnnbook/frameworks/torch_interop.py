"""Copy the package's NumPy parameters into ``torch.nn`` layers and back (imports torch).

Kept apart from the NumPy modules so that ``import rnnbook`` never pulls in torch.

One layer, one direction (the functions chapters 2, 6 and 7 use):

- ``load_rnn_weights``: ``rnnbook.scratch.rnn`` -> ``torch.nn.RNN``
- ``load_lstm_weights``, ``lstm_weights_from_torch``, ``lstm_grads_from_torch``:
  ``rnnbook.scratch.lstm`` <-> ``torch.nn.LSTM`` (gate order i, f, g, o on both sides)
- ``load_gru_weights``, ``gru_weights_from_torch``, ``gru_grads_from_torch``:
  ``rnnbook.scratch.gru`` (``variant="reset_after"``) <-> ``torch.nn.GRU``
  (gate order r, z, n on both sides)

Any number of layers, either direction (chapter 10), for RNN, LSTM and GRU alike, with the
NumPy parameters nested as ``params[layer][direction]`` (``rnnbook.frameworks.numpy_stacked``
runs them):

- ``numpy_to_state_dict`` / ``state_dict_to_numpy``: the conversion itself, on dictionaries
- ``load_numpy_weights`` / ``numpy_weights_from``: the same, on a module
- ``param_names``: ``weight_ih_l{k}``, ..., with ``_reverse`` for the backward direction

For Keras' layouts (transposed kernels, GRU gate order z, r, h) see
``rnnbook.frameworks.keras_interop``.
"""

from __future__ import annotations

import numpy as np
import torch


def load_rnn_weights(
    layer: "torch.nn.RNN", Wxh: np.ndarray, Whh: np.ndarray, bh: np.ndarray
) -> None:
    """Copy NumPy RNN parameters into a one-layer ``torch.nn.RNN`` in place.

    Parameters
    ----------
    layer : ``torch.nn.RNN`` with ``num_layers=1``, ``nonlinearity='tanh'``, ``bias=True``
    Wxh : (H, D) -> ``weight_ih_l0``;  Whh : (H, H) -> ``weight_hh_l0``
    bh : (H,) -> ``bias_ih_l0``; ``bias_hh_l0`` is set to zero because PyTorch adds both biases.
    """
    expected = (layer.hidden_size, layer.input_size)
    if (
        Wxh.shape != expected
        or Whh.shape != (expected[0],) * 2
        or bh.shape != (expected[0],)
    ):
        raise ValueError(
            f"layer expects Wxh {expected}, Whh {(expected[0],) * 2}, bh {(expected[0],)}; "
            f"got {Wxh.shape}, {Whh.shape}, {bh.shape}"
        )
    with torch.no_grad():
        dtype = layer.weight_ih_l0.dtype
        layer.weight_ih_l0.copy_(torch.as_tensor(Wxh, dtype=dtype))
        layer.weight_hh_l0.copy_(torch.as_tensor(Whh, dtype=dtype))
        layer.bias_ih_l0.copy_(torch.as_tensor(bh, dtype=dtype))
        layer.bias_hh_l0.zero_()


# ----------------------------------------------------------------------------- gate layouts
# The package stacks gates in the same order as torch.nn, so converting is a copy; the names
# below make that fact checkable instead of implicit.
TORCH_LSTM_GATE_ORDER = (
    "i",
    "f",
    "g",
    "o",
)  # torch.nn.LSTM: weight_ih_l0 = [W_ii|W_if|W_ig|W_io]
TORCH_GRU_GATE_ORDER = ("r", "z", "n")  # torch.nn.GRU: weight_ih_l0 = [W_ir|W_iz|W_in]


def _check_gate_order(ours, theirs, layer_name):
    if tuple(ours) != tuple(
        theirs
    ):  # pragma: no cover - guards a future change of our order
        raise RuntimeError(
            f"{layer_name}: gate order {ours} differs from torch's {theirs}"
        )


def _check_layer(layer, kind, D, H):
    if layer.num_layers != 1 or layer.bidirectional or not layer.bias:
        raise ValueError(
            f"expected a one-layer, unidirectional torch.nn.{kind} with biases"
        )
    if getattr(layer, "proj_size", 0):
        raise ValueError(
            "torch.nn.LSTM with proj_size > 0 has no NumPy equivalent here"
        )
    if (layer.input_size, layer.hidden_size) != (D, H):
        raise ValueError(
            f"layer has input_size={layer.input_size}, hidden_size={layer.hidden_size}; "
            f"the weights have D={D}, H={H}"
        )


def _copy(param, value):
    param.copy_(torch.as_tensor(np.asarray(value), dtype=param.dtype))


def load_lstm_weights(
    layer: "torch.nn.LSTM", Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray
) -> None:
    """Copy NumPy LSTM parameters (``rnnbook.scratch.lstm``) into a one-layer LSTM in place.

    Parameters
    ----------
    layer : ``torch.nn.LSTM`` with ``num_layers=1``, ``bias=True``, ``proj_size=0``
    Wx : (4H, D) -> ``weight_ih_l0``;  Wh : (4H, H) -> ``weight_hh_l0``
    b : (4H,) -> ``bias_ih_l0``; ``bias_hh_l0`` is set to zero because PyTorch adds both biases.
    """
    from rnnbook.scratch.lstm import GATE_ORDER

    _check_gate_order(GATE_ORDER, TORCH_LSTM_GATE_ORDER, "LSTM")
    H = Wh.shape[1]
    _check_layer(layer, "LSTM", Wx.shape[1], H)
    if Wx.shape[0] != 4 * H or Wh.shape != (4 * H, H) or b.shape != (4 * H,):
        raise ValueError(
            f"expected Wx (4H, D), Wh (4H, H), b (4H,) with H={H}; "
            f"got {Wx.shape}, {Wh.shape}, {b.shape}"
        )
    with torch.no_grad():
        _copy(layer.weight_ih_l0, Wx)
        _copy(layer.weight_hh_l0, Wh)
        _copy(layer.bias_ih_l0, b)
        layer.bias_hh_l0.zero_()


def lstm_weights_from_torch(
    layer: "torch.nn.LSTM",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(Wx, Wh, b)`` of a one-layer ``torch.nn.LSTM`` as NumPy arrays (float64).

    ``b = bias_ih_l0 + bias_hh_l0``: the two PyTorch biases are always added, so one suffices.
    """
    _check_layer(layer, "LSTM", layer.input_size, layer.hidden_size)
    with torch.no_grad():
        Wx = layer.weight_ih_l0.double().numpy().copy()
        Wh = layer.weight_hh_l0.double().numpy().copy()
        b = (layer.bias_ih_l0 + layer.bias_hh_l0).double().numpy().copy()
    return Wx, Wh, b


def lstm_grads_from_torch(
    layer: "torch.nn.LSTM",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """After ``backward()``, return ``(dWx, dWh, db)`` in the layout of ``lstm_backward``.

    ``db`` is the gradient of ``bias_ih_l0`` (equal to that of ``bias_hh_l0``).
    """
    return tuple(
        p.grad.double().numpy().copy()
        for p in (layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0)
    )


def load_gru_weights(
    layer: "torch.nn.GRU",
    Wx: np.ndarray,
    Wh: np.ndarray,
    bx: np.ndarray,
    bh: np.ndarray,
) -> None:
    """Copy NumPy GRU parameters (``rnnbook.scratch.gru``, reset-after) into ``torch.nn.GRU``.

    Parameters
    ----------
    layer : ``torch.nn.GRU`` with ``num_layers=1``, ``bias=True``
    Wx : (3H, D) -> ``weight_ih_l0``;  Wh : (3H, H) -> ``weight_hh_l0``  (gates r, z, n)
    bx : (3H,) -> ``bias_ih_l0``;  bh : (3H,) -> ``bias_hh_l0``

    ``torch.nn.GRU`` implements the reset-after convention only; a NumPy GRU run with
    ``variant="original"`` has no torch equivalent.
    """
    from rnnbook.scratch.gru import GATE_ORDER

    _check_gate_order(GATE_ORDER, TORCH_GRU_GATE_ORDER, "GRU")
    H = Wh.shape[1]
    _check_layer(layer, "GRU", Wx.shape[1], H)
    if (
        Wx.shape[0] != 3 * H
        or Wh.shape != (3 * H, H)
        or bx.shape != (3 * H,)
        or bh.shape != (3 * H,)
    ):
        raise ValueError(
            f"expected Wx (3H, D), Wh (3H, H), bx (3H,), bh (3H,) with H={H}; "
            f"got {Wx.shape}, {Wh.shape}, {bx.shape}, {bh.shape}"
        )
    with torch.no_grad():
        _copy(layer.weight_ih_l0, Wx)
        _copy(layer.weight_hh_l0, Wh)
        _copy(layer.bias_ih_l0, bx)
        _copy(layer.bias_hh_l0, bh)


def gru_weights_from_torch(layer: "torch.nn.GRU") -> tuple[np.ndarray, ...]:
    """Return ``(Wx, Wh, bx, bh)`` of a one-layer ``torch.nn.GRU`` as NumPy arrays (float64)."""
    _check_layer(layer, "GRU", layer.input_size, layer.hidden_size)
    return tuple(
        p.detach().double().numpy().copy()
        for p in (
            layer.weight_ih_l0,
            layer.weight_hh_l0,
            layer.bias_ih_l0,
            layer.bias_hh_l0,
        )
    )


def gru_grads_from_torch(layer: "torch.nn.GRU") -> tuple[np.ndarray, ...]:
    """After ``backward()``, return ``(dWx, dWh, dbx, dbh)`` in the layout of ``gru_backward``."""
    return tuple(
        p.grad.double().numpy().copy()
        for p in (
            layer.weight_ih_l0,
            layer.weight_hh_l0,
            layer.bias_ih_l0,
            layer.bias_hh_l0,
        )
    )


# ----------------------------------------------------------------------------- any depth
# Stacked and bidirectional layers. ``torch.nn.RNN/LSTM/GRU`` name the parameters of layer k
# ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``, with the suffix
# ``_reverse`` for the backward direction. The NumPy side is the nested list
# ``params[layer][direction]`` of ``rnnbook.frameworks.numpy_stacked``:
#   "rnn": (Wxh, Whh, bh), "lstm": (Wx, Wh, b), "gru": (Wx, Wh, bx, bh).
# For "rnn" and "lstm" our single bias b goes to bias_ih and bias_hh is zero: PyTorch adds
# the two, so only their sum matters, and reading back returns the sum.

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def torch_kind(module) -> str:
    """``"rnn"``, ``"lstm"`` or ``"gru"`` for a ``torch.nn.RNN``, ``LSTM`` or ``GRU`` module."""
    for kind, cls in (
        ("lstm", torch.nn.LSTM),
        ("gru", torch.nn.GRU),
        ("rnn", torch.nn.RNN),
    ):
        if isinstance(module, cls):
            return kind
    raise TypeError(
        f"expected module to be a torch.nn.RNN, LSTM or GRU, got {type(module).__name__}"
    )


def param_names(layer: int, direction: int) -> tuple[str, str, str, str]:
    """Names of the four tensors of one layer and direction (0 forward, 1 backward).

    >>> param_names(1, 1)
    ('weight_ih_l1_reverse', 'weight_hh_l1_reverse', 'bias_ih_l1_reverse', 'bias_hh_l1_reverse')
    """
    sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    return tuple(f"{w}{sfx}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


def _check_module(module):
    kind = torch_kind(module)
    if not module.bias:
        raise ValueError("expected a torch module with bias=True")
    if getattr(module, "proj_size", 0):
        raise ValueError(
            "torch.nn.LSTM with proj_size > 0 has no NumPy equivalent here"
        )
    if kind == "rnn" and module.nonlinearity != "tanh":
        raise ValueError(
            f"expected torch.nn.RNN with nonlinearity='tanh', got {module.nonlinearity!r}"
        )
    return kind


def numpy_to_state_dict(kind: str, params, dtype=torch.float64) -> dict:
    """NumPy parameters ``params[layer][direction]`` -> a ``state_dict`` for ``torch.nn``.

    The result loads with ``module.load_state_dict(sd)`` into a ``torch.nn.RNN/LSTM/GRU`` of
    ``num_layers = len(params)`` and ``bidirectional = len(params[0]) == 2`` (D and H as in
    the arrays). Shapes are checked layer by layer: layer k > 0 must read
    ``num_directions * H`` inputs.
    """
    if kind not in GATES:
        raise ValueError(f"expected kind to be one of {tuple(GATES)}, got {kind!r}")
    G = GATES[kind]
    n_dirs = len(params[0])
    H = np.shape(params[0][0][1])[1]
    D = np.shape(params[0][0][0])[1]
    n_arrays = 4 if kind == "gru" else 3
    sd = {}
    for layer, dirs in enumerate(params):
        if len(dirs) != n_dirs:
            raise ValueError(
                f"expected {n_dirs} directions in params[{layer}], got {len(dirs)}"
            )
        d_in = D if layer == 0 else n_dirs * H
        expected = [(G * H, d_in), (G * H, H), (G * H,), (G * H,)][:n_arrays]
        for d, arrays in enumerate(dirs):
            if len(arrays) != n_arrays:
                raise ValueError(
                    f"expected params[{layer}][{d}] to hold {n_arrays} arrays for "
                    f"kind {kind!r}, got {len(arrays)}"
                )
            for j, (a, shape) in enumerate(zip(arrays, expected)):
                if np.shape(a) != shape:
                    raise ValueError(
                        f"expected params[{layer}][{d}][{j}] of shape {shape} (H={H}, "
                        f"inputs={d_in}), got {np.shape(a)}"
                    )
            tensors = [torch.as_tensor(np.asarray(a), dtype=dtype) for a in arrays]
            if kind != "gru":  # one bias: all of it in bias_ih, bias_hh = 0
                tensors.append(torch.zeros(G * H, dtype=dtype))
            for name, t in zip(param_names(layer, d), tensors):
                sd[name] = t.clone()
    return sd


def state_dict_to_numpy(kind: str, state_dict, num_layers: int, bidirectional: bool):
    """A ``torch.nn`` ``state_dict`` -> NumPy ``params[layer][direction]`` (float64).

    For "rnn" and "lstm" the bias is ``bias_ih + bias_hh``; "gru" keeps both (the reset gate
    multiplies ``b_hn`` only, so the two are not interchangeable).
    """
    if kind not in GATES:
        raise ValueError(f"expected kind to be one of {tuple(GATES)}, got {kind!r}")
    params = []
    for layer in range(num_layers):
        dirs = []
        for d in range(2 if bidirectional else 1):
            names = param_names(layer, d)
            missing = [n for n in names if n not in state_dict]
            if missing:
                raise KeyError(f"state_dict has no {missing[0]!r}")
            w_ih, w_hh, b_ih, b_hh = (
                state_dict[n].detach().cpu().double().numpy().copy() for n in names
            )
            dirs.append(
                (w_ih, w_hh, b_ih, b_hh) if kind == "gru" else (w_ih, w_hh, b_ih + b_hh)
            )
        params.append(dirs)
    return params


def load_numpy_weights(module, params) -> None:
    """Copy NumPy ``params[layer][direction]`` into a ``torch.nn.RNN/LSTM/GRU`` in place.

    Any ``num_layers``, either direction setting; the module's dtype and device are kept.
    """
    kind = _check_module(module)
    n_dirs = 2 if module.bidirectional else 1
    if len(params) != module.num_layers or any(len(p) != n_dirs for p in params):
        raise ValueError(
            f"module has num_layers={module.num_layers}, bidirectional="
            f"{module.bidirectional}; params has {len(params)} layers with "
            f"{[len(p) for p in params]} directions"
        )
    H, D = np.shape(params[0][0][1])[1], np.shape(params[0][0][0])[1]
    if (module.input_size, module.hidden_size) != (D, H):
        raise ValueError(
            f"module has input_size={module.input_size}, hidden_size="
            f"{module.hidden_size}; params have D={D}, H={H}"
        )
    ref = module.weight_ih_l0
    sd = numpy_to_state_dict(kind, params, dtype=ref.dtype)
    module.load_state_dict({k: v.to(ref.device) for k, v in sd.items()})


def numpy_weights_from(module):
    """The parameters of a ``torch.nn.RNN/LSTM/GRU`` as NumPy ``params[layer][direction]``."""
    kind = _check_module(module)
    return state_dict_to_numpy(
        kind, module.state_dict(), module.num_layers, module.bidirectional
    )
