"""Convert the package's LSTM/GRU parameters to and from Keras' layout.

Keras stores the transposed weights (``kernel`` is (D, k*H), ``recurrent_kernel`` (H, k*H)) and,
for the GRU, a different gate order:

============  =====================  ==========================================================
layer         our order (= torch)    Keras
============  =====================  ==========================================================
LSTM          i, f, g, o             i, f, c, o  (same order; Keras calls g "c")
GRU           r, z, n                z, r, h     (update gate first; Keras calls n "h")
============  =====================  ==========================================================

Keras ``GRU(reset_after=True)`` (the default) has a bias of shape (2, 3H): row 0 is the input
bias ``bx``, row 1 the recurrent bias ``bh``.  ``GRU(reset_after=False)`` is the original
convention with one bias (3H,); ``rnnbook.scratch.gru`` runs it with ``variant="original"`` and
``bh = 0``.

The conversions are NumPy only.  ``build_keras_layer`` imports Keras (TensorFlow) when called, so
importing this module stays cheap.
"""

from __future__ import annotations

import numpy as np

KERAS_LSTM_GATE_ORDER = ("i", "f", "g", "o")
KERAS_GRU_GATE_ORDER = ("z", "r", "n")


def reorder_gates(
    w: np.ndarray, src: tuple[str, ...], dst: tuple[str, ...], axis: int = 0
) -> np.ndarray:
    """Permute the gate blocks of ``w`` along ``axis`` from order ``src`` to order ``dst``.

    ``w.shape[axis]`` must be ``len(src) * H``; block k (``H`` entries) belongs to gate
    ``src[k]``.  Example: ``reorder_gates(Wx, ("r", "z", "n"), ("z", "r", "n"))`` swaps the first
    two blocks of a (3H, D) GRU weight.  Returns a new array.
    """
    if sorted(src) != sorted(dst):
        raise ValueError(f"gate orders {src} and {dst} name different gates")
    size = w.shape[axis]
    if size % len(src):
        raise ValueError(
            f"axis {axis} has {size} entries, not a multiple of {len(src)} gates"
        )
    blocks = np.split(w, len(src), axis=axis)
    return np.concatenate([blocks[src.index(gate)] for gate in dst], axis=axis)


def lstm_to_keras(Wx, Wh, b):
    """``(Wx (4H, D), Wh (4H, H), b (4H,))`` -> ``[kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,)]``."""
    from rnnbook.scratch.lstm import GATE_ORDER

    def conv(w):
        return reorder_gates(w, GATE_ORDER, KERAS_LSTM_GATE_ORDER, axis=0)

    return [conv(Wx).T.copy(), conv(Wh).T.copy(), conv(b)]


def lstm_from_keras(weights):
    """``[kernel, recurrent_kernel, bias]`` of a Keras ``LSTM`` -> ``(Wx, Wh, b)``."""
    from rnnbook.scratch.lstm import GATE_ORDER

    kernel, recurrent_kernel, bias = (np.asarray(w) for w in weights)

    def conv(w):
        return reorder_gates(w, KERAS_LSTM_GATE_ORDER, GATE_ORDER, axis=0)

    return conv(kernel.T), conv(recurrent_kernel.T), conv(bias)


def gru_to_keras(Wx, Wh, bx, bh, reset_after=True):
    """Our GRU parameters (gates r, z, n) -> the weight list of a Keras ``GRU`` (gates z, r, h).

    With ``reset_after=False`` the result has a single bias ``bx + bh``; that is exact only for
    the original convention, where ``bh`` is redundant.
    """
    from rnnbook.scratch.gru import GATE_ORDER

    def conv(w):
        return reorder_gates(w, GATE_ORDER, KERAS_GRU_GATE_ORDER, axis=0)

    kernel, recurrent_kernel = conv(Wx).T.copy(), conv(Wh).T.copy()
    if reset_after:
        return [kernel, recurrent_kernel, np.stack([conv(bx), conv(bh)])]
    return [kernel, recurrent_kernel, conv(bx + bh)]


def gru_from_keras(weights):
    """Weight list of a Keras ``GRU`` -> ``(Wx, Wh, bx, bh)`` in our layout (gates r, z, n).

    The bias tells the convention: (2, 3H) for ``reset_after=True`` (run with
    ``variant="reset_after"``), (3H,) for ``reset_after=False`` (``variant="original"``, bh = 0).
    """
    from rnnbook.scratch.gru import GATE_ORDER

    kernel, recurrent_kernel, bias = (np.asarray(w) for w in weights)

    def conv(w):
        return reorder_gates(w, KERAS_GRU_GATE_ORDER, GATE_ORDER, axis=0)

    if bias.ndim == 2:
        bx, bh = conv(bias[0]), conv(bias[1])
    else:
        bx, bh = conv(bias), np.zeros_like(bias)
    return conv(kernel.T), conv(recurrent_kernel.T), bx, bh


def build_keras_layer(kind: str, D: int, H: int, **kwargs):
    """Build a Keras recurrent layer for inputs with D features (imports Keras here).

    ``kind`` is ``"SimpleRNN"``, ``"GRU"`` or ``"LSTM"``; ``kwargs`` go to the layer
    (e.g. ``reset_after=False``).  The layer is built, so its weights exist.
    """
    import keras

    layer = getattr(keras.layers, kind)(H, **kwargs)
    layer.build((None, None, D))
    return layer
