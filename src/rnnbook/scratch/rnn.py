r"""The vanilla (Elman) recurrent layer in NumPy, vectorised over a batch.

Equations (the notation page of the book defines every symbol)::

    h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)

Weights are stored as in the equations and as in ``torch.nn.RNN``, so a row of ``Wxh`` belongs to
one hidden unit:

=========  ==========  ===================================  ====================
name       shape       meaning                              ``torch.nn.RNN``
=========  ==========  ===================================  ====================
``x``      (N, T, D)   batch of N input sequences           ``batch_first=True``
``h0``     (N, H)      initial hidden state                 ``h_0[0]``
``Wxh``    (H, D)      input-to-hidden weights              ``weight_ih_l0``
``Whh``    (H, H)      hidden-to-hidden weights             ``weight_hh_l0``
``bh``     (H,)        hidden bias                          ``bias_ih_l0 + bias_hh_l0``
``h``      (N, T, H)   hidden state at every time step      ``output``
=========  ==========  ===================================  ====================

Forward functions return ``(result, cache)``; the matching backward functions take the upstream
gradient and that cache and return gradients in the order of the forward inputs.

Backward equations (chapter 2 derives them; ``a_t`` is the pre-activation)::

    da_t    = dh_t * (1 - h_t**2)                   # through tanh
    dh_t    = (upstream gradient on h_t) + da_{t+1} W_hh   # carried back from step t+1
    dx_t    = da_t W_xh
    dW_xh   = sum_t da_t^T x_t,   dW_hh = sum_t da_t^T h_{t-1},   db_h = sum_t sum_n da_t
    dh_0    = da_1 W_hh

Arguments (the same rules in every layer of ``rnnbook.scratch``; ``rnnbook.shapes`` checks them):

* every array argument is a float ``numpy.ndarray`` of exactly the shape in the table (no
  scalar, no list, no (1, H) or (H,) broadcast across the batch); a wrong one raises an error
  that names it, e.g. ``expected dh_next of shape (N, H) = (4, 5), got (1, 5)``;
* every size is at least 1: an empty sequence (T = 0) is rejected by the forward functions;
* a ``cache`` is the tuple returned by the matching forward function.

dtype: the forward pass computes in ``np.result_type`` of its inputs (all float32 -> float32;
any float64 -> float64).  The backward pass computes in ``np.result_type`` of the cached forward
values and the upstream gradient -- NumPy's own promotion, so nothing is cast down: a float64
``dh`` on a float32 layer gives float64 gradients.
"""

from __future__ import annotations

import numpy as np

from rnnbook.shapes import check_cache, check_shape, check_sizes, match_shapes

_STEP_SHAPES = {
    "x": ("N", "D"),
    "h_prev": ("N", "H"),
    "Wxh": ("H", "D"),
    "Whh": ("H", "H"),
    "bh": ("H",),
}
_STEP_CACHE = (2, 2, 2, 2, 2)  # ranks of (x, h_prev, Wxh, Whh, h_next)
_SEQ_CACHE = (3, 2, 2, 2, 3)  # ranks of (x, h0, Wxh, Whh, h)
_SEQ_SHAPES = {
    "x": ("N", "T", "D"),
    "h0": ("N", "H"),
    "Wxh": ("H", "D"),
    "Whh": ("H", "H"),
    "bh": ("H",),
}


def rnn_step_forward(x, h_prev, Wxh, Whh, bh):
    """One time step for a batch: ``h_next = tanh(x Wxh^T + h_prev Whh^T + bh)``.

    Parameters
    ----------
    x : (N, D) inputs at this time step
    h_prev : (N, H) hidden state from the previous step
    Wxh : (H, D), Whh : (H, H), bh : (H,) parameters

    Returns
    -------
    h_next : (N, H) new hidden state
    cache : tuple ``(x, h_prev, Wxh, Whh, h_next)`` for ``rnn_step_backward``
    """
    match_shapes(_STEP_SHAPES, dict(x=x, h_prev=h_prev, Wxh=Wxh, Whh=Whh, bh=bh))
    h_next = np.tanh(x @ Wxh.T + h_prev @ Whh.T + bh)
    return h_next, (x, h_prev, Wxh, Whh, h_next)


def rnn_forward(x, h0, Wxh, Whh, bh):
    """Run the recurrence over whole sequences.

    The input projection ``x Wxh^T + bh`` does not depend on the hidden state, so it is computed
    for all T steps in one matrix product; only ``h_{t-1} Whh^T`` stays inside the time loop.

    Parameters
    ----------
    x : (N, T, D) input sequences
    h0 : (N, H) initial hidden state
    Wxh : (H, D), Whh : (H, H), bh : (H,) parameters

    Returns
    -------
    h : (N, T, H) hidden states h_1 ... h_T
    cache : tuple ``(x, h0, Wxh, Whh, h)`` for ``rnn_backward``
    """
    sizes = match_shapes(_SEQ_SHAPES, dict(x=x, h0=h0, Wxh=Wxh, Whh=Whh, bh=bh))
    N, T, H = sizes["N"], sizes["T"], sizes["H"]
    input_part = x @ Wxh.T + bh  # (N, T, H), all time steps at once
    h = np.empty((N, T, H), dtype=np.result_type(x, h0, Wxh, Whh, bh))
    h_prev = h0
    for t in range(T):
        h_prev = np.tanh(input_part[:, t] + h_prev @ Whh.T)
        h[:, t] = h_prev
    return h, (x, h0, Wxh, Whh, h)


def rnn_step_backward(dh_next, cache):
    """Backward pass of one time step.

    Parameters
    ----------
    dh_next : (N, H) gradient of the loss with respect to ``h_next``
    cache : the tuple ``(x, h_prev, Wxh, Whh, h_next)`` returned by ``rnn_step_forward``

    Returns
    -------
    dx : (N, D), dh_prev : (N, H), dWxh : (H, D), dWhh : (H, H), dbh : (H,)
        gradients in the order of the forward inputs ``(x, h_prev, Wxh, Whh, bh)``
    """
    x, h_prev, Wxh, Whh, h_next = check_cache(cache, "rnn_step_forward", _STEP_CACHE)
    N, H = h_next.shape  # the cache fixes the sizes; dh_next must match them exactly
    check_shape("dh_next", dh_next, ("N", "H"), dict(N=N, H=H))
    da = dh_next * (1.0 - h_next**2)  # (N, H): tanh'(a) = 1 - tanh(a)^2
    dx = da @ Wxh  # (N, D)
    dh_prev = da @ Whh  # (N, H)
    dWxh = da.T @ x  # (H, D), summed over the batch by the product
    dWhh = da.T @ h_prev  # (H, H)
    dbh = da.sum(axis=0)  # (H,)
    return dx, dh_prev, dWxh, dWhh, dbh


def rnn_backward(dh, cache):
    """Backpropagation through time over whole sequences.

    Only the recurrence ``dh_t -> dh_{t-1}`` is sequential. The loop stores the pre-activation
    gradients ``da`` of every step; the weight gradients and ``dx`` are then computed for all
    steps at once with one matrix product each.

    Parameters
    ----------
    dh : (N, T, H) upstream gradient of the loss with respect to every hidden state ``h_t``
        (for example from an output layer at each step; zeros where a step has no output)
    cache : the tuple ``(x, h0, Wxh, Whh, h)`` returned by ``rnn_forward``

    Returns
    -------
    dx : (N, T, D), dh0 : (N, H), dWxh : (H, D), dWhh : (H, H), dbh : (H,)
        gradients in the order of the forward inputs ``(x, h0, Wxh, Whh, bh)``
    """
    x, h0, Wxh, Whh, h = check_cache(cache, "rnn_forward", _SEQ_CACHE)
    N, T, H = h.shape
    check_shape("dh", dh, ("N", "T", "H"), dict(N=N, T=T, H=H))
    D = x.shape[2]
    da = np.empty_like(h, dtype=np.result_type(dh, h))  # (N, T, H)
    dh_carry = np.zeros_like(h0, dtype=da.dtype)  # gradient flowing back from step t+1
    for t in range(T - 1, -1, -1):
        da_t = (dh[:, t] + dh_carry) * (1.0 - h[:, t] ** 2)
        da[:, t] = da_t
        dh_carry = da_t @ Whh
    dh0 = dh_carry
    h_prev = np.concatenate(
        [h0[:, None, :], h[:, :-1]], axis=1
    )  # (N, T, H): h_0 ... h_{T-1}
    da_flat = da.reshape(N * T, H)
    dx = da @ Wxh  # (N, T, D)
    dWxh = da_flat.T @ x.reshape(N * T, D)
    dWhh = da_flat.T @ h_prev.reshape(N * T, H)
    dbh = da_flat.sum(axis=0)
    return dx, dh0, dWxh, dWhh, dbh


def random_rnn_problem(rng, N, T, D, H, V):
    """A random RNN + output-layer problem of the given sizes, scaled for gradient checks.

    Draws from ``rng`` (a ``np.random.Generator``) in a fixed order, so a seed gives the same
    arrays everywhere (tests, exercise checks, chapters). Weights are scaled by 1/sqrt(fan-in)
    so that tanh stays away from saturation.

    Returns a dict with x (N, T, D), h0 (N, H), Wxh (H, D), Whh (H, H), bh (H,), Why (V, H),
    by (V,), all float64.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "expected rng to be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    check_sizes(N=N, T=T, D=D, H=H, V=V)
    return dict(
        x=rng.standard_normal((N, T, D)),
        h0=0.5 * rng.standard_normal((N, H)),
        Wxh=rng.standard_normal((H, D)) / np.sqrt(D),
        Whh=rng.standard_normal((H, H)) / np.sqrt(H),
        bh=0.1 * rng.standard_normal(H),
        Why=rng.standard_normal((V, H)) / np.sqrt(H),
        by=0.1 * rng.standard_normal(V),
    )
