"""A small PyTorch sequence model and a compact training loop (imports torch).

``SequenceModel`` wraps one of ``torch.nn.RNN`` (tanh), ``torch.nn.LSTM`` or ``torch.nn.GRU``
with a linear read-out, so that experiments compare cells and nothing else. ``train`` runs Adam
with gradient-norm clipping on freshly generated batches and returns a history of test losses.
``count_parameters`` counts trainable weights. ``load_deep_rnn_weights`` and
``deep_rnn_weights_from_torch`` move the weights of a stacked / bidirectional ``torch.nn.RNN``
to and from the layout of ``rnnbook.scratch.stacked``.

Kept apart from the NumPy modules so that ``import rnnbook`` never pulls in torch.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch
from torch import nn

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class SequenceModel(nn.Module):
    """Recurrent layer(s) plus a linear head: ``y = W_hy h + b_y``.

    Parameters
    ----------
    cell : ``"rnn"`` (Elman, tanh), ``"lstm"`` or ``"gru"``
    input_size : D, features per time step
    hidden_size : H
    output_size : O, outputs per read-out step
    readout : ``"last"`` -> output (N, O) from h_T; ``"all"`` -> output (N, T, O) from every h_t
    num_layers : stacked recurrent layers
    forget_bias : LSTM only; if given, the forget-gate bias starts at this value (e.g. 1.0, as
        recommended by Jozefowicz et al. 2015) instead of PyTorch's default initialisation.

    ``forward(x)`` takes x of shape (N, T, D), float; ``batch_first=True`` throughout.
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        output_size: int,
        readout: str = "last",
        num_layers: int = 1,
        forget_bias: float | None = None,
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(
                f"expected cell to be one of {sorted(CELLS)}, got {cell!r}"
            )
        if readout not in ("last", "all"):
            raise ValueError(f"expected readout 'last' or 'all', got {readout!r}")
        if forget_bias is not None and cell != "lstm":
            raise ValueError(f"forget_bias applies to the LSTM only, not to {cell!r}")
        self.cell, self.readout = cell, readout
        self.rnn = CELLS[cell](
            input_size, hidden_size, num_layers=num_layers, batch_first=True
        )
        self.head = nn.Linear(hidden_size, output_size)
        if forget_bias is not None:
            H = hidden_size
            # PyTorch's gate order is (i, f, g, o) and it adds both biases.
            with torch.no_grad():
                for layer in range(num_layers):
                    getattr(self.rnn, f"bias_ih_l{layer}")[H : 2 * H].fill_(forget_bias)
                    getattr(self.rnn, f"bias_hh_l{layer}")[H : 2 * H].zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, T, D) -> (N, O) if readout == "last", else (N, T, O)."""
        if x.dim() != 3 or x.shape[-1] != self.rnn.input_size:
            raise ValueError(
                f"expected x of shape (N, T, D) with D = {self.rnn.input_size}, "
                f"got {tuple(x.shape)}"
            )
        h, _ = self.rnn(x)  # (N, T, H)
        if self.readout == "last":
            return self.head(h[:, -1])
        return self.head(h)


def as_tensor(a, device=None) -> torch.Tensor:
    """NumPy floats -> float32 tensor, NumPy integers -> int64 tensor, tensors moved to device."""
    if isinstance(a, torch.Tensor):
        return a.to(device)
    a = np.asarray(a)
    dtype = torch.int64 if np.issubdtype(a.dtype, np.integer) else torch.float32
    return torch.as_tensor(a, dtype=dtype, device=device)


def evaluate(
    model: nn.Module,
    x,
    y,
    loss_fn: Callable,
    metric_fn: Callable | None = None,
    device=None,
):
    """Loss (and metric) of ``model`` on one fixed batch, without gradients.

    Returns ``(loss, metric)`` as Python floats (``metric`` is None without ``metric_fn``).
    """
    model.eval()
    with torch.no_grad():
        x, y = as_tensor(x, device), as_tensor(y, device)
        out = model(x)
        loss = float(loss_fn(out, y))
        metric = None if metric_fn is None else float(metric_fn(out, y))
    model.train()
    return loss, metric


def train(
    model: nn.Module,
    batch_fn: Callable[[int], tuple],
    loss_fn: Callable,
    steps: int,
    test_data: tuple,
    lr: float = 1e-3,
    clip: float | None = 1.0,
    eval_every: int = 50,
    metric_fn: Callable | None = None,
    device=None,
    progress: bool = True,
    desc: str | None = None,
) -> dict:
    """Train with Adam on fresh batches; evaluate on ``test_data`` every ``eval_every`` steps.

    Parameters
    ----------
    model : maps a float tensor (N, T, D) to outputs that ``loss_fn`` accepts
    batch_fn : ``batch_fn(step) -> (x, y)`` NumPy arrays or tensors for training step ``step``
    loss_fn : ``loss_fn(output, y) -> scalar tensor``
    steps : number of optimiser steps
    test_data : ``(x_test, y_test)``, a fixed held-out batch
    lr : Adam learning rate;  clip : max gradient norm (None: no clipping)
    metric_fn : optional ``metric_fn(output, y) -> scalar`` (e.g. accuracy) on the test batch
    device : torch device for the model and data (default: where the model's parameters are)
    progress : show a tqdm progress bar (on stderr)

    Returns
    -------
    history : dict with lists ``step``, ``train_loss`` (mean since the last evaluation),
        ``test_loss``, ``test_metric`` (evaluated at step 0 and every ``eval_every`` steps, and
        after the last step) and ``seconds``, the wall-clock training time.
    """
    if device is None:
        device = next(model.parameters()).device
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    x_test, y_test = as_tensor(test_data[0], device), as_tensor(test_data[1], device)
    history = {"step": [], "train_loss": [], "test_loss": [], "test_metric": []}

    def record(step, running):
        loss, metric = evaluate(model, x_test, y_test, loss_fn, metric_fn)
        history["step"].append(step)
        history["train_loss"].append(
            float(np.mean(running)) if running else float("nan")
        )
        history["test_loss"].append(loss)
        history["test_metric"].append(metric)

    bar = range(steps)
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(bar, desc=desc, leave=False, mininterval=1.0)
    start = time.perf_counter()
    record(0, [])
    running: list[float] = []
    for step in bar:
        x, y = batch_fn(step)
        x, y = as_tensor(x, device), as_tensor(y, device)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        running.append(loss.item())
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            record(step + 1, running)
            running = []
            if progress:
                bar.set_postfix(test_loss=f"{history['test_loss'][-1]:.4f}")
    history["seconds"] = time.perf_counter() - start
    return history


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _deep_rnn_names(layer: "nn.RNN"):
    if not isinstance(layer, nn.RNN) or layer.nonlinearity != "tanh" or not layer.bias:
        raise ValueError(
            "expected a torch.nn.RNN with nonlinearity='tanh' and bias=True"
        )
    dirs = 2 if layer.bidirectional else 1
    return [
        [f"l{k}" + ("_reverse" if d else "") for d in range(dirs)]
        for k in range(layer.num_layers)
    ]


def deep_rnn_weights_from_torch(layer: "nn.RNN") -> list:
    """Weights of a (stacked, bidirectional) ``torch.nn.RNN`` as NumPy float64 arrays.

    Returns ``layers[l][d] = (Wxh, Whh, bh)`` in the layout of ``rnnbook.scratch.stacked``,
    with ``bh = bias_ih + bias_hh`` (PyTorch adds both biases).
    """
    out = []
    with torch.no_grad():
        for names in _deep_rnn_names(layer):
            row = []
            for suffix in names:
                p = {
                    k: getattr(layer, f"{k}_{suffix}").double().numpy().copy()
                    for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                }
                row.append(
                    (p["weight_ih"], p["weight_hh"], p["bias_ih"] + p["bias_hh"])
                )
            out.append(row)
    return out


def load_deep_rnn_weights(layer: "nn.RNN", layers: list) -> None:
    """Copy ``layers[l][d] = (Wxh, Whh, bh)`` (``rnnbook.scratch.stacked``) into ``layer``.

    ``bias_ih`` receives ``bh`` and ``bias_hh`` is set to zero, because PyTorch adds both.
    """
    names = _deep_rnn_names(layer)
    if len(layers) != len(names) or any(
        len(a) != len(b) for a, b in zip(layers, names)
    ):
        raise ValueError(
            f"layer has {len(names)} layers x {len(names[0])} directions; the weights have "
            f"{len(layers)} layers x {[len(row) for row in layers]} directions"
        )
    with torch.no_grad():
        for row, suffixes in zip(layers, names):
            for (Wxh, Whh, bh), suffix in zip(row, suffixes):
                for name, value in (
                    ("weight_ih", Wxh),
                    ("weight_hh", Whh),
                    ("bias_ih", bh),
                ):
                    param = getattr(layer, f"{name}_{suffix}")
                    if tuple(param.shape) != np.shape(value):
                        raise ValueError(
                            f"expected {name}_{suffix} of shape {tuple(param.shape)}, "
                            f"got {np.shape(value)}"
                        )
                    param.copy_(torch.as_tensor(np.asarray(value), dtype=param.dtype))
                getattr(layer, f"bias_hh_{suffix}").zero_()
