"""Copy the package's NumPy parameters into ``torch.nn`` layers and back (imports torch).

Kept apart from the NumPy modules so that ``import rnnbook`` never pulls in torch.

- ``load_rnn_weights``: ``rnnbook.scratch.rnn`` -> ``torch.nn.RNN``
- ``load_lstm_weights``, ``lstm_weights_from_torch``, ``lstm_grads_from_torch``:
  ``rnnbook.scratch.lstm`` <-> ``torch.nn.LSTM`` (gate order i, f, g, o on both sides)
- ``load_gru_weights``, ``gru_weights_from_torch``, ``gru_grads_from_torch``:
  ``rnnbook.scratch.gru`` (``variant="reset_after"``) <-> ``torch.nn.GRU`` (gate order r, z, n on both sides)

For Keras' layouts (transposed kernels, GRU gate order z, r, h) see ``rnnbook.frameworks.keras_interop``.
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
    """Copy NumPy LSTM parameters (``rnnbook.scratch.lstm``) into a one-layer ``torch.nn.LSTM`` in place.

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
    """Copy NumPy GRU parameters (``rnnbook.scratch.gru``, ``variant="reset_after"``) into ``torch.nn.GRU``.

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
