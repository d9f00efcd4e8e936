r"""Stacked and bidirectional Keras recurrent layers <-> the NumPy parameters of Parts I-II.

The Keras half of "one model, three implementations": a model is a list of Keras layers, one per
stacked layer, each a ``SimpleRNN``, ``LSTM`` or ``GRU`` or a ``Bidirectional`` wrapper of one.
Its parameters are nested exactly as in ``rnnbook.frameworks.numpy_stacked``::

    params[layer][direction] = (Wxh, Whh, bh)      SimpleRNN   (H, D_l), (H, H), (H,)
                             = (Wx, Wh, b)         LSTM        (4H, D_l), (4H, H), (4H,)
                             = (Wx, Wh, bx, bh)    GRU         (3H, D_l), (3H, H), (3H,) x2

with ``direction`` 0 the forward layer (``Bidirectional.forward_layer``) and 1 the backward one
(``Bidirectional.backward_layer``, which Keras runs with ``go_backwards=True`` and whose outputs
it reverses back into time order).  Each layer's weights are converted by
``rnnbook.frameworks.keras_interop`` (transposes; GRU gate order z, r, h).

- ``build_keras_stack``: the list of layers, built, every one returning sequences and states;
- ``load_numpy_weights`` (NumPy -> Keras) and ``numpy_weights_from_keras`` (Keras -> NumPy);
- ``keras_stack_forward``: run the list, returning ``(output, h_n, c_n)`` in the layout of
  ``numpy_stacked.stacked_forward`` (rows ``layer * num_directions + direction``).

A GRU built with ``reset_after=False`` (the original convention, one bias) converts too; the NumPy
side then runs ``gru_forward(..., variant="original")`` with ``bh = 0``.  Keras is imported
when a function that needs it is called.
"""

from __future__ import annotations

import numpy as np

from rnnbook.frameworks.keras_interop import from_keras, to_keras

_CLASSES = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


def _directions(layer):
    """The recurrent layers inside ``layer``: ``[layer]`` or ``[forward, backward]``."""
    import keras

    if isinstance(layer, keras.layers.Bidirectional):
        return [layer.forward_layer, layer.backward_layer]
    return [layer]


def layer_kind(layer) -> str:
    """``"rnn"``, ``"lstm"`` or ``"gru"`` for a Keras recurrent layer (or a Bidirectional one)."""
    import keras

    inner = _directions(layer)[0]
    for kind, name in _CLASSES.items():
        if isinstance(inner, getattr(keras.layers, name)):
            return kind
    raise TypeError(
        "expected a keras.layers.SimpleRNN, LSTM or GRU (or a Bidirectional wrapper of "
        f"one), got {type(inner).__name__}"
    )


def build_keras_stack(
    kind: str,
    D: int,
    H: int,
    num_layers: int = 1,
    bidirectional: bool = False,
    dtype=None,
    **kwargs,
) -> list:
    """Build ``num_layers`` stacked Keras layers for inputs with ``D`` features.

    Every layer has ``return_sequences=True`` and ``return_state=True`` (what
    ``keras_stack_forward`` needs); a layer above the first reads ``num_directions * H``
    features (``Bidirectional``'s default ``merge_mode="concat"``).  ``kwargs`` go to each
    recurrent layer (e.g. ``reset_after=False`` for a GRU); ``dtype="float64"`` makes the layers
    compute in float64.
    """
    import keras

    if kind not in _CLASSES:
        raise ValueError(f"expected kind to be one of {tuple(_CLASSES)}, got {kind!r}")
    layers = []
    d_in = D
    for _ in range(num_layers):
        layer = getattr(keras.layers, _CLASSES[kind])(
            H, return_sequences=True, return_state=True, dtype=dtype, **kwargs
        )
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, dtype=dtype)
        layer.build((None, None, d_in))
        layers.append(layer)
        d_in = (2 if bidirectional else 1) * H
    return layers


def load_numpy_weights(layers, params) -> None:
    """Copy NumPy parameters ``params[layer][direction]`` into the Keras ``layers`` in place.

    The number of layers and of directions must match; each array must fit its layer (the
    conversion functions and Keras' ``set_weights`` name any array that does not).
    """
    if len(params) != len(layers):
        raise ValueError(
            f"expected params for {len(layers)} layers, got {len(params)} (params[layer])"
        )
    for index, (layer, per_direction) in enumerate(zip(layers, params)):
        kind = layer_kind(layer)
        directions = _directions(layer)
        if len(per_direction) != len(directions):
            raise ValueError(
                f"layer {index} has {len(directions)} direction(s); params[{index}] "
                f"has {len(per_direction)}"
            )
        for rnn, p in zip(directions, per_direction):
            reset_after = getattr(rnn.cell, "reset_after", True)
            if kind == "gru" and not reset_after and np.any(p[3]):
                raise ValueError(
                    "a Keras GRU with reset_after=False has no recurrent bias: expected "
                    "bh = 0 in the NumPy parameters (the original convention)"
                )
            rnn.set_weights(to_keras(kind, p, reset_after=reset_after))


def numpy_weights_from_keras(layers) -> list:
    """The parameters of Keras ``layers`` as NumPy arrays, nested ``params[layer][direction]``.

    Arrays keep the layers' dtype (float32 unless the layers were built with float64).
    """
    return [
        [from_keras(layer_kind(layer), rnn.get_weights()) for rnn in _directions(layer)]
        for layer in layers
    ]


def keras_stack_forward(layers, x, mask=None):
    """Run stacked Keras layers (from zero initial states) and collect their final states.

    Parameters
    ----------
    layers : list of Keras recurrent layers built with ``return_sequences=True`` and
        ``return_state=True`` (``build_keras_stack`` makes them)
    x : (N, T, D) inputs
    mask : optional (N, T) booleans, ``True`` for real steps

    Returns
    -------
    output : (N, T, num_directions * H) the last layer's outputs as a NumPy array
    h_n : (num_layers * num_directions, N, H) final hidden states, row
        ``layer * num_directions + direction`` (as ``numpy_stacked.stacked_forward``)
    c_n : same shape, LSTM cell states; None for SimpleRNN and GRU
    """
    import keras

    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"expected x of shape (N, T, D), got {x.shape}")
    kind = layer_kind(layers[0])
    h_n, c_n = [], []
    out = x
    for index, layer in enumerate(layers):
        if not (layer.return_sequences and layer.return_state):
            raise ValueError(
                f"layer {index} must be built with return_sequences=True and "
                "return_state=True (see build_keras_stack)"
            )
        result = layer(out, mask=mask) if mask is not None else layer(out)
        out, states = result[0], result[1:]
        # Keras returns [output, h(, c)] per direction, forward first.
        per_dir = 2 if kind == "lstm" else 1
        for d in range(len(states) // per_dir):
            h_n.append(keras.ops.convert_to_numpy(states[d * per_dir]))
            if kind == "lstm":
                c_n.append(keras.ops.convert_to_numpy(states[d * per_dir + 1]))
    output = keras.ops.convert_to_numpy(out)
    return output, np.stack(h_n), (np.stack(c_n) if kind == "lstm" else None)
