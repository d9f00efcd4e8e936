r"""LSTM and GRU cells written as ``torch.nn.Module`` from the equations of chapters 6 and 7.

Autograd differentiates them, so only the forward pass is written. Their parameters carry the
names and shapes of ``torch.nn.LSTMCell`` / ``torch.nn.GRUCell`` (``weight_ih``, ``weight_hh``,
``bias_ih``, ``bias_hh``; gates stacked i, f, g, o and r, z, n), so a state_dict copies across
in either direction, and ``unroll`` runs a cell over a batch-first sequence. Chapter 10 checks
that they compute what ``torch.nn.LSTM`` / ``torch.nn.GRU`` compute.

LSTM (chapter 6), with ``a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh`` split into four blocks::

    i, f, o = sigma(a[i]), sigma(a[f]), sigma(a[o]);  g = tanh(a[g])
    c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t)

GRU (chapter 7, reset-after: r scales ``W_hn h_{t-1} + b_hn``, after the product)::

    r = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))
    h_t = (1 - z) * n + z * h_{t-1}
"""

from __future__ import annotations

import math

import torch
from torch import nn


class _GatedCell(nn.Module):
    """Parameters weight_ih (G H, D), weight_hh (G H, H), bias_ih and bias_hh (G H,)."""

    n_gates = 0

    def __init__(self, input_size: int, hidden_size: int, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        G, H = self.n_gates, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(G * H, input_size, dtype=dtype))
        self.weight_hh = nn.Parameter(torch.empty(G * H, H, dtype=dtype))
        self.bias_ih = nn.Parameter(torch.empty(G * H, dtype=dtype))
        self.bias_hh = nn.Parameter(torch.empty(G * H, dtype=dtype))
        bound = 1.0 / math.sqrt(H)  # torch.nn's default: U(-1/sqrt(H), 1/sqrt(H))
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def _check(self, x, h_prev):
        N = x.shape[0]
        if x.dim() != 2 or x.shape[1] != self.input_size:
            raise ValueError(
                f"expected x of shape (N, D) with D = {self.input_size}, got {tuple(x.shape)}"
            )
        if tuple(h_prev.shape) != (N, self.hidden_size):
            raise ValueError(
                f"expected h_prev of shape (N, H) = {(N, self.hidden_size)}, "
                f"got {tuple(h_prev.shape)}"
            )


class ManualLSTMCell(_GatedCell):
    """One LSTM step: ``forward(x, (h_prev, c_prev)) -> (h_next, c_next)``.

    x : (N, D); h_prev, c_prev, h_next, c_next : (N, H). Same parameters as ``nn.LSTMCell``.
    """

    n_gates = 4

    def forward(self, x, state):
        h_prev, c_prev = state
        self._check(x, h_prev)
        a = (
            x @ self.weight_ih.T
            + self.bias_ih
            + h_prev @ self.weight_hh.T
            + self.bias_hh
        )
        i, f, g, o = a.chunk(4, dim=1)  # gate order i, f, g, o
        c_next = torch.sigmoid(f) * c_prev + torch.sigmoid(i) * torch.tanh(g)
        h_next = torch.sigmoid(o) * torch.tanh(c_next)
        return h_next, c_next


class ManualGRUCell(_GatedCell):
    """One GRU step (reset-after): ``forward(x, h_prev) -> h_next``.

    x : (N, D); h_prev, h_next : (N, H). Same parameters as ``nn.GRUCell``.
    """

    n_gates = 3

    def forward(self, x, h_prev):
        self._check(x, h_prev)
        ax = x @ self.weight_ih.T + self.bias_ih  # (N, 3H) input parts of r, z, n
        ah = h_prev @ self.weight_hh.T + self.bias_hh  # (N, 3H): ONE recurrent product
        ax_r, ax_z, ax_n = ax.chunk(3, dim=1)
        ah_r, ah_z, ah_n = ah.chunk(3, dim=1)
        r = torch.sigmoid(ax_r + ah_r)
        z = torch.sigmoid(ax_z + ah_z)
        n = torch.tanh(ax_n + r * ah_n)  # reset AFTER the product (and its bias b_hn)
        return (1 - z) * n + z * h_prev


def unroll(cell, x, state=None):
    """Run a cell over a batch-first sequence, one step at a time.

    Parameters
    ----------
    cell : an LSTM-like cell (state ``(h, c)``: ``nn.LSTMCell``, ``ManualLSTMCell``) or a
        GRU/RNN-like cell (state ``h``: ``nn.GRUCell``, ``nn.RNNCell``, ``ManualGRUCell``)
    x : (N, T, D) inputs
    state : the initial state, ``h0`` (N, H) or ``(h0, c0)``; zeros if None

    Returns
    -------
    output : (N, T, H) the hidden states h_1 ... h_T
    state : the final state, ``h_T`` or ``(h_T, c_T)``
    """
    if x.dim() != 3:
        raise ValueError(f"expected x of shape (N, T, D), got {tuple(x.shape)}")
    base = getattr(cell, "_orig_mod", cell)  # a torch.compile'd cell wraps the module
    is_lstm = isinstance(base, (nn.LSTMCell, ManualLSTMCell))
    if state is None:
        h0 = x.new_zeros(x.shape[0], base.hidden_size)
        state = (h0, h0.clone()) if is_lstm else h0
    outputs = []
    # unbind, not x[:, t]: when x needs gradients, the backward pass of T slices
    # x[:, t] writes T full-size gradients (quadratic in T); unbind's is one stack
    for x_t in x.unbind(1):
        state = cell(x_t, state)
        outputs.append(state[0] if is_lstm else state)
    return torch.stack(outputs, dim=1), state
