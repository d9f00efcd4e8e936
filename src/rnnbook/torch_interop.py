"""Copy the package's NumPy parameters into ``torch.nn`` layers (imports torch).

Kept apart from the NumPy modules so that ``import rnnbook`` never pulls in torch.
"""

from __future__ import annotations

import numpy as np
import torch


def load_rnn_weights(layer: "torch.nn.RNN", Wxh: np.ndarray, Whh: np.ndarray, bh: np.ndarray) -> None:
    """Copy NumPy RNN parameters into a one-layer ``torch.nn.RNN`` in place.

    Parameters
    ----------
    layer : ``torch.nn.RNN`` with ``num_layers=1``, ``nonlinearity='tanh'``, ``bias=True``
    Wxh : (H, D) -> ``weight_ih_l0``;  Whh : (H, H) -> ``weight_hh_l0``
    bh : (H,) -> ``bias_ih_l0``; ``bias_hh_l0`` is set to zero because PyTorch adds both biases.
    """
    expected = (layer.hidden_size, layer.input_size)
    if Wxh.shape != expected or Whh.shape != (expected[0],) * 2 or bh.shape != (expected[0],):
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
