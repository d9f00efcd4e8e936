r"""The LSTM layer in NumPy, batch-first, forward and backward.

Equations for one time step (``*`` is the elementwise product, sigma the logistic sigmoid)::

    a_t = W_x x_t + W_h h_{t-1} + b          (N, 4H)  all four pre-activations at once
    i_t = sigma(a_t[i])                       input gate
    f_t = sigma(a_t[f])                       forget gate
    g_t = tanh(a_t[g])                        candidate cell values
    o_t = sigma(a_t[o])                       output gate
    c_t = f_t * c_{t-1} + i_t * g_t           cell state
    h_t = o_t * tanh(c_t)                     hidden state (the layer's output)

Gate order: the four gates are stacked along the first axis of the weights in the order
``GATE_ORDER = ("i", "f", "g", "o")`` -- the order of ``torch.nn.LSTM`` and of Keras' ``LSTM``
(Keras calls g "c"). Block k of ``Wx`` is ``Wx[k*H:(k+1)*H]``; ``gate_slice`` names the blocks.

=========  ==========  ====================================  ======================================
name       shape       meaning                               ``torch.nn.LSTM`` (``batch_first``)
=========  ==========  ====================================  ======================================
``x``      (N, T, D)   batch of N input sequences            ``input``
``h0``     (N, H)      initial hidden state                  ``h_0[0]``
``c0``     (N, H)      initial cell state                    ``c_0[0]``
``Wx``     (4H, D)     input weights, gates i, f, g, o       ``weight_ih_l0``
``Wh``     (4H, H)     recurrent weights, gates i, f, g, o   ``weight_hh_l0``
``b``      (4H,)       bias                                  ``bias_ih_l0 + bias_hh_l0``
``h``      (N, T, H)   hidden states h_1 ... h_T             ``output``
``c``      (N, T, H)   cell states c_1 ... c_T               (PyTorch returns only ``c_n = c_T``)
=========  ==========  ====================================  ======================================

The layer's state is the pair ``(h_t, c_t)``, each (N, H).  ``rnnbook.frameworks.torch_interop``
copies these parameters into ``torch.nn.LSTM`` and back.

Arguments (the same rules in every layer of ``rnnbook.scratch``; ``rnnbook.shapes`` checks them):
every array argument, upstream gradients included, is a float ``numpy.ndarray`` of exactly the
shape in the table -- a scalar, a list, or a (1, H) or (H,) gradient that NumPy would broadcast
across the batch raises an error naming the argument; every size is at least 1 (an empty
sequence, T = 0, is rejected by the forward functions); a ``cache`` is the tuple returned by the
matching forward function.

dtype: the forward pass computes in ``np.result_type`` of its inputs (all float32 -> float32;
any float64 -> float64).  The backward pass computes in ``np.result_type`` of the cached forward
values and the upstream gradients (``dh``, ``dc_T``) -- NumPy's own promotion, so nothing is
cast down: a float64 ``dh`` on a float32 layer gives float64 gradients.

The sequence functions are written for speed as well as for reading: one matrix product computes
all four gates, the input projection ``x W_x^T + b`` is done for every time step before the loop,
and the backward pass computes ``dWx``, ``dWh`` and ``db`` with one matrix product each after the
loop.  Internally the states are stored transposed and time-major, (T, H, N), so that each gate
of each step is a contiguous block of memory (see ``lstm_forward``).
"""

from __future__ import annotations

import numpy as np

from rnnbook.shapes import check_cache, check_shape, check_sizes, match_shapes

GATE_ORDER = ("i", "f", "g", "o")

# The weights are listed first, so they define D and H and an input that disagrees is named.
_STEP_SHAPES = {
    "Wx": ("4H", "D"),
    "Wh": ("4H", "H"),
    "b": ("4H",),
    "x": ("N", "D"),
    "h_prev": ("N", "H"),
    "c_prev": ("N", "H"),
}
_SEQ_SHAPES = {
    "Wx": ("4H", "D"),
    "Wh": ("4H", "H"),
    "b": ("4H",),
    "x": ("N", "T", "D"),
    "h0": ("N", "H"),
    "c0": ("N", "H"),
}


_STEP_CACHE = (2,) * 10  # ranks of (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
_SEQ_CACHE = (3, 3, 3, 3, 3, 2, 2)  # ranks of (x, hs, cs, tanh_cs, acts, Wx, Wh)


def gate_slice(gate: str, H: int) -> slice:
    """Rows of ``Wx``/``Wh``/``b`` (or columns of the pre-activations) that belong to ``gate``.

    ``gate`` is one of ``GATE_ORDER``; e.g. ``b[gate_slice("f", H)]`` is the forget-gate bias.
    """
    if gate not in GATE_ORDER:
        raise ValueError(f"gate must be one of {GATE_ORDER}, got {gate!r}")
    check_sizes(H=H)
    k = GATE_ORDER.index(gate)
    return slice(k * H, (k + 1) * H)


def sigmoid(a):
    """Logistic sigmoid ``1 / (1 + exp(-a))``, computed as ``(1 + tanh(a/2)) / 2``.

    The tanh form never overflows (``exp(-a)`` does for a < -709 in float64) and is one
    vectorised call.  ``a`` is a number or an array of numbers (elementwise).
    """
    arr = np.asarray(a)
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"expected a to hold numbers, got dtype {arr.dtype}")
    return 0.5 * np.tanh(0.5 * arr) + 0.5


def _check_sizes(sizes, H4_name="4H"):
    if sizes[H4_name] != 4 * sizes["H"]:
        raise ValueError(
            f"expected Wx, Wh and b to stack 4 gates of H = {sizes['H']} units "
            f"(first dimension 4H = {4 * sizes['H']}), got {sizes[H4_name]}"
        )


# ----------------------------------------------------------------------------- one time step


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One LSTM time step for a batch.

    Parameters
    ----------
    x : (N, D) inputs at this time step
    h_prev : (N, H) previous hidden state;  c_prev : (N, H) previous cell state
    Wx : (4H, D), Wh : (4H, H), b : (4H,) parameters, gates stacked in ``GATE_ORDER``

    Returns
    -------
    (h_next, c_next) : two (N, H) arrays, the new state
    cache : values needed by ``lstm_step_backward``
    """
    sizes = match_shapes(
        _STEP_SHAPES, dict(x=x, h_prev=h_prev, c_prev=c_prev, Wx=Wx, Wh=Wh, b=b)
    )
    _check_sizes(sizes)
    H = sizes["H"]
    a = (
        x @ Wx.T + h_prev @ Wh.T + b
    )  # (N, 4H): one product per weight matrix for all gates
    i = sigmoid(a[:, 0 * H : 1 * H])
    f = sigmoid(a[:, 1 * H : 2 * H])
    g = np.tanh(a[:, 2 * H : 3 * H])
    o = sigmoid(a[:, 3 * H : 4 * H])
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    h_next = o * tanh_c
    cache = (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
    return (h_next, c_next), cache


def lstm_step_backward(dh_next, dc_next, cache):
    """Backward pass of ``lstm_step_forward``.

    Parameters
    ----------
    dh_next : (N, H) gradient of the loss w.r.t. h_next
    dc_next : (N, H) gradient of the loss w.r.t. c_next (from the next time step, or zeros)
    cache : from ``lstm_step_forward``

    Returns
    -------
    dx : (N, D), dh_prev : (N, H), dc_prev : (N, H), dWx : (4H, D), dWh : (4H, H), db : (4H,)
    """
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = check_cache(
        cache, "lstm_step_forward", _STEP_CACHE
    )
    # The cache fixes the sizes; the gradients must match them exactly (no broadcasting).
    N, H = tanh_c.shape
    check_shape("dh_next", dh_next, ("N", "H"), dict(N=N, H=H))
    check_shape("dc_next", dc_next, ("N", "H"), dict(N=N, H=H))
    do = dh_next * tanh_c
    dc = dc_next + dh_next * o * (
        1.0 - tanh_c**2
    )  # c_next reaches the loss directly and via h
    di = dc * g
    df = dc * c_prev
    dg = dc * i
    dc_prev = dc * f  # the additive path: d c_t / d c_{t-1} = diag(f_t)
    da = np.concatenate(
        [di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g**2), do * o * (1.0 - o)],
        axis=1,
    )  # (N, 4H), gates in GATE_ORDER
    dx = da @ Wx
    dh_prev = da @ Wh
    dWx = da.T @ x
    dWh = da.T @ h_prev
    db = da.sum(axis=0)
    return dx, dh_prev, dc_prev, dWx, dWh, db


# ----------------------------------------------------------------------------- whole sequences


def lstm_forward(x, h0, c0, Wx, Wh, b):
    """Run an LSTM over whole sequences.

    Parameters
    ----------
    x : (N, T, D) input sequences
    h0 : (N, H) initial hidden state;  c0 : (N, H) initial cell state
    Wx : (4H, D), Wh : (4H, H), b : (4H,) parameters, gates stacked in ``GATE_ORDER``

    Returns
    -------
    (h, c) : two (N, T, H) arrays, hidden and cell states at every step; the final state is
        ``(h[:, -1], c[:, -1])``
    cache : values needed by ``lstm_backward``

    The arithmetic uses the dtype of the inputs (float32 inputs give a float32 layer).

    Implementation notes (same equations as ``lstm_step_forward``, arranged for speed):

    * The state is kept transposed, ``h_t^T`` of shape (H, N), so that the pre-activations
      ``a_t^T = W_h h_{t-1}^T + (W_x x_t^T + b)`` have shape (4H, N) and each gate is a
      contiguous block of rows -- elementwise NumPy is several times faster on contiguous
      memory than on column slices.
    * ``sigmoid(a) = (1 + tanh(a/2)) / 2``: the rows of i, f and o in ``W_x``, ``W_h`` and ``b``
      are halved once (exact in floating point), then ONE ``tanh`` call activates all four gates
      and the sigmoid rows are mapped from (-1, 1) to (0, 1).
    * The input projection for all T steps is one (batched) matrix product before the loop; the
      loop does one (4H, H) @ (H, N) product per step, into preallocated buffers.
    """
    sizes = match_shapes(_SEQ_SHAPES, dict(x=x, h0=h0, c0=c0, Wx=Wx, Wh=Wh, b=b))
    _check_sizes(sizes)
    N, T, H = sizes["N"], sizes["T"], sizes["H"]
    dtype = np.result_type(x, h0, c0, Wx, Wh, b)
    half = np.ones((4 * H, 1), dtype=dtype)  # 1/2 on the rows of sigmoid gates, 1 for g
    half[gate_slice("i", H)] = half[gate_slice("f", H)] = half[gate_slice("o", H)] = 0.5
    Wx_half = Wx.astype(dtype) * half
    Wh_half = Wh.astype(dtype) * half

    xT = np.ascontiguousarray(x.transpose(1, 2, 0), dtype=dtype)  # (T, D, N)
    acts = np.ascontiguousarray(
        np.matmul(Wx_half, xT)
    )  # (T, 4H, N): input part (halved)
    acts += b.astype(dtype)[:, None] * half
    hs = np.empty((T + 1, H, N), dtype=dtype)  # hs[t] = h_t^T, hs[0] = h0^T
    cs = np.empty((T + 1, H, N), dtype=dtype)
    tanh_cs = np.empty((T, H, N), dtype=dtype)
    hs[0] = h0.T
    cs[0] = c0.T
    rec = np.empty((4 * H, N), dtype=dtype)  # buffer for W_h h_{t-1}^T
    ig = np.empty((H, N), dtype=dtype)
    for t in range(T):
        a = acts[t]
        np.matmul(Wh_half, hs[t], out=rec)
        a += rec
        np.tanh(a, out=a)  # g is done; i, f, o hold tanh(a/2)
        sig = a[: 2 * H]  # i and f
        sig *= 0.5
        sig += 0.5
        sig = a[3 * H :]  # o
        sig *= 0.5
        sig += 0.5
        i, f, g, o = a[:H], a[H : 2 * H], a[2 * H : 3 * H], a[3 * H :]
        np.multiply(f, cs[t], out=cs[t + 1])
        np.multiply(i, g, out=ig)
        cs[t + 1] += ig
        np.tanh(cs[t + 1], out=tanh_cs[t])
        np.multiply(o, tanh_cs[t], out=hs[t + 1])
    h = np.ascontiguousarray(hs[1:].transpose(2, 0, 1))  # (N, T, H)
    c = np.ascontiguousarray(cs[1:].transpose(2, 0, 1))
    cache = (x, hs, cs, tanh_cs, acts, Wx, Wh)
    return (h, c), cache


def lstm_backward(dh, cache, dc_T=None):
    """Backward pass of ``lstm_forward`` (backpropagation through time).

    Parameters
    ----------
    dh : (N, T, H) gradient of the loss w.r.t. every hidden state h_1 ... h_T
    cache : from ``lstm_forward``
    dc_T : (N, H) or None, gradient w.r.t. the final cell state c_T (when the final state feeds
        something else, e.g. a decoder); None means zero

    Returns
    -------
    dx : (N, T, D), dh0 : (N, H), dc0 : (N, H), dWx : (4H, D), dWh : (4H, H), db : (4H,)

    Per step, with ``dh_t`` the total gradient reaching h_t (from the loss and from step t+1)
    and ``dc`` the one reaching c_t::

        da_o = dh_t * tanh(c_t) * o(1-o)        dc  += dh_t * o * (1 - tanh(c_t)^2)
        da_i = dc * g * i(1-i)                  da_f = dc * c_{t-1} * f(1-f)
        da_g = dc * i * (1-g^2)                 dc_{t-1} = dc * f,  dh_{t-1} += da W_h

    The factors that multiply ``dh_t`` and ``dc`` depend only on the forward activations, so
    they are computed for all steps at once before the loop; the loop is then a few
    elementwise products and one matrix product.  ``dWx``, ``dWh``, ``db`` and ``dx`` are one
    matrix product (or sum) each after the loop.
    """
    x, hs, cs, tanh_cs, acts, Wx, Wh = check_cache(cache, "lstm_forward", _SEQ_CACHE)
    N, T, D = x.shape
    H = hs.shape[1]
    sizes = dict(N=N, T=T, H=H)
    check_shape("dh", dh, ("N", "T", "H"), sizes)
    if dc_T is not None:
        check_shape("dc_T", dc_T, ("N", "H"), sizes)
    # NumPy promotion of the forward dtype and the upstream gradients: never cast down.
    dtype = np.result_type(acts, dh) if dc_T is None else np.result_type(acts, dh, dc_T)

    i, f, g, o = (
        acts[:, :H],
        acts[:, H : 2 * H],
        acts[:, 2 * H : 3 * H],
        acts[:, 3 * H :],
    )
    # K: the factor that turns dc (rows i, f, g) or dh_t (rows o) into the pre-activation
    # gradient; Kc turns dh_t into its contribution to dc.  Shapes (T, 4H, N) and (T, H, N).
    # (Written with in-place operations into one scratch array: fewer full-size temporaries.)
    K = np.empty(acts.shape, dtype=dtype)
    scratch = np.empty(tanh_cs.shape, dtype=dtype)
    np.subtract(1, i, out=scratch)
    scratch *= i
    np.multiply(scratch, g, out=K[:, :H])  # g * i(1-i)
    np.subtract(1, f, out=scratch)
    scratch *= f
    np.multiply(scratch, cs[:-1], out=K[:, H : 2 * H])  # c_{t-1} * f(1-f)
    np.multiply(g, g, out=scratch)
    np.subtract(1, scratch, out=scratch)
    np.multiply(scratch, i, out=K[:, 2 * H : 3 * H])  # i * (1-g^2)
    np.subtract(1, o, out=scratch)
    scratch *= o
    np.multiply(scratch, tanh_cs, out=K[:, 3 * H :])  # tanh(c_t) * o(1-o)
    Kc = np.multiply(tanh_cs, tanh_cs, dtype=dtype)
    np.subtract(1, Kc, out=Kc)
    Kc *= o  # o * (1 - tanh(c_t)^2)

    dhT = np.ascontiguousarray(dh.transpose(1, 2, 0), dtype=dtype)  # (T, H, N)
    WhT = np.ascontiguousarray(Wh.T, dtype=dtype)  # (H, 4H)
    # Gradients w.r.t. the pre-activations, stored (4H, T, N) so that das.reshape(4H, T*N) is the
    # left operand of the weight-gradient products without a copy; each step works in the
    # contiguous buffer `da` and is then copied in.
    das = np.empty((4 * H, T, N), dtype=dtype)
    da = np.empty((4 * H, N), dtype=dtype)
    dh_next = np.zeros((H, N), dtype=dtype)  # gradient reaching h_t from step t+1
    dc = (
        np.zeros((H, N), dtype=dtype)
        if dc_T is None
        else np.array(dc_T.T, dtype=dtype, order="C")
    )  # a copy: updated in place
    dh_t = np.empty((H, N), dtype=dtype)
    tmp = np.empty((H, N), dtype=dtype)
    for t in range(T - 1, -1, -1):
        np.add(dhT[t], dh_next, out=dh_t)
        np.multiply(dh_t, K[t, 3 * H :], out=da[3 * H :])  # da_o
        np.multiply(dh_t, Kc[t], out=tmp)
        dc += tmp
        np.multiply(
            K[t, : 3 * H].reshape(3, H, N), dc, out=da[: 3 * H].reshape(3, H, N)
        )
        dc *= f[t]  # the constant error carousel: dc_{t-1} = dc_t * f_t
        np.matmul(WhT, da, out=dh_next)
        das[:, t] = da
    das2 = das.reshape(4 * H, T * N)  # columns ordered (t, n)
    x_tn = x.transpose(1, 0, 2).reshape(T * N, D).astype(dtype, copy=False)
    h_tn = hs[:-1].transpose(0, 2, 1).reshape(T * N, H)
    dWx = das2 @ x_tn
    dWh = das2 @ h_tn
    db = das2.sum(axis=1)
    dx = np.ascontiguousarray(
        (das2.T @ Wx.astype(dtype, copy=False)).reshape(T, N, D).transpose(1, 0, 2)
    )
    return dx, np.ascontiguousarray(dh_next.T), np.ascontiguousarray(dc.T), dWx, dWh, db
