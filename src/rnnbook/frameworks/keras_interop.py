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

``SimpleRNN`` has one gate block: ``kernel`` (D, H) = ``Wxh.T``, ``recurrent_kernel`` (H, H) =
``Whh.T``, ``bias`` (H,) = ``bh``.

=====================  ===================  ===================================================
NumPy (this package)   Keras                functions
=====================  ===================  ===================================================
``(Wxh, Whh, bh)``     ``SimpleRNN``        ``rnn_to_keras`` / ``rnn_from_keras``
``(Wx, Wh, b)``        ``LSTM``             ``lstm_to_keras`` / ``lstm_from_keras``
``(Wx, Wh, bx, bh)``   ``GRU``              ``gru_to_keras`` / ``gru_from_keras``
=====================  ===================  ===================================================

``to_keras(kind, params)`` and ``from_keras(kind, weights)`` pick the pair by ``kind``
(``"rnn"``, ``"lstm"``, ``"gru"``).  Whole stacked and bidirectional models are converted layer
by layer in ``rnnbook.frameworks.keras_stacked``.

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


KINDS = ("rnn", "lstm", "gru")
_BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}


def _check_numpy(kind, named):
    """Shapes of NumPy parameters ``named`` (name -> array): weights (kH, D), (kH, H), biases."""
    k = _BLOCKS[kind]
    arrays = {name: np.asarray(w) for name, w in named.items()}
    names = list(arrays)
    Wx, Wh = arrays[names[0]], arrays[names[1]]
    if Wh.ndim != 2 or Wh.shape[0] != k * Wh.shape[1]:
        raise ValueError(
            f"expected {names[1]} of shape ({k}H, H) for a {kind.upper()}, got {Wh.shape}"
        )
    H = Wh.shape[1]
    if Wx.ndim != 2 or Wx.shape[0] != k * H:
        raise ValueError(
            f"expected {names[0]} of shape ({k}H, D) = ({k * H}, D), got {Wx.shape}"
        )
    for name in names[2:]:
        if arrays[name].shape != (k * H,):
            raise ValueError(
                f"expected {name} of shape ({k}H,) = ({k * H},), got {arrays[name].shape}"
            )
    return arrays.values()


def _check_keras(kind, weights):
    """Shapes of a Keras weight list ``[kernel (D, kH), recurrent_kernel (H, kH), bias]``."""
    k = _BLOCKS[kind]
    if len(weights) != 3:
        raise ValueError(
            "expected weights = [kernel, recurrent_kernel, bias] (a layer built with "
            f"use_bias=True), got a list of {len(weights)} arrays"
        )
    kernel, recurrent_kernel, bias = (np.asarray(w) for w in weights)
    if (
        recurrent_kernel.ndim != 2
        or recurrent_kernel.shape[1] != k * (recurrent_kernel.shape[0])
    ):
        raise ValueError(
            f"expected recurrent_kernel of shape (H, {k}H) for a Keras {kind.upper()}, "
            f"got {recurrent_kernel.shape}"
        )
    H = recurrent_kernel.shape[0]
    if kernel.ndim != 2 or kernel.shape[1] != k * H:
        raise ValueError(
            f"expected kernel of shape (D, {k}H) = (D, {k * H}), got {kernel.shape}"
        )
    allowed = [(k * H,)] + ([(2, k * H)] if kind == "gru" else [])
    if bias.shape not in allowed:
        shapes = " or ".join(str(a) for a in allowed)
        raise ValueError(f"expected bias of shape {shapes}, got {bias.shape}")
    return kernel, recurrent_kernel, bias


def rnn_to_keras(Wxh, Whh, bh):
    """``(Wxh (H, D), Whh (H, H), bh (H,))`` -> ``[kernel (D, H), recurrent_kernel (H, H),
    bias (H,)]`` of a Keras ``SimpleRNN`` (activation tanh)."""
    Wxh, Whh, bh = _check_numpy("rnn", dict(Wxh=Wxh, Whh=Whh, bh=bh))
    return [Wxh.T.copy(), Whh.T.copy(), bh.copy()]


def rnn_from_keras(weights):
    """``[kernel, recurrent_kernel, bias]`` of a Keras ``SimpleRNN`` -> ``(Wxh, Whh, bh)``."""
    kernel, recurrent_kernel, bias = _check_keras("rnn", weights)
    return kernel.T.copy(), recurrent_kernel.T.copy(), bias.copy()


def lstm_to_keras(Wx, Wh, b):
    """``(Wx (4H, D), Wh (4H, H), b (4H,))`` -> ``[kernel (D, 4H), recurrent_kernel (H, 4H),
    bias (4H,)]`` of a Keras ``LSTM`` (same gate order; the weights are transposed)."""
    from rnnbook.scratch.lstm import GATE_ORDER

    Wx, Wh, b = _check_numpy("lstm", dict(Wx=Wx, Wh=Wh, b=b))

    def conv(w):
        return reorder_gates(w, GATE_ORDER, KERAS_LSTM_GATE_ORDER, axis=0)

    return [conv(Wx).T.copy(), conv(Wh).T.copy(), conv(b)]


def lstm_from_keras(weights):
    """``[kernel, recurrent_kernel, bias]`` of a Keras ``LSTM`` -> ``(Wx, Wh, b)``."""
    from rnnbook.scratch.lstm import GATE_ORDER

    kernel, recurrent_kernel, bias = _check_keras("lstm", weights)

    def conv(w):
        return reorder_gates(w, KERAS_LSTM_GATE_ORDER, GATE_ORDER, axis=0)

    return conv(kernel.T), conv(recurrent_kernel.T), conv(bias)


def gru_to_keras(Wx, Wh, bx, bh, reset_after=True):
    """Our GRU parameters (gates r, z, n) -> the weight list of a Keras ``GRU`` (gates z, r, h).

    With ``reset_after=False`` the result has a single bias ``bx + bh``; that is exact only for
    the original convention, where ``bh`` is redundant.
    """
    from rnnbook.scratch.gru import GATE_ORDER

    Wx, Wh, bx, bh = _check_numpy("gru", dict(Wx=Wx, Wh=Wh, bx=bx, bh=bh))

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

    kernel, recurrent_kernel, bias = _check_keras("gru", weights)

    def conv(w):
        return reorder_gates(w, KERAS_GRU_GATE_ORDER, GATE_ORDER, axis=0)

    if bias.ndim == 2:
        bx, bh = conv(bias[0]), conv(bias[1])
    else:
        bx, bh = conv(bias), np.zeros_like(bias)
    return conv(kernel.T), conv(recurrent_kernel.T), bx, bh


def to_keras(kind: str, params, reset_after: bool = True) -> list:
    """NumPy parameters of one layer and direction -> the weight list of the Keras layer.

    ``kind`` ``"rnn"``: ``params = (Wxh, Whh, bh)`` -> ``SimpleRNN``;  ``"lstm"``: ``(Wx, Wh, b)``
    -> ``LSTM``;  ``"gru"``: ``(Wx, Wh, bx, bh)`` -> ``GRU(reset_after=reset_after)``.
    """
    _check_kind(kind)
    if kind == "rnn":
        return rnn_to_keras(*params)
    if kind == "lstm":
        return lstm_to_keras(*params)
    return gru_to_keras(*params, reset_after=reset_after)


def from_keras(kind: str, weights) -> tuple:
    """The weight list of a Keras ``SimpleRNN``/``LSTM``/``GRU`` -> NumPy parameters (see
    ``to_keras``).  A GRU's bias shape tells its convention (``gru_from_keras``)."""
    _check_kind(kind)
    return {"rnn": rnn_from_keras, "lstm": lstm_from_keras, "gru": gru_from_keras}[
        kind
    ](weights)


def _check_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"expected kind to be one of {KINDS}, got {kind!r}")


def build_keras_layer(kind: str, D: int, H: int, **kwargs):
    """Build a Keras recurrent layer for inputs with D features (imports Keras here).

    ``kind`` is ``"SimpleRNN"``, ``"GRU"`` or ``"LSTM"``; ``kwargs`` go to the layer
    (e.g. ``reset_after=False``).  The layer is built, so its weights exist.
    """
    import keras

    layer = getattr(keras.layers, kind)(H, **kwargs)
    layer.build((None, None, D))
    return layer
