r"""The GRU layer in NumPy, batch-first, forward and backward, in both reset-gate conventions.

Equations for one time step (``*`` elementwise, sigma the logistic sigmoid); the gates are stacked
in ``GATE_ORDER = ("r", "z", "n")`` -- reset, update, candidate -- the order of ``torch.nn.GRU``::

    a^x_t = W_x x_t + b_x                     (N, 3H) input part of all three gates
    r_t = sigma(a^x_t[r] + W_hr h_{t-1} + b_hr)
    z_t = sigma(a^x_t[z] + W_hz h_{t-1} + b_hz)
    n_t = tanh(a^x_t[n] + r_t * (W_hn h_{t-1} + b_hn))      variant="reset_after"
    n_t = tanh(a^x_t[n] + W_hn (r_t * h_{t-1}) + b_hn)      variant="original"
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

* ``"original"`` is the GRU as published by Cho et al. (2014, eq. 8; arXiv 1406.1078v3): the
  reset gate scales the previous state *before* the recurrent product, so ``W_hn`` must wait for
  ``r_t``: two dependent matrix products per step.  Keras ``GRU(reset_after=False)``.  (See the
  note on names below.)
* ``"reset_after"`` applies the reset gate *after* the product, to ``W_hn h_{t-1} + b_hn``.  Then
  ``W_h h_{t-1}`` for all three gates is ONE matrix product per step (what cuDNN computes), and
  ``b_hn`` is not redundant with ``b_xn`` (it sits inside ``r_t * (...)``).  ``torch.nn.GRU``,
  Keras ``GRU(reset_after=True)`` (the Keras default) and cuDNN use it.
  In ``"original"`` the recurrent bias ``bh`` only ever adds to ``bx`` (a redundant parameter,
  kept so both variants take the same arguments).

The update gate keeps the old state: ``z_t = 1`` copies ``h_{t-1}``; ``z_t = 0`` replaces it by
``n_t``.  This is the convention of Cho et al. (2014, eq. 7), of PyTorch and of Keras.  Chung et
al. (2014) write the same cell with the roles of ``z`` and ``1 - z`` swapped
(``h_t = (1 - z_t) h_{t-1} + z_t n_t``), which only relabels the gate.

Note on names: Keras' documentation of ``GRU`` names the variants the other way round.  It says
``reset_after=True`` is "based on original 1406.1078v1" (the first arXiv version of Cho et al.)
and ``reset_after=False`` is based on "v3" (the version published at EMNLP 2014).  Here
"original" means the published paper, whose equations chapter 7 follows; the layer that each
Keras setting computes is the one stated above, whatever the name.

=========  ==========  ===================================  ======================================
name       shape       meaning                              ``torch.nn.GRU`` (``batch_first``)
=========  ==========  ===================================  ======================================
``x``      (N, T, D)   batch of N input sequences           ``input``
``h0``     (N, H)      initial hidden state                 ``h_0[0]``
``Wx``     (3H, D)     input weights, gates r, z, n         ``weight_ih_l0``
``Wh``     (3H, H)     recurrent weights, gates r, z, n     ``weight_hh_l0``
``bx``     (3H,)       input bias                           ``bias_ih_l0``
``bh``     (3H,)       recurrent bias                       ``bias_hh_l0``
``h``      (N, T, H)   hidden states h_1 ... h_T            ``output``
=========  ==========  ===================================  ======================================

``rnnbook.frameworks.torch_interop`` copies these parameters to and from ``torch.nn.GRU``;
``rnnbook.frameworks.keras_interop`` converts them to and from Keras' layout (gate order z, r, h).

Arguments (the same rules in every layer of ``rnnbook.scratch``; ``rnnbook.shapes`` checks them):
every array argument, upstream gradients included, is a float ``numpy.ndarray`` of exactly the
shape in the table -- a scalar, a list, or a (1, H) or (H,) gradient that NumPy would broadcast
across the batch raises an error naming the argument; every size is at least 1 (an empty
sequence, T = 0, is rejected by the forward functions); a ``cache`` is the tuple returned by the
matching forward function.

dtype: the forward pass computes in ``np.result_type`` of its inputs (all float32 -> float32;
any float64 -> float64).  The backward pass computes in ``np.result_type`` of the cached forward
values and the upstream gradient ``dh`` -- NumPy's own promotion, so nothing is cast down: a
float64 ``dh`` on a float32 layer gives float64 gradients.
"""

from __future__ import annotations

import numpy as np

from rnnbook.scratch.lstm import sigmoid
from rnnbook.shapes import check_cache, check_shape, check_sizes, match_shapes

GATE_ORDER = ("r", "z", "n")
VARIANTS = ("reset_after", "original")

# The weights are listed first, so they define D and H and an input that disagrees is named.
_STEP_SHAPES = {
    "Wx": ("3H", "D"),
    "Wh": ("3H", "H"),
    "bx": ("3H",),
    "bh": ("3H",),
    "x": ("N", "D"),
    "h_prev": ("N", "H"),
}
_SEQ_SHAPES = {
    "Wx": ("3H", "D"),
    "Wh": ("3H", "H"),
    "bx": ("3H",),
    "bh": ("3H",),
    "x": ("N", "T", "D"),
    "h0": ("N", "H"),
}


_STEP_CACHE = (2, 2, 2, None, None)  # ranks of (x, Wx, Wh, variant, saved)
_SEQ_CACHE = (3, 2, 2, None, None)  # ranks of (x, Wx, Wh, variant, saved per step)


def gate_slice(gate: str, H: int) -> slice:
    """Rows of ``Wx``/``Wh``/``bx``/``bh`` that belong to ``gate`` (one of ``GATE_ORDER``)."""
    if gate not in GATE_ORDER:
        raise ValueError(f"gate must be one of {GATE_ORDER}, got {gate!r}")
    check_sizes(H=H)
    k = GATE_ORDER.index(gate)
    return slice(k * H, (k + 1) * H)


def _check(spec, arrays, variant):
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    sizes = match_shapes(spec, arrays)
    if sizes["3H"] != 3 * sizes["H"]:
        raise ValueError(
            f"expected Wx, Wh, bx and bh to stack 3 gates of H = {sizes['H']} units "
            f"(first dimension 3H = {3 * sizes['H']}), got {sizes['3H']}"
        )
    return sizes


# The cell: everything after the input projection a^x_t = x_t Wx^T + bx.  Both the step and the
# sequence functions use it, so the GRU equations are written once.


def _cell_forward(ax, h_prev, Wh, bh, variant):
    """ax: (N, 3H) input part of the pre-activations.

    Returns h_next (N, H) and the values saved for ``_cell_backward``."""
    H = h_prev.shape[1]
    if variant == "reset_after":
        ah = h_prev @ Wh.T + bh  # (N, 3H): one recurrent product for all three gates
        rz = sigmoid(ax[:, : 2 * H] + ah[:, : 2 * H])
        r, z = rz[:, :H], rz[:, H:]
        n_in = h_prev  # what W_hn multiplies
        hn = ah[:, 2 * H :]  # W_hn h_{t-1} + b_hn, needed for dr
        n = np.tanh(ax[:, 2 * H :] + r * hn)
    else:  # "original"
        rz = sigmoid(ax[:, : 2 * H] + h_prev @ Wh[: 2 * H].T + bh[: 2 * H])
        r, z = rz[:, :H], rz[:, H:]
        n_in = r * h_prev  # the reset is applied before the product ...
        hn = None
        n = np.tanh(
            ax[:, 2 * H :] + n_in @ Wh[2 * H :].T + bh[2 * H :]
        )  # ... so it waits for r
    h_next = n + z * (h_prev - n)  # = (1 - z) n + z h_prev
    return h_next, (h_prev, r, z, n, n_in, hn)


def _cell_backward(dh_next, saved, Wh, variant):
    """Returns dax (N, 3H), dah (N, 3H) -- gradient w.r.t. the recurrent pre-activations, i.e.
    w.r.t. W_h[r,z] h_{t-1} + b_h[r,z] and W_hn n_in + b_hn -- and dh_prev (N, H)."""
    h_prev, r, z, n, n_in, hn = saved
    H = h_prev.shape[1]
    dn = dh_next * (1.0 - z)
    dz = dh_next * (h_prev - n)
    dh_prev = dh_next * z
    dan = dn * (1.0 - n * n)  # gradient w.r.t. the argument of tanh
    if variant == "reset_after":
        dr = dan * hn
        dahn = dan * r
    else:
        dn_in = dan @ Wh[2 * H :]  # (N, H), gradient w.r.t. r * h_prev
        dr = dn_in * h_prev
        dh_prev += dn_in * r
        dahn = dan
    dar = dr * r * (1.0 - r)
    daz = dz * z * (1.0 - z)
    dax = np.concatenate([dar, daz, dan], axis=1)
    dah = np.concatenate([dar, daz, dahn], axis=1)
    if variant == "reset_after":
        dh_prev += dah @ Wh
    else:
        dh_prev += dah[:, : 2 * H] @ Wh[: 2 * H]
    return dax, dah, dh_prev


def _weight_grads(dah, h_prev, n_in, H):
    """dWh from stacked rows: (M, 3H) gradients, (M, H) inputs of the r/z rows and of the n rows."""
    return np.concatenate(
        [dah[:, : 2 * H].T @ h_prev, dah[:, 2 * H :].T @ n_in], axis=0
    )


# ----------------------------------------------------------------------------- one time step


def gru_step_forward(x, h_prev, Wx, Wh, bx, bh, variant="reset_after"):
    """One GRU time step for a batch.

    Parameters
    ----------
    x : (N, D) inputs at this step;  h_prev : (N, H) previous hidden state
    Wx : (3H, D), Wh : (3H, H), bx : (3H,), bh : (3H,) parameters, gates in ``GATE_ORDER``
    variant : ``"reset_after"`` (PyTorch, cuDNN, Keras default) or ``"original"`` (Cho et al.)

    Returns
    -------
    h_next : (N, H) new hidden state
    cache : values needed by ``gru_step_backward``
    """
    _check(_STEP_SHAPES, dict(x=x, h_prev=h_prev, Wx=Wx, Wh=Wh, bx=bx, bh=bh), variant)
    h_next, saved = _cell_forward(x @ Wx.T + bx, h_prev, Wh, bh, variant)
    return h_next, (x, Wx, Wh, variant, saved)


def gru_step_backward(dh_next, cache):
    """Backward pass of ``gru_step_forward``.

    Parameters
    ----------
    dh_next : (N, H) gradient of the loss w.r.t. h_next
    cache : from ``gru_step_forward``

    Returns
    -------
    dx : (N, D), dh_prev : (N, H), dWx : (3H, D), dWh : (3H, H), dbx : (3H,), dbh : (3H,)
    """
    x, Wx, Wh, variant, saved = check_cache(cache, "gru_step_forward", _STEP_CACHE)
    if not isinstance(saved, tuple):
        raise TypeError(
            "expected cache to be the tuple returned by gru_step_forward, "
            "got the cache of gru_forward"
        )
    # saved[0] is h_prev: the cache fixes the sizes, dh_next must match them exactly.
    N, H = saved[0].shape
    check_shape("dh_next", dh_next, ("N", "H"), dict(N=N, H=H))
    dax, dah, dh_prev = _cell_backward(dh_next, saved, Wh, variant)
    h_prev, n_in = saved[0], saved[4]
    return (
        dax @ Wx,
        dh_prev,
        dax.T @ x,
        _weight_grads(dah, h_prev, n_in, H),
        dax.sum(axis=0),
        dah.sum(axis=0),
    )


# ----------------------------------------------------------------------------- whole sequences


def gru_forward(x, h0, Wx, Wh, bx, bh, variant="reset_after"):
    """Run a GRU over whole sequences.

    The input projection ``x Wx^T + bx`` is computed for all T steps in one matrix product before
    the loop.

    Parameters
    ----------
    x : (N, T, D) input sequences;  h0 : (N, H) initial hidden state
    Wx : (3H, D), Wh : (3H, H), bx : (3H,), bh : (3H,) parameters, gates in ``GATE_ORDER``
    variant : ``"reset_after"`` (PyTorch, cuDNN, Keras default) or ``"original"`` (Cho et al.)

    Returns
    -------
    h : (N, T, H) hidden states h_1 ... h_T (the final state is ``h[:, -1]``)
    cache : values needed by ``gru_backward``
    """
    sizes = _check(_SEQ_SHAPES, dict(x=x, h0=h0, Wx=Wx, Wh=Wh, bx=bx, bh=bh), variant)
    N, T, H = sizes["N"], sizes["T"], sizes["H"]
    ax = x @ Wx.T + bx  # (N, T, 3H), all steps at once
    h = np.empty((N, T, H), dtype=np.result_type(x, h0, Wx, Wh, bx, bh))
    saved = []
    h_prev = h0
    for t in range(T):
        h_prev, s = _cell_forward(ax[:, t], h_prev, Wh, bh, variant)
        h[:, t] = h_prev
        saved.append(s)
    return h, (x, Wx, Wh, variant, saved)


def gru_backward(dh, cache):
    """Backward pass of ``gru_forward`` (backpropagation through time).

    Parameters
    ----------
    dh : (N, T, H) gradient of the loss w.r.t. every hidden state h_1 ... h_T
    cache : from ``gru_forward``

    Returns
    -------
    dx : (N, T, D), dh0 : (N, H), dWx : (3H, D), dWh : (3H, H), dbx : (3H,), dbh : (3H,)
    """
    x, Wx, Wh, variant, saved = check_cache(cache, "gru_forward", _SEQ_CACHE)
    N, T, D = x.shape
    H = Wh.shape[1]
    if not isinstance(saved, list) or len(saved) != T:
        raise TypeError(
            "expected cache to be the tuple returned by gru_forward, "
            "got the cache of gru_step_forward"
        )
    check_shape("dh", dh, ("N", "T", "H"), dict(N=N, T=T, H=H))
    # NumPy promotion of the forward dtype (that of the candidate n_t) and dh: never cast down.
    dtype = np.result_type(dh, saved[0][3])
    dax = np.empty((T, N, 3 * H), dtype=dtype)
    dah = np.empty((T, N, 3 * H), dtype=dtype)
    dh_prev = np.zeros((N, H), dtype=dtype)
    for t in range(T - 1, -1, -1):
        dax[t], dah[t], dh_prev = _cell_backward(
            dh[:, t] + dh_prev, saved[t], Wh, variant
        )
    # Weight gradients: one matrix product over all (t, n) rows.
    h_prev = np.stack([s[0] for s in saved]).reshape(T * N, H)
    n_in = np.stack([s[4] for s in saved]).reshape(T * N, H)
    dax2, dah2 = dax.reshape(T * N, 3 * H), dah.reshape(T * N, 3 * H)
    dWx = dax2.T @ x.transpose(1, 0, 2).reshape(T * N, D)
    dWh = _weight_grads(dah2, h_prev, n_in, H)
    dx = (dax2 @ Wx).reshape(T, N, D).transpose(1, 0, 2)
    return dx, dh_prev, dWx, dWh, dax2.sum(axis=0), dah2.sum(axis=0)
